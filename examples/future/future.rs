//! A future: a value set once and read by any number of readers.
//!
//! ```text
//! #[chord(set(v) & unset())]   =>  value(v); Ok
//! #[chord(set(v) & value(w))]  =>  value(w); Err(v): the value is set once
//! #[chord(get() & value(v))]   =>  value(v.clone()); v
//! ```
//!
//! Exactly one of `unset()` and `value(v)` is queued at any time. A reader
//! takes the value and puts it back for the next one. This module is shared
//! with `tests/example_future.rs`.

use chords::chords;

/// A value of type `T` that is set once and read by many.
#[chords(pub)]
impl<T: Clone + Send + 'static> Future<T> {
    /// Waits until the value is set, and returns a copy of it.
    pub fn get(&self) -> T;
    /// Sets the value; `Err(v)` gives `v` back if it was set already.
    pub fn set(&self, v: T) -> Result<(), T>;
    async fn unset(&self);
    async fn value(&self, v: T);

    /// A future whose value is not set yet.
    pub fn new() -> Self {
        let future = Self::default();
        future.unset();
        future
    }

    #[chord(set(v) & unset())]
    fn first_set(&self) -> Result<(), T> {
        self.value(v);
        Ok(())
    }

    #[chord(set(v) & value(w))]
    fn second_set(&self) -> Result<(), T> {
        self.value(w);
        Err(v)
    }

    #[chord(get() & value(v))]
    fn read(&self) -> T {
        self.value(v.clone());
        v
    }
}
