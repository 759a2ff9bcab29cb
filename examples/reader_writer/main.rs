//! A fair reader/writer lock as chords over one state channel (see
//! `rwlock.rs`), matched by value: `state(Rw::Idle)`, `state(Rw::Readers(n))`,
//! `state(Rw::Draining(n))` (a writer waits), `state(Rw::WriterTurn)`,
//! `state(Rw::Writing)`.
//!
//! First the fairness, step by step; then a library where four readers keep
//! reading a document, each staying until another reader has come in (so
//! that, with a naive lock, there would always be a reader inside), while two
//! writers rewrite it twenty times each: the writers still get in.
//!
//! Then the fast, unfair lock of `tokens.rs`: 32 `token()` messages, a reader
//! takes one, a writer all of them at once. A waiting writer does not stop new
//! readers; eight readers and two writers share a document.
//!
//! `cargo run --release --example reader_writer`

#[allow(dead_code)]
mod rwlock;
mod tokens;

use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use rwlock::{ReaderWriter, Rw};
use tokens::{TokenLock, READERS};

/// Sleeps until `condition` holds (it always does, soon).
fn wait_for(condition: impl Fn() -> bool) {
    while !condition() {
        thread::sleep(Duration::from_millis(1));
    }
}

fn main() {
    let lock = ReaderWriter::new();
    let log = Mutex::new(Vec::new());
    let say = |line: String| {
        println!("  {line}");
        log.lock().unwrap().push(line);
    };
    println!("a waiting writer stops new readers:");
    thread::scope(|s| {
        lock.shared();
        say("reader 1 is in".into());
        s.spawn(|| {
            let _w = lock.write();
            say("the writer is in".into());
        });
        wait_for(|| lock.state_now() == Rw::Draining(1));
        say("the writer waits for reader 1".into());
        s.spawn(|| {
            let _r = lock.read();
            say("reader 2 is in".into());
        });
        wait_for(|| lock.waiting()["shared"] == 1);
        say("reader 2 waits behind the writer".into());
        say("reader 1 leaves".into());
        lock.release_shared();
    });
    println!("state: {:?}; {lock:?}\n", lock.state_now());

    let (readers, writers, writes) = (4, 2, 20);
    let report = rwlock::library(readers, writers, writes, Duration::from_millis(2));
    println!(
        "a library: {readers} lingering readers, {writers} writers x {writes} writes\n  \
         {} writes done while readers kept coming ({} reads, {} of them while the writers \
         were at work)\n  at most {} readers inside together; torn reads: {}; clashes: {}",
        report.writes,
        report.reads,
        report.reads_while_writing,
        report.most_readers,
        report.torn_reads,
        report.clashes
    );

    println!("\nthe token lock ({READERS} tokens): a waiting writer does not stop new readers:");
    let lock = TokenLock::new();
    thread::scope(|s| {
        lock.shared();
        say("reader 1 is in".into());
        s.spawn(|| {
            lock.exclusive();
            say("the writer is in".into());
            lock.release_exclusive();
        });
        wait_for(|| lock.waiting()["exclusive"] == 1);
        say("the writer waits for reader 1".into());
        lock.shared();
        say("reader 2 is in all the same".into());
        say("readers 1 and 2 leave".into());
        lock.release_shared();
        lock.release_shared();
    });

    let (readers, reads, writes) = (8, 1000, 100);
    let report = tokens::traffic(&lock, readers, reads, writers, writes);
    println!(
        "a document: {readers} readers x {reads} reads, {writers} writers x {writes} writes\n  \
         {} reads and {} writes done; at most {} readers inside together; torn reads: {}; \
         clashes: {}",
        report.reads, report.writes, report.most_readers, report.torn_reads, report.clashes
    );
}
