//! Where a state channel's one message waits: a slot, not a queue.
//!
//! A state channel holds exactly one message once its join is built, and
//! every chord that consumes it sends it again (docs/reference.md, *State
//! channels*). So its messages need no FIFO: one cell and one word, `EMPTY`,
//! `FULL`, or `BUSY` while one thread writes, takes or reads the value.
//!
//! - **put** (a send): `EMPTY -> BUSY`, write, `FULL`. Finding the slot not
//!   empty means a second message was sent while one is held: the caller
//!   broke the channel's rule, and `put` panics before touching the value.
//! - **take** (a firing's pop): `FULL -> BUSY`, move the value out, `EMPTY`.
//!   A firing pops only a message it reserved, counted after its put ended
//!   (see [`crate::matcher`]), so the slot is full or a reader holds it for a
//!   clone: take waits for that.
//! - **read** (`Join::read`): `FULL -> BUSY`, clone, `FULL` again (also if
//!   the clone panics). While a firing holds the message, the slot is empty:
//!   the read waits until the firing's body sends it back.

use std::mem::MaybeUninit;

use crate::sync::{
    AtomicU32, Backoff,
    Ordering::{AcqRel, Acquire, Release},
    UnsafeCell,
};

const EMPTY: u32 = 0;
const FULL: u32 = 1;
const BUSY: u32 = 2;

/// The one message of a state channel, or none while a firing holds it.
pub(crate) struct Slot<T> {
    state: AtomicU32,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: the value is reached only by the thread that moved the state word
// to `BUSY` (a put, a take, or a read, which only clones through `&T`), so it
// is sent between threads (`T: Send`) and read by one at a time.
unsafe impl<T: Send> Send for Slot<T> {}
// SAFETY: as above: one thread at a time, by the `BUSY` state.
unsafe impl<T: Send> Sync for Slot<T> {}

/// The panic of a state channel sent a second message (a `&str`
/// payload, as a panic with a literal message has).
pub(crate) const SECOND_MESSAGE: &str =
    "a state channel holds exactly one message: it was sent another while it held one \
     (only the chord that consumed it sends it again, once)";

impl<T> Slot<T> {
    pub(crate) fn new() -> Self {
        Slot {
            state: AtomicU32::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Moves the state word from `FULL` to `BUSY`, waiting while it is
    /// empty or another thread holds it.
    fn hold_full(&self) {
        let backoff = Backoff::new();
        while self
            .state
            .compare_exchange_weak(FULL, BUSY, Acquire, Acquire)
            .is_err()
        {
            backoff.snooze();
        }
    }

    /// Holds `value`.
    ///
    /// # Panics
    /// If the slot holds a message already: a state channel was sent a
    /// second one.
    pub(crate) fn put(&self, value: T) {
        if self
            .state
            .compare_exchange(EMPTY, BUSY, Acquire, Acquire)
            .is_err()
        {
            std::panic::panic_any(SECOND_MESSAGE);
        }
        // SAFETY: `BUSY` is ours, and the slot was empty: nothing to drop.
        self.value.with_mut(|cell| unsafe { (*cell).write(value) });
        self.state.store(FULL, Release);
    }

    /// Moves the message out; waits while a reader clones it.
    pub(crate) fn take(&self) -> T {
        self.hold_full();
        // SAFETY: `BUSY` is ours and the slot was full: the value is
        // initialized, and marking it empty below forgets it.
        let value = self
            .value
            .with_mut(|cell| unsafe { (*cell).assume_init_read() });
        self.state.store(EMPTY, Release);
        value
    }

    /// A clone of the message; waits while a firing holds it.
    pub(crate) fn read(&self) -> T
    where
        T: Clone,
    {
        self.hold_full();
        self.clone_held()
    }

    /// A clone of the message if the slot holds it now (waiting only while
    /// another reader clones it); `None` if it is empty.
    pub(crate) fn try_read(&self) -> Option<T>
    where
        T: Clone,
    {
        let backoff = Backoff::new();
        loop {
            match self
                .state
                .compare_exchange_weak(FULL, BUSY, Acquire, Acquire)
            {
                Ok(_) => return Some(self.clone_held()),
                Err(EMPTY) => return None,
                Err(_) => backoff.snooze(),
            }
        }
    }

    /// Clones the value under `BUSY`, then marks the slot full again.
    fn clone_held(&self) -> T
    where
        T: Clone,
    {
        /// Marks the slot full again, even if the clone panics.
        struct Refill<'a>(&'a AtomicU32);
        impl Drop for Refill<'_> {
            fn drop(&mut self) {
                self.0.store(FULL, Release);
            }
        }
        let _refill = Refill(&self.state);
        // SAFETY: `BUSY` is ours and the slot was full: the value is
        // initialized, and only shared for the clone.
        self.value
            .with_mut(|cell| unsafe { (*cell).assume_init_ref().clone() })
    }
}

impl<T> Drop for Slot<T> {
    fn drop(&mut self) {
        if self
            .state
            .compare_exchange(FULL, EMPTY, AcqRel, Acquire)
            .is_ok()
        {
            // SAFETY: the slot was full and is ours alone (`&mut self`).
            self.value
                .with_mut(|cell| unsafe { (*cell).assume_init_drop() });
        }
    }
}
