use chords::chords;

#[chords]
impl Lock {
    fn acquire(&self);
    async fn free(&self);
    async fn items(&self, n: u32);
    fn pair(&self) -> u32;

    #[chord(acquire() & free())]
    fn acquired(&self) {}

    #[chord(acquire() & free())]
    fn again(&self) {}

    #[chord(pair() & [items(ns); 2])]
    fn two(&self) -> u32 {
        ns[0] + ns[1]
    }

    #[chord(pair() & items(x) & items(y))]
    fn also_two(&self) -> u32 {
        x + y
    }
}

fn main() {
    let l = Lock::new();
    l.free();
    l.acquire();
}
