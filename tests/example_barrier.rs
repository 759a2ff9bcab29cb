//! The reusable barrier (`examples/barrier`): no thread passes before all
//! arrive, round after round.

#[allow(dead_code)]
#[path = "../examples/barrier/barrier.rs"]
mod barrier;

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;

use barrier::{Barrier, PARTIES};
use common::{wait_until, within};

#[test]
fn no_thread_passes_before_all_arrive_round_after_round() {
    const ROUNDS: usize = 2000;
    within("barrier rounds", || {
        let barrier = Barrier::new();
        let arrived: Arc<Vec<AtomicUsize>> =
            Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
        let passed: Arc<Vec<AtomicUsize>> =
            Arc::new((0..ROUNDS).map(|_| AtomicUsize::new(0)).collect());
        let threads: Vec<_> = (0..PARTIES)
            .map(|_| {
                let (barrier, arrived, passed) = (barrier.clone(), arrived.clone(), passed.clone());
                thread::spawn(move || {
                    for round in 0..ROUNDS {
                        arrived[round].fetch_add(1, SeqCst);
                        barrier.arrive();
                        assert_eq!(
                            arrived[round].load(SeqCst),
                            PARTIES,
                            "passed early in {round}"
                        );
                        if round + 1 < ROUNDS {
                            // Nobody is in the next round before this one is passed by us.
                            assert!(arrived[round + 1].load(SeqCst) < PARTIES);
                        }
                        passed[round].fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(passed.iter().all(|p| p.load(SeqCst) == PARTIES));
        assert_eq!(
            format!("{barrier:?}"),
            r#"Barrier { channels: {"arrive": 0}, chords: ["release"] }"#
        );
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
        format!("{barrier:?}").contains(&format!("\"arrive\": {}", PARTIES - 1))
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
