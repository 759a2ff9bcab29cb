//! Declaring a join at run time: channels, then chords over them, then `build`.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;

use crate::calls::Calls;
use crate::channel::{AsyncChannel, SyncChannel, Term};
use crate::error::BuildError;
use crate::join::{Body, ChannelState, Chord, Firing, Inner, Join, Queue, TermSpec};
use crate::matcher::{Count, Member};
use crate::sync::Arc;

/// Declares the channels and chords of a [`Join`].
///
/// Channels first ([`asynchronous`](JoinBuilder::asynchronous),
/// [`synchronous`](JoinBuilder::synchronous)), then chords
/// ([`when`](JoinBuilder::when)), then [`build`](JoinBuilder::build). Chords
/// are tried in the order they are declared: the first declared wins when one
/// message enables several.
///
/// ```
/// use chords_runtime::Join;
///
/// // A one-place buffer: `put` waits for `empty`, `get` waits for `contains`.
/// let mut b = Join::builder();
/// let put = b.synchronous::<i32, ()>("put");
/// let get = b.synchronous::<(), i32>("get");
/// let empty = b.asynchronous::<()>("empty");
/// let contains = b.asynchronous::<i32>("contains");
/// b.when(put).and(empty).then_with(move |join, ((n, r), ())| {
///     join.send(contains, n);
///     r.send(());
/// });
/// b.when(get).and(contains).then_with(move |join, (((), r), n)| {
///     join.send(empty, ());
///     r.send(n);
/// });
/// let cell = b.build().unwrap();
/// cell.send(empty, ());
/// cell.call(put, 5);
/// assert_eq!(cell.call(get, ()), 5);
/// ```
pub struct JoinBuilder {
    id: u64,
    channels: Vec<(String, Queue)>,
    chords: Vec<(Chord, Vec<u32>)>,
    error: Option<BuildError>,
}

impl Default for JoinBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl JoinBuilder {
    /// A builder with no channels; [`Join::builder`] says the same.
    pub fn new() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        JoinBuilder {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            channels: Vec::new(),
            chords: Vec::new(),
            error: None,
        }
    }

    fn channel(&mut self, name: String, queue: Queue) -> u32 {
        self.channels.push((name, queue));
        (self.channels.len() - 1) as u32
    }

    /// Declares an asynchronous channel carrying messages of type `T`.
    pub fn asynchronous<T: Send + 'static>(&mut self, name: impl Into<String>) -> AsyncChannel<T> {
        let index = self.channel(name.into(), Queue::payloads::<T>());
        AsyncChannel::new(self.id, index)
    }

    /// Declares a synchronous channel whose calls take an `A` and return an `R`.
    pub fn synchronous<A: Send + 'static, R: Send + 'static>(
        &mut self,
        name: impl Into<String>,
    ) -> SyncChannel<A, R> {
        let index = self.channel(name.into(), Queue::Sync(Box::new(Calls::new())));
        SyncChannel::new(self.id, index)
    }

    /// Starts a chord whose pattern begins with `term`; add terms with
    /// [`When::and`], then give the body with [`When::then`].
    pub fn when<T: Term>(&mut self, term: T) -> When<'_, (T,)> {
        When {
            builder: self,
            pattern: (term,),
            name: None,
        }
    }

    /// Freezes the declarations into a [`Join`], ready to send and call.
    pub fn build(self) -> Result<Join, BuildError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut member: Vec<Vec<_>> = (0..self.channels.len()).map(|_| Vec::new()).collect();
        let mut chords: Vec<Chord> = Vec::with_capacity(self.chords.len());
        for (index, (mut chord, channels)) in self.chords.into_iter().enumerate() {
            chord.earlier = (0..index as u32)
                .filter(|&e| {
                    let shares = |&(c, _): &(u32, u32)| chord.needs.iter().any(|n| n.0 == c);
                    chords[e as usize].needs.iter().any(shares)
                })
                .collect();
            for c in channels {
                let total = chord.needs.iter().find(|n| n.0 == c).map_or(1, |n| n.1);
                let others = chord
                    .needs
                    .iter()
                    .map(|&(d, n)| (d, if d == c { n - 1 } else { n }))
                    .filter(|&(_, n)| n > 0)
                    .collect();
                member[c as usize].push(Member {
                    chord: index as u32,
                    position: total - 1,
                    needs: chord.needs.clone(),
                    others,
                    earlier: chord.earlier.clone(),
                });
            }
            chords.push(chord);
        }
        let channels = self
            .channels
            .into_iter()
            .zip(member)
            .map(|((name, queue), chords)| ChannelState {
                name,
                count: CachePadded::new(Count::new()),
                chords: chords.into(),
                queue,
            })
            .collect();
        Ok(Join {
            inner: Arc::new(Inner {
                id: self.id,
                channels,
                chords: chords.into(),
            }),
        })
    }

    fn add(&mut self, name: Option<String>, mut terms: Vec<TermSpec>, body: Body) {
        let name = name.unwrap_or_else(|| format!("chord{}", self.chords.len()));
        if terms.iter().any(|t| t.join != self.id) {
            self.error
                .get_or_insert(BuildError::ForeignChannel { chord: name });
            return;
        }
        let mut needs: Vec<(u32, u32)> = Vec::new();
        for term in &mut terms {
            match needs.iter_mut().find(|n| n.0 == term.channel) {
                Some(need) => {
                    term.offset = need.1;
                    let Some(total) = need.1.checked_add(term.count) else {
                        self.error
                            .get_or_insert(BuildError::TooManyMessages { chord: name });
                        return;
                    };
                    need.1 = total;
                }
                None => needs.push((term.channel, term.count)),
            }
        }
        needs.sort_unstable();
        let runner = terms
            .iter()
            .map(|t| t.channel)
            .find(|&c| matches!(self.channels[c as usize].1, Queue::Sync(_)));
        let channels = needs.iter().map(|n| n.0).collect();
        let chord = Chord {
            name,
            terms: terms.into(),
            needs: needs.into(),
            runner,
            earlier: Box::default(),
            body,
        };
        self.chords.push((chord, channels));
    }
}

/// A chord being declared: its pattern so far. Made by [`JoinBuilder::when`].
///
/// ```
/// let mut b = chords_runtime::Join::builder();
/// let a = b.asynchronous::<u8>("a");
/// let c = b.asynchronous::<u8>("c");
/// let sum = b.synchronous::<(), u8>("sum");
/// b.when(sum).and(a).and(c).named("add").then(|(((), r), x, y)| r.send(x + y));
/// let join = b.build().unwrap();
/// join.send(a, 2);
/// join.send(c, 3);
/// assert_eq!(join.call(sum, ()), 5);
/// assert_eq!(format!("{join:?}"), r#"Join { channels: {"a": 0, "c": 0, "sum": 0}, chords: ["add"] }"#);
/// ```
#[must_use = "a chord is added only by `then` or `then_with`"]
pub struct When<'b, P> {
    builder: &'b mut JoinBuilder,
    pattern: P,
    name: Option<String>,
}

impl<'b, P: Pattern> When<'b, P> {
    /// Adds a term to the pattern (`&` in the notation of join calculi).
    pub fn and<T: Term>(self, term: T) -> When<'b, P::Output>
    where
        P: Append<T>,
    {
        When {
            builder: self.builder,
            pattern: self.pattern.append(term),
            name: self.name,
        }
    }

    /// Names the chord, for `Debug` output and panic messages
    /// (default: `chord` and its index).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Adds the chord, with the body to run when it fires. The body gets one
    /// binding per term, as a tuple in pattern order.
    pub fn then(self, body: impl Fn(P::Args) + Send + Sync + 'static) {
        self.then_with(move |_, args| body(args));
    }

    /// Adds the chord, with a body that also gets the [`Join`] it fired in
    /// (to send messages from the body without keeping the join alive).
    pub fn then_with(self, body: impl Fn(&Join, P::Args) + Send + Sync + 'static) {
        let pattern = self.pattern;
        let terms = pattern.specs();
        let body: Body = Box::new(move |join, firing| body(join, pattern.take(firing)));
        self.builder.add(self.name, terms, body);
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
    #[doc(hidden)]
    fn specs(&self) -> Vec<TermSpec>;
    #[doc(hidden)]
    fn take(&self, firing: &mut Firing<'_>) -> Self::Args;
}

/// A pattern that can take one more term: what [`When::and`] uses.
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
    #[doc(hidden)]
    fn append(self, term: T) -> Self::Output;
}

macro_rules! patterns {
    ($($t:ident $v:ident),+) => {
        impl<$($t: Term),+> Pattern for ($($t,)+) {
            type Args = ($($t::Binding,)+);

            fn specs(&self) -> Vec<TermSpec> {
                let ($($v,)+) = self;
                vec![$($v.spec()),+]
            }

            fn take(&self, firing: &mut Firing<'_>) -> Self::Args {
                let ($($v,)+) = self;
                ($($v.take(firing),)+)
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
