use chords::chords;

#[chords]
impl Counter {
    #[state]
    async fn count(&self, n: u32);
    fn tick(&self) -> u32;
    fn reset(&self);
    async fn ping(&self);

    #[chord(tick() & count(n))]
    fn ticked(&self) -> u32 {
        self.count(n + 1);
        n
    }

    // Does not consume `count`, yet sends it.
    #[chord(reset() & ping())]
    fn reset_it(&self) {
        self.count(0);
    }

    /// A helper that sends it.
    fn set(&self, n: u32) {
        self.count(n);
    }
}

fn main() {
    let c = Counter::new(0);
    c.set(3);
}
