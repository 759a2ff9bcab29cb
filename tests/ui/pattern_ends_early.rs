use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, s: String);
    fn get(&self) -> String;

    #[chord(get() & put(s))]
    fn deliver(&self) -> String {
        s
    }

    #[chord(get() &)]
    fn broken(&self) -> String {
        String::new()
    }
}

fn main() {}
