use chords::chords;

#[chords]
impl Counter {
    #[state]
    async fn count(&self, n: u32);
    fn forget(&self);
    fn tick(&self) -> bool;
    fn parse(&self, s: String) -> Result<u32, std::num::ParseIntError>;
    fn step(&self, up: bool);
    fn maybe(&self, k: u32);

    // Never sends it again.
    #[chord(forget() & count(_n))]
    fn forgotten(&self) {}

    // Leaves early with `return`.
    #[chord(tick() & count(n))]
    fn ticked(&self) -> bool {
        if n == 10 {
            return false;
        }
        self.count(n + 1);
        true
    }

    // Leaves early with `?`.
    #[chord(parse(s) & count(n))]
    fn parsed(&self) -> Result<u32, std::num::ParseIntError> {
        let k: u32 = s.parse()?;
        self.count(n + k);
        Ok(n + k)
    }

    // One branch sends, the other does not.
    #[chord(step(up) & count(n))]
    fn stepped(&self) {
        match up {
            true => self.count(n + 1),
            false => {}
        }
    }

    // An `if` without `else`.
    #[chord(maybe(k) & count(n))]
    fn maybe_added(&self) {
        if k > 0 {
            self.count(n + k);
        }
    }
}

fn main() {
    let c = Counter::new(0);
    c.forget();
}
