//! Choice across objects: of several synchronous calls, on any joins, the
//! first that a chord can fire fires, and only it.
//!
//! An [`Op`] is a call not yet made (a CML *event*): a join, a synchronous
//! channel and its argument. [`choose`] takes a tuple of ops, or a `Vec`, and
//! [`Choice::wait`] makes exactly one of them.
//!
//! # Protocol
//!
//! Each object keeps its own matcher and sees only ordinary calls; the
//! choice is settled by one *offer word* (`offer.rs`) that every branch's
//! queued call points to, as Go's `selectDone`, crossbeam's `Context` and
//! Reagents' offers do: `OPEN`, then `WON(branch)` by the first party to
//! fire a branch, or `CLOSED` by a chooser that gives up. Once it is
//! settled, every other branch's call is a *ghost*: still queued and
//! counted until its chooser withdraws it, but no firing uses it.
//!
//! A branch fires in one of two ways, and each wins the offer first:
//!
//! - *Handed.* A firing whose runner is the branch's call hands it a chord
//!   (`HANDED`), as to any queued call; a firing that finds the offer
//!   settled refuses the call instead and gives its chord back. The chooser
//!   claims the chord, then wins the offer for the branch (with the offers
//!   of the chord's partner calls, if any: `partners.rs`) before it runs
//!   it; if the offer went to another branch meanwhile, the chord goes
//!   back.
//! - *Taken as a partner* (a *rendezvous* branch, whose chord needs another
//!   synchronous caller). The partner's firing claims every partner call
//!   tentatively before it takes any message, wins all their offers (and
//!   its runner's, if that is a branch too) at once, and only then takes
//!   them; a ghost among them is refused, and another call of its channel
//!   stands in if one is free, or the firing puts its claims back and its
//!   chord's messages go back (`partners.rs`).
//!
//! The chooser, on its own thread:
//!
//! 1. **Poll.** Each branch in order tries to reserve a chord at once, as a
//!    `try_` call does; the first that does fires, and nothing was queued.
//! 2. **Offer.** Otherwise each branch in order queues its call, pointing to
//!    the offer, and the chooser stops offering once the offer is settled.
//! 3. **Wait.** It parks until the offer is settled: it claims each chord
//!    handed to a branch as above, and a partner's firing may settle it for
//!    a rendezvous branch. At its deadline it closes the offer, unless a
//!    branch won first.
//! 4. **Leave.** Every other offered branch is withdrawn as a timed-out
//!    call is (claim a unit of its channel's count, then `WAITING ->
//!    IDLE`). One handed a chord before the offer was settled gives it
//!    back: its messages are counted again, still the oldest, and its object
//!    rescanned. One that a firing holds is waited for: that firing refuses
//!    it (or puts it back, to withdraw). One that a firing counts on (every
//!    unit of its channel reserved) is waited for a while; then, if the
//!    choice fired another branch, it is left to that firing as an orphan,
//!    as a dropped call's future leaves it: the firing refuses it, and its
//!    argument goes with it.
//! 5. **Fire.** The winner runs its chord on this thread, or waits for the
//!    answer of the partner's chord that took its call.
//!
//! A task's choice (`.await`) is made by polling its branches' call futures
//! instead, with the same offer word: see `awaited_choice.rs`.
//!
//! # Invariants
//!
//! - *Exactly one branch fires:* a branch's chord runs (on the chooser's
//!   thread, or a partner's) only once the offer is won for it, and the
//!   offer is won once. Several offers are won together or not at all
//!   (locked in address order, then set: `offer.rs`), so two choices that
//!   meet in one chord fire together, or neither does.
//! - *No trace:* a branch that lost was withdrawn (uncounted, then
//!   unlinked), handed a chord that went back, or refused by the firing
//!   that counted on it, which consumed its unit and no message of its
//!   object: its object's counts are as before, and no message moved
//!   (nothing is popped before the offers are won).
//! - *Arguments back:* a losing branch's argument stays in its slot (on the
//!   chooser's stack) unless it was orphaned; [`Choice::with_rest`] hands
//!   the slots' arguments back.
//! - *No message lost:* given-back messages are counted again and resolved,
//!   as an arrival is; a firing that refused a ghost takes another call in
//!   its stead or gives back all its other messages; a withdrawal that a
//!   firing beat is waited out, as a timed call's is.
//! - *First listed first:* of branches that can fire when the choice
//!   starts, the first listed fires; later, the first listed of those
//!   handed a chord when the chooser looks, unless a partner's firing
//!   settled the offer first.
//! - *No deadlock:* a locked offer is held for a few steps, without user
//!   code, and offers are locked in one global order.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::awaited_choice::{AsyncLeg, ChoiceFuture};
use crate::call::Patience;
use crate::channel::SyncChannel;
use crate::error::{TimeoutError, TryCallError};
use crate::executor;
use crate::offer::{Offer, Settled};
use crate::queued::{self, Withdrawal};
use crate::reserved::{Claimed, Handed, Reserved};
use crate::resolve::give_back;
use crate::state::Join;
use crate::stats::{count, Event};
use crate::sync::Arc;
use crate::sync::Backoff;
use crate::waiter::{Caller, Slot, Wake};

/// A synchronous call not yet made, to offer to a [`choose`]: a branch of a
/// choice. Made by [`Join::call_op`], or by `#[chords]` code's `name_op`.
///
/// [`map`](Op::map) changes what the branch gives if it fires, so that the
/// branches of one choice give the same type.
///
/// ```
/// use chords_runtime::{choose, Join};
///
/// let mut b = Join::builder();
/// let put = b.asynchronous::<u32>("put");
/// let get = b.synchronous::<(), u32>("get");
/// b.when(get).and(put).then(|(((), r), n)| r.send(n));
/// let numbers = b.build().unwrap();
///
/// let mut b = Join::builder();
/// let say = b.asynchronous::<&str>("say");
/// let hear = b.synchronous::<(), &str>("hear");
/// b.when(hear).and(say).then(|(((), r), s)| r.send(s));
/// let words = b.build().unwrap();
///
/// words.send(say, "hi");
/// let got = choose((
///     numbers.call_op(get, ()).map(|n| n.to_string()),
///     words.call_op(hear, ()).map(str::to_string),
/// ))
/// .wait();
/// assert_eq!(got, "hi");
/// assert_eq!(words.waiting(say), 0);
/// assert_eq!(numbers.waiting(get), 0, "the losing branch left no call");
/// ```
#[must_use = "an op does nothing until a choice makes it"]
pub struct Op<'a, A, R, F = fn(R) -> R, N = Registered> {
    join: &'a Join,
    channel: SyncChannel<A, R>,
    arg: A,
    map: F,
    now: N,
}

/// How an op fires at once, when a chord can: see [`Now`].
///
/// The registered bodies (the general path), for ops of the runtime API.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Registered;

/// Fires a call at once, if a chord can fire with it and messages already
/// queued; otherwise hands the argument back. [`Registered`] runs the
/// chord's registered body; code generated by `#[chords]` passes its own
/// (the body called directly, as its calls do).
#[doc(hidden)]
pub trait Now<A, R> {
    fn now(&mut self, join: &Join, channel: SyncChannel<A, R>, arg: A) -> Result<R, A>;
}

impl<A: Send + 'static, R: Send + 'static> Now<A, R> for Registered {
    fn now(&mut self, join: &Join, channel: SyncChannel<A, R>, arg: A) -> Result<R, A> {
        let members = &join.state.channels[channel.index as usize].members;
        match Reserved::now(join, channel, members, &arg) {
            Some(reserved) => Ok(reserved.run(arg)),
            None => Err(arg),
        }
    }
}

impl<A, R, N: FnMut(A) -> Result<R, A>> Now<A, R> for N {
    fn now(&mut self, _: &Join, _: SyncChannel<A, R>, arg: A) -> Result<R, A> {
        self(arg)
    }
}

impl<'a, A: Send + 'static, R: Send + 'static> Op<'a, A, R> {
    /// A call of `channel` on `join` with `arg`, not yet made.
    ///
    /// # Panics
    /// If `channel` belongs to another join.
    pub(crate) fn new(join: &'a Join, channel: SyncChannel<A, R>, arg: A) -> Self {
        join.state.check(&channel);
        Op {
            join,
            channel,
            arg,
            map: std::convert::identity,
            now: Registered,
        }
    }

    /// The same op, fired at once by `now` (code generated by `#[chords]`).
    pub(crate) fn with_now<N: Now<A, R>>(self, now: N) -> Op<'a, A, R, fn(R) -> R, N> {
        Op {
            join: self.join,
            channel: self.channel,
            arg: self.arg,
            map: self.map,
            now,
        }
    }
}

impl<A: std::fmt::Debug, R, F, N> std::fmt::Debug for Op<'_, A, R, F, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let channel = &self.join.state.channels[self.channel.index as usize];
        f.debug_struct("Op")
            .field("channel", &channel.name)
            .field("arg", &self.arg)
            .finish_non_exhaustive()
    }
}

impl<C, T, K> std::fmt::Debug for Choice<C, T, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Choice").finish_non_exhaustive()
    }
}

impl<'a, A, R, F, N> Op<'a, A, R, F, N> {
    /// The join, the channel, the argument and the map.
    pub(crate) fn into_parts(self) -> (&'a Join, SyncChannel<A, R>, A, F) {
        (self.join, self.channel, self.arg, self.map)
    }
}

impl<'a, A, R, T, F: FnOnce(R) -> T, N> Op<'a, A, R, F, N> {
    /// The same call, whose result, if it fires, goes through `f` (CML's
    /// `wrap`).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Op<'a, A, R, impl FnOnce(R) -> U, N> {
        let map = self.map;
        Op {
            join: self.join,
            channel: self.channel,
            arg: self.arg,
            map: move |result| f(map(result)),
            now: self.now,
        }
    }
}

/// Branches that [`choose`] can choose among, each giving a `T`: a tuple of
/// 1 to 12 [`Op`]s, or a `Vec` of ops of one type.
///
/// `Args` is what comes back when none fires: each branch's argument.
/// `Rest` is what comes back with the result of the one that fires, from
/// [`Choice::with_rest`]: each losing branch's argument, `None` for the
/// winner.
pub trait Choices<T>: Sealed {
    /// Every branch's argument: a tuple, or a `Vec`, as the branches.
    type Args;
    /// Every branch's argument if it lost: a tuple of `Option`s, or a `Vec`.
    type Rest;
    /// The future of the choice, for a task.
    type Future: Future<Output = (T, Self::Rest)>;

    #[doc(hidden)]
    fn choose(self, patience: Patience) -> Result<(T, Self::Rest), Self::Args>;

    #[doc(hidden)]
    fn into_future(self) -> Self::Future;
}

mod sealed {
    pub trait Sealed {}
}
use sealed::Sealed;

/// A choice among `branches`: make it with [`Choice::wait`] (or a timed or
/// `try_` form), and exactly one branch fires.
///
/// ```
/// use std::time::Duration;
/// use chords_runtime::{choose, Join};
///
/// let mut b = Join::builder();
/// let put = b.asynchronous::<u32>("put");
/// let get = b.synchronous::<u8, u32>("get");
/// b.when(get).and(put).then(|((_, r), n)| r.send(n));
/// let buffer = b.build().unwrap();
///
/// // Neither branch can fire: the arguments come back, and nothing stays queued.
/// let err = choose((buffer.call_op(get, 1), buffer.call_op(get, 2)))
///     .wait_timeout(Duration::from_millis(5))
///     .unwrap_err();
/// assert_eq!(err.into_inner(), (1, 2));
/// assert_eq!(buffer.waiting(get), 0);
///
/// // One can: it fires.
/// buffer.send(put, 7);
/// assert_eq!(choose(vec![buffer.call_op(get, 1), buffer.call_op(get, 2)]).wait(), 7);
/// ```
pub fn choose<T, C: Choices<T>>(branches: C) -> Choice<C, T> {
    Choice {
        branches,
        _result: PhantomData,
    }
}

/// A choice to make; see [`choose`]. `K` says what making it gives: the
/// result ([`Value`]), or with the losing branches' arguments too
/// ([`WithRest`], from [`Choice::with_rest`]).
#[must_use = "a choice does nothing until it is made: call `wait`"]
pub struct Choice<C, T, K = Value> {
    branches: C,
    _result: PhantomData<fn() -> (T, K)>,
}

/// What a made choice gives: see [`Choice`].
pub trait Keep<T, Rest>: keep::Sealed {
    /// The result alone, or with the rest.
    type Output;
    #[doc(hidden)]
    fn keep(chosen: (T, Rest)) -> Self::Output;
}

mod keep {
    pub trait Sealed {}
    impl Sealed for super::Value {}
    impl Sealed for super::WithRest {}
}

/// A choice gives the winner's result; the losing branches' arguments are
/// dropped.
#[derive(Clone, Copy, Debug)]
pub struct Value;

/// A choice gives the winner's result and [every branch's argument if it
/// lost](Choices::Rest): see [`Choice::with_rest`].
#[derive(Clone, Copy, Debug)]
pub struct WithRest;

impl<T, Rest> Keep<T, Rest> for Value {
    type Output = T;
    fn keep((result, _rest): (T, Rest)) -> T {
        result
    }
}

impl<T, Rest> Keep<T, Rest> for WithRest {
    type Output = (T, Rest);
    fn keep(chosen: (T, Rest)) -> (T, Rest) {
        chosen
    }
}

impl<T, C: Choices<T>> Choice<C, T> {
    /// The same choice, which also hands back the arguments of the branches
    /// that lost: each of its forms gives `(result, rest)`, where `rest` has
    /// each branch's argument, `None` for the one that fired (a tuple of
    /// `Option`s, or a `Vec`, as the branches).
    ///
    /// A losing branch's argument is `None` too if a firing on its object
    /// counted on its queued call just as another branch won, and took the
    /// call over (then it drops the argument, as for a dropped call's
    /// future): see the reference's *Choice* chapter.
    ///
    /// ```
    /// use chords_runtime::{choose, AsyncChannel, Join, SyncChannel};
    ///
    /// fn buffer() -> (Join, AsyncChannel<u32>, SyncChannel<String, u32>) {
    ///     let mut b = Join::builder();
    ///     let put = b.asynchronous::<u32>("put");
    ///     let get = b.synchronous::<String, u32>("get");
    ///     b.when(get).and(put).then(|((_, r), n)| r.send(n));
    ///     (b.build().unwrap(), put, get)
    /// }
    /// let ((left, _, left_get), (right, right_put, right_get)) = (buffer(), buffer());
    /// right.send(right_put, 3);
    /// let (n, rest) = choose((
    ///     left.call_op(left_get, "kept".to_string()),
    ///     right.call_op(right_get, "used".to_string()),
    /// ))
    /// .with_rest()
    /// .wait();
    /// assert_eq!((n, rest), (3, (Some("kept".to_string()), None)));
    /// ```
    pub fn with_rest(self) -> Choice<C, T, WithRest> {
        Choice {
            branches: self.branches,
            _result: PhantomData,
        }
    }
}

impl<T, C: Choices<T>, K: Keep<T, C::Rest>> Choice<C, T, K> {
    /// Blocks until one branch fires, and returns what it gives. The other
    /// branches leave no trace in their objects.
    ///
    /// A branch may be a *rendezvous* branch: a call that another caller's
    /// chord may take as its partner (`right` of `left(x) & right(y)`),
    /// perhaps another choice's branch. If that happens first, it is the
    /// branch that fires, and any chord handed to another goes back.
    ///
    /// # Panics
    /// As [`Join::call`]: if the chord that fires panics, or its reply is
    /// dropped. If one chord would take two branches' calls together: the
    /// choice would meet itself. (The same for every form below.)
    pub fn wait(self) -> K::Output {
        match self.make(Patience::Forever) {
            Ok(chosen) => chosen,
            Err(_) => unreachable!("a choice without deadline does not give up"),
        }
    }

    /// Fires the first branch that can fire at once, if any; otherwise
    /// queues nothing and hands every argument back.
    pub fn try_now(self) -> Result<K::Output, TryCallError<C::Args>> {
        self.make(Patience::Now).map_err(TryCallError)
    }

    /// Waits at most `timeout` for a branch to fire; on timeout, every
    /// argument comes back and no branch left a trace.
    pub fn wait_timeout(self, timeout: Duration) -> Result<K::Output, TimeoutError<C::Args>> {
        self.make(Patience::within(timeout)).map_err(TimeoutError)
    }

    /// Waits until `deadline` for a branch to fire; as
    /// [`wait_timeout`](Choice::wait_timeout) otherwise.
    pub fn wait_deadline(self, deadline: Instant) -> Result<K::Output, TimeoutError<C::Args>> {
        self.make(Patience::Until(deadline)).map_err(TimeoutError)
    }

    fn make(self, patience: Patience) -> Result<K::Output, C::Args> {
        self.branches.choose(patience).map(K::keep)
    }
}

/// Awaits the choice from an async task: the first branch whose call fires
/// wins, and the others leave no trace, as for [`Choice::wait`]. Dropping
/// the future withdraws every branch's call, or gives back a chord handed to
/// one (the call futures' [cancellation rules](crate::Join::call_async)), so
/// a runtime's timeout around it loses no message.
///
/// # Panics
/// As [`Choice::wait`], if one chord would take two branches' calls.
impl<T, C: Choices<T>, K: Keep<T, C::Rest>> IntoFuture for Choice<C, T, K> {
    type Output = K::Output;
    type IntoFuture = Kept<C::Future, K>;

    fn into_future(self) -> Self::IntoFuture {
        Kept {
            future: self.branches.into_future(),
            _keep: PhantomData,
        }
    }
}

/// The future of an awaited [`Choice`]: its branches' [`ChoiceFuture`],
/// giving what `K` keeps of its output.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Kept<F, K> {
    future: F,
    _keep: PhantomData<fn() -> K>,
}

impl<T, Rest, F: Future<Output = (T, Rest)>, K: Keep<T, Rest>> Future for Kept<F, K> {
    type Output = K::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<K::Output> {
        // SAFETY: `future` is structurally pinned: never moved out.
        let future = unsafe { self.map_unchecked_mut(|kept| &mut kept.future) };
        future.poll(cx).map(K::keep)
    }
}

/// One branch while the choice is made: its call's slot, and the waiter it
/// borrows once offered.
struct Leg<'a, A, R, F, N> {
    join: &'a Join,
    channel: SyncChannel<A, R>,
    slot: Slot<A, R>,
    offered: Option<(Caller, u64)>,
    map: Option<F>,
    now: N,
}

impl<'a, A, R, F, N> Leg<'a, A, R, F, N> {
    fn new(op: Op<'a, A, R, F, N>) -> Self {
        Leg {
            join: op.join,
            channel: op.channel,
            slot: Slot::new(op.arg),
            offered: None,
            map: Some(op.map),
            now: op.now,
        }
    }

    /// The argument, when no branch fired.
    fn into_arg(self) -> A {
        self.slot.take_arg()
    }

    /// The argument if the branch lost; `None` if it fired (its call took
    /// it).
    fn into_rest(self) -> Option<A> {
        self.slot.arg_left()
    }
}

/// What the choice does with a branch, whatever its types.
trait Branch<T> {
    /// Its call's join and channel.
    fn call(&self) -> (&Join, u32);
    /// Fires at once if it can (the poll).
    fn fire_now(&mut self) -> Option<T>;
    /// Queues the call, as branch `i` of the choice of `offer`.
    fn offer(&mut self, offer: &Offer, i: u32);
    /// Looks at the offered call: claims a chord handed to it, with the
    /// choice won for it (see `partners.rs`), and returns it. A chord that
    /// cannot run goes back, and the call queues again if the choice is
    /// still open.
    fn poll(&mut self, offer: &Offer, i: u32) -> Option<Claimed>;
    /// Withdraws the offered call of a branch that did not fire, or gives
    /// back a chord handed to it: its argument stays in the branch. A
    /// branch that `lost` (another fired) waits only a while for a firing
    /// that counts on its call, then leaves the call (and its argument) to
    /// that firing, which refuses it.
    fn leave(&mut self, lost: bool);
    /// The winner's result: runs the chord `claimed` for it, or waits for
    /// the answer of the partner's chord that took its call.
    ///
    /// # Panics
    /// As a call does, if that chord panicked or dropped its reply.
    fn finish(&mut self, claimed: Option<Claimed>) -> T;
}

impl<A, R, T, F, N> Branch<T> for Leg<'_, A, R, F, N>
where
    A: Send + 'static,
    R: Send + 'static,
    F: FnOnce(R) -> T,
    N: Now<A, R>,
{
    fn call(&self) -> (&Join, u32) {
        (self.join, self.channel.index)
    }

    fn fire_now(&mut self) -> Option<T> {
        match self.now.now(self.join, self.channel, self.slot.take_arg()) {
            Ok(result) => Some(self.map.take().expect("a branch fires once")(result)),
            Err(arg) => {
                self.slot.put_arg(arg);
                None
            }
        }
    }

    fn offer(&mut self, offer: &Offer, i: u32) {
        let queue = &self.join.state.channels[self.channel.index as usize];
        let caller = Caller::branch();
        let generation = queued::enqueue(self.join, queue, &caller, &self.slot, Some((offer, i)));
        count(Event::Queued);
        self.offered = Some((caller, generation));
    }

    fn poll(&mut self, offer: &Offer, i: u32) -> Option<Claimed> {
        let (caller, generation) = self.offered.as_ref()?;
        match caller.waiter().ended(*generation) {
            Some(Wake::HandedOver(chord)) => {
                // Claimed: the call is done with, whatever comes next.
                self.offered = None;
                match Reserved::handed_over(self.join, self.channel, chord, Some((offer, i))) {
                    Ok(reserved) => return Some(reserved.into_claimed()),
                    Err(Handed::Again) => self.offer(offer, i),
                    Err(Handed::Lost) => {}
                }
            }
            // A ghost of a settled choice, consumed unused.
            Some(Wake::Refused) => self.offered = None,
            // Taken by a partner's chord, which won the choice for it (the
            // offer says so), or still queued.
            _ => {}
        }
        None
    }

    fn leave(&mut self, lost: bool) {
        let Some((mut caller, generation)) = self.offered.take() else {
            return;
        };
        let (join, channel) = (self.join, self.channel.index);
        let backoff = Backoff::new();
        loop {
            match queued::withdraw(join, channel, caller.waiter(), generation) {
                Withdrawal::Withdrawn => return,
                // Every unit of the channel is reserved or not yet counted:
                // a firing will claim the call (and refuse it: the choice is
                // settled), or a caller counting its own call will free a
                // unit for the withdrawal, in a few steps. A branch that
                // lost waits for them a while, to keep its argument; then
                // (if that thread was descheduled, say) it leaves its call
                // to that firing, and its argument goes with the call.
                Withdrawal::Owed if lost && backoff.is_completed() => {
                    if queued::orphan(join, channel, &mut caller, generation, &self.slot) {
                        return;
                    }
                }
                Withdrawal::Owed => backoff.snooze(),
                // A firing holds the call: it hands it a chord, which goes
                // back; refuses it; or puts it back (withdraw again). No
                // firing takes it: the choice is not won for it.
                Withdrawal::Taken => loop {
                    match caller.waiter().ended(generation) {
                        Some(Wake::HandedOver(chord)) => return give_back(join, chord, channel),
                        Some(Wake::Refused) => return,
                        Some(_) => unreachable!("a branch that did not win never fires"),
                        None if caller.waiter().is_waiting(generation) => break,
                        None => backoff.snooze(),
                    }
                },
            }
        }
    }

    fn finish(&mut self, claimed: Option<Claimed>) -> T {
        let result = match claimed {
            Some(claimed) => {
                Reserved::from_claimed(self.join, self.channel, claimed).run(self.slot.take_arg())
            }
            None => {
                let (caller, generation) = self.offered.take().expect("the winner's call");
                match caller.waiter().wait(generation, None) {
                    Wake::Done => caller.result(&self.slot),
                    failed => queued::fail(self.join, failed),
                }
            }
        };
        self.map.take().expect("a branch fires once")(result)
    }
}

/// The branches of one choice, by position.
trait Legs<T> {
    fn len(&self) -> usize;
    fn leg(&mut self, i: usize) -> &mut dyn Branch<T>;
    fn leg_ref(&self, i: usize) -> &dyn Branch<T>;
}

impl<T, L: Branch<T>> Legs<T> for Vec<L> {
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn leg(&mut self, i: usize) -> &mut dyn Branch<T> {
        &mut self[i]
    }

    fn leg_ref(&self, i: usize) -> &dyn Branch<T> {
        &self[i]
    }
}

/// Checks the branches of a choice, the call of branch `i` being
/// `call(i)` (its join and channel): no chord takes the calls of two
/// branches together (the choice would wait for itself: that chord would
/// fire two branches, so it never may). Only rendezvous branches (calls
/// that another caller's chord may take as its partner) can meet so.
///
/// # Panics
/// If a check fails.
pub(crate) fn check_branches<'a>(n: usize, call: impl Fn(usize) -> (&'a Join, u32)) {
    let rendezvous = |i: usize| {
        let (join, channel) = call(i);
        !join.state.channels[channel as usize].choosable
    };
    if !(0..n).any(rendezvous) {
        return;
    }
    for i in 0..n {
        for j in i + 1..n {
            let ((join, a), (other, b)) = (call(i), call(j));
            if !Arc::ptr_eq(&join.state, &other.state) {
                continue;
            }
            let together = |needs: &[(u32, u32)]| {
                let n = |c: u32| needs.iter().find(|&&(d, _)| d == c).map_or(0, |&(_, n)| n);
                if a == b {
                    n(a) >= 2
                } else {
                    n(a) >= 1 && n(b) >= 1
                }
            };
            if let Some(chord) = join.state.chords.iter().find(|c| together(&c.needs)) {
                let name = |c: u32| &join.state.channels[c as usize].name;
                panic!(
                    "branches {i} (`{}`) and {j} (`{}`) of a choice are both calls of chord \
                     `{}`, which would fire them both: a choice cannot meet itself",
                    name(a),
                    name(b),
                    chord.name
                );
            }
        }
    }
}

/// Makes a choice among `legs` (see the module docs); `None` if none fired
/// within `patience`.
///
/// # Panics
/// If two branches could meet in one chord (see [`check_branches`]).
fn make<T>(legs: &mut dyn Legs<T>, patience: Patience) -> Option<T> {
    check_branches(legs.len(), |i| legs.leg_ref(i).call());
    for i in 0..legs.len() {
        if let Some(result) = legs.leg(i).fire_now() {
            return Some(result);
        }
    }
    let deadline = match patience {
        Patience::Now => return None,
        Patience::Until(deadline) => Some(deadline),
        Patience::Forever => None,
    };
    let offer = Offer::new();
    // The chord claimed for the winner, if it won so.
    let mut claimed = None;
    let mut offered = 0;
    while offered < legs.len() && offer.winner().is_none() {
        let leg = legs.leg(offered);
        leg.offer(&offer, offered as u32);
        claimed = leg.poll(&offer, offered as u32);
        offered += 1;
    }
    let mut backoff = Backoff::new();
    let winner = loop {
        if let Some(settled) = offer.winner() {
            break settled;
        }
        for i in 0..offered {
            claimed = claimed.or_else(|| legs.leg(i).poll(&offer, i as u32));
        }
        if offer.winner().is_some() {
            continue;
        }
        if !backoff.is_completed() {
            backoff.snooze();
            continue;
        }
        count(Event::Park);
        match deadline {
            Some(deadline) if cfg!(loom) || Instant::now() >= deadline => {
                // Gives up, unless a branch fired meanwhile.
                if offer.close().is_ok() {
                    break Settled::Closed;
                }
            }
            Some(deadline) => executor::park(Some(deadline)),
            None => executor::park(None),
        }
        backoff = Backoff::new();
    };
    let winner = match winner {
        Settled::Won(i) => Some(i as usize),
        Settled::Closed => None,
    };
    for i in (0..offered).filter(|&i| Some(i) != winner) {
        legs.leg(i).leave(winner.is_some());
    }
    winner.map(|i| legs.leg(i).finish(claimed))
}

impl<A, R, F, N> Sealed for Vec<Op<'_, A, R, F, N>> {}

impl<'a, T, A, R, F, N> Choices<T> for Vec<Op<'a, A, R, F, N>>
where
    A: Send + 'static,
    R: Send + 'static,
    F: FnOnce(R) -> T + 'a,
    N: Now<A, R>,
{
    type Args = Vec<A>;
    type Rest = Vec<Option<A>>;
    type Future = ChoiceFuture<Vec<AsyncLeg<'a, A, R, F>>, T>;

    fn into_future(self) -> Self::Future {
        ChoiceFuture::new(self.into_iter().map(AsyncLeg::new).collect())
    }

    fn choose(self, patience: Patience) -> Result<(T, Vec<Option<A>>), Vec<A>> {
        let mut legs: Vec<Leg<'_, A, R, F, N>> = self.into_iter().map(Leg::new).collect();
        match make(&mut legs, patience) {
            Some(result) => Ok((result, legs.into_iter().map(Leg::into_rest).collect())),
            None => Err(legs.into_iter().map(Leg::into_arg).collect()),
        }
    }
}

/// The branches of a tuple, as `Legs`.
struct Tuple<'l, T, const N: usize>([&'l mut dyn Branch<T>; N]);

impl<T, const N: usize> Legs<T> for Tuple<'_, T, N> {
    fn len(&self) -> usize {
        N
    }

    fn leg(&mut self, i: usize) -> &mut dyn Branch<T> {
        &mut *self.0[i]
    }

    fn leg_ref(&self, i: usize) -> &dyn Branch<T> {
        &*self.0[i]
    }
}

macro_rules! tuples {
    ($n:literal: $(($A:ident, $R:ident, $F:ident, $N:ident, $l:ident, $i:tt)),+) => {
        crate::awaited_choice::tuple_legs!($(($A, $R, $F, $i)),+);

        impl<$($A, $R, $F, $N,)+> Sealed for ($(Op<'_, $A, $R, $F, $N>,)+) {}

        impl<'a, T, $($A, $R, $F, $N,)+> Choices<T> for ($(Op<'a, $A, $R, $F, $N>,)+)
        where
            $(
                $A: Send + 'static,
                $R: Send + 'static,
                $F: FnOnce($R) -> T + 'a,
                $N: Now<$A, $R>,
            )+
        {
            type Args = ($($A,)+);
            type Rest = ($(Option<$A>,)+);
            type Future = ChoiceFuture<($(AsyncLeg<'a, $A, $R, $F>,)+), T>;

            fn into_future(self) -> Self::Future {
                let ($($l,)+) = self;
                ChoiceFuture::new(($(AsyncLeg::new($l),)+))
            }

            fn choose(self, patience: Patience) -> Result<(T, Self::Rest), Self::Args> {
                let ($($l,)+) = self;
                $(let mut $l = Leg::new($l);)+
                let result = make(&mut Tuple::<T, $n>([$(&mut $l,)+]), patience);
                match result {
                    Some(result) => Ok((result, ($($l.into_rest(),)+))),
                    None => Err(($($l.into_arg(),)+)),
                }
            }
        }
    };
}

tuples!(1: (A1, R1, F1, N1, l1, 0));
tuples!(2: (A1, R1, F1, N1, l1, 0), (A2, R2, F2, N2, l2, 1));
tuples!(3: (A1, R1, F1, N1, l1, 0), (A2, R2, F2, N2, l2, 1), (A3, R3, F3, N3, l3, 2));
tuples!(4: (A1, R1, F1, N1, l1, 0), (A2, R2, F2, N2, l2, 1), (A3, R3, F3, N3, l3, 2), (A4, R4, F4, N4, l4, 3));
tuples!(5: (A1, R1, F1, N1, l1, 0), (A2, R2, F2, N2, l2, 1), (A3, R3, F3, N3, l3, 2), (A4, R4, F4, N4, l4, 3),
    (A5, R5, F5, N5, l5, 4));
tuples!(6: (A1, R1, F1, N1, l1, 0), (A2, R2, F2, N2, l2, 1), (A3, R3, F3, N3, l3, 2), (A4, R4, F4, N4, l4, 3),
    (A5, R5, F5, N5, l5, 4), (A6, R6, F6, N6, l6, 5));
tuples!(7: (A1, R1, F1, N1, l1, 0), (A2, R2, F2, N2, l2, 1), (A3, R3, F3, N3, l3, 2), (A4, R4, F4, N4, l4, 3),
    (A5, R5, F5, N5, l5, 4), (A6, R6, F6, N6, l6, 5), (A7, R7, F7, N7, l7, 6));
tuples!(8: (A1, R1, F1, N1, l1, 0), (A2, R2, F2, N2, l2, 1), (A3, R3, F3, N3, l3, 2), (A4, R4, F4, N4, l4, 3),
    (A5, R5, F5, N5, l5, 4), (A6, R6, F6, N6, l6, 5), (A7, R7, F7, N7, l7, 6), (A8, R8, F8, N8, l8, 7));
