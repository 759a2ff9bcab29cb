use chords::chords;

#[chords]
impl Points {
    async fn point(&self, (x, y): (i32, i32));
    fn take(&self) -> i32;

    #[chord(take() & point(p))]
    fn taken(&self) -> i32 {
        p.0
    }
}

fn main() {
    let p = Points::new();
    let _ = p.take();
}
