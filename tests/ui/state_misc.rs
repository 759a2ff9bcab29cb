use chords::chords;

#[chords]
impl Counter {
    #[state]
    async fn count(&self, n: u32);
    #[state]
    fn get(&self) -> u32;
    fn pair(&self) -> u32;
    fn peek(&self) -> u32;

    #[chord(get() & count(n))]
    fn got(&self) -> u32 {
        self.count(n);
        n
    }

    #[chord(pair() & [count(n); 2])]
    fn two(&self) -> u32 {
        self.count(n[0]);
        n[1]
    }

    #[state]
    #[chord(peek() & count(n))]
    fn peeked(&self) -> u32 {
        let now = self.count_now();
        self.count(n);
        now
    }

    // An impl's own `new` gets the generated constructor as `from_state`.
    pub fn new() -> Option<Self> {
        None
    }

    fn from_state() {}
}

fn main() {}
