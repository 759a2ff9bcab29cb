use chords::chords;

#[chords]
impl Many {
    async fn n(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & n(n) if *n > 1)]
    fn a(&self) -> u32 { n }
    #[chord(get() & n(n) if *n > 2)]
    fn b(&self) -> u32 { n }
    #[chord(get() & n(n) if *n > 3)]
    fn c(&self) -> u32 { n }
    #[chord(get() & n(n) if *n > 4)]
    fn d(&self) -> u32 { n }
    #[chord(get() & n(n) if *n > 5)]
    fn e(&self) -> u32 { n }
}

fn main() {}
