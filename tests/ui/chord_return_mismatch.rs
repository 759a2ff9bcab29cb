use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, item: String);
    fn get(&self) -> String;
    fn len(&self) -> usize;

    #[chord(get() & put(item))]
    fn deliver(&self) -> String {
        item.len()
    }

    #[chord(len() & put(item))]
    fn measure(&self) -> u64 {
        item.len() as u64
    }
}

fn main() {
    let b = Buffer::new();
    b.put(String::new());
    let _ = b.get();
}
