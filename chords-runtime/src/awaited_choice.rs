//! An awaited choice: the future that `choose(..).await` and `select_async!`
//! make.
//!
//! Each branch is the future of its call (`awaited.rs`), polled in the
//! order listed. The first branch whose call fires wins: its future is
//! Ready, or Pending with a chord already running with its call (a body
//! that sends the reply from elsewhere later). The choice then drops every
//! other branch's future, which withdraws its call or gives back the chord
//! handed to it, as a dropped call's future does, and polls only the winner
//! from then on. A branch's call fires only in its own future's `poll`
//! (its channel is choosable: no other caller's firing takes it), and no
//! branch is polled after another fired, so exactly one fires.
//!
//! Dropped at any point, the choice drops its branches' futures: each
//! leaves no trace, as a dropped call's future does, and a winner whose
//! body is running has its result dropped.

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::awaited::{CallFuture, General};
use crate::choice::Op;

/// The future of a choice made by an async task: see
/// [`Choice`](crate::Choice)'s `IntoFuture`.
#[must_use = "futures do nothing unless polled"]
pub struct ChoiceFuture<L, T> {
    legs: L,
    /// The branch that fired, once one did.
    fired: Option<usize>,
    done: bool,
    _result: std::marker::PhantomData<fn() -> T>,
    _pinned: PhantomPinned,
}

impl<L, T> ChoiceFuture<L, T> {
    pub(crate) fn new(legs: L) -> Self {
        ChoiceFuture {
            legs,
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
    call: Option<CallFuture<'a, A, R, General<'a, A, R>>>,
    map: Option<F>,
    /// The argument, once the branch lost.
    rest: Option<A>,
}

impl<'a, A: Send + 'static, R: Send + 'static, F> AsyncLeg<'a, A, R, F> {
    /// # Panics
    /// If the op's channel is not choosable: a rendezvous branch, which a
    /// partner's chord could take while another branch fires in a poll.
    pub(crate) fn new<N>(op: Op<'a, A, R, F, N>) -> Self {
        let (join, channel, arg, map) = op.into_parts();
        let state = &join.state.channels[channel.index as usize];
        assert!(
            state.choosable,
            "an awaited choice takes no rendezvous branch (yet): `{}` may be taken by another \
             caller's chord as its partner; make this choice on a thread",
            state.name
        );
        AsyncLeg {
            call: Some(CallFuture::new(
                join,
                channel,
                arg,
                General { join, channel },
            )),
            map: Some(map),
            rest: None,
        }
    }

    /// The argument, if the branch lost.
    pub(crate) fn take_rest(self: Pin<&mut Self>) -> Option<A> {
        // SAFETY: `rest` is not structurally pinned.
        unsafe { self.get_unchecked_mut() }.rest.take()
    }
}

/// What the choice does with a branch, whatever its types.
pub trait Branch<T> {
    /// Polls the branch's call: its mapped result once it came.
    fn poll_call(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T>;
    /// Whether its call fired and its result is still to come.
    fn has_fired(&self) -> bool;
    /// Ends the branch, which lost: withdraws its call, or gives back the
    /// chord handed to it, and keeps its argument.
    fn lose(self: Pin<&mut Self>);
}

impl<A: Send + 'static, R: Send + 'static, T, F: FnOnce(R) -> T> Branch<T>
    for AsyncLeg<'_, A, R, F>
{
    fn poll_call(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        // SAFETY: the call's future is never moved out of the pinned leg:
        // it is polled in place and dropped in place (`Pin::set`); `map` is
        // not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above: `call` stays where it is.
        let mut call = unsafe { Pin::new_unchecked(&mut this.call) };
        let Some(future) = call.as_mut().as_pin_mut() else {
            panic!("a choice's branch polled after it completed");
        };
        let result = std::task::ready!(future.poll(cx));
        call.set(None);
        let map = this.map.take().expect("a branch completes once");
        Poll::Ready(map(result))
    }

    fn has_fired(&self) -> bool {
        self.call.as_ref().is_some_and(CallFuture::has_fired)
    }

    fn lose(self: Pin<&mut Self>) {
        // SAFETY: as in `poll_call`: withdrawn and dropped in place; `rest`
        // is not structurally pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let mut call = unsafe { Pin::new_unchecked(&mut this.call) };
        this.rest = call.as_mut().as_pin_mut().and_then(CallFuture::withdraw);
        call.set(None);
    }
}

/// The branches of one awaited choice, by position.
pub trait Legs<'a, T>: Rest {
    fn len(&self) -> usize;
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

// `choice.rs` implements `Legs` for each tuple of ops it chooses among.
pub(crate) use tuple_legs;

impl<'a, L: Legs<'a, T>, T> Future for ChoiceFuture<L, T> {
    type Output = (T, <L as Rest>::Rest);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `legs` is structurally pinned (never moved out); the
        // other fields are plain data.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(!this.done, "a choice's future polled after it completed");
        // SAFETY: as above: `legs` stays where it is.
        let mut legs = unsafe { Pin::new_unchecked(&mut this.legs) };
        let polled = match this.fired {
            Some(winner) => legs.as_mut().leg(winner).poll_call(cx),
            None => 'fire: {
                for i in 0..legs.len() {
                    let polled = legs.as_mut().leg(i).poll_call(cx);
                    if !(polled.is_ready() || legs.as_mut().leg(i).has_fired()) {
                        continue;
                    }
                    // Exactly one branch fires: the others go, before any
                    // of them is polled again.
                    for other in (0..legs.len()).filter(|&j| j != i) {
                        legs.as_mut().leg(other).lose();
                    }
                    this.fired = Some(i);
                    break 'fire polled;
                }
                Poll::Pending
            }
        };
        let result = std::task::ready!(polled);
        this.done = true;
        Poll::Ready((result, legs.rest()))
    }
}
