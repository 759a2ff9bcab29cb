use chords::chords;

#[chords]
impl Sum {
    async fn a(&self, n: u32);
    async fn b(&self, n: u32);
    fn sum(&self) -> u32;

    #[chord(sum() & a(n) & b(n))]
    fn added(&self) -> u32 {
        n + n
    }
}

fn main() {
    let s = Sum::new();
    s.a(1);
    s.b(2);
    let _ = s.sum();
}
