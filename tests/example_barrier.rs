//! The reusable barriers (`examples/barrier`): no thread passes before all
//! arrive, round after round, for the four-party `Barrier` and for
//! `CountingBarrier`s of run-time sizes.

#[allow(dead_code)]
#[path = "../examples/barrier/barrier.rs"]
mod barrier;

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;

use barrier::{Barrier, CountingBarrier, PARTIES};
use chords::Waiting;
use common::{wait_until, within};

/// Runs `rounds` rounds of `parties` threads through `arrive`. Each thread,
/// once it passes a round, checks that all `parties` arrived in that round and
/// that nobody has passed the next round yet (which would need it there too).
fn check_rounds(parties: usize, rounds: usize, arrive: impl Fn() + Clone + Send + 'static) {
    let arrived: Arc<Vec<AtomicUsize>> =
        Arc::new((0..rounds).map(|_| AtomicUsize::new(0)).collect());
    let passed: Arc<Vec<AtomicUsize>> =
        Arc::new((0..rounds).map(|_| AtomicUsize::new(0)).collect());
    let threads: Vec<_> = (0..parties)
        .map(|_| {
            let (arrive, arrived, passed) = (arrive.clone(), arrived.clone(), passed.clone());
            thread::spawn(move || {
                for round in 0..rounds {
                    arrived[round].fetch_add(1, SeqCst);
                    arrive();
                    assert_eq!(
                        arrived[round].load(SeqCst),
                        parties,
                        "passed early in round {round}"
                    );
                    if round + 1 < rounds {
                        assert_eq!(
                            passed[round + 1].load(SeqCst),
                            0,
                            "someone passed round {} without us",
                            round + 1
                        );
                    }
                    passed[round].fetch_add(1, SeqCst);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(arrived.iter().all(|a| a.load(SeqCst) == parties));
    assert!(passed.iter().all(|p| p.load(SeqCst) == parties));
}

#[test]
fn no_thread_passes_before_all_arrive_round_after_round() {
    within("barrier rounds", || {
        let barrier = Barrier::new();
        let b = barrier.clone();
        check_rounds(PARTIES, 2000, move || b.arrive());
        let nobody: Waiting = [("arrive", 0)].into_iter().collect();
        assert_eq!(barrier.waiting(), nobody);
    });
}

#[test]
fn three_arrivals_wait_for_the_fourth() {
    let barrier = Barrier::new();
    let waiting: Vec<_> = (0..PARTIES - 1)
        .map(|_| {
            let b = barrier.clone();
            thread::spawn(move || b.arrive())
        })
        .collect();
    wait_until("three threads wait", || {
        barrier.waiting()["arrive"] == PARTIES - 1
    });
    assert!(waiting.iter().all(|t| !t.is_finished()));
    assert!(
        barrier.try_arrive().is_ok(),
        "the fourth completes the round"
    );
    for t in waiting {
        t.join().unwrap();
    }
    assert!(barrier.try_arrive().is_err(), "a new round waits again");
}

/// The `CountingBarrier` at rest: one `round` state message, nobody waiting.
fn at_rest() -> Waiting {
    [
        ("count_in", 0),
        ("pass_even", 0),
        ("pass_odd", 0),
        ("open_even", 0),
        ("open_odd", 0),
        ("round", 1),
    ]
    .into_iter()
    .collect()
}

#[test]
fn counting_barrier_no_thread_passes_before_all_arrive_for_any_size() {
    within("counting barrier rounds", || {
        for (parties, rounds) in [(1, 200), (2, 1000), (3, 500), (5, 300), (9, 100)] {
            let barrier = CountingBarrier::new(parties);
            let b = barrier.clone();
            check_rounds(parties, rounds, move || b.arrive());
            assert_eq!(barrier.waiting(), at_rest(), "{parties} parties");
        }
    });
}

#[test]
fn counting_barrier_waits_for_the_last_arrival_then_resets() {
    const N: usize = 6;
    let barrier = CountingBarrier::new(N);
    for round in 0..3 {
        let waiting: Vec<_> = (0..N - 1)
            .map(|_| {
                let b = barrier.clone();
                thread::spawn(move || b.arrive())
            })
            .collect();
        // N - 1 have counted in and wait to pass; the state counts them.
        wait_until("N - 1 threads wait", || {
            let waiting = barrier.waiting();
            waiting["pass_even"] + waiting["pass_odd"] == N - 1
        });
        assert!(
            waiting.iter().all(|t| !t.is_finished()),
            "round {round}: passed early"
        );
        barrier.arrive();
        for t in waiting {
            t.join().unwrap();
        }
        wait_until("back to gathering", || barrier.waiting() == at_rest());
    }
}
