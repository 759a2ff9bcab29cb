//! A channel's counter: how many of its messages are queued and not yet
//! consumed, as one atomic word the matcher reserves from.
//!
//! The word has two halves: `available`, the messages no reservation holds,
//! and `claimed`, those a reservation in progress holds and may still give
//! back. Together they are the messages *present*. How the matcher uses them
//! is described in [`crate::matcher`].

use crate::stats::{count, Event};
use crate::sync::{loom_seq_cst, AtomicU64, Backoff, Ordering::SeqCst};

const CLAIM: u64 = 1 << 32;

/// A channel's counter: `available` in the low half, `claimed` in the high half.
pub(crate) struct Count(AtomicU64);

fn available(word: u64) -> u32 {
    word as u32
}

fn claimed(word: u64) -> u32 {
    (word >> 32) as u32
}

/// The messages a word counts as queued and not yet consumed: available, or
/// claimed by a reservation that may still roll back.
fn present(word: u64) -> u32 {
    available(word).saturating_add(claimed(word))
}

impl Count {
    pub(crate) fn new() -> Self {
        Count(AtomicU64::new(0))
    }

    #[inline]
    fn load(&self) -> u64 {
        loom_seq_cst();
        self.0.load(SeqCst)
    }

    /// Reads the word again after waiting for another thread to change it.
    /// Under loom, an RMW: a load could read the same stale value at every
    /// turn of the wait, an endless path the real memory model never takes.
    #[inline]
    fn reload(&self) -> u64 {
        if cfg!(loom) {
            self.0.fetch_add(0, SeqCst)
        } else {
            self.0.load(SeqCst)
        }
    }

    /// The messages no reservation holds.
    #[inline]
    pub(crate) fn available(&self) -> u32 {
        available(self.load())
    }

    /// The messages available or claimed.
    #[inline]
    pub(crate) fn present(&self) -> u32 {
        present(self.load())
    }

    /// Counts one more message (after it was queued), or gives back one
    /// that [`consume`](Count::consume) took.
    #[inline]
    pub(crate) fn add_one(&self) {
        self.add(1);
    }

    /// Counts `n` more messages at once (after they were queued).
    #[inline]
    pub(crate) fn add(&self, n: u32) {
        let before = self.0.fetch_add(n as u64, SeqCst);
        assert!(
            available(before) <= u32::MAX - n,
            "more than u32::MAX messages queued on one channel"
        );
    }

    /// Claims `n` available messages: they stay present until
    /// [`commit`](Count::commit) or [`roll_back`](Count::roll_back).
    /// `false` only if fewer than `n` are present (see [`take`](Count::take)).
    #[inline]
    pub(crate) fn claim(&self, n: u32) -> bool {
        self.take(self.load(), n, n as u64 * CLAIM)
    }

    /// [`claim`](Count::claim), reading the word afresh: for a caller that
    /// may be retrying after another thread changed it (a withdrawal that
    /// found every unit owed to a firing).
    #[inline]
    pub(crate) fn claim_fresh(&self, n: u32) -> bool {
        self.take(self.reload(), n, n as u64 * CLAIM)
    }

    /// Consumes `n` available messages at once. `false` only if fewer than
    /// `n` are present (see [`take`](Count::take)).
    #[inline]
    pub(crate) fn consume(&self, n: u32) -> bool {
        self.take(self.load(), n, 0)
    }

    /// Moves `n` messages out of `available`, adding `to_claimed` to the
    /// word (their claims, or nothing to consume them); `word` is the word
    /// as last read.
    ///
    /// While messages it needs are claimed by a reservation in progress, it
    /// waits for that reservation to commit or roll back (a few atomic steps)
    /// rather than report them missing: a `try_` call must not fail on a
    /// message that is there.
    #[inline]
    fn take(&self, mut word: u64, n: u32, to_claimed: u64) -> bool {
        let backoff = Backoff::new();
        loop {
            if available(word) < n {
                if present(word) < n {
                    return false;
                }
                backoff.snooze();
                word = self.reload();
                continue;
            }
            let new = word - n as u64 + to_claimed;
            match self.0.compare_exchange_weak(word, new, SeqCst, SeqCst) {
                Ok(_) => return true,
                Err(now) => word = now,
            }
            count(Event::CasFailure);
            backoff.spin();
        }
    }

    /// Consumes claimed messages.
    #[inline]
    pub(crate) fn commit(&self, n: u32) {
        self.0.fetch_sub(n as u64 * CLAIM, SeqCst);
    }

    /// Returns claimed messages to `available`.
    #[inline]
    pub(crate) fn roll_back(&self, n: u32) {
        self.0
            .fetch_add((n as u64).wrapping_sub(n as u64 * CLAIM), SeqCst);
    }
}
