//! The examples' invariants with awaited calls (`name_async`), on each async
//! runtime, with tasks alone and with threads and tasks calling one object:
//! the buffer delivers every item once and in each producer's order, the
//! lock and the semaphore never let too many in and keep their tokens, the
//! barrier lets a round through only when all its parties are there, and
//! the exchanger swaps values in symmetric pairs.

#[allow(dead_code)]
#[path = "../examples/barrier/barrier.rs"]
mod barrier;
#[allow(dead_code)]
#[path = "../examples/buffer/buffer.rs"]
mod buffer;
#[allow(dead_code)]
#[path = "../examples/exchanger/exchanger.rs"]
mod exchanger;
#[allow(dead_code)]
#[path = "../examples/lock/lock.rs"]
mod lock;
#[allow(dead_code)]
#[path = "../examples/semaphore/semaphore.rs"]
mod semaphore;

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::Poll;
use std::thread;

use barrier::{Barrier, PARTIES};
use buffer::{Buffer, Item};
use common::sorted;
use common::tasks::{task, yield_now, ByHand, Runtime, Task, RUNTIMES};
use exchanger::Exchanger;
use lock::Lock;
use semaphore::Semaphore;

/// A thread's part of a scenario.
type OnThread<T> = Box<dyn FnOnce() -> T + Send>;

/// Asserts that `got`, what each consumer got in order, holds each item of
/// `producers` x `per` exactly once, and each producer's items in the order
/// they were put.
fn assert_delivered(got: &[Vec<Item>], producers: usize, per: usize) {
    let all: Vec<Item> = (0..producers)
        .flat_map(|producer| (0..per).map(move |seq| Item { producer, seq }))
        .collect();
    assert_eq!(
        sorted(got.concat()),
        all,
        "every item exactly once, none lost or duplicated"
    );
    for (c, seen) in got.iter().enumerate() {
        let mut last: HashMap<usize, usize> = HashMap::new();
        for item in seen {
            if let Some(before) = last.insert(item.producer, item.seq) {
                assert!(
                    before < item.seq,
                    "consumer {c} got producer {}'s {} after its {before}",
                    item.producer,
                    item.seq
                );
            }
        }
    }
}

/// A producer task: puts its `per` items, letting the others run between.
fn producer_task(b: &Buffer<Item>, producer: usize, per: usize) -> Task<Vec<Item>> {
    let b = b.clone();
    task(async move {
        for seq in 0..per {
            b.put(Item { producer, seq });
            if seq % 4 == 0 {
                yield_now().await;
            }
        }
        Vec::new()
    })
}

/// A consumer task: awaits `share` items.
fn consumer_task(b: &Buffer<Item>, share: usize) -> Task<Vec<Item>> {
    let b = b.clone();
    task(async move {
        let mut got = Vec::with_capacity(share);
        for _ in 0..share {
            got.push(b.get_async().await);
        }
        got
    })
}

#[test]
fn buffer_tasks_get_every_item_once_in_each_producers_order() {
    const PRODUCERS: usize = 3;
    const PER: usize = 3000;
    const CONSUMERS: usize = 3;
    for runtime in RUNTIMES {
        let b = Buffer::new();
        // Consumers first, so that many gets wait for their items.
        let mut tasks: Vec<_> = (0..CONSUMERS)
            .map(|_| consumer_task(&b, PRODUCERS * PER / CONSUMERS))
            .collect();
        tasks.extend((0..PRODUCERS).map(|p| producer_task(&b, p, PER)));
        let got = runtime.run(tasks);
        assert_delivered(&got[..CONSUMERS], PRODUCERS, PER);
        assert_eq!(
            (b.waiting()["put"], b.waiting()["get"]),
            (0, 0),
            "{runtime:?}"
        );
    }
}

#[test]
fn buffer_threads_and_tasks_get_from_one_queue() {
    // Two threads put; two threads get with `get()`, two tasks with
    // `get_async()`, all in one queue.
    const PER: usize = 3000;
    const SHARE: usize = PER / 2;
    for runtime in RUNTIMES {
        let b = Buffer::new();
        let mut threads: Vec<OnThread<Vec<Item>>> = Vec::new();
        for _ in 0..2 {
            let b = b.clone();
            threads.push(Box::new(move || (0..SHARE).map(|_| b.get()).collect()));
        }
        for producer in 0..2 {
            let b = b.clone();
            threads.push(Box::new(move || {
                (0..PER).for_each(|seq| b.put(Item { producer, seq }));
                Vec::new()
            }));
        }
        let tasks = (0..2).map(|_| consumer_task(&b, SHARE)).collect();
        let got = runtime.run_with_threads(threads, tasks);
        let consumers = [&got[0], &got[1], &got[4], &got[5]].map(Vec::clone);
        assert_delivered(&consumers, 2, PER);
        assert_eq!(
            (b.waiting()["put"], b.waiting()["get"]),
            (0, 0),
            "{runtime:?}"
        );
    }
}

/// Counts who is inside a critical section (the lock's, a permit's).
struct Crowd {
    limit: usize,
    inside: AtomicUsize,
    most: AtomicUsize,
    entries: AtomicUsize,
}

impl Crowd {
    fn new(limit: usize) -> Arc<Self> {
        Arc::new(Crowd {
            limit,
            inside: AtomicUsize::new(0),
            most: AtomicUsize::new(0),
            entries: AtomicUsize::new(0),
        })
    }

    fn enter(&self) {
        let now = self.inside.fetch_add(1, SeqCst) + 1;
        assert!(now <= self.limit, "{now} inside, at most {}", self.limit);
        self.most.fetch_max(now, SeqCst);
        self.entries.fetch_add(1, SeqCst);
    }

    fn leave(&self) {
        self.inside.fetch_sub(1, SeqCst);
    }

    /// (entries, most inside at once).
    fn tally(&self) -> (usize, usize) {
        (self.entries.load(SeqCst), self.most.load(SeqCst))
    }
}

/// How a scenario's threads and tasks take and give back a token (the
/// lock's, a permit).
struct Entry<O> {
    /// Waits for a token, blocking the thread.
    blocking: fn(&O),
    /// Waits for a token, as a task (the future owns a clone of the object).
    awaited: fn(O) -> Task<()>,
    /// Gives the token back.
    release: fn(&O),
}

/// `tasks` tasks and `threads` threads each enter `crowd` `rounds` times
/// through `entry`, letting the others run while inside.
fn crowd_scenario<O: Clone + Send + 'static>(
    runtime: Runtime,
    object: &O,
    crowd: &Arc<Crowd>,
    (tasks, threads, rounds): (usize, usize, usize),
    entry: Entry<O>,
) {
    let Entry {
        blocking,
        awaited,
        release,
    } = entry;
    let on_threads = (0..threads)
        .map(|_| {
            let (object, crowd) = (object.clone(), crowd.clone());
            Box::new(move || {
                for _ in 0..rounds {
                    blocking(&object);
                    crowd.enter();
                    thread::yield_now();
                    crowd.leave();
                    release(&object);
                }
            }) as OnThread<()>
        })
        .collect();
    let on_tasks = (0..tasks)
        .map(|_| {
            let (object, crowd) = (object.clone(), crowd.clone());
            task(async move {
                for _ in 0..rounds {
                    awaited(object.clone()).await;
                    crowd.enter();
                    yield_now().await;
                    crowd.leave();
                    release(&object);
                }
            })
        })
        .collect();
    runtime.run_with_threads(on_threads, on_tasks);
}

#[test]
fn lock_threads_and_tasks_exclude_each_other_and_one_token_stays() {
    const TASKS: usize = 4;
    const THREADS: usize = 2;
    const ROUNDS: usize = 1500;
    for runtime in RUNTIMES {
        let lock = Lock::new();
        let crowd = Crowd::new(1);
        let entry = Entry {
            blocking: Lock::acquire,
            awaited: |l: Lock| task(async move { l.acquire_async().await }),
            release: Lock::free,
        };
        crowd_scenario(runtime, &lock, &crowd, (TASKS, THREADS, ROUNDS), entry);
        assert_eq!(
            crowd.tally(),
            ((TASKS + THREADS) * ROUNDS, 1),
            "{runtime:?}"
        );
        assert_eq!(
            (lock.waiting()["free"], lock.waiting()["acquire"]),
            (1, 0),
            "{runtime:?}: one token, nobody waiting"
        );
    }
}

/// Takes every free permit without waiting, and gives them back: how many
/// there were.
fn free_permits(s: &Semaphore) -> usize {
    let free = std::iter::from_fn(|| s.try_acquire().ok()).count();
    (0..free).for_each(|_| s.release());
    free
}

#[test]
fn semaphore_threads_and_tasks_never_exceed_the_permits_and_keep_them() {
    const PERMITS: usize = 3;
    const TASKS: usize = 6;
    const THREADS: usize = 2;
    const ROUNDS: usize = 1000;
    for runtime in RUNTIMES {
        let s = Semaphore::new(PERMITS);
        let crowd = Crowd::new(PERMITS);
        let entry = Entry {
            blocking: Semaphore::acquire,
            awaited: |s: Semaphore| task(async move { s.acquire_async().await }),
            release: Semaphore::release,
        };
        crowd_scenario(runtime, &s, &crowd, (TASKS, THREADS, ROUNDS), entry);
        let (entries, most) = crowd.tally();
        assert_eq!(entries, (TASKS + THREADS) * ROUNDS, "{runtime:?}");
        assert!((1..=PERMITS).contains(&most), "{runtime:?}: {most} inside");
        assert_eq!(free_permits(&s), PERMITS, "{runtime:?}");
        assert_eq!(s.waiting()["acquire"], 0);
    }
}

#[test]
fn semaphore_n_futures_hold_permits_together_and_the_next_waits() {
    const PERMITS: usize = 3;
    let s = Semaphore::new(PERMITS);
    let mut holders: Vec<_> = (0..PERMITS).map(|_| Box::pin(s.acquire_async())).collect();
    for holder in &mut holders {
        assert_eq!(
            futures::FutureExt::now_or_never(holder.as_mut()),
            Some(()),
            "a free permit, taken at the first poll"
        );
    }
    let mut next = ByHand::queued(s.acquire_async());
    assert_eq!((s.waiting()["permit"], s.waiting()["acquire"]), (0, 1));
    s.release();
    assert_eq!(next.wakes(), 1);
    assert_eq!(next.poll(), Poll::Ready(()));
    assert_eq!(free_permits(&s), 0, "all held");
    (0..PERMITS).for_each(|_| s.release());
    assert_eq!(free_permits(&s), PERMITS);
}

/// Per round of a barrier: how many parties arrived, how many passed.
struct Rounds {
    arrived: Vec<AtomicUsize>,
    passed: Vec<AtomicUsize>,
}

impl Rounds {
    fn new(rounds: usize) -> Arc<Self> {
        let counts = || (0..rounds).map(|_| AtomicUsize::new(0)).collect();
        Arc::new(Rounds {
            arrived: counts(),
            passed: counts(),
        })
    }

    fn arrive(&self, round: usize) {
        self.arrived[round].fetch_add(1, SeqCst);
    }

    /// A party passed `round`: all parties arrived in it, and nobody passed
    /// the next one (which would need this party there too).
    fn pass(&self, round: usize) {
        assert_eq!(
            self.arrived[round].load(SeqCst),
            PARTIES,
            "passed early in round {round}"
        );
        if let Some(next) = self.passed.get(round + 1) {
            assert_eq!(
                next.load(SeqCst),
                0,
                "round {} passed without us",
                round + 1
            );
        }
        self.passed[round].fetch_add(1, SeqCst);
    }

    fn all_passed(&self) -> bool {
        self.passed.iter().all(|p| p.load(SeqCst) == PARTIES)
    }
}

#[test]
fn barrier_lets_threads_and_tasks_through_only_together() {
    const ROUNDS: usize = 1500;
    // All four parties tasks, then two threads and two tasks.
    for threads in [0, PARTIES / 2] {
        for runtime in RUNTIMES {
            let b = Barrier::new();
            let rounds = Rounds::new(ROUNDS);
            let on_threads = (0..threads)
                .map(|_| {
                    let (b, rounds) = (b.clone(), rounds.clone());
                    Box::new(move || {
                        for round in 0..ROUNDS {
                            rounds.arrive(round);
                            b.arrive();
                            rounds.pass(round);
                        }
                    }) as OnThread<()>
                })
                .collect();
            let on_tasks = (threads..PARTIES)
                .map(|_| {
                    let (b, rounds) = (b.clone(), rounds.clone());
                    task(async move {
                        for round in 0..ROUNDS {
                            rounds.arrive(round);
                            b.arrive_async().await;
                            rounds.pass(round);
                        }
                    })
                })
                .collect();
            runtime.run_with_threads(on_threads, on_tasks);
            assert!(rounds.all_passed(), "{runtime:?}, {threads} threads");
            assert_eq!(b.waiting()["arrive"], 0);
        }
    }
}

#[test]
fn a_thread_and_a_task_swap_values() {
    let e = Exchanger::new();
    // The task first: its call waits, the thread completes the pair.
    let mut waiting = ByHand::queued(e.exchange_async("from the task"));
    let other = {
        let e = e.clone();
        thread::spawn(move || e.exchange("from the thread"))
    };
    assert_eq!(
        common::within("the thread's exchange", move || other.join().unwrap()),
        "from the task"
    );
    assert_eq!(waiting.wakes(), 1);
    assert_eq!(waiting.poll(), Poll::Ready("from the thread"));
    // The thread first: the task completes the pair at its first poll.
    let other = {
        let e = e.clone();
        thread::spawn(move || e.exchange("from the thread"))
    };
    common::wait_until("the thread's exchange waits", || {
        e.waiting()["exchange"] == 1
    });
    let got = futures::FutureExt::now_or_never(e.exchange_async("from the task"));
    assert_eq!(got, Some("from the thread"));
    assert_eq!(
        common::within("the thread's exchange", move || other.join().unwrap()),
        "from the task"
    );
    assert_eq!(e.waiting()["exchange"], 0);
}

#[test]
fn exchanger_threads_and_tasks_swap_in_symmetric_pairs() {
    // Callers take the values 0..TOTAL from a shared counter (TOTAL even, so
    // the last two calls meet each other); every value is unique, so "who
    // got whose" must be its own inverse.
    const TOTAL: u32 = 20000;
    for threads in [0, 3] {
        for runtime in RUNTIMES {
            let e = Exchanger::new();
            let next = Arc::new(AtomicU32::new(0));
            // (caller, mine, theirs), callers numbered threads first.
            type Swaps = Vec<(usize, u32, u32)>;
            let on_threads = (0..threads)
                .map(|caller| {
                    let (e, next) = (e.clone(), next.clone());
                    Box::new(move || {
                        let mut swaps = Vec::new();
                        loop {
                            let mine = next.fetch_add(1, SeqCst);
                            if mine >= TOTAL {
                                break swaps;
                            }
                            swaps.push((caller, mine, e.exchange(mine)));
                        }
                    }) as OnThread<Swaps>
                })
                .collect();
            let on_tasks = (threads..6)
                .map(|caller| {
                    let (e, next) = (e.clone(), next.clone());
                    task(async move {
                        let mut swaps = Vec::new();
                        loop {
                            let mine = next.fetch_add(1, SeqCst);
                            if mine >= TOTAL {
                                break swaps;
                            }
                            swaps.push((caller, mine, e.exchange_async(mine).await));
                        }
                    })
                })
                .collect();
            let swaps = runtime.run_with_threads(on_threads, on_tasks).concat();
            let partner: HashMap<u32, (usize, u32)> =
                swaps.iter().map(|&(c, m, t)| (m, (c, t))).collect();
            assert_eq!(partner.len(), TOTAL as usize, "{runtime:?}");
            for (&mine, &(caller, theirs)) in &partner {
                let (their_caller, back) = partner[&theirs];
                assert_eq!(back, mine, "{runtime:?}: {mine} and {theirs} did not swap");
                assert_ne!(caller, their_caller, "{runtime:?}: swapped with itself");
            }
            assert_eq!(
                sorted(swaps.iter().map(|s| s.2).collect()),
                (0..TOTAL).collect::<Vec<_>>(),
                "{runtime:?}: each value received once"
            );
            assert_eq!(e.waiting()["exchange"], 0);
        }
    }
}
