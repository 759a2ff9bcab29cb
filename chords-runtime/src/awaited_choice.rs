//! An awaited choice: the future that `choose(..).await` and `select_async!`
//! make.
//!
//! Each branch is the future of its call (`awaited.rs`), polled in the
//! order listed, up to the point where a chord is reserved for it (fired at
//! once, or handed to its queued call), but not run. Every branch's call
//! carries the choice's offer word (`offer.rs`), which lives in this
//! pinned future after the branches: a chord is reserved for a branch only
//! with the offer won for it (`partners.rs`), and a partner's chord takes a
//! rendezvous branch's call only so too. So the first branch that wins the
//! offer is the one that fires: the choice then leaves every other branch
//! (withdraws its call, or gives back a chord handed to it before the offer
//! was settled), and polls only the winner. A call left to a firing that
//! counts on it is a ghost that the firing refuses.
//!
//! Dropped at any point, the choice drops its branches' futures: each
//! leaves no trace, as a dropped call's future does, and a winner whose
//! body is running has its result dropped. A branch's call orphaned so is
//! a ghost too: no firing uses it.

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::awaited::{CallFuture, General, OfferRef, Polled};
use crate::choice::{self, Op};
use crate::offer::{Offer, Settled};
use crate::reserved::Reserved;
use crate::state::Join;

/// The future of a choice made by an async task: see
/// [`Choice`](crate::Choice)'s `IntoFuture`.
#[must_use = "futures do nothing unless polled"]
pub struct ChoiceFuture<L, T> {
    legs: L,
    /// The offer word of the choice, which the branches' calls point to:
    /// dropped after them.
    offer: Offer,
    /// Whether the branches know the offer (from the first poll, once the
    /// future is pinned).
    offered: bool,
    /// The branch that fired, once one did.
    fired: Option<usize>,
    done: bool,
    _result: std::marker::PhantomData<fn() -> T>,
    _pinned: PhantomPinned,
}

impl<'a, L: Legs<'a, T>, T> ChoiceFuture<L, T> {
    /// # Panics
    /// If two branches could meet in one chord (see
    /// [`Choice::wait`](crate::Choice::wait)).
    pub(crate) fn new(legs: L) -> Self {
        choice::check_branches(legs.len(), |i| legs.call(i));
        ChoiceFuture {
            legs,
            offer: Offer::new(),
            offered: false,
            fired: None,
            done: false,
            _result: std::marker::PhantomData,
            _pinned: PhantomPinned,
        }
    }
}

impl<L, T> std::fmt::Debug for ChoiceFuture<L, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChoiceFuture")
            .field("fired", &self.fired)
            .finish_non_exhaustive()
    }
}

/// One branch of an awaited choice: its call's future, while it stands, and
/// what maps its result.
#[doc(hidden)]
pub struct AsyncLeg<'a, A: Send + 'static, R: Send + 'static, F> {
    /// The call's join and channel.
    pub(crate) target: (&'a Join, u32),
    call: Option<CallFuture<'a, A, R, General<'a, A, R>>>,
    map: Option<F>,
    /// A chord reserved for the call, with its argument, while the choice
    /// leaves the other branches.
    reserved: Option<(Reserved<'a, A, R>, A)>,
    /// The argument, once the branch lost.
    rest: Option<A>,
}

impl<'a, A: Send + 'static, R: Send + 'static, F> AsyncLeg<'a, A, R, F> {
    pub(crate) fn new<N>(op: Op<'a, A, R, F, N>) -> Self {
        let (join, channel, arg, map) = op.into_parts();
        AsyncLeg {
            target: (join, channel.index),
            call: Some(CallFuture::new(
                join,
                channel,
                arg,
                General::new(join, channel),
            )),
            map: Some(map),
            reserved: None,
            rest: None,
        }
    }

    /// The argument, if the branch lost.
    pub(crate) fn take_rest(self: Pin<&mut Self>) -> Option<A> {
        // SAFETY: `rest` is not structurally pinned.
        unsafe { self.get_unchecked_mut() }.rest.take()
    }
}

impl<A: Send + 'static, R: Send + 'static, F> Drop for AsyncLeg<'_, A, R, F> {
    fn drop(&mut self) {
        // A chord reserved for the branch, not run (a panic in another
        // branch's leaving): its messages go back.
        if let (Some((chord, _)), Some(call)) = (self.reserved.take(), &self.call) {
            call.give_back(chord);
        }
    }
}

/// How far a poll took a branch.
pub enum Step<T> {
    /// A chord is reserved for it, with the choice won for it (kept in
    /// the branch): to run.
    Reserved,
    /// A partner's chord took it: its result, mapped.
    Done(T),
    /// A partner's chord took it, and its result is still to come.
    Taken,
    /// Neither yet.
    Waiting,
}

/// What the choice does with a branch, whatever its types.
pub trait Branch<T> {
    /// Makes the branch's call branch `offer`'s of the choice.
    fn offer(self: Pin<&mut Self>, offer: OfferRef);
    /// Polls the branch's call until a chord is reserved for it, or a
    /// partner's chord took it (either wins the choice for it).
    fn poll_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Step<T>;
    /// Runs the chord reserved for it, or polls the call a partner's chord
    /// took: its mapped result once it came.
    fn poll_won(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T>;
    /// Ends the branch, which lost: withdraws its call, or gives back the
    /// chord handed to it, and keeps its argument.
    fn lose(self: Pin<&mut Self>);
}

impl<'a, A: Send + 'static, R: Send + 'static, F> AsyncLeg<'a, A, R, F> {
    /// The leg's fields, as pinned projections: the call's future (pinned,
    /// never moved out), and the rest (not structurally pinned).
    #[allow(clippy::type_complexity)]
    fn project(
        self: Pin<&mut Self>,
    ) -> (
        Pin<&mut Option<CallFuture<'a, A, R, General<'a, A, R>>>>,
        &mut Option<F>,
        &mut Option<(Reserved<'a, A, R>, A)>,
        &mut Option<A>,
    ) {
        // SAFETY: `call` is structurally pinned: polled, left and dropped in
        // place (`Pin::set`), never moved out; the other fields are not.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let call = unsafe { Pin::new_unchecked(&mut this.call) };
        (call, &mut this.map, &mut this.reserved, &mut this.rest)
    }
}

impl<A: Send + 'static, R: Send + 'static, T, F: FnOnce(R) -> T> Branch<T>
    for AsyncLeg<'_, A, R, F>
{
    fn offer(self: Pin<&mut Self>, offer: OfferRef) {
        let (call, ..) = self.project();
        if let Some(future) = call.as_pin_mut() {
            future.offer(offer);
        }
    }

    fn poll_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Step<T> {
        let (mut call, map, reserved, _) = self.project();
        let Some(mut future) = call.as_mut().as_pin_mut() else {
            panic!("a choice's branch polled after it completed");
        };
        match future.as_mut().poll_reserve(cx) {
            Poll::Ready(Polled::Reserved(chord, arg)) => {
                *reserved = Some((chord, arg));
                Step::Reserved
            }
            Poll::Ready(Polled::Done(result)) => {
                call.set(None);
                Step::Done(map.take().expect("a branch completes once")(result))
            }
            Poll::Pending if future.has_fired() => Step::Taken,
            Poll::Pending => Step::Waiting,
        }
    }

    fn poll_won(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let (mut call, map, reserved, _) = self.project();
        let Some(future) = call.as_mut().as_pin_mut() else {
            panic!("a choice's branch polled after it completed");
        };
        let result = std::task::ready!(match reserved.take() {
            Some((chord, arg)) => future.run(chord, arg, cx),
            None => future.poll(cx),
        });
        call.set(None);
        Poll::Ready(map.take().expect("a branch completes once")(result))
    }

    fn lose(self: Pin<&mut Self>) {
        let (mut call, _, _, rest) = self.project();
        if let Some(future) = call.as_mut().as_pin_mut() {
            *rest = future.withdraw();
        }
        call.set(None);
    }
}

/// The branches of one awaited choice, by position.
pub trait Legs<'a, T>: Rest {
    fn len(&self) -> usize;
    /// The join and channel of branch `i`'s call.
    fn call(&self, i: usize) -> (&Join, u32);
    fn leg<'s>(self: Pin<&'s mut Self>, i: usize) -> Pin<&'s mut (dyn Branch<T> + 'a)>;
}

/// The arguments of an awaited choice's branches that lost.
pub trait Rest {
    /// Each branch's argument if it lost (see [`Choices::Rest`](crate::Choices::Rest)).
    type Rest;
    /// Takes them.
    fn rest(self: Pin<&mut Self>) -> Self::Rest;
}

impl<'a, T, A: Send + 'static, R: Send + 'static, F: FnOnce(R) -> T + 'a> Legs<'a, T>
    for Vec<AsyncLeg<'a, A, R, F>>
{
    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn call(&self, i: usize) -> (&Join, u32) {
        self[i].target
    }

    fn leg<'s>(self: Pin<&'s mut Self>, i: usize) -> Pin<&'s mut (dyn Branch<T> + 'a)> {
        // SAFETY: the vector is never resized once the choice is made, so
        // its elements stay where they are until it drops.
        unsafe { self.map_unchecked_mut(|legs| &mut legs[i] as &mut (dyn Branch<T> + 'a)) }
    }
}

impl<A: Send + 'static, R: Send + 'static, F> Rest for Vec<AsyncLeg<'_, A, R, F>> {
    type Rest = Vec<Option<A>>;

    fn rest(self: Pin<&mut Self>) -> Vec<Option<A>> {
        // SAFETY: as in `leg`: each element is used in place.
        let legs = unsafe { self.get_unchecked_mut() };
        legs.iter_mut()
            // SAFETY: as above.
            .map(|leg| unsafe { Pin::new_unchecked(leg) }.take_rest())
            .collect()
    }
}

/// `Legs` for a tuple of branches: `(A, R, F, index)` each.
macro_rules! tuple_legs {
    ($(($A:ident, $R:ident, $F:ident, $i:tt)),+) => {
        impl<'a, T, $($A: Send + 'static, $R: Send + 'static, $F: FnOnce($R) -> T + 'a,)+>
            $crate::awaited_choice::Legs<'a, T> for ($($crate::awaited_choice::AsyncLeg<'a, $A, $R, $F>,)+)
        {
            fn len(&self) -> usize {
                [$($i,)+].len()
            }

            fn call(&self, i: usize) -> (&$crate::Join, u32) {
                [$(self.$i.target,)+][i]
            }

            fn leg<'s>(
                self: ::std::pin::Pin<&'s mut Self>,
                i: usize,
            ) -> ::std::pin::Pin<&'s mut (dyn $crate::awaited_choice::Branch<T> + 'a)> {
                match i {
                    // SAFETY: a field of a pinned tuple, never moved out.
                    $($i => unsafe {
                        self.map_unchecked_mut(|legs| &mut legs.$i as &mut (dyn $crate::awaited_choice::Branch<T> + 'a))
                    },)+
                    _ => unreachable!("a branch of this choice"),
                }
            }
        }

        impl<$($A: Send + 'static, $R: Send + 'static, $F,)+> $crate::awaited_choice::Rest
            for ($($crate::awaited_choice::AsyncLeg<'_, $A, $R, $F>,)+)
        {
            type Rest = ($(Option<$A>,)+);

            fn rest(self: ::std::pin::Pin<&mut Self>) -> Self::Rest {
                // SAFETY: a field of a pinned tuple, used in place.
                let legs = unsafe { self.get_unchecked_mut() };
                // SAFETY: as above.
                ($(unsafe { ::std::pin::Pin::new_unchecked(&mut legs.$i) }.take_rest(),)+)
            }
        }
    };
}

/// Ends every branch but `winner`: each keeps its argument as its rest.
fn lose_all_but<'a, T, L: Legs<'a, T> + ?Sized>(mut legs: Pin<&mut L>, winner: usize) {
    for other in (0..legs.len()).filter(|&j| j != winner) {
        legs.as_mut().leg(other).lose();
    }
}

// `choice.rs` implements `Legs` for each tuple of ops it chooses among.
pub(crate) use tuple_legs;

impl<'a, L: Legs<'a, T>, T> Future for ChoiceFuture<L, T> {
    type Output = (T, <L as Rest>::Rest);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `legs` and `offer` are structurally pinned (never moved
        // out); the other fields are plain data.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(!this.done, "a choice's future polled after it completed");
        // SAFETY: as above: `legs` stays where it is.
        let mut legs = unsafe { Pin::new_unchecked(&mut this.legs) };
        if !this.offered {
            // Pinned now: the offer stays where it is until the branches go.
            for i in 0..legs.len() {
                legs.as_mut()
                    .leg(i)
                    .offer(OfferRef::new(&this.offer, i as u32));
            }
            this.offered = true;
        }
        let polled = match this.fired {
            Some(winner) => legs.as_mut().leg(winner).poll_won(cx),
            None => 'fire: {
                let mut winner = None;
                for i in 0..legs.len() {
                    if let Some(Settled::Won(w)) = this.offer.winner() {
                        winner = Some(w as usize);
                        break;
                    }
                    match legs.as_mut().leg(i).poll_step(cx) {
                        Step::Waiting => {}
                        Step::Done(result) => {
                            this.fired = Some(i);
                            lose_all_but(legs.as_mut(), i);
                            break 'fire Poll::Ready(result);
                        }
                        Step::Taken | Step::Reserved => {
                            winner = Some(i);
                            break;
                        }
                    }
                }
                // A partner's chord may have won a branch polled before.
                let winner = winner.or(match this.offer.winner() {
                    Some(Settled::Won(w)) => Some(w as usize),
                    _ => None,
                });
                let Some(winner) = winner else {
                    break 'fire Poll::Pending;
                };
                // Exactly one branch fires: the others go, before the
                // winner's chord runs and before any is polled again.
                lose_all_but(legs.as_mut(), winner);
                this.fired = Some(winner);
                legs.as_mut().leg(winner).poll_won(cx)
            }
        };
        let result = std::task::ready!(polled);
        this.done = true;
        Poll::Ready((result, legs.rest()))
    }
}
