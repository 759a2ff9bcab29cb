//! The counting semaphore of Polyphonic C#: one `permit()` message per free
//! permit; `acquire` takes one, `release` sends one back.
//!
//! ```text
//! public Semaphore(int n) { for (int i = 0; i < n; i++) Release(); }
//! public void Acquire() & private async Release() { }
//! ```
//!
//! This module is the example's logic and is shared with
//! `tests/example_semaphore.rs`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use chords::chords;

/// A counting semaphore: as many `permit()` messages queued as free permits.
///
/// Make one with [`Semaphore::new`]: `Semaphore::default()` has no permit.
#[chords(pub)]
impl Semaphore {
    /// Waits until a permit is free, and takes it.
    pub fn acquire(&self);
    /// A free permit.
    async fn permit(&self);

    /// A semaphore with `permits` free permits.
    pub fn new(permits: usize) -> Self {
        let s = Self::default();
        (0..permits).for_each(|_| s.permit());
        s
    }

    #[chord(acquire() & permit())]
    fn granted() {}

    /// Gives a permit back (or adds one: nothing checks that it was taken).
    pub fn release(&self) {
        self.permit();
    }

    /// Takes a permit until the returned guard is dropped.
    pub fn hold(&self) -> Held<'_> {
        self.acquire();
        Held { semaphore: self }
    }
}

/// A permit of the semaphore, given back when this guard is dropped.
#[must_use = "the permit is given back when the guard is dropped"]
pub struct Held<'a> {
    semaphore: &'a Semaphore,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

/// What [`crowd`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// Entries in all, one per permit taken.
    pub entries: usize,
    /// The most threads ever holding a permit at once.
    pub most_inside: usize,
}

/// `threads` threads each take a permit of `semaphore` `rounds` times, calling
/// `inside(now)` while they hold it (`now`: how many hold one, this thread
/// included), and give it back.
pub fn crowd(
    semaphore: &Semaphore,
    threads: usize,
    rounds: usize,
    inside: &(dyn Fn(usize) + Sync),
) -> Tally {
    let holders = AtomicUsize::new(0);
    let entries = AtomicUsize::new(0);
    let most_inside = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..rounds {
                    let _permit = semaphore.hold();
                    let now = holders.fetch_add(1, SeqCst) + 1;
                    most_inside.fetch_max(now, SeqCst);
                    entries.fetch_add(1, SeqCst);
                    inside(now);
                    thread::yield_now();
                    holders.fetch_sub(1, SeqCst);
                }
            });
        }
    });
    Tally {
        entries: entries.into_inner(),
        most_inside: most_inside.into_inner(),
    }
}
