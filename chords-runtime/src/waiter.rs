//! Synchronous calls: the parts of one call, and the word its caller waits on.
//!
//! The parts of a call (the glossary in the crate's source, `lib.rs`):
//! - its [`Slot`]: the argument and the result, on the caller's stack;
//! - its [`Waiter`]: what other threads see of the caller, a status word
//!   tagged with a *generation*, the slot's address and the thread to unpark.
//!   A thread reuses its waiter call after call (no allocation per call); the
//!   generation makes every stale queued call or reply for an earlier call
//!   harmless;
//! - its [`Caller`]: the calling thread's side, which lends the thread's
//!   waiter for the call, waits, and reads the result;
//! - a [`Call`]: the call as its channel's queue holds it (waiter and
//!   generation);
//! - a [`TakenCall`]: the call once a firing owns it; it becomes the body's
//!   [`Reply`].
//!
//! Status of a waiter (who moves it):
//! - `WAITING`: queued in its channel and counted there (the caller publishes it).
//! - `TAKEN`: a firing owns the call (a firing wins it by CAS from `WAITING`;
//!   the caller sets it directly when it reserves a chord itself).
//! - `HANDED`: a firing hands the caller a chord to run on its own thread.
//! - `DONE`: the reply is in the slot (the holder of the [`Reply`]).
//! - `PANICKED` / `NO_REPLY`: the firing's body panicked, or dropped the reply.
//! - `IDLE`: not in a call, or withdrawn by its caller (CAS from `WAITING`).
//!
//! Only the winner of `WAITING -> TAKEN` (or the caller in `TAKEN`) touches the
//! slot, and the caller does not return while its call is `TAKEN` or `HANDED`,
//! so the slot outlives every access to it.

use std::marker::PhantomData;
use std::time::Instant;

use crate::sync::{thread, Arc, AtomicPtr, AtomicU32, AtomicU64, Backoff, Ordering, UnsafeCell};

const STATUS_BITS: u32 = 3;
const STATUS_MASK: u64 = (1 << STATUS_BITS) - 1;

const IDLE: u64 = 0;
const WAITING: u64 = 1;
const TAKEN: u64 = 2;
const HANDED: u64 = 3;
const DONE: u64 = 5;
const PANICKED: u64 = 6;
const NO_REPLY: u64 = 7;

/// A synchronous call's argument and result, on the caller's stack.
pub(crate) struct Slot<A, R> {
    arg: UnsafeCell<Option<A>>,
    result: UnsafeCell<Option<R>>,
}

impl<A, R> Slot<A, R> {
    pub(crate) fn new(arg: A) -> Self {
        Slot {
            arg: UnsafeCell::new(Some(arg)),
            result: UnsafeCell::new(None),
        }
    }

    /// Takes the argument back. Only the caller calls this, while no firing
    /// owns the call (before publishing, after a withdrawal, or once a firing
    /// handed it a chord to run: `HANDED`).
    pub(crate) fn take_arg(&self) -> A {
        // SAFETY: the caller is the only thread that may touch its slot while
        // the call is not `TAKEN`/`HANDED`; the caller guarantees that.
        self.arg
            .with_mut(|arg| unsafe { (*arg).take() })
            .expect("the argument was taken twice")
    }

    /// Takes the result. Only the caller calls this, after it saw `DONE`.
    fn take_result(&self) -> R {
        // SAFETY: `DONE` was stored (Release) after the only write of the
        // result and read by the caller (Acquire); nobody writes it after that.
        self.result
            .with_mut(|result| unsafe { (*result).take() })
            .expect("DONE without a result")
    }
}

/// The shared part of a synchronous caller.
pub(crate) struct Waiter {
    state: AtomicU64,
    chord: AtomicU32,
    arg: AtomicPtr<()>,
    result: AtomicPtr<()>,
    thread: thread::Thread,
}

/// What the caller of a call found when it woke.
pub(crate) enum Wake {
    /// A firing handed this call a chord, to run on the caller's thread.
    HandedOver(usize),
    /// The reply is in the slot.
    Done,
    /// The body of this chord panicked on another thread.
    Panicked(usize),
    /// The body of this chord dropped the reply without sending it.
    NoReply(usize),
    /// The deadline passed while the call was still queued.
    TimedOut,
}

impl Waiter {
    fn new() -> Self {
        Waiter {
            state: AtomicU64::new(IDLE),
            chord: AtomicU32::new(0),
            arg: AtomicPtr::new(std::ptr::null_mut()),
            result: AtomicPtr::new(std::ptr::null_mut()),
            thread: thread::current(),
        }
    }

    /// Starts a new call on this waiter: points it at `slot` and enters
    /// `status` (`WAITING` to be queued, `TAKEN` when the caller fires a chord
    /// itself). Returns the call's generation.
    fn begin<A, R>(&self, slot: &Slot<A, R>, status: u64) -> u64 {
        self.arg
            .store(&slot.arg as *const _ as *mut (), Ordering::Relaxed);
        self.result
            .store(&slot.result as *const _ as *mut (), Ordering::Relaxed);
        let generation = (self.state.load(Ordering::Relaxed) >> STATUS_BITS) + 1;
        self.state
            .store(generation << STATUS_BITS | status, Ordering::Release);
        generation
    }

    /// Publishes `word` (a status with its generation) and wakes the caller.
    fn signal(&self, word: u64) {
        self.state.store(word, Ordering::Release);
        self.thread.unpark();
    }

    /// Waits for the call of generation `generation` to move on. With a deadline,
    /// returns [`Wake::TimedOut`] once it has passed and the call is still queued.
    pub(crate) fn wait(&self, generation: u64, deadline: Option<Instant>) -> Wake {
        let backoff = Backoff::new();
        loop {
            let word = self.state.load(Ordering::Acquire);
            debug_assert_eq!(word >> STATUS_BITS, generation);
            let chord = || self.chord.load(Ordering::Relaxed) as usize;
            match word & STATUS_MASK {
                HANDED => return Wake::HandedOver(chord()),
                DONE => return Wake::Done,
                PANICKED => return Wake::Panicked(chord()),
                NO_REPLY => return Wake::NoReply(chord()),
                status => {
                    if !backoff.is_completed() {
                        backoff.snooze();
                        continue;
                    }
                    match deadline {
                        // A queued call may give up at its deadline; one that a
                        // firing owns waits for its reply, which always comes.
                        Some(deadline) if status == WAITING => {
                            let now = Instant::now();
                            if cfg!(loom) || now >= deadline {
                                return Wake::TimedOut;
                            }
                            park_until(now, deadline);
                        }
                        _ => thread::park(),
                    }
                }
            }
        }
    }

    /// Withdraws a queued call: `WAITING -> IDLE`. Fails if a firing took it.
    pub(crate) fn withdraw(&self, generation: u64) -> bool {
        self.state
            .compare_exchange(
                generation << STATUS_BITS | WAITING,
                generation << STATUS_BITS | IDLE,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Whether the call of generation `generation` is still queued.
    pub(crate) fn is_waiting(&self, generation: u64) -> bool {
        self.state.load(Ordering::Acquire) == generation << STATUS_BITS | WAITING
    }
}

#[cfg(not(loom))]
fn park_until(now: Instant, deadline: Instant) {
    thread::park_timeout(deadline.saturating_duration_since(now));
}

#[cfg(loom)]
fn park_until(_now: Instant, _deadline: Instant) {
    // loom has no clock: `wait` times out at its first look instead.
    unreachable!()
}

/// A thread's waiter, lent for one call and given back after it.
pub(crate) struct Caller {
    waiter: Option<Arc<Waiter>>,
}

#[cfg(not(loom))]
thread_local! {
    static SPARE: std::cell::Cell<Option<Arc<Waiter>>> = const { std::cell::Cell::new(None) };
}

impl Caller {
    /// Borrows this thread's waiter (a new one when a call is nested in a body).
    pub(crate) fn new() -> Self {
        #[cfg(not(loom))]
        let waiter = SPARE
            .try_with(|spare| spare.take())
            .ok()
            .flatten()
            .unwrap_or_else(|| Arc::new(Waiter::new()));
        #[cfg(loom)]
        let waiter = Arc::new(Waiter::new());
        Caller {
            waiter: Some(waiter),
        }
    }

    pub(crate) fn waiter(&self) -> &Arc<Waiter> {
        self.waiter
            .as_ref()
            .expect("the waiter is lent to this call")
    }

    /// Starts a queued call; returns the call to push and its generation.
    pub(crate) fn publish<A, R>(&self, slot: &Slot<A, R>) -> (Call, u64) {
        let waiter = self.waiter();
        let generation = waiter.begin(slot, WAITING);
        let call = Call {
            waiter: Arc::clone(waiter),
            generation,
        };
        (call, generation)
    }

    /// Starts a call whose thread reserved a chord for it: already taken.
    pub(crate) fn own<A, R>(&self, slot: &Slot<A, R>) -> (TakenCall, u64) {
        let waiter = self.waiter();
        let generation = waiter.begin(slot, TAKEN);
        let taken = TakenCall {
            waiter: Arc::clone(waiter),
            generation,
        };
        (taken, generation)
    }

    /// Takes the result of a call that ended `DONE`.
    pub(crate) fn result<A, R>(&self, slot: &Slot<A, R>) -> R {
        slot.take_result()
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        if let Some(waiter) = self.waiter.take() {
            let _ = SPARE.try_with(|spare| spare.set(Some(waiter)));
        }
    }
}

/// A queued synchronous call, as its channel's queue holds it.
#[derive(Clone)]
pub(crate) struct Call {
    waiter: Arc<Waiter>,
    generation: u64,
}

impl Call {
    /// Whether the call still waits: neither taken by a firing nor withdrawn.
    /// Once it does not, it never does again.
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiter.is_waiting(self.generation)
    }

    /// Whether this is the call `generation` of `waiter`.
    pub(crate) fn is(&self, waiter: &Waiter, generation: u64) -> bool {
        std::ptr::eq(&*self.waiter, waiter) && self.generation == generation
    }

    /// Claims the call for a firing. `None` if it no longer waits: another
    /// firing took it, or its caller withdrew it (the waiter may be on a later
    /// call by now).
    pub(crate) fn take(self) -> Option<TakenCall> {
        let generation = self.generation;
        self.waiter
            .state
            .compare_exchange(
                generation << STATUS_BITS | WAITING,
                generation << STATUS_BITS | TAKEN,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .ok()
            .map(|_| TakenCall {
                waiter: self.waiter,
                generation,
            })
    }
}

/// A synchronous call owned by a firing.
pub(crate) struct TakenCall {
    waiter: Arc<Waiter>,
    generation: u64,
}

impl TakenCall {
    /// Hands the caller `chord` to run on its own thread.
    pub(crate) fn hand_over(self, chord: usize) {
        self.waiter.chord.store(chord as u32, Ordering::Relaxed);
        self.waiter.signal(self.generation << STATUS_BITS | HANDED);
    }

    /// Moves the argument out and returns the handle that will carry the reply.
    ///
    /// # Safety
    /// `A` and `R` must be the argument and result types of the call's channel.
    pub(crate) unsafe fn split<A, R>(self, chord: usize) -> (A, Reply<R>) {
        let arg = self.waiter.arg.load(Ordering::Relaxed) as *const UnsafeCell<Option<A>>;
        // SAFETY: the call is `TAKEN` by this firing, so its caller is parked on
        // it and its slot is alive; the caller vouches for the type; nobody else
        // touches the argument of a taken call.
        let arg = unsafe { (*arg).with_mut(|arg| (*arg).take()) }.expect("argument taken twice");
        let reply = Reply {
            taken: Some(self),
            chord: chord as u32,
            _result: PhantomData,
        };
        (arg, reply)
    }
}

/// Carries the result of a synchronous call back to its caller.
///
/// A chord's body gets one `Reply` for each synchronous message it consumed and
/// must [`send`](Reply::send) it once. A reply that is dropped unsent wakes the
/// caller with a panic that names the chord (the chord panicked, or forgot to
/// reply); a reply may also be sent later, from another thread.
///
/// ```
/// // A rendezvous: two callers meet, and the body answers each with the other's value.
/// let mut b = chords_runtime::Join::builder();
/// let left = b.synchronous::<&str, &str>("left");
/// let right = b.synchronous::<&str, &str>("right");
/// b.when(left).and(right).then(|((l, to_left), (r, to_right))| {
///     to_left.send(r);
///     to_right.send(l);
/// });
/// let join = b.build().unwrap();
/// let j = join.clone();
/// let t = std::thread::spawn(move || j.call(left, "from left"));
/// assert_eq!(join.call(right, "from right"), "from left");
/// assert_eq!(t.join().unwrap(), "from right");
/// ```
pub struct Reply<R> {
    taken: Option<TakenCall>,
    chord: u32,
    _result: PhantomData<fn(R)>,
}

impl<R> Reply<R> {
    /// Sends `value` to the waiting caller, which returns it from its call.
    pub fn send(mut self, value: R) {
        let taken = self.taken.take().expect("a reply is sent once");
        let result = taken.waiter.result.load(Ordering::Relaxed) as *const UnsafeCell<Option<R>>;
        // SAFETY: the call is still `TAKEN` (only this reply ends it), so the
        // caller waits and its slot is alive; `R` is the channel's result type
        // (`TakenCall::split`'s contract); the caller reads it only after `DONE`.
        unsafe { (*result).with_mut(|result| *result = Some(value)) };
        taken.waiter.signal(taken.generation << STATUS_BITS | DONE);
    }
}

impl<R> Drop for Reply<R> {
    fn drop(&mut self) {
        if let Some(taken) = self.taken.take() {
            let status = if std::thread::panicking() {
                PANICKED
            } else {
                NO_REPLY
            };
            taken.waiter.chord.store(self.chord, Ordering::Relaxed);
            taken
                .waiter
                .signal(taken.generation << STATUS_BITS | status);
        }
    }
}

impl<R> std::fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("sent", &self.taken.is_none())
            .finish()
    }
}
