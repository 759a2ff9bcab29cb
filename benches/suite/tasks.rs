//! The awaited benchmarks: the lock, the semaphore and producer/consumer of
//! the suite, with tokio tasks awaiting the chords objects' calls
//! (`acquire_async`, `get_async`) against tokio's primitives and the async
//! channels. `santa_async` is in `santa.rs`.
//!
//! Method, as for threads: `--tasks` tasks (8 by default) on a multi-thread
//! runtime whose worker threads are the benchmark's thread count; each task
//! repeats the operation with the same local work between two operations,
//! and with a little more work inside the lock or the permit. After each
//! operation a task spends one unit of tokio's cooperative budget, so that
//! every implementation yields to the other tasks as often (tokio's own
//! primitives spend it too, chords' calls do not).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use tokio::runtime::Runtime;

use super::lock::Lock;
use super::objects::Buffer;
use super::semaphore::Semaphore;
use super::{
    allocations, bump, check_permits, local_work, spin, Bench, Outcome, Slot, Stop, Transfers,
    INSIDE,
};

/// A multi-thread tokio runtime with `threads` worker threads.
pub fn runtime(threads: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .build()
        .expect("a tokio runtime")
}

impl Bench<'_> {
    /// [`run`](Bench::run) for tasks: each run gets a fresh `setup()`, its
    /// `opts.tasks` tasks await `op(shared, task, i)`, and `check(shared, ops)`
    /// then asserts the run's invariant. A run's shared state is leaked (a
    /// few hundred bytes), so that its tasks, which tokio wants `'static`,
    /// borrow it.
    pub fn run_tasks<S, F>(
        &mut self,
        imp: &'static str,
        setup: impl Fn() -> S,
        op: impl Fn(&'static S, usize, u64) -> F + Copy + Send + 'static,
        check: impl Fn(&S, u64),
    ) where
        S: Sync + 'static,
        F: Future<Output = ()> + Send,
    {
        let runtime = runtime(self.threads);
        let tasks = self.opts.tasks;
        self.measure(imp, |stop| {
            let shared: &'static S = Box::leak(Box::new(setup()));
            let outcome = run_once(&runtime, tasks, stop, shared, op);
            check(shared, outcome.ops);
            outcome
        });
    }
}

/// Runs `op(shared, task, i)` in `tasks` tasks on `runtime`, with local work
/// between operations, from a common start until `stop`.
fn run_once<S: Sync + 'static, F: Future<Output = ()> + Send>(
    runtime: &Runtime,
    tasks: usize,
    stop: Stop,
    shared: &'static S,
    op: impl Fn(&'static S, usize, u64) -> F + Copy + Send + 'static,
) -> Outcome {
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(tokio::sync::Barrier::new(tasks + 1));
    runtime.block_on(async {
        let workers: Vec<_> = (0..tasks)
            .map(|t| {
                let (done, start) = (Arc::clone(&done), Arc::clone(&start));
                tokio::spawn(async move {
                    start.wait().await;
                    let mut i = 0;
                    while stop.more(i, &done) {
                        op(shared, t, i).await;
                        i += 1;
                        local_work();
                        tokio::task::coop::consume_budget().await;
                    }
                    i
                })
            })
            .collect();
        start.wait().await;
        let allocs = allocations();
        let begin = Instant::now();
        if let Stop::At(d) = stop {
            // This thread is not one of the runtime's workers.
            thread::sleep(d);
            done.store(true, Relaxed);
        }
        let mut ops = 0;
        for worker in workers {
            ops += worker.await.expect("a benchmark task panicked");
        }
        Outcome {
            ops,
            elapsed: begin.elapsed(),
            allocs: allocations() - allocs,
        }
    })
}

pub fn lock(b: &mut Bench) {
    b.run_tasks(
        "chords",
        || (Lock::new(), Slot::default()),
        |(lock, count), _, _| async move {
            lock.acquire_async().await;
            bump(&count.0, 1);
            spin(INSIDE);
            lock.free();
        },
        |(_, count), ops| assert_eq!(count.0.load(Relaxed), ops, "lost updates"),
    );
    b.run_tasks(
        "tokio::sync::Mutex",
        || tokio::sync::Mutex::new(0),
        |m, _, _| async move {
            *m.lock().await += 1;
            spin(INSIDE);
        },
        |m, ops| assert_eq!(*m.try_lock().expect("free"), ops),
    );
}

pub fn semaphore(b: &mut Bench) {
    let permits = (b.threads / 2).max(1);
    b.run_tasks(
        "chords",
        move || Semaphore::new(permits),
        |s, _, _| async move {
            s.acquire_async().await;
            spin(INSIDE);
            s.release();
        },
        |s, _| check_permits(s, permits),
    );
    b.run_tasks(
        "tokio::sync::Semaphore",
        move || tokio::sync::Semaphore::new(permits),
        |s, _, _| async move {
            let _permit = s.acquire().await.expect("never closed");
            spin(INSIDE);
        },
        |s, _| assert_eq!(s.available_permits(), permits),
    );
}

pub fn producer_consumer(b: &mut Bench) {
    let n = b.opts.tasks;
    if n > 1 && !n.is_multiple_of(2) {
        return println!("producer_consumer_async: needs 1 or an even number of tasks, not {n}");
    }
    b.run_tasks(
        "chords",
        || Transfers::new(Buffer::new(), n),
        |q, t, i| q.step_async(t, i, |q, x| q.put(x), |q| q.get_async()),
        |q, _| q.check(),
    );
    // tokio's receiver is single-consumer: consumers share it behind a mutex.
    b.run_tasks(
        "tokio mpsc",
        || {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            Transfers::new((tx, tokio::sync::Mutex::new(rx)), n)
        },
        |q, t, i| {
            q.step_async(
                t,
                i,
                |(tx, _), x| tx.send(x).expect("open"),
                |(_, rx)| async move { rx.lock().await.recv().await.expect("open") },
            )
        },
        |q, _| q.check(),
    );
    b.run_tasks(
        "async-channel",
        || Transfers::new(async_channel::unbounded(), n),
        |q, t, i| {
            q.step_async(
                t,
                i,
                |(tx, _), x| tx.try_send(x).expect("unbounded"),
                |(_, rx)| async move { rx.recv().await.expect("open") },
            )
        },
        |q, _| q.check(),
    );
    b.run_tasks(
        "flume",
        || Transfers::new(flume::unbounded(), n),
        |q, t, i| {
            q.step_async(
                t,
                i,
                |(tx, _), x| tx.send(x).expect("open"),
                |(_, rx)| async move { rx.recv_async().await.expect("open") },
            )
        },
        |q, _| q.check(),
    );
}
