//! Channel handles, and the terms they make in a pattern.

use std::fmt;
use std::marker::PhantomData;

use crate::join::{Firing, TermSpec};
use crate::waiter::Reply;

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
/// the [`Reply`] that carries the caller's result.
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
pub struct Repeat<C, const N: usize>(C);

macro_rules! handle_impls {
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

        impl<$($p),*> Channel for $name<$($p),*> {
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
pub trait Channel: Copy {
    #[doc(hidden)]
    fn join_id(&self) -> u64;
    #[doc(hidden)]
    fn index(&self) -> u32;
}

/// One term of a pattern: a channel, or a channel [`Repeat`]ed.
///
/// `Binding` is what the chord's body receives for it: `T` for an
/// [`AsyncChannel<T>`], `(A, Reply<R>)` for a [`SyncChannel<A, R>`], and arrays
/// of those for a [`Repeat`].
///
/// ```
/// use chords_runtime::{Reply, Term};
///
/// fn binding<T: Term>(_: T) -> std::marker::PhantomData<T::Binding> {
///     std::marker::PhantomData
/// }
/// let mut b = chords_runtime::Join::builder();
/// let put = b.asynchronous::<String>("put");
/// let get = b.synchronous::<(), String>("get");
/// let _: std::marker::PhantomData<String> = binding(put);
/// let _: std::marker::PhantomData<[((), Reply<String>); 2]> = binding(get.times::<2>());
/// ```
pub trait Term: Send + Sync + 'static {
    /// The value the body receives for this term.
    type Binding;
    #[doc(hidden)]
    fn spec(&self) -> TermSpec;
    #[doc(hidden)]
    fn take(&self, firing: &mut Firing<'_>) -> Self::Binding;
}

impl<T: Send + 'static> Term for AsyncChannel<T> {
    type Binding = T;

    fn spec(&self) -> TermSpec {
        TermSpec::new(self.join, self.index, 1)
    }

    fn take(&self, firing: &mut Firing<'_>) -> T {
        let (term, payloads) = firing.payloads::<T>();
        debug_assert_eq!(term.count, 1);
        payloads.pop_reserved()
    }
}

impl<T: Send + 'static, const N: usize> Term for Repeat<AsyncChannel<T>, N> {
    type Binding = [T; N];

    fn spec(&self) -> TermSpec {
        TermSpec::new(self.0.join, self.0.index, N as u32)
    }

    fn take(&self, firing: &mut Firing<'_>) -> [T; N] {
        let (_, payloads) = firing.payloads::<T>();
        std::array::from_fn(|_| payloads.pop_reserved())
    }
}

impl<A: Send + 'static, R: Send + 'static> Term for SyncChannel<A, R> {
    type Binding = (A, Reply<R>);

    fn spec(&self) -> TermSpec {
        TermSpec::new(self.join, self.index, 1)
    }

    fn take(&self, firing: &mut Firing<'_>) -> (A, Reply<R>) {
        let term = firing.next_term();
        // SAFETY: the term is this channel's, whose calls carry `A` and return `R`.
        unsafe { firing.call(term, 0).split(firing.chord) }
    }
}

impl<A: Send + 'static, R: Send + 'static, const N: usize> Term for Repeat<SyncChannel<A, R>, N> {
    type Binding = [(A, Reply<R>); N];

    fn spec(&self) -> TermSpec {
        TermSpec::new(self.0.join, self.0.index, N as u32)
    }

    fn take(&self, firing: &mut Firing<'_>) -> [(A, Reply<R>); N] {
        let term = firing.next_term();
        // SAFETY: the term is this channel's, whose calls carry `A` and return `R`.
        std::array::from_fn(|i| unsafe { firing.call(term, i as u32).split(firing.chord) })
    }
}
