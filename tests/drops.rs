//! Drop counting: every message, argument and binding is dropped exactly once,
//! by whoever owns it last — the body that consumed it, the caller it was
//! handed back to, or the join when its last clone goes.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use chords::Join;

mod common;
use common::tracker::{Counted, Tracker};

/// Messages still queued when the last clone of a join is dropped are
/// dropped then, each exactly once, whichever clone goes last; values a
/// caller took out are the caller's.
#[test]
fn queued_messages_are_dropped_once_with_the_last_clone() {
    let tracker = Tracker::new(100);
    let mut b = Join::builder();
    let put = b.asynchronous::<Counted>("put");
    let get = b.synchronous::<(), Counted>("get");
    let log = b.asynchronous::<Counted>("log");
    let flush = b.synchronous::<(), ()>("flush");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|(((), reply), item)| reply.send(item));
    b.when(flush)
        .and(log)
        .named("flush")
        .then(|(((), reply), _line)| reply.send(()));
    let join = b.build().unwrap();

    for _ in 0..20 {
        join.send(put, tracker.make());
    }
    for _ in 0..10 {
        join.send(log, tracker.make());
    }
    // Clones send more and go away on other threads.
    let clones: Vec<_> = (0..4)
        .map(|_| {
            let (join, tracker) = (join.clone(), Arc::clone(&tracker));
            thread::spawn(move || {
                for _ in 0..5 {
                    join.send(put, tracker.make());
                    join.send(log, tracker.make());
                }
            })
        })
        .collect();
    for clone in clones {
        clone.join().unwrap();
    }
    assert_eq!(tracker.created(), 70);
    assert_eq!(tracker.total(), 0, "a queued message was dropped early");

    let taken: Vec<Counted> = (0..5).map(|_| join.call(get, ())).collect();
    assert_eq!(tracker.total(), 0, "a delivered message was dropped");
    let taken_ids: Vec<usize> = taken.iter().map(|c| c.id).collect();
    assert_eq!(taken_ids, [0, 1, 2, 3, 4], "oldest first");
    drop(taken);
    assert_eq!(tracker.dropped_ids(), [0, 1, 2, 3, 4]);

    assert_eq!(join.waiting(put), 35);
    assert_eq!(join.waiting(log), 30);
    let last = join.clone();
    drop(join);
    assert_eq!(tracker.total(), 5, "dropped while a clone lives");
    drop(last);
    tracker.assert_all_dropped_once();
}

static TOKEN_DROPS: AtomicUsize = AtomicUsize::new(0);

/// A zero-sized message with a counted drop (the runtime stores no payload
/// for zero-sized types, only a count).
struct Token;

impl Drop for Token {
    fn drop(&mut self) {
        TOKEN_DROPS.fetch_add(1, SeqCst);
    }
}

/// Zero-sized messages: dropped once when a body consumes them, not at all
/// when handed to a caller (until the caller drops them), and the rest once
/// when the last clone goes.
#[test]
fn zero_sized_messages_are_dropped_once() {
    let drops = || TOKEN_DROPS.load(SeqCst);
    let mut b = Join::builder();
    let token = b.asynchronous::<Token>("token");
    let burn = b.synchronous::<(), ()>("burn");
    let grab = b.synchronous::<(), Token>("grab");
    let pair = b.synchronous::<(), [Token; 2]>("pair");
    b.when(burn)
        .and(token)
        .named("burn")
        .then(|(((), reply), t)| {
            drop(t);
            reply.send(());
        });
    b.when(grab)
        .and(token)
        .named("grab")
        .then(|(((), reply), t)| reply.send(t));
    b.when(pair)
        .and(token.times::<2>())
        .named("pair")
        .then(|(((), reply), ts)| reply.send(ts));
    let join = b.build().unwrap();

    for _ in 0..30 {
        join.send(token, Token);
    }
    assert_eq!(drops(), 0, "a queued token was dropped");
    assert_eq!(join.waiting(token), 30);

    for _ in 0..5 {
        join.call(burn, ());
    }
    assert_eq!(drops(), 5);
    assert!(join.try_call(burn, ()).is_ok());
    assert_eq!(drops(), 6);

    let one = join.call(grab, ());
    let two = join.call(pair, ());
    assert_eq!(drops(), 6, "a token handed to a caller was dropped");
    drop(one);
    assert_eq!(drops(), 7);
    drop(two);
    assert_eq!(drops(), 9);

    // A call from another thread.
    let waiter = {
        let join = join.clone();
        thread::spawn(move || join.call(grab, ()))
    };
    let got = waiter.join().unwrap();
    assert_eq!(drops(), 9);
    drop(got);
    assert_eq!(drops(), 10);

    assert_eq!(join.waiting(token), 20);
    let clone = join.clone();
    drop(join);
    assert_eq!(drops(), 10, "dropped while a clone lives");
    drop(clone);
    assert_eq!(drops(), 30, "each token dropped exactly once");
}

/// Repeated terms `[T; N]`: consumed arrays are dropped once by the body (or
/// by the caller they were handed to), leftovers once at join drop.
#[test]
fn repeated_term_payloads_are_dropped_once() {
    let tracker = Tracker::new(40);
    let mut b = Join::builder();
    let item = b.asynchronous::<Counted>("item");
    let take3 = b.synchronous::<(), Vec<usize>>("take3");
    let keep3 = b.synchronous::<(), [Counted; 3]>("keep3");
    let batch = b.asynchronous::<Counted>("batch");
    b.when(take3)
        .and(item.times::<3>())
        .named("take3")
        .then(|(((), reply), items)| {
            let ids = items.iter().map(|c| c.id).collect();
            drop(items);
            reply.send(ids);
        });
    b.when(keep3)
        .and(item.times::<3>())
        .named("keep3")
        .then(|(((), reply), items)| reply.send(items));
    let (tx, rx) = mpsc::channel();
    b.when(batch.times::<4>())
        .named("batch")
        .then(move |(items,)| {
            let ids: Vec<usize> = items.iter().map(|c| c.id).collect();
            drop(items);
            tx.send(ids).unwrap();
        });
    let join = b.build().unwrap();

    for _ in 0..11 {
        join.send(item, tracker.make()); // ids 0..11
    }
    assert_eq!(join.call(take3, ()), [0, 1, 2]);
    assert_eq!(tracker.dropped_ids(), [0, 1, 2]);

    let kept = join.call(keep3, ());
    assert_eq!(kept.each_ref().map(|c| c.id), [3, 4, 5]);
    assert_eq!(
        tracker.total(),
        3,
        "an array handed to a caller was dropped"
    );

    assert_eq!(join.call(take3, ()), [6, 7, 8]);
    assert_eq!(tracker.dropped_ids(), [0, 1, 2, 6, 7, 8]);
    drop(kept);
    assert_eq!(tracker.dropped_ids(), [0, 1, 2, 3, 4, 5, 6, 7, 8]);

    // An asynchronous repeated chord on the executor: 2 batches fire, 2
    // messages stay queued.
    for _ in 0..10 {
        join.send(batch, tracker.make()); // ids 11..21
    }
    // The two bodies may run (and report) in either order.
    let wait = Duration::from_secs(30);
    let mut batches: Vec<usize> = Vec::new();
    for _ in 0..2 {
        let ids = rx.recv_timeout(wait).unwrap();
        assert!(ids.is_sorted(), "oldest first: {ids:?}");
        batches.extend(ids);
    }
    batches.sort_unstable();
    assert_eq!(batches, (11..19).collect::<Vec<_>>());
    assert_eq!(tracker.total(), 17);

    assert_eq!(join.waiting(item), 2);
    assert_eq!(join.waiting(batch), 2);
    drop(join);
    // Ids 9, 10, 19, 20 go with the join (maybe on an executor thread that
    // held its last clone).
    tracker.wait_for_all_drops();
}

/// Arguments handed back by `try_call`, `call_timeout` and `call_deadline`
/// belong to the caller: the runtime does not drop them, the caller does.
#[test]
fn handed_back_arguments_are_not_dropped() {
    let tracker = Tracker::new(10);
    let mut b = Join::builder();
    let get = b.synchronous::<Counted, ()>("get");
    let put = b.asynchronous::<()>("put");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|((_, reply), ())| reply.send(()));
    let join = b.build().unwrap();

    let check = |returned: Counted, id: usize| {
        assert_eq!(returned.id, id, "another argument came back");
        assert_eq!(tracker.dropped(id), 0, "a returned argument was dropped");
        assert_eq!(tracker.total(), id, "something else was dropped");
        drop(returned);
        assert_eq!(tracker.dropped(id), 1);
    };

    let err = join.try_call(get, tracker.make()).unwrap_err();
    assert_eq!(format!("{err:?}"), "TryCallError(..)");
    check(err.into_inner(), 0);

    let err = join
        .call_timeout(get, tracker.make(), Duration::ZERO)
        .unwrap_err();
    check(err.into_inner(), 1);

    // Long enough to be queued, then withdrawn.
    let err = join
        .call_timeout(get, tracker.make(), Duration::from_millis(2))
        .unwrap_err();
    check(err.into_inner(), 2);

    let err = join
        .call_deadline(get, tracker.make(), Instant::now())
        .unwrap_err();
    check(err.into_inner(), 3);

    let err = join
        .call_deadline(
            get,
            tracker.make(),
            Instant::now() + Duration::from_millis(1),
        )
        .unwrap_err();
    check(err.0, 4);

    assert_eq!(join.waiting(get), 0);
    // Taken by a chord: moved into the body, dropped there.
    join.send(put, ());
    assert!(join.try_call(get, tracker.make()).is_ok());
    assert_eq!(tracker.dropped(5), 1);
    drop(join);
    tracker.assert_all_dropped_once();
}

/// A consumed message is dropped once, by the body, before the call returns
/// (the body runs on the caller's thread), and never again at join drop —
/// whether the caller or the sender completed the chord. An asynchronous
/// body drops its message once too.
#[test]
fn consumed_message_is_dropped_once_by_the_body() {
    let tracker = Tracker::new(10);
    let mut b = Join::builder();
    let put = b.asynchronous::<Counted>("put");
    let get = b.synchronous::<(), usize>("get");
    let sink = b.asynchronous::<Counted>("sink");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|(((), reply), item)| reply.send(item.id)); // `item` drops here
    let (tx, rx) = mpsc::channel();
    b.when(sink).named("sink").then(move |(item,)| {
        let id = item.id;
        drop(item);
        tx.send(id).unwrap();
    });
    let join = b.build().unwrap();

    // The caller completes the chord.
    join.send(put, tracker.make());
    assert_eq!(join.call(get, ()), 0);
    assert_eq!(tracker.dropped_ids(), [0]);

    // The sender completes the chord of a queued caller.
    let caller = {
        let join = join.clone();
        thread::spawn(move || join.call(get, ()))
    };
    while join.waiting(get) == 0 {
        thread::yield_now();
    }
    join.send(put, tracker.make());
    assert_eq!(caller.join().unwrap(), 1);
    assert_eq!(tracker.dropped_ids(), [0, 1]);

    join.send(sink, tracker.make());
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), 2);
    assert_eq!(tracker.dropped_ids(), [0, 1, 2]);

    assert_eq!(join.waiting(put), 0);
    assert_eq!(join.waiting(sink), 0);
    drop(join);
    tracker.wait_for_all_drops();
    assert_eq!(tracker.created(), 3);
}

/// No leak: threads send, call and drop their clones; some bodies post
/// messages back (state, relays), one closure owns a value. Once every clone
/// is gone and every body is done, every value created was dropped once.
#[test]
fn nothing_leaks_after_clones_and_bodies_finish() {
    const PRODUCERS: usize = 2;
    const PER_PRODUCER: usize = 3000;
    const CONSUMERS: usize = 2;
    const BUMPERS: usize = 2;
    const BUMPS: usize = 2000;

    let tracker = Tracker::new(PRODUCERS * PER_PRODUCER * 2 + BUMPERS * BUMPS + 10);
    let mut b = Join::builder();
    let put = b.asynchronous::<Counted>("put");
    let get = b.synchronous::<(), Counted>("get");
    let forward = b.asynchronous::<Counted>("forward");
    let state = b.asynchronous::<Counted>("state");
    let bump = b.synchronous::<Counted, usize>("bump");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|(((), reply), item)| reply.send(item));
    b.when(forward)
        .named("relay")
        .then_with(move |join, (item,)| join.send(put, item));
    let owned = tracker.make(); // id 0, owned by a body's closure
    b.when(bump)
        .and(state)
        .named("swap")
        .then_with(move |join, ((new, reply), old)| {
            // Borrows the whole value, so that the closure owns it (a bare
            // `owned.id` would capture only that `Copy` field).
            let owned: &Counted = &owned;
            assert_eq!(owned.id, 0);
            let id = old.id;
            drop(old);
            join.send(state, new);
            reply.send(id);
        });
    let join = b.build().unwrap();
    join.send(state, tracker.make()); // id 1

    let threads: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let (join, tracker) = (join.clone(), Arc::clone(&tracker));
            thread::spawn(move || {
                for _ in 0..PER_PRODUCER {
                    join.send(put, tracker.make());
                    join.send(forward, tracker.make());
                }
            })
        })
        .chain((0..CONSUMERS).map(|_| {
            let join = join.clone();
            // Fewer gets than direct puts: never blocks for good.
            thread::spawn(move || {
                for _ in 0..PRODUCERS * PER_PRODUCER / CONSUMERS {
                    drop(join.call(get, ()));
                }
            })
        }))
        .chain((0..BUMPERS).map(|_| {
            let (join, tracker) = (join.clone(), Arc::clone(&tracker));
            thread::spawn(move || {
                for _ in 0..BUMPS {
                    let old = join.call(bump, tracker.make());
                    assert_eq!(tracker.dropped(old), 1, "the replaced state");
                }
            })
        }))
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(join.waiting(state), 1);
    assert!(tracker.total() < tracker.created());
    assert_eq!(tracker.dropped(0), 0, "a body's closure dropped early");
    drop(join);
    tracker.wait_for_all_drops();
}

/// Synchronous calls with tiny timeouts racing a producer: a call taken by
/// the chord has its argument moved into the body (which drops it, and
/// answers with its id); a call that timed out gets its own argument back,
/// not dropped. Every argument is dropped exactly once.
#[test]
fn timed_out_arguments_come_back_and_taken_ones_move_into_the_body() {
    const CALLERS: usize = 3;
    const CALLS: usize = 8000;
    const PUTS: usize = 12_000;
    const PATIENCE: [Duration; 4] = [
        Duration::ZERO,
        Duration::from_micros(2),
        Duration::from_micros(20),
        Duration::from_micros(100),
    ];

    let tracker = Tracker::new(CALLERS * CALLS);
    let mut b = Join::builder();
    let get = b.synchronous::<Counted, usize>("get");
    let put = b.asynchronous::<()>("put");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|((arg, reply), ())| reply.send(arg.id)); // `arg` drops here
    let join = b.build().unwrap();

    let taken: usize = thread::scope(|s| {
        let join = &join;
        s.spawn(move || {
            for i in 0..PUTS {
                join.send(put, ());
                // Bursts and pauses, so that calls both find a `put` and wait.
                if i % 4 == 0 {
                    thread::sleep(Duration::from_micros(20));
                }
            }
        });
        let callers: Vec<_> = (0..CALLERS)
            .map(|_| {
                let tracker = &tracker;
                s.spawn(move || {
                    let mut taken = 0;
                    for i in 0..CALLS {
                        let arg = tracker.make();
                        let id = arg.id;
                        match join.call_timeout(get, arg, PATIENCE[i % PATIENCE.len()]) {
                            Ok(answer) => {
                                assert_eq!(answer, id, "another call's argument in the body");
                                assert_eq!(tracker.dropped(id), 1, "moved into the body");
                                taken += 1;
                            }
                            Err(e) => {
                                let arg = e.into_inner();
                                assert_eq!(arg.id, id, "another call's argument came back");
                                assert_eq!(tracker.dropped(id), 0, "dropped, not returned");
                                drop(arg);
                                assert_eq!(tracker.dropped(id), 1);
                            }
                        }
                    }
                    taken
                })
            })
            .collect();
        callers.into_iter().map(|h| h.join().unwrap()).sum()
    });

    assert_eq!(join.waiting(get), 0);
    assert_eq!(taken + join.waiting(put), PUTS);
    tracker.assert_all_dropped_once();
    drop(join);
    tracker.assert_all_dropped_once();
}

/// A synchronous body that panics drops the messages it consumed once (while
/// unwinding), and the join stays usable; the rest drop once with the join.
#[test]
fn panicking_body_drops_its_messages_once() {
    let tracker = Tracker::new(10);
    let mut b = Join::builder();
    let put = b.asynchronous::<Counted>("put");
    let get = b.synchronous::<bool, usize>("get");
    b.when(get)
        .and(put)
        .named("maybe_panic")
        .then(|((fail, reply), item)| {
            assert!(!fail, "asked to panic holding {}", item.id);
            reply.send(item.id);
        });
    let join = b.build().unwrap();

    for _ in 0..4 {
        join.send(put, tracker.make());
    }
    let result = panic::catch_unwind(AssertUnwindSafe(|| join.call(get, true)));
    assert!(result.is_err());
    assert_eq!(tracker.dropped_ids(), [0]);
    assert_eq!(join.call(get, false), 1);
    assert_eq!(tracker.dropped_ids(), [0, 1]);
    drop(join);
    tracker.assert_all_dropped_once();
}
