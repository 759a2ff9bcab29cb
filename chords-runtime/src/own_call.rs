//! A thread's own call: a synchronous call whose thread reserved a chord for
//! it, or claimed one handed to it, and runs the chord's body itself
//! ([`Reserved::run`](crate::reserved::Reserved::run)).
//!
//! Its argument and result stay on the caller's stack, in an [`OwnCall`],
//! and it needs no waiter: the body's [`Reply`](crate::Reply) writes the
//! result and stores the call's *end word*. Most bodies answer before they
//! return, on the caller's own thread, so the whole reply is a write and a
//! store. Only when a body hands its reply to another thread and returns
//! first does the caller lend that reply a waiter to unpark it.
//!
//! The end word (who moves it):
//! - `PENDING`: the body runs, or the reply is elsewhere.
//! - `DONE`, `PANICKED`, `NO_REPLY`: the reply ended the call, after writing
//!   the result (a store on the caller's thread, which is running the body
//!   and so cannot be parked; a swap from any other thread).
//! - a waiter's address, counted as by [`Arc::into_raw`]: the caller found
//!   the call pending after the body returned and parks (CAS from
//!   `PENDING`). The reply's swap takes that count over and unparks it.
//!
//! The caller does not leave the call (its frame, and the cell with it)
//! while the word is `PENDING` or a waiter's, not even while unwinding from
//! a body that panicked with the reply sent away (see `Drop`); and the reply
//! touches the cell last in the store or swap that ends the call.

use std::ptr::NonNull;

use crate::stats::{count, Event};
use crate::sync::{Arc, AtomicUsize, Backoff, Ordering, UnsafeCell};
use crate::waiter::{thread_mark, Caller, Waiter, Wake};

const PENDING: usize = 0;
const DONE: usize = 1;
const PANICKED: usize = 2;
const NO_REPLY: usize = 3;

/// A thread's own call, on its stack: argument, result, and end word.
pub(crate) struct OwnCall<A, R> {
    arg: UnsafeCell<Option<A>>,
    answer: Answer<R>,
}

/// What a reply writes: the result, then the end word.
struct Answer<R> {
    result: UnsafeCell<Option<R>>,
    end: End,
}

/// The end word of an own call, and its thread's [`thread_mark`].
struct End {
    word: AtomicUsize,
    mark: usize,
}

/// An own call as the firing takes it: where its argument, result and end
/// word are, their types erased.
pub(crate) struct OwnTaken {
    arg: NonNull<()>,
    answer: OwnAnswer,
}

/// Where a reply to an own call writes: its caller's [`Answer`], the
/// result's type erased (one pointer, so that a [`Reply`](crate::Reply)
/// stays three words).
pub(crate) struct OwnAnswer(NonNull<()>);

// SAFETY: an `OwnAnswer` points into a caller's frame that outlives it (see
// the module docs); the result it carries is `Send` (the channel's result
// type), so it may be sent from another thread, as a reply may.
unsafe impl Send for OwnAnswer {}
// SAFETY: as for `OwnAnswer`; the argument is moved out on the firing's
// thread, which is the caller's.
unsafe impl Send for OwnTaken {}

impl<A, R> OwnCall<A, R> {
    /// A call with `arg`, not yet ended, on this thread.
    pub(crate) fn new(arg: A) -> Self {
        OwnCall {
            arg: UnsafeCell::new(Some(arg)),
            answer: Answer {
                result: UnsafeCell::new(None),
                end: End {
                    word: AtomicUsize::new(PENDING),
                    mark: thread_mark(),
                },
            },
        }
    }

    /// The call, for the firing that runs it. The call must stay where it
    /// is (a local of its caller, only borrowed) until it ends.
    pub(crate) fn taken(&self) -> OwnTaken {
        OwnTaken {
            arg: NonNull::from(&self.arg).cast(),
            answer: OwnAnswer(NonNull::from(&self.answer).cast()),
        }
    }

    /// Waits for the reply to end the call (it has, when the body answered
    /// before returning); returns the result, or how the reply failed.
    #[inline]
    pub(crate) fn finish(&self, chord: usize) -> Result<R, Wake> {
        let end = &self.answer.end;
        let word = match end.word.load(Ordering::Acquire) {
            PENDING => end.wait(),
            ended => ended,
        };
        match word {
            DONE => {
                // SAFETY: `DONE` was stored (Release) after the only write of
                // the result, and read here (Acquire); nobody touches the
                // cell after that.
                let result = (self.answer.result).with_mut(|result| unsafe { (*result).take() });
                Ok(result.expect("DONE without a result"))
            }
            PANICKED => Err(Wake::Panicked(chord)),
            _ => Err(Wake::NoReply(chord)),
        }
    }
}

impl<A, R> Drop for OwnCall<A, R> {
    fn drop(&mut self) {
        // Unwinding from a body that panicked after sending its reply
        // elsewhere: the reply still writes here.
        let end = &self.answer.end;
        if end.word.load(Ordering::Acquire) == PENDING {
            end.wait();
        }
    }
}

impl End {
    /// Waits until the word says the call ended (spins a little, then lends
    /// the reply a waiter and parks); returns it.
    #[cold]
    fn wait(&self) -> usize {
        let backoff = Backoff::new();
        loop {
            let word = self.word.load(Ordering::Acquire);
            if word != PENDING {
                return word;
            }
            if backoff.is_completed() {
                break;
            }
            backoff.snooze();
        }
        let caller = Caller::new();
        let waiter = Arc::into_raw(Arc::clone(caller.waiter()));
        if let Err(word) = self.word.compare_exchange(
            PENDING,
            waiter as usize,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            // SAFETY: the count from `into_raw` above was not handed over.
            drop(unsafe { Arc::from_raw(waiter) });
            return word;
        }
        loop {
            count(Event::Park);
            crate::executor::park(None);
            let word = self.word.load(Ordering::Acquire);
            if word != waiter as usize {
                return word;
            }
        }
    }

    /// Ends the call with `status`. The call is pending, and its word may
    /// go as soon as the store or swap here ends it.
    #[inline]
    fn end(&self, status: usize) {
        if self.mark == thread_mark() {
            // The caller's thread is running the body: it is not parked.
            self.word.store(status, Ordering::Release);
            return;
        }
        let parked = self.word.swap(status, Ordering::AcqRel);
        if parked != PENDING {
            // SAFETY: a word other than `PENDING` before ours is a waiter's
            // address with a count, lent by the caller (see `End::wait`);
            // the swap handed the count to us.
            let waiter = unsafe { Arc::from_raw(parked as *const Waiter) };
            count(Event::Unpark);
            waiter.unpark();
        }
    }
}

impl OwnTaken {
    /// Moves the argument out; returns it and where the reply goes.
    ///
    /// # Safety
    /// `A` and `R` are the call's argument and result types.
    #[inline]
    pub(crate) unsafe fn split<A>(self) -> (A, OwnAnswer) {
        let arg = self.arg.cast::<UnsafeCell<Option<A>>>();
        // SAFETY: the caller's frame is alive while its call is pending, and
        // only the firing that took the call touches its argument.
        let arg = unsafe { arg.as_ref() }.with_mut(|arg| unsafe { (*arg).take() });
        (arg.expect("argument taken twice"), self.answer)
    }
}

impl OwnAnswer {
    /// Writes `result`, if any, and ends the call: `DONE` with a result, else
    /// `PANICKED` if this thread is panicking, or `NO_REPLY`.
    ///
    /// # Safety
    /// `R` is the call's result type.
    #[inline]
    pub(crate) unsafe fn end<R>(self, result: Option<R>) {
        // SAFETY: the call is pending until the end below, so its caller's
        // frame is alive (see the module docs); `R` is its result type (our
        // caller's contract).
        let answer = unsafe { self.0.cast::<Answer<R>>().as_ref() };
        let status = match result {
            Some(value) => {
                // SAFETY: only this reply writes the result, and the caller
                // reads it only after the end word says `DONE`.
                (answer.result).with_mut(|cell| unsafe { *cell = Some(value) });
                DONE
            }
            None if std::thread::panicking() => PANICKED,
            None => NO_REPLY,
        };
        // A reply ends its call once: it is consumed here.
        answer.end.end(status);
    }
}
