//! An exchanger: two synchronous callers meet and swap values.
//!
//! ```text
//! #[chord([exchange(x); 2])]  =>  [x[1], x[0]]: each caller gets the other's
//! ```
//!
//! This module is shared with `tests/example_exchanger.rs`.

use chords::chords;

/// Pairs callers of `exchange`; each gets the value of the caller it met.
#[chords(pub)]
impl<T: Send + 'static> Exchanger<T> {
    /// Waits for another caller, and returns its value.
    pub fn exchange(&self, value: T) -> T;

    #[chord([exchange(x); 2])]
    fn meet(&self) -> [T; 2] {
        let [a, b] = x;
        [b, a]
    }
}
