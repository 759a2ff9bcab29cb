use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, item: u32);
    fn get(&self) -> u32;

    #[chord(get() & put(item))]
    fn deliver(&self) -> u32 {
        item
    }

    async fn get_async(&self) -> u32 {
        self.get()
    }
}

fn main() {
    let b = Buffer::new();
    b.put(1);
    let _ = b.get();
}
