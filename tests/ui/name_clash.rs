use chords::chords;

#[chords]
impl Clashes {
    fn get(&self) -> u32;
    async fn try_get(&self, n: u32);
    async fn get_timeout(&self, n: u32);
    fn new(&self) -> u32;

    #[chord(get() & try_get(n))]
    fn delivered(&self) -> u32 {
        n
    }

    #[chord(new() & get_timeout(n))]
    fn get(&self) -> u32 {
        n
    }
}

fn main() {}
