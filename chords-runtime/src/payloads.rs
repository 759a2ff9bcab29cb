//! Where the messages of one channel wait: a multi-producer multi-consumer FIFO.
//!
//! The matcher never asks a queue whether it is empty: it pops only after it has
//! reserved a message in the channel's counter (see [`crate::matcher`]), and a
//! sender increments that counter only after its push has finished. So every pop
//! is owed an element; at worst it waits for a push that took its slot earlier
//! and is still writing it ([`Fifo::pop_reserved`] waits for it).
//!
//! Zero-sized payloads (`()`, marker types) need no queue at all: the counter is
//! the channel. [`Payloads`] forgets them on push and makes them again on pop, as
//! `Vec` does for zero-sized elements, so a lock or a semaphore is pure counting.

use std::mem;

use crate::fifo::Fifo;

/// The messages of one asynchronous channel.
pub(crate) struct Payloads<T> {
    fifo: Fifo<T>,
}

impl<T> Payloads<T> {
    const COUNTED: bool = mem::size_of::<T>() == 0;

    pub(crate) fn new() -> Self {
        Payloads { fifo: Fifo::new() }
    }

    pub(crate) fn push(&self, value: T) {
        if Self::COUNTED {
            // The channel's counter remembers it; `pop_reserved` makes it again.
            mem::forget(value);
        } else {
            self.fifo.push(value);
        }
    }

    pub(crate) fn pop_reserved(&self) -> T {
        if Self::COUNTED {
            // SAFETY: `T` is zero-sized, so any aligned non-null pointer is valid
            // for reading one. Each value made here stands for exactly one value
            // forgotten by `push` (the caller holds a reservation for it), so no
            // value is duplicated: a drop-counting `T` sees each drop once.
            unsafe { std::ptr::NonNull::<T>::dangling().as_ptr().read() }
        } else {
            self.fifo.pop_reserved()
        }
    }
}

/// A type-erased [`Payloads`], as a channel table holds it.
pub(crate) trait Store: Send + Sync {
    /// Drops `count` queued messages that only the counter remembers
    /// (zero-sized payloads). Queued values of other types drop with the queue.
    fn discard_counted(&self, count: usize);
}

impl<T: Send + 'static> Store for Payloads<T> {
    fn discard_counted(&self, count: usize) {
        if Self::COUNTED {
            for _ in 0..count {
                drop(self.pop_reserved());
            }
        }
    }
}
