use chords::chords;

#[chords]
impl Spinner {
    #[state]
    async fn phase(&self, n: u32);
    async fn token(&self);
    async fn work(&self, job: u32);
    fn done(&self) -> u32;

    // Sends back everything it consumed, on every path: fires forever.
    #[chord(token() & phase(n))]
    fn spin(&self) {
        self.phase(n + 1);
        self.token();
    }

    // Sends back only under a condition: fine.
    #[chord(work(job) & phase(n))]
    fn worked(&self) {
        self.phase(n + job);
        if job > 1 {
            self.work(job - 1);
        }
    }

    #[chord(done() & phase(n))]
    fn finished(&self) -> u32 {
        self.phase(n);
        n
    }
}

fn main() {
    let s = Spinner::new(0);
    s.token();
}
