//! The lock of Polyphonic C#: one token message, `free()`, that `acquire`
//! takes and the holder sends back.
//!
//! ```text
//! public Lock() { Release(); }
//! public void Acquire() & private async Release() { }
//! ```
//!
//! This module is the example's logic and is shared with `tests/example_lock.rs`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::thread;

use chords::chords;

/// A mutual-exclusion lock: `free()` is queued exactly when no one holds it.
///
/// Make one with [`Lock::new`]: `Lock::default()` has empty queues, which
/// for this lock means held, by no one.
#[chords(pub)]
impl Lock {
    /// Waits until the lock is free, and takes it.
    pub fn acquire(&self);
    /// Frees the lock; only its holder calls it, once per `acquire`.
    pub async fn free(&self);

    /// A new lock, free.
    pub fn new() -> Self {
        let lock = Self::default();
        lock.free();
        lock
    }

    #[chord(acquire() & free())]
    fn taken() {}

    /// Takes the lock until the returned guard is dropped.
    pub fn lock(&self) -> Held<'_> {
        self.acquire();
        Held { lock: self }
    }

    /// Takes the lock if it is free now, without waiting.
    pub fn try_lock(&self) -> Option<Held<'_>> {
        self.try_acquire().ok().map(|()| Held { lock: self })
    }
}

/// The lock, held until this guard is dropped (also while unwinding).
#[must_use = "the lock is freed when the guard is dropped"]
pub struct Held<'a> {
    lock: &'a Lock,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.lock.free();
    }
}

/// What [`count`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    /// The counter at the end.
    pub count: u64,
    /// The most threads ever inside the lock at once.
    pub most_inside: usize,
}

/// `threads` threads each add 1 to a shared counter `per_thread` times, each
/// addition under `lock`. The counter is read and written back as two steps
/// (with a yield between), so without mutual exclusion additions get lost.
pub fn count(lock: &Lock, threads: usize, per_thread: usize) -> Tally {
    let counter = AtomicU64::new(0);
    let inside = AtomicUsize::new(0);
    let most_inside = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    let _held = lock.lock();
                    let now = inside.fetch_add(1, SeqCst) + 1;
                    most_inside.fetch_max(now, SeqCst);
                    let read = counter.load(SeqCst);
                    thread::yield_now();
                    counter.store(read + 1, SeqCst);
                    inside.fetch_sub(1, SeqCst);
                }
            });
        }
    });
    Tally {
        count: counter.into_inner(),
        most_inside: most_inside.into_inner(),
    }
}
