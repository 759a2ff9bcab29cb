//! The join object: its channels, its chords, and the calls users make on it.

use std::any::TypeId;
use std::fmt;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::calls::Calls;
use crate::channel::{AsyncChannel, Channel, SyncChannel};
use crate::direct::Direct;
use crate::error::{TimeoutError, TryCallError};
use crate::matcher::{Count, Members};
use crate::queue::{Payloads, Store};
use crate::sync::Arc;
use crate::waiter::{CallSlot, Lease, Taken, Wake};
use crate::JoinBuilder;

/// A set of channels and the chords over them, shared by all its clones.
///
/// Build one with [`Join::builder`]. Cloning a `Join` is cheap and every clone
/// sees the same queues; when the last clone goes (and no body is running),
/// every message still queued is dropped, once.
///
/// ```
/// use chords_runtime::Join;
///
/// // A buffer: `get() & put(item)` returns the item.
/// let mut b = Join::builder();
/// let put = b.asynchronous::<String>("put");
/// let get = b.synchronous::<(), String>("get");
/// b.when(get).and(put).named("deliver").then(|(((), reply), item)| reply.send(item));
/// let buffer = b.build().unwrap();
///
/// buffer.send(put, "hello".to_string());
/// assert_eq!(buffer.call(get, ()), "hello");
/// assert!(buffer.try_call(get, ()).is_err());
/// ```
#[derive(Clone)]
pub struct Join {
    pub(crate) inner: Arc<Inner>,
}

// A panic in a body leaves the join consistent (its messages were consumed
// by the firing, every other caller was told), so a join may be used across
// `catch_unwind`, as crossbeam's channels may.
impl std::panic::UnwindSafe for Join {}
impl std::panic::RefUnwindSafe for Join {}

pub(crate) struct Inner {
    pub(crate) id: u64,
    pub(crate) channels: Box<[ChannelState]>,
    pub(crate) chords: Box<[Chord]>,
}

/// One channel at run time.
pub(crate) struct ChannelState {
    pub(crate) name: String,
    /// Queued messages not reserved by a match, and those claimed by one
    /// (see [`Count`]).
    pub(crate) count: CachePadded<Count>,
    /// The chords whose pattern holds this channel, in declaration order.
    pub(crate) chords: Members,
    pub(crate) queue: Queue,
}

pub(crate) enum Queue {
    /// A `Payloads<T>`, and `T`'s type id.
    Async(Box<dyn Store>, TypeId),
    Sync(Box<Calls>),
}

impl Queue {
    pub(crate) fn payloads<T: Send + 'static>() -> Self {
        Queue::Async(Box::new(Payloads::<T>::new()), TypeId::of::<T>())
    }
}

/// One chord at run time.
pub(crate) struct Chord {
    pub(crate) name: String,
    /// The terms in pattern order.
    pub(crate) terms: Box<[TermSpec]>,
    /// How many messages of each channel it consumes, by channel index.
    pub(crate) needs: Box<[(u32, u32)]>,
    /// The channel of its first synchronous term: its caller runs the body.
    pub(crate) runner: Option<u32>,
    /// The chords declared before it that share a channel with it.
    pub(crate) earlier: Box<[u32]>,
    pub(crate) body: Body,
}

pub(crate) type Body = Box<dyn Fn(&Join, &mut Firing<'_>) + Send + Sync>;

/// A term of a pattern: `count` messages of channel `index`.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct TermSpec {
    pub(crate) join: u64,
    pub(crate) channel: u32,
    pub(crate) count: u32,
    /// How many messages of the same channel earlier terms of the pattern take.
    pub(crate) offset: u32,
}

impl TermSpec {
    pub(crate) fn new(join: u64, channel: u32, count: u32) -> Self {
        TermSpec {
            join,
            channel,
            count,
            offset: 0,
        }
    }
}

/// The synchronous call a firing's runner brings itself: its channel, its
/// position among that channel's messages in the pattern, and the call.
pub(crate) struct Own {
    pub(crate) channel: u32,
    pub(crate) position: u32,
    pub(crate) call: Option<Taken>,
}

/// The state of one firing while its body's bindings are taken.
#[doc(hidden)]
pub struct Firing<'a> {
    pub(crate) inner: &'a Inner,
    pub(crate) chord: usize,
    next: usize,
    own: Option<Own>,
}

impl<'a> Firing<'a> {
    pub(crate) fn new(inner: &'a Inner, chord: usize, own: Option<Own>) -> Self {
        Firing {
            inner,
            chord,
            next: 0,
            own,
        }
    }

    pub(crate) fn next_term(&mut self) -> TermSpec {
        let term = self.inner.chords[self.chord].terms[self.next];
        self.next += 1;
        term
    }

    /// The next term, and the messages of its asynchronous channel.
    pub(crate) fn payloads<T: 'static>(&mut self) -> (TermSpec, &'a Payloads<T>) {
        let term = self.next_term();
        let inner: &'a Inner = self.inner;
        (term, inner.payloads(term.channel))
    }

    /// The `i`-th call of a synchronous term: the runner's own, or the oldest
    /// queued call that was not withdrawn.
    pub(crate) fn call(&mut self, term: TermSpec, i: u32) -> Taken {
        let position = term.offset + i;
        if let Some(own) = &mut self.own {
            if own.channel == term.channel && own.position == position {
                return own.call.take().expect("own call taken twice");
            }
        }
        let Queue::Sync(fifo) = &self.inner.channels[term.channel as usize].queue else {
            unreachable!("a synchronous term on an asynchronous channel")
        };
        loop {
            if let Some(taken) = fifo.pop_reserved().take() {
                return taken;
            }
        }
    }
}

impl Inner {
    #[inline]
    pub(crate) fn payloads<T: 'static>(&self, channel: u32) -> &Payloads<T> {
        match &self.channels[channel as usize].queue {
            Queue::Async(store, payload) => {
                assert!(*payload == TypeId::of::<T>(), "channel type mismatch");
                // SAFETY: the store is a `Payloads` of the type whose id it was
                // built with (`Queue::payloads`), and that is `T`. (`Any`'s
                // downcast does the same, behind two virtual calls.)
                unsafe { &*(&**store as *const dyn Store as *const Payloads<T>) }
            }
            Queue::Sync(_) => unreachable!("an asynchronous term on a synchronous channel"),
        }
    }

    pub(crate) fn check(&self, channel: &impl Channel) -> usize {
        assert!(
            channel.join_id() == self.id,
            "this channel belongs to another Join"
        );
        channel.index() as usize
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for channel in self.channels.iter() {
            if let Queue::Async(store, _) = &channel.queue {
                store.discard_counted(channel.count.available() as usize);
            }
        }
    }
}

/// How a queued synchronous call ended.
pub(crate) enum Queued<R, A> {
    /// With its result.
    Done(R),
    /// At its deadline, still queued: its argument.
    Withdrawn(A),
    /// Handed this chord to run on the caller's thread, with its argument.
    Fired(usize, A),
}

/// How many times a call that cannot fire retries before it queues.
const RETRIES: u32 = if cfg!(loom) { 0 } else { 6 };

/// Spins `2^retry` times (1 to 32), a few nanoseconds to a microsecond.
fn spin(retry: u32) {
    for _ in 0..1u32 << retry {
        std::hint::spin_loop();
    }
}

/// How long a synchronous call may wait for a chord.
#[derive(Clone, Copy)]
enum Patience {
    /// Only if a chord can fire at once: `try_call`.
    None,
    Until(Option<Instant>),
}

impl Join {
    /// Starts declaring a join's channels and chords.
    pub fn builder() -> JoinBuilder {
        JoinBuilder::new()
    }

    /// Sends `msg` on an asynchronous channel. Never blocks and never runs a
    /// chord's body on this thread.
    ///
    /// ```
    /// let mut b = chords_runtime::Join::builder();
    /// let log = b.asynchronous::<&str>("log");
    /// let flush = b.synchronous::<(), Vec<&str>>("flush");
    /// b.when(flush).and(log.times::<2>()).then(|(((), r), lines)| r.send(lines.to_vec()));
    /// let join = b.build().unwrap();
    /// join.send(log, "a");
    /// join.send(log, "b");
    /// assert_eq!(join.call(flush, ()), ["a", "b"]);
    /// ```
    ///
    /// # Panics
    /// If `channel` belongs to another `Join`.
    pub fn send<T: Send + 'static>(&self, channel: AsyncChannel<T>, msg: T) {
        let index = self.enqueue(channel, msg);
        self.resolve(index as u32);
    }

    /// Queues and counts `msg`; returns its channel's index.
    #[inline]
    pub(crate) fn enqueue<T: Send + 'static>(&self, channel: AsyncChannel<T>, msg: T) -> usize {
        let index = self.inner.check(&channel);
        self.inner.payloads::<T>(channel.index).push(msg);
        self.inner.channels[index].count.add_one();
        index
    }

    /// Calls a synchronous channel: blocks until a chord that holds the call
    /// fires, and returns the result that chord's body sends.
    ///
    /// ```
    /// let mut b = chords_runtime::Join::builder();
    /// let get = b.synchronous::<(), u32>("get");
    /// let put = b.asynchronous::<u32>("put");
    /// b.when(get).and(put).then(|(((), r), n)| r.send(n));
    /// let join = b.build().unwrap();
    /// let j = join.clone();
    /// let t = std::thread::spawn(move || j.call(get, ()));
    /// join.send(put, 7);
    /// assert_eq!(t.join().unwrap(), 7);
    /// ```
    ///
    /// # Panics
    /// If the body that would produce the result panics on another thread,
    /// or drops its [`Reply`](crate::Reply) unsent (the message names the
    /// chord), or if `channel` belongs to another `Join`.
    pub fn call<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
    ) -> R {
        match self.call_with(channel, arg, Patience::Until(None)) {
            Ok(result) => result,
            Err(_) => unreachable!("a call without deadline does not give up"),
        }
    }

    /// Calls a synchronous channel only if a chord can fire at once; otherwise
    /// queues nothing and hands the argument back.
    ///
    /// ```
    /// use chords_runtime::{Join, TryCallError};
    ///
    /// let mut b = Join::builder();
    /// let acquire = b.synchronous::<(), ()>("acquire");
    /// let free = b.asynchronous::<()>("free");
    /// b.when(acquire).and(free).then(|(((), r), ())| r.send(()));
    /// let lock = b.build().unwrap();
    /// lock.send(free, ());
    /// assert!(lock.try_call(acquire, ()).is_ok());
    /// assert_eq!(lock.try_call(acquire, ()), Err(TryCallError(())));
    /// ```
    pub fn try_call<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
    ) -> Result<R, TryCallError<A>> {
        self.call_with(channel, arg, Patience::None)
            .map_err(TryCallError)
    }

    /// Calls a synchronous channel, waiting at most `timeout` for a chord.
    ///
    /// On timeout the call leaves its channel as if it had never been made and
    /// the argument comes back. If a chord took the call first, its result is
    /// returned however long its body runs: a result is never dropped.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut b = chords_runtime::Join::builder();
    /// let get = b.synchronous::<u8, u8>("get");
    /// let put = b.asynchronous::<u8>("put");
    /// b.when(get).and(put).then(|((a, r), b)| r.send(a + b));
    /// let join = b.build().unwrap();
    /// let err = join.call_timeout(get, 1, Duration::from_millis(10)).unwrap_err();
    /// assert_eq!(err.into_inner(), 1);
    /// assert_eq!(join.waiting(get), 0);
    /// ```
    pub fn call_timeout<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
        timeout: Duration,
    ) -> Result<R, TimeoutError<A>> {
        let deadline = Instant::now().checked_add(timeout);
        self.call_with(channel, arg, Patience::Until(deadline))
            .map_err(TimeoutError)
    }

    /// Calls a synchronous channel, waiting for a chord until `deadline`;
    /// as [`call_timeout`](Join::call_timeout) otherwise.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut b = chords_runtime::Join::builder();
    /// let get = b.synchronous::<(), ()>("get");
    /// let put = b.asynchronous::<()>("put");
    /// b.when(get).and(put).then(|(((), r), ())| r.send(()));
    /// let join = b.build().unwrap();
    /// join.send(put, ());
    /// let soon = Instant::now() + Duration::from_millis(10);
    /// assert!(join.call_deadline(get, (), soon).is_ok());
    /// assert!(join.call_deadline(get, (), soon).is_err());
    /// ```
    pub fn call_deadline<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
        deadline: Instant,
    ) -> Result<R, TimeoutError<A>> {
        self.call_with(channel, arg, Patience::Until(Some(deadline)))
            .map_err(TimeoutError)
    }

    /// The number of messages (or calls) queued on `channel` and not yet
    /// reserved by a firing.
    ///
    /// ```
    /// let mut b = chords_runtime::Join::builder();
    /// let put = b.asynchronous::<i32>("put");
    /// let take = b.synchronous::<(), i32>("take");
    /// b.when(take).and(put).then(|(((), r), n)| r.send(n));
    /// let join = b.build().unwrap();
    /// join.send(put, 1);
    /// join.send(put, 2);
    /// assert_eq!(join.waiting(put), 2);
    /// ```
    pub fn waiting(&self, channel: impl Channel) -> usize {
        let index = self.inner.check(&channel);
        self.inner.channels[index].count.available() as usize
    }

    fn call_with<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
        patience: Patience,
    ) -> Result<R, A> {
        // Lazy queuing: if a chord's other messages are here, fire it now.
        let now = |arg| match self.fire_now(channel) {
            Some(direct) => Ok(direct.run(arg)),
            None => Err(arg),
        };
        match patience {
            Patience::None => now(arg),
            Patience::Until(deadline) => {
                self.call_until(channel, arg, deadline, now, |direct, arg| direct.run(arg))
            }
        }
    }

    /// Makes a synchronous call: tries `now` (which fires a chord with the
    /// call at once, or hands the argument back) a few times, spinning a
    /// little longer before each retry, then queues the call and waits for a
    /// chord until `deadline`. A queued call that a firing hands a chord to
    /// run on this thread runs it with `fire`.
    ///
    /// The retries are the adaptive spinning of `parking_lot`'s locks: when
    /// another thread will send the missing message within a few hundred
    /// nanoseconds (a lock released, a reader count put back), firing it
    /// ourselves is far cheaper than queuing and being woken. A call that
    /// has not queued yet is not waiting on its channel: the rules hold as if
    /// it arrived when it queues or fires.
    #[doc(hidden)]
    #[inline(always)]
    pub fn call_until<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
        deadline: Option<Instant>,
        mut now: impl FnMut(A) -> Result<R, A>,
        fire: impl FnOnce(Direct<'_, A, R>, A) -> R,
    ) -> Result<R, A> {
        match now(arg) {
            Ok(result) => Ok(result),
            Err(arg) => self.retry_or_queue(channel, arg, deadline, now, fire),
        }
    }

    /// [`call_until`](Join::call_until) after its first try: out of line, so
    /// that the first try is all a caller's code holds.
    #[cold]
    #[inline(never)]
    fn retry_or_queue<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        mut arg: A,
        deadline: Option<Instant>,
        mut now: impl FnMut(A) -> Result<R, A>,
        fire: impl FnOnce(Direct<'_, A, R>, A) -> R,
    ) -> Result<R, A> {
        for retry in 0..RETRIES {
            spin(retry);
            match now(arg) {
                Ok(result) => return Ok(result),
                Err(back) => arg = back,
            }
        }
        match self.call_queued(channel, arg, deadline) {
            Queued::Done(result) => Ok(result),
            Queued::Withdrawn(arg) => Err(arg),
            Queued::Fired(chord, arg) => Ok(fire(Direct::new(self, channel, chord, 0), arg)),
        }
    }

    /// Queues a synchronous call that could not fire at once and waits for a
    /// chord until `deadline`.
    #[inline(never)]
    fn call_queued<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
        deadline: Option<Instant>,
    ) -> Queued<R, A> {
        let index = self.inner.check(&channel);
        let slot = CallSlot::new(arg);
        let lease = Lease::new();
        let (entry, gen) = lease.publish(&slot);
        self.inner.calls(channel.index).push(entry);
        self.inner.channels[index].count.add_one();
        self.resolve(channel.index);
        self.finish_call(channel.index, &slot, &lease, gen, deadline)
    }

    /// Waits for the call `gen` of `lease` on `channel` to end: with its
    /// result, withdrawn at `deadline`, or handed a chord to run. In the last
    /// case the call and its argument are the caller's again (no firing holds
    /// them), and the chord's other messages are reserved for it.
    pub(crate) fn finish_call<A, R>(
        &self,
        channel: u32,
        slot: &CallSlot<A, R>,
        lease: &Lease,
        gen: u64,
        mut deadline: Option<Instant>,
    ) -> Queued<R, A> {
        loop {
            match lease.waiter().wait(gen, deadline) {
                Wake::Done => return Queued::Done(lease.result(slot)),
                Wake::Fired(chord) => return Queued::Fired(chord, slot.take_arg()),
                Wake::Panicked(chord) => panic!(
                    "chord `{}` panicked while computing this call's result",
                    self.inner.chords[chord].name
                ),
                Wake::NoReply(chord) => panic!(
                    "chord `{}` finished without replying to this call",
                    self.inner.chords[chord].name
                ),
                Wake::TimedOut => {
                    if self.withdraw(channel, lease, gen) {
                        return Queued::Withdrawn(slot.take_arg());
                    }
                    // A firing took the call first: its result is ours.
                    deadline = None;
                }
            }
        }
    }

    /// Runs `chord`'s body on this thread, taking its messages.
    pub(crate) fn run(&self, chord: usize, own: Option<Own>) {
        let mut firing = Firing::new(&self.inner, chord, own);
        (self.inner.chords[chord].body)(self, &mut firing);
    }
}

impl fmt::Debug for Join {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Channels<'a>(&'a Inner);
        impl fmt::Debug for Channels<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(
                        self.0
                            .channels
                            .iter()
                            .map(|c| (&c.name, c.count.available())),
                    )
                    .finish()
            }
        }
        let chords: Vec<&str> = self.inner.chords.iter().map(|c| c.name.as_str()).collect();
        f.debug_struct("Join")
            .field("channels", &Channels(&self.inner))
            .field("chords", &chords)
            .finish()
    }
}
