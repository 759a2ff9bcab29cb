//! Patterns: the terms a chord waits for, and how its body's bindings are
//! taken from a firing.
//!
//! A [`Term`] is a channel handle, one [`Repeat`]ed, or [`All`] of a slice
//! of them; a [`Pattern`] is a tuple of terms. The builder asks each for its
//! [`TermSpec`]s (which channel, how many messages: one, or one per channel
//! of an `All`); when the chord fires, each takes its binding from the
//! [`Firing`], in pattern order. Both types are opaque outside this crate.
//!
//! A guard (see [`When::guard`](crate::When::guard)) sees a pattern's
//! messages before they are taken: [`Visible`] says how, term by term.

use std::any::Any;

use crate::channel::{Argument, AsyncChannel, Repeat, SyncChannel};
pub use crate::firing::Firing;
pub use crate::tables::TermSpec;
use crate::waiter::Reply;

/// One term of a pattern: a channel, a channel [`Repeat`]ed, or [`All`] of
/// a slice of them.
///
/// `Binding` is what the chord's body receives for it: `T` for an
/// [`AsyncChannel<T>`], `(A, Reply<R>)` for a [`SyncChannel<A, R>`], arrays
/// of those for a [`Repeat`], and a `Vec` of them for an [`All`].
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
    /// Which channels, and how many of their messages, the term takes: it
    /// pushes one spec per channel, in the order it takes them.
    fn specs(&self, specs: &mut Vec<TermSpec>);
    /// Takes the term's binding from a firing of its chord.
    fn take(&self, firing: &mut Firing<'_>) -> Self::Binding;
}

impl<T: Send + 'static> Term for AsyncChannel<T> {
    type Binding = T;

    fn specs(&self, specs: &mut Vec<TermSpec>) {
        specs.push(TermSpec::new(self.join, self.index, 1));
    }

    #[inline]
    fn take(&self, firing: &mut Firing<'_>) -> T {
        let term = firing.next_term();
        debug_assert_eq!(term.count, 1);
        firing.take_message(term.channel)
    }
}

impl<T: Send + 'static, const N: usize> Term for Repeat<AsyncChannel<T>, N> {
    type Binding = [T; N];

    fn specs(&self, specs: &mut Vec<TermSpec>) {
        specs.push(TermSpec::new(self.0.join, self.0.index, N as u32));
    }

    #[inline]
    fn take(&self, firing: &mut Firing<'_>) -> [T; N] {
        let term = firing.next_term();
        std::array::from_fn(|_| firing.take_message(term.channel))
    }
}

impl<A: Send + 'static, R: Send + 'static> Term for SyncChannel<A, R> {
    type Binding = (A, Reply<R>);

    fn specs(&self, specs: &mut Vec<TermSpec>) {
        specs.push(TermSpec::new(self.join, self.index, 1));
    }

    #[inline]
    fn take(&self, firing: &mut Firing<'_>) -> (A, Reply<R>) {
        let term = firing.next_term();
        // SAFETY: the term is this channel's, whose calls carry `A` and return `R`.
        unsafe { firing.call(term, 0).split(firing.chord()) }
    }
}

impl<A: Send + 'static, R: Send + 'static> Term for Argument<SyncChannel<A, R>> {
    type Binding = (A, Reply<R>);

    fn specs(&self, specs: &mut Vec<TermSpec>) {
        self.0.specs(specs);
        if let Some(spec) = specs.last_mut() {
            spec.reads = true;
        }
    }

    #[inline]
    fn take(&self, firing: &mut Firing<'_>) -> (A, Reply<R>) {
        self.0.take(firing)
    }
}

impl<A: Send + 'static, R: Send + 'static, const N: usize> Term for Repeat<SyncChannel<A, R>, N> {
    type Binding = [(A, Reply<R>); N];

    fn specs(&self, specs: &mut Vec<TermSpec>) {
        specs.push(TermSpec::new(self.0.join, self.0.index, N as u32));
    }

    #[inline]
    fn take(&self, firing: &mut Firing<'_>) -> [(A, Reply<R>); N] {
        let term = firing.next_term();
        // SAFETY: the term is this channel's, whose calls carry `A` and return `R`.
        std::array::from_fn(|i| unsafe { firing.call(term, i as u32).split(firing.chord()) })
    }
}

/// One term over a slice of terms built at run time: a message (or call) of
/// each, bound as a `Vec` in slice order. Made by
/// [`When::and_all`](crate::When::and_all) and
/// [`JoinBuilder::when_all`](crate::JoinBuilder::when_all).
///
/// ```
/// use chords_runtime::Join;
///
/// // Wait for a response from every one of 20 workers.
/// let mut b = Join::builder();
/// let done: Vec<_> = (0..20).map(|i| b.asynchronous::<u32>(format!("done{i}"))).collect();
/// let all = b.synchronous::<(), Vec<u32>>("all");
/// b.when(all).and_all(&done).then(|(((), r), results)| r.send(results));
/// let join = b.build().unwrap();
/// for (i, &worker) in done.iter().enumerate().rev() {
///     join.send(worker, i as u32 * 10);
/// }
/// assert_eq!(join.call(all, ()), (0..20).map(|i| i * 10).collect::<Vec<_>>());
/// ```
#[derive(Clone, Debug)]
pub struct All<T>(pub(crate) Vec<T>);

impl<T: Term> Term for All<T> {
    type Binding = Vec<T::Binding>;

    fn specs(&self, specs: &mut Vec<TermSpec>) {
        self.0.iter().for_each(|term| term.specs(specs));
    }

    fn take(&self, firing: &mut Firing<'_>) -> Vec<T::Binding> {
        self.0.iter().map(|term| term.take(firing)).collect()
    }
}

/// How a guard sees a term's messages, or a pattern's, while they wait:
/// `&T` for an [`AsyncChannel<T>`], arrays and `Vec`s of those for a
/// [`Repeat`] and an [`All`], `&A` for the call of an [`Argument`], and
/// `()` for another synchronous call (a guard does not read a queued
/// caller's argument).
///
/// ```
/// let mut b = chords_runtime::Join::builder();
/// let small = b.asynchronous::<u32>("small");
/// let big = b.asynchronous::<u32>("big");
/// let pair = b.synchronous::<(), (u32, u32)>("pair");
/// b.when(pair)
///     .and(small)
///     .and(big)
///     .guard(|((), s, b): ((), &u32, &u32)| s < b)
///     .then(|(((), r), s, b)| r.send((s, b)));
/// let join = b.build().unwrap();
/// join.send(small, 5);
/// join.send(big, 3);
/// assert!(join.try_call(pair, ()).is_err());
/// join.send(big, 8);
/// assert_eq!(join.call(pair, ()), (5, 8));
/// ```
pub trait Visible {
    /// What the guard sees.
    type View<'a>;
    /// Sees the term's messages, taking them from `messages` in pattern order.
    fn view<'a>(&self, messages: &mut Messages<'a>) -> Self::View<'a>;
}

/// The messages a guard looks at, one per message of the pattern, in
/// pattern order. Opaque: [`Visible`] takes from it.
pub struct Messages<'a>(std::slice::Iter<'a, Option<&'a (dyn Any + Send)>>);

impl<'a> Messages<'a> {
    pub(crate) fn new(seen: &'a [Option<&'a (dyn Any + Send)>]) -> Self {
        Messages(seen.iter())
    }

    /// The next message: an asynchronous one of `T`, or the argument of
    /// the caller's own call.
    fn message<T: 'static>(&mut self) -> &'a T {
        let seen = self.0.next().copied().flatten();
        seen.and_then(|m| m.downcast_ref())
            .expect("a guard sees the messages of its pattern")
    }

    /// Passes over the next message, a call.
    fn call(&mut self) {
        self.0.next();
    }
}

impl<T: Send + 'static> Visible for AsyncChannel<T> {
    type View<'a> = &'a T;

    fn view<'a>(&self, messages: &mut Messages<'a>) -> &'a T {
        messages.message()
    }
}

impl<T: Send + 'static, const N: usize> Visible for Repeat<AsyncChannel<T>, N> {
    type View<'a> = [&'a T; N];

    fn view<'a>(&self, messages: &mut Messages<'a>) -> [&'a T; N] {
        std::array::from_fn(|_| messages.message())
    }
}

impl<A, R> Visible for SyncChannel<A, R> {
    type View<'a> = ();

    fn view(&self, messages: &mut Messages<'_>) {
        messages.call();
    }
}

impl<A: Send + 'static, R> Visible for Argument<SyncChannel<A, R>> {
    type View<'a> = &'a A;

    fn view<'a>(&self, messages: &mut Messages<'a>) -> &'a A {
        messages.message()
    }
}

impl<A, R, const N: usize> Visible for Repeat<SyncChannel<A, R>, N> {
    type View<'a> = [(); N];

    fn view(&self, messages: &mut Messages<'_>) -> [(); N] {
        std::array::from_fn(|_| messages.call())
    }
}

impl<T: Visible> Visible for All<T> {
    type View<'a> = Vec<T::View<'a>>;

    fn view<'a>(&self, messages: &mut Messages<'a>) -> Vec<T::View<'a>> {
        self.0.iter().map(|term| term.view(messages)).collect()
    }
}

/// A chord's pattern: a tuple of 1 to 12 [`Term`]s.
///
/// Its `Args` is the tuple of the terms' bindings, which the body receives.
///
/// ```
/// use chords_runtime::{Pattern, AsyncChannel, SyncChannel, Repeat, Reply};
///
/// fn args_of<P: Pattern>(_: &P) -> std::marker::PhantomData<P::Args> {
///     std::marker::PhantomData
/// }
/// let mut b = chords_runtime::Join::builder();
/// let ask = b.synchronous::<u8, bool>("ask");
/// let ticket = b.asynchronous::<u32>("ticket");
/// let _: std::marker::PhantomData<((u8, Reply<bool>), [u32; 2])> =
///     args_of(&(ask, ticket.times::<2>()));
/// ```
pub trait Pattern: Send + Sync + 'static {
    /// The body's bindings: one per term, in order.
    type Args;
    /// The terms' specs, in pattern order.
    fn specs(&self) -> Vec<TermSpec>;
    /// Takes every term's binding from a firing of the chord, in pattern order.
    fn take(&self, firing: &mut Firing<'_>) -> Self::Args;
}

/// A pattern that can take one more term: what [`When::and`](crate::When::and) uses.
///
/// ```
/// use chords_runtime::Append;
///
/// let mut b = chords_runtime::Join::builder();
/// let x = b.asynchronous::<()>("x");
/// let y = b.asynchronous::<i8>("y");
/// fn longer<P: Append<T>, T>(_: P, _: T) {}
/// longer((x,), y);
/// ```
pub trait Append<T> {
    /// The longer pattern.
    type Output: Pattern;
    /// The pattern with `term` after its terms.
    fn append(self, term: T) -> Self::Output;
}

macro_rules! patterns {
    ($($t:ident $v:ident),+) => {
        impl<$($t: Term),+> Pattern for ($($t,)+) {
            type Args = ($($t::Binding,)+);

            fn specs(&self) -> Vec<TermSpec> {
                let ($($v,)+) = self;
                let mut specs = Vec::new();
                $($v.specs(&mut specs);)+
                specs
            }

            #[inline]
            fn take(&self, firing: &mut Firing<'_>) -> Self::Args {
                let ($($v,)+) = self;
                ($($v.take(firing),)+)
            }
        }

        impl<$($t: Visible),+> Visible for ($($t,)+) {
            type View<'a> = ($($t::View<'a>,)+);

            fn view<'a>(&self, messages: &mut Messages<'a>) -> Self::View<'a> {
                let ($($v,)+) = self;
                ($($v.view(messages),)+)
            }
        }
    };
}

macro_rules! append {
    ($($t:ident $v:ident),+) => {
        impl<$($t: Term,)+ Next: Term> Append<Next> for ($($t,)+) {
            type Output = ($($t,)+ Next,);

            fn append(self, term: Next) -> Self::Output {
                let ($($v,)+) = self;
                ($($v,)+ term,)
            }
        }
    };
}

macro_rules! arities {
    ($($t:ident $v:ident),+) => {
        patterns!($($t $v),+);
        arities!(@append [] $($t $v),+);
    };
    (@append [$($done:ident $dv:ident),*] $t:ident $v:ident $(, $rest:ident $rv:ident)+) => {
        append!($($done $dv,)* $t $v);
        patterns!($($done $dv,)* $t $v);
        arities!(@append [$($done $dv,)* $t $v] $($rest $rv),+);
    };
    (@append [$($done:ident $dv:ident),*] $t:ident $v:ident) => {};
}

// Patterns of 1 to 12 terms.
arities!(T1 t1, T2 t2, T3 t3, T4 t4, T5 t5, T6 t6, T7 t7, T8 t8, T9 t9, T10 t10, T11 t11, T12 t12);
