//! A call that times out leaves nothing behind in its channel's queue: memory
//! stays bounded by the calls actually waiting, however many calls withdraw,
//! and whether or not a call that never times out waits ahead of them.
#![cfg(not(loom))]

use std::thread;
use std::time::Duration;

use chords_runtime::__private::held_calls;
use chords_runtime::{Join, SyncChannel};

mod joins;
use joins::buffer;

/// How many calls withdraw in each test.
const WITHDRAWALS: usize = 1_000_000;

/// What a channel's queue may hold beyond its waiting calls once no call is
/// in progress: its last entry, which stays linked until another call queues
/// behind it, and the entries unlinked in the last three reclamation epochs.
const SLACK: usize = 4;

/// A bound on the entries held while threads withdraw at once. Besides the
/// calls in progress, it counts the entries unlinked while some thread was in
/// the middle of an operation on the queue: they are freed once it is done
/// (`epoch` in the runtime), so their number depends on how long the scheduler
/// leaves that thread out. Here it allows a stall of a good fraction of the
/// run, and still tells a leak (which holds about `WITHDRAWALS`).
const STALLED: usize = WITHDRAWALS / 10;

/// Withdraws one call of `get`: nothing can answer it.
fn withdraw_one(join: &Join, get: SyncChannel<u32, u32>) {
    let back = join.call_timeout(get, 9, Duration::ZERO).unwrap_err();
    assert_eq!(back.into_inner(), 9);
}

/// Waits until `n` calls of `get` are queued.
fn wait_queued(join: &Join, get: SyncChannel<u32, u32>, n: usize) {
    while join.waiting(get) < n {
        thread::sleep(Duration::from_micros(50));
    }
}

#[test]
fn withdrawals_on_an_empty_channel_are_reclaimed() {
    let (join, put, get) = buffer();
    for i in 0..WITHDRAWALS {
        withdraw_one(&join, get);
        let held = held_calls(&join, get);
        assert!(held <= SLACK, "after {i} withdrawals, {held} entries held");
    }
    assert_eq!(join.waiting(get), 0);
    join.send(put, 7);
    assert_eq!(join.call(get, 1), 107);
    assert!(held_calls(&join, get) <= SLACK);
}

/// The hard case: a call that never times out waits at the head of the queue
/// while other threads' calls queue behind it and withdraw. (The waiting call
/// is answered before anything is asserted, so that a failure cannot hang.)
#[test]
fn withdrawals_behind_a_waiting_call_are_reclaimed() {
    const THREADS: usize = 2;
    let (join, put, get) = buffer();
    let (most, quiet, answer) = thread::scope(|s| {
        let patient = s.spawn(|| join.call(get, 1));
        wait_queued(&join, get, 1);
        let impatient: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..WITHDRAWALS / THREADS {
                        withdraw_one(&join, get);
                    }
                })
            })
            .collect();
        // Sampled while they run; no bound on time is asserted.
        let mut most = 0;
        while !impatient.iter().all(|t| t.is_finished()) {
            most = most.max(held_calls(&join, get));
            thread::sleep(Duration::from_millis(1));
        }
        impatient.into_iter().for_each(|t| t.join().unwrap());
        // Quiet again: a few withdrawals reclaim what the others left.
        for _ in 0..SLACK {
            withdraw_one(&join, get);
        }
        let quiet = held_calls(&join, get);
        join.send(put, 7);
        (most, quiet, patient.join().unwrap())
    });
    // At once: the patient call, each impatient one, the last entry, and the
    // entries awaiting reclamation.
    assert!(most <= STALLED, "{most} entries held at once");
    assert!(
        quiet <= 1 + SLACK,
        "{quiet} entries held for one waiting call"
    );
    // The patient call kept its place: the put went to it.
    assert_eq!(answer, 107);
    assert_eq!(join.waiting(put), 0);
    assert_eq!(join.waiting(get), 0);
}

/// Withdrawn calls between waiting ones are unlinked, and the waiting ones
/// are still served oldest first: each put, sent once the previous caller has
/// returned, goes to the oldest call still waiting.
#[test]
fn waiting_calls_keep_their_order_across_withdrawn_ones() {
    let (join, put, get) = buffer();
    let (held, served) = thread::scope(|s| {
        let mut waiting = Vec::new();
        for arg in 1..=3 {
            let join = &join;
            waiting.push(Some(s.spawn(move || (arg, join.call(get, arg)))));
            wait_queued(join, get, arg as usize);
            for _ in 0..10 {
                withdraw_one(join, get);
            }
        }
        let held = held_calls(&join, get);
        let mut served = Vec::new();
        for v in 1..=3 {
            join.send(put, v);
            // One caller was served: wait for it to return.
            let finished = loop {
                let finished = waiting
                    .iter()
                    .position(|t| t.as_ref().is_some_and(|t| t.is_finished()));
                match finished {
                    Some(i) => break i,
                    None => thread::sleep(Duration::from_micros(50)),
                }
            };
            served.push(waiting[finished].take().unwrap().join().unwrap());
        }
        (held, served)
    });
    assert!(
        held <= 3 + SLACK,
        "{held} entries held for three waiting calls"
    );
    assert_eq!(served, [(1, 101), (2, 202), (3, 303)]);
}
