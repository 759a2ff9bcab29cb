//! A reusable barrier for four parties: one chord over four `arrive()` calls.
//!
//! ```text
//! #[chord([arrive(); 4])]  =>  all four callers return together
//! ```
//!
//! Each round's four calls are the only ones queued until that round fires
//! (a thread arrives again only after it has passed), so rounds never mix and
//! the barrier needs no reset. This module is shared with
//! `tests/example_barrier.rs`.

use chords::chords;

/// How many threads the barrier waits for.
pub const PARTIES: usize = 4;

/// A barrier for [`PARTIES`] threads, reusable round after round.
#[chords(pub)]
impl Barrier {
    /// Waits until all [`PARTIES`] threads have arrived, then returns in each.
    pub fn arrive(&self);

    #[chord([arrive(); 4])]
    fn release(&self) {}
}
