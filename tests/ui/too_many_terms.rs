use chords::chords;

#[chords]
impl Many {
    fn all(&self);
    async fn a(&self);

    #[chord(all() & a() & a() & a() & a() & a() & a() & a() & a() & a() & a() & a() & a())]
    fn thirteen(&self) {}
}

fn main() {
    Many::new().all();
}
