use chords::chords;

#[chords]
impl Runner {
    async fn job(&self, f: impl FnOnce() + Send + 'static);
    fn run_one(&self);

    #[chord(run_one() & job(f))]
    fn run(&self) {
        f()
    }
}

fn main() {
    let r = Runner::new();
    r.run_one();
}
