use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, item: u32);
    fn get(self) -> u32;

    #[chord(get() & put(item))]
    fn deliver(&self) -> u32 {
        item
    }
}

fn main() {
    let b = Buffer::new();
    b.put(1);
    let _ = b.get();
}
