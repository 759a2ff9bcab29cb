//! Synchronous calls: the parts of one call, and the word its caller waits on.
//!
//! The parts of a call (the glossary in the crate's source, `lib.rs`):
//! - its [`Slot`]: the argument and the result, on the caller's stack;
//! - its [`Waiter`]: what other threads see of the caller, a status word
//!   tagged with a *generation*, the slot's address, and whom to wake: a
//!   parked thread, or a task's `Waker`. Waiters are reused call after call
//!   (a thread's own, or one from a per-thread pool for futures: no
//!   allocation per call); the generation makes every stale queued call or
//!   reply for an earlier call harmless;
//! - its [`Caller`]: the calling side, which borrows a waiter for the call,
//!   waits, and reads the result;
//! - a [`Call`]: the call as its channel's queue holds it (waiter and
//!   generation);
//! - a [`TakenCall`]: the call once a firing owns it; it becomes the body's
//!   [`Reply`].
//!
//! A thread's call that runs its chord's body itself (an *own call*) has no
//! waiter: its reply writes to its stack (`own_call.rs`). A [`Reply`] goes to
//! one or the other.
//!
//! Status of a waiter (who moves it):
//! - `WAITING`: queued in its channel and counted there (the caller publishes it).
//! - `TAKEN`: a firing owns the call (a firing wins it by CAS from `WAITING`;
//!   the caller sets it directly when it reserves a chord itself).
//! - `HANDING`, `HANDED`: a firing hands the caller a chord to run on its own
//!   thread (CAS from `WAITING` to `HANDING`, then it names the chord and
//!   stores `HANDED`). The call stays in its queue, in its place, until its
//!   caller claims the chord (CAS `HANDED -> TAKEN`). Until then a thread's
//!   call may be *robbed*: a caller of the same channel that has not queued
//!   takes the chord (CAS `HANDED -> ROBBING`, reads the chord, stores
//!   `WAITING`), and the robbed call waits again where it was.
//! - `CLAIMING`: a firing claimed the call as a partner, tentatively (CAS
//!   from `WAITING`): it claims all its partner calls before it takes any
//!   message (`partners.rs`), and then keeps them (`CLAIMED`), puts them
//!   back (`WAITING`, waking the caller to look again), or refuses one that
//!   is a *ghost*.
//! - `CLAIMED`: a firing claimed it for good; one of its terms takes it
//!   (CAS to `TAKEN`), still in its queue meanwhile.
//! - `REFUSED`: the call was a branch of a choice that another branch won
//!   (a ghost, see `offer.rs`): a firing that claimed it, or was about to
//!   hand it a chord, consumed it unused; its argument is still the
//!   caller's.
//! - `RUNNING`: the firing moved the argument out; its body runs. (A task's
//!   call only: a thread's stays `TAKEN`.)
//! - `WRITING`: the firing's [`Reply`] writes the result (CAS from
//!   `RUNNING`; a task's call only).
//! - `DONE`: the reply is in the slot.
//! - `PANICKED` / `NO_REPLY`: the firing's body panicked, or dropped the reply.
//! - `IDLE`: not in a call, or withdrawn by its caller (CAS from `WAITING`).
//!
//! A thread does not return while its call is `TAKEN`, `CLAIMING`,
//! `CLAIMED`, `HANDED`, `RUNNING` or `WRITING`, so its slot (and its
//! choice's offer) outlives every access to it. A future may be dropped at
//! any of those points; its slot goes with it. So no firing reads or writes
//! a slot without owning the call by a CAS, and a dropped future:
//! - `TAKEN`, `CLAIMING`, `CLAIMED`, `WRITING`: waits; a firing moves the
//!   argument out (`RUNNING`), puts the call back or refuses it, or writes
//!   the result (`DONE`), in a few steps without user code;
//! - `RUNNING`: marks the call `ORPHAN` (CAS): the reply drops the result;
//! - `WAITING`, promised to a firing (its count taken): moves its argument to
//!   the heap under `MOVING` (CAS) and leaves the call `WAITING | ORPHAN`,
//!   for the firing to take. A firing handing a chord to an orphan gives the
//!   chord's messages back instead; a firing that claims an orphaned branch
//!   of a choice refuses it (it is a ghost, see `offer.rs`).
//!
//! An orphaned waiter is never reused: its last call is still queued.

use std::any::Any;

use std::marker::PhantomData;
use std::task::Waker;
use std::time::Instant;

use crate::atomic_waker::AtomicWaker;
use crate::offer::Offer;
use crate::own_call::{OwnAnswer, OwnTaken};
use crate::stats::{count, Event};
use crate::sync::{thread, Arc, AtomicPtr, AtomicU32, AtomicU64, Backoff, Ordering, UnsafeCell};

const STATUS_BITS: u32 = 5;
const STATUS_MASK: u64 = 0b1111;
/// Flag: the caller's future was dropped while a firing still needed the call.
const ORPHAN: u64 = 0b1_0000;

const IDLE: u64 = 0;
const WAITING: u64 = 1;
const TAKEN: u64 = 2;
const HANDED: u64 = 3;
const RUNNING: u64 = 4;
const WRITING: u64 = 5;
const MOVING: u64 = 6;
const DONE: u64 = 7;
const PANICKED: u64 = 8;
const NO_REPLY: u64 = 9;
const HANDING: u64 = 10;
const ROBBING: u64 = 11;
const CLAIMING: u64 = 12;
const REFUSED: u64 = 13;
const CLAIMED: u64 = 14;

fn word(generation: u64, status: u64) -> u64 {
    generation << STATUS_BITS | status
}

/// A synchronous call's argument and result: on the caller's stack, or in
/// its future.
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

    /// A slot for an argument still to come ([`put_arg`](Slot::put_arg)).
    pub(crate) fn empty() -> Self {
        Slot {
            arg: UnsafeCell::new(None),
            result: UnsafeCell::new(None),
        }
    }

    /// Takes the argument back. Only the caller calls this, while no firing
    /// owns the call (before publishing, after a withdrawal, or once a firing
    /// handed it a chord to run: `HANDED`).
    pub(crate) fn take_arg(&self) -> A {
        self.arg_left().expect("the argument was taken twice")
    }

    /// Takes the argument back if it is still here: a choice's branch that
    /// did not fire. As [`take_arg`](Slot::take_arg), only the caller calls
    /// this, while no firing owns the call.
    pub(crate) fn arg_left(&self) -> Option<A> {
        // SAFETY: the caller is the only thread that may touch its slot while
        // the call is not `TAKEN`/`HANDED`; the caller guarantees that.
        self.arg.with_mut(|arg| unsafe { (*arg).take() })
    }

    /// Puts the argument in, for a new call.
    pub(crate) fn put_arg(&self, value: A) {
        // SAFETY: only the caller calls this, before it publishes the call.
        self.arg.with_mut(|arg| unsafe { *arg = Some(value) });
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

/// Whom a waiter wakes.
enum Target {
    /// A thread parked in [`Waiter::wait`].
    Thread(thread::Thread),
    /// A task whose future polls the waiter.
    Task(AtomicWaker),
}

/// The shared part of a synchronous caller.
pub(crate) struct Waiter {
    state: AtomicU64,
    chord: AtomicU32,
    arg: AtomicPtr<()>,
    result: AtomicPtr<()>,
    target: Target,
    /// The offer of the choice whose branch the call is, if it is one
    /// (`offer.rs`), and the branch: set before the call is published. A
    /// firing reads the offer only while it holds the call (`CLAIMING` or
    /// `HANDING`), which its chooser waits out; never an orphan's.
    offer: AtomicPtr<Offer>,
    branch: AtomicU32,
    /// An orphaned call's argument: written under `MOVING` by the caller,
    /// taken by the one thread whose CAS takes or withdraws the orphan.
    orphan: UnsafeCell<Option<Box<dyn Any + Send>>>,
}

// SAFETY: every field but `orphan` is an atomic or `Send + Sync`; `orphan`
// (`Send`) is touched by one thread at a time, as the status word arbitrates
// (see the module docs).
unsafe impl Send for Waiter {}
// SAFETY: as for `Send`.
unsafe impl Sync for Waiter {}

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
    /// The call was a branch of a choice that another branch won, and a
    /// firing consumed it unused: its argument is still the caller's.
    Refused,
}

#[cfg(not(loom))]
std::thread_local! {
    static MARK: u8 = const { 0 };
}
#[cfg(loom)]
loom::thread_local! {
    static MARK: u8 = 0;
}

/// The address of a per-thread variable: it tells the running thread from
/// every other thread alive (cheaper than asking for a `ThreadId`).
#[inline]
pub(crate) fn thread_mark() -> usize {
    MARK.with(|mark| mark as *const u8 as usize)
}

impl Target {
    /// The running thread.
    fn thread() -> Self {
        Target::Thread(thread::current())
    }
}

impl Waiter {
    fn new(target: Target) -> Self {
        Waiter {
            state: AtomicU64::new(IDLE),
            chord: AtomicU32::new(0),
            arg: AtomicPtr::new(std::ptr::null_mut()),
            result: AtomicPtr::new(std::ptr::null_mut()),
            target,
            offer: AtomicPtr::new(std::ptr::null_mut()),
            branch: AtomicU32::new(0),
            orphan: UnsafeCell::new(None),
        }
    }

    fn load(&self) -> u64 {
        self.state.load(Ordering::Acquire)
    }

    /// Starts a new call on this waiter: points it at `slot` and enters
    /// `status` (`WAITING` to be queued, `TAKEN` when the caller reserves a
    /// chord itself). Returns the call's generation.
    fn begin<A, R>(&self, slot: &Slot<A, R>, status: u64, offer: Option<(&Offer, u32)>) -> u64 {
        let (offer, branch) = offer.map_or((std::ptr::null(), 0), |(o, b)| (o as *const Offer, b));
        self.offer.store(offer.cast_mut(), Ordering::Relaxed);
        self.branch.store(branch, Ordering::Relaxed);
        self.arg
            .store(&slot.arg as *const _ as *mut (), Ordering::Relaxed);
        self.result
            .store(&slot.result as *const _ as *mut (), Ordering::Relaxed);
        let generation = (self.state.load(Ordering::Relaxed) >> STATUS_BITS) + 1;
        self.state
            .store(word(generation, status), Ordering::Release);
        generation
    }

    /// Publishes `word` (a status with its generation) and wakes the caller.
    #[inline]
    fn signal(&self, word: u64) {
        self.state.store(word, Ordering::Release);
        self.wake();
    }

    /// Wakes the caller, to look at its status word again.
    fn wake(&self) {
        count(Event::Unpark);
        match &self.target {
            Target::Thread(thread) => thread.unpark(),
            Target::Task(waker) => waker.wake(),
        }
    }

    /// Unparks the thread of a thread's waiter (one lent to an own call's
    /// reply, see `own_call.rs`).
    pub(crate) fn unpark(&self) {
        match &self.target {
            Target::Thread(thread) => thread.unpark(),
            Target::Task(_) => unreachable!("a task's waiter lent to a thread's call"),
        }
    }

    /// Drops an orphaned call's argument.
    ///
    /// # Safety
    /// The caller's CAS took or ended the orphan: no one else touches its
    /// cell.
    unsafe fn drop_orphan(&self) {
        // SAFETY: as the caller vouches.
        drop(self.orphan.with_mut(|orphan| unsafe { (*orphan).take() }));
    }

    /// Whether a task waits on this waiter (or a thread).
    #[inline]
    fn wakes_task(&self) -> bool {
        matches!(self.target, Target::Task(_))
    }

    /// Moves a taken call from `RUNNING` to `WRITING`, to end it; `false` if
    /// its caller's future was dropped (`RUNNING | ORPHAN`).
    fn lock_for_reply(&self, generation: u64) -> bool {
        self.state
            .compare_exchange(
                word(generation, RUNNING),
                word(generation, WRITING),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// How the call of generation `generation` ended, if it did: handed a
    /// chord, answered, or failed.
    #[inline]
    pub(crate) fn ended(&self, generation: u64) -> Option<Wake> {
        let word = self.load();
        debug_assert_eq!(word >> STATUS_BITS, generation);
        let chord = || self.chord.load(Ordering::Relaxed) as usize;
        match word & STATUS_MASK {
            HANDED => self.claim(word).then(|| Wake::HandedOver(chord())),
            DONE => Some(Wake::Done),
            PANICKED => Some(Wake::Panicked(chord())),
            NO_REPLY => Some(Wake::NoReply(chord())),
            REFUSED => Some(Wake::Refused),
            _ => None,
        }
    }

    /// Claims the chord handed to the call whose status word is `handed`
    /// (`HANDED`): `false` if a caller that had not queued robbed it first
    /// (the call waits again).
    fn claim(&self, handed: u64) -> bool {
        let taken = (handed & !STATUS_MASK) | TAKEN;
        self.state
            .compare_exchange(handed, taken, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Waits, parked, for the call of generation `generation` to end. With a
    /// deadline, returns [`Wake::TimedOut`] once it has passed and the call is
    /// still queued.
    pub(crate) fn wait(&self, generation: u64, deadline: Option<Instant>) -> Wake {
        let mut backoff = Backoff::new();
        loop {
            if let Some(wake) = self.ended(generation) {
                return wake;
            }
            if !backoff.is_completed() {
                backoff.snooze();
                continue;
            }
            count(Event::Park);
            match deadline {
                // A queued call may give up at its deadline; one that a
                // firing owns waits for its reply, which always comes.
                Some(deadline) if matches!(self.status(generation), WAITING | ROBBING) => {
                    if cfg!(loom) || Instant::now() >= deadline {
                        return Wake::TimedOut;
                    }
                    crate::executor::park(Some(deadline));
                }
                _ => crate::executor::park(None),
            }
            // Woken: spin again before parking, to claim at once a chord
            // handed over while we run (a robbed call is woken for nothing).
            backoff = Backoff::new();
        }
    }

    /// Registers the waker of the task that polls this waiter's call.
    pub(crate) fn register(&self, waker: &Waker) {
        match &self.target {
            Target::Task(slot) => slot.register(waker),
            Target::Thread(..) => unreachable!("a thread's waiter polled as a future"),
        }
    }

    /// The status of the call of generation `generation` (without the
    /// `ORPHAN` flag).
    fn status(&self, generation: u64) -> u64 {
        let word = self.load();
        debug_assert_eq!(word >> STATUS_BITS, generation);
        word & STATUS_MASK
    }

    /// Withdraws a queued call: `WAITING -> IDLE`. Fails if a firing took it.
    pub(crate) fn withdraw(&self, generation: u64) -> bool {
        let backoff = Backoff::new();
        loop {
            match self.state.compare_exchange(
                word(generation, WAITING),
                word(generation, IDLE),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                // A robber puts the call back to waiting: a few steps.
                Err(now) if now == word(generation, ROBBING) => backoff.snooze(),
                Err(_) => return false,
            }
        }
    }

    /// Whether the call of generation `generation` is still queued (and not
    /// orphaned), or being put back by a robber.
    pub(crate) fn is_waiting(&self, generation: u64) -> bool {
        let word_now = self.load();
        word_now == word(generation, WAITING) || word_now == word(generation, ROBBING)
    }

    /// Whether a chord took the call of generation `generation` (to run
    /// with it, or with its result to come): it is neither queued nor handed
    /// a chord to run.
    pub(crate) fn is_taken(&self, generation: u64) -> bool {
        !matches!(
            self.status(generation),
            WAITING | HANDING | HANDED | MOVING | ROBBING | IDLE | CLAIMING | REFUSED
        )
    }
}

/// A waiter, lent to a caller for one call and given back after it: a
/// thread's own, or, for a future, one of its thread's pool.
pub(crate) struct Caller {
    waiter: Option<Arc<Waiter>>,
    /// Whether a chord handed to its queued call may be robbed (passed).
    robbable: bool,
}

/// How many task waiters a thread keeps for reuse.
#[cfg(not(loom))]
const TASK_SPARES: usize = 32;

/// How many thread waiters a thread keeps for reuse besides its own: one
/// per branch of a choice (`choice.rs`) after the first.
#[cfg(not(loom))]
const THREAD_SPARES: usize = 8;

#[cfg(not(loom))]
thread_local! {
    static SPARE: std::cell::Cell<Option<Arc<Waiter>>> = const { std::cell::Cell::new(None) };
    static THREAD_POOL: std::cell::RefCell<Vec<Arc<Waiter>>> = const { std::cell::RefCell::new(Vec::new()) };
    static TASK_POOL: std::cell::RefCell<Vec<Arc<Waiter>>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Caller {
    /// Borrows this thread's waiter, or one of its spares (a new one when
    /// they are all lent: a call nested in a body, or a choice's branches).
    pub(crate) fn new() -> Self {
        #[cfg(not(loom))]
        let waiter = SPARE
            .try_with(|spare| spare.take())
            .ok()
            .flatten()
            .or_else(|| {
                THREAD_POOL
                    .try_with(|pool| pool.borrow_mut().pop())
                    .ok()
                    .flatten()
            })
            .unwrap_or_else(|| Arc::new(Waiter::new(Target::thread())));
        #[cfg(loom)]
        let waiter = Arc::new(Waiter::new(Target::thread()));
        Caller {
            waiter: Some(waiter),
            robbable: true,
        }
    }

    /// As [`Caller::new`], for a branch of a choice (`choice.rs`): a chord
    /// handed to its call is never robbed, so that its chooser can give it
    /// back (or leave the call to the firing that counts on it).
    pub(crate) fn branch() -> Self {
        let mut caller = Caller::new();
        caller.robbable = false;
        caller
    }

    /// Borrows a waiter that wakes a task, from this thread's pool.
    pub(crate) fn task() -> Self {
        #[cfg(not(loom))]
        let waiter = TASK_POOL
            .try_with(|pool| pool.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_else(|| Arc::new(Waiter::new(Target::Task(AtomicWaker::new()))));
        #[cfg(loom)]
        let waiter = Arc::new(Waiter::new(Target::Task(AtomicWaker::new())));
        Caller {
            waiter: Some(waiter),
            robbable: false,
        }
    }

    pub(crate) fn waiter(&self) -> &Arc<Waiter> {
        self.waiter
            .as_ref()
            .expect("the waiter is lent to this call")
    }

    /// Starts a queued call, the branch `offer` of a choice if it is one;
    /// returns the call to push and its generation.
    pub(crate) fn publish<A, R>(
        &self,
        slot: &Slot<A, R>,
        offer: Option<(&Offer, u32)>,
    ) -> (Call, u64) {
        let waiter = self.waiter();
        let generation = waiter.begin(slot, WAITING, offer);
        let call = Call {
            waiter: Arc::clone(waiter),
            generation,
            robbable: self.robbable,
        };
        (call, generation)
    }

    /// Starts a task's call whose future reserved a chord for it: already
    /// taken. (A thread's call of that kind needs no waiter: see
    /// `own_call.rs`.)
    pub(crate) fn own<A, R>(&self, slot: &Slot<A, R>) -> (TakenCall, u64) {
        let waiter = self.waiter();
        let generation = waiter.begin(slot, TAKEN, None);
        let taken = TakenCall {
            waiter: Arc::clone(waiter),
            taken: word(generation, TAKEN),
        };
        (taken, generation)
    }

    /// Takes the result of a call that ended `DONE`.
    pub(crate) fn result<A, R>(&self, slot: &Slot<A, R>) -> R {
        slot.take_result()
    }

    /// A future whose call `generation` is neither queued nor ended is being
    /// dropped: waits out the few steps of a firing that is taking its
    /// argument or writing its result, and orphans a call whose body runs.
    /// Returns how the call stands then: [`Left::Ended`] (nothing to undo),
    /// [`Left::Handed`] (a chord to give back) or [`Left::Waiting`] (still
    /// queued: withdraw it, or orphan it with [`Caller::orphan`]).
    pub(crate) fn leave(&mut self, generation: u64) -> Left {
        let waiter = Arc::clone(self.waiter());
        let backoff = Backoff::new();
        loop {
            match waiter.status(generation) {
                WAITING => return Left::Waiting,
                HANDED => {
                    if let Some(Wake::HandedOver(chord)) = waiter.ended(generation) {
                        return Left::Handed(chord);
                    }
                }
                DONE | PANICKED | NO_REPLY | IDLE | REFUSED => return Left::Ended,
                RUNNING => {
                    let orphaned = waiter.state.compare_exchange(
                        word(generation, RUNNING),
                        word(generation, RUNNING | ORPHAN),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    if orphaned.is_ok() {
                        // The reply will find the flag and drop the result.
                        self.forget();
                        return Left::Ended;
                    }
                }
                // TAKEN, HANDING, WRITING, MOVING, ROBBING: a firing, or the
                // caller's own side, is between two steps.
                _ => backoff.snooze(),
            }
        }
    }

    /// Leaves a queued call that a firing has counted on (its count was
    /// taken) to that firing: moves the argument out of `slot`, which is
    /// going, into the waiter. `false` if the call is no longer queued.
    pub(crate) fn orphan<A: Send + 'static, R>(
        &mut self,
        generation: u64,
        slot: &Slot<A, R>,
    ) -> bool {
        let waiter = self.waiter();
        if waiter
            .state
            .compare_exchange(
                word(generation, WAITING),
                word(generation, MOVING),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return false;
        }
        let arg: Box<dyn Any + Send> = Box::new(slot.take_arg());
        // SAFETY: `MOVING` is ours: no firing takes the call or reads the cell.
        waiter
            .orphan
            .with_mut(|orphan| unsafe { *orphan = Some(arg) });
        waiter
            .state
            .store(word(generation, WAITING | ORPHAN), Ordering::Release);
        self.forget();
        true
    }

    /// Keeps the waiter from reuse: a firing still holds its last call.
    fn forget(&mut self) {
        self.waiter = None;
    }
}

/// How a queued call stands (see [`Call::standing`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    Waiting,
    Handed,
    /// Claimed by a firing as a partner (tentatively, or for good).
    Claimed,
    Dead,
}

/// How a call stands when its future is dropped (see [`Caller::leave`]).
pub(crate) enum Left {
    /// Nothing left to undo.
    Ended,
    /// Handed this chord, not run: its messages must go back.
    Handed(usize),
    /// Still queued.
    Waiting,
}

impl Drop for Caller {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        if let Some(waiter) = self.waiter.take() {
            match waiter.target {
                Target::Thread(..) => {
                    let _ = SPARE.try_with(|spare| match spare.take() {
                        None => spare.set(Some(waiter)),
                        Some(own) => {
                            spare.set(Some(own));
                            let _ = THREAD_POOL.try_with(|pool| {
                                let mut pool = pool.borrow_mut();
                                if pool.len() < THREAD_SPARES {
                                    pool.push(waiter);
                                }
                            });
                        }
                    });
                }
                Target::Task(_) => {
                    let _ = TASK_POOL.try_with(|pool| {
                        let mut pool = pool.borrow_mut();
                        if pool.len() < TASK_SPARES {
                            pool.push(waiter);
                        }
                    });
                }
            }
        }
    }
}

/// A queued synchronous call, as its channel's queue holds it.
#[derive(Clone)]
pub(crate) struct Call {
    waiter: Arc<Waiter>,
    generation: u64,
    /// A thread's plain call: a chord handed to it may be robbed.
    robbable: bool,
}

impl Call {
    /// How the call stands in its queue: waiting (an orphaned call waits
    /// until a firing takes it), handed a chord its caller has not claimed,
    /// or dead (taken by a firing, or withdrawn). A dead call never stands
    /// otherwise again.
    pub(crate) fn standing(&self) -> Standing {
        let word = self.waiter.load();
        if word >> STATUS_BITS != self.generation {
            return Standing::Dead;
        }
        match word & STATUS_MASK {
            WAITING | MOVING | ROBBING => Standing::Waiting,
            HANDING | HANDED => Standing::Handed,
            CLAIMING | CLAIMED => Standing::Claimed,
            _ => Standing::Dead,
        }
    }

    /// Robs the chord handed to this call, if it is a thread's plain call
    /// (not a task's, nor a choice's branch) and its caller has not claimed
    /// it: the call waits again, and the chord is the robber's to run with
    /// its own call. Returns the chord.
    pub(crate) fn rob(&self) -> Option<usize> {
        if !self.robbable {
            return None;
        }
        let handed = word(self.generation, HANDED);
        self.waiter
            .state
            .compare_exchange(
                handed,
                word(self.generation, ROBBING),
                Ordering::Acquire,
                Ordering::Relaxed,
            )
            .ok()?;
        let chord = self.waiter.chord.load(Ordering::Relaxed) as usize;
        self.waiter
            .state
            .store(word(self.generation, WAITING), Ordering::Release);
        Some(chord)
    }

    /// Whether this is the call `generation` of `waiter`.
    pub(crate) fn is(&self, waiter: &Waiter, generation: u64) -> bool {
        std::ptr::eq(&*self.waiter, waiter) && self.generation == generation
    }

    /// Claims the call for a firing: to run its body with it, or, if
    /// `handing`, to hand its caller the chord ([`TakenCall::hand_over`]).
    /// `None` if it is no longer queued: another firing took it, or its
    /// caller withdrew it (the waiter may be on a later call by now).
    pub(crate) fn take(self, handing: bool) -> Option<TakenCall> {
        self.take_as(if handing { HANDING } else { TAKEN })
    }

    /// Claims the call tentatively for a firing, as a partner (`CLAIMING`):
    /// the firing then takes it ([`TakenCall::confirm`]), puts it back
    /// ([`TakenCall::put_back`]) or refuses it ([`TakenCall::refuse`]).
    /// `None` as for [`take`](Call::take).
    pub(crate) fn claim(self) -> Option<TakenCall> {
        self.take_as(CLAIMING)
    }

    fn take_as(self, status: u64) -> Option<TakenCall> {
        let backoff = Backoff::new();
        loop {
            let now = self.waiter.load();
            if now >> STATUS_BITS != self.generation {
                return None;
            }
            match now & STATUS_MASK {
                WAITING => {}
                // Its future is moving the argument out, or a robber is
                // putting it back: a few steps.
                MOVING | ROBBING => {
                    backoff.snooze();
                    continue;
                }
                _ => return None,
            }
            // An orphan is handed nothing: its chord goes back (see
            // `hand_over`), and its call is dead at once.
            let status = if status == HANDING && now & ORPHAN != 0 {
                TAKEN
            } else {
                status
            };
            let taken = (now & !STATUS_MASK) | status;
            if self
                .waiter
                .state
                .compare_exchange(now, taken, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                return Some(TakenCall {
                    waiter: self.waiter,
                    taken,
                });
            }
        }
    }

    /// Takes the call for a firing that claimed it for good, or another
    /// that did a call of the same channel (`CLAIMED -> TAKEN`). `None` if
    /// it is not `CLAIMED`.
    pub(crate) fn take_claimed(&self) -> Option<TakenCall> {
        let now = self.waiter.load();
        if now >> STATUS_BITS != self.generation || now & STATUS_MASK != CLAIMED {
            return None;
        }
        let taken = (now & !STATUS_MASK) | TAKEN;
        self.waiter
            .state
            .compare_exchange(now, taken, Ordering::AcqRel, Ordering::Relaxed)
            .ok()?;
        Some(TakenCall {
            waiter: Arc::clone(&self.waiter),
            taken,
        })
    }

    /// Withdraws the call if its future was dropped (`WAITING | ORPHAN`), as
    /// its caller would have: `true` if it did.
    pub(crate) fn withdraw_orphan(&self) -> bool {
        let orphan = word(self.generation, WAITING | ORPHAN);
        if self
            .waiter
            .state
            .compare_exchange(
                orphan,
                word(self.generation, IDLE),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return false;
        }
        // SAFETY: our CAS ended the orphan.
        unsafe { self.waiter.drop_orphan() };
        true
    }
}

/// A synchronous call owned by a firing.
pub(crate) struct TakenCall {
    waiter: Arc<Waiter>,
    /// The status word it was taken with: its generation, and the `ORPHAN`
    /// flag if its future was dropped (the argument is in the waiter, and no
    /// one waits for the result).
    taken: u64,
}

impl TakenCall {
    fn generation(&self) -> u64 {
        self.taken >> STATUS_BITS
    }

    pub(crate) fn is_orphan(&self) -> bool {
        self.taken & ORPHAN != 0
    }

    /// The choice whose branch this call is, and the branch, if it is one
    /// and not an orphan (whose choice may be gone).
    pub(crate) fn offer(&self) -> Option<(&Offer, u32)> {
        let offer = self.waiter.offer.load(Ordering::Relaxed);
        if offer.is_null() || self.is_orphan() {
            return None;
        }
        // SAFETY: the offer outlives every call of its choice that a firing
        // holds: the chooser (or the dropped future) waits out `CLAIMING` and
        // `HANDING`, which we hold, before it lets the offer go.
        let offer = unsafe { &*offer };
        Some((offer, self.waiter.branch.load(Ordering::Relaxed)))
    }

    /// Whether the call is a ghost: a branch of a choice already settled,
    /// or an orphaned branch (its choice was dropped). No firing may use it.
    pub(crate) fn is_ghost(&self) -> bool {
        if self.is_orphan() {
            return !self.waiter.offer.load(Ordering::Relaxed).is_null();
        }
        self.offer().is_some_and(|(offer, _)| offer.is_settled())
    }

    /// Takes a call claimed as a partner for good (`CLAIMING -> TAKEN`).
    pub(crate) fn keep(mut self) -> TakenCall {
        self.taken = (self.taken & !STATUS_MASK) | TAKEN;
        self.waiter.state.store(self.taken, Ordering::Release);
        self
    }

    /// Keeps a call claimed as a partner for good (`CLAIMING -> CLAIMED`),
    /// for one of the firing's terms to take ([`Call::take_claimed`]).
    pub(crate) fn confirm(self) {
        let claimed = (self.taken & !STATUS_MASK) | CLAIMED;
        self.waiter.state.store(claimed, Ordering::Release);
    }

    /// Puts a call claimed as a partner back in its place, waiting
    /// (`CLAIMING -> WAITING`), and wakes its caller to look again (a
    /// deadline may have passed meanwhile).
    pub(crate) fn put_back(self) {
        let waiting = (self.taken & !STATUS_MASK) | WAITING;
        self.waiter.state.store(waiting, Ordering::Release);
        if !self.is_orphan() {
            self.waiter.wake();
        }
    }

    /// Consumes a ghost unused: its caller finds it `REFUSED`, its argument
    /// still in its slot (an orphan's is dropped).
    pub(crate) fn refuse(self) {
        if self.drop_orphan() {
            let idle = word(self.generation(), IDLE);
            return self.waiter.state.store(idle, Ordering::Release);
        }
        self.waiter.signal(word(self.generation(), REFUSED));
    }

    /// Drops an orphan's argument (no one will run its chord): `true` if the
    /// call is an orphan.
    fn drop_orphan(&self) -> bool {
        if !self.is_orphan() {
            return false;
        }
        // SAFETY: our CAS took the orphan.
        unsafe { self.waiter.drop_orphan() };
        true
    }

    /// Hands the caller `chord` to run on its own thread (the call was taken
    /// `handing`). `false` if the caller's future was dropped, or the call
    /// is a branch of a choice already settled: then no one will run the
    /// chord, and its reserved messages (but the call's) must go back.
    #[must_use]
    pub(crate) fn hand_over(self, chord: usize) -> bool {
        if self.drop_orphan() {
            return false;
        }
        if self.is_ghost() {
            self.refuse();
            return false;
        }
        self.waiter.chord.store(chord as u32, Ordering::Relaxed);
        self.waiter.signal(word(self.generation(), HANDED));
        true
    }

    /// Moves the argument out and returns the handle that will carry the reply.
    ///
    /// # Safety
    /// `A` and `R` must be the argument and result types of the call's channel.
    pub(crate) unsafe fn split<A: 'static, R>(self, chord: usize) -> (A, Reply<R>) {
        let arg = if self.is_orphan() {
            // SAFETY: our CAS took the orphan: no one else touches its cell.
            let orphan = self
                .waiter
                .orphan
                .with_mut(|orphan| unsafe { (*orphan).take() });
            *orphan
                .expect("an orphan's argument")
                .downcast::<A>()
                .expect("the channel's argument type")
        } else {
            let arg = self.waiter.arg.load(Ordering::Relaxed) as *const UnsafeCell<Option<A>>;
            // SAFETY: the call is `TAKEN` by this firing, so its caller waits
            // (a dropped future waits out `TAKEN`) and its slot is alive; the
            // caller vouches for the type; nobody else touches the argument of
            // a taken call.
            let arg =
                unsafe { (*arg).with_mut(|arg| (*arg).take()) }.expect("argument taken twice");
            // A task's future may be dropped from here on: tell it that the
            // argument is out. (A thread waits for the reply in any case.)
            if self.waiter.wakes_task() {
                self.waiter
                    .state
                    .store(word(self.generation(), RUNNING), Ordering::Release);
            }
            arg
        };
        (arg, Reply::new(To::Waiter(self, chord as u32)))
    }

    /// Ends the call with `status`, the chord's index, and `result` (written
    /// first, if any); drops the result if the caller's future was dropped.
    fn end<R>(self, status: u64, chord: u32, result: Option<R>) {
        let dropped = || self.waiter.wakes_task() && !self.waiter.lock_for_reply(self.generation());
        if self.is_orphan() || dropped() {
            return drop(result);
        }
        if let Some(value) = result {
            let slot = self.waiter.result.load(Ordering::Relaxed) as *const UnsafeCell<Option<R>>;
            // SAFETY: the caller waits, so its slot is alive: a thread until
            // `DONE`; a task's future, dropped, waits out the `WRITING` that
            // we hold. `R` is the channel's result type (`split`'s contract);
            // the caller reads it only after `DONE`.
            unsafe { (*slot).with_mut(|slot| *slot = Some(value)) };
        }
        self.waiter.chord.store(chord, Ordering::Relaxed);
        self.waiter.signal(word(self.generation(), status));
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
    to: Option<To>,
    _result: PhantomData<fn(R)>,
}

/// Where a reply goes.
enum To {
    /// A queued call, or a task's own call: through its waiter, which also
    /// learns the chord's index (to name it if the call fails).
    Waiter(TakenCall, u32),
    /// A thread's own call: straight to its caller's stack (whose caller
    /// knows the chord).
    Own(OwnAnswer),
}

impl<R> Reply<R> {
    #[inline]
    fn new(to: To) -> Self {
        Reply {
            to: Some(to),
            _result: PhantomData,
        }
    }

    /// Sends `value` to the waiting caller, which returns it from its call.
    /// If the caller was an awaited call whose future has been dropped, the
    /// value is dropped here.
    #[inline]
    pub fn send(mut self, value: R) {
        self.end(Some(value));
    }

    /// Ends the call: with `result`, or as failed (the body panicked, or
    /// dropped the reply unsent).
    #[inline]
    fn end(&mut self, result: Option<R>) {
        match self.to.take() {
            // SAFETY: the reply was made for a call of result type `R`
            // (`Taken::split`'s contract).
            Some(To::Own(answer)) => unsafe { answer.end(result) },
            Some(To::Waiter(taken, chord)) => {
                let status = match result {
                    Some(_) => DONE,
                    None if std::thread::panicking() => PANICKED,
                    None => NO_REPLY,
                };
                taken.end(status, chord, result);
            }
            None => {}
        }
    }
}

impl<R> Drop for Reply<R> {
    #[inline]
    fn drop(&mut self) {
        self.end(None);
    }
}

impl<R> std::fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("sent", &self.to.is_none())
            .finish()
    }
}

/// A synchronous call a firing took, to give its body as an argument and
/// a [`Reply`]: a queued call (or a task's own), or a thread's own call.
pub(crate) enum Taken {
    Queued(TakenCall),
    Own(OwnTaken),
}

impl Taken {
    /// Moves the argument out and returns the handle that will carry the reply.
    ///
    /// # Safety
    /// `A` and `R` must be the argument and result types of the call's channel.
    #[inline]
    pub(crate) unsafe fn split<A: 'static, R>(self, chord: usize) -> (A, Reply<R>) {
        match self {
            // SAFETY: forwarded from our caller.
            Taken::Queued(taken) => unsafe { taken.split(chord) },
            Taken::Own(own) => {
                // SAFETY: forwarded from our caller.
                let (arg, answer) = unsafe { own.split::<A>() };
                (arg, Reply::new(To::Own(answer)))
            }
        }
    }
}
