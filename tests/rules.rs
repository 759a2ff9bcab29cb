//! The rules of docs/reference.md's *Firing rules*, the calls of *The generated
//! API* (`try_`, `_timeout`, `_deadline`) and the executor of *What runs
//! where*, each shown by the tests named after it, through the run-time API.
//!
//! Single-threaded tests assert exact outcomes: which chord fired, with which
//! messages, and the waiting counts afterwards (a firing reserves its messages
//! before `send` or `call` returns, so the counts are exact at once).
//! Multi-threaded tests check invariants: every message consumed exactly once,
//! counts conserved, no chord left enabled.

use std::collections::HashMap;
use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use chords::{
    AsyncChannel, BuildError, Join, JoinBuilder, SyncChannel, TimeoutError, TryCallError,
};

mod common;
use common::{spawn_queued, wait_until};

fn me() -> ThreadId {
    thread::current().id()
}

// ---------------------------------------------------------------------------
// Atomic: all of a chord's messages at once, or none.

#[test]
fn atomic_three_term_chord_needs_all_three() {
    let mut b = Join::builder();
    let get = b.synchronous::<u32, (u32, char, &'static str)>("get");
    let x = b.asynchronous::<char>("x");
    let y = b.asynchronous::<&'static str>("y");
    b.when(get)
        .and(x)
        .and(y)
        .named("all_three")
        .then(|((n, r), c, s)| r.send((n, c, s)));
    let join = b.build().unwrap();

    // get and x are there, y is not: nothing fires, nothing is consumed.
    join.send(x, 'a');
    join.send(x, 'b');
    assert_eq!(join.try_call(get, 1), Err(TryCallError(1)));
    assert_eq!(
        (join.waiting(get), join.waiting(x), join.waiting(y)),
        (0, 2, 0)
    );

    // A queued caller and two x: still two of three.
    let caller = spawn_queued(&join, get, 1, move |j| j.call(get, 2));
    assert_eq!(
        (join.waiting(get), join.waiting(x), join.waiting(y)),
        (1, 2, 0)
    );

    // The third arrives: the chord fires, consuming exactly one of each.
    join.send(y, "first");
    assert_eq!(
        (join.waiting(get), join.waiting(x), join.waiting(y)),
        (0, 1, 0)
    );
    assert_eq!(caller.join().unwrap(), (2, 'a', "first"));

    // y and x without get: two of three again.
    join.send(y, "second");
    assert_eq!(
        (join.waiting(get), join.waiting(x), join.waiting(y)),
        (0, 1, 1)
    );
    assert_eq!(join.try_call(get, 3), Ok((3, 'b', "second")));
    assert_eq!(
        (join.waiting(get), join.waiting(x), join.waiting(y)),
        (0, 0, 0)
    );
}

#[test]
fn atomic_async_chord_consumes_one_of_each() {
    let mut b = Join::builder();
    let a = b.asynchronous::<u32>("a");
    let bb = b.asynchronous::<u32>("b");
    let c = b.asynchronous::<u32>("c");
    let (tx, rx) = mpsc::channel();
    b.when(a)
        .and(bb)
        .and(c)
        .named("abc")
        .then(move |(a, b, c)| tx.send((a, b, c)).unwrap());
    let join = b.build().unwrap();

    join.send(a, 1);
    join.send(a, 2);
    join.send(bb, 10);
    assert_eq!(
        (join.waiting(a), join.waiting(bb), join.waiting(c)),
        (2, 1, 0)
    );

    join.send(c, 100);
    assert_eq!(
        (join.waiting(a), join.waiting(bb), join.waiting(c)),
        (1, 0, 0)
    );
    assert_eq!(rx.recv().unwrap(), (1, 10, 100));

    join.send(c, 200);
    assert_eq!(
        (join.waiting(a), join.waiting(bb), join.waiting(c)),
        (1, 0, 1)
    );
    join.send(bb, 20);
    assert_eq!(
        (join.waiting(a), join.waiting(bb), join.waiting(c)),
        (0, 0, 0)
    );
    assert_eq!(rx.recv().unwrap(), (2, 20, 200));
    assert!(rx.try_recv().is_err(), "one firing per complete set");
}

// ---------------------------------------------------------------------------
// Eager: a message that completes a pattern fires it at once; a message waits
// only while no chord it is part of can fire.

#[test]
fn eager_async_chord_fires_when_its_last_message_arrives() {
    let mut b = Join::builder();
    let a = b.asynchronous::<u32>("a");
    let bb = b.asynchronous::<u32>("b");
    let c = b.asynchronous::<u32>("c");
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    b.when(a)
        .and(bb)
        .named("a_and_b")
        .then(move |(a, b)| tx.send(("a_and_b", a, b)).unwrap());
    b.when(a)
        .and(c)
        .named("a_and_c")
        .then(move |(a, c)| tx2.send(("a_and_c", a, c)).unwrap());
    let join = b.build().unwrap();

    // No chord of `a` can fire: it waits.
    join.send(a, 1);
    assert_eq!(join.waiting(a), 1);
    // `c` completes `a & c`: fired before `send` returns.
    join.send(c, 2);
    assert_eq!(
        (join.waiting(a), join.waiting(bb), join.waiting(c)),
        (0, 0, 0)
    );
    assert_eq!(rx.recv().unwrap(), ("a_and_c", 1, 2));

    // Now `b` waits, and `a` completes `a & b`.
    join.send(bb, 3);
    assert_eq!(join.waiting(bb), 1);
    join.send(a, 4);
    assert_eq!(
        (join.waiting(a), join.waiting(bb), join.waiting(c)),
        (0, 0, 0)
    );
    assert_eq!(rx.recv().unwrap(), ("a_and_b", 4, 3));
}

#[test]
fn eager_sync_caller_returns_when_its_message_arrives() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|(((), r), n)| r.send(n));
    let join = b.build().unwrap();

    // The caller waits while no chord can fire...
    let caller = spawn_queued(&join, get, 1, move |j| j.call(get, ()));
    assert!(!caller.is_finished());
    // ...and the put that completes its chord fires it at once.
    join.send(put, 5);
    assert_eq!((join.waiting(get), join.waiting(put)), (0, 0));
    assert_eq!(caller.join().unwrap(), 5);

    // A put that finds no caller waits; a caller that finds it fires at once.
    join.send(put, 6);
    assert_eq!(join.waiting(put), 1);
    assert_eq!(join.call(get, ()), 6);
    assert_eq!((join.waiting(get), join.waiting(put)), (0, 0));
}

#[test]
fn eager_batch_arrives_at_once_and_fires_the_first_declared_chord_first() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    let pair = b.synchronous::<(), (u32, u32)>("pair");
    b.when(pair)
        .and(put.times::<2>())
        .named("pair")
        .then(|(((), r), [x, y])| r.send((x, y)));
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|(((), r), n)| r.send(n));
    let join = b.build().unwrap();

    // A `pair` and a `get` wait. Sent one by one, 1 would fire `deliver`
    // before 2 is there; sent as a batch, both are there at once, and
    // `pair`, declared first, fires.
    let paired = spawn_queued(&join, pair, 1, move |j| j.call(pair, ()));
    let got = spawn_queued(&join, get, 1, move |j| j.call(get, ()));
    join.send_all(put, [1, 2]);
    assert_eq!(
        (join.waiting(put), join.waiting(get), join.waiting(pair)),
        (0, 1, 0)
    );
    assert_eq!(paired.join().unwrap(), (1, 2));
    join.send(put, 3);
    assert_eq!(got.join().unwrap(), 3);

    // With no caller the batch waits, in order; an empty batch is no send.
    join.send_all(put, 5..8);
    join.send_all(put, []);
    assert_eq!(join.waiting(put), 3);
    assert_eq!(join.call(pair, ()), (5, 6));
    assert_eq!(join.call(get, ()), 7);

    // A batch whose iterator panics sends what it gave before.
    let caller = spawn_queued(&join, get, 1, move |j| j.call(get, ()));
    let panicking = (10..).map(|n| if n < 12 { n } else { panic!("no more") });
    let sent = std::panic::catch_unwind(|| join.send_all(put, panicking));
    assert!(sent.is_err());
    assert_eq!(caller.join().unwrap(), 10);
    assert_eq!(join.waiting(put), 1);
    assert_eq!(join.call(get, ()), 11);
}

#[test]
fn eager_batch_answers_every_waiting_caller_it_can_each_message_once() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    b.when(get).and(put).then(|(((), r), n)| r.send(n));
    let join = b.build().unwrap();
    let callers: Vec<_> = (1..=5)
        .map(|queued| spawn_queued(&join, get, queued, move |j| j.call(get, ())))
        .collect();
    join.send_all(put, 0..8);
    let mut got: Vec<u32> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2, 3, 4], "the five oldest, each once");
    assert_eq!((join.waiting(put), join.waiting(get)), (3, 0));
    assert_eq!([0; 3].map(|_| join.call(get, ())), [5, 6, 7]);
}

// ---------------------------------------------------------------------------
// Priority: when one arrival enables several chords, the first declared fires.

fn add_c_and(
    b: &mut JoinBuilder,
    c: SyncChannel<(), (&'static str, u32)>,
    x: AsyncChannel<u32>,
    name: &'static str,
) {
    b.when(c)
        .and(x)
        .named(name)
        .then(move |(((), r), n)| r.send((name, n)));
}

/// `c & a` and `c & b`, declared in the given order, with `a` and `b` both
/// queued: each arrival of `c` fires the first declared, 100 times over.
fn priority_rounds(a_first: bool) {
    let mut b = Join::builder();
    let a = b.asynchronous::<u32>("a");
    let bb = b.asynchronous::<u32>("b");
    let c = b.synchronous::<(), (&'static str, u32)>("c");
    if a_first {
        add_c_and(&mut b, c, a, "c_and_a");
        add_c_and(&mut b, c, bb, "c_and_b");
    } else {
        add_c_and(&mut b, c, bb, "c_and_b");
        add_c_and(&mut b, c, a, "c_and_a");
    }
    let join = b.build().unwrap();
    let (winner, loser) = if a_first { (a, bb) } else { (bb, a) };
    let name = if a_first { "c_and_a" } else { "c_and_b" };
    for round in 0..100 {
        join.send(a, round);
        join.send(bb, round);
        assert_eq!(join.call(c, ()), (name, round));
        assert_eq!(join.waiting(winner), 0);
        assert_eq!(join.waiting(loser), round as usize + 1);
    }
}

#[test]
fn priority_first_declared_chord_fires() {
    priority_rounds(true);
}

#[test]
fn priority_reverse_declaration_reverses_the_winner() {
    priority_rounds(false);
}

#[test]
fn priority_first_declared_async_chord_fires() {
    for a_first in [true, false] {
        let mut b = Join::builder();
        let a = b.asynchronous::<u32>("a");
        let bb = b.asynchronous::<u32>("b");
        let c = b.asynchronous::<u32>("c");
        let (tx, rx) = mpsc::channel();
        let chords: [(AsyncChannel<u32>, &'static str); 2] = if a_first {
            [(a, "c_and_a"), (bb, "c_and_b")]
        } else {
            [(bb, "c_and_b"), (a, "c_and_a")]
        };
        for (x, name) in chords {
            let tx = tx.clone();
            b.when(c)
                .and(x)
                .named(name)
                .then(move |(c, x)| tx.send((name, c, x)).unwrap());
        }
        let join = b.build().unwrap();
        let name = if a_first { "c_and_a" } else { "c_and_b" };
        for round in 0..100 {
            join.send(a, round);
            join.send(bb, round);
            join.send(c, 1000 + round);
            assert_eq!(rx.recv().unwrap(), (name, 1000 + round, round));
        }
        let (winner, loser) = if a_first { (a, bb) } else { (bb, a) };
        assert_eq!((join.waiting(winner), join.waiting(loser)), (0, 100));
    }
}

/// Santa waits for 9 reindeer or 3 elves; both groups are there when he asks.
fn santa_rounds(reindeer_first: bool) {
    type Group = (&'static str, Vec<u32>);
    let mut b = Join::builder();
    let santa = b.synchronous::<(), Group>("santa");
    let reindeer = b.asynchronous::<u32>("reindeer");
    let elf = b.asynchronous::<u32>("elf");
    let deliver = |b: &mut JoinBuilder| {
        b.when(santa)
            .and(reindeer.times::<9>())
            .named("deliver")
            .then(|(((), r), team)| r.send(("deliver", team.to_vec())));
    };
    let consult = |b: &mut JoinBuilder| {
        b.when(santa)
            .and(elf.times::<3>())
            .named("consult")
            .then(|(((), r), group)| r.send(("consult", group.to_vec())));
    };
    if reindeer_first {
        deliver(&mut b);
        consult(&mut b);
    } else {
        consult(&mut b);
        deliver(&mut b);
    }
    let join = b.build().unwrap();
    let team = || ("deliver", (0..9).collect::<Vec<u32>>());
    let group = || ("consult", vec![0, 1, 2]);
    for _ in 0..20 {
        // The elves arrive first and the reindeer last: arrival order does not
        // matter, only declaration order does.
        join.send(elf, 0);
        for r in 0..5 {
            join.send(reindeer, r);
        }
        join.send(elf, 1);
        join.send(elf, 2);
        for r in 5..9 {
            join.send(reindeer, r);
        }
        assert_eq!((join.waiting(reindeer), join.waiting(elf)), (9, 3));
        let (first, second) = if reindeer_first {
            (team(), group())
        } else {
            (group(), team())
        };
        assert_eq!(join.call(santa, ()), first);
        assert_eq!(join.call(santa, ()), second);
        assert_eq!((join.waiting(reindeer), join.waiting(elf)), (0, 0));
    }
}

#[test]
fn priority_santa_reindeer_declared_first_win() {
    santa_rounds(true);
}

#[test]
fn priority_santa_elves_declared_first_win() {
    santa_rounds(false);
}

// ---------------------------------------------------------------------------
// Per-channel order: a chord takes the oldest messages of each channel.

#[test]
fn order_buffer_returns_messages_oldest_first() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    b.when(get).and(put).then(|(((), r), n)| r.send(n));
    let join = b.build().unwrap();

    for n in 1..=100 {
        join.send(put, n);
    }
    let got: Vec<u32> = (0..100).map(|_| join.call(get, ())).collect();
    assert_eq!(got, (1..=100).collect::<Vec<_>>());

    // Interleaved puts and gets keep the order too.
    for n in 1..=50 {
        join.send(put, n);
    }
    let mut got: Vec<u32> = (0..25).map(|_| join.call(get, ())).collect();
    for n in 51..=100 {
        join.send(put, n);
    }
    got.extend((0..75).map(|_| join.call(get, ())));
    assert_eq!(got, (1..=100).collect::<Vec<_>>());
}

#[test]
fn order_repeated_term_binds_oldest_first() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let take = b.synchronous::<(), [u32; 3]>("take");
    let item = b.asynchronous::<u32>("item");
    let (tx, rx) = mpsc::channel();
    b.when(take)
        .and(put.times::<3>())
        .then(|(((), r), three)| r.send(three));
    b.when(item.times::<3>())
        .then(move |(three,)| tx.send(three).unwrap());
    let join = b.build().unwrap();

    for n in 1..=7 {
        join.send(put, n);
    }
    assert_eq!(join.call(take, ()), [1, 2, 3]);
    assert_eq!(join.call(take, ()), [4, 5, 6]);
    assert_eq!(join.waiting(put), 1);
    assert!(join.try_call(take, ()).is_err());

    // One firing at a time (see the test below for concurrent firings).
    for n in 1..=3 {
        join.send(item, n);
    }
    assert_eq!(rx.recv().unwrap(), [1, 2, 3]);
    for n in 4..=6 {
        join.send(item, n);
    }
    assert_eq!(rx.recv().unwrap(), [4, 5, 6]);
    assert_eq!(join.waiting(item), 0);
}

#[test]
fn order_separate_terms_of_one_channel_take_oldest_in_term_order() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let other = b.asynchronous::<char>("other");
    let take = b.synchronous::<(), (u32, char, u32)>("take");
    let pair = b.asynchronous::<u32>("pair");
    let (tx, rx) = mpsc::channel();
    b.when(take)
        .and(put)
        .and(other)
        .and(put)
        .then(|(((), r), first, c, second)| r.send((first, c, second)));
    b.when(pair)
        .and(pair)
        .then(move |(first, second)| tx.send((first, second)).unwrap());
    let join = b.build().unwrap();

    for n in 1..=3 {
        join.send(put, n);
    }
    join.send(other, 'x');
    assert_eq!(join.call(take, ()), (1, 'x', 2));
    join.send(other, 'y');
    join.send(put, 4);
    assert_eq!(join.call(take, ()), (3, 'y', 4));

    // One firing at a time (see the test below for concurrent firings).
    for n in [1, 2] {
        join.send(pair, n);
    }
    assert_eq!(rx.recv().unwrap(), (1, 2));
    for n in [3, 4] {
        join.send(pair, n);
    }
    assert_eq!(rx.recv().unwrap(), (3, 4));
}

/// Firings that overlap in time (asynchronous bodies on several workers) each
/// take the oldest messages not yet taken when their bodies take them, so
/// their batches may interleave (as decided for `tests/stress.rs`); what
/// holds is that each firing's messages of a channel are in sending order,
/// in term order, and that every message is consumed once.
#[test]
fn order_overlapping_async_firings_keep_term_order_and_consume_each_message_once() {
    const FIRINGS: u32 = 300;
    let mut b = Join::builder();
    let pair = b.asynchronous::<u32>("pair");
    let item = b.asynchronous::<u32>("item");
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    b.when(pair)
        .and(pair)
        .named("pair")
        .then(move |(first, second)| tx.send(vec![first, second]).unwrap());
    b.when(item.times::<3>())
        .named("three")
        .then(move |(three,)| tx2.send(three.to_vec()).unwrap());
    let join = b.build().unwrap();
    for n in 0..2 * FIRINGS {
        join.send(pair, n);
    }
    for n in 0..3 * FIRINGS {
        join.send(item, 10_000 + n);
    }
    let mut all = Vec::new();
    for _ in 0..2 * FIRINGS {
        let firing = rx.recv().unwrap();
        assert!(
            firing.windows(2).all(|w| w[0] < w[1]),
            "not oldest first: {firing:?}"
        );
        assert!(
            firing.iter().all(|&n| n < 10_000) || firing.iter().all(|&n| n >= 10_000),
            "a firing mixed channels: {firing:?}"
        );
        all.extend(firing);
    }
    all.sort_unstable();
    let sent: Vec<u32> = (0..2 * FIRINGS)
        .chain(10_000..10_000 + 3 * FIRINGS)
        .collect();
    assert_eq!(all, sent, "a message was lost or duplicated");
    assert_eq!((join.waiting(pair), join.waiting(item)), (0, 0));
}

#[test]
fn order_sync_callers_are_served_oldest_first() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<usize, (usize, u32)>("get");
    b.when(get).and(put).then(|((who, r), n)| r.send((who, n)));
    let join = b.build().unwrap();

    let callers: Vec<_> = (0..3)
        .map(|who| spawn_queued(&join, get, who + 1, move |j| j.call(get, who)))
        .collect();
    for (who, caller) in callers.into_iter().enumerate() {
        join.send(put, 10 * who as u32);
        assert_eq!(join.waiting(get), 2 - who);
        assert_eq!(caller.join().unwrap(), (who, 10 * who as u32));
    }
}

// ---------------------------------------------------------------------------
// Where bodies run.

#[test]
fn where_async_body_never_runs_on_the_senders_thread() {
    let mut b = Join::builder();
    let ping = b.asynchronous::<ThreadId>("ping");
    let left = b.asynchronous::<ThreadId>("left");
    let right = b.asynchronous::<ThreadId>("right");
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    b.when(ping)
        .named("ping")
        .then(move |(sender,)| tx.send((sender, me())).unwrap());
    // The sender of `right` completes the chord: still not its thread.
    b.when(left)
        .and(right)
        .named("pair")
        .then(move |(_, sender)| tx2.send((sender, me())).unwrap());
    let join = b.build().unwrap();

    let send_all = move |join: &Join| {
        for _ in 0..50 {
            join.send(ping, me());
            join.send(left, me());
            join.send(right, me());
        }
    };
    send_all(&join);
    let j = join.clone();
    thread::spawn(move || send_all(&j)).join().unwrap();
    for _ in 0..200 {
        let (sender, body) = rx.recv().unwrap();
        assert_ne!(
            sender, body,
            "an asynchronous body ran on its sender's thread"
        );
    }
}

#[test]
fn where_single_sync_caller_runs_the_body_on_its_thread() {
    let mut b = Join::builder();
    let put = b.asynchronous::<()>("put");
    let get = b.synchronous::<(), ThreadId>("get");
    // The synchronous term need not come first in the pattern.
    b.when(put).and(get).then(|((), ((), r))| r.send(me()));
    let join = b.build().unwrap();

    // The put is there: the caller fires the chord itself.
    join.send(put, ());
    assert_eq!(join.call(get, ()), me());

    // The caller is queued and the put, sent from this thread, completes the
    // chord: the body still runs on the caller's thread.
    let caller = spawn_queued(&join, get, 1, move |j| (me(), j.call(get, ())));
    join.send(put, ());
    let (caller_id, body_id) = caller.join().unwrap();
    assert_eq!(body_id, caller_id);
    assert_ne!(body_id, me());
}

type Swapped = (char, ThreadId);

fn exchanger() -> (Join, SyncChannel<char, Swapped>, SyncChannel<char, Swapped>) {
    let mut b = Join::builder();
    let left = b.synchronous::<char, Swapped>("left");
    let right = b.synchronous::<char, Swapped>("right");
    b.when(left)
        .and(right)
        .named("exchange")
        .then(|((l, rl), (r, rr))| {
            rl.send((r, me()));
            rr.send((l, me()));
        });
    (b.build().unwrap(), left, right)
}

#[test]
fn where_rendezvous_runs_on_a_callers_thread_and_answers_each() {
    let (join, left, right) = exchanger();
    for left_first in [true, false] {
        let call = |j: Join, ch, v| (me(), j.call(ch, v));
        let (first, second) = if left_first {
            (left, right)
        } else {
            (right, left)
        };
        let a = spawn_queued(&join, first, 1, move |j| call(j, first, 'A'));
        let j = join.clone();
        let b = thread::spawn(move || call(j, second, 'B'));
        let (a_id, (a_got, a_body)) = a.join().unwrap();
        let (b_id, (b_got, b_body)) = b.join().unwrap();
        assert_eq!(
            (a_got, b_got),
            ('B', 'A'),
            "each caller gets its own result"
        );
        assert_eq!(a_body, b_body, "one firing");
        assert!(
            a_body == a_id || a_body == b_id,
            "body ran on neither caller"
        );
        assert_eq!((join.waiting(left), join.waiting(right)), (0, 0));
    }

    // Concurrently, many times.
    for _ in 0..50 {
        let start = Arc::new(Barrier::new(2));
        let spawn = |ch, v| {
            let (j, start) = (join.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                (me(), j.call(ch, v))
            })
        };
        let a = spawn(left, 'L');
        let b = spawn(right, 'R');
        let (a_id, (a_got, a_body)) = a.join().unwrap();
        let (b_id, (b_got, b_body)) = b.join().unwrap();
        assert_eq!((a_got, b_got), ('R', 'L'));
        assert_eq!(a_body, b_body);
        assert!(a_body == a_id || a_body == b_id);
    }
}

#[test]
fn where_rendezvous_completed_by_an_async_message_runs_on_its_first_sync_terms_caller() {
    let mut b = Join::builder();
    let left = b.synchronous::<char, Swapped>("left");
    let right = b.synchronous::<char, Swapped>("right");
    let go = b.asynchronous::<()>("go");
    b.when(go)
        .and(left)
        .and(right)
        .then(|((), (l, rl), (r, rr))| {
            rl.send((r, me()));
            rr.send((l, me()));
        });
    let join = b.build().unwrap();
    for left_first in [true, false] {
        let call = |ch, v| move |j: Join| (me(), j.call(ch, v));
        let (l, r) = if left_first {
            let l = spawn_queued(&join, left, 1, call(left, 'L'));
            (l, spawn_queued(&join, right, 1, call(right, 'R')))
        } else {
            let r = spawn_queued(&join, right, 1, call(right, 'R'));
            (spawn_queued(&join, left, 1, call(left, 'L')), r)
        };
        join.send(go, ());
        let (l_id, (l_got, l_body)) = l.join().unwrap();
        let (_, (r_got, r_body)) = r.join().unwrap();
        assert_eq!((l_got, r_got), ('R', 'L'));
        assert_eq!(
            l_body, l_id,
            "the caller of the first synchronous term runs it"
        );
        assert_eq!(r_body, l_id);
    }
}

#[test]
fn where_repeated_sync_term_gives_each_caller_its_own_element() {
    type Answer = (usize, u32, ThreadId);
    let mut b = Join::builder();
    let s = b.synchronous::<u32, Answer>("s");
    let t = b.synchronous::<u32, Answer>("t");
    let go = b.asynchronous::<()>("go");
    let answer = |calls: [(u32, chords::Reply<Answer>); 3]| {
        for (k, (arg, r)) in calls.into_iter().enumerate() {
            r.send((k, arg, me()));
        }
    };
    b.when(s.times::<3>()).then(move |(calls,)| answer(calls));
    b.when(t.times::<3>())
        .and(go)
        .then(move |(calls, ())| answer(calls));
    let join = b.build().unwrap();

    // The third caller completes `[s; 3]`: it binds oldest first, and each
    // caller gets the element of its own position.
    let callers: Vec<_> = (0..3)
        .map(|k| {
            // The first two queue; the third completes the chord.
            let queued = if k < 2 { k as usize + 1 } else { 0 };
            spawn_queued(&join, s, queued, move |j| (me(), j.call(s, 100 + k)))
        })
        .collect();
    let results: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    let body = results[0].1 .2;
    for (k, (_, (pos, arg, body_id))) in results.iter().enumerate() {
        assert_eq!((*pos, *arg), (k, 100 + k as u32));
        assert_eq!(*body_id, body, "one firing");
    }
    assert!(
        results.iter().any(|(id, _)| *id == body),
        "body ran on a caller"
    );
    assert_eq!(join.waiting(s), 0);

    // Three queued callers, completed by `go`: the body runs on the oldest.
    let callers: Vec<_> = (0..3)
        .map(|k| {
            spawn_queued(&join, t, k as usize + 1, move |j| {
                (me(), j.call(t, 200 + k))
            })
        })
        .collect();
    join.send(go, ());
    let results: Vec<_> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    let oldest = results[0].0;
    for (k, (_, (pos, arg, body_id))) in results.iter().enumerate() {
        assert_eq!((*pos, *arg), (k, 200 + k as u32));
        assert_eq!(*body_id, oldest);
    }
}

#[test]
fn rendezvous_exchanger_pairs_callers_under_contention() {
    // Threads exchange on one channel (`ex & ex`) until 1000 calls have been
    // answered. A call that finds no partner in time (at the end, or while
    // the others are busy) is withdrawn: its value must go to nobody.
    const THREADS: u32 = 4;
    const ANSWERED: u32 = 1000;
    let mut b = Join::builder();
    let ex = b.synchronous::<u32, u32>("exchange");
    b.when(ex).and(ex).then(|((x, rx), (y, ry))| {
        rx.send(y);
        ry.send(x);
    });
    let join = b.build().unwrap();
    let answered = AtomicUsize::new(0);
    let pairs: Vec<(u32, u32)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (join, answered) = (&join, &answered);
                scope.spawn(move || {
                    let mut pairs = Vec::new();
                    for attempt in 0.. {
                        if answered.load(SeqCst) >= ANSWERED as usize {
                            break;
                        }
                        let mine = t * 100_000 + attempt;
                        match join.call_timeout(ex, mine, Duration::from_millis(10)) {
                            Ok(theirs) => {
                                pairs.push((mine, theirs));
                                answered.fetch_add(1, SeqCst);
                            }
                            Err(e) => assert_eq!(e.into_inner(), mine),
                        }
                    }
                    pairs
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(pairs.len() >= ANSWERED as usize);
    assert_eq!(pairs.len() % 2, 0, "calls are answered in pairs");
    let got: HashMap<u32, u32> = pairs.iter().copied().collect();
    assert_eq!(got.len(), pairs.len());
    for (mine, theirs) in pairs {
        assert_ne!(
            mine / 100_000,
            theirs / 100_000,
            "a thread exchanged with itself"
        );
        assert_eq!(
            got.get(&theirs),
            Some(&mine),
            "{mine} got {theirs}, which did not get {mine}"
        );
    }
    assert_eq!(join.waiting(ex), 0);
}

// ---------------------------------------------------------------------------
// try_call: fires if it can, otherwise leaves no trace.

#[test]
fn try_call_fails_without_a_trace() {
    let mut b = Join::builder();
    let put = b.asynchronous::<String>("put");
    let get = b.synchronous::<String, (String, String, ThreadId)>("get");
    b.when(get)
        .and(put)
        .then(|((arg, r), item)| r.send((arg, item, me())));
    let join = b.build().unwrap();

    let err = join.try_call(get, "mine".to_string()).unwrap_err();
    assert_eq!(err.into_inner(), "mine");
    assert_eq!(join.waiting(get), 0);
    // The failed try left no call behind to consume a later put.
    join.send(put, "p".to_string());
    assert_eq!(join.waiting(put), 1);

    // A chord can fire: the try fires it, running the body on this thread.
    let (arg, item, body) = join.try_call(get, "again".to_string()).unwrap();
    assert_eq!((arg.as_str(), item.as_str(), body), ("again", "p", me()));
    assert_eq!((join.waiting(get), join.waiting(put)), (0, 0));
}

#[test]
fn try_call_pairs_only_with_a_caller_already_there() {
    let (join, left, right) = exchanger();
    assert_eq!(join.try_call(left, 'x').unwrap_err().into_inner(), 'x');
    assert_eq!(join.waiting(left), 0);
    // The right caller that comes next is not paired with the failed try.
    let r = spawn_queued(&join, right, 1, move |j| j.call(right, 'R'));
    assert_eq!(join.waiting(left), 0);
    let (got, body) = join.try_call(left, 'L').unwrap();
    assert_eq!((got, body), ('R', me()));
    assert_eq!(r.join().unwrap(), ('L', me()));
    assert_eq!((join.waiting(left), join.waiting(right)), (0, 0));
}

// ---------------------------------------------------------------------------
// call_timeout / call_deadline.

#[test]
fn timeout_returns_the_argument_and_leaves_no_trace() {
    let mut b = Join::builder();
    let put = b.asynchronous::<String>("put");
    let get = b.synchronous::<String, String>("get");
    b.when(get)
        .and(put)
        .then(|((arg, r), item)| r.send(format!("{arg}+{item}")));
    let join = b.build().unwrap();

    let err = join
        .call_timeout(get, "t".to_string(), Duration::from_millis(1))
        .unwrap_err();
    assert_eq!(err.into_inner(), "t");
    assert_eq!(join.waiting(get), 0);
    let err = join
        .call_timeout(get, "zero".to_string(), Duration::ZERO)
        .unwrap_err();
    assert_eq!(err.into_inner(), "zero");
    let err = join
        .call_deadline(get, "d".to_string(), Instant::now())
        .unwrap_err();
    assert_eq!(err.into_inner(), "d");
    assert_eq!(join.waiting(get), 0);

    // No withdrawn call consumes a later put: it stays queued for the next.
    join.send(put, "p".to_string());
    assert_eq!(join.waiting(put), 1);
    assert_eq!(join.call(get, "c".to_string()), "c+p");
    assert_eq!((join.waiting(get), join.waiting(put)), (0, 0));
}

#[test]
fn timeout_returns_the_result_of_a_chord_that_fired_first() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<u32, u32>("get");
    b.when(get).and(put).then(|((a, r), n)| {
        thread::sleep(Duration::from_millis(50));
        r.send(a + n);
    });
    let join = b.build().unwrap();

    join.send(put, 10);
    assert_eq!(join.call_timeout(get, 1, Duration::from_millis(1)), Ok(11));
    join.send(put, 20);
    let deadline = Instant::now() + Duration::from_millis(1);
    assert_eq!(join.call_deadline(get, 2, deadline), Ok(22));
}

#[test]
fn timeout_never_drops_the_result_of_a_slow_rendezvous() {
    // `b & a`: b's caller runs the body, which sleeps past a's timeout after
    // taking a's call. Whether a's call was taken before its deadline is a
    // race; the rule is that a result is returned iff the call was consumed.
    let mut bld = Join::builder();
    let b = bld.synchronous::<(), u32>("b");
    let a = bld.synchronous::<u32, u32>("a");
    bld.when(b).and(a).then(|(((), rb), (n, ra))| {
        thread::sleep(Duration::from_millis(50));
        ra.send(2 * n);
        rb.send(n);
    });
    let join = bld.build().unwrap();

    let mut fired = 0;
    for n in 0..200 {
        let j = join.clone();
        let caller = thread::spawn(move || j.call_timeout(a, n, Duration::from_millis(1)));
        wait_until("the call is queued or gone", || {
            join.waiting(a) == 1 || caller.is_finished()
        });
        match join.try_call(b, ()) {
            Ok(taken) => {
                assert_eq!(taken, n);
                assert_eq!(
                    caller.join().unwrap(),
                    Ok(2 * n),
                    "a taken call lost its result"
                );
                fired += 1;
                if fired == 3 {
                    break;
                }
            }
            Err(_) => assert_eq!(caller.join().unwrap().unwrap_err().into_inner(), n),
        }
        assert_eq!((join.waiting(a), join.waiting(b)), (0, 0));
    }
    assert!(
        fired > 0,
        "no call was taken before its 1 ms deadline in 200 tries"
    );
}

// ---------------------------------------------------------------------------
// Errors and Debug.

struct Opaque(u8);

#[test]
fn errors_display_debug_and_error_trait() {
    let mut b = Join::builder();
    let get = b.synchronous::<Opaque, ()>("get");
    let put = b.asynchronous::<()>("put");
    b.when(get).and(put).then(|((_, r), ())| r.send(()));
    let join = b.build().unwrap();

    // Neither error needs `A: Debug`.
    let err = join.try_call(get, Opaque(1)).unwrap_err();
    assert_eq!(err.to_string(), "no chord could fire at once");
    assert_eq!(format!("{err:?}"), "TryCallError(..)");
    assert_eq!(err.into_inner().0, 1);
    let err: Box<dyn Error> = Box::new(TryCallError(Opaque(2)));
    assert!(err.source().is_none());
    assert_eq!(err.to_string(), "no chord could fire at once");

    let err = join
        .call_timeout(get, Opaque(3), Duration::ZERO)
        .unwrap_err();
    assert_eq!(err.to_string(), "timed out waiting for a chord");
    assert_eq!(format!("{err:?}"), "TimeoutError(..)");
    assert_eq!(err.into_inner().0, 3);
    let err: Box<dyn Error + Send + Sync> = Box::new(TimeoutError(Opaque(4)));
    assert!(err.source().is_none());
    assert_eq!(err.to_string(), "timed out waiting for a chord");
}

#[test]
fn errors_build_rejects_a_channel_of_another_builder() {
    let mut other = Join::builder();
    let foreign = other.asynchronous::<u32>("foreign");
    let mut b = Join::builder();
    let get = b.synchronous::<(), u32>("get");
    let put = b.asynchronous::<u32>("put");
    b.when(get)
        .and(put)
        .named("fine")
        .then(|(((), r), n)| r.send(n));
    b.when(get)
        .and(foreign)
        .named("stolen")
        .then(|(((), r), n)| r.send(n));
    let err = b.build().unwrap_err();
    assert_eq!(
        err,
        BuildError::ForeignChannel {
            chord: "stolen".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "chord `stolen` uses a channel declared on another builder"
    );
    assert!(format!("{err:?}").contains("ForeignChannel"));
    assert!(format!("{err:?}").contains("stolen"));
    let err: Box<dyn Error> = Box::new(err);
    assert!(err.source().is_none());
    // The other builder is unaffected.
    other.when(foreign).then(|(_,)| ());
    assert!(other.build().is_ok());
}

#[test]
fn debug_shows_channels_with_waiting_counts_and_chords() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    let reset = b.asynchronous::<()>("reset");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|(((), r), n)| r.send(n));
    b.when(reset).then(|((),)| ());
    let join = b.build().unwrap();
    join.send(put, 1);
    join.send(put, 2);

    let shown = format!("{join:?}");
    assert!(shown.starts_with("Join"), "{shown}");
    assert!(shown.contains(r#""put": 2"#), "{shown}");
    assert!(shown.contains(r#""get": 0"#), "{shown}");
    assert!(shown.contains(r#""reset": 0"#), "{shown}");
    assert!(shown.contains(r#""deliver""#), "{shown}");
    // An unnamed chord gets a default name.
    assert!(shown.contains(r#""chord1""#), "{shown}");

    // A queued call counts as waiting on its channel.
    join.call(get, ());
    join.call(get, ());
    let caller = spawn_queued(&join, get, 1, move |j| j.call(get, ()));
    let shown = format!("{join:?}");
    assert!(shown.contains(r#""put": 0"#), "{shown}");
    assert!(shown.contains(r#""get": 1"#), "{shown}");
    join.send(put, 3);
    assert_eq!(caller.join().unwrap(), 3);
    assert!(format!("{join:#?}").contains("deliver"));
}

// ---------------------------------------------------------------------------
// Executor.

#[test]
fn executor_async_bodies_blocking_on_sync_calls_do_not_deadlock() {
    const N: usize = 64;
    let mut b = Join::builder();
    let job = b.asynchronous::<usize>("job");
    let gate = b.synchronous::<usize, usize>("gate");
    let open = b.asynchronous::<()>("open");
    let started = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel();
    b.when(gate)
        .and(open)
        .named("pass")
        .then(|((i, r), ())| r.send(i));
    let s = started.clone();
    b.when(job)
        .named("blocking_job")
        .then_with(move |join, (i,)| {
            s.fetch_add(1, SeqCst);
            let back = join.call(gate, i);
            tx.send((i, back)).unwrap();
        });
    let join = b.build().unwrap();

    for i in 0..N {
        join.send(job, i);
    }
    // Every body is blocked in `gate` at once: none waits behind another.
    wait_until("all 64 bodies block in their call", || {
        join.waiting(gate) == N
    });
    assert_eq!(started.load(SeqCst), N);
    assert!(rx.try_recv().is_err(), "no gate was open");

    for _ in 0..N {
        join.send(open, ());
    }
    let mut done: Vec<usize> = (0..N)
        .map(|_| {
            let (i, back) = rx.recv().unwrap();
            assert_eq!(i, back, "each body got its own call's result");
            i
        })
        .collect();
    done.sort_unstable();
    assert_eq!(
        done,
        (0..N).collect::<Vec<_>>(),
        "each body finished exactly once"
    );
    assert_eq!(started.load(SeqCst), N);
    assert_eq!(
        (join.waiting(gate), join.waiting(open), join.waiting(job)),
        (0, 0, 0)
    );
}

#[test]
fn executor_wait_idle_waits_for_every_firing_and_those_they_set_off() {
    let mut b = Join::builder();
    let step = b.asynchronous::<u32>("step");
    let gate = b.synchronous::<(), ()>("gate");
    let open = b.asynchronous::<()>("open");
    let blocked = b.asynchronous::<()>("blocked");
    let ran = Arc::new(AtomicUsize::new(0));
    b.when(gate).and(open).then(|(((), r), ())| r.send(()));
    let r = ran.clone();
    b.when(step).then_with(move |join, (n,)| {
        thread::sleep(Duration::from_millis(1));
        r.fetch_add(1, SeqCst);
        // Each firing sets off the next, until 0.
        if n > 0 {
            join.send(step, n - 1);
        }
    });
    b.when(blocked)
        .then_with(move |join, ((),)| join.call(gate, ()));
    let join = b.build().unwrap();
    assert!(
        join.wait_idle_timeout(Duration::ZERO),
        "nothing to wait for"
    );
    for chain in 0..4 {
        join.send(step, 9 + chain);
    }
    join.wait_idle();
    assert_eq!(
        ran.load(SeqCst),
        10 + 11 + 12 + 13,
        "every firing of every chain ran"
    );

    // A body blocked in a call holds the wait until it returns.
    join.send(blocked, ());
    assert!(!join.wait_idle_timeout(Duration::from_millis(20)));
    join.send(open, ());
    assert!(join.wait_idle_timeout(Duration::from_secs(60)));
    assert_eq!(join.waiting(gate) + join.waiting(open), 0);
}

// ---------------------------------------------------------------------------
// Multi-threaded invariants.

#[test]
fn concurrent_buffer_delivers_every_message_exactly_once() {
    const PUTTERS: u32 = 3;
    const GETTERS: u32 = 3;
    const PER: u32 = 600;
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    b.when(get).and(put).then(|(((), r), n)| r.send(n));
    let join = b.build().unwrap();

    let per_getter: Vec<Vec<u32>> = thread::scope(|scope| {
        for p in 0..PUTTERS {
            let join = &join;
            scope.spawn(move || {
                for i in 0..PER {
                    join.send(put, p * PER + i);
                }
            });
        }
        let getters: Vec<_> = (0..GETTERS)
            .map(|_| {
                let join = &join;
                scope.spawn(move || {
                    (0..PUTTERS * PER / GETTERS)
                        .map(|_| join.call(get, ()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        getters.into_iter().map(|g| g.join().unwrap()).collect()
    });

    // Each getter sees each putter's messages in the order they were sent.
    for got in &per_getter {
        for p in 0..PUTTERS {
            let from_p: Vec<u32> = got.iter().copied().filter(|n| n / PER == p).collect();
            assert!(
                from_p.windows(2).all(|w| w[0] < w[1]),
                "out of order: {from_p:?}"
            );
        }
    }
    let mut all: Vec<u32> = per_getter.into_iter().flatten().collect();
    all.sort_unstable();
    assert_eq!(all, (0..PUTTERS * PER).collect::<Vec<_>>());
    assert_eq!((join.waiting(put), join.waiting(get)), (0, 0));
}

#[test]
fn concurrent_competing_chords_consume_each_message_once_and_leave_none_enabled() {
    const SENDERS: u32 = 3;
    const ROUNDS: u32 = 200;
    let mut b = Join::builder();
    let a = b.asynchronous::<u32>("a");
    let bb = b.asynchronous::<u32>("b");
    let c = b.asynchronous::<u32>("c");
    let drain_b = b.synchronous::<(), u32>("drain_b");
    let drain_c = b.synchronous::<(), u32>("drain_c");
    let drain_a = b.synchronous::<(), u32>("drain_a");
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    b.when(a)
        .and(bb)
        .named("a_and_b")
        .then(move |(a, b)| tx.send((a, Some(b), None)).unwrap());
    b.when(a)
        .and(c)
        .named("a_and_c")
        .then(move |(a, c)| tx2.send((a, None, Some(c))).unwrap());
    b.when(drain_a).and(a).then(|(((), r), n)| r.send(n));
    b.when(drain_b).and(bb).then(|(((), r), n)| r.send(n));
    b.when(drain_c).and(c).then(|(((), r), n)| r.send(n));
    let join = b.build().unwrap();

    let mut sent = [Vec::new(), Vec::new(), Vec::new()];
    for t in 0..SENDERS {
        for i in 0..ROUNDS {
            let v = t * 10_000 + i;
            sent[0].push(v);
            if i % 3 != 0 {
                sent[1].push(v);
            }
            if i % 2 == 0 {
                sent[2].push(v);
            }
        }
    }
    thread::scope(|scope| {
        for t in 0..SENDERS {
            let join = &join;
            scope.spawn(move || {
                for i in 0..ROUNDS {
                    let v = t * 10_000 + i;
                    join.send(a, v);
                    if i % 3 != 0 {
                        join.send(bb, v);
                    }
                    if i % 2 == 0 {
                        join.send(c, v);
                    }
                }
            });
        }
    });

    // Eager: no chord is left enabled. There are more b and c than a, so
    // every a was consumed, and the surplus of b and c waits.
    let (wa, wb, wc) = (join.waiting(a), join.waiting(bb), join.waiting(c));
    assert_eq!(wa, 0, "an `a` waits beside {wb} b and {wc} c");
    assert_eq!(wb + wc, sent[1].len() + sent[2].len() - sent[0].len());

    let mut consumed = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..sent[0].len() {
        let (x, y, z) = rx.recv().unwrap();
        consumed[0].push(x);
        consumed[1].extend(y);
        consumed[2].extend(z);
    }
    assert!(join.try_call(drain_a, ()).is_err());
    while let Ok(n) = join.try_call(drain_b, ()) {
        consumed[1].push(n);
    }
    while let Ok(n) = join.try_call(drain_c, ()) {
        consumed[2].push(n);
    }
    for (mut consumed, mut sent) in consumed.into_iter().zip(sent) {
        consumed.sort_unstable();
        sent.sort_unstable();
        assert_eq!(consumed, sent, "a message was lost or duplicated");
    }
    assert!(rx.try_recv().is_err());
}
