struct Plain;

impl Plain {
    #[chords::chord(get() & put(item))]
    fn deliver(&self) -> u32 {
        1
    }
}

fn main() {
    let _ = Plain.deliver();
}
