use chords::chords;

const N: usize = 3;

#[chords]
impl Batch {
    async fn item(&self, n: u32);
    fn batch(&self) -> [u32; N];

    #[chord(batch() & [item(xs); N])]
    fn three(&self) -> [u32; N] {
        xs
    }
}

fn main() {
    let b = Batch::new();
    b.item(1);
    let _ = b.batch();
}
