//! The semaphore (`examples/semaphore`): never more than n holders, n can hold
//! at once, and exactly n permits at the end.

#[allow(dead_code)]
#[path = "../examples/semaphore/semaphore.rs"]
mod semaphore;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Barrier;
use std::thread;

use semaphore::Semaphore;

mod common;
use common::{wait_until, within};

/// Takes every free permit without waiting, and gives them back: how many
/// there were. Asserts that a further `try_acquire` found none.
fn free_permits(s: &Semaphore) -> usize {
    let free = std::iter::from_fn(|| s.try_acquire().ok()).count();
    assert!(s.try_acquire().is_err());
    (0..free).for_each(|_| s.release());
    free
}

#[test]
fn a_new_semaphore_has_exactly_n_permits() {
    for n in [0, 1, 3, 10] {
        let s = Semaphore::new(n);
        assert_eq!(free_permits(&s), n);
        assert_eq!(free_permits(&s), n, "counting gave them back");
        assert_eq!(s.waiting()["permit"], n);
    }
}

#[test]
fn release_sends_a_permit_back_and_acquire_waits_for_it() {
    let s = Semaphore::new(1);
    s.acquire();
    assert!(s.try_acquire().is_err(), "the only permit is taken");
    thread::scope(|scope| {
        let waiter = scope.spawn(|| s.acquire());
        wait_until("the second acquire waits", || s.waiting()["acquire"] == 1);
        assert!(!waiter.is_finished());
        s.release();
        waiter.join().unwrap();
    });
    assert_eq!(free_permits(&s), 0, "the waiter holds it");
    s.release();
    assert_eq!(free_permits(&s), 1);
}

#[test]
fn n_threads_hold_permits_together_and_the_next_waits() {
    const N: usize = 4;
    let s = Semaphore::new(N);
    let all_in = Barrier::new(N + 1);
    let checked = Barrier::new(N + 1);
    thread::scope(|scope| {
        for _ in 0..N {
            scope.spawn(|| {
                let _permit = s.hold();
                all_in.wait();
                checked.wait();
            });
        }
        all_in.wait();
        // N holders at once, and none left for a fifth.
        assert!(s.try_acquire().is_err(), "an (n+1)th permit");
        checked.wait();
    });
    assert_eq!(free_permits(&s), N);
}

#[test]
fn never_more_than_n_holders_and_permits_are_conserved() {
    const N: usize = 3;
    const THREADS: usize = 8;
    const ROUNDS: usize = 400;
    let s = Semaphore::new(N);
    let tally = within("8 threads on 3 permits", {
        let s = s.clone();
        move || {
            semaphore::crowd(&s, THREADS, ROUNDS, &|now| {
                assert!(now <= N, "{now} holders of {N} permits");
            })
        }
    });
    assert_eq!(tally.entries, THREADS * ROUNDS, "every round got a permit");
    assert!(tally.most_inside <= N, "{tally:?}");
    assert!(tally.most_inside >= 1);
    assert_eq!(free_permits(&s), N, "exactly n permits at the end");
}

#[test]
fn raw_acquire_and_release_conserve_permits() {
    const N: usize = 2;
    const THREADS: usize = 5;
    const ROUNDS: usize = 1000;
    let s = Semaphore::new(N);
    let holders = AtomicUsize::new(0);
    thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..ROUNDS {
                    s.acquire();
                    let now = holders.fetch_add(1, SeqCst) + 1;
                    assert!(now <= N, "{now} holders of {N} permits");
                    holders.fetch_sub(1, SeqCst);
                    s.release();
                }
            });
        }
    });
    assert_eq!(free_permits(&s), N);
}
