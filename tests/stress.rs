//! Bounded stress tests of the runtime API: many threads on one join, and
//! after each run a conservation check (every message consumed exactly once,
//! counts conserved, the invariant of the coordination problem held).
//!
//! Every test does a fixed number of operations; none measures time.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{mpsc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use chords::Join;

mod common;
use common::sorted;

/// `get() & put(x)` with 4 producers and 4 consumers: the values received are
/// exactly the values sent, and nothing stays queued.
#[test]
fn buffer_delivers_every_value_once() {
    const PRODUCERS: usize = 4;
    const CONSUMERS: usize = 4;
    const PER_PRODUCER: usize = 25_000;
    const PER_CONSUMER: usize = PRODUCERS * PER_PRODUCER / CONSUMERS;

    let mut b = Join::builder();
    let put = b.asynchronous::<u64>("put");
    let get = b.synchronous::<(), u64>("get");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|(((), reply), item)| reply.send(item));
    let join = b.build().unwrap();

    let received = thread::scope(|s| {
        let join = &join;
        for p in 0..PRODUCERS {
            s.spawn(move || {
                for i in 0..PER_PRODUCER {
                    join.send(put, (p * PER_PRODUCER + i) as u64);
                    if i % 64 == 0 {
                        thread::yield_now();
                    }
                }
            });
        }
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                s.spawn(move || {
                    (0..PER_CONSUMER)
                        .map(|_| join.call(get, ()))
                        .collect::<Vec<u64>>()
                })
            })
            .collect();
        consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect::<Vec<u64>>()
    });

    let sent: Vec<u64> = (0..(PRODUCERS * PER_PRODUCER) as u64).collect();
    assert_eq!(sorted(received), sent);
    assert_eq!(join.waiting(put), 0);
    assert_eq!(join.waiting(get), 0);
}

/// `acquire() & free()`: at most one holder at a time, and a counter
/// incremented as a separate load and store inside the critical section loses
/// no update. Half the threads acquire with short timeouts and retry.
#[test]
fn lock_admits_one_holder_and_loses_no_update() {
    const THREADS: usize = 4;
    const ITERATIONS: usize = 20_000;

    let mut b = Join::builder();
    let acquire = b.synchronous::<(), ()>("acquire");
    let free = b.asynchronous::<()>("free");
    b.when(acquire)
        .and(free)
        .named("grant")
        .then(|(((), reply), ())| reply.send(()));
    let join = b.build().unwrap();
    join.send(free, ());

    let holders = AtomicUsize::new(0);
    // Updated by load-then-store: a second holder would make updates get lost.
    let counter = AtomicUsize::new(0);
    let sections = AtomicUsize::new(0);
    let timeouts = AtomicUsize::new(0);

    thread::scope(|s| {
        for t in 0..THREADS {
            let (join, holders, counter, sections, timeouts) =
                (&join, &holders, &counter, &sections, &timeouts);
            s.spawn(move || {
                for i in 0..ITERATIONS {
                    if t % 2 == 0 {
                        join.call(acquire, ());
                    } else {
                        let patience = Duration::from_micros((i % 4) as u64 * 20);
                        while join.call_timeout(acquire, (), patience).is_err() {
                            timeouts.fetch_add(1, Relaxed);
                        }
                    }
                    let before = holders.fetch_add(1, SeqCst);
                    assert_eq!(before, 0, "two threads hold the lock");
                    let value = counter.load(Relaxed);
                    if i % 16 == 0 {
                        thread::yield_now();
                    }
                    counter.store(value + 1, Relaxed);
                    sections.fetch_add(1, SeqCst);
                    holders.fetch_sub(1, SeqCst);
                    join.send(free, ());
                }
            });
        }
    });

    assert_eq!(counter.into_inner(), THREADS * ITERATIONS);
    assert_eq!(sections.into_inner(), THREADS * ITERATIONS);
    assert_eq!(join.waiting(free), 1, "the lock is free, once");
    assert_eq!(join.waiting(acquire), 0, "no timed-out call left a trace");
}

/// A semaphore of `K` permits: never more than `K` holders, every critical
/// section counted, and all `K` permits back at the end.
#[test]
fn semaphore_bounds_holders_and_conserves_permits() {
    const PERMITS: usize = 3;
    const THREADS: usize = 6;
    const ITERATIONS: usize = 20_000;

    let mut b = Join::builder();
    let acquire = b.synchronous::<(), ()>("acquire");
    let permit = b.asynchronous::<()>("permit");
    b.when(acquire)
        .and(permit)
        .named("grant")
        .then(|(((), reply), ())| reply.send(()));
    let join = b.build().unwrap();
    for _ in 0..PERMITS {
        join.send(permit, ());
    }

    let holders = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let sections = AtomicUsize::new(0);

    thread::scope(|s| {
        for t in 0..THREADS {
            let (join, holders, most, sections) = (&join, &holders, &most, &sections);
            s.spawn(move || {
                for i in 0..ITERATIONS {
                    if (t + i) % 3 == 0 {
                        while join.try_call(acquire, ()).is_err() {
                            thread::yield_now();
                        }
                    } else {
                        join.call(acquire, ());
                    }
                    let now = holders.fetch_add(1, SeqCst) + 1;
                    assert!(now <= PERMITS, "{now} holders of {PERMITS} permits");
                    most.fetch_max(now, SeqCst);
                    if i % 8 == 0 {
                        thread::yield_now();
                    }
                    sections.fetch_add(1, SeqCst);
                    holders.fetch_sub(1, SeqCst);
                    join.send(permit, ());
                }
            });
        }
    });

    assert!((1..=PERMITS).contains(&most.into_inner()));
    assert_eq!(sections.into_inner(), THREADS * ITERATIONS);
    assert_eq!(join.waiting(permit), PERMITS);
    assert_eq!(join.waiting(acquire), 0);
}

/// An exchanger, `exchange(x) -> y` with the pattern `exchange × 2`: in each
/// round every thread exchanges a distinct value. Every value is received by
/// exactly one other thread of its round, and pairs are symmetric.
#[test]
fn exchanger_pairs_every_value_symmetrically() {
    // Even, so that every round pairs all its calls.
    const THREADS: usize = 8;
    const ROUNDS: usize = 2500;

    let mut b = Join::builder();
    let exchange = b.synchronous::<u64, u64>("exchange");
    b.when(exchange.times::<2>())
        .named("swap")
        .then(|([(x, to_x), (y, to_y)],)| {
            to_x.send(y);
            to_y.send(x);
        });
    let join = b.build().unwrap();
    let barrier = Barrier::new(THREADS);

    // value = round * THREADS + thread
    let pairs: Vec<(u64, u64)> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (join, barrier) = (&join, &barrier);
                s.spawn(move || {
                    (0..ROUNDS)
                        .map(|round| {
                            let mine = (round * THREADS + t) as u64;
                            let got = join.call(exchange, mine);
                            barrier.wait();
                            (mine, got)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    let threads = THREADS as u64;
    let got: HashMap<u64, u64> = pairs.iter().copied().collect();
    assert_eq!(got.len(), THREADS * ROUNDS);
    for &(mine, theirs) in &pairs {
        assert_ne!(
            mine % threads,
            theirs % threads,
            "{mine} swapped with its own thread"
        );
        assert_eq!(
            mine / threads,
            theirs / threads,
            "{mine} swapped across rounds"
        );
        assert_eq!(
            got[&theirs], mine,
            "{mine} got {theirs}, but not the reverse"
        );
    }
    let received = sorted(pairs.iter().map(|p| p.1).collect());
    assert_eq!(received, (0..(THREADS * ROUNDS) as u64).collect::<Vec<_>>());
    assert_eq!(join.waiting(exchange), 0);
}

/// Consumers call with tiny timeouts (and deadlines) while producers send:
/// every value sent is received exactly once, by a call or by the final
/// drain; every call gets its own answer or its own argument back.
#[test]
fn timeouts_racing_firings_lose_and_duplicate_nothing() {
    const PRODUCERS: usize = 2;
    const PER_PRODUCER: usize = 10_000;
    // More calls than values: consumers often find none and time out.
    const CONSUMERS: usize = 3;
    const CALLS: usize = 10_000;
    const PATIENCE: [Duration; 5] = [
        Duration::ZERO,
        Duration::from_micros(1),
        Duration::from_micros(5),
        Duration::from_micros(20),
        Duration::from_micros(100),
    ];

    let mut b = Join::builder();
    let put = b.asynchronous::<u64>("put");
    // The argument is the call's id; the result is (that id, the value).
    let get = b.synchronous::<u64, (u64, u64)>("get");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|((id, reply), value)| reply.send((id, value)));
    let join = b.build().unwrap();

    let (received, timeouts) = thread::scope(|s| {
        let join = &join;
        for p in 0..PRODUCERS {
            s.spawn(move || {
                for i in 0..PER_PRODUCER {
                    join.send(put, (p * PER_PRODUCER + i) as u64);
                    // Bursts and pauses, so that calls both find values and wait.
                    if i % 4 == 0 {
                        thread::sleep(Duration::from_micros(20));
                    }
                }
            });
        }
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|c| {
                s.spawn(move || {
                    let mut received = Vec::new();
                    let mut timeouts = 0;
                    for i in 0..CALLS {
                        let id = (c * CALLS + i) as u64;
                        let patience = PATIENCE[i % PATIENCE.len()];
                        let result = if i % 7 == 3 {
                            join.call_deadline(get, id, Instant::now() + patience)
                        } else {
                            join.call_timeout(get, id, patience)
                        };
                        match result {
                            Ok((back, value)) => {
                                assert_eq!(back, id, "a result for another call");
                                received.push(value);
                            }
                            Err(e) => {
                                assert_eq!(e.into_inner(), id, "another call's argument");
                                timeouts += 1;
                            }
                        }
                    }
                    (received, timeouts)
                })
            })
            .collect();
        consumers.into_iter().map(|h| h.join().unwrap()).fold(
            (Vec::new(), 0),
            |(mut all, n), (received, timeouts)| {
                all.extend(received);
                (all, n + timeouts)
            },
        )
    });

    assert_eq!(received.len() + timeouts, CONSUMERS * CALLS);
    assert!(timeouts >= CONSUMERS * CALLS - PRODUCERS * PER_PRODUCER);
    assert_eq!(join.waiting(get), 0, "a timed-out call left a trace");
    let queued = join.waiting(put);
    let mut drained = Vec::new();
    let mut id = u64::MAX;
    loop {
        match join.try_call(get, id) {
            Ok((back, value)) => {
                assert_eq!(back, id);
                drained.push(value);
            }
            Err(e) => {
                assert_eq!(e.into_inner(), id);
                break;
            }
        }
        id -= 1;
    }
    assert_eq!(drained.len(), queued);
    assert_eq!(join.waiting(put), 0);

    let mut all = received;
    all.extend(drained);
    let sent: Vec<u64> = (0..(PRODUCERS * PER_PRODUCER) as u64).collect();
    assert_eq!(sorted(all), sent);
}

/// `a(id) & x(v)` and `b(id) & x(v)` with synchronous `a` and `b` callers
/// racing for one `x`: every `x` is consumed exactly once, each result goes
/// to its own caller.
#[test]
fn two_sync_chords_race_for_one_channel() {
    const CALLERS_PER_CHANNEL: usize = 2;
    const CALLS: usize = 20_000;
    const PRODUCERS: usize = 2;
    const PER_PRODUCER: usize = 2 * CALLERS_PER_CHANNEL * CALLS / PRODUCERS;

    let mut b = Join::builder();
    let x = b.asynchronous::<u64>("x");
    let a = b.synchronous::<u64, (char, u64, u64)>("a");
    let bb = b.synchronous::<u64, (char, u64, u64)>("b");
    b.when(a)
        .and(x)
        .named("ax")
        .then(|((id, reply), v)| reply.send(('a', id, v)));
    b.when(bb)
        .and(x)
        .named("bx")
        .then(|((id, reply), v)| reply.send(('b', id, v)));
    let join = b.build().unwrap();

    let received: Vec<u64> = thread::scope(|s| {
        let join = &join;
        for p in 0..PRODUCERS {
            s.spawn(move || {
                for i in 0..PER_PRODUCER {
                    join.send(x, (p * PER_PRODUCER + i) as u64);
                    if i % 32 == 0 {
                        thread::yield_now();
                    }
                }
            });
        }
        let callers: Vec<_> = (0..2 * CALLERS_PER_CHANNEL)
            .map(|c| {
                s.spawn(move || {
                    let (channel, tag) = if c % 2 == 0 { (a, 'a') } else { (bb, 'b') };
                    (0..CALLS)
                        .map(|i| {
                            let id = (c * CALLS + i) as u64;
                            let (chord, back, v) = join.call(channel, id);
                            assert_eq!((chord, back), (tag, id), "a result for another call");
                            v
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        callers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    assert_eq!(
        sorted(received),
        (0..(PRODUCERS * PER_PRODUCER) as u64).collect::<Vec<_>>()
    );
    assert_eq!(join.waiting(x), 0);
    assert_eq!(join.waiting(a), 0);
    assert_eq!(join.waiting(bb), 0);
}

/// `a & x` and `b & x`, all asynchronous, bodies on the executor: every `a`,
/// every `b` and every `x` is consumed exactly once.
#[test]
fn two_async_chords_race_for_one_channel() {
    const PER_SIDE: usize = 20_000;

    let mut b = Join::builder();
    let x = b.asynchronous::<u64>("x");
    let a = b.asynchronous::<u64>("a");
    let bb = b.asynchronous::<u64>("b");
    let (tx, rx) = mpsc::channel::<(char, u64, u64)>();
    let tx_b = tx.clone();
    b.when(a)
        .and(x)
        .named("ax")
        .then(move |(v, xv)| tx.send(('a', v, xv)).unwrap());
    b.when(bb)
        .and(x)
        .named("bx")
        .then(move |(v, xv)| tx_b.send(('b', v, xv)).unwrap());
    let join = b.build().unwrap();

    thread::scope(|s| {
        let join = &join;
        s.spawn(move || {
            for i in 0..PER_SIDE {
                join.send(a, i as u64);
            }
        });
        s.spawn(move || {
            for i in 0..PER_SIDE {
                join.send(bb, (PER_SIDE + i) as u64);
            }
        });
        for half in 0..2 {
            s.spawn(move || {
                for i in 0..PER_SIDE {
                    join.send(x, (half * PER_SIDE + i) as u64);
                    if i % 32 == 0 {
                        thread::yield_now();
                    }
                }
            });
        }
    });

    let mut sides = Vec::new();
    let mut xs = Vec::new();
    for _ in 0..2 * PER_SIDE {
        // A generous bound, so that a lost firing fails instead of hanging.
        let (chord, v, xv) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a firing was lost");
        let expected = if (v as usize) < PER_SIDE { 'a' } else { 'b' };
        assert_eq!(chord, expected, "{v} fired in the wrong chord");
        sides.push(v);
        xs.push(xv);
    }
    let all: Vec<u64> = (0..(2 * PER_SIDE) as u64).collect();
    assert_eq!(sorted(sides), all);
    assert_eq!(sorted(xs), all);
    assert_eq!(join.waiting(x), 0);
    assert_eq!(join.waiting(a), 0);
    assert_eq!(join.waiting(bb), 0);
}

/// A repeated term takes its messages oldest first. Firings that overlap in
/// time each take the oldest messages not taken by the others when their
/// runners take them, so their batches may interleave; one firing at a time
/// (a single caller) always gets consecutive messages.
#[test]
fn repeated_term_batches_are_ordered_and_conserved() {
    const BATCHES: usize = 25_000;

    // Overlapping asynchronous firings: each batch in order, every message once.
    let mut b = Join::builder();
    let batch = b.asynchronous::<u64>("batch");
    let (tx, rx) = mpsc::channel::<[u64; 4]>();
    b.when(batch.times::<4>())
        .named("batch")
        .then(move |(items,)| tx.send(items).unwrap());
    let join = b.build().unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..(4 * BATCHES) as u64 {
                join.send(batch, i);
            }
        });
    });
    let mut all = Vec::new();
    for _ in 0..BATCHES {
        let items = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a firing was lost");
        assert!(items.is_sorted(), "oldest first: {items:?}");
        all.extend(items);
    }
    assert_eq!(sorted(all), (0..(4 * BATCHES) as u64).collect::<Vec<_>>());
    assert_eq!(join.waiting(batch), 0);

    // One firing at a time: a single caller takes consecutive batches while a
    // producer sends.
    let mut b = Join::builder();
    let batch = b.asynchronous::<u64>("batch");
    let take = b.synchronous::<(), [u64; 4]>("take");
    b.when(take)
        .and(batch.times::<4>())
        .then(|(((), reply), items)| reply.send(items));
    let join = b.build().unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..(4 * BATCHES) as u64 {
                join.send(batch, i);
            }
        });
        for k in 0..BATCHES as u64 {
            assert_eq!(
                join.call(take, ()),
                [4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3]
            );
        }
    });
    assert_eq!(join.waiting(batch), 0);
}
