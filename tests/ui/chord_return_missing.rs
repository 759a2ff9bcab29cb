use chords::chords;

#[chords]
impl Exchanger {
    fn left(&self, v: i32) -> i32;
    fn right(&self, v: i32) -> i32;

    #[chord(left(a) & right(b))]
    fn swap() -> i32 {
        b + a
    }
}

fn main() {
    let x = Exchanger::new();
    let _ = x.left(1);
}
