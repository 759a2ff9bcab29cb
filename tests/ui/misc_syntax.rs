use chords::chords;

#[chords(pub, extra)]
impl Buffer {
    async fn put(&self, item: u32);
    fn get(&self) -> u32;

    #[chord(get() && put(item))]
    fn deliver(&self) -> u32 {
        item
    }

    #[chord]
    fn no_pattern(&self) {}

    #[chord(get() & put(item))]
    fn declared_only(&self) -> u32;
}

fn main() {
    let b = Buffer::new();
    b.put(1);
    let _ = b.get();
}
