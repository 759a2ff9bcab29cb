//! The fair reader/writer lock (`examples/reader_writer`): no writer beside a
//! reader or another writer, readers share, a waiting writer stops new
//! readers, readers that waited go before the next writer, and a stream of
//! readers does not starve the writers.

#[allow(dead_code)]
#[path = "../examples/reader_writer/rwlock.rs"]
mod rwlock;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use rwlock::{ReaderWriter, Report, Rw};

mod common;
use common::{wait_until, within};

/// The lock's state, after checking that it is exactly one message (call it
/// when no chord runs: a running chord holds the message).
fn state(lock: &ReaderWriter) -> Rw {
    let waiting = lock.waiting();
    assert_eq!(waiting["state"], 1, "state in {waiting:?}");
    lock.state_now()
}

/// Asserts the lock is idle: one state message, and it is `Rw::Idle`.
fn assert_idle(lock: &ReaderWriter) {
    assert_eq!(state(lock), Rw::Idle);
}

#[test]
fn readers_share_the_lock() {
    let lock = ReaderWriter::new();
    assert_idle(&lock);
    lock.shared();
    // A second and a third reader get in while the first is inside.
    thread::scope(|s| {
        s.spawn(|| lock.shared()).join().unwrap();
        s.spawn(|| lock.shared()).join().unwrap();
    });
    assert_eq!(state(&lock), Rw::Readers(3));
    assert!(lock.try_shared().is_ok(), "a fourth, without waiting");
    for _ in 0..4 {
        lock.release_shared();
    }
    assert_idle(&lock);
}

#[test]
fn a_writer_excludes_readers_and_writers() {
    let lock = ReaderWriter::new();
    lock.exclusive();
    assert!(lock.try_shared().is_err(), "a reader beside the writer");
    assert!(lock.try_exclusive().is_err(), "a second writer");
    let inside = AtomicUsize::new(0);
    thread::scope(|s| {
        let reader = s.spawn(|| {
            let _r = lock.read();
            inside.fetch_add(1, SeqCst);
        });
        let writer = s.spawn(|| {
            let _w = lock.write();
            inside.fetch_add(1, SeqCst);
        });
        wait_until("both wait", || {
            lock.waiting()["shared"] == 1 && lock.waiting()["exclusive"] == 1
        });
        assert_eq!(inside.load(SeqCst), 0);
        assert!(!reader.is_finished() && !writer.is_finished());
        lock.release_exclusive();
    });
    assert_eq!(inside.into_inner(), 2);
    assert_idle(&lock);
}

#[test]
fn a_waiting_writer_stops_new_readers() {
    let lock = ReaderWriter::new();
    let order = Mutex::new(Vec::new());
    lock.shared();
    thread::scope(|s| {
        s.spawn(|| {
            let _w = lock.write();
            order.lock().unwrap().push("writer");
        });
        wait_until("the writer waits for the reader", || {
            lock.state_now() == Rw::Draining(1)
        });
        assert!(
            lock.try_shared().is_err(),
            "a new reader joins while a writer waits"
        );
        s.spawn(|| {
            let _r = lock.read();
            order.lock().unwrap().push("late reader");
        });
        wait_until("the late reader waits", || lock.waiting()["shared"] == 1);
        assert!(order.lock().unwrap().is_empty());
        lock.release_shared();
    });
    assert_eq!(order.into_inner().unwrap(), ["writer", "late reader"]);
    assert_idle(&lock);
}

#[test]
fn readers_that_waited_go_before_the_next_writer() {
    let lock = ReaderWriter::new();
    let order = Mutex::new(Vec::new());
    lock.exclusive();
    thread::scope(|s| {
        s.spawn(|| {
            let _r = lock.read();
            order.lock().unwrap().push("reader");
        });
        wait_until("the reader waits", || lock.waiting()["shared"] == 1);
        s.spawn(|| {
            let _w = lock.write();
            order.lock().unwrap().push("second writer");
        });
        wait_until("the second writer waits", || {
            lock.waiting()["exclusive"] == 1
        });
        lock.release_exclusive();
    });
    assert_eq!(order.into_inner().unwrap(), ["reader", "second writer"]);
    assert_idle(&lock);
}

#[test]
fn a_stream_of_readers_does_not_starve_the_writers() {
    const READERS: usize = 4;
    const WRITERS: usize = 2;
    const WRITES: usize = 25;
    // Each reader stays until another has come in: but for fairness, some
    // reader would always be inside, and the writers would never get in.
    let report = within("writers among lingering readers", || {
        rwlock::library(READERS, WRITERS, WRITES, Duration::from_millis(2))
    });
    assert_eq!(report.writes, WRITERS * WRITES, "every write done");
    assert_eq!(report.torn_reads, 0, "a reader saw a half-written page");
    assert_eq!(report.clashes, 0, "a writer beside a reader or a writer");
    assert!(report.reads >= READERS, "{report:?}");
    assert!(
        report.reads_while_writing >= 1,
        "readers kept coming while the writers worked: {report:?}"
    );
    assert!(report.most_readers >= 2, "readers shared: {report:?}");
}

#[test]
fn mixed_stress_keeps_exclusion_and_conserves_the_state() {
    const THREADS: usize = 6;
    const ROUNDS: usize = 600;
    let lock = ReaderWriter::new();
    let readers = AtomicUsize::new(0);
    let writers = AtomicUsize::new(0);
    let (reads, writes) = (AtomicUsize::new(0), AtomicUsize::new(0));
    within("mixed stress", {
        let lock = lock.clone();
        move || {
            thread::scope(|s| {
                for t in 0..THREADS {
                    let (lock, readers, writers) = (&lock, &readers, &writers);
                    let (reads, writes) = (&reads, &writes);
                    s.spawn(move || {
                        for i in 0..ROUNDS {
                            // Threads write every 3rd, 5th or 7th round, and read the rest.
                            if i % (3 + 2 * (t % 3)) == 0 {
                                let _w = lock.write();
                                assert_eq!(writers.fetch_add(1, SeqCst), 0, "two writers");
                                assert_eq!(readers.load(SeqCst), 0, "a writer among readers");
                                writes.fetch_add(1, SeqCst);
                                writers.fetch_sub(1, SeqCst);
                            } else {
                                let _r = lock.read();
                                readers.fetch_add(1, SeqCst);
                                assert_eq!(writers.load(SeqCst), 0, "a reader beside a writer");
                                reads.fetch_add(1, SeqCst);
                                readers.fetch_sub(1, SeqCst);
                            }
                        }
                    });
                }
            });
            let expected_writes: usize = (0..THREADS)
                .map(|t| (0..ROUNDS).filter(|i| i % (3 + 2 * (t % 3)) == 0).count())
                .sum();
            assert_eq!(writes.into_inner(), expected_writes);
            assert_eq!(reads.into_inner(), THREADS * ROUNDS - expected_writes);
        }
    });
    assert_idle(&lock);
}

#[test]
fn the_report_adds_up() {
    let report = rwlock::library(2, 1, 5, Duration::ZERO);
    assert_eq!(
        Report {
            reads: 0,
            reads_while_writing: 0,
            most_readers: 0,
            ..report
        },
        Report {
            writes: 5,
            ..Report::default()
        }
    );
    assert!(report.reads >= 2 && report.reads_while_writing <= report.reads);
}
