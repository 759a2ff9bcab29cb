//! The lock (`examples/lock`): mutual exclusion, no lost update, and exactly
//! one `free()` token whenever no one holds it.

#[allow(dead_code)]
#[path = "../examples/lock/lock.rs"]
mod lock;

use std::panic;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread;

use lock::{Lock, Tally};

mod common;
use common::{wait_until, within};

/// The number of `free()` tokens queued now.
fn tokens(lock: &Lock) -> usize {
    lock.waiting()["free"]
}

#[test]
fn a_new_lock_is_free_and_taking_it_takes_the_token() {
    let lock = Lock::new();
    assert_eq!(tokens(&lock), 1);
    lock.acquire();
    assert_eq!(tokens(&lock), 0);
    assert!(lock.try_acquire().is_err(), "held: no second acquire");
    assert!(lock.try_lock().is_none());
    lock.free();
    assert_eq!(tokens(&lock), 1);
    let held = lock.try_lock().expect("free again");
    assert!(lock.try_lock().is_none());
    drop(held);
    assert_eq!(tokens(&lock), 1, "the guard frees it");
}

#[test]
fn acquire_waits_for_the_holder() {
    let lock = Lock::new();
    let held = lock.lock();
    let entered = AtomicBool::new(false);
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            let _held = lock.lock();
            entered.store(true, SeqCst);
        });
        wait_until("the second acquire is queued", || {
            lock.waiting()["acquire"] == 1
        });
        assert!(!entered.load(SeqCst), "entered while the lock was held");
        drop(held);
        waiter.join().unwrap();
    });
    assert!(entered.load(SeqCst));
    assert_eq!(tokens(&lock), 1);
}

#[test]
fn mutual_exclusion_and_no_lost_update() {
    const THREADS: usize = 4;
    const PER: usize = 1500;
    let lock = Lock::new();
    let tally = within("4 counting threads", {
        let lock = lock.clone();
        move || lock::count(&lock, THREADS, PER)
    });
    assert_eq!(
        tally,
        Tally {
            count: (THREADS * PER) as u64,
            most_inside: 1
        },
        "every addition counted, never two threads inside"
    );
    assert_eq!(tokens(&lock), 1, "exactly one token at the end");
}

#[test]
fn raw_acquire_and_free_exclude_each_other() {
    use std::sync::atomic::AtomicUsize;
    const THREADS: usize = 3;
    const PER: usize = 2000;
    let lock = Lock::new();
    let inside = AtomicUsize::new(0);
    let entries = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..PER {
                    lock.acquire();
                    assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders at once");
                    entries.fetch_add(1, SeqCst);
                    assert_eq!(inside.fetch_sub(1, SeqCst), 1);
                    lock.free();
                }
            });
        }
    });
    assert_eq!(entries.into_inner(), THREADS * PER);
    assert_eq!(tokens(&lock), 1);
}

/// More threads than cores, half the calls with a short timeout: callers
/// are handed the lock while not running and passed by running ones, and
/// give up while queued or passed. Never two holders, every entry or
/// give-up counted once, one token at the end and no call left queued.
#[test]
fn passed_and_timed_out_callers_lose_no_token() {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;
    const THREADS: usize = 6;
    const PER: usize = 1500;
    let lock = Lock::new();
    let inside = AtomicUsize::new(0);
    let (entries, gave_up) = (AtomicUsize::new(0), AtomicUsize::new(0));
    thread::scope(|s| {
        for t in 0..THREADS {
            let (lock, inside, entries, gave_up) = (&lock, &inside, &entries, &gave_up);
            s.spawn(move || {
                for i in 0..PER {
                    if (i + t) % 2 == 0 {
                        lock.acquire();
                    } else if lock.acquire_timeout(Duration::from_micros(20)).is_err() {
                        gave_up.fetch_add(1, SeqCst);
                        continue;
                    }
                    assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders at once");
                    thread::yield_now();
                    inside.fetch_sub(1, SeqCst);
                    entries.fetch_add(1, SeqCst);
                    lock.free();
                }
            });
        }
    });
    assert_eq!(entries.into_inner() + gave_up.into_inner(), THREADS * PER);
    assert_eq!(tokens(&lock), 1);
    assert_eq!(lock.waiting()["acquire"], 0);
}

#[test]
fn a_panicking_holder_frees_the_lock() {
    let lock = Lock::new();
    let result = thread::scope(|s| {
        s.spawn(|| {
            let _held = lock.lock();
            panic!("the holder fails");
        })
        .join()
    });
    assert!(result.is_err());
    assert_eq!(tokens(&lock), 1, "the guard freed it while unwinding");
    let _again = lock.try_lock().expect("free after the panic");
}
