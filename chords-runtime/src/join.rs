//! The public API of a [`Join`]: sending, calling, and looking at its queues.
//!
//! The type itself is defined with the state it shares (`state.rs`); how a
//! call goes is in the modules below this one (see the crate's layers).

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use crate::awaited::{CallFuture, General};
use crate::builder::JoinBuilder;
use crate::call::{call, Patience};
use crate::channel::{AsyncChannel, Channel, SyncChannel};
use crate::choice::Op;
use crate::error::{TimeoutError, TryCallError};
use crate::reserved::Reserved;
use crate::resolve::{self, resolve};
use crate::state::{Join, State};

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
        let channel = self.state.enqueue(channel, msg);
        resolve(self, &channel.members);
    }

    /// Sends every message of `msgs` on an asynchronous channel, in order, as
    /// one batch: they are queued, then counted together in one atomic step,
    /// so they arrive at one instant, and every chord they enable fires,
    /// first declared first, with the oldest messages. (Sent one by one, an
    /// earlier message could fire a chord before the later ones arrive.)
    /// Never blocks and never runs a chord's body on this thread.
    ///
    /// ```
    /// let mut b = chords_runtime::Join::builder();
    /// let token = b.asynchronous::<()>("token");
    /// let enter = b.synchronous::<(), ()>("enter");
    /// b.when(enter).and(token).then(|(((), r), ())| r.send(()));
    /// let room = b.build().unwrap();
    /// room.send_all(token, [(); 3]);
    /// assert_eq!(room.waiting(token), 3);
    /// room.call(enter, ());
    /// assert_eq!(room.waiting(token), 2);
    /// ```
    ///
    /// # Panics
    /// If `channel` belongs to another `Join`. If the iterator panics, the
    /// messages it gave before are sent.
    pub fn send_all<T: Send + 'static>(
        &self,
        channel: AsyncChannel<T>,
        msgs: impl IntoIterator<Item = T>,
    ) {
        let index = self.state.check(&channel);
        resolve::send_all(self, channel, msgs, &self.state.channels[index].members);
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
        match self.call_with(channel, arg, Patience::Forever) {
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
        self.call_with(channel, arg, Patience::Now)
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
        self.call_with(channel, arg, Patience::within(timeout))
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
        self.call_with(channel, arg, Patience::Until(deadline))
            .map_err(TimeoutError)
    }

    /// A call of `channel` with `arg`, not yet made: a branch to offer to
    /// [`choose`](crate::choose), which makes exactly one of its branches.
    ///
    /// ```
    /// use chords_runtime::{choose, Join};
    ///
    /// let mut b = Join::builder();
    /// let put = b.asynchronous::<u32>("put");
    /// let get = b.synchronous::<(), u32>("get");
    /// b.when(get).and(put).then(|(((), r), n)| r.send(n));
    /// let buffer = b.build().unwrap();
    /// buffer.send(put, 7);
    /// assert_eq!(choose((buffer.call_op(get, ()),)).wait(), 7);
    /// ```
    ///
    /// In `select!`, a branch `join.call(channel, arg)` is this op.
    ///
    /// # Panics
    /// If `channel` belongs to another `Join`, or a guard reads its calls'
    /// argument (see [`Argument`](crate::Argument)): such calls retry as
    /// messages arrive instead of queuing, so a choice could not offer them.
    pub fn call_op<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
    ) -> Op<'_, A, R> {
        let state = &self.state.channels[self.state.check(&channel)];
        assert!(
            !state.retries,
            "a call of `{}` cannot be a branch of a choice: a guard reads its argument, so it \
             retries as messages arrive instead of queuing",
            state.name
        );
        Op::new(self, channel, arg)
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
        let index = self.state.check(&channel);
        self.state.channels[index].count.available() as usize
    }

    /// A clone of the message a state channel holds (see
    /// [`JoinBuilder::state`](crate::JoinBuilder::state)), without
    /// consuming it: a volatile read, out of date as soon as a chord
    /// consumes the message. While a firing holds the message (its body
    /// runs and has not sent it again), the read waits for it; so a body
    /// must not read a state channel it consumed: it has the value.
    ///
    /// # Panics
    /// If `channel` is not a state channel, or belongs to another join.
    pub fn read<T: Clone + Send + 'static>(&self, channel: AsyncChannel<T>) -> T {
        let index = self.state.check(&channel);
        let channel = &self.state.channels[index];
        channel.payloads::<T>().read().unwrap_or_else(|| {
            panic!(
                "`read` reads a state channel, and `{}` is not one: declare it with \
                 `JoinBuilder::state`",
                channel.name
            )
        })
    }

    /// Blocks until no asynchronous firing of this join waits for the
    /// executor or runs there: for tests, and for an orderly exit (the
    /// executor's threads end with the process, and bodies still queued
    /// then never run). Firings that running bodies set off are waited for
    /// too; firings that other threads set off meanwhile may be.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let done = Arc::new(AtomicUsize::new(0));
    /// let mut b = chords_runtime::Join::builder();
    /// let job = b.asynchronous::<u32>("job");
    /// let d = done.clone();
    /// b.when(job).then(move |(n,)| {
    ///     std::thread::sleep(std::time::Duration::from_millis(n.into()));
    ///     d.fetch_add(1, Ordering::SeqCst);
    /// });
    /// let jobs = b.build().unwrap();
    /// jobs.send_all(job, 1..=20);
    /// jobs.wait_idle();
    /// assert_eq!(done.load(Ordering::SeqCst), 20);
    /// ```
    pub fn wait_idle(&self) {
        self.state.unfinished.wait(None);
    }

    /// As [`wait_idle`](Join::wait_idle), for at most `timeout`; whether no
    /// firing is left.
    pub fn wait_idle_timeout(&self, timeout: std::time::Duration) -> bool {
        match std::time::Instant::now().checked_add(timeout) {
            Some(deadline) => self.state.unfinished.wait(Some(deadline)),
            None => self.state.unfinished.wait(None),
        }
    }

    /// Calls a synchronous channel from an async task: a future of the
    /// result, which waits without blocking the thread. It follows the same
    /// rules as [`call`](Join::call), in the same queue as blocked threads'
    /// calls; a chord whose result goes to it runs its body in the future's
    /// `poll`.
    ///
    /// Dropping the future withdraws the call as if it had never been made,
    /// and gives back a chord handed to it and not yet run. Only a chord that
    /// had already counted on the call (or was running with it) keeps it, and
    /// its result is dropped with the future. So a runtime's timeout around
    /// the future loses no message.
    ///
    /// ```
    /// let mut b = chords_runtime::Join::builder();
    /// let get = b.synchronous::<(), u32>("get");
    /// let put = b.asynchronous::<u32>("put");
    /// b.when(get).and(put).then(|(((), r), n)| r.send(n));
    /// let join = b.build().unwrap();
    /// let j = join.clone();
    /// std::thread::spawn(move || j.send(put, 7));
    /// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     struct Unpark(std::thread::Thread);
    /// #     impl std::task::Wake for Unpark {
    /// #         fn wake(self: std::sync::Arc<Self>) { self.0.unpark() }
    /// #     }
    /// #     let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::park();
    /// #     }
    /// # }
    /// assert_eq!(block_on(join.call_async(get, ())), 7);
    /// ```
    ///
    /// # Panics
    /// When polled, as [`call`](Join::call) panics: if the body that would
    /// produce the result panicked on another thread, or dropped the reply.
    /// At once if `channel` belongs to another `Join`.
    pub fn call_async<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
    ) -> impl Future<Output = R> + Send + '_ {
        CallFuture::new(self, channel, arg, General::new(self, channel))
    }

    /// Makes a synchronous call through the general path: the channel's
    /// table and the chords' registered bodies.
    fn call_with<A: Send + 'static, R: Send + 'static>(
        &self,
        channel: SyncChannel<A, R>,
        arg: A,
        patience: Patience,
    ) -> Result<R, A> {
        let index = self.state.check(&channel);
        let members = &self.state.channels[index].members;
        let now = |arg| match Reserved::now(self, channel, members, &arg) {
            Some(reserved) => Ok(reserved.run(arg)),
            None => Err(arg),
        };
        call(self, channel, arg, patience, now, |reserved, arg| {
            reserved.run(arg)
        })
    }
}

impl fmt::Debug for Join {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Channels<'a>(&'a State);
        impl fmt::Debug for Channels<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let counts = self.0.channels.iter();
                f.debug_map()
                    .entries(counts.map(|c| (&c.name, c.count.available())))
                    .finish()
            }
        }
        let chords: Vec<&str> = self.state.chords.iter().map(|c| c.name.as_str()).collect();
        crate::generated::debug(f, "Join", &Channels(&self.state), &chords)
    }
}
