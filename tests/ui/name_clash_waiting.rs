use chords::chords;

// `waiting` is the generated method that returns the queue lengths: no
// channel, method or chord may take its name.

#[chords]
impl ChannelNamedWaiting {
    async fn waiting(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & waiting(n))]
    fn got() -> u32 {
        n
    }
}

#[chords]
impl MethodNamedWaiting {
    async fn put(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & put(n))]
    fn got() -> u32 {
        n
    }

    fn waiting(&self) -> usize {
        0
    }
}

#[chords]
impl ChordNamedWaiting {
    async fn put(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & put(n))]
    fn r#waiting() -> u32 {
        n
    }
}

fn main() {
    // The stubs keep one `waiting` each: no further error.
    let _: usize = MethodNamedWaiting::new().waiting();
    let _: chords::Waiting = ChordNamedWaiting::new().waiting();
    let _: chords::Waiting = ChannelNamedWaiting::new().waiting();
}
