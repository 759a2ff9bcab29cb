//! Declaring a join at run time: channels, then chords over them, then `build`.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::arrivals::Arrivals;
use crate::channel::{AsyncChannel, SyncChannel};
use crate::channel_state::{ChannelState, Queue};
use crate::error::BuildError;
use crate::executor::{Spawn, Unfinished};
use crate::pattern::{All, Append, Messages, Pattern, Term, Visible};
use crate::search::{Guard, Test};
use crate::state::{Body, Chord, Join, State};
use crate::sync::Arc;
use crate::tables::{self, TermSpec};

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
    chords: Vec<Chord>,
    error: Option<BuildError>,
    spawn: Option<Box<dyn Spawn>>,
    /// What generated code keeps with the join (see `State::extension`).
    pub(crate) extension: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// The state channels' initial messages, sent once the join is built.
    initial: Vec<Initial>,
}

/// Sends a state channel's initial message into the join just built.
type Initial = Box<dyn FnOnce(&Join) + Send>;

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
            spawn: None,
            extension: None,
            initial: Vec::new(),
        }
    }

    fn channel(&mut self, name: String, queue: Queue) -> u32 {
        self.channels.push((name, queue));
        (self.channels.len() - 1) as u32
    }

    /// Declares an asynchronous channel carrying messages of type `T`.
    pub fn asynchronous<T: Send + 'static>(&mut self, name: impl Into<String>) -> AsyncChannel<T> {
        let index = self.channel(name.into(), Queue::messages::<T>());
        AsyncChannel::new(self.id, index)
    }

    /// Declares a state channel: an asynchronous channel of `T` that holds
    /// exactly one message, `initial` once the join is built (see
    /// docs/reference.md, *State channels*). Every chord that consumes it
    /// must send it again, once, and nothing else may send it: it has no
    /// queue, only a slot, and a second message sent while it holds one
    /// panics. [`Join::read`] clones the message without consuming it.
    ///
    /// ```
    /// use chords_runtime::Join;
    ///
    /// // A counter: `tick` adds one to the state, `get` reads it.
    /// let mut b = Join::builder();
    /// let count = b.state::<u64>("count", 0);
    /// let tick = b.synchronous::<(), ()>("tick");
    /// b.when(tick).and(count).then_with(move |join, (((), r), n)| {
    ///     join.send(count, n + 1);
    ///     r.send(());
    /// });
    /// let counter = b.build().unwrap();
    /// counter.call(tick, ());
    /// counter.call(tick, ());
    /// assert_eq!(counter.read(count), 2);
    /// assert_eq!(counter.waiting(count), 1);
    /// ```
    pub fn state<T: Send + 'static>(
        &mut self,
        name: impl Into<String>,
        initial: T,
    ) -> AsyncChannel<T> {
        let channel = self.slot(name.into());
        self.initial
            .push(Box::new(move |join: &Join| join.send(channel, initial)));
        channel
    }

    /// A channel of `T` whose messages wait in a slot (a state channel),
    /// with no message yet.
    pub(crate) fn slot<T: Send + 'static>(&mut self, name: String) -> AsyncChannel<T> {
        let index = self.channel(name, Queue::state::<T>());
        AsyncChannel::new(self.id, index)
    }

    /// Declares a synchronous channel whose calls take an `A` and return an `R`.
    pub fn synchronous<A: Send + 'static, R: Send + 'static>(
        &mut self,
        name: impl Into<String>,
    ) -> SyncChannel<A, R> {
        let index = self.channel(name.into(), Queue::calls());
        SyncChannel::new(self.id, index)
    }

    /// Starts a chord whose pattern begins with `term`; add terms with
    /// [`When::and`], then give the body with [`When::then`].
    pub fn when<T: Term>(&mut self, term: T) -> When<'_, (T,)> {
        When {
            builder: self,
            pattern: (term,),
            name: None,
            guard: None,
        }
    }

    /// Starts a chord whose pattern begins with a term over `terms`, a slice
    /// built at run time: a message (or call) of each, which the body gets
    /// as a `Vec` in slice order (see [`All`]).
    pub fn when_all<T: Term + Clone>(&mut self, terms: &[T]) -> When<'_, (All<T>,)> {
        self.when(All(terms.to_vec()))
    }

    /// Runs this join's asynchronous bodies on `spawn` instead of the
    /// process's executor (see [`Spawn`]).
    pub fn spawn_with(&mut self, spawn: impl Spawn) -> &mut Self {
        self.spawn = Some(Box::new(spawn));
        self
    }

    /// Freezes the declarations into a [`Join`], ready to send and call.
    pub fn build(self) -> Result<Join, BuildError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let needs: Vec<Vec<(u32, u32)>> = self.chords.iter().map(|c| c.needs.to_vec()).collect();
        // Channels whose call's argument a guard reads: their calls retry
        // as messages arrive instead of queuing (`arrivals.rs`).
        let retrying: Vec<u32> = self
            .chords
            .iter()
            .filter_map(|chord| chord.guard.as_ref()?.reads())
            .collect();
        // A chord over such a channel takes the guarded path too, so that
        // an arrival on its other channels wakes the retrying callers.
        let tables = tables::derive(
            self.channels.len(),
            &needs,
            |c| {
                let chord = &self.chords[c];
                chord.guard.is_some() || chord.needs.iter().any(|(d, _)| retrying.contains(d))
            },
            |c| self.channels[c as usize].1.is_calls(),
        );
        // A channel whose every chord has its call as the runner, once: a
        // queued call of it is only ever handed a chord, which a choice can
        // give back (see `choice.rs`).
        let choosable: Vec<bool> = (0..self.channels.len() as u32)
            .map(|c| {
                self.chords
                    .iter()
                    .filter(|chord| chord.needs.iter().any(|&(d, _)| d == c))
                    .all(|chord| chord.runner == Some(c) && chord.needs.contains(&(c, 1)))
            })
            .collect();
        let searched: Vec<u32> = self
            .chords
            .iter()
            .filter_map(|chord| chord.guard.as_ref())
            .flat_map(|guard| guard.channels().iter().copied())
            .collect();
        let chords = self
            .chords
            .into_iter()
            .zip(tables.earlier)
            .map(|(chord, earlier)| Chord {
                earlier: earlier.into(),
                ..chord
            })
            .collect();
        let mut channels: Box<[ChannelState]> = self
            .channels
            .into_iter()
            .zip(tables.members)
            .zip(choosable)
            .map(|(((name, queue), members), choosable)| {
                ChannelState::new(name, queue, members, choosable)
            })
            .collect();
        for c in searched {
            channels[c as usize].make_searched();
        }
        for &c in &retrying {
            channels[c as usize].retries = true;
            channels[c as usize].choosable = false;
        }
        let join = Join {
            state: Arc::new(State {
                id: self.id,
                channels,
                chords,
                unfinished: Unfinished::new(),
                spawn: self.spawn,
                extension: self.extension,
                arrivals: (!retrying.is_empty()).then(Arrivals::new),
            }),
        };
        for send in self.initial {
            send(&join);
        }
        Ok(join)
    }

    fn add(
        &mut self,
        name: Option<String>,
        mut terms: Vec<TermSpec>,
        guard: Option<Test>,
        body: Body,
    ) {
        let name = name.unwrap_or_else(|| format!("chord{}", self.chords.len()));
        if terms.is_empty() {
            self.error
                .get_or_insert(BuildError::NoTerms { chord: name });
            return;
        }
        if terms.iter().any(|t| t.join != self.id) {
            self.error
                .get_or_insert(BuildError::ForeignChannel { chord: name });
            return;
        }
        let mut read = terms.iter().filter(|t| t.reads);
        if read.clone().map(|t| t.count).sum::<u32>() > 1 || read.any(|t| t.count > 1) {
            self.error
                .get_or_insert(BuildError::TwoArguments { chord: name });
            return;
        }
        let Ok(needs) = tables::needs(terms.iter().map(|t| (t.channel, t.count))) else {
            self.error
                .get_or_insert(BuildError::TooManyMessages { chord: name });
            return;
        };
        for (term, offset) in terms.iter_mut().zip(needs.offsets) {
            term.offset = offset;
        }
        let is_calls = |c: u32| self.channels[c as usize].1.is_calls();
        let runner = terms.iter().map(|t| t.channel).find(|&c| is_calls(c));
        let guard = guard.map(|test| Box::new(Guard::new(&terms, |c| !is_calls(c), test)));
        self.chords.push(Chord {
            name,
            terms: terms.into(),
            needs: needs.by_channel.into(),
            runner,
            earlier: Box::default(),
            guard,
            body,
        });
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
    guard: Option<GuardFn<P>>,
}

/// A guard as [`When::guard`] keeps it, until the pattern is complete.
type GuardFn<P> = Box<dyn Fn(&P, &mut Messages<'_>) -> bool + Send + Sync>;

impl<'b, P: Pattern> When<'b, P> {
    /// Adds a term to the pattern (`&` in the notation of join calculi).
    pub fn and<T: Term>(self, term: T) -> When<'b, P::Output>
    where
        P: Append<T>,
    {
        assert!(
            self.guard.is_none(),
            "`guard` goes after the last term of the pattern"
        );
        When {
            builder: self.builder,
            pattern: self.pattern.append(term),
            name: self.name,
            guard: None,
        }
    }

    /// Adds a term over `terms`, a slice built at run time: a message (or
    /// call) of each, which the body gets as a `Vec` in slice order (see
    /// [`All`]). No limit on the length; the same channel twice takes two
    /// of its messages.
    pub fn and_all<T: Term + Clone>(self, terms: &[T]) -> When<'b, P::Output>
    where
        P: Append<All<T>>,
    {
        self.and(All(terms.to_vec()))
    }

    /// Names the chord, for `Debug` output and panic messages
    /// (default: `chord` and its index).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Lets the chord fire only with messages that `guard` accepts: it sees
    /// each term's messages as [`Visible`] says (`&T` for a message, `()`
    /// for a call, `&A` for an [`Argument`](crate::Argument)'s), and the
    /// chord takes the oldest messages, per channel in term order, that it
    /// accepts. Call it once, after the last term.
    ///
    /// The guard must be pure: it runs while the chord's messages wait,
    /// maybe many times, on whichever thread sent or called last, under
    /// the lock of the channels it reads. A guard that panics panics in
    /// that thread; the messages stay queued. Each arrival on a guarded
    /// chord's channel searches its queued messages, so the cost grows
    /// with the product of the queue lengths of its terms.
    ///
    /// ```
    /// // The largest bid that at least meets the reserve price.
    /// let mut b = chords_runtime::Join::builder();
    /// let reserve = b.asynchronous::<u32>("reserve");
    /// let bid = b.asynchronous::<u32>("bid");
    /// let sold = b.synchronous::<(), u32>("sold");
    /// b.when(sold)
    ///     .and(reserve)
    ///     .and(bid)
    ///     .guard(|((), min, offer): ((), &u32, &u32)| offer >= min)
    ///     .then(|(((), r), _, offer)| r.send(offer));
    /// let join = b.build().unwrap();
    /// join.send(reserve, 100);
    /// join.send(bid, 80);
    /// join.send(bid, 120);
    /// assert_eq!(join.call(sold, ()), 120);
    /// assert_eq!(join.waiting(bid), 1); // 80 is still there
    /// ```
    pub fn guard(self, guard: impl Fn(P::View<'_>) -> bool + Send + Sync + 'static) -> Self
    where
        P: Visible,
    {
        assert!(self.guard.is_none(), "a chord has one guard");
        When {
            guard: Some(Box::new(move |pattern, messages| {
                guard(pattern.view(messages))
            })),
            ..self
        }
    }

    /// Adds the chord, with the body to run when it fires. The body gets one
    /// binding per term, as a tuple in pattern order.
    pub fn then(self, body: impl Fn(P::Args) + Send + Sync + 'static) {
        self.then_with(move |_, args| body(args));
    }

    /// Adds the chord, with a body that also gets the [`Join`] it fired in
    /// (to send messages from the body without keeping the join alive).
    pub fn then_with(self, body: impl Fn(&Join, P::Args) + Send + Sync + 'static) {
        let pattern = Arc::new(self.pattern);
        let terms = pattern.specs();
        let guard = self.guard.map(|guard| {
            let pattern = pattern.clone();
            let test: Test = Box::new(move |seen| guard(&pattern, &mut Messages::new(seen)));
            test
        });
        let body: Body = Box::new(move |join, firing| body(join, pattern.take(firing)));
        self.builder.add(self.name, terms, guard, body);
    }
}
