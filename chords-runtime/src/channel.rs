//! Channel handles: typed, `Copy` names of a join's channels.

use std::fmt;
use std::marker::PhantomData;

/// An asynchronous channel of a [`Join`](crate::Join): messages of type `T`.
///
/// A `Copy` handle made by [`JoinBuilder::asynchronous`](crate::JoinBuilder::asynchronous);
/// send on it with [`Join::send`](crate::Join::send). In a pattern it binds one
/// message, `T`; [`times`](AsyncChannel::times) binds several.
///
/// ```
/// let mut b = chords_runtime::Join::builder();
/// let put = b.asynchronous::<i32>("put");
/// b.when(put).then(|(n,)| assert_eq!(n, 1));
/// let join = b.build().unwrap();
/// join.send(put, 1);
/// ```
pub struct AsyncChannel<T> {
    pub(crate) join: u64,
    pub(crate) index: u32,
    _message: PhantomData<fn(T) -> T>,
}

/// A synchronous channel of a [`Join`](crate::Join): calls take an `A` and return an `R`.
///
/// A `Copy` handle made by [`JoinBuilder::synchronous`](crate::JoinBuilder::synchronous);
/// call it with [`Join::call`](crate::Join::call) and its `try_`, `_timeout` and
/// `_deadline` forms. In a pattern it binds `(A, Reply<R>)`: the argument and
/// the [`Reply`](crate::Reply) that carries the caller's result.
///
/// ```
/// let mut b = chords_runtime::Join::builder();
/// let double = b.synchronous::<i32, i32>("double");
/// b.when(double).then(|((n, reply),)| reply.send(2 * n));
/// let join = b.build().unwrap();
/// assert_eq!(join.call(double, 21), 42);
/// ```
pub struct SyncChannel<A, R> {
    pub(crate) join: u64,
    pub(crate) index: u32,
    _call: PhantomData<fn(A) -> R>,
}

/// `N` messages of one channel in a pattern, bound as an array, oldest first.
///
/// Made by [`AsyncChannel::times`] or [`SyncChannel::times`].
///
/// ```
/// let mut b = chords_runtime::Join::builder();
/// let item = b.asynchronous::<u8>("item");
/// let (tx, rx) = std::sync::mpsc::channel();
/// b.when(item.times::<3>()).then(move |(items,)| tx.send(items).unwrap());
/// let join = b.build().unwrap();
/// for i in 1..=3 {
///     join.send(item, i);
/// }
/// assert_eq!(rx.recv().unwrap(), [1, 2, 3]);
/// ```
pub struct Repeat<C, const N: usize>(pub(crate) C);

/// A synchronous channel whose call's argument the chord's guard reads:
/// made by [`SyncChannel::argument`]. As a term it is its channel; the
/// guard sees `&A` (see [`Visible`](crate::Visible)).
///
/// Calls of such a channel do not queue: a queued call's argument is its
/// caller's, which may withdraw it at any moment, so only the caller reads
/// it. A call that cannot fire at once waits for the next arrival on the
/// join and tries again, in the caller's thread or task. So the oldest
/// call does not go first, and such a call cannot be a branch of a
/// blocking choice.
///
/// ```
/// // The oldest job of at least the size asked for.
/// let mut b = chords_runtime::Join::builder();
/// let job = b.asynchronous::<u32>("job");
/// let take = b.synchronous::<u32, u32>("take");
/// b.when(take.argument())
///     .and(job)
///     .guard(|(min, size): (&u32, &u32)| size >= min)
///     .then(|((_, r), size)| r.send(size));
/// let join = b.build().unwrap();
/// join.send(job, 3);
/// join.send(job, 40);
/// join.send(job, 12);
/// assert_eq!(join.call(take, 10), 40);
/// assert_eq!(join.call(take, 10), 12);
/// assert!(join.try_call(take, 10).is_err());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Argument<C>(pub(crate) C);

macro_rules! handle_impls {
    (@SyncChannel <$($p:ident),*>) => {
        impl<$($p),*> SyncChannel<$($p),*> {
            /// This channel as a term whose call's argument the chord's
            /// guard reads (see [`Argument`]).
            pub fn argument(self) -> Argument<Self> {
                Argument(self)
            }
        }
    };
    (@$name:ident <$($p:ident),*>) => {};
    ($name:ident <$($p:ident),*>, $marker:ident) => {
        impl<$($p),*> $name<$($p),*> {
            pub(crate) fn new(join: u64, index: u32) -> Self {
                $name { join, index, $marker: PhantomData }
            }

            /// This channel `N` times in one pattern: the chord needs `N` of its
            /// messages and binds them as an array, oldest first.
            pub fn times<const N: usize>(self) -> Repeat<Self, N> {
                const { assert!(N > 0, "a repeated term needs at least one message") };
                Repeat(self)
            }
        }
        handle_impls!(@$name <$($p),*>);

        impl<$($p),*> Clone for $name<$($p),*> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<$($p),*> Copy for $name<$($p),*> {}

        impl<$($p),*> fmt::Debug for $name<$($p),*> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("index", &self.index).finish()
            }
        }

        impl<$($p),*> Channel for $name<$($p),*> {}

        impl<$($p),*> Handle for $name<$($p),*> {
            fn join_id(&self) -> u64 {
                self.join
            }
            fn index(&self) -> u32 {
                self.index
            }
        }
    };
}

handle_impls!(AsyncChannel<T>, _message);
handle_impls!(SyncChannel<A, R>, _call);

/// Any channel handle: what [`Join::waiting`](crate::Join::waiting) takes.
///
/// ```
/// use chords_runtime::{Channel, Join};
///
/// fn total(join: &Join, channels: &[&dyn Fn(&Join) -> usize]) -> usize {
///     channels.iter().map(|c| c(join)).sum()
/// }
/// let mut b = Join::builder();
/// let a = b.asynchronous::<()>("a");
/// let s = b.synchronous::<(), ()>("s");
/// b.when(s).and(a).then(|(((), r), ())| r.send(()));
/// let join = b.build().unwrap();
/// join.send(a, ());
/// assert_eq!(total(&join, &[&|j| j.waiting(a), &|j| j.waiting(s)]), 1);
/// ```
pub trait Channel: Copy + Handle {}

/// What the runtime reads of a handle. Not nameable outside the crate, so
/// that only this crate's handles are channels.
pub trait Handle {
    /// The id of the join whose builder made the handle.
    fn join_id(&self) -> u64;
    /// The channel's index, in declaration order.
    fn index(&self) -> u32;
}
