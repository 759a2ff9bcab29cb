//! A fast reader/writer lock: [`READERS`] tokens, `token()` messages. A
//! reader takes one token, a writer takes them all at once.
//!
//! ```text
//! shared()    & token()         => (a reader holds a token)
//! exclusive() & [token(); 32]   => (the writer holds them all)
//! release_shared()              => token()
//! release_exclusive()           => token_all([(); 32])  (one batch)
//! ```
//!
//! At most [`READERS`] readers are inside at once. A reader's entry and exit
//! are a semaphore's: one message each way, no state to rewrite, so readers do
//! not serialise on a count as they do in the fair lock of `rwlock.rs`.
//!
//! It is unfair: a writer waits for every token, and new readers keep taking
//! them meanwhile, so a writer may wait as long as readers keep coming (and
//! when a token comes back while a reader and a writer wait, the reader goes
//! first). Pick it for read-mostly data with short writes, where readers come
//! and go; pick the fair lock where a stream of readers must not keep writers
//! out.
//!
//! The readers' chord is declared first. A chord that shares a channel with
//! one declared before it checks that chord before it fires (priority), so
//! the readers' chord, the common one, has no check to make, and the
//! writers' pays it.
//!
//! This module is the example's logic and is shared with
//! `tests/example_reader_writer_tokens.rs`. Its workload uses the
//! [`Document`] of `rwlock.rs`, included beside it as `rwlock`.

use std::sync::{Barrier, Mutex};
use std::thread;

use chords::chords;

use super::rwlock::{Document, Report};

/// How many readers may be inside at once: the tokens there are, and the
/// count of the writers' repeated term.
pub const READERS: usize = 32;

/// A reader/writer lock of [`READERS`] tokens: a reader holds one, a writer
/// all of them.
///
/// Make one with [`TokenLock::new`]: `TokenLock::default()` has no token,
/// which for this lock means held by a writer that is no one.
#[chords(pub)]
impl TokenLock {
    /// A free share of the lock.
    async fn token(&self);
    /// Waits until a token is free, and takes it: a share of the lock.
    pub fn shared(&self);
    /// Waits until every token is free, and takes them all: the lock alone.
    pub fn exclusive(&self);

    /// A new lock, free: [`READERS`] tokens.
    pub fn new() -> Self {
        let lock = Self::default();
        lock.token_all([(); READERS]);
        lock
    }

    // Declared first: the readers' chord has no earlier chord to check.
    #[chord(shared() & token())]
    fn reader_in() {}

    // The count is `READERS`, which a pattern cannot name.
    #[chord(exclusive() & [token(); 32])]
    fn writer_in() {}

    /// Gives a share back: one token.
    pub fn release_shared(&self) {
        self.token();
    }

    /// Gives the lock back after `exclusive`: every token.
    pub fn release_exclusive(&self) {
        self.token_all([(); READERS]);
    }
}

/// `readers` threads read a two-page [`Document`] `reads_each` times and
/// `writers` threads rewrite it `writes_each` times, under `lock`.
///
/// On its first visit each reader stays inside until every reader is in (so
/// `readers`, at most [`READERS`], are seen inside at once); on the others it
/// yields once between the two pages, as a writer does between writing them.
/// Readers stop after their reads, so the writers always get in, at the
/// latest when the readers are done.
pub fn traffic(
    lock: &TokenLock,
    readers: usize,
    reads_each: usize,
    writers: usize,
    writes_each: usize,
) -> Report {
    assert!(
        (1..=READERS).contains(&readers),
        "1 to {READERS} readers can all be inside at once, not {readers}"
    );
    let document = Document::default();
    let all_in = Barrier::new(readers);
    let report = Mutex::new(Report::default());
    thread::scope(|s| {
        for _ in 0..readers {
            s.spawn(|| {
                let mut mine = Report::default();
                for i in 0..reads_each {
                    lock.shared();
                    if i == 0 {
                        document.read(&mut mine, |_| {
                            all_in.wait();
                        });
                    } else {
                        document.read(&mut mine, |_| thread::yield_now());
                    }
                    lock.release_shared();
                }
                report.lock().unwrap().absorb(&mine);
            });
        }
        for _ in 0..writers {
            s.spawn(|| {
                let mut mine = Report::default();
                for _ in 0..writes_each {
                    lock.exclusive();
                    document.write(&mut mine);
                    lock.release_exclusive();
                }
                report.lock().unwrap().absorb(&mine);
            });
        }
    });
    report.into_inner().unwrap()
}
