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
//!
//! A channel that a guarded chord reads (see the `search` module) keeps its
//! messages in a locked deque instead, so that a search can look at every
//! one and take any: [`Searched`].

use std::any::Any;
use std::collections::VecDeque;
use std::mem;

use crate::fifo::Fifo;
use crate::slot::{Slot, SECOND_MESSAGE};
use crate::sync::{Backoff, Mutex, MutexGuard};

/// The messages of one asynchronous channel.
// Boxed once per channel (`Queue::Messages`): the size of a slot's variant
// costs nothing, and the FIFO's cache-padded ends stay inline.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Payloads<T> {
    /// Any number of messages, oldest first.
    Fifo(Fifo<T>),
    /// Messages held otherwise: a state channel's, or a searched channel's.
    Held(Held<T>),
}

/// Messages not in a FIFO. (Apart from it, so that matching the FIFO, the
/// common case, costs one test, as with two kinds of payloads.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum Held<T> {
    /// A state channel's one message.
    Slot(Slot<T>),
    /// The messages of a channel that a guarded chord searches.
    Searched(Searched<T>),
}

/// The messages of a searched channel, oldest first, under a lock.
pub(crate) struct Searched<T> {
    queue: Mutex<VecDeque<T>>,
    /// Whether it is a state channel's (at most one message).
    state: bool,
}

// Out of line: the paths of other channels stay as small as they were.
impl<T> Searched<T> {
    fn lock(&self) -> MutexGuard<'_, VecDeque<T>> {
        // A guard that panicked left the deque as it was: it only reads.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cold]
    #[inline(never)]
    fn push(&self, value: T) {
        let mut queue = self.lock();
        if self.state && !queue.is_empty() {
            std::panic::panic_any(SECOND_MESSAGE);
        }
        queue.push_back(value);
    }

    #[cold]
    #[inline(never)]
    fn pop(&self) -> T {
        // Pushed whole under the lock before it was counted.
        self.lock().pop_front().expect("a reserved message")
    }
}

impl<T> Payloads<T> {
    const COUNTED: bool = mem::size_of::<T>() == 0;

    pub(crate) fn new() -> Self {
        Payloads::Fifo(Fifo::new())
    }

    /// The payloads of a state channel.
    pub(crate) fn state() -> Self {
        Payloads::Held(Held::Slot(Slot::new()))
    }

    #[inline(always)]
    pub(crate) fn push(&self, value: T) {
        let fifo = match self {
            Payloads::Fifo(fifo) => fifo,
            Payloads::Held(Held::Slot(slot)) => return slot.put(value),
            Payloads::Held(Held::Searched(searched)) => return searched.push(value),
        };
        if Self::COUNTED {
            // The channel's counter remembers it; `pop_reserved` makes it again.
            mem::forget(value);
        } else {
            fifo.push(value);
        }
    }

    #[inline(always)]
    pub(crate) fn pop_reserved(&self) -> T {
        let fifo = match self {
            Payloads::Fifo(fifo) => fifo,
            Payloads::Held(Held::Slot(slot)) => return slot.take(),
            Payloads::Held(Held::Searched(searched)) => return searched.pop(),
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
            Payloads::Held(Held::Slot(slot)) => slot.try_read(),
            Payloads::Held(Held::Searched(searched)) if searched.state => {
                searched.lock().front().cloned()
            }
            Payloads::Held(Held::Searched(_)) => None,
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
            Payloads::Held(Held::Slot(slot)) => Some(slot.read()),
            Payloads::Held(Held::Searched(searched)) if searched.state => {
                let backoff = Backoff::new();
                loop {
                    if let Some(value) = searched.lock().front() {
                        return Some(value.clone());
                    }
                    backoff.snooze();
                }
            }
            Payloads::Held(Held::Searched(_)) => None,
        }
    }
}

/// A searched channel's messages under its lock, seen without their type.
pub(crate) trait Locked {
    /// How many messages it holds.
    fn len(&self) -> usize;
    /// The `i`-th oldest.
    fn get(&self, i: usize) -> &(dyn Any + Send);
    /// Takes the `i`-th oldest out.
    fn remove(&mut self, i: usize) -> Box<dyn Any + Send>;
}

/// A type-erased [`Payloads`], as a channel table holds it.
pub(crate) trait Store: Send + Sync {
    /// Drops `count` queued messages that only the counter remembers
    /// (zero-sized payloads). Queued values of other types drop with the queue.
    fn discard_counted(&self, count: usize);
    /// The same channel's payloads made searchable (see [`Searched`]),
    /// for a channel that a guarded chord reads; made before any message.
    fn searched(&self) -> Box<dyn Store>;
    /// Its messages, locked for a search; `None` unless it is searched.
    fn lock(&self) -> Option<Box<dyn Locked + '_>>;
    /// Puts messages a firing took but will not run back in front of the
    /// queue, oldest first (their count is the caller's to restore).
    fn put_back(&self, messages: Vec<Box<dyn Any + Send>>);
}

impl<T: Send + 'static> Store for Payloads<T> {
    fn discard_counted(&self, count: usize) {
        if Self::COUNTED && matches!(self, Payloads::Fifo(_)) {
            for _ in 0..count {
                drop(self.pop_reserved());
            }
        }
    }

    fn searched(&self) -> Box<dyn Store> {
        Box::new(Payloads::Held(Held::Searched(Searched {
            queue: Mutex::new(VecDeque::<T>::new()),
            state: matches!(self, Payloads::Held(Held::Slot(_))),
        })))
    }

    fn lock(&self) -> Option<Box<dyn Locked + '_>> {
        match self {
            Payloads::Held(Held::Searched(searched)) => Some(Box::new(searched.lock())),
            _ => None,
        }
    }

    fn put_back(&self, messages: Vec<Box<dyn Any + Send>>) {
        let Payloads::Held(Held::Searched(searched)) = self else {
            unreachable!("only a searched channel's messages are picked")
        };
        let mut queue = searched.lock();
        for message in messages.into_iter().rev() {
            queue.push_front(*message.downcast::<T>().expect("channel type mismatch"));
        }
    }
}

impl<T: Send + 'static> Locked for MutexGuard<'_, VecDeque<T>> {
    fn len(&self) -> usize {
        VecDeque::len(self)
    }

    fn get(&self, i: usize) -> &(dyn Any + Send) {
        &self[i]
    }

    fn remove(&mut self, i: usize) -> Box<dyn Any + Send> {
        Box::new(VecDeque::remove(self, i).expect("a message the search found"))
    }
}
