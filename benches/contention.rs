//! Where the time goes when callers wait: one implementation of a contended
//! lock or 1-permit semaphore at a time, so that `perf stat` can count the
//! system's side (futex calls, context switches) of each alone, and, in the
//! engine's counting build, what chords did per operation.
//!
//! ```text
//! cargo bench --bench contention [--features stats] -- OBJECT IMPL [THREADS] [INSIDE]
//!   OBJECT: lock | semaphore_1 | select   IMPL: chords | parking_lot (crossbeam for select)
//!   THREADS: 2 by default                 INSIDE: spin iterations while holding, 0 by default
//! perf stat -e syscalls:sys_enter_futex,context-switches target/release/deps/contention-* lock chords
//! ```
//!
//! Each thread repeats the operation for one second with the suite's local
//! work (128 iterations of a spin on a local variable) between operations,
//! and `INSIDE` iterations inside; the run prints operations per second,
//! allocations per operation, and, for chords in a counting build, the
//! engine's events per operation.
//!
//! `select` is the suite's `select` in a steady state: half the threads put
//! into two buffers in turn, half take from whichever has an item, and no
//! more than [`WINDOW`] items wait at once (the suite's producers run
//! free, so its queues grow, and growing queues allocate).

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use chords::stats::{self, Counts};

#[path = "common/counting.rs"]
mod counting;
#[allow(dead_code)]
#[path = "suite/objects.rs"]
mod objects;

#[allow(dead_code)]
#[path = "../examples/lock/lock.rs"]
mod lock;
#[allow(dead_code)]
#[path = "../examples/semaphore/semaphore.rs"]
mod semaphore;

/// A short spin on a local variable.
fn work(iterations: u64) {
    let mut x = 0u64;
    (0..iterations).for_each(|i| x = black_box(x ^ i));
    black_box(x);
}

/// The most items waiting at once in `select`.
const WINDOW: u64 = 64;

/// The suite's `select` in a steady state, over two queues of any kind: even
/// threads put into them in turn (while fewer than [`WINDOW`] items wait),
/// odd threads take from either.
struct Select<Q> {
    queues: Q,
    waiting: AtomicU64,
    /// Items put so far: even ones go to the first queue, odd ones to the
    /// second.
    put_count: AtomicU64,
    stopping: AtomicBool,
    put: fn(&Q, u64),
    take: fn(&Q) -> u64,
}

impl<Q> Select<Q> {
    fn op(&self, thread: usize) {
        if thread % 2 == 1 {
            black_box((self.take)(&self.queues));
            self.waiting.fetch_sub(1, Relaxed);
        } else {
            while self.waiting.load(Relaxed) >= WINDOW {
                if self.stopping.load(Relaxed) {
                    return;
                }
                thread::yield_now();
            }
            let item = self.put_count.fetch_add(1, Relaxed);
            self.waiting.fetch_add(1, Relaxed);
            (self.put)(&self.queues, item);
        }
    }

    /// Stops the putters, and puts an item for every taker that may still
    /// wait.
    fn stop(&self, threads: usize) {
        self.stopping.store(true, Relaxed);
        (0..threads as u64).for_each(|i| (self.put)(&self.queues, i));
    }
}

/// A semaphore of parking_lot's Mutex and Condvar, as the suite's.
struct CondvarSemaphore {
    permits: parking_lot::Mutex<usize>,
    freed: parking_lot::Condvar,
}

impl CondvarSemaphore {
    fn acquire(&self) {
        let mut permits = self.permits.lock();
        while *permits == 0 {
            self.freed.wait(&mut permits);
        }
        *permits -= 1;
    }

    fn release(&self) {
        *self.permits.lock() += 1;
        self.freed.notify_one();
    }
}

/// Runs `op` (given its thread's index) on `threads` threads for a second,
/// then `stop` on this thread, to release threads that wait; returns
/// operations, the engine's counts of all threads, the time taken and the
/// allocations made.
fn run(
    threads: usize,
    op: &(dyn Fn(usize) + Sync),
    stop: &dyn Fn(),
) -> (u64, Counts, Duration, u64) {
    let start = Barrier::new(threads + 1);
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (start, done) = (&start, &done);
                s.spawn(move || {
                    stats::thread_counts();
                    start.wait();
                    let mut ops = 0u64;
                    while !done.load(Relaxed) {
                        op(t);
                        ops += 1;
                        work(128);
                    }
                    (ops, stats::thread_counts())
                })
            })
            .collect();
        start.wait();
        let (begin, allocs) = (Instant::now(), counting::allocations());
        thread::sleep(Duration::from_secs(1));
        done.store(true, Relaxed);
        let allocs = counting::allocations() - allocs;
        stop();
        let mut total = (0, Counts::default());
        for w in workers {
            let (ops, counts) = w.join().expect("a benchmark thread panicked");
            total.0 += ops;
            total.1 += counts;
        }
        (total.0, total.1, begin.elapsed(), allocs)
    })
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or(default.to_string());
    let (object, imp) = (arg(0, "lock"), arg(1, "chords"));
    let threads: usize = arg(2, "2").parse().expect("THREADS: a number");
    let inside: u64 = arg(3, "0").parse().expect("INSIDE: a number");
    let (ops, counts, took, allocs) = match (object.as_str(), imp.as_str()) {
        ("lock", "chords") => {
            let l = lock::Lock::new();
            run(threads, &|_| {
                let _held = l.lock();
                work(inside);
            }, &|| ())
        }
        ("lock", "parking_lot") => {
            let m = parking_lot::Mutex::new(());
            run(threads, &|_| {
                let _held = m.lock();
                work(inside);
            }, &|| ())
        }
        ("semaphore_1", "chords") => {
            let s = semaphore::Semaphore::new(1);
            run(threads, &|_| {
                let _held = s.hold();
                work(inside);
            }, &|| ())
        }
        ("semaphore_1", "parking_lot") => {
            let s = CondvarSemaphore {
                permits: parking_lot::Mutex::new(1),
                freed: parking_lot::Condvar::new(),
            };
            run(threads, &|_| {
                s.acquire();
                work(inside);
                s.release();
            }, &|| ())
        }
        ("select", "chords") => {
            let select = Select {
                queues: (objects::Buffer::new(), objects::Buffer::new()),
                waiting: AtomicU64::new(0),
                put_count: AtomicU64::new(0),
                stopping: AtomicBool::new(false),
                put: |(a, b), x| if x % 2 == 0 { a.put(x) } else { b.put(x) },
                take: |(a, b)| {
                    chords::select! {
                        x = a.get() => x,
                        x = b.get() => x,
                    }
                },
            };
            run(threads, &|t| select.op(t), &|| select.stop(threads))
        }
        ("select", "crossbeam") => {
            type Ends = (crossbeam_channel::Sender<u64>, crossbeam_channel::Receiver<u64>);
            let select: Select<(Ends, Ends)> = Select {
                queues: (crossbeam_channel::unbounded(), crossbeam_channel::unbounded()),
                waiting: AtomicU64::new(0),
                put_count: AtomicU64::new(0),
                stopping: AtomicBool::new(false),
                put: |((a, _), (b, _)), x| if x % 2 == 0 { a.send(x) } else { b.send(x) }.unwrap(),
                take: |((_, a), (_, b))| {
                    crossbeam_channel::select! {
                        recv(a) -> x => x.unwrap(),
                        recv(b) -> x => x.unwrap(),
                    }
                },
            };
            run(threads, &|t| select.op(t), &|| select.stop(threads))
        }
        _ => panic!(
            "usage: contention lock|semaphore_1|select chords|parking_lot|crossbeam [THREADS] [INSIDE]"
        ),
    };
    let per_op = |n: u64| n as f64 / ops.max(1) as f64;
    println!(
        "{object} {imp}, {threads} threads, {inside} inside: {:.2}M ops/s, {:.5} allocs/op",
        ops as f64 / took.as_secs_f64() / 1e6,
        per_op(allocs),
    );
    if stats::ENABLED && imp == "chords" {
        println!(
            "  per op: retries {:.3}  queued {:.3}  parks {:.3}  unparks {:.3}  handoffs {:.3}  robberies {:.3}  \
             cas failures {:.3}  conflicts {:.3}",
            per_op(counts.retries),
            per_op(counts.queued),
            per_op(counts.parks),
            per_op(counts.unparks),
            per_op(counts.handoffs),
            per_op(counts.robberies),
            per_op(counts.cas_failures),
            per_op(counts.conflicts),
        );
    }
}
