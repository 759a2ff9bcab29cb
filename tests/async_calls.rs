//! Awaited calls (`name_async`, `Join::call_async`): the reference's
//! *Async callers*. Futures and threads share one queue and one set of
//! rules; a dropped future leaves no trace: every message is received
//! exactly once or still queued, and the queues' counts come back.
//!
//! The examples' invariants with awaited calls, on each runtime, are in
//! `async_examples.rs`.

mod common;

#[allow(dead_code)]
#[path = "../chords-check/src/rng.rs"]
mod rng;

use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use chords::{chords, AsyncChannel, Join, SyncChannel};
use common::tasks::{task, wait_until_async, yield_now, ByHand, Runtime, RUNTIMES};
use common::{wait_until, within};
use futures::FutureExt;
use rng::Rng;

#[chords]
impl Buffer {
    async fn put(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & put(n))]
    fn deliver(&self) -> u32 {
        n
    }
}

/// The buffer's queues: (`put` messages, `get` calls), neither reserved.
fn queues(b: &Buffer) -> (usize, usize) {
    let waiting = b.waiting();
    (waiting["put"], waiting["get"])
}

/// Starts a thread that calls `b.get()`, and returns once its call is queued
/// behind `ahead` others.
fn queued_thread(b: &Buffer, ahead: usize) -> JoinHandle<u32> {
    let handle = {
        let b = b.clone();
        thread::spawn(move || b.get())
    };
    wait_until("the thread's get is queued", || {
        b.waiting()["get"] == ahead + 1
    });
    handle
}

/// What the thread of `handle` returned (within a minute).
fn joined<T: Send + 'static>(handle: JoinHandle<T>) -> T {
    within("the thread's call", move || handle.join().unwrap())
}

#[tokio::test]
async fn an_awaited_get_takes_a_put_that_comes_later() {
    let b = Buffer::new();
    let b2 = b.clone();
    let t = tokio::spawn(async move { b2.get_async().await });
    wait_until_async("the task's get is queued", || b.waiting()["get"] == 1).await;
    b.put(7);
    assert_eq!(t.await.unwrap(), 7);
    assert_eq!(queues(&b), (0, 0));
}

#[tokio::test]
async fn a_timed_out_future_loses_no_message() {
    let b = Buffer::new();
    for _ in 0..100 {
        let r = tokio::time::timeout(Duration::from_micros(50), b.get_async()).await;
        assert!(r.is_err());
    }
    assert_eq!(queues(&b), (0, 0));
    b.put(1);
    assert_eq!(b.waiting()["put"], 1);
    assert_eq!(b.get_async().await, 1);
}

/// A future queued, then a thread's `get`, then two puts: the future is
/// served first (handed the first put's chord, and woken), the thread
/// second. Returns what the future got and what the thread got; the future
/// is polled before the second put if `poll_early`, else after the thread
/// ran.
fn future_then_thread(poll_early: bool) -> (u32, u32) {
    let b = Buffer::new();
    let mut first = ByHand::queued(b.get_async());
    let second = queued_thread(&b, 1);
    b.put(10);
    assert_eq!(
        first.wakes(),
        1,
        "the chord went to the future, and woke it"
    );
    assert_eq!(queues(&b), (0, 1), "the thread still waits");
    let early = poll_early.then(|| first.poll());
    b.put(20);
    let thread_got = joined(second);
    let Poll::Ready(future_got) = early.unwrap_or_else(|| first.poll()) else {
        panic!("the future was woken but is not ready");
    };
    assert_eq!(queues(&b), (0, 0));
    (future_got, thread_got)
}

#[test]
fn a_future_queued_before_a_thread_is_served_first() {
    assert_eq!(future_then_thread(true), (10, 20));
}

#[test]
fn a_future_served_first_but_run_last_takes_the_message_still_there() {
    // The reference's *Per-channel order*: a firing reserves how many
    // messages it needs, and takes which ones when its body starts. The
    // future's firing is reserved first, but its body runs only when it is
    // polled; the thread's firing, reserved second, runs first and takes the
    // oldest message.
    assert_eq!(future_then_thread(false), (20, 10));
}

#[test]
fn a_thread_queued_before_a_future_is_served_first() {
    let b = Buffer::new();
    let first = queued_thread(&b, 0);
    let mut second = ByHand::queued(b.get_async());
    assert_eq!(queues(&b), (0, 2));
    b.put(10);
    assert_eq!(joined(first), 10);
    assert_eq!(second.wakes(), 0, "the future is not served out of turn");
    assert_eq!(queues(&b), (0, 1));
    b.put(20);
    assert_eq!(second.wakes(), 1);
    assert_eq!(second.poll(), Poll::Ready(20));
    assert_eq!(queues(&b), (0, 0));
}

#[test]
fn dropped_futures_leave_the_queue_and_the_others_keep_their_order() {
    let b = Buffer::new();
    let mut futures: Vec<Option<ByHand<_>>> = (0..5)
        .map(|_| Some(ByHand::queued(b.get_async())))
        .collect();
    assert_eq!(queues(&b), (0, 5));
    futures[1] = None;
    futures[3] = None;
    assert_eq!(queues(&b), (0, 3), "the 2nd and 4th calls are withdrawn");
    for n in [10, 11, 12] {
        b.put(n);
    }
    assert_eq!(queues(&b), (0, 0), "each put went to a queued future");
    let left: Vec<&mut ByHand<_>> = futures.iter_mut().flatten().collect();
    assert!(left.iter().all(|f| f.wakes() == 1), "each woken once");
    let got: Vec<Poll<u32>> = left.into_iter().map(ByHand::poll).collect();
    assert_eq!(got, [10, 11, 12].map(Poll::Ready), "in queue order");
    b.put(13);
    assert_eq!(queues(&b), (1, 0), "no dropped future took a message");
}

#[test]
fn a_chord_handed_to_a_future_dropped_unrun_gives_its_message_back() {
    let b = Buffer::new();
    let first = ByHand::queued(b.get_async());
    b.put(1);
    assert_eq!(first.wakes(), 1, "handed the chord, and woken");
    assert_eq!(queues(&b), (0, 0), "the message is reserved for it");
    b.put(2);
    assert_eq!(queues(&b), (1, 0));
    drop(first);
    assert_eq!(queues(&b), (2, 0), "the message came back");
    assert_eq!(
        [b.try_get(), b.try_get()],
        [Ok(1), Ok(2)],
        "still the oldest"
    );
}

#[test]
fn a_message_given_back_goes_at_once_to_the_next_queued_future() {
    let b = Buffer::new();
    let first = ByHand::queued(b.get_async());
    let mut second = ByHand::queued(b.get_async());
    b.put(1);
    assert_eq!((first.wakes(), second.wakes()), (1, 0));
    drop(first);
    assert_eq!(second.wakes(), 1, "the chords re-resolved with the second");
    assert_eq!(queues(&b), (0, 0));
    assert_eq!(second.poll(), Poll::Ready(1));
}

#[test]
fn a_message_given_back_goes_at_once_to_a_thread_queued_behind() {
    let b = Buffer::new();
    let first = ByHand::queued(b.get_async());
    let second = queued_thread(&b, 1);
    b.put(1);
    assert_eq!(first.wakes(), 1);
    drop(first);
    assert_eq!(joined(second), 1);
    assert_eq!(queues(&b), (0, 0));
}

#[test]
fn a_future_never_polled_again_holds_its_place_like_a_blocked_thread() {
    // A future polled once and then neither polled nor dropped keeps its
    // queued call, and the chord handed to it, as a blocked thread that is
    // never scheduled would: it holds back one caller's turn, not the
    // queue. Its firing reserved a count, not a message: the threads behind
    // it take the messages in order (*Per-channel order*).
    let b = Buffer::new();
    let idle = ByHand::queued(b.get_async());
    let t1 = queued_thread(&b, 1);
    let t2 = queued_thread(&b, 2);
    let t3 = queued_thread(&b, 3);
    b.put(1);
    assert_eq!(idle.wakes(), 1);
    assert_eq!(queues(&b), (0, 3), "the chord went to the idle future");
    b.put(2);
    assert_eq!(
        joined(t1),
        1,
        "the next caller is served, the oldest message"
    );
    assert!(!t2.is_finished() && !t3.is_finished());
    assert_eq!(
        queues(&b),
        (0, 2),
        "one message is reserved for the idle future"
    );
    drop(idle);
    assert_eq!(joined(t2), 2, "given back, to the oldest caller");
    b.put(3);
    assert_eq!(joined(t3), 3);
    assert_eq!(queues(&b), (0, 0));
}

/// The first of `a.get_async()` and `b.get_async()` to complete: which (0
/// or 1), and its value.
async fn select_get(a: &Buffer, b: &Buffer) -> (usize, u32) {
    tokio::select! {
        v = a.get_async() => (0, v),
        v = b.get_async() => (1, v),
    }
}

/// [`select_get`] on a task of its own.
fn spawn_select(a: &Buffer, b: &Buffer) -> tokio::task::JoinHandle<(usize, u32)> {
    let (a, b) = (a.clone(), b.clone());
    tokio::spawn(async move { select_get(&a, &b).await })
}

/// Checks a select over `a` and `b` in `round`, in which `a` got `round`
/// and `b` got `round + 1000`: the winner's value came out, the loser's is
/// still queued (and is taken here). Returns the winner.
fn check_select(a: &Buffer, b: &Buffer, round: u32, (winner, value): (usize, u32)) -> usize {
    let lost = if winner == 0 { b } else { a };
    assert_eq!(value, round + 1000 * winner as u32);
    assert_eq!(
        queues(lost),
        (1, 0),
        "round {round}: the loser's value is queued"
    );
    assert_eq!(lost.try_get(), Ok(round + 1000 * (1 - winner) as u32));
    assert_eq!((queues(a), queues(b)), ((0, 0), (0, 0)), "round {round}");
    winner
}

#[tokio::test]
async fn select_over_two_ready_calls_takes_one_value_and_leaves_the_other() {
    let (a, b) = (Buffer::new(), Buffer::new());
    let mut wins = [0; 2];
    for round in 0..200 {
        a.put(round);
        b.put(round + 1000);
        let outcome = select_get(&a, &b).await;
        wins[check_select(&a, &b, round, outcome)] += 1;
    }
    assert!(wins.iter().all(|&w| w > 0), "both branches won: {wins:?}");
}

#[tokio::test]
async fn select_over_two_queued_calls_gives_the_losers_chord_back() {
    let (a, b) = (Buffer::new(), Buffer::new());
    let mut wins = [0; 2];
    for round in 0..100 {
        let selecting = spawn_select(&a, &b);
        wait_until_async("both calls are queued", || {
            queues(&a) == (0, 1) && queues(&b) == (0, 1)
        })
        .await;
        // Both chords are handed over before the selecting task runs again.
        a.put(round);
        b.put(round + 1000);
        assert_eq!((queues(&a), queues(&b)), ((0, 0), (0, 0)));
        let outcome = selecting.await.unwrap();
        wins[check_select(&a, &b, round, outcome)] += 1;
    }
    assert!(wins.iter().all(|&w| w > 0), "both branches won: {wins:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_on_another_worker_never_loses_the_losers_value() {
    // The puts race with the selecting task, which runs on a worker: each
    // call may be queued, handed its chord, or withdrawn when a put comes;
    // in every case one value is taken and the other stays in its buffer.
    let (a, b) = (Buffer::new(), Buffer::new());
    for round in 0..500 {
        let selecting = spawn_select(&a, &b);
        if round % 2 == 0 {
            yield_now().await;
        }
        a.put(round);
        b.put(round + 1000);
        check_select(&a, &b, round, selecting.await.unwrap());
    }
}

/// One step of a cancellation stress task: a put, or a `get` future made
/// and perhaps abandoned at a random point. Pushes what it received as
/// (buffer, value); returns how many futures it made and whether the step
/// ended with the get abandoned.
async fn cancellable_step(
    rng: &mut Rng,
    bufs: &[Buffer; 2],
    next: &AtomicU32,
    got: &mut Vec<(usize, u32)>,
) -> (usize, bool) {
    let i = rng.below(2);
    let one = &bufs[i];
    let mut take = |v| {
        got.push((i, v));
        (1, false)
    };
    match rng.below(6) {
        0 => {
            put_next(bufs, next);
            (0, false)
        }
        // Polled once, dropped.
        1 => match one.get_async().now_or_never() {
            Some(v) => take(v),
            None => (1, true),
        },
        // Polled a few times, with other tasks running between, dropped.
        2 => {
            let mut f = pin!(one.get_async());
            for _ in 0..rng.between(1, 3) {
                if let Poll::Ready(v) = futures::poll!(f.as_mut()) {
                    return take(v);
                }
                yield_now().await;
            }
            (1, true)
        }
        // With a timeout of a few microseconds.
        3 => {
            let wait = Duration::from_micros(rng.below(40) as u64);
            match tokio::time::timeout(wait, one.get_async()).await {
                Ok(v) => take(v),
                Err(_) => (1, true),
            }
        }
        // Against a yield.
        4 => tokio::select! {
            v = one.get_async() => take(v),
            () = yield_now() => (1, true),
        },
        // Against a get on the other buffer, and a yield.
        _ => tokio::select! {
            v = bufs[0].get_async() => { got.push((0, v)); (2, false) }
            v = bufs[1].get_async() => { got.push((1, v)); (2, false) }
            () = yield_now() => (2, true),
        },
    }
}

/// Puts the next value: even ones into `bufs[0]`, odd ones into `bufs[1]`.
fn put_next(bufs: &[Buffer; 2], next: &AtomicU32) {
    let v = next.fetch_add(1, SeqCst);
    bufs[v as usize % 2].put(v);
}

#[test]
fn futures_polled_once_and_dropped_on_many_threads_leave_exact_counts() {
    // The cancellation stress in its smallest form, without a runtime: eight
    // threads (more than a small machine's cores, so that some are preempted
    // in the middle of a call) each make `get` futures, poll each once and
    // drop it, and put now and then.
    // After each round no `get` is left counted, and every value put was
    // received exactly once or is still queued.
    const ROUNDS: usize = 200;
    const THREADS: u32 = 8;
    const STEPS: u32 = 4000;
    within("rounds of futures polled once", || {
        for round in 0..ROUNDS {
            let b = Buffer::new();
            let next = AtomicU32::new(0);
            let mut received: Vec<u32> = thread::scope(|s| {
                let threads: Vec<_> = (0..THREADS)
                    .map(|t| {
                        let (b, next) = (&b, &next);
                        s.spawn(move || {
                            let mut got = Vec::new();
                            for step in 0..STEPS {
                                if (step + t) % 4 == 0 {
                                    b.put(next.fetch_add(1, SeqCst));
                                } else {
                                    got.extend(b.get_async().now_or_never());
                                }
                            }
                            got
                        })
                    })
                    .collect();
                threads
                    .into_iter()
                    .flat_map(|t| t.join().unwrap())
                    .collect()
            });
            let put = next.load(SeqCst);
            let (queued, gets) = queues(&b);
            assert_eq!(
                (queued + received.len(), gets),
                (put as usize, 0),
                "round {round}: {put} put, {} received, {queued} queued, {gets} gets counted",
                received.len()
            );
            received.extend(std::iter::from_fn(|| b.try_get().ok()));
            assert_eq!(common::sorted(received), (0..put).collect::<Vec<_>>());
        }
    });
}

#[test]
fn a_hundred_thousand_cancelled_futures_lose_no_message() {
    cancel_at_random(Runtime::TokioMultiThread, 0xA5EC_CA4C_E11E_D000);
}

#[test]
fn a_hundred_thousand_cancelled_futures_on_one_thread_lose_no_message() {
    cancel_at_random(Runtime::TokioCurrentThread, 0xA5EC_CA4C_E11E_D001);
}

/// Sets its flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// 100 000 `get` futures on two buffers, made by tasks on `runtime` and
/// abandoned at random points, while the tasks and a thread put and another
/// thread gets with timeouts: at the end every value put was received
/// exactly once or is still queued, and no call is left queued.
fn cancel_at_random(runtime: Runtime, seed: u64) {
    within("the cancellation stress", move || {
        cancel_at_random_now(runtime, seed)
    });
}

fn cancel_at_random_now(runtime: Runtime, seed: u64) {
    const FUTURES: usize = 100_000;
    const TASKS: usize = 16;
    let bufs = [Buffer::new(), Buffer::new()];
    let next = Arc::new(AtomicU32::new(0));
    let mut rng = Rng::new(seed);
    let tasks = (0..TASKS)
        .map(|_| {
            let (bufs, next, mut rng) = (bufs.clone(), next.clone(), Rng::new(rng.fork()));
            task(async move {
                let (mut made, mut cancelled, mut got) = (0, 0, Vec::new());
                while made < FUTURES / TASKS {
                    let (m, c) = cancellable_step(&mut rng, &bufs, &next, &mut got).await;
                    made += m;
                    cancelled += usize::from(c);
                }
                (got, cancelled)
            })
        })
        .collect();
    let done = AtomicBool::new(false);
    let (results, from_threads) = thread::scope(|s| {
        // Beside the tasks: a thread that puts, and one that takes with
        // timeouts, until the tasks are done.
        s.spawn(|| {
            while !done.load(SeqCst) {
                for _ in 0..8 {
                    put_next(&bufs, &next);
                }
                thread::sleep(Duration::from_micros(50));
            }
        });
        let taker = s.spawn(|| {
            let mut rng = Rng::new(rng.fork());
            let mut got = Vec::new();
            while !done.load(SeqCst) {
                let i = rng.below(2);
                let wait = Duration::from_micros(rng.below(50) as u64);
                if let Ok(v) = bufs[i].get_timeout(wait) {
                    got.push((i, v));
                }
            }
            got
        });
        let results = {
            // The threads stop also if a task's panic unwinds from here.
            let _stop = StopOnDrop(&done);
            runtime.run(tasks)
        };
        (results, taker.join().unwrap())
    });
    let cancelled: usize = results.iter().map(|r| r.1).sum();
    let mut received: Vec<(usize, u32)> = results.into_iter().flat_map(|r| r.0).collect();
    received.extend(from_threads);
    assert!(
        cancelled > FUTURES / 10,
        "seed {seed:#x}: only {cancelled} futures abandoned"
    );
    let total = next.load(SeqCst);
    for (i, buf) in bufs.iter().enumerate() {
        let put = (0..total).filter(|v| *v as usize % 2 == i).count();
        let taken = received.iter().filter(|r| r.0 == i).count();
        let left = put.checked_sub(taken).expect("more received than put");
        assert_eq!(
            queues(buf),
            (left, 0),
            "seed {seed:#x}, buffer {i}: {put} put, {taken} taken"
        );
        received.extend(std::iter::from_fn(|| buf.try_get().ok()).map(|v| (i, v)));
    }
    assert!(
        received.iter().all(|&(i, v)| v as usize % 2 == i),
        "seed {seed:#x}: a value came out of the other buffer"
    );
    let values = common::sorted(received.into_iter().map(|r| r.1).collect());
    assert_eq!(
        values,
        (0..total).collect::<Vec<_>>(),
        "seed {seed:#x}: each value received exactly once, or still queued"
    );
}

#[chords]
impl Checked {
    async fn item(&self, n: u32);
    fn take(&self) -> u32;

    #[chord(take() & item(n))]
    fn checked(&self) -> u32 {
        assert!(n != 0, "zero is not an item");
        n
    }
}

#[chords]
impl Swap {
    fn swap(&self, v: u32) -> u32;

    #[chord([swap(vs); 2])]
    fn exchange() -> [u32; 2] {
        assert!(!vs.contains(&0), "zero is not for swapping");
        [vs[1], vs[0]]
    }
}

/// The text of a panic payload.
fn text(payload: &(dyn std::any::Any + Send)) -> &str {
    chords::panic_message(payload).expect("a text payload")
}

#[tokio::test]
async fn a_body_that_panics_in_the_awaiting_task_panics_there() {
    let c = Checked::new();
    // Fired at the first poll.
    c.item(0);
    let err = AssertUnwindSafe(c.take_async()).catch_unwind().await;
    assert_eq!(text(&*err.unwrap_err()), "zero is not an item");
    // Handed to the queued future, and run in its next poll.
    let waiting = {
        let c = c.clone();
        tokio::spawn(async move { c.take_async().await })
    };
    wait_until_async("the take is queued", || c.waiting()["take"] == 1).await;
    c.item(0);
    let err = waiting.await.unwrap_err();
    assert_eq!(text(&*err.into_panic()), "zero is not an item");
    // The failed firings consumed their messages; the object still works.
    assert_eq!((c.waiting()["item"], c.waiting()["take"]), (0, 0));
    c.item(5);
    assert_eq!(c.take_async().await, 5);
}

#[tokio::test]
async fn a_rendezvous_body_that_panics_on_a_thread_reaches_the_awaiting_task() {
    let s = Swap::new();
    let awaiting = {
        let s = s.clone();
        tokio::spawn(async move { s.swap_async(1).await })
    };
    wait_until_async("the task's swap is queued", || s.waiting()["swap"] == 1).await;
    // The thread completes the chord, finding the task's call there: it runs
    // the body, and the task learns which chord failed.
    let thread_err = {
        let s = s.clone();
        thread::spawn(move || s.swap(0)).join().unwrap_err()
    };
    assert_eq!(text(&*thread_err), "zero is not for swapping");
    let task_err = awaiting.await.unwrap_err().into_panic();
    assert!(
        text(&*task_err).starts_with("chord `exchange` panicked"),
        "{:?}",
        text(&*task_err)
    );
    assert_eq!(s.waiting()["swap"], 0);
    // Still usable, between a thread and a task.
    let other = {
        let s = s.clone();
        thread::spawn(move || s.swap(2))
    };
    assert_eq!(s.swap_async(3).await, 2);
    assert_eq!(joined(other), 3);
}

#[tokio::test]
async fn a_rendezvous_body_that_panics_in_the_awaiting_task_reaches_the_thread() {
    let s = Swap::new();
    let waiting = {
        let s = s.clone();
        thread::spawn(move || s.swap(1))
    };
    wait_until_async("the thread's swap is queued", || s.waiting()["swap"] == 1).await;
    // The future completes the chord at its first poll and runs the body.
    let err = AssertUnwindSafe(s.swap_async(0)).catch_unwind().await;
    assert_eq!(text(&*err.unwrap_err()), "zero is not for swapping");
    let thread_err = waiting.join().unwrap_err();
    assert!(
        text(&*thread_err).starts_with("chord `exchange` panicked"),
        "{:?}",
        text(&*thread_err)
    );
    assert_eq!(s.waiting()["swap"], 0);
}

/// The lock of the reference's *The same object, built by hand*: `acquire`
/// takes the `free` token.
fn lock_by_hand() -> (Join, SyncChannel<(), ()>, AsyncChannel<()>) {
    let mut b = Join::builder();
    let acquire = b.synchronous::<(), ()>("acquire");
    let free = b.asynchronous::<()>("free");
    b.when(acquire).and(free).then(|(((), r), ())| r.send(()));
    let join = b.build().unwrap();
    join.send(free, ());
    (join, acquire, free)
}

#[test]
fn call_async_on_a_built_lock_excludes_on_each_runtime() {
    const TASKS: usize = 4;
    const ROUNDS: usize = 200;
    for runtime in RUNTIMES {
        let (join, acquire, free) = lock_by_hand();
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks = (0..TASKS)
            .map(|_| {
                let (join, inside) = (join.clone(), inside.clone());
                task(async move {
                    for _ in 0..ROUNDS {
                        join.call_async(acquire, ()).await;
                        assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders");
                        yield_now().await;
                        inside.fetch_sub(1, SeqCst);
                        join.send(free, ());
                    }
                })
            })
            .collect();
        assert_eq!(runtime.run(tasks).len(), TASKS);
        assert_eq!(
            (join.waiting(free), join.waiting(acquire)),
            (1, 0),
            "{runtime:?}: one token, nobody waiting"
        );
    }
}

#[test]
fn call_async_withdrawn_or_handed_and_dropped_keeps_the_one_token() {
    let (join, acquire, free) = lock_by_hand();
    join.call(acquire, ());
    let waiting = ByHand::queued(join.call_async(acquire, ()));
    assert_eq!(join.waiting(acquire), 1);
    drop(waiting);
    assert_eq!(join.waiting(acquire), 0, "withdrawn");
    let handed = ByHand::queued(join.call_async(acquire, ()));
    join.send(free, ());
    assert_eq!(handed.wakes(), 1);
    assert_eq!((join.waiting(free), join.waiting(acquire)), (0, 0));
    drop(handed);
    assert_eq!(join.waiting(free), 1, "the token came back");
    assert_eq!(join.call_async(acquire, ()).now_or_never(), Some(()));
    assert_eq!((join.waiting(free), join.waiting(acquire)), (0, 0));
}
