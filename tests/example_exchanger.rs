//! The exchanger (`examples/exchanger`): values swapped in symmetric pairs,
//! every value received exactly once.

#[allow(dead_code)]
#[path = "../examples/exchanger/exchanger.rs"]
mod exchanger;

mod common;

use std::collections::HashMap;
use std::sync::Barrier;
use std::thread;

use common::{sorted, within};
use exchanger::Exchanger;

#[test]
fn two_callers_swap() {
    let e = Exchanger::new();
    let e2 = e.clone();
    let t = thread::spawn(move || e2.exchange(1));
    assert_eq!(e.exchange(2), 1);
    assert_eq!(t.join().unwrap(), 2);
    assert!(e.try_exchange(3).is_err(), "alone, nobody to swap with");
}

#[test]
fn many_callers_swap_in_symmetric_pairs() {
    within("exchanges", || {
        const THREADS: u32 = 8;
        const EACH: u32 = 300;
        let e = Exchanger::new();
        let round_done = Barrier::new(THREADS as usize);
        // Each value names its sender and its round: value = thread * EACH + i.
        // Rounds keep every thread's calls paired (an even number outstanding).
        let got: Vec<(u32, u32)> = thread::scope(|s| {
            let threads: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (e, round_done) = (&e, &round_done);
                    s.spawn(move || {
                        (0..EACH)
                            .map(|i| {
                                let pair = (t * EACH + i, e.exchange(t * EACH + i));
                                round_done.wait();
                                pair
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        let partner: HashMap<u32, u32> = got.iter().copied().collect();
        for (&mine, &theirs) in &partner {
            assert_eq!(
                partner[&theirs], mine,
                "{mine} and {theirs} did not swap with each other"
            );
            assert_ne!(mine / EACH, theirs / EACH, "a thread exchanged with itself");
            assert_eq!(mine % EACH, theirs % EACH, "a swap across rounds");
        }
        let all: Vec<u32> = (0..THREADS * EACH).collect();
        assert_eq!(
            sorted(got.iter().map(|g| g.1).collect()),
            all,
            "each value received once"
        );
    });
}
