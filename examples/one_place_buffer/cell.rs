//! The one-place buffer of Polyphonic C#: state kept in messages.
//!
//! ```text
//! public OnePlaceBuffer() { empty(); }
//! public void Put(string s) & private async empty()     { contains(s); }
//! public string Get()       & private async contains(string s) { empty(); return s; }
//! ```
//!
//! Exactly one of `empty()` and `contains(x)` is queued at any time (none
//! while a body runs), so `put` waits for the cell to be empty and `get` waits
//! for it to be full: puts and gets strictly alternate.
//!
//! To show (and test) that alternation, each body also posts the move it made
//! to `moved`, before it posts the next state: the bodies run one at a time
//! (each holds the one state message), so the moves queue in the order they
//! happened. `next_move` reads them back, oldest first. This history grows
//! until it is read.
//!
//! This module is the example's logic and is shared with
//! `tests/example_one_place_buffer.rs`.

use chords::chords;

/// A move of the cell, in its history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move<T> {
    /// `put(x)` filled the empty cell with `x`.
    Put(T),
    /// `get()` emptied the cell and returned `x`.
    Got(T),
}

/// A cell that holds at most one value.
#[chords(pub)]
impl<T: Clone + Send + 'static> OnePlaceBuffer<T> {
    /// Waits until the cell is empty, and fills it with `item`.
    pub fn put(&self, item: T);
    /// Waits until the cell is full, empties it, and returns its item.
    pub fn get(&self) -> T;
    /// State: the cell is empty.
    async fn empty(&self);
    /// State: the cell holds `item`.
    async fn contains(&self, item: T);
    /// History: one message per move, in the order of the moves.
    async fn moved(&self, m: Move<T>);
    /// Waits for the next move of the history, and returns it.
    pub fn next_move(&self) -> Move<T>;

    /// A new cell, empty.
    pub fn new() -> Self {
        let cell = Self::default();
        cell.empty();
        cell
    }

    #[chord(put(item) & empty())]
    fn fill(&self) {
        self.moved(Move::Put(item.clone()));
        self.contains(item);
    }

    #[chord(get() & contains(item))]
    fn drain(&self) -> T {
        self.moved(Move::Got(item.clone()));
        self.empty();
        item
    }

    #[chord(next_move() & moved(m))]
    fn recall(&self) -> Move<T> {
        m
    }

    /// The moves of the history not read yet, oldest first.
    pub fn history(&self) -> Vec<Move<T>> {
        std::iter::from_fn(|| self.try_next_move().ok()).collect()
    }
}
