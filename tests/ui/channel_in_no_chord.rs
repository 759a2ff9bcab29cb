use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, item: u32);
    fn get(&self) -> u32;
    fn peek(&self) -> u32;
    async fn log(&self, line: String);

    #[chord(get() & put(item))]
    fn deliver(&self) -> u32 {
        self.log(format!("delivered {item}"));
        item
    }
}

fn main() {
    let b = Buffer::new();
    b.put(1);
    let _ = b.get();
    let _ = b.peek();
}
