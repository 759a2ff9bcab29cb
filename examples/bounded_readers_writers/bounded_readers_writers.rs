//! Readers and writers with bounded concurrency, ported from Chymyst (Sergei
//! Winitzki's chemical machine for Scala, github.com/Chymyst/chymyst-core):
//! `docs/chymyst02.md`, *Example: Readers/Writers*, the exercise "allow `m`
//! simultaneous Readers and `n` simultaneous Writers" and its solution,
//! `read(_) + access(k) if k >= 0 && k < nReader` and
//! `write(_) + access(k) if -k >= 0 && -k < nWriter`:
//! <https://github.com/Chymyst/chymyst-core/blob/master/docs/chymyst02.md>.
//!
//! One number says who holds the resource: `k > 0` readers, or `-k`
//! writers, or no one at `k = 0`. A reader may go in while no writer is
//! inside and fewer than `readers` readers are; a writer while no reader is
//! inside and fewer than `writers` writers are. (With `writers = 1` it is a
//! reader/writer lock; with `readers = 1` as well, a mutex.) The number is a
//! state channel (docs/reference.md, *State channels*), and guards
//! (docs/reference.md, *Guards and value patterns*) say which caller may take
//! it. A guard reads its term's bindings, so the limits, chosen at run time,
//! ride along in the message:
//!
//! ```text
//! start_read()  & access(k, limits) if *k >= 0 && |k| < limits.readers  =>  access(k + 1, limits)
//! start_write() & access(k, limits) if *k <= 0 && |k| < limits.writers  =>  access(k - 1, limits)
//! end_read()    & access(k, limits)                                     =>  access(k - 1, limits)
//! end_write()   & access(k, limits)                                     =>  access(k + 1, limits)
//! ```
//!
//! A caller that fits no guard waits, and takes nothing: the state message
//! stays for the others. Chymyst's `readerFinished()` is an asynchronous
//! molecule; here `end_read()` and `end_write()` are synchronous calls, so the
//! count is down when they return. Like Chymyst's, the object is not fair:
//! readers that keep coming can hold writers off (the fair lock is the
//! `reader_writer` example).
//!
//! This module is shared with `tests/example_bounded_readers_writers.rs`.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use chords::chords;

/// How many readers, or how many writers, may be inside at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Readers at once, at least one.
    pub readers: usize,
    /// Writers at once, at least one.
    pub writers: usize,
}

/// Access to a resource: up to `readers` readers, or up to `writers`
/// writers, at once.
#[chords(pub)]
impl Access {
    /// State: `k > 0` readers or `-k` writers are inside (none at `0`), and
    /// the limits. `access_now()` reads it.
    #[state]
    pub async fn access(&self, k: isize, limits: Limits);
    /// Waits until no writer and fewer than `limits.readers` readers are
    /// inside, and goes in as a reader.
    pub fn start_read(&self);
    /// Waits until no reader and fewer than `limits.writers` writers are
    /// inside, and goes in as a writer.
    pub fn start_write(&self);
    /// A reader leaves (after its `start_read`).
    pub fn end_read(&self);
    /// A writer leaves (after its `start_write`).
    pub fn end_write(&self);

    /// No one inside; `limits` readers, or writers, at once (each at least
    /// one).
    pub fn new(limits: Limits) -> Self {
        assert!(
            limits.readers >= 1 && limits.writers >= 1,
            "the limits are at least one: {limits:?}"
        );
        Self::from_state((0, limits))
    }

    /// Reads: goes in as a reader until the returned guard is dropped.
    pub fn read(&self) -> Reading<'_> {
        self.start_read();
        Reading { access: self }
    }

    /// Writes: goes in as a writer until the returned guard is dropped.
    pub fn write(&self) -> Writing<'_> {
        self.start_write();
        Writing { access: self }
    }

    #[chord(start_read() & access(k, limits) if *k >= 0 && k.unsigned_abs() < limits.readers)]
    fn reader_in(&self) {
        self.access(k + 1, limits);
    }

    #[chord(start_write() & access(k, limits) if *k <= 0 && k.unsigned_abs() < limits.writers)]
    fn writer_in(&self) {
        self.access(k - 1, limits);
    }

    #[chord(end_read() & access(k, limits))]
    fn reader_out(&self) {
        self.access(k - 1, limits);
    }

    #[chord(end_write() & access(k, limits))]
    fn writer_out(&self) {
        self.access(k + 1, limits);
    }
}

/// A reader inside; it leaves when this guard is dropped.
#[must_use = "the reader leaves when the guard is dropped"]
pub struct Reading<'a> {
    access: &'a Access,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.access.end_read();
    }
}

/// A writer inside; it leaves when this guard is dropped.
#[must_use = "the writer leaves when the guard is dropped"]
pub struct Writing<'a> {
    access: &'a Access,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.access.end_write();
    }
}

/// What [`crowd`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Reads done.
    pub reads: usize,
    /// Writes done.
    pub writes: usize,
    /// The most readers seen inside at once.
    pub most_readers: usize,
    /// The most writers seen inside at once.
    pub most_writers: usize,
    /// Times a reader saw a writer inside, or a writer a reader.
    pub mixed: usize,
}

/// `threads` threads each go in `rounds` times, as a writer every
/// `write_every`-th time (staggered by thread) and as a reader otherwise,
/// calling `work()` inside; counts who was inside with whom.
pub fn crowd(
    access: &Access,
    threads: usize,
    rounds: usize,
    write_every: usize,
    work: &(dyn Fn() + Sync),
) -> Tally {
    let (readers, writers) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let (reads, writes) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let (most_readers, most_writers) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mixed = AtomicUsize::new(0);
    // One visit: `me` counts this kind inside, `other` the other kind.
    let visit = |me: &AtomicUsize, other: &AtomicUsize, most: &AtomicUsize, done: &AtomicUsize| {
        most.fetch_max(me.fetch_add(1, SeqCst) + 1, SeqCst);
        if other.load(SeqCst) != 0 {
            mixed.fetch_add(1, SeqCst);
        }
        work();
        thread::yield_now();
        if other.load(SeqCst) != 0 {
            mixed.fetch_add(1, SeqCst);
        }
        me.fetch_sub(1, SeqCst);
        done.fetch_add(1, SeqCst);
    };
    thread::scope(|s| {
        for t in 0..threads {
            let visit = &visit;
            let (readers, writers) = (&readers, &writers);
            let (reads, writes) = (&reads, &writes);
            let (most_readers, most_writers) = (&most_readers, &most_writers);
            s.spawn(move || {
                for i in 0..rounds {
                    if (t + i) % write_every.max(1) == 0 {
                        let _writing = access.write();
                        visit(writers, readers, most_writers, writes);
                    } else {
                        let _reading = access.read();
                        visit(readers, writers, most_readers, reads);
                    }
                }
            });
        }
    });
    Tally {
        reads: reads.into_inner(),
        writes: writes.into_inner(),
        most_readers: most_readers.into_inner(),
        most_writers: most_writers.into_inner(),
        mixed: mixed.into_inner(),
    }
}
