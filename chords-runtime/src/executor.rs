//! Where asynchronous chords run: a process-wide, bounded thread pool.
//!
//! A chord with no synchronous term never runs on the thread whose message
//! completed it; once reserved, it is handed over here as a job. A job goes
//! to an idle worker, or to a new one while fewer than the maximum
//! ([`set_max_workers`], [`DEFAULT_MAX_WORKERS`] by default) are *active*;
//! otherwise it queues until an active worker is free.
//!
//! A worker blocked inside a chords synchronous call (parked in a call that
//! waits for a chord, or for its reply) does not count as active, and when
//! it blocks while jobs wait for a worker, it starts one in its stead. So a
//! body may block on a synchronous call that only another asynchronous body
//! can answer without deadlocking the pool, while bodies that sleep or
//! compute queue for the maximum's workers instead of starting a thread
//! each. (A body blocked on anything else, a lock or a sleep, holds its
//! worker.)
//!
//! Workers that stay idle for [`KEEP_ALIVE`] exit, so an idle program holds
//! no threads. Under loom each job runs on a thread of its own.
//!
//! A panic in an asynchronous body is caught; the worker reports it through
//! the handler set with [`set_panic_handler`] and goes on.
//!
//! A join may run its bodies elsewhere: on the [`Spawn`] it was built with,
//! or the process's ([`set_spawn`]), which gets each firing as a [`Job`].
//! Whatever runs them, each join counts its firings not yet run
//! ([`Unfinished`]), for `wait_idle`.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::RwLock;

use crate::state::{self, Join};
use crate::sync::{AtomicUsize, Ordering};

/// How long an idle executor worker waits for a job before it exits.
///
/// ```
/// assert!(chords_runtime::KEEP_ALIVE >= std::time::Duration::from_secs(1));
/// ```
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);

/// The most executor workers active at once unless [`set_max_workers`]
/// says otherwise (as tokio's blocking pool).
pub const DEFAULT_MAX_WORKERS: usize = 512;

/// Sets the most executor workers that run asynchronous bodies (or wait
/// for one) at once, process-wide (at least 1, at most 65,535). Workers blocked inside a
/// chords synchronous call do not count: see the reference's *What runs
/// where*. Workers already running stay; new ones start only below the new
/// maximum.
///
/// ```
/// chords_runtime::set_max_workers(64);
/// # chords_runtime::set_max_workers(chords_runtime::DEFAULT_MAX_WORKERS);
/// ```
pub fn set_max_workers(max: usize) {
    #[cfg(not(loom))]
    pool::POOL.set_max(max.clamp(1, 65_535));
    #[cfg(loom)]
    let _ = max;
}

/// Parks the calling thread, as a synchronous call waits (until
/// `deadline`, if any); an executor worker counts as blocked meanwhile, and
/// starts a worker in its stead if jobs wait for one.
pub(crate) fn park(deadline: Option<std::time::Instant>) {
    #[cfg(not(loom))]
    pool::blocking(|| match deadline {
        Some(deadline) => {
            std::thread::park_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
        }
        None => std::thread::park(),
    });
    #[cfg(loom)]
    {
        assert!(deadline.is_none(), "loom has no clock");
        loom::thread::park();
    }
}

type Handler = dyn Fn(&str, &(dyn Any + Send)) + Send + Sync;

static PANIC_HANDLER: RwLock<Option<Box<Handler>>> = RwLock::new(None);

/// Sets the process-wide handler for panics in asynchronous chord bodies.
///
/// It receives the chord's name and the panic payload. The default prints
/// the chord's name and the panic message to stderr (after the standard
/// panic hook has reported the panic, as for any thread).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let seen = Arc::new(AtomicUsize::new(0));
/// let s = seen.clone();
/// chords_runtime::set_panic_handler(move |chord, _payload| {
///     assert_eq!(chord, "boom");
///     s.fetch_add(1, Ordering::SeqCst);
/// });
/// # let mut b = chords_runtime::Join::builder();
/// # let fire = b.asynchronous::<()>("fire");
/// # b.when(fire).named("boom").then(|((),)| panic!("in a body"));
/// # let join = b.build().unwrap();
/// # join.send(fire, ());
/// # while seen.load(Ordering::SeqCst) == 0 { std::thread::yield_now(); }
/// ```
pub fn set_panic_handler(handler: impl Fn(&str, &(dyn Any + Send)) + Send + Sync + 'static) {
    *PANIC_HANDLER.write().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(handler));
}

/// The text of a panic payload: what `panic!` was given as a message, if
/// it was a string (`&str` or `String`). For panic handlers and for callers
/// that caught a panic from a chord.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("no {}", "luck")).unwrap_err();
/// assert_eq!(chords_runtime::panic_message(&*payload), Some("no luck"));
/// let payload = std::panic::catch_unwind(|| std::panic::panic_any(7)).unwrap_err();
/// assert_eq!(chords_runtime::panic_message(&*payload), None);
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

fn report(chord: &str, payload: &(dyn Any + Send)) {
    let handler = PANIC_HANDLER.read().unwrap_or_else(|e| e.into_inner());
    match &*handler {
        Some(handler) => handler(chord, payload),
        None => {
            let message = panic_message(payload).unwrap_or("Box<dyn Any>");
            eprintln!("chords: asynchronous chord `{chord}` panicked: {message}");
        }
    }
}

/// Runs `chord`'s body, which needs no caller, and reports a panic in it.
fn run(join: Join, chord: usize) {
    let body = || state::run(&join, &mut join.state.firing(chord));
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(body)) {
        report(&join.state.chords[chord].name, &*payload);
    }
    join.state.unfinished.finish();
}

/// Queues an asynchronous firing of `chord`, reserved.
#[cfg(loom)]
pub(crate) fn execute(join: Join, chord: usize) {
    join.state.unfinished.start();
    loom::thread::spawn(move || run(join, chord));
}

/// Queues an asynchronous firing of `chord`, reserved: on the join's own
/// executor, the process's, or the pool.
#[cfg(not(loom))]
pub(crate) fn execute(join: Join, chord: usize) {
    join.state.unfinished.start();
    if join.state.spawn.is_some() {
        let state = std::sync::Arc::clone(&join.state);
        let spawn = state.spawn.as_ref().expect("checked above");
        return spawn.spawn(Job { join, chord });
    }
    match DEFAULT_SPAWN.get() {
        Some(spawn) => spawn.spawn(Job { join, chord }),
        None => pool::POOL.execute(join, chord),
    }
}

/// One asynchronous firing, for a [`Spawn`] to run: its chord's messages
/// are taken, and [`run`](Job::run) runs the body (on any thread). A job
/// dropped unrun loses its messages, and `wait_idle` waits for it forever:
/// an executor runs every job it is given.
pub struct Job {
    join: Join,
    chord: usize,
}

impl Job {
    /// Runs the chord's body, here; a panic in it goes to the panic handler
    /// ([`set_panic_handler`]), as on the built-in pool.
    pub fn run(self) {
        run(self.join, self.chord);
    }

    /// The chord's name.
    pub fn chord(&self) -> &str {
        &self.join.state.chords[self.chord].name
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("chord", &self.chord()).finish()
    }
}

/// An executor for asynchronous chord bodies, instead of the built-in pool:
/// for one join ([`JoinBuilder::spawn_with`](crate::JoinBuilder::spawn_with),
/// `#[chords(spawn = ..)]`) or for the process ([`set_spawn`]). A closure
/// `Fn(Job)` is one.
///
/// The built-in pool never deadlocks on bodies blocked in chords calls (see
/// the module docs); another executor keeps only its own promise. A body that
/// blocks belongs on threads that may block (tokio's `spawn_blocking`, not
/// `spawn`), and as many as may block at once.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use chords_runtime::{Job, Join};
///
/// // A thread per body.
/// let spawned = Arc::new(AtomicUsize::new(0));
/// let counter = spawned.clone();
/// let mut b = Join::builder();
/// b.spawn_with(move |job: Job| {
///     counter.fetch_add(1, Ordering::SeqCst);
///     std::thread::spawn(move || job.run());
/// });
/// let tick = b.asynchronous::<()>("tick");
/// b.when(tick).then(|((),)| ());
/// let join = b.build().unwrap();
/// join.send_all(tick, [(); 3]);
/// join.wait_idle();
/// assert_eq!(spawned.load(Ordering::SeqCst), 3);
/// ```
pub trait Spawn: Send + Sync + 'static {
    /// Runs `job` soon, on some thread: call [`Job::run`] there.
    fn spawn(&self, job: Job);
}

impl<F: Fn(Job) + Send + Sync + 'static> Spawn for F {
    fn spawn(&self, job: Job) {
        self(job)
    }
}

static DEFAULT_SPAWN: std::sync::OnceLock<Box<dyn Spawn>> = std::sync::OnceLock::new();

/// Sets the executor of every join built without one of its own
/// ([`JoinBuilder::spawn_with`](crate::JoinBuilder::spawn_with)), once per
/// process, before the first asynchronous firing that should use it (as a
/// global allocator or a `tracing` subscriber). Hands `spawn` back if one
/// is set already.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// // Every asynchronous body on a thread of its own (with tokio, a
/// // runtime handle's `spawn_blocking`; with rayon, `rayon::spawn`).
/// static SPAWNED: AtomicUsize = AtomicUsize::new(0);
/// chords_runtime::set_spawn(|job: chords_runtime::Job| {
///     SPAWNED.fetch_add(1, Ordering::SeqCst);
///     std::thread::spawn(move || job.run());
/// })
/// .unwrap_or_else(|_| panic!("an executor was set already"));
///
/// let mut b = chords_runtime::Join::builder();
/// let job = b.asynchronous::<u32>("job");
/// b.when(job).then(|(_,)| ());
/// let jobs = b.build().unwrap();
/// jobs.send_all(job, 0..5);
/// jobs.wait_idle();
/// assert_eq!(SPAWNED.load(Ordering::SeqCst), 5);
/// ```
pub fn set_spawn<S: Spawn>(spawn: S) -> Result<(), S> {
    let mut spawn = Some(spawn);
    DEFAULT_SPAWN.get_or_init(|| Box::new(spawn.take().expect("taken once")));
    match spawn {
        None => Ok(()),
        Some(spawn) => Err(spawn),
    }
}

/// The asynchronous firings of one join handed to the executor and not yet
/// run, for [`Join::wait_idle`](crate::Join::wait_idle).
pub(crate) struct Unfinished {
    count: AtomicUsize,
    /// Threads in [`wait`](Unfinished::wait): the last firing to finish
    /// wakes them only if there are any.
    waiters: AtomicUsize,
    lock: std::sync::Mutex<()>,
    done: std::sync::Condvar,
}

impl Unfinished {
    pub(crate) fn new() -> Self {
        Unfinished {
            count: AtomicUsize::new(0),
            waiters: AtomicUsize::new(0),
            lock: std::sync::Mutex::new(()),
            done: std::sync::Condvar::new(),
        }
    }

    fn start(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
    }

    fn finish(&self) {
        // SeqCst, with `wait`'s: either the waiter registered before this
        // decrement's look at `waiters`, and is woken (under the lock, so
        // not between its look at `count` and its wait), or it looks at
        // `count` after the decrement.
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1 && self.waiters.load(Ordering::SeqCst) > 0
        {
            let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.done.notify_all();
        }
    }

    /// Waits until no firing is unfinished, or `deadline` passed; whether
    /// none is.
    pub(crate) fn wait(&self, deadline: Option<std::time::Instant>) -> bool {
        let mut held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let idle = loop {
            if self.count.load(Ordering::SeqCst) == 0 {
                break true;
            }
            held = match deadline {
                None => self.done.wait(held).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        break false;
                    }
                    self.done
                        .wait_timeout(held, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        idle
    }
}

#[cfg(not(loom))]
mod pool {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
    use std::sync::LazyLock;

    use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

    use super::{run, DEFAULT_MAX_WORKERS, KEEP_ALIVE};
    use crate::state::Join;

    type Job = (Join, usize);

    std::thread_local! {
        /// Whether this thread is one of the pool's workers.
        static WORKER: Cell<bool> = const { Cell::new(false) };
    }

    /// The pool's books, one word, so that every decision is one CAS: the
    /// workers that are `idle` (waiting for a job, unpromised), the jobs
    /// `pending` (queued with no worker promised to them), and the workers
    /// `active` (not blocked in a chords call: running a body, idle, or
    /// about to take a job).
    #[derive(Clone, Copy)]
    struct Books(u64);

    /// Bits of `idle` and of `active` (thread counts: the system's limit on
    /// threads is far below); `pending` has the upper 32.
    const WORKER_BITS: u32 = 16;
    const WORKERS: u64 = (1 << WORKER_BITS) - 1;

    impl Books {
        fn idle(self) -> u64 {
            self.0 & WORKERS
        }
        fn active(self) -> u64 {
            self.0 >> WORKER_BITS & WORKERS
        }
        fn pending(self) -> u64 {
            self.0 >> (2 * WORKER_BITS)
        }
        fn with(idle: u64, pending: u64, active: u64) -> Self {
            assert!(
                idle.max(active) <= WORKERS && pending <= u64::from(u32::MAX),
                "more than 65,535 executor workers or 4G jobs waiting for one"
            );
            Books(idle | active << WORKER_BITS | pending << (2 * WORKER_BITS))
        }
    }

    /// Invariant: every job sent is promised a worker that will receive
    /// one: an idle worker it uncounts, a worker it starts, or, while the
    /// active workers are at the maximum, the next active worker that
    /// finishes a body or blocks in a chords call (it uncounts `pending`).
    /// Jobs are alike, so a worker may receive another job than the one it
    /// was promised to; the promises and the jobs still match in number.
    pub(super) struct Pool {
        jobs: Sender<Job>,
        queue: Receiver<Job>,
        books: AtomicU64,
        max: AtomicUsize,
    }

    pub(super) static POOL: LazyLock<Pool> = LazyLock::new(|| {
        let (jobs, queue) = crossbeam_channel::unbounded();
        Pool {
            jobs,
            queue,
            books: AtomicU64::new(0),
            max: AtomicUsize::new(DEFAULT_MAX_WORKERS),
        }
    });

    impl Pool {
        pub(super) fn set_max(&self, max: usize) {
            self.max.store(max, SeqCst);
        }

        /// Applies `change` to the books in one CAS; returns what it returned.
        fn update<T>(&self, mut change: impl FnMut(Books, u64) -> (Books, T)) -> T {
            let max = self.max.load(SeqCst) as u64;
            let mut now = Books(self.books.load(SeqCst));
            loop {
                let (new, out) = change(now, max);
                match self
                    .books
                    .compare_exchange_weak(now.0, new.0, SeqCst, SeqCst)
                {
                    Ok(_) => return out,
                    Err(actual) => now = Books(actual),
                }
            }
        }

        pub(super) fn execute(&'static self, join: Join, chord: usize) {
            self.jobs
                .send((join, chord))
                .expect("the pool holds its receiver");
            let start = self.update(|b, max| {
                if b.idle() > 0 {
                    (Books::with(b.idle() - 1, b.pending(), b.active()), false)
                } else if b.active() < max {
                    (Books::with(0, b.pending(), b.active() + 1), true)
                } else {
                    (Books::with(0, b.pending() + 1, b.active()), false)
                }
            });
            if start {
                self.start();
            }
        }

        fn start(&'static self) {
            std::thread::Builder::new()
                .name("chords-executor".into())
                .spawn(move || self.work())
                .expect("failed to start a chords executor thread");
        }

        fn work(&'static self) {
            WORKER.with(|w| w.set(true));
            loop {
                match self.queue.recv_timeout(KEEP_ALIVE) {
                    Ok((join, chord)) => {
                        run(join, chord);
                        // Promise itself to a pending job, or wait as idle.
                        self.update(|b, _| {
                            if b.pending() > 0 {
                                (Books::with(b.idle(), b.pending() - 1, b.active()), ())
                            } else {
                                (Books::with(b.idle() + 1, 0, b.active()), ())
                            }
                        });
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        let exit = self.update(|b, _| {
                            if b.idle() > 0 {
                                (Books::with(b.idle() - 1, b.pending(), b.active() - 1), true)
                            } else {
                                // Every idle worker is promised to a job: wait for it.
                                (b, false)
                            }
                        });
                        if exit {
                            return;
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        }
    }

    #[cfg(test)]
    #[test]
    fn the_books_keep_each_count_apart_up_to_its_limit() {
        for (idle, pending, active) in [
            (0, 0, 0),
            (1, 2, 3),
            (WORKERS, u64::from(u32::MAX), WORKERS),
        ] {
            let b = Books::with(idle, pending, active);
            assert_eq!((b.idle(), b.pending(), b.active()), (idle, pending, active));
        }
        let over = std::panic::catch_unwind(|| Books::with(WORKERS + 1, 0, 0));
        assert!(
            over.is_err(),
            "a count over its field is refused, not wrapped"
        );
    }

    /// Runs `park` (a chords call's wait) on this thread: an executor worker
    /// stops counting as active meanwhile, and starts a worker in its stead
    /// if a job is pending.
    pub(super) fn blocking(park: impl FnOnce()) {
        if !WORKER.with(Cell::get) {
            return park();
        }
        let pool: &'static Pool = &POOL;
        let start = pool.update(|b, max| {
            let active = b.active() - 1;
            if b.pending() > 0 && active < max {
                (Books::with(b.idle(), b.pending() - 1, active + 1), true)
            } else {
                (Books::with(b.idle(), b.pending(), active), false)
            }
        });
        if start {
            pool.start();
        }
        park();
        pool.update(|b, _| (Books::with(b.idle(), b.pending(), b.active() + 1), ()));
    }
}
