use chords::chords;

#[chords]
impl Choice {
    fn take(&self) -> u32;
    async fn a(&self, n: u32);
    async fn b(&self, n: u32);

    #[chord(take() & a(n))]
    fn first(&self) -> u32 {
        n
    }

    #[chord(take() & a(x) & b(y))]
    fn both(&self) -> u32 {
        x + y
    }

    #[chord(take() & b(n))]
    fn second(&self) -> u32 {
        n
    }
}

fn main() {
    let c = Choice::new();
    c.a(1);
    let _ = c.take();
}
