//! Two reusable barriers: one for a number of parties fixed in the pattern,
//! one for a number chosen at run time (a Countdown, in the Polyphonic C# way).
//!
//! ```text
//! Barrier:          #[chord([arrive(); 4])]  =>  all four callers return together
//!
//! CountingBarrier:  #[chord(count_in() & gathering(k, n))]  =>  gathering(k + 1, n), or
//!                                                              releasing(n - 1, n) for the n-th
//!                   #[chord(pass() & releasing(left, n))]   =>  releasing(left - 1, n), or
//!                                                              gathering(0, n) for the last
//! ```
//!
//! `Barrier`: each round's four calls are the only ones queued until that round
//! fires (a thread arrives again only after it has passed), so rounds never mix
//! and the barrier needs no reset.
//!
//! `CountingBarrier`: the state is one message, either `gathering` (counting
//! arrivals) or `releasing` (letting the waiting callers through). A thread
//! that passes and arrives again at once finds no `gathering` message until
//! everyone of its round has passed, so it cannot overtake a slower thread.
//!
//! This module is shared with `tests/example_barrier.rs`.

use chords::chords;

/// How many threads [`Barrier`] waits for.
pub const PARTIES: usize = 4;

/// A barrier for [`PARTIES`] threads, reusable round after round.
#[chords(pub)]
impl Barrier {
    /// Waits until all [`PARTIES`] threads have arrived, then returns in each.
    pub fn arrive(&self);

    #[chord([arrive(); 4])]
    fn release(&self) {}
}

/// A barrier for `n` threads, `n` chosen at run time, reusable round after
/// round. Make one with [`CountingBarrier::new`] (a `default()` one has no
/// state message, and its callers would wait forever).
#[chords(pub)]
impl CountingBarrier {
    /// Counts the caller in; `true` for the caller that completes the round.
    fn count_in(&self) -> bool;
    /// Waits until the round is complete.
    fn pass(&self);
    /// State: `arrived` of `parties` have counted in this round.
    async fn gathering(&self, arrived: usize, parties: usize);
    /// State: `left` callers of the complete round have still to pass.
    async fn releasing(&self, left: usize, parties: usize);

    /// A barrier for `parties` threads (at least one).
    pub fn new(parties: usize) -> Self {
        assert!(parties >= 1, "a barrier needs at least one party");
        let barrier = Self::default();
        barrier.gathering(0, parties);
        barrier
    }

    /// Waits until `parties` threads have arrived in this round, then returns
    /// in each.
    pub fn arrive(&self) {
        if !self.count_in() {
            self.pass();
        }
    }

    /// Lets `left` waiting callers through, then gathers the next round.
    fn open(&self, left: usize, parties: usize) {
        if left == 0 {
            self.gathering(0, parties);
        } else {
            self.releasing(left, parties);
        }
    }

    #[chord(count_in() & gathering(arrived, parties))]
    fn count(&self) -> bool {
        if arrived + 1 < parties {
            self.gathering(arrived + 1, parties);
            false
        } else {
            // The last arrival: the others (parties - 1) are waiting in pass().
            self.open(parties - 1, parties);
            true
        }
    }

    #[chord(pass() & releasing(left, parties))]
    fn let_through(&self) {
        self.open(left - 1, parties);
    }
}
