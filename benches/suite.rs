//! The performance suite (the README's *Performance*): the benchmarks of
//! Turon & Russo, plus Santa Claus, each written with chords and against the
//! primitive a Rust user would pick instead, in one run, across thread counts;
//! the lock and producer/consumer also against rusty_junctions, the other
//! Rust join-calculus crate.
//!
//! ```text
//! cargo bench --bench suite -- [--quick] [--threads 1,2,4] [--duration SECS]
//!                              [--runs N] [--wakeups W] [--tasks N] [--out DIR] [NAME...]
//! ```
//!
//! Method, after the paper: every thread repeats the benchmark's operation,
//! with a small fixed amount of local work (a short spin on a local variable)
//! between two operations. Where threads run independently (`lock`,
//! `semaphore`, `rwlock`, `philosophers`) each run lasts a fixed time; where
//! they must meet (`barrier`, `exchanger`, `producer_consumer`) every thread
//! makes the same number of operations, calibrated so that a run lasts about
//! that time, since a thread that stopped on a clock would leave its partners
//! waiting. Throughput is the operations of all threads per second, the median
//! of several runs; an operation is one thread's call (one arrival, one side of
//! an exchange, one put or one get). Each run checks its invariant (no lost
//! update under a lock, items and exchanged values conserved, one release per
//! barrier round, teams of nine and groups of three for Santa).
//!
//! Beside the paper's, the ways a user may well write them: `semaphore_1`,
//! a semaphore of one permit (`semaphore` has n/2 at n threads), against
//! `parking_lot::Mutex` too; `lock_sync`, a lock whose release is a
//! synchronous call whose chord sends the token back; `lock_work` and
//! `semaphore_1_work`, with a little work inside the critical section as well
//! as between operations; `rwlock_tokens`, the reader/writer workload on the
//! example's token lock (a reader takes one of 32 tokens, a writer all);
//! `jobs`, a job queue: every thread sends jobs with a tiny body, run by an
//! asynchronous chord on the executor, against a `crossbeam_channel` and a
//! fixed pool of as many workers; a run ends when every job sent has run;
//! `counter`, a shared count that `add(1)` bumps: a state channel (one
//! slot), the same object with an ordinary channel (a queue), and
//! `parking_lot::Mutex`; `keyed`, a store of 100 keys' items whose
//! operation takes the item of a key (a keyed chord, served by an index) and
//! stores it back, against a `HashMap` of queues under a mutex with a
//! `Condvar`.
//!
//! Output: a table per benchmark (ops/s of each implementation and the ratio
//! chords / best peer), `results.csv` (`ns_per_op` is wall time per operation of
//! all threads together, `1e9 / ops_per_sec`; `allocs_per_op` comes from a
//! counting global allocator) and one SVG plot per benchmark, both under
//! `target/chords-bench/` (or `--out`).
//!
//! Thread counts default to 1, 2, 4, 8, 16, capped at the machine's cores;
//! Santa always runs its 20 threads. `--quick` shortens runs and Santa's
//! wakeups; NAME arguments keep only the benchmarks whose name contains one
//! (`async` keeps the awaited ones, `lock_async` that one alone).
//!
//! The `_async` benchmarks (`suite/tasks.rs`, and `santa_async` in
//! `suite/santa.rs`) measure the awaited calls (`name_async`) against tokio's
//! primitives and async channels: tokio tasks (`--tasks`, 8 by default) on a
//! multi-thread runtime whose worker threads are the thread count.

use std::future::Future;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

#[path = "common/counting.rs"]
mod counting;
#[path = "suite/objects.rs"]
mod objects;
// The lock, the semaphore, the reader/writer locks and Santa's North Pole are
// the examples' own.
#[allow(dead_code)]
#[path = "../examples/lock/lock.rs"]
mod lock;
// `unused_imports`: when this bench is checked as a test, the unit tests of the
// generator that north_pole.rs includes compile without their `#[test]`
// functions (the bench has no harness), leaving their imports unused.
#[allow(dead_code, unused_imports)]
#[path = "../examples/santa/north_pole.rs"]
mod north_pole;
#[path = "suite/output.rs"]
mod output;
#[allow(dead_code)]
#[path = "../examples/reader_writer/rwlock.rs"]
mod rwlock;
#[path = "suite/santa.rs"]
mod santa;
#[allow(dead_code)]
#[path = "../examples/semaphore/semaphore.rs"]
mod semaphore;
#[path = "suite/tasks.rs"]
mod tasks;
#[allow(dead_code)]
#[path = "../examples/reader_writer/tokens.rs"]
mod tokens;

use counting::allocations;
use lock::Lock;
use objects::{
    seat, Buffer, ChordBarrier, CondvarSemaphore, CondvarStore, Exchanger, KeyedStore,
    QueueCounter, StateCounter, SyncLock, Table,
};
use rusty_junctions::Junction;
use rwlock::ReaderWriter;
use semaphore::Semaphore;
use tokens::TokenLock;

// ---------------------------------------------------------------------------
// Options

struct Options {
    threads: Vec<usize>,
    duration: Duration,
    runs: usize,
    wakeups: u64,
    /// Tasks of the `_async` benchmarks.
    tasks: usize,
    filters: Vec<String>,
    out: PathBuf,
}

const USAGE: &str = "usage: suite [--quick] [--threads 1,2,4] [--duration SECS] [--runs N] \
                     [--wakeups W] [--tasks N] [--out DIR] [NAME...]";

impl Options {
    /// Parses the command line; `None` when there is nothing to run (`--list`).
    fn parse() -> Result<Option<Options>, String> {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        let mut o = Options {
            threads: [1, 2, 4, 8, 16]
                .into_iter()
                .filter(|&n| n <= cores)
                .collect(),
            duration: Duration::from_secs(1),
            runs: 5,
            wakeups: 100_000,
            tasks: 8,
            filters: Vec::new(),
            out: default_out(),
        };
        let (mut duration, mut runs, mut wakeups) = (None, None, None);
        let mut quick = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or(format!("{flag} needs a value"))
            };
            let bad = |what: &str| format!("{flag}: not {what}");
            match flag.as_str() {
                "--list" => return Ok(None),
                "--bench" => {} // added by `cargo bench`
                "--quick" => quick = true,
                "--threads" => {
                    o.threads = value()?
                        .split(',')
                        .map(|n| n.trim().parse().ok().filter(|&n: &usize| n > 0))
                        .collect::<Option<_>>()
                        .ok_or(bad("a list of thread counts"))?;
                }
                "--duration" => {
                    let secs: f64 = value()?.parse().map_err(|_| bad("seconds"))?;
                    duration = Some(Duration::try_from_secs_f64(secs).map_err(|_| bad("seconds"))?);
                }
                "--runs" => runs = Some(value()?.parse().map_err(|_| bad("a count"))?),
                "--wakeups" => wakeups = Some(value()?.parse().map_err(|_| bad("a count"))?),
                "--tasks" => {
                    o.tasks = value()?
                        .parse()
                        .ok()
                        .filter(|&n: &usize| n > 0)
                        .ok_or(bad("a count of tasks"))?;
                }
                "--out" => o.out = value()?.into(),
                "--help" | "-h" => return Err(USAGE.into()),
                f if f.starts_with('-') => return Err(format!("unknown option {f}\n{USAGE}")),
                _ => o.filters.push(arg),
            }
        }
        if quick {
            (o.duration, o.runs, o.wakeups) = (Duration::from_millis(400), 5, 10_000);
        }
        o.duration = duration.unwrap_or(o.duration);
        o.runs = runs.unwrap_or(o.runs).max(1);
        o.wakeups = wakeups.unwrap_or(o.wakeups).max(1);
        Ok(Some(o))
    }

    fn wanted(&self, name: &str) -> bool {
        self.filters.is_empty() || self.filters.iter().any(|f| name.contains(f.as_str()))
    }
}

/// `$CARGO_TARGET_DIR/chords-bench`, else `chords-bench` in the target
/// directory this binary was built in, else `target/chords-bench`.
fn default_out() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let exe = std::env::current_exe().ok()?;
            let deps = exe.parent()?;
            (deps.file_name()? == "deps").then(|| deps.parent()?.parent().map(PathBuf::from))?
        })
        .unwrap_or_else(|| "target".into());
    target.join("chords-bench")
}

// ---------------------------------------------------------------------------
// The runner

/// Iterations of the local work between two operations of a thread.
const WORK: u64 = 128;

/// The local work between two operations of a thread.
fn local_work() {
    spin(WORK);
}

/// Iterations of the work inside the critical section, in the `_work`
/// variants of the lock and the 1-permit semaphore, and in the awaited lock
/// and semaphore.
const INSIDE: u64 = WORK / 4;

/// The work inside a critical section: `N` iterations (and no code for 0).
fn work_inside<const N: u64>() {
    if N > 0 {
        spin(N);
    }
}

/// A short spin on a local variable: `n` iterations.
fn spin(n: u64) {
    let mut x = 0u64;
    for i in 0..n {
        x = black_box(x.wrapping_add(i));
    }
    black_box(x);
}

/// How a run ends.
#[derive(Clone, Copy)]
enum Mode {
    /// After a fixed time: for threads that never wait for one another.
    Timed,
    /// After the same number of operations in every thread: for threads that
    /// meet (a partner stopped by the clock would leave the others waiting).
    Counted,
}

#[derive(Clone, Copy)]
enum Stop {
    At(Duration),
    After(u64),
}

impl Stop {
    /// Whether a thread (or task) that has made `i` operations makes another.
    fn more(self, i: u64, done: &AtomicBool) -> bool {
        match self {
            Stop::At(_) => !done.load(Relaxed),
            Stop::After(n) => i < n,
        }
    }
}

/// One run: operations of all threads, time, allocations.
#[derive(Clone, Copy)]
struct Outcome {
    ops: u64,
    elapsed: Duration,
    allocs: u64,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `op(shared, thread, i)` on `threads` threads, with local work between
/// operations, from a common start until `stop`.
fn run_once<S: Sync>(
    threads: usize,
    stop: Stop,
    shared: &S,
    op: &(impl Fn(&S, usize, u64) + Sync),
) -> Outcome {
    let start = Barrier::new(threads + 1);
    let done = AtomicBool::new(false);
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (start, done) = (&start, &done);
                scope.spawn(move || {
                    start.wait();
                    let mut i = 0;
                    while stop.more(i, done) {
                        op(shared, t, i);
                        i += 1;
                        local_work();
                    }
                    i
                })
            })
            .collect();
        start.wait();
        let allocs = allocations();
        let begin = Instant::now();
        if let Stop::At(d) = stop {
            thread::sleep(d);
            done.store(true, Relaxed);
        }
        let ops = workers
            .into_iter()
            .map(|w| w.join().expect("a benchmark thread panicked"))
            .sum();
        Outcome {
            ops,
            elapsed: begin.elapsed(),
            allocs: allocations() - allocs,
        }
    })
}

/// A result line: one implementation of one benchmark at one thread count.
struct Row {
    bench: &'static str,
    threads: usize,
    imp: &'static str,
    ops_per_sec: f64,
    allocs_per_op: f64,
}

/// The median run's rate, and allocations per operation over all runs.
fn summarise(outcomes: &mut [Outcome]) -> (f64, f64) {
    outcomes.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
    let ops: u64 = outcomes.iter().map(|o| o.ops).sum();
    let allocs: u64 = outcomes.iter().map(|o| o.allocs).sum();
    (
        outcomes[outcomes.len() / 2].rate(),
        allocs as f64 / ops.max(1) as f64,
    )
}

/// One benchmark at one thread count: runs each implementation given to it.
struct Bench<'a> {
    opts: &'a Options,
    name: &'static str,
    mode: Mode,
    threads: usize,
    rows: &'a mut Vec<Row>,
}

impl Bench<'_> {
    /// Measures one implementation: each run gets a fresh `setup()`, its
    /// threads call `op(&shared, thread, i)`, and `check(&shared, ops)` then
    /// asserts the run's invariant.
    fn run<S: Sync>(
        &mut self,
        imp: &'static str,
        setup: impl Fn() -> S,
        op: impl Fn(&S, usize, u64) + Sync,
        check: impl Fn(&S, u64),
    ) {
        let threads = self.threads;
        self.measure(imp, |stop| {
            let shared = setup();
            let outcome = run_once(threads, stop, &shared, &op);
            check(&shared, outcome.ops);
            outcome
        });
    }

    /// Runs `once(stop)` `opts.runs` times, with a stop calibrated first in
    /// counted mode, and records the median as `imp`'s row.
    fn measure(&mut self, imp: &'static str, once: impl Fn(Stop) -> Outcome) {
        let stop = match self.mode {
            Mode::Timed => Stop::At(self.opts.duration),
            Mode::Counted => {
                // Grow the count until a run takes a quarter of the duration,
                // then scale it to the duration (kept even: see producer_consumer).
                let target = self.opts.duration.as_secs_f64();
                let mut n = 64u64;
                loop {
                    let took = once(Stop::After(n)).elapsed.as_secs_f64().max(1e-6);
                    if took >= target / 4.0 || n >= 1 << 40 {
                        break Stop::After(((n as f64 * target / took) as u64 / 2 * 2).max(2));
                    }
                    n = (n as f64 * (target / 4.0 / took).clamp(2.0, 16.0)) as u64 / 2 * 2;
                }
            }
        };
        let mut outcomes: Vec<_> = (0..self.opts.runs).map(|_| once(stop)).collect();
        let (ops_per_sec, allocs_per_op) = summarise(&mut outcomes);
        self.rows.push(Row {
            bench: self.name,
            threads: self.threads,
            imp,
            ops_per_sec,
            allocs_per_op,
        });
    }
}

/// One counter per thread (or chopstick), each on its own cache line, written
/// only under exclusion (so a plain load and store, no read-modify-write).
struct Slots(Vec<Slot>);

/// A counter on its own cache line. The data a chords lock guards lives apart
/// from the lock's handle: sharing a line with the handle, which every
/// operation reads, made whole runs twice as slow, depending on where the
/// allocator put them.
#[repr(align(128))]
#[derive(Default)]
struct Slot(AtomicU64);

impl Slots {
    fn new(threads: usize) -> Slots {
        Slots((0..threads).map(|_| Slot::default()).collect())
    }

    fn add(&self, thread: usize, n: u64) {
        bump(&self.0[thread].0, n);
    }

    fn sum(&self, which: impl Fn(usize) -> bool) -> u64 {
        let all = self.0.iter().enumerate();
        all.filter(|&(t, _)| which(t))
            .map(|(_, s)| s.0.load(Relaxed))
            .sum()
    }
}

/// Adds `n` as a load and a store: exact only under exclusion, which is what
/// the lock checks test.
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed) + n, Relaxed);
}

fn all(_: usize) -> bool {
    true
}

// ---------------------------------------------------------------------------
// The benchmarks: each measures chords and its peers at `b.threads` threads.

/// The lock, with `N` iterations of work inside (`lock`, `lock_work`).
fn lock<const N: u64>(b: &mut Bench) {
    chords_lock::<_, N>(b, Lock::new, Lock::acquire, Lock::free, |l| {
        l.try_acquire().is_ok()
    });
    mutex::<N>(b);
    b.run(
        "std::sync::Mutex",
        || std::sync::Mutex::new(0),
        |m, _, _| {
            let mut count = m.lock().unwrap();
            *count += 1;
            work_inside::<N>();
        },
        |m, ops| assert_eq!(*m.lock().unwrap(), ops),
    );
    let threads = b.threads;
    b.run(
        "rusty_junctions",
        move || {
            let j = Junction::new();
            let (free, acquire) = (j.send_channel::<()>(), j.recv_channel::<()>());
            j.when(&free).and_recv(&acquire).then_do(|()| ());
            free.send(()).unwrap();
            (
                Junctions::new(j, threads, || (free.clone(), acquire.clone())),
                Slot::default(),
            )
        },
        |(j, count), t, _| {
            let (free, acquire) = &*j.handles[t].lock();
            acquire.recv().unwrap();
            bump(&count.0, 1);
            work_inside::<N>();
            free.send(()).unwrap();
        },
        |(_, count), ops| assert_eq!(count.0.load(Relaxed), ops, "lost updates"),
    );
}

/// A lock whose release is a synchronous call, as a new user writes it.
fn lock_sync(b: &mut Bench) {
    chords_lock::<_, 0>(
        b,
        SyncLock::new,
        SyncLock::acquire,
        SyncLock::release,
        |l| l.try_acquire().is_ok(),
    );
    mutex::<0>(b);
}

/// Measures a chords lock as "chords": `new()` makes one free, `enter` takes
/// it and `leave` gives it back, around a bump of a counter and `N`
/// iterations of work. The check finds no update lost, and the lock free
/// once: `try_enter` takes it, and then no longer.
fn chords_lock<L: Sync, const N: u64>(
    b: &mut Bench,
    new: impl Fn() -> L,
    enter: impl Fn(&L) + Sync,
    leave: impl Fn(&L) + Sync,
    try_enter: impl Fn(&L) -> bool,
) {
    b.run(
        "chords",
        || (new(), Slot::default()),
        |(lock, count), _, _| {
            enter(lock);
            bump(&count.0, 1);
            work_inside::<N>();
            leave(lock);
        },
        |(lock, count), ops| {
            assert_eq!(count.0.load(Relaxed), ops, "lost updates");
            assert!(try_enter(lock), "the lock is not free");
            assert!(!try_enter(lock), "the lock is free twice");
        },
    );
}

/// `parking_lot::Mutex` as a lock: each operation adds 1 under it, and works
/// `N` iterations.
fn mutex<const N: u64>(b: &mut Bench) {
    b.run(
        "parking_lot::Mutex",
        || parking_lot::Mutex::new(0),
        |m, _, _| {
            let mut count = m.lock();
            *count += 1;
            work_inside::<N>();
        },
        |m, ops| assert_eq!(*m.lock(), ops),
    );
}

/// A rusty_junctions junction and each thread's own channel handles (its
/// channels are not `Sync`; each thread locks only its own, never contended).
struct Junctions<C> {
    _junction: parking_lot::Mutex<Junction>,
    handles: Vec<parking_lot::Mutex<C>>,
}

impl<C> Junctions<C> {
    fn new(junction: Junction, threads: usize, handles: impl Fn() -> C) -> Self {
        Junctions {
            _junction: parking_lot::Mutex::new(junction),
            handles: (0..threads)
                .map(|_| parking_lot::Mutex::new(handles()))
                .collect(),
        }
    }
}

/// The semaphore of n/2 permits (at least 1) at n threads.
fn semaphore(b: &mut Bench) {
    semaphore_of::<0>(b, (b.threads / 2).max(1));
}

/// The semaphore of one permit, a lock by another name: also against
/// `parking_lot::Mutex`; with `N` iterations of work while a permit is held
/// (`semaphore_1`, `semaphore_1_work`).
fn semaphore_1<const N: u64>(b: &mut Bench) {
    semaphore_of::<N>(b, 1);
    mutex::<N>(b);
}

/// A semaphore of `permits` permits, with `N` iterations of work while a
/// permit is held.
fn semaphore_of<const N: u64>(b: &mut Bench, permits: usize) {
    b.run(
        "chords",
        || Semaphore::new(permits),
        |s, _, _| {
            s.acquire();
            work_inside::<N>();
            s.release();
        },
        |s, _| check_permits(s, permits),
    );
    b.run(
        "parking_lot Mutex+Condvar",
        || CondvarSemaphore::new(permits),
        |s, _, _| {
            s.acquire();
            work_inside::<N>();
            s.release();
        },
        |s, _| assert_eq!(*s.permits.lock(), permits),
    );
}

/// `s` has exactly `permits` free permits (it takes them all).
fn check_permits(s: &Semaphore, permits: usize) {
    assert!(
        (0..permits).all(|_| s.try_acquire().is_ok()),
        "a lost permit"
    );
    assert!(s.try_acquire().is_err(), "a permit too many");
}

/// One operation in ten writes; the others read.
fn writes(thread: usize, i: u64) -> bool {
    (i + thread as u64).is_multiple_of(10)
}

/// A chords reader/writer lock: the example's fair one, or its token lock.
trait ChordsRwLock: Sync {
    fn new() -> Self;
    fn shared(&self);
    fn release_shared(&self);
    fn exclusive(&self);
    fn release_exclusive(&self);
}

/// Implements [`ChordsRwLock`] by the lock's own methods of the same names.
macro_rules! chords_rwlock {
    ($($lock:ident),*) => {$(
        impl ChordsRwLock for $lock {
            fn new() -> Self {
                $lock::new()
            }
            fn shared(&self) {
                $lock::shared(self)
            }
            fn release_shared(&self) {
                $lock::release_shared(self)
            }
            fn exclusive(&self) {
                $lock::exclusive(self)
            }
            fn release_exclusive(&self) {
                $lock::release_exclusive(self)
            }
        }
    )*};
}

chords_rwlock!(ReaderWriter, TokenLock);

/// The reader/writer workload on the chords lock `L` (`rwlock`, `rwlock_tokens`).
fn rwlock<L: ChordsRwLock>(b: &mut Bench) {
    let n = b.threads;
    b.run(
        "chords",
        || (L::new(), Slot::default(), Slots::new(n)),
        |(lock, data, written), t, i| {
            if writes(t, i) {
                lock.exclusive();
                bump(&data.0, 1);
                lock.release_exclusive();
                written.add(t, 1);
            } else {
                lock.shared();
                black_box(data.0.load(Relaxed));
                lock.release_shared();
            }
        },
        |(_, data, written), _| assert_eq!(data.0.load(Relaxed), written.sum(all)),
    );
    b.run(
        "parking_lot::RwLock",
        || (parking_lot::RwLock::new(0), Slots::new(n)),
        |(lock, written), t, i| {
            if writes(t, i) {
                *lock.write() += 1;
                written.add(t, 1);
            } else {
                black_box(*lock.read());
            }
        },
        |(lock, written), _| assert_eq!(*lock.read(), written.sum(all)),
    );
    b.run(
        "std::sync::RwLock",
        || (std::sync::RwLock::new(0), Slots::new(n)),
        |(lock, written), t, i| {
            if writes(t, i) {
                *lock.write().unwrap() += 1;
                written.add(t, 1);
            } else {
                black_box(*lock.read().unwrap());
            }
        },
        |(lock, written), _| assert_eq!(*lock.read().unwrap(), written.sum(all)),
    );
}

fn barrier(b: &mut Bench) {
    let n = b.threads;
    let Some(probe) = ChordBarrier::new(n) else {
        return println!("barrier: no chord for {n} threads (1 to 16), skipped");
    };
    drop(probe);
    b.run(
        "chords",
        || ChordBarrier::new(n).expect("built above"),
        |c, _, _| c.join.call(c.arrive, ()),
        |c, ops| assert_eq!(c.rounds.load(Relaxed), ops / n as u64, "rounds"),
    );
    b.run(
        "std::sync::Barrier",
        || (Barrier::new(n), AtomicU64::new(0)),
        |(barrier, rounds), _, _| {
            if barrier.wait().is_leader() {
                rounds.fetch_add(1, Relaxed);
            }
        },
        |(_, rounds), ops| assert_eq!(rounds.load(Relaxed), ops / n as u64, "rounds"),
    );
}

/// An exchanger's run: what each thread sent and received; even threads take
/// the left side, odd ones the right.
struct Swaps<E> {
    exchanger: E,
    sent: Slots,
    got: Slots,
}

impl<E> Swaps<E> {
    fn new(exchanger: E, threads: usize) -> Self {
        Swaps {
            exchanger,
            sent: Slots::new(threads),
            got: Slots::new(threads),
        }
    }

    /// Swaps a value unique to `(thread, i)` with `swap`, and records both.
    fn swap(&self, thread: usize, i: u64, swap: impl FnOnce(&E, bool, u64) -> u64) {
        let mine = ((thread as u64) << 40) + i;
        let theirs = swap(&self.exchanger, thread.is_multiple_of(2), mine);
        self.sent.add(thread, mine);
        self.got.add(thread, theirs);
    }

    /// The lefts got what the rights sent, and the other way around.
    fn check(&self) {
        let (left, right) = (
            |t: usize| t.is_multiple_of(2),
            |t: usize| !t.is_multiple_of(2),
        );
        assert_eq!(self.got.sum(left), self.sent.sum(right), "lefts' values");
        assert_eq!(self.got.sum(right), self.sent.sum(left), "rights' values");
    }
}

fn exchanger(b: &mut Bench) {
    let n = b.threads;
    if !n.is_multiple_of(2) {
        return println!("exchanger: needs an even number of threads, skipped {n}");
    }
    b.run(
        "chords",
        || Swaps::new(Exchanger::new(), n),
        |s, t, i| s.swap(t, i, |e, left, x| if left { e.left(x) } else { e.right(x) }),
        |s, _| s.check(),
    );
    b.run(
        "crossbeam bounded(0) x2",
        || {
            let (to_right, from_left) = crossbeam_channel::bounded(0);
            let (to_left, from_right) = crossbeam_channel::bounded(0);
            Swaps::new((to_right, from_left, to_left, from_right), n)
        },
        |s, t, i| {
            s.swap(
                t,
                i,
                |(to_right, from_left, to_left, from_right), left, x| {
                    if left {
                        to_right.send(x).unwrap();
                        from_right.recv().unwrap()
                    } else {
                        let y = from_left.recv().unwrap();
                        to_left.send(x).unwrap();
                        y
                    }
                },
            )
        },
        |s, _| s.check(),
    );
}

/// A producer/consumer run: with one thread it puts then gets, in turn; with
/// more, the first half put and the second half get.
struct Transfers<Q> {
    queue: Q,
    threads: usize,
    put: Slots,
    got: Slots,
}

impl<Q> Transfers<Q> {
    fn new(queue: Q, threads: usize) -> Self {
        Transfers {
            queue,
            threads,
            put: Slots::new(threads),
            got: Slots::new(threads),
        }
    }

    /// What `thread` puts at its `i`-th step, or `None` where it gets.
    fn item(&self, thread: usize, i: u64) -> Option<u64> {
        let producer = if self.threads == 1 {
            i.is_multiple_of(2)
        } else {
            thread < self.threads / 2
        };
        producer.then_some(((thread as u64) << 40) + i)
    }

    fn step(&self, thread: usize, i: u64, put: impl FnOnce(&Q, u64), get: impl FnOnce(&Q) -> u64) {
        match self.item(thread, i) {
            Some(item) => self.put(thread, item, put),
            None => self.got.add(thread, get(&self.queue)),
        }
    }

    /// [`step`](Self::step) for a task: `get` returns a future.
    async fn step_async<'a, G: Future<Output = u64>>(
        &'a self,
        task: usize,
        i: u64,
        put: impl FnOnce(&Q, u64),
        get: impl FnOnce(&'a Q) -> G,
    ) {
        match self.item(task, i) {
            Some(item) => self.put(task, item, put),
            None => self.got.add(task, get(&self.queue).await),
        }
    }

    fn put(&self, thread: usize, item: u64, put: impl FnOnce(&Q, u64)) {
        put(&self.queue, item);
        self.put.add(thread, item);
    }

    /// Every item put was got once (the runs put and get equally many).
    fn check(&self) {
        assert_eq!(
            self.got.sum(all),
            self.put.sum(all),
            "items lost or doubled"
        );
    }
}

/// Choice across objects: producers put into two buffers in turn, and
/// consumers take from whichever has an item, with `chords::select!`
/// against `crossbeam_channel::select!` over two channels.
fn select(b: &mut Bench) {
    let n = b.threads;
    if n > 1 && !n.is_multiple_of(2) {
        return println!("select: needs 1 or an even number of threads, skipped {n}");
    }
    b.run(
        "chords",
        || Transfers::new((Buffer::new(), Buffer::new()), n),
        |q, t, i| {
            q.step(
                t,
                i,
                |(a, b), x| if x % 2 == 0 { a.put(x) } else { b.put(x) },
                |(a, b)| {
                    chords::select! {
                        x = a.get() => x,
                        x = b.get() => x,
                    }
                },
            )
        },
        |q, _| q.check(),
    );
    b.run(
        "crossbeam select",
        || {
            let (a, b) = (
                crossbeam_channel::unbounded(),
                crossbeam_channel::unbounded(),
            );
            Transfers::new((a, b), n)
        },
        |q, t, i| {
            q.step(
                t,
                i,
                |((a, _), (b, _)), x| if x % 2 == 0 { a.send(x) } else { b.send(x) }.unwrap(),
                |((_, a), (_, b))| {
                    crossbeam_channel::select! {
                        recv(a) -> x => x.unwrap(),
                        recv(b) -> x => x.unwrap(),
                    }
                },
            )
        },
        |q, _| q.check(),
    );
}

/// A shared counter, `add(1)` returning the new count: its count as a
/// state channel (a slot), as an ordinary channel (a queue), and behind a
/// `parking_lot::Mutex`. The check finds no update lost.
fn counter(b: &mut Bench) {
    b.run(
        "chords",
        || StateCounter::new(0),
        |c, _, _| {
            black_box(c.add(1));
        },
        |c, ops| assert_eq!(c.count_now(), ops, "lost updates"),
    );
    b.run(
        "chords (queue)",
        || QueueCounter::new(0),
        |c, _, _| {
            black_box(c.add(1));
        },
        |c, ops| assert_eq!(c.add(0), ops, "lost updates"),
    );
    b.run(
        "parking_lot::Mutex",
        || parking_lot::Mutex::new(0u64),
        |m, _, _| {
            let mut count = m.lock();
            *count += 1;
            black_box(*count);
        },
        |m, ops| assert_eq!(*m.lock(), ops, "lost updates"),
    );
}

/// Keys with an item each in a keyed store: an operation takes the item of
/// a key (`take(k) & item(key, v) if *key == *k`) and stores it back. The
/// peer: a `HashMap` of queues under a `parking_lot::Mutex`, with a
/// `Condvar`. The check finds every item still there, each under its key.
fn keyed(b: &mut Bench) {
    const KEYS: u32 = 100;
    // Each thread walks the keys in its own order.
    let key = |t: usize, i: u64| ((i * 37 + t as u64 * 11) % u64::from(KEYS)) as u32;
    let full = |items: Vec<(u32, u64)>| {
        let mut items = items;
        items.sort_unstable();
        assert_eq!(
            items,
            (0..KEYS).map(|k| (k, u64::from(k))).collect::<Vec<_>>()
        );
    };
    b.run(
        "chords",
        || {
            let store = KeyedStore::new();
            store.item_all((0..KEYS).map(|k| (k, u64::from(k))));
            store
        },
        |s, t, i| {
            let k = key(t, i);
            let v = s.take(k);
            s.item(k, v);
        },
        |s, _| full((0..KEYS).map(|k| (k, s.take(k))).collect()),
    );
    b.run(
        "Mutex<HashMap> + Condvar",
        || {
            let store = CondvarStore::default();
            (0..KEYS).for_each(|k| store.item(k, u64::from(k)));
            store
        },
        |s, t, i| {
            let k = key(t, i);
            let v = s.take(k);
            s.item(k, v);
        },
        |s, _| full((0..KEYS).map(|k| (k, s.take(k))).collect()),
    );
}

/// A job queue: `job(n)`, an asynchronous chord whose body is tiny, run on
/// the executor; the peer, a `crossbeam_channel` and a fixed pool of as many
/// worker threads as senders. An operation is one job sent; the run's time
/// includes running every job sent.
fn jobs(b: &mut Bench) {
    let n = b.threads;
    b.measure("chords", |stop| {
        let jobs = Jobs::new();
        let mut outcome = run_once(n, stop, &jobs, &|jobs: &Jobs, _, i| jobs.job(i));
        let drain = Instant::now();
        jobs.wait_idle();
        outcome.elapsed += drain.elapsed();
        assert_eq!(
            JOBS_RUN.swap(0, Relaxed),
            outcome.ops,
            "jobs lost or doubled"
        );
        outcome
    });
    b.measure("crossbeam + pool", |stop| {
        let (tx, rx) = crossbeam_channel::unbounded::<u64>();
        let ran = AtomicU64::new(0);
        thread::scope(|scope| {
            for _ in 0..n {
                let (rx, ran) = (rx.clone(), &ran);
                scope.spawn(move || {
                    for x in rx {
                        black_box(x);
                        ran.fetch_add(1, Relaxed);
                    }
                });
            }
            let mut outcome =
                run_once(n, stop, &tx, &|tx: &crossbeam_channel::Sender<u64>,
                                         _,
                                         i| {
                    tx.send(i).unwrap()
                });
            let drain = Instant::now();
            while ran.load(Relaxed) < outcome.ops {
                thread::yield_now();
            }
            outcome.elapsed += drain.elapsed();
            drop(tx);
            assert_eq!(ran.load(Relaxed), outcome.ops, "jobs lost or doubled");
            outcome
        })
    });
}

/// Jobs that `jobs` ran, all runs (reset by each run's check).
static JOBS_RUN: AtomicU64 = AtomicU64::new(0);

#[chords::chords]
impl Jobs {
    async fn job(&self, n: u64);

    #[chord(job(n))]
    fn run() {
        black_box(n);
        JOBS_RUN.fetch_add(1, Relaxed);
    }
}

fn producer_consumer(b: &mut Bench) {
    let n = b.threads;
    if n > 1 && !n.is_multiple_of(2) {
        return println!("producer_consumer: needs 1 or an even number of threads, skipped {n}");
    }
    b.run(
        "chords",
        || Transfers::new(Buffer::new(), n),
        |q, t, i| q.step(t, i, |q, x| q.put(x), |q| q.get()),
        |q, _| q.check(),
    );
    b.run(
        "crossbeam unbounded",
        || Transfers::new(crossbeam_channel::unbounded(), n),
        |q, t, i| {
            q.step(
                t,
                i,
                |(tx, _), x| tx.send(x).unwrap(),
                |(_, rx)| rx.recv().unwrap(),
            )
        },
        |q, _| q.check(),
    );
    // std's Receiver is not Sync: consumers share it behind a mutex.
    b.run(
        "std::sync::mpsc",
        || {
            let (tx, rx) = std::sync::mpsc::channel();
            Transfers::new((tx, parking_lot::Mutex::new(rx)), n)
        },
        |q, t, i| {
            q.step(
                t,
                i,
                |(tx, _), x| tx.send(x).unwrap(),
                |(_, rx)| rx.lock().recv().unwrap(),
            )
        },
        |q, _| q.check(),
    );
    b.run(
        "rusty_junctions",
        || {
            let j = Junction::new();
            let (put, get) = (j.send_channel(), j.recv_channel());
            j.when(&put).and_recv(&get).then_do(|x| x);
            Transfers::new(Junctions::new(j, n, || (put.clone(), get.clone())), n)
        },
        |q, t, i| {
            q.step(
                t,
                i,
                |j, x| j.handles[t].lock().0.send(x).unwrap(),
                |j| j.handles[t].lock().1.recv().unwrap(),
            )
        },
        |q, _| q.check(),
    );
}

fn philosophers(b: &mut Bench) {
    // A lone philosopher still eats with two chopsticks.
    let (n, sticks) = (b.threads, b.threads.max(2));
    let uses = move || Slots::new(sticks);
    let total = |uses: &Slots| uses.sum(all);
    b.run(
        "chords",
        || (Table::new(n, sticks), uses()),
        |(table, uses), t, _| {
            let (left, right) = seat(t, sticks);
            table.join.call(table.eat[t], ());
            uses.add(left, 1);
            uses.add(right, 1);
            table.join.send(table.chopsticks[left], ());
            table.join.send(table.chopsticks[right], ());
        },
        |(_, uses), ops| assert_eq!(total(uses), 2 * ops, "a chopstick shared"),
    );
    b.run(
        "parking_lot::Mutex in order",
        || -> Vec<_> { (0..sticks).map(|_| parking_lot::Mutex::new(0u64)).collect() },
        |sticks, t, _| {
            let (left, right) = seat(t, sticks.len());
            let mut l = sticks[left].lock();
            let mut r = sticks[right].lock();
            *l += 1;
            *r += 1;
        },
        |sticks, ops| assert_eq!(sticks.iter().map(|s| *s.lock()).sum::<u64>(), 2 * ops),
    );
}

// ---------------------------------------------------------------------------

type Benchmark = (&'static str, Mode, fn(&mut Bench));

const BENCHMARKS: [Benchmark; 19] = [
    ("lock", Mode::Timed, lock::<0>),
    ("lock_work", Mode::Timed, lock::<INSIDE>),
    ("lock_sync", Mode::Timed, lock_sync),
    ("semaphore", Mode::Timed, semaphore),
    ("semaphore_1", Mode::Timed, semaphore_1::<0>),
    ("semaphore_1_work", Mode::Timed, semaphore_1::<INSIDE>),
    ("rwlock", Mode::Timed, rwlock::<ReaderWriter>),
    ("rwlock_tokens", Mode::Timed, rwlock::<TokenLock>),
    ("barrier", Mode::Counted, barrier),
    ("exchanger", Mode::Counted, exchanger),
    ("producer_consumer", Mode::Counted, producer_consumer),
    ("select", Mode::Counted, select),
    ("counter", Mode::Timed, counter),
    ("keyed", Mode::Timed, keyed),
    ("jobs", Mode::Counted, jobs),
    ("philosophers", Mode::Timed, philosophers),
    ("lock_async", Mode::Timed, tasks::lock),
    ("semaphore_async", Mode::Timed, tasks::semaphore),
    (
        "producer_consumer_async",
        Mode::Counted,
        tasks::producer_consumer,
    ),
];

fn main() {
    let opts = match Options::parse() {
        Ok(Some(opts)) => opts,
        Ok(None) => return,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    println!(
        "threads {:?}, {:?} per run, median of {} runs, santa {} wakeups, {} tasks\n",
        opts.threads, opts.duration, opts.runs, opts.wakeups, opts.tasks
    );
    let mut rows = Vec::new();
    let mut names = Vec::new();
    for (name, mode, bench) in BENCHMARKS.into_iter().filter(|b| opts.wanted(b.0)) {
        for &threads in &opts.threads {
            let rows = &mut rows;
            let opts = &opts;
            bench(&mut Bench {
                opts,
                name,
                mode,
                threads,
                rows,
            });
        }
        output::print_table(name, &rows);
        names.push(name);
    }
    // Each Santa prints two tables, named first by its own name.
    type Santa = fn(&Options, &mut Vec<Row>);
    let santas: [(Santa, [&str; 2]); 2] = [
        (santa::santa, ["santa", "santa_rounds"]),
        (santa::santa_async, ["santa_async", "santa_async_rounds"]),
    ];
    for (santa, tables) in santas.into_iter().filter(|s| opts.wanted(s.1[0])) {
        santa(&opts, &mut rows);
        for table in tables {
            output::print_table(table, &rows);
            names.push(table);
        }
    }
    match output::write_files(&opts.out, &rows, &names) {
        Ok(()) => println!("results.csv and plots in {}", opts.out.display()),
        Err(e) => {
            eprintln!("cannot write to {}: {e}", opts.out.display());
            std::process::exit(1);
        }
    }
}
