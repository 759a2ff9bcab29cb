//! The token reader/writer lock (`examples/reader_writer/tokens.rs`): at most
//! `READERS` readers at once, a writer alone and only once every reader has
//! left, new readers still let in while a writer waits, and the tokens
//! conserved.

#[allow(dead_code)]
#[path = "../examples/reader_writer/rwlock.rs"]
mod rwlock;
#[allow(dead_code)]
#[path = "../examples/reader_writer/tokens.rs"]
mod tokens;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread;

use tokens::{TokenLock, READERS};

mod common;
use common::{wait_until, within};

/// Asserts `lock` is free with all its tokens: a writer gets in, and then no
/// reader (so no token was left over), and gives them back.
fn assert_free(lock: &TokenLock) {
    assert_eq!(lock.waiting()["token"], READERS, "{lock:?}");
    assert!(
        lock.try_exclusive().is_ok(),
        "a writer kept out of a free lock"
    );
    assert!(lock.try_shared().is_err(), "a token beside the writer");
    lock.release_exclusive();
    assert_eq!(lock.waiting()["token"], READERS, "{lock:?}");
}

#[test]
fn at_most_readers_share_and_a_writer_takes_every_token() {
    let lock = TokenLock::new();
    assert_free(&lock);
    for _ in 0..READERS {
        assert!(lock.try_shared().is_ok(), "a reader kept out");
    }
    assert!(lock.try_shared().is_err(), "a reader too many");
    assert!(lock.try_exclusive().is_err(), "a writer beside the readers");
    lock.release_shared();
    // One token free of READERS: the writers' repeated term needs them all.
    assert!(lock.try_exclusive().is_err(), "a writer beside the readers");
    assert!(lock.try_shared().is_ok(), "the freed token");
    for _ in 0..READERS {
        lock.release_shared();
    }
    assert_free(&lock);
}

#[test]
fn a_writer_waits_for_every_reader_and_readers_for_the_writer() {
    let lock = TokenLock::new();
    let inside = AtomicBool::new(false);
    lock.shared();
    lock.shared();
    thread::scope(|s| {
        s.spawn(|| {
            lock.exclusive();
            inside.store(true, SeqCst);
        });
        wait_until("the writer waits", || lock.waiting()["exclusive"] == 1);
        lock.release_shared();
        assert_eq!(lock.waiting()["exclusive"], 1, "a writer beside a reader");
        assert!(!inside.load(SeqCst));
        lock.release_shared();
    });
    assert!(inside.load(SeqCst));
    // The writer holds the lock: a reader waits until it gives it back.
    thread::scope(|s| {
        let reader = s.spawn(|| lock.shared());
        wait_until("the reader waits", || lock.waiting()["shared"] == 1);
        assert!(!reader.is_finished(), "a reader beside the writer");
        lock.release_exclusive();
    });
    lock.release_shared();
    assert_free(&lock);
}

#[test]
fn new_readers_get_in_while_a_writer_waits() {
    let lock = TokenLock::new();
    lock.shared();
    thread::scope(|s| {
        s.spawn(|| {
            lock.exclusive();
            lock.release_exclusive();
        });
        wait_until("the writer waits", || lock.waiting()["exclusive"] == 1);
        // Unfair by design: the waiting writer does not stop new readers.
        assert!(lock.try_shared().is_ok(), "a reader stopped by a writer");
        lock.release_shared();
        lock.release_shared();
    });
    assert_free(&lock);
}

#[test]
fn traffic_keeps_exclusion_and_conserves_the_tokens() {
    for (readers, reads_each, writers, writes_each) in [(4, 300, 2, 60), (READERS, 20, 2, 10)] {
        let lock = TokenLock::new();
        let report = within("readers and writers", {
            let lock = lock.clone();
            move || tokens::traffic(&lock, readers, reads_each, writers, writes_each)
        });
        assert_eq!(report.writes, writers * writes_each, "every write done");
        assert_eq!(report.reads, readers * reads_each, "every read done");
        assert_eq!(report.torn_reads, 0, "a reader saw a half-written page");
        assert_eq!(report.clashes, 0, "a writer beside a reader or a writer");
        assert_eq!(
            report.most_readers, readers,
            "the readers all inside at once"
        );
        assert_free(&lock);
    }
}
