use chords::chords;

#[chords]
struct Buffer;

#[chords]
impl Iterator for Buffer {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        None
    }
}

fn main() {
    let _ = Buffer;
}
