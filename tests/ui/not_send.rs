use std::rc::{Rc, Weak};

use chords::chords;

#[chords]
impl Shared {
    async fn put(&self, item: Rc<u32>);
    fn get(&self) -> Weak<u32>;
    fn peek(&self) -> u32;

    #[chord(get() & put(item))]
    fn deliver(&self) -> Weak<u32> {
        Rc::downgrade(&item)
    }

    #[chord(peek() & put(item))]
    fn peeked(&self) -> u32 {
        *item
    }
}

fn main() {
    // The methods are there, but cannot be called until the types are `Send`.
    let s = Shared::new();
    s.put(Rc::new(1));
}
