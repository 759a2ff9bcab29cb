//! An awaited choice: the future that `choose(..).await` and `select_async!`
//! make.
//!
//! Each branch is the future of its call (`awaited.rs`), polled in the
//! order listed, up to the point where a chord is reserved for it (fired at
//! once, or handed to its queued call), but not run. The first branch that
//! gets one wins: before it runs the chord, the choice leaves the other
//! branches (withdraws each call, or gives back a chord handed to it), and
//! then polls only the winner. So a choosable branch's call fires only when
//! the choice runs its chord, after every other branch left.
//!
//! A *rendezvous* branch (one at most, as for a thread's choice) may
//! instead be taken by a partner's chord at any time, which cannot be
//! undone: it wins whenever that happens (its future is Ready, or Pending
//! with its result to come). So before a choosable winner runs its chord,
//! the choice leaves the rendezvous branch first, never orphaning it; if a
//! partner took it meanwhile, the rendezvous branch wins and the other's
//! chord goes back. If a firing counts on the rendezvous call but has not
//! taken it yet, the choice cannot settle: that firing's chord may be handed
//! to a task of this very thread, which must run first. So the winner keeps
//! its chord reserved (`held`), the poll returns Pending and wakes the task
//! at once, and the next poll tries again. A held chord goes back if the
//! choice is dropped.
//!
//! Dropped at any point, the choice drops its branches' futures: each
//! leaves no trace, as a dropped call's future does, and a winner whose
//! body is running has its result dropped. (A rendezvous branch left so
//! may still be taken by a firing that counted on it; then its result is
//! dropped, and no other branch ran.)

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::awaited::{CallFuture, General, Leaving, Polled};
use crate::choice::{self, Op};
use crate::reserved::Reserved;
use crate::state::Join;

/// The future of a choice made by an async task: see
/// [`Choice`](crate::Choice)'s `IntoFuture`.
#[must_use = "futures do nothing unless polled"]
pub struct ChoiceFuture<L, T> {
    legs: L,
    /// The branch that fired, once one did.
    fired: Option<usize>,
    /// A branch that holds a reserved chord while the rendezvous branch,
    /// which a firing counts on, is still to leave.
    held: Option<usize>,
    done: bool,
    _result: std::marker::PhantomData<fn() -> T>,
    _pinned: PhantomPinned,
}

impl<'a, L: Legs<'a, T>, T> ChoiceFuture<L, T> {
    /// # Panics
    /// If more than one branch is a rendezvous branch (see
    /// [`Choice::wait`](crate::Choice::wait)).
    pub(crate) fn new(legs: L) -> Self {
        choice::check_branches(legs.len(), |i| legs.call(i));
        ChoiceFuture {
            legs,
            fired: None,
            held: None,
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
    /// leaves a rendezvous branch.
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
                General { join, channel },
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
        // A chord reserved for the branch while the choice waited to settle:
        // its messages go back.
        if let (Some((chord, _)), Some(call)) = (self.reserved.take(), &self.call) {
            call.give_back(chord);
        }
    }
}

/// How far a poll took a branch.
pub enum Step<T> {
    /// A chord is reserved for it (kept in the branch): to run, or give
    /// back.
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
    /// Whether a partner's chord may take its call.
    fn rendezvous(&self) -> bool;
    /// Polls the branch's call until a chord is reserved for it, or a
    /// partner's chord took it.
    fn poll_step(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Step<T>;
    /// Runs the chord reserved for it, or polls the call a partner's chord
    /// took: its mapped result once it came.
    fn poll_won(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T>;
    /// Gives back the chord reserved for it: it lost, and keeps its
    /// argument.
    fn give_back(self: Pin<&mut Self>);
    /// Leaves a rendezvous branch before another runs its chord:
    /// [`Leaving::Fired`] if a partner's chord took it first (it wins),
    /// [`Leaving::Owed`] if a firing counts on it (try again later).
    fn leave_unless_taken(self: Pin<&mut Self>) -> Leaving<()>;
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
    fn rendezvous(&self) -> bool {
        let (join, channel) = self.target;
        !join.state.channels[channel as usize].choosable
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

    fn give_back(self: Pin<&mut Self>) {
        let (mut call, _, reserved, rest) = self.project();
        let (chord, arg) = reserved.take().expect("a chord reserved for the branch");
        if let Some(future) = call.as_ref().as_pin_ref() {
            future.give_back(chord);
        }
        *rest = Some(arg);
        call.set(None);
    }

    fn leave_unless_taken(self: Pin<&mut Self>) -> Leaving<()> {
        let (mut call, _, _, rest) = self.project();
        let Some(future) = call.as_mut().as_pin_mut() else {
            return Leaving::Left(());
        };
        match future.leave_unless_taken() {
            Leaving::Left(arg) => {
                *rest = Some(arg);
                call.set(None);
                Leaving::Left(())
            }
            Leaving::Fired => Leaving::Fired,
            Leaving::Owed => Leaving::Owed,
        }
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

/// Settles the choice for branch `reserved`, which has a chord reserved:
/// leaves the rendezvous branch (if another is one), then every other
/// branch, and returns the winner: `reserved`, or the rendezvous branch if a
/// partner took it first (then `reserved`'s chord goes back). `None` if a
/// firing counts on the rendezvous branch's call: nothing changed, try
/// again later.
fn settle<'a, T, L: Legs<'a, T> + ?Sized>(mut legs: Pin<&mut L>, reserved: usize) -> Option<usize> {
    let rendezvous = (0..legs.len()).find(|&j| j != reserved && legs.as_mut().leg(j).rendezvous());
    let mut winner = reserved;
    if let Some(r) = rendezvous {
        match legs.as_mut().leg(r).leave_unless_taken() {
            Leaving::Left(()) => {}
            Leaving::Fired => {
                legs.as_mut().leg(reserved).give_back();
                winner = r;
            }
            Leaving::Owed => return None,
        }
    }
    // Exactly one branch fires: the others go, before the winner's chord
    // runs and before any is polled again.
    lose_all_but(legs, winner);
    Some(winner)
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
        // SAFETY: `legs` is structurally pinned (never moved out); the
        // other fields are plain data.
        let this = unsafe { self.get_unchecked_mut() };
        assert!(!this.done, "a choice's future polled after it completed");
        // SAFETY: as above: `legs` stays where it is.
        let mut legs = unsafe { Pin::new_unchecked(&mut this.legs) };
        let polled = match (this.fired, this.held) {
            (Some(winner), _) => legs.as_mut().leg(winner).poll_won(cx),
            (None, Some(held)) => match settle(legs.as_mut(), held) {
                Some(winner) => {
                    this.held = None;
                    this.fired = Some(winner);
                    legs.as_mut().leg(winner).poll_won(cx)
                }
                None => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            },
            (None, None) => 'fire: {
                for i in 0..legs.len() {
                    let winner = match legs.as_mut().leg(i).poll_step(cx) {
                        Step::Waiting => continue,
                        Step::Done(result) => {
                            this.fired = Some(i);
                            lose_all_but(legs.as_mut(), i);
                            break 'fire Poll::Ready(result);
                        }
                        Step::Taken => {
                            lose_all_but(legs.as_mut(), i);
                            i
                        }
                        Step::Reserved => match settle(legs.as_mut(), i) {
                            Some(winner) => winner,
                            // A firing counts on the rendezvous branch's
                            // call: perhaps a task of this thread's, which
                            // must run before the choice can be settled.
                            None => {
                                this.held = Some(i);
                                cx.waker().wake_by_ref();
                                break 'fire Poll::Pending;
                            }
                        },
                    };
                    this.fired = Some(winner);
                    break 'fire legs.as_mut().leg(winner).poll_won(cx);
                }
                Poll::Pending
            }
        };
        let result = std::task::ready!(polled);
        this.done = true;
        Poll::Ready((result, legs.rest()))
    }
}
