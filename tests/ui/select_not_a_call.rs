use chords::chords;

#[chords]
impl Buffer {
    async fn put(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & put(n))]
    fn deliver(&self) -> u32 {
        n
    }
}

fn main() {
    let b = Buffer::new();
    let f = || 3;
    let _ = chords::select! {
        n = b.get() => n,
        m = f() => m,
        default => 0,
        default => 1,
    };
}
