//! The future (`examples/future`): set once, and every reader, before or after
//! the set, gets that value.

#[allow(dead_code)]
#[path = "../examples/future/future.rs"]
mod future;

mod common;

use std::thread;

use common::{wait_until, within};
use future::Future;

#[test]
fn readers_before_and_after_the_set_get_the_value() {
    within("readers", || {
        let f = Future::new();
        assert!(f.try_get().is_err(), "no value yet");
        let early: Vec<_> = (0..8)
            .map(|_| {
                let f = f.clone();
                thread::spawn(move || f.get())
            })
            .collect();
        wait_until("early readers wait", || f.waiting()["get"] == 8);
        assert_eq!(f.set(String::from("v")), Ok(()));
        for r in early {
            assert_eq!(r.join().unwrap(), "v");
        }
        for _ in 0..100 {
            assert_eq!(f.get(), "v");
        }
    });
}

#[test]
fn the_value_is_set_once() {
    let f = Future::new();
    assert_eq!(f.set(1), Ok(()));
    assert_eq!(f.set(2), Err(2));
    assert_eq!(f.get(), 1);
    // Exactly one value message stays queued, whatever happened.
    assert_eq!((f.waiting()["value"], f.waiting()["unset"]), (1, 0));
}

#[test]
fn racing_setters_one_wins_and_every_reader_sees_it() {
    within("setters", || {
        for _ in 0..200 {
            let f = Future::new();
            let (results, read): (Vec<Result<(), u32>>, Vec<u32>) = thread::scope(|s| {
                // Readers start before, during and after the setters race.
                let readers: Vec<_> = (0..3)
                    .map(|_| {
                        let f = &f;
                        s.spawn(move || f.get())
                    })
                    .collect();
                let setters: Vec<_> = (0..4)
                    .map(|i| {
                        let f = &f;
                        s.spawn(move || f.set(i))
                    })
                    .collect();
                let late: Vec<_> = (0..3)
                    .map(|_| {
                        let f = &f;
                        s.spawn(move || f.get())
                    })
                    .collect();
                (
                    setters.into_iter().map(|t| t.join().unwrap()).collect(),
                    readers
                        .into_iter()
                        .chain(late)
                        .map(|t| t.join().unwrap())
                        .collect(),
                )
            });
            let winners: Vec<u32> = (0..4).filter(|&i| results[i as usize].is_ok()).collect();
            assert_eq!(winners.len(), 1, "{results:?}");
            for (i, r) in results.iter().enumerate() {
                if let Err(v) = r {
                    assert_eq!(*v, i as u32, "a losing setter gets its own value back");
                }
            }
            assert_eq!(
                read, [winners[0]; 6],
                "every reader gets the winner's value"
            );
            assert_eq!(f.get(), winners[0]);
            // Still exactly one value message, whatever the race.
            assert_eq!((f.waiting()["value"], f.waiting()["unset"]), (1, 0));
        }
    });
}
