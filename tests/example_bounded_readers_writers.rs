//! Readers and writers with bounded concurrency
//! (`examples/bounded_readers_writers`), after Chymyst: never more readers
//! or writers inside than the limits allow, never a reader beside a writer,
//! every visit done and the count back at zero; a caller past a limit waits
//! and takes nothing, and goes in once someone leaves.

#[allow(dead_code)]
#[path = "../examples/bounded_readers_writers/bounded_readers_writers.rs"]
mod bounded_readers_writers;

mod common;

use std::thread;

use bounded_readers_writers::{Access, Limits};
use chords::Waiting;
use common::{wait_until, within};

fn limits(readers: usize, writers: usize) -> Limits {
    Limits { readers, writers }
}

/// No one inside, and no one waiting.
fn assert_at_rest(access: &Access, limits: Limits) {
    assert_eq!(access.access_now(), (0, limits));
    let rest: Waiting = [
        ("access", 1),
        ("start_read", 0),
        ("start_write", 0),
        ("end_read", 0),
        ("end_write", 0),
    ]
    .into_iter()
    .collect();
    assert_eq!(access.waiting(), rest);
}

#[test]
fn a_crowd_stays_within_the_limits_and_never_mixes() {
    within("bounded readers and writers", || {
        for (r, w, threads, write_every) in [
            (3, 2, 8, 4),
            (1, 1, 6, 2),
            (4, 1, 8, 3),
            (1, 3, 8, 2),
            (2, 2, 12, 1), // writers only
            (5, 5, 10, 7),
        ] {
            let lim = limits(r, w);
            let access = Access::new(lim);
            let rounds = 200;
            let tally =
                bounded_readers_writers::crowd(&access, threads, rounds, write_every, &|| {
                    // While inside, the count agrees with the kind of visit.
                    let (k, _) = access.access_now();
                    assert!(-(w as isize) <= k && k <= r as isize, "{lim:?}: k = {k}");
                    assert_ne!(k, 0, "{lim:?}: inside, but the count is zero");
                });
            assert_eq!(tally.mixed, 0, "{lim:?}: a reader beside a writer");
            assert!(tally.most_readers <= r, "{lim:?}: {tally:?}");
            assert!(tally.most_writers <= w, "{lim:?}: {tally:?}");
            assert_eq!(tally.reads + tally.writes, threads * rounds, "{lim:?}");
            let writes = (0..threads)
                .map(|t| (0..rounds).filter(|i| (t + i) % write_every == 0).count())
                .sum::<usize>();
            assert_eq!(tally.writes, writes, "{lim:?}");
            assert_at_rest(&access, lim);
        }
    });
}

#[test]
fn readers_go_in_up_to_the_limit_and_keep_writers_out() {
    let lim = limits(3, 2);
    let access = Access::new(lim);
    for k in 1..=3 {
        access.start_read();
        assert_eq!(access.access_now(), (k, lim));
    }
    assert!(access.try_start_read().is_err(), "a fourth reader");
    assert!(access.try_start_write().is_err(), "a writer beside readers");
    assert_eq!(access.access_now(), (3, lim), "the refused took nothing");
    access.end_read();
    assert!(
        access.try_start_write().is_err(),
        "a writer beside two readers"
    );
    access.start_read();
    (0..3).for_each(|_| access.end_read());
    assert_at_rest(&access, lim);
}

#[test]
fn writers_go_in_up_to_the_limit_and_keep_readers_out() {
    let lim = limits(3, 2);
    let access = Access::new(lim);
    access.start_write();
    access.start_write();
    assert_eq!(access.access_now(), (-2, lim));
    assert!(access.try_start_write().is_err(), "a third writer");
    assert!(access.try_start_read().is_err(), "a reader beside writers");
    access.end_write();
    assert!(access.try_start_read().is_err(), "a reader beside a writer");
    assert!(access.try_start_write().is_ok(), "a second writer again");
    access.end_write();
    access.end_write();
    assert_at_rest(&access, lim);
    assert!(access.try_start_read().is_ok(), "no one inside: a reader");
    access.end_read();
    assert_at_rest(&access, lim);
}

#[test]
fn a_waiting_reader_goes_in_when_a_reader_leaves() {
    within("a reader waits for a place", || {
        let lim = limits(1, 1);
        let access = Access::new(lim);
        access.start_read();
        let reader = {
            let access = access.clone();
            thread::spawn(move || {
                access.start_read();
                access.access_now()
            })
        };
        wait_until("the reader waits", || access.waiting()["start_read"] == 1);
        assert_eq!(access.access_now(), (1, lim));
        access.end_read();
        assert_eq!(reader.join().unwrap(), (1, lim), "the second reader is in");
        access.end_read();
        assert_at_rest(&access, lim);
    });
}

#[test]
fn a_waiting_writer_goes_in_once_the_last_reader_leaves() {
    within("a writer waits for the readers", || {
        let lim = limits(2, 1);
        let access = Access::new(lim);
        access.start_read();
        access.start_read();
        let writer = {
            let access = access.clone();
            thread::spawn(move || {
                let _writing = access.write();
                access.access_now()
            })
        };
        wait_until("the writer waits", || access.waiting()["start_write"] == 1);
        access.end_read();
        assert_eq!(access.access_now(), (1, lim), "one reader is still inside");
        assert_eq!(access.waiting()["start_write"], 1, "the writer still waits");
        access.end_read();
        assert_eq!(writer.join().unwrap(), (-1, lim), "the writer was in alone");
        assert_at_rest(&access, lim);
    });
}
