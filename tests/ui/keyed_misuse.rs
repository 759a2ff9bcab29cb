use chords::chords;

#[chords]
impl Store {
    fn take(&self, k: u32) -> u64;
    async fn item(&self, key: u32, v: u64);
    fn peek(&self) -> u64;
    fn find(&self, name: String) -> u64;
    async fn named(&self, name: String, v: u64);
    async fn log(&self, line: String);

    // Its body uses `self`: it runs in the object of its key.
    #[chord(take(k) & item(key, v) if *key == *k)]
    fn keyed(&self) -> u64 {
        self.log(format!("took {v}"));
        v
    }

    // A chord over a keyed channel that is not keyed.
    #[chord(peek() & item(_, v))]
    fn peeked(&self) -> u64 {
        v
    }

    // Another key type in the same object.
    #[chord(find(name) & named(n, v) if *n == *name)]
    fn by_name(&self) -> u64 {
        v
    }

    #[chord(log(line) & named(_, _))]
    fn logged(&self) {
        let _ = line;
    }
}

fn main() {}
