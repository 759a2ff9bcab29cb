use chords::chords;

#[chords]
impl Counter {
    #[state]
    async fn count(&self, n: u32);
    fn twice(&self);
    fn looped(&self, k: u32);
    fn later(&self);

    #[chord(twice() & count(n))]
    fn doubled(&self) {
        self.count(n);
        self.count(n + 1);
    }

    #[chord(looped(k) & count(n))]
    fn counted_up(&self) {
        for i in 0..k {
            self.count(n + i);
        }
    }

    #[chord(later() & count(n))]
    fn deferred(&self) {
        let send = || self.count(n);
        send();
    }
}

fn main() {
    let c = Counter::new(0);
    c.twice();
}
