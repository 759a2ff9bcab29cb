use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, item: u32);
    async fn put_all(&self, items: Vec<u32>);
    fn get(&self) -> u32;

    #[chord(get() & put(item))]
    fn deliver(&self) -> u32 {
        item
    }

    #[chord(get() & put_all(items))]
    fn deliver_first(&self) -> u32 {
        items[0]
    }
}

fn main() {
    let b = Buffer::new();
    b.put(1);
    let _ = b.get();
}
