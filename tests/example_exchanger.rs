//! The exchanger (`examples/exchanger`): values swapped in symmetric pairs,
//! every value received exactly once.

#[allow(dead_code)]
#[path = "../examples/exchanger/exchanger.rs"]
mod exchanger;

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
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

#[test]
fn free_running_callers_swap_in_symmetric_pairs() {
    within("free exchanges", || {
        // No rounds: any two waiting callers may meet. The threads take the
        // values 0..TOTAL from a shared counter (TOTAL even, so the last two
        // calls still meet each other), and every value is unique, so "who got
        // whose" is a function that must be its own inverse.
        const THREADS: u32 = 6;
        const TOTAL: u32 = 3000;
        let e = Exchanger::new();
        let next = AtomicU32::new(0);
        let got: Vec<(u32, u32, u32)> = thread::scope(|s| {
            let threads: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (e, next) = (&e, &next);
                    s.spawn(move || {
                        let mut got = Vec::new();
                        loop {
                            let mine = next.fetch_add(1, SeqCst);
                            if mine >= TOTAL {
                                break got;
                            }
                            got.push((t, mine, e.exchange(mine)));
                        }
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        let partner: HashMap<u32, (u32, u32)> = got.iter().map(|&(t, m, g)| (m, (t, g))).collect();
        assert_eq!(partner.len(), TOTAL as usize);
        for (&mine, &(thread, theirs)) in &partner {
            let (their_thread, back) = partner[&theirs];
            assert_eq!(back, mine, "{mine} and {theirs} did not swap");
            assert_ne!(thread, their_thread, "a thread exchanged with itself");
        }
        assert_eq!(
            sorted(got.iter().map(|g| g.2).collect()),
            (0..TOTAL).collect::<Vec<_>>(),
            "each value received once"
        );
        assert_eq!(e.waiting()["exchange"], 0);
    });
}
