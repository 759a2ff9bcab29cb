//! The one-place buffer of Polyphonic C#: state kept in messages. The
//! paper's version keeps it in two private asynchronous channels, of which
//! exactly one holds a message:
//!
//! ```text
//! public OnePlaceBuffer() { empty(); }
//! public void Put(string s) & private async empty()     { contains(s); }
//! public string Get()       & private async contains(string s) { empty(); return s; }
//! ```
//!
//! Here the two are one `#[state]` channel, `cell(c)`, with `c` an
//! `Option<T>`, and each chord asks for the value it needs:
//!
//! ```text
//! new()                     { cell(None) }
//! put(item) & cell(None)    { cell(Some(item)) }
//! get() & cell(Some(item))  { cell(None); item }
//! ```
//!
//! The cell always holds exactly one message (the macro checks that each
//! chord sends it again exactly once; none is there while a body runs), so
//! `put` waits for the cell to be empty and `get` waits for it to be full:
//! puts and gets strictly alternate. `cell_now()` reads it.
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
    /// State: `None` while the cell is empty, `Some(item)` while it holds
    /// `item`. `cell_now()` reads it; only the chords send it.
    #[state]
    pub async fn cell(&self, c: Option<T>);
    /// History: one message per move, in the order of the moves.
    async fn moved(&self, m: Move<T>);
    /// Waits for the next move of the history, and returns it.
    pub fn next_move(&self) -> Move<T>;

    /// A new cell, empty.
    pub fn new() -> Self {
        Self::from_state(None)
    }

    #[chord(put(item) & cell(None))]
    fn fill(&self) {
        self.moved(Move::Put(item.clone()));
        self.cell(Some(item));
    }

    #[chord(get() & cell(Some(item)))]
    fn drain(&self) -> T {
        self.moved(Move::Got(item.clone()));
        self.cell(None);
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
