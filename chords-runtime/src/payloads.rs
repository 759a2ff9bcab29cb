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
//!
//! A state channel's one message needs no queue either: it waits in a
//! [`Slot`].

use std::mem;

use crate::fifo::Fifo;
use crate::slot::Slot;

/// The messages of one asynchronous channel.
// Boxed once per channel (`Queue::Messages`): the size of a slot's variant
// costs nothing, and the FIFO's cache-padded ends stay inline.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Payloads<T> {
    /// Any number of messages, oldest first.
    Fifo(Fifo<T>),
    /// A state channel's one message.
    Slot(Slot<T>),
}

impl<T> Payloads<T> {
    const COUNTED: bool = mem::size_of::<T>() == 0;

    pub(crate) fn new() -> Self {
        Payloads::Fifo(Fifo::new())
    }

    /// The payloads of a state channel.
    pub(crate) fn state() -> Self {
        Payloads::Slot(Slot::new())
    }

    pub(crate) fn push(&self, value: T) {
        let fifo = match self {
            Payloads::Fifo(fifo) => fifo,
            Payloads::Slot(slot) => return slot.put(value),
        };
        if Self::COUNTED {
            // The channel's counter remembers it; `pop_reserved` makes it again.
            mem::forget(value);
        } else {
            fifo.push(value);
        }
    }

    pub(crate) fn pop_reserved(&self) -> T {
        let fifo = match self {
            Payloads::Fifo(fifo) => fifo,
            Payloads::Slot(slot) => return slot.take(),
        };
        if Self::COUNTED {
            // SAFETY: `T` is zero-sized, so any aligned non-null pointer is valid
            // for reading one. Each value made here stands for exactly one value
            // forgotten by `push` (the caller holds a reservation for it), so no
            // value is duplicated: a drop-counting `T` sees each drop once.
            unsafe { std::ptr::NonNull::<T>::dangling().as_ptr().read() }
        } else {
            fifo.pop_reserved()
        }
    }

    /// A clone of a state channel's message if its slot holds it now;
    /// `None` if it is empty, or not a slot.
    pub(crate) fn try_read(&self) -> Option<T>
    where
        T: Clone,
    {
        match self {
            Payloads::Fifo(_) => None,
            Payloads::Slot(slot) => slot.try_read(),
        }
    }

    /// A clone of a state channel's message, waiting while a firing holds
    /// it; `None` for a channel that is not one.
    pub(crate) fn read(&self) -> Option<T>
    where
        T: Clone,
    {
        match self {
            Payloads::Fifo(_) => None,
            Payloads::Slot(slot) => Some(slot.read()),
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
        if Self::COUNTED && matches!(self, Payloads::Fifo(_)) {
            for _ in 0..count {
                drop(self.pop_reserved());
            }
        }
    }
}
