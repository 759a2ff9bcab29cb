//! Two reusable barriers: one for a number of parties fixed in the pattern,
//! one for a number chosen at run time (a Countdown, in the Polyphonic C# way).
//!
//! ```text
//! Barrier:          #[chord([arrive(); 4])]  =>  all four callers return together
//!
//! CountingBarrier:  #[chord(count_in() & round(k, n, odd))]  =>  round(k + 1, n, odd), or for
//!                                                               the n-th: n - 1 passes through
//!                                                               this round's gate, round(0, n, !odd)
//!                   #[chord(pass_even() & open_even())]      =>  through (and the same, odd)
//! ```
//!
//! `Barrier`: each round's four calls are the only ones queued until that round
//! fires (a thread arrives again only after it has passed), so rounds never mix
//! and the barrier needs no reset.
//!
//! `CountingBarrier`: the state is one message, `round`, a state channel
//! (docs/reference.md, *State channels*): how many have arrived, of how
//! many, and whether the round is even or odd. Rounds alternate between two
//! gates (a sense-reversing barrier): the last arrival opens its round's gate
//! for the others and starts the next round at the other gate. A thread that
//! passes and arrives again at once waits at the other gate, so it cannot
//! take a pass meant for a slower thread of the round before; and that gate
//! opens only once every thread, the slower ones included, has counted in to
//! the new round, after its own pass.
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
/// round: a sense-reversing barrier.
#[chords(pub)]
impl CountingBarrier {
    /// Counts the caller in: whether its round is odd, and whether it
    /// completed the round.
    fn count_in(&self) -> (bool, bool);
    /// Waits at the gate of an even round, or of an odd one.
    fn pass_even(&self);
    fn pass_odd(&self);
    /// A pass through the gate of an even round, or of an odd one.
    async fn open_even(&self);
    async fn open_odd(&self);
    /// State: `arrived` of `parties` have counted in to this round, even or odd.
    #[state]
    async fn round(&self, arrived: usize, parties: usize, odd: bool);

    /// A barrier for `parties` threads (at least one).
    pub fn new(parties: usize) -> Self {
        assert!(parties >= 1, "a barrier needs at least one party");
        Self::from_state((0, parties, false))
    }

    /// Waits until `parties` threads have arrived in this round, then returns
    /// in each.
    pub fn arrive(&self) {
        match self.count_in() {
            (_, true) => {}
            (false, false) => self.pass_even(),
            (true, false) => self.pass_odd(),
        }
    }

    #[chord(count_in() & round(arrived, parties, odd))]
    fn count(&self) -> (bool, bool) {
        let last = arrived + 1 == parties;
        if last {
            // The others (parties - 1) wait at this round's gate.
            let others = std::iter::repeat_n((), parties - 1);
            if odd {
                self.open_odd_all(others);
            } else {
                self.open_even_all(others);
            }
            self.round(0, parties, !odd);
        } else {
            self.round(arrived + 1, parties, odd);
        }
        (odd, last)
    }

    #[chord(pass_even() & open_even())]
    fn through_even(&self) {}

    #[chord(pass_odd() & open_odd())]
    fn through_odd(&self) {}
}
