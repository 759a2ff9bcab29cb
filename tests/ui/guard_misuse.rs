use chords::chords;

#[chords]
impl Keyed {
    fn take(&self, k: u32) -> u32;
    async fn item(&self, key: u32, v: u32);
    fn never(&self);
    fn any(&self) -> u32;
    fn two(&self) -> [u32; 2];
    fn limited(&self) -> u32;
    fn ask(&self, n: u32) -> u32;

    // Across terms, reading the arguments of two calls.
    #[chord(take(k) & ask(n) & item(key, v) if *key > *k + *n)]
    fn keyed(&self) -> (u32, u32) {
        (v, v)
    }

    // Always false: can never fire.
    #[chord(never() & item(_, _) if false)]
    fn nothing(&self) {}

    // Reads no binding.
    #[chord(any() & item(_, v) if cfg!(debug_assertions))]
    fn whatever(&self) -> u32 {
        v
    }

    // A guard that reads the object.
    #[chord(limited() & item(_, v) if *v < self.limit())]
    fn under(&self) -> u32 {
        v
    }

    // A guard over a repeated term of two parameters.
    #[chord(two() & [item(key, v); 2] if key[0] < key[1])]
    fn rising(&self) -> [u32; 2] {
        v
    }

    // A value pattern on a repeated term that binds a name.
    #[chord(two() & [item(k @ 1, v); 2])]
    fn ones(&self) -> [u32; 2] {
        v
    }
}

impl Keyed {
    fn limit(&self) -> u32 {
        3
    }
}

fn main() {}
