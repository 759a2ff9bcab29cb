//! Regression tests for races the randomized tester's issue found in the
//! matcher, each named after the rule it broke (see the firing rules in
//! `docs/reference.md`). Each was seen failing before its fix; the loom models
//! `loom_try_call_waits_for_a_claim_rolled_back` and
//! `loom_earlier_chord_wins_a_concurrent_arrival` check the same shapes
//! exhaustively. Also a bug of awaited calls found by the async Santa.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;

#[path = "../chords-runtime/tests/joins/mod.rs"]
mod joins;
use joins::{claim_race, earlier_and_later, ClaimRace};

/// A `try_` call fires when its chord can fire, even while another match
/// holds one of its messages claimed and is about to give it back.
///
/// Chords `t & p`, `u & p & q`, `v & q`; one `p` queued, and every body that
/// takes `p` sends it back. One thread loops `try_call(t)`, one
/// `try_call(u)`, one `send(q)` then `try_call(v)`. `try_call(t)` may fail
/// only while a `u` firing holds `p`: each failure must overlap a `try_call(u)`
/// that succeeded. (On two cores the race shows only when the scheduler
/// preempts `u`'s thread inside its claim: a few runs make that near sure.)
#[test]
fn try_call_is_not_turned_away_by_a_claim_rolled_back() {
    for _ in 0..4 {
        claims_rolled_back_under_try_calls();
    }
}

fn claims_rolled_back_under_try_calls() {
    const ROUNDS: usize = 1_000_000;
    let (join, ClaimRace { p, q, t, u, v }) = claim_race();

    // `u`'s calls: how many started and finished, and which succeeded.
    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let u_thread = {
        let (join, started, finished, done) = (
            join.clone(),
            started.clone(),
            finished.clone(),
            done.clone(),
        );
        thread::spawn(move || {
            let mut outcomes = Vec::new();
            while !done.load(SeqCst) {
                started.fetch_add(1, SeqCst);
                outcomes.push(join.try_call(u, ()).is_ok());
                finished.fetch_add(1, SeqCst);
            }
            outcomes
        })
    };
    let v_thread = {
        let (join, done) = (join.clone(), done.clone());
        thread::spawn(move || {
            while !done.load(SeqCst) {
                join.send(q, ());
                let _ = join.try_call(v, ());
            }
        })
    };
    // For each failed `try_call(t)`: the `u` calls that may overlap it,
    // numbered from 1: those not finished when it began, up to those
    // started when it ended.
    let mut failures = Vec::new();
    let mut rounds = 0;
    while rounds < ROUNDS || started.load(SeqCst) < ROUNDS {
        rounds += 1;
        let before = finished.load(SeqCst);
        let fired = join.try_call(t, ()).is_ok();
        let after = started.load(SeqCst);
        if !fired {
            failures.push((before + 1, after));
        }
    }
    done.store(true, SeqCst);
    let outcomes = u_thread.join().unwrap();
    v_thread.join().unwrap();

    let unexplained = failures
        .iter()
        .filter(|&&(first, last)| !(first..=last).any(|k| outcomes[k - 1]))
        .count();
    assert_eq!(
        unexplained,
        0,
        "{unexplained} of {} failed try_call(t) overlapped no firing of `u & p & q` (p was queued)",
        failures.len()
    );
    assert_eq!(join.waiting(p), 1, "p is always sent back");
}

/// When two arrivals together enable two chords, the one declared first
/// fires, whichever arrival came last.
///
/// Chords `c & e` first, `a & c` second; one `e` queued; `a` and `c` sent at
/// the same moment from two threads (each spins until the round starts). In
/// either order of the two arrivals the rules fire `c & e` and leave `a`
/// queued.
#[test]
fn earlier_chord_wins_concurrent_arrivals() {
    const ROUNDS: usize = 20_000;
    let joins: Vec<_> = (0..ROUNDS).map(|_| earlier_and_later()).collect();
    let joins = Arc::new(joins);
    // Round `k` starts when `go` is `k + 1`; the sender counts it in `sent`.
    let go = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (joins, go, sent) = (joins.clone(), go.clone(), sent.clone());
        thread::spawn(move || {
            for (k, (join, [_, _, a])) in joins.iter().enumerate() {
                while go.load(SeqCst) <= k {
                    std::hint::spin_loop();
                }
                join.send(*a, ());
                sent.store(k + 1, SeqCst);
            }
        })
    };
    let mut wrong = 0;
    for (k, (join, [c, e, a])) in joins.iter().enumerate() {
        go.store(k + 1, SeqCst);
        join.send(*c, ());
        while sent.load(SeqCst) <= k {
            std::hint::spin_loop();
        }
        // Each send reserved its firing before it returned.
        if (join.waiting(*c), join.waiting(*e), join.waiting(*a)) != (0, 0, 1) {
            wrong += 1;
        }
    }
    sender.join().unwrap();
    assert_eq!(
        wrong, 0,
        "`a & c` beat the earlier `c & e` in {wrong} of {ROUNDS} rounds"
    );
}

/// An awaited call that completes a chord whose body hands the call's own
/// reply to another caller (Santa's team of reindeer, each released later)
/// waits for that reply as a queued call does: its poll returns `Pending`.
/// Before the fix the poll parked its thread until the reply came, which
/// deadlocks a single-threaded executor (the other caller's task never runs).
#[test]
fn an_awaited_call_whose_reply_goes_elsewhere_does_not_block_its_poll() {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let mut b = chords::Join::builder();
    let boss = b.synchronous::<(), chords::Reply<u32>>("boss");
    let worker = b.synchronous::<(), u32>("worker");
    b.when(boss)
        .and(worker)
        .then(|(((), to_boss), ((), to_worker))| to_boss.send(to_worker));
    let join = b.build().unwrap();
    let mut cx = Context::from_waker(Waker::noop());

    let mut boss_call = Box::pin(join.call_async(boss, ()));
    assert!(boss_call.as_mut().poll(&mut cx).is_pending());
    // The worker completes the chord and runs it in its poll: the body hands
    // the worker's reply to the boss, so the worker must wait.
    let mut worker_call = Box::pin(join.call_async(worker, ()));
    assert!(worker_call.as_mut().poll(&mut cx).is_pending());
    let Poll::Ready(reply) = boss_call.as_mut().poll(&mut cx) else {
        panic!("the boss was handed the worker's reply")
    };
    reply.send(7);
    assert_eq!(worker_call.as_mut().poll(&mut cx), Poll::Ready(7));
}

/// A thread whose call runs the body itself, and whose reply the body hands
/// to another caller, waits for that caller to send it, whether it is sent
/// before or after the body returns (the caller then parks until it is).
#[test]
fn a_thread_call_whose_reply_goes_elsewhere_waits_for_it() {
    let mut b = chords::Join::builder();
    let boss = b.synchronous::<(), chords::Reply<u32>>("boss");
    let worker = b.synchronous::<u32, u32>("worker");
    b.when(boss)
        .and(worker)
        .then(|(((), to_boss), (_, to_worker))| to_boss.send(to_worker));
    let join = b.build().unwrap();
    for round in 0..200u32 {
        let j = join.clone();
        let boss_thread = thread::spawn(move || {
            let reply = j.call(boss, ());
            if round % 2 == 0 {
                thread::yield_now();
            }
            reply.send(round);
        });
        // Either thread may fire the chord; the worker's result is the
        // boss's to send in both cases.
        assert_eq!(join.call(worker, round), round);
        boss_thread.join().unwrap();
    }
    assert_eq!((join.waiting(boss), join.waiting(worker)), (0, 0));
}
