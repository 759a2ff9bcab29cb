use chords::chords;

#[chords]
impl Pairs {
    async fn pair(&self, name: String, n: u32);
    fn take(&self) -> u32;

    #[chord(take() & pair(n))]
    fn taken(&self) -> u32 {
        n
    }
}

fn main() {
    let p = Pairs::new();
    p.pair(String::new(), 1);
    let _ = p.take();
}
