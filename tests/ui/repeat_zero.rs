use chords::chords;

#[chords]
impl Batch {
    async fn item(&self, n: u32);
    fn batch(&self) -> [u32; 0];

    #[chord(batch() & [item(xs); 0])]
    fn none(&self) -> [u32; 0] {
        xs
    }
}

fn main() {
    let b = Batch::new();
    b.item(1);
    let _ = b.batch();
}
