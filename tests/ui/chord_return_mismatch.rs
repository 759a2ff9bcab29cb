use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, item: String);
    fn get(&self) -> String;
    fn len(&self) -> usize;
    fn left(&self, v: i32) -> i32;
    fn right(&self, v: i32) -> i32;

    #[chord(get() & put(item))]
    fn deliver(&self) -> String {
        item.len()
    }

    #[chord(len() & put(item))]
    fn measure(&self) -> u64 {
        item.len() as u64
    }

    #[chord(left(a) & right(b))]
    fn swap() -> i32 {
        b + a
    }
}

fn main() {
    let b = Buffer::new();
    b.put(String::new());
    let _ = b.get();
}
