use chords::chords;

// `wait_idle` and `wait_idle_timeout` are generated methods that wait for
// the object's asynchronous chords: no channel or method may take their names.

#[chords]
impl ChannelNamedWaitIdle {
    async fn wait_idle(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & wait_idle(n))]
    fn got() -> u32 {
        n
    }
}

#[chords]
impl MethodNamedWaitIdleTimeout {
    async fn put(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & put(n))]
    fn got() -> u32 {
        n
    }

    fn wait_idle_timeout(&self) -> usize {
        0
    }
}

fn main() {
    // The stubs keep one of each: no further error.
    let _: usize = MethodNamedWaitIdleTimeout::new().wait_idle_timeout();
    ChannelNamedWaitIdle::new().wait_idle();
}
