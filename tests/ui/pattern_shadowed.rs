use chords::chords;

#[chords]
impl Countdown {
    async fn count(&self, n: u32);
    fn wait(&self);
    fn peek(&self) -> u32;

    // A later `count(n)` is not shadowed by an earlier `count(0)` ...
    #[chord(peek() & count(0))]
    fn zero(&self) -> u32 {
        self.count(0);
        0
    }

    #[chord(peek() & count(n))]
    fn any(&self) -> u32 {
        self.count(n);
        n
    }

    // ... but an earlier `count(n)` takes every message `count(0)` could.
    #[chord(wait() & count(n))]
    fn waited(&self) {
        self.count(n);
    }

    #[chord(wait() & count(0))]
    fn waited_for_zero(&self) {
        self.count(0);
    }
}

fn main() {}
