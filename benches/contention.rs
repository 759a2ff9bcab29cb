//! Where the time goes when callers wait: one implementation of a contended
//! lock or 1-permit semaphore at a time, so that `perf stat` can count the
//! system's side (futex calls, context switches) of each alone, and, in the
//! engine's counting build, what chords did per operation.
//!
//! ```text
//! cargo bench --bench contention [--features stats] -- OBJECT IMPL [THREADS] [INSIDE]
//!   OBJECT: lock | semaphore_1      IMPL: chords | parking_lot
//!   THREADS: 2 by default           INSIDE: spin iterations while holding, 0 by default
//! perf stat -e syscalls:sys_enter_futex,context-switches target/release/deps/contention-* lock chords
//! ```
//!
//! Each thread repeats the operation for one second with the suite's local
//! work (128 iterations of a spin on a local variable) between operations,
//! and `INSIDE` iterations inside; the run prints operations per second and,
//! for chords in a counting build, the engine's events per operation.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use chords::stats::{self, Counts};

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

/// Runs `op` on `threads` threads for a second; returns operations and the
/// engine's counts of all threads.
fn run(threads: usize, op: &(dyn Fn() + Sync)) -> (u64, Counts, Duration) {
    let start = Barrier::new(threads + 1);
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (start, done) = (&start, &done);
                s.spawn(move || {
                    stats::thread_counts();
                    start.wait();
                    let mut ops = 0u64;
                    while !done.load(Relaxed) {
                        op();
                        ops += 1;
                        work(128);
                    }
                    (ops, stats::thread_counts())
                })
            })
            .collect();
        start.wait();
        let begin = Instant::now();
        thread::sleep(Duration::from_secs(1));
        done.store(true, Relaxed);
        let mut total = (0, Counts::default());
        for w in workers {
            let (ops, counts) = w.join().expect("a benchmark thread panicked");
            total.0 += ops;
            total.1 += counts;
        }
        (total.0, total.1, begin.elapsed())
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
    let (ops, counts, took) = match (object.as_str(), imp.as_str()) {
        ("lock", "chords") => {
            let l = lock::Lock::new();
            run(threads, &|| {
                let _held = l.lock();
                work(inside);
            })
        }
        ("lock", "parking_lot") => {
            let m = parking_lot::Mutex::new(());
            run(threads, &|| {
                let _held = m.lock();
                work(inside);
            })
        }
        ("semaphore_1", "chords") => {
            let s = semaphore::Semaphore::new(1);
            run(threads, &|| {
                let _held = s.hold();
                work(inside);
            })
        }
        ("semaphore_1", "parking_lot") => {
            let s = CondvarSemaphore {
                permits: parking_lot::Mutex::new(1),
                freed: parking_lot::Condvar::new(),
            };
            run(threads, &|| {
                s.acquire();
                work(inside);
                s.release();
            })
        }
        _ => panic!("usage: contention lock|semaphore_1 chords|parking_lot [THREADS] [INSIDE]"),
    };
    let per_op = |n: u64| n as f64 / ops.max(1) as f64;
    println!(
        "{object} {imp}, {threads} threads, {inside} inside: {:.2}M ops/s",
        ops as f64 / took.as_secs_f64() / 1e6
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
