use chords::chords;

#[chords]
impl Counter {
    #[state]
    async fn count(&self, n: u32);
    #[state]
    async fn unused(&self, n: u32);
    fn tick(&self) -> u32;

    #[chord(tick() & count(n))]
    fn ticked(&self) -> u32 {
        self.count(n + 1);
        n
    }
}

fn main() {
    let c = Counter::new(0, 0);
    c.tick();
}
