//! Tasks for the tests of awaited calls: runtimes that run one scenario, a
//! list of tasks (each spawned the way that runtime spawns tasks), with
//! threads beside them or not; and futures polled by hand.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use super::within;

/// A task of a scenario.
pub type Task<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// `future`, boxed as a [`Task`].
pub fn task<T>(future: impl Future<Output = T> + Send + 'static) -> Task<T> {
    Box::pin(future)
}

/// An async runtime that runs a scenario's tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// tokio's current-thread runtime (as `#[tokio::test]`): every task on
    /// one thread.
    TokioCurrentThread,
    /// tokio's multi-thread runtime with two workers (as
    /// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`).
    TokioMultiThread,
    /// async-executor's `Executor` (smol's), run by two threads.
    AsyncExecutor,
    /// futures' `LocalPool`: each task spawned, all on one thread.
    LocalPool,
    /// futures' `block_on` of the tasks joined: one task, whose parts have
    /// wakers of their own.
    BlockOn,
}

/// Every runtime, each scenario runs on all of them.
pub const RUNTIMES: [Runtime; 5] = [
    Runtime::TokioCurrentThread,
    Runtime::TokioMultiThread,
    Runtime::AsyncExecutor,
    Runtime::LocalPool,
    Runtime::BlockOn,
];

impl Runtime {
    /// Runs `tasks` concurrently to their end and returns their outputs, in
    /// the order of `tasks`. A task's panic comes back here; a scenario that
    /// does not end in a minute fails.
    pub fn run<T: Send + 'static>(self, tasks: Vec<Task<T>>) -> Vec<T> {
        within(&format!("the tasks on {self:?}"), move || match self {
            Runtime::TokioCurrentThread => on_tokio(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build(),
                tasks,
            ),
            Runtime::TokioMultiThread => on_tokio(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build(),
                tasks,
            ),
            Runtime::AsyncExecutor => on_async_executor(tasks),
            Runtime::LocalPool => on_local_pool(tasks),
            Runtime::BlockOn => futures::executor::block_on(futures::future::join_all(tasks)),
        })
    }

    /// Runs `threads`, each on a thread of its own, beside `tasks` on this
    /// runtime, and returns their outputs: the threads', then the tasks'.
    pub fn run_with_threads<T: Send + 'static>(
        self,
        threads: Vec<Box<dyn FnOnce() -> T + Send>>,
        tasks: Vec<Task<T>>,
    ) -> Vec<T> {
        let threads: Vec<_> = threads.into_iter().map(thread::spawn).collect();
        let from_tasks = self.run(tasks);
        let mut outputs = within("the threads beside the tasks", move || {
            threads
                .into_iter()
                .map(|t| {
                    t.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect::<Vec<T>>()
        });
        outputs.extend(from_tasks);
        outputs
    }
}

fn on_tokio<T: Send + 'static>(
    runtime: std::io::Result<tokio::runtime::Runtime>,
    tasks: Vec<Task<T>>,
) -> Vec<T> {
    runtime.expect("a tokio runtime").block_on(async move {
        let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
        let mut outputs = Vec::with_capacity(handles.len());
        for handle in handles {
            match handle.await {
                Ok(output) => outputs.push(output),
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        }
        outputs
    })
}

fn on_async_executor<T: Send + 'static>(tasks: Vec<Task<T>>) -> Vec<T> {
    let executor = async_executor::Executor::new();
    let handles: Vec<_> = tasks.into_iter().map(|t| executor.spawn(t)).collect();
    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    thread::scope(|s| {
        s.spawn(|| futures::executor::block_on(executor.run(stopped)));
        // Dropped also if a task's panic unwinds from here: the second
        // thread then stops, and the scope ends.
        let _stop = stop;
        futures::executor::block_on(executor.run(futures::future::join_all(handles)))
    })
}

fn on_local_pool<T: 'static>(tasks: Vec<Task<T>>) -> Vec<T> {
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let outputs: Rc<RefCell<Vec<Option<T>>>> =
        Rc::new(RefCell::new(tasks.iter().map(|_| None).collect()));
    for (i, t) in tasks.into_iter().enumerate() {
        let outputs = outputs.clone();
        pool.spawner()
            .spawn_local(async move {
                let output = t.await;
                outputs.borrow_mut()[i] = Some(output);
            })
            .expect("the pool takes tasks");
    }
    pool.run();
    let outputs = outputs.take();
    outputs
        .into_iter()
        .map(|o| o.expect("every task ran to its end"))
        .collect()
}

/// Gives the other tasks a turn: on every runtime, without its timer.
pub async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Waits, yielding, until `condition` holds, for at most half a minute: the
/// async form of `wait_until`.
pub async fn wait_until_async(what: &str, mut condition: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < give_up, "never happened: {what}");
        yield_now().await;
    }
}

/// Counts the wakes of a future polled by hand.
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A future polled by hand, with a waker that counts its wakes.
pub struct ByHand<F: Future> {
    future: Pin<Box<F>>,
    wakes: Arc<Wakes>,
}

impl<F: Future> ByHand<F> {
    /// `future`, polled once: no chord can fire yet, so its call is queued.
    pub fn queued(future: F) -> Self {
        let mut by_hand = ByHand {
            future: Box::pin(future),
            wakes: Arc::new(Wakes(AtomicUsize::new(0))),
        };
        assert!(by_hand.poll().is_pending(), "the call waits");
        by_hand
    }

    /// Polls the future once.
    pub fn poll(&mut self) -> Poll<F::Output> {
        let waker = Waker::from(self.wakes.clone());
        self.future.as_mut().poll(&mut Context::from_waker(&waker))
    }

    /// How often the future was woken since it was queued.
    pub fn wakes(&self) -> usize {
        self.wakes.0.load(SeqCst)
    }
}
