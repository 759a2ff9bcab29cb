use chords::chords;

#[chords(pub)]
impl<T: Send> Buffer<T> {
    pub async fn put(&self, item: T);
    pub fn get(&self) -> T;

    #[chord(get() & put(item))]
    fn deliver(&self) -> T {
        item
    }
}

fn main() {
    let b = Buffer::new();
    b.put(1);
    let _ = b.get();
}
