//! A fair reader/writer lock in the style of Polyphonic C# ("Modern
//! Concurrency Abstractions for C#", §4.3). The paper keeps the lock's state
//! in several private asynchronous channels of which exactly one holds a
//! message: `idle()`, `readers(n)`, and so on. Here that state is one
//! `#[state]` channel, `state(s)`, always exactly one message, and each chord
//! picks the value it needs with a value pattern:
//!
//! ```text
//! Rw::Idle         no one holds the lock
//! Rw::Readers(n)   n readers hold it
//! Rw::Draining(n)  a writer waits for the n readers still inside; new readers wait
//! Rw::WriterTurn   the last of those readers has left: the waiting writer goes in
//! Rw::Writing      a writer holds it
//! ```
//!
//! and the chords move it along:
//!
//! ```text
//! shared()            & state(Idle)        => Readers(1)
//! exclusive()         & state(Idle)        => Writing
//! exclusive()         & state(Readers(n))  => Draining(n); wait_turn()
//! shared()            & state(Readers(n))  => Readers(n + 1)
//! release_shared()    & state(Readers(n))  => n == 1 ? Idle : Readers(n - 1)
//! release_shared()    & state(Draining(n)) => n == 1 ? WriterTurn : Draining(n - 1)
//! wait_turn()         & state(WriterTurn)  => Writing
//! release_exclusive() & state(Writing)     => Idle
//! ```
//!
//! Fairness comes from the state `Draining` (no reader can join a lock a
//! writer waits for) and from priority, the order of declaration: when
//! `Readers(n)` is sent and both a reader and a writer wait, the writer goes
//! first; when `Idle` is sent, waiting readers go first. So a stream of
//! readers cannot starve a writer, nor a stream of writers the readers.
//!
//! The macro checks that every chord sends the state again exactly once, on
//! every path, so the lock can neither lose its state nor hold two.
//!
//! This module is the example's logic and is shared with
//! `tests/example_reader_writer.rs`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use chords::chords;

/// The state of a [`ReaderWriter`], its one `state` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rw {
    /// No one holds the lock.
    Idle,
    /// `n` readers hold the lock.
    Readers(usize),
    /// A writer waits for the `n` readers still inside; new readers wait.
    Draining(usize),
    /// The readers have left; the waiting writer goes in.
    WriterTurn,
    /// A writer holds the lock.
    Writing,
}

/// A fair reader/writer lock: many readers, or one writer.
#[chords(pub)]
impl ReaderWriter {
    /// Waits until no writer holds or waits for the lock, and takes a share.
    pub fn shared(&self);
    /// Gives a share back.
    pub fn release_shared(&self);
    /// Waits until the lock is free, and takes it alone.
    ///
    /// When readers hold the lock, this call (and `try_exclusive`, and
    /// `exclusive_timeout`) queues the writer at once and blocks until
    /// they have left: the writer's turn is then already reserved.
    pub fn exclusive(&self);
    /// Gives the lock back after `exclusive`.
    pub fn release_exclusive(&self);
    /// The lock's state: `state_now()` reads it; only the chords send it.
    #[state]
    pub async fn state(&self, s: Rw);
    /// The waiting writer, blocked until the readers have left.
    fn wait_turn(&self);

    /// A new lock, idle.
    pub fn new() -> Self {
        Self::from_state(Rw::Idle)
    }

    // Declared first: after a writer, the readers that waited go in first.
    #[chord(shared() & state(Rw::Idle))]
    fn first_reader(&self) {
        self.state(Rw::Readers(1));
    }

    #[chord(exclusive() & state(Rw::Idle))]
    fn writer_enters(&self) {
        self.state(Rw::Writing);
    }

    // Declared before `reader_joins`: a waiting writer stops new readers.
    #[chord(exclusive() & state(Rw::Readers(n)))]
    fn writer_waits(&self) {
        self.state(Rw::Draining(n));
        self.wait_turn();
    }

    #[chord(shared() & state(Rw::Readers(n)))]
    fn reader_joins(&self) {
        self.state(Rw::Readers(n + 1));
    }

    #[chord(release_shared() & state(Rw::Readers(n)))]
    fn reader_leaves(&self) {
        self.state(if n == 1 { Rw::Idle } else { Rw::Readers(n - 1) });
    }

    #[chord(release_shared() & state(Rw::Draining(n)))]
    fn reader_leaves_for_writer(&self) {
        self.state(if n == 1 {
            Rw::WriterTurn
        } else {
            Rw::Draining(n - 1)
        });
    }

    #[chord(wait_turn() & state(Rw::WriterTurn))]
    fn writer_goes_in(&self) {
        self.state(Rw::Writing);
    }

    #[chord(release_exclusive() & state(Rw::Writing))]
    fn writer_leaves(&self) {
        self.state(Rw::Idle);
    }

    /// Takes a share until the returned guard is dropped.
    pub fn read(&self) -> Reading<'_> {
        self.shared();
        Reading { lock: self }
    }

    /// Takes the lock alone until the returned guard is dropped.
    pub fn write(&self) -> Writing<'_> {
        self.exclusive();
        Writing { lock: self }
    }
}

/// A share of the lock, given back when dropped.
#[must_use = "the share is given back when the guard is dropped"]
pub struct Reading<'a> {
    lock: &'a ReaderWriter,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.lock.release_shared();
    }
}

/// The lock, held alone until dropped.
#[must_use = "the lock is given back when the guard is dropped"]
pub struct Writing<'a> {
    lock: &'a ReaderWriter,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.lock.release_exclusive();
    }
}

/// What [`library`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Reads done, by all readers.
    pub reads: usize,
    /// Reads done while the writers were still at work.
    pub reads_while_writing: usize,
    /// Writes done.
    pub writes: usize,
    /// The most readers inside at once.
    pub most_readers: usize,
    /// Reads that found a page half written: a writer beside a reader.
    pub torn_reads: usize,
    /// Entries that found someone inside they must exclude: a writer beside
    /// a reader or another writer.
    pub clashes: usize,
}

impl Report {
    /// Adds a thread's own counts to the run's.
    pub fn absorb(&mut self, mine: &Report) {
        self.reads += mine.reads;
        self.reads_while_writing += mine.reads_while_writing;
        self.writes += mine.writes;
        self.most_readers = self.most_readers.max(mine.most_readers);
        self.torn_reads += mine.torn_reads;
        self.clashes += mine.clashes;
    }
}

/// A two-page document, and who is inside the lock that guards it: what
/// [`library`] (and `tokens::traffic`) read and write.
#[derive(Default)]
pub struct Document {
    pages: [AtomicU64; 2],
    readers_inside: AtomicUsize,
    writers_inside: AtomicUsize,
}

impl Document {
    /// A reader's visit, its share taken: counts the readers inside and
    /// checks that no writer is, reads the first page, calls `stay(self)`,
    /// reads the second page and checks that it matches.
    pub fn read(&self, mine: &mut Report, stay: impl FnOnce(&Document)) {
        let now = self.readers_inside.fetch_add(1, SeqCst) + 1;
        mine.most_readers = mine.most_readers.max(now);
        if self.writers_inside.load(SeqCst) != 0 {
            mine.clashes += 1;
        }
        let first = self.pages[0].load(SeqCst);
        stay(self);
        if self.pages[1].load(SeqCst) != first {
            mine.torn_reads += 1;
        }
        mine.reads += 1;
        self.readers_inside.fetch_sub(1, SeqCst);
    }

    /// For [`read`](Self::read): waits until another reader has come in, at
    /// most `linger`.
    pub fn await_company(&self, linger: Duration) {
        let give_up = Instant::now() + linger;
        while self.readers_inside.load(SeqCst) < 2 && Instant::now() < give_up {
            thread::yield_now();
        }
    }

    /// A writer's visit, the lock taken alone: checks that no one else is
    /// inside, and writes the two pages one after the other.
    pub fn write(&self, mine: &mut Report) {
        if self.writers_inside.fetch_add(1, SeqCst) != 0 || self.readers_inside.load(SeqCst) != 0 {
            mine.clashes += 1;
        }
        let next = self.pages[0].load(SeqCst) + 1;
        self.pages[0].store(next, SeqCst);
        thread::yield_now();
        self.pages[1].store(next, SeqCst);
        mine.writes += 1;
        self.writers_inside.fetch_sub(1, SeqCst);
    }
}

/// A library with one two-page [`Document`]: `readers` threads keep reading
/// it until `writers` threads have each rewritten it `writes_each` times.
///
/// A reader stays inside until another reader has come in (at most about
/// `linger`), so that readers overlap and, but for the lock's fairness, would
/// keep a writer out forever. A writer writes the two pages one after the
/// other; a reader reads both and checks that they match.
pub fn library(readers: usize, writers: usize, writes_each: usize, linger: Duration) -> Report {
    let document = Document::default();
    let writers_left = AtomicUsize::new(writers);
    let lock = ReaderWriter::new();
    let report = std::sync::Mutex::new(Report::default());
    thread::scope(|s| {
        for _ in 0..readers {
            s.spawn(|| {
                let mut mine = Report::default();
                loop {
                    let writing = writers_left.load(SeqCst) > 0;
                    if !writing && mine.reads > 0 {
                        break;
                    }
                    let _share = lock.read();
                    document.read(&mut mine, |d| d.await_company(linger));
                    mine.reads_while_writing += usize::from(writing);
                }
                report.lock().unwrap().absorb(&mine);
            });
        }
        for _ in 0..writers {
            s.spawn(|| {
                let mut mine = Report::default();
                for _ in 0..writes_each {
                    let _alone = lock.write();
                    document.write(&mut mine);
                }
                writers_left.fetch_sub(1, SeqCst);
                report.lock().unwrap().absorb(&mine);
            });
        }
    });
    report.into_inner().unwrap()
}
