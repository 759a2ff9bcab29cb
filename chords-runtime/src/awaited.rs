//! An awaited synchronous call: the future that `call_async` and the
//! generated `name_async` methods return.
//!
//! Its first poll tries to reserve a chord at once, as a blocking call does,
//! and runs it in the poll. Otherwise it queues its call, with a waiter that
//! wakes its task, in the same queue as blocked threads' calls, under the
//! same matcher: one set of rules for both. Its slot (argument and result)
//! lives in the future, which is therefore pinned; a chord handed to it runs
//! in a later poll, on the task's thread. A body that does not answer this
//! call at once (it hands the reply to another caller, say) leaves the future
//! waiting for the reply as a queued call waits: it never blocks its thread.
//!
//! Dropped at any point, it leaves no trace ([`Drop`] below, and the
//! orphan rules of [`crate::waiter`]):
//! - queued: the call is withdrawn, as a blocking call withdraws at its
//!   deadline;
//! - handed a chord not yet run: the chord's reserved messages go back
//!   (still the oldest: none was taken) and the chords are rescanned;
//! - a firing counts on the call (its count was reserved; it will take it):
//!   the argument moves out to the waiter for that firing, which drops the
//!   result; so does a firing whose body is running with the call;
//! - answered: the result is dropped with the future.

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::channel::SyncChannel;
use crate::offer::Offer;
use crate::queued::{self, Withdrawal};
use crate::reserved::{Handed, Reserved};
use crate::resolve::give_back;
use crate::state::Join;
use crate::sync::Backoff;
use crate::waiter::{Caller, Left, Slot, Wake};

/// How a call's future fires a chord at once: reserve one with the call and
/// messages already queued, then run its body right here if the caller knows
/// its code (the static path of `#[chords]`), or hand the reservation back to
/// run the general way.
pub(crate) trait Path<'a, A, R> {
    /// Reserves a chord that the call, with `arg`, fires with messages
    /// already queued.
    fn reserve(&mut self, arg: &A) -> Option<Reserved<'a, A, R>>;
    /// Runs a reserved chord on the static path, or hands it back.
    // (Under loom, whose atomics are larger, a reservation is over the
    // lint's size; loom builds are for the model checker only.)
    #[cfg_attr(loom, allow(clippy::result_large_err))]
    fn run(&mut self, reserved: Reserved<'a, A, R>, arg: A) -> StaticPath<'a, A, R>;
    /// The choice whose branch the call is, if it is one, and the branch.
    fn offer(&self) -> Option<OfferRef> {
        None
    }
}

/// The generated code's path: its reserving closure and its static path.
impl<'a, A, R, Reserve, Static> Path<'a, A, R> for (Reserve, Static)
where
    Reserve: FnMut(&A) -> Option<Reserved<'a, A, R>>,
    Static: FnMut(Reserved<'a, A, R>, A) -> StaticPath<'a, A, R>,
{
    fn reserve(&mut self, arg: &A) -> Option<Reserved<'a, A, R>> {
        (self.0)(arg)
    }

    fn run(&mut self, reserved: Reserved<'a, A, R>, arg: A) -> StaticPath<'a, A, R> {
        (self.1)(reserved, arg)
    }
}

/// The general path of a call of `channel` on `join`: the channel's table,
/// and every chord run the general way.
pub(crate) struct General<'a, A, R> {
    pub(crate) join: &'a Join,
    pub(crate) channel: SyncChannel<A, R>,
    /// The choice whose branch the call is, if it is one.
    pub(crate) offer: Option<OfferRef>,
}

impl<'a, A, R> General<'a, A, R> {
    /// The general path of a call that is no choice's branch.
    pub(crate) fn new(join: &'a Join, channel: SyncChannel<A, R>) -> Self {
        General {
            join,
            channel,
            offer: None,
        }
    }
}

impl<'a, A: Send + 'static, R: Send + 'static> Path<'a, A, R> for General<'a, A, R> {
    fn reserve(&mut self, arg: &A) -> Option<Reserved<'a, A, R>> {
        let members = &self.join.state.channels[self.channel.index as usize].members;
        let offer = self.offer.as_ref().map(OfferRef::get);
        Reserved::now_offered(self.join, self.channel, members, arg, offer)
    }

    fn run(&mut self, reserved: Reserved<'a, A, R>, arg: A) -> StaticPath<'a, A, R> {
        Err((reserved, arg))
    }

    fn offer(&self) -> Option<OfferRef> {
        self.offer
    }
}

/// The offer of the awaited choice whose branch a call is, and the branch:
/// the offer lives in the choice's pinned future, beside its branches'.
#[derive(Clone, Copy)]
#[doc(hidden)]
pub struct OfferRef {
    offer: *const Offer,
    branch: u32,
}

// SAFETY: an `Offer` is a `Sync` atomic word; the pointer is only read
// (`get`), on whichever thread polls or drops the choice's future.
unsafe impl Send for OfferRef {}
// SAFETY: as for `Send`.
unsafe impl Sync for OfferRef {}

impl OfferRef {
    /// Branch `branch` of the choice whose offer is `offer`, which must
    /// outlive every call made with it (the choice's future drops its
    /// branches first).
    pub(crate) fn new(offer: &Offer, branch: u32) -> Self {
        OfferRef { offer, branch }
    }

    pub(crate) fn get(&self) -> (&Offer, u32) {
        // SAFETY: the offer outlives the branch's call future (see `new`),
        // which holds this.
        (unsafe { &*self.offer }, self.branch)
    }
}

/// The future of a synchronous call.
pub(crate) struct CallFuture<'a, A: Send + 'static, R: Send + 'static, P> {
    join: &'a Join,
    channel: SyncChannel<A, R>,
    /// How it fires a chord at once.
    path: P,
    stage: Stage<A>,
    /// The queued call's argument, then its result: a queued call's waiter
    /// points into it, so it never moves (the future is `!Unpin`).
    slot: Slot<A, R>,
    caller: Option<Caller>,
    _pinned: PhantomPinned,
}

enum Stage<A> {
    /// Not polled yet: the argument.
    Start(A),
    /// Queued, as this generation of the caller's waiter.
    Queued(u64),
    /// A choice's branch that lost before it fired: its argument.
    Lost(A),
    /// Done (or dropped while starting).
    Finished,
}

/// What the static path does with a reservation: the result, or the
/// reservation and argument back.
pub type StaticPath<'a, A, R> = Result<R, (Reserved<'a, A, R>, A)>;

/// How far [`CallFuture::poll_reserve`] took a call.
pub(crate) enum Polled<'a, A, R> {
    /// A chord is reserved for it, with its argument: to run, or give back.
    Reserved(Reserved<'a, A, R>, A),
    /// Its result (a chord took it as its partner, or ran for it).
    Done(R),
}

impl<'a, A, R, P> CallFuture<'a, A, R, P>
where
    A: Send + 'static,
    R: Send + 'static,
    P: Path<'a, A, R>,
{
    /// The call of `channel` (this join's: checked) with `arg`.
    pub(crate) fn new(join: &'a Join, channel: SyncChannel<A, R>, arg: A, path: P) -> Self {
        join.state.check(&channel);
        CallFuture {
            join,
            channel,
            path,
            stage: Stage::Start(arg),
            slot: Slot::empty(),
            caller: None,
            _pinned: PhantomPinned,
        }
    }

    /// Begins the call with `arg` in this future's slot and a task's waiter:
    /// `begin` queues it, or runs a chord reserved for it; returns its
    /// generation. (No waker is registered yet: the poll that follows looks,
    /// registers, and looks again.)
    fn begin(&mut self, arg: A, begin: impl FnOnce(&Slot<A, R>, &Caller) -> u64) -> u64 {
        let caller = Caller::task();
        self.slot.put_arg(arg);
        let generation = begin(&self.slot, &caller);
        self.caller = Some(caller);
        generation
    }

    /// Runs a chord reserved for the call with `arg`: on the static path, or
    /// the general way, whose result may come later.
    fn fire(&mut self, reserved: Reserved<'a, A, R>, arg: A, cx: &Context<'_>) -> Poll<R> {
        match self.path.run(reserved, arg) {
            Ok(result) => Poll::Ready(result),
            Err((reserved, arg)) => {
                let generation = self.begin(arg, |slot, caller| reserved.start(slot, caller));
                match self.poll_queued(cx, generation) {
                    Poll::Ready(Polled::Done(result)) => Poll::Ready(result),
                    Poll::Ready(Polled::Reserved(..)) => {
                        unreachable!("a call that runs its chord is handed none")
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    /// Polls the call until a chord is reserved for it or its result came,
    /// but does not run a reserved chord: [`run`](CallFuture::run) runs
    /// it, or a choice gives it back (`give_back`), and the future is done
    /// either way.
    pub(crate) fn poll_reserve(self: Pin<&mut Self>, cx: &Context<'_>) -> Poll<Polled<'a, A, R>> {
        // SAFETY: nothing is moved out of the pinned future: `slot`, which a
        // queued call's waiter points into, stays in place until `drop`.
        unsafe { self.get_unchecked_mut() }.reserve(cx)
    }

    /// [`poll_reserve`](Self::poll_reserve), on the pinned future's inside.
    fn reserve(&mut self, cx: &Context<'_>) -> Poll<Polled<'a, A, R>> {
        let this = self;
        match std::mem::replace(&mut this.stage, Stage::Finished) {
            Stage::Start(arg) => match this.path.reserve(&arg) {
                Some(reserved) => Poll::Ready(Polled::Reserved(reserved, arg)),
                None if this.join.state.channels[this.channel.index as usize].retries => {
                    this.wait_for_arrival(arg, cx)
                }
                None => {
                    let (join, channel) = (this.join, this.channel.index as usize);
                    let queue = &join.state.channels[channel];
                    let offer = this.path.offer();
                    let generation = this.begin(arg, |slot, caller| {
                        queued::enqueue(
                            join,
                            queue,
                            caller,
                            slot,
                            offer.as_ref().map(OfferRef::get),
                        )
                    });
                    this.poll_queued(cx, generation)
                }
            },
            Stage::Queued(generation) => this.poll_queued(cx, generation),
            Stage::Lost(arg) => {
                this.stage = Stage::Lost(arg);
                Poll::Pending
            }
            Stage::Finished => panic!("a chords call's future polled after it completed"),
        }
    }

    /// A call whose argument a guard reads does not queue: it waits for the
    /// next arrival on the join and tries again (see `arrivals.rs`). Its
    /// future holds no unit of any counter, so dropping it undoes nothing.
    #[cold]
    fn wait_for_arrival(&mut self, arg: A, cx: &Context<'_>) -> Poll<Polled<'a, A, R>> {
        let arrivals = self
            .join
            .state
            .arrivals
            .as_ref()
            .expect("a join whose calls retry counts arrivals");
        loop {
            let seen = arrivals.count();
            if let Some(reserved) = self.path.reserve(&arg) {
                return Poll::Ready(Polled::Reserved(reserved, arg));
            }
            if arrivals.register(seen, cx.waker()) {
                self.stage = Stage::Start(arg);
                return Poll::Pending;
            }
        }
    }

    /// Runs a chord that [`poll_reserve`](CallFuture::poll_reserve)
    /// reserved for the call, with its argument; then poll the future for
    /// the result, if it is still to come.
    pub(crate) fn run(
        self: Pin<&mut Self>,
        reserved: Reserved<'a, A, R>,
        arg: A,
        cx: &Context<'_>,
    ) -> Poll<R> {
        // SAFETY: as in `poll_reserve`.
        unsafe { self.get_unchecked_mut() }.fire(reserved, arg, cx)
    }

    /// Whether a chord took the call and its result has not come: the call
    /// has fired, and dropping the future would drop its result.
    pub(crate) fn has_fired(&self) -> bool {
        match (&self.stage, &self.caller) {
            (Stage::Queued(generation), Some(caller)) => caller.waiter().is_taken(*generation),
            _ => false,
        }
    }

    /// Polls the queued (or running) call `generation`.
    fn poll_queued(&mut self, cx: &Context<'_>, generation: u64) -> Poll<Polled<'a, A, R>> {
        let waiter = self
            .caller
            .as_ref()
            .expect("a queued call's caller")
            .waiter();
        let ended = match waiter.ended(generation) {
            Some(ended) => ended,
            None => {
                waiter.register(cx.waker());
                match waiter.ended(generation) {
                    Some(ended) => ended,
                    None => {
                        self.stage = Stage::Queued(generation);
                        return Poll::Pending;
                    }
                }
            }
        };
        // The call ended: the waiter goes back to the pool (`caller` drops).
        let caller = self.caller.take().expect("a queued call's caller");
        match ended {
            Wake::Done => Poll::Ready(Polled::Done(caller.result(&self.slot))),
            Wake::HandedOver(chord) => {
                let arg = self.slot.take_arg();
                let offer = self.path.offer();
                let offer = offer.as_ref().map(OfferRef::get);
                match Reserved::handed_over(self.join, self.channel, chord, offer) {
                    Ok(reserved) => Poll::Ready(Polled::Reserved(reserved, arg)),
                    Err(handed) => self.again(handed, arg, cx),
                }
            }
            // A choice's branch that lost: its argument is back.
            Wake::Refused => {
                self.stage = Stage::Lost(self.slot.take_arg());
                Poll::Pending
            }
            failed => queued::fail(self.join, failed),
        }
    }

    /// A chord handed to the call could not run (see
    /// [`Reserved::handed_over`]): the call queues again, or, a choice's
    /// branch that lost, keeps its argument and waits no more.
    #[cold]
    fn again(&mut self, handed: Handed, arg: A, cx: &Context<'_>) -> Poll<Polled<'a, A, R>> {
        match handed {
            Handed::Again => {
                self.stage = Stage::Start(arg);
                self.reserve(cx)
            }
            Handed::Lost => {
                self.stage = Stage::Lost(arg);
                Poll::Pending
            }
        }
    }
}

impl<'a, A, R, P> Future for CallFuture<'a, A, R, P>
where
    A: Send + 'static,
    R: Send + 'static,
    P: Path<'a, A, R>,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        match std::task::ready!(self.as_mut().poll_reserve(cx)) {
            Polled::Done(result) => Poll::Ready(result),
            Polled::Reserved(reserved, arg) => self.run(reserved, arg, cx),
        }
    }
}

impl<'a, A: Send + 'static, R: Send + 'static> CallFuture<'a, A, R, General<'a, A, R>> {
    /// Makes the call a branch of the choice of `offer` (before its first
    /// poll).
    pub(crate) fn offer(self: Pin<&mut Self>, offer: OfferRef) {
        // SAFETY: nothing is moved out of the pinned future; `path` is not
        // structurally pinned.
        unsafe { self.get_unchecked_mut() }.path.offer = Some(offer);
    }
}

impl<'a, A: Send + 'static, R: Send + 'static, P> CallFuture<'a, A, R, P> {
    /// Gives back a chord that [`poll_reserve`](CallFuture::poll_reserve)
    /// reserved for the call, unrun: its messages are counted again (still
    /// the oldest: none was taken) and the chords rescanned.
    pub(crate) fn give_back(&self, reserved: Reserved<'a, A, R>) {
        give_back(self.join, reserved.chord(), self.channel.index);
    }

    /// Ends the call unless it fired, as dropping the future does, and
    /// hands its argument back: never polled, withdrawn, or handed a chord
    /// that goes back. `None` if a chord took the call (its result, if any,
    /// drops with the future). A call that a firing counts on is waited
    /// for a while (a few steps of another thread: the firing hands it a
    /// chord, which goes back) before it is left to that firing with its
    /// argument, as a dropped future leaves it at once.
    pub(crate) fn withdraw(self: Pin<&mut Self>) -> Option<A> {
        // SAFETY: nothing is moved out of the pinned future (see `poll`).
        let this = unsafe { self.get_unchecked_mut() };
        match std::mem::replace(&mut this.stage, Stage::Finished) {
            Stage::Start(arg) | Stage::Lost(arg) => Some(arg),
            // Queued (or already finished: `leave` has nothing to do).
            stage => {
                this.stage = stage;
                this.leave(true)
            }
        }
    }

    /// Leaves the queued call (see [`Drop`] and [`CallFuture::withdraw`]):
    /// a call a firing counts on is orphaned, at once or, if `patient`,
    /// after waiting a while for that firing. Returns the argument if it is
    /// still the future's.
    fn leave(&mut self, patient: bool) -> Option<A> {
        let (Stage::Queued(generation), Some(caller)) = (&self.stage, &mut self.caller) else {
            return None;
        };
        let (join, channel, generation) = (self.join, self.channel.index, *generation);
        let backoff = Backoff::new();
        let arg = loop {
            match caller.leave(generation) {
                // A result in the slot drops with it; a refused branch's
                // argument is still there.
                Left::Ended => break self.slot.arg_left(),
                Left::Handed(chord) => {
                    give_back(join, chord, channel);
                    break self.slot.arg_left();
                }
                Left::Waiting => match queued::withdraw(join, channel, caller.waiter(), generation)
                {
                    Withdrawal::Withdrawn => break self.slot.arg_left(),
                    Withdrawal::Taken => {}
                    Withdrawal::Owed if patient && !backoff.is_completed() => backoff.snooze(),
                    Withdrawal::Owed => {
                        if queued::orphan(join, channel, caller, generation, &self.slot) {
                            break None;
                        }
                    }
                },
            }
        };
        self.stage = Stage::Finished;
        self.caller = None;
        arg
    }
}

impl<A: Send + 'static, R: Send + 'static, P> Drop for CallFuture<'_, A, R, P> {
    fn drop(&mut self) {
        // The argument, if it comes back, drops with the future.
        self.leave(false);
    }
}
