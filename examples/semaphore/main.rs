//! The Polyphonic C# semaphore: `acquire() & async permit()`, `release()`
//! sends a permit back (see `semaphore.rs`).
//!
//! Eight threads share three permits, 500 rounds each: never more than three
//! hold one at once, and all three are free at the end.
//!
//! `cargo run --release --example semaphore`

#[allow(dead_code)]
mod semaphore;

use std::thread;
use std::time::Duration;

use semaphore::Semaphore;

const PERMITS: usize = 3;
const THREADS: usize = 8;
const ROUNDS: usize = 500;

fn main() {
    let s = Semaphore::new(PERMITS);
    println!("a new semaphore: {s:?}");
    let tally = semaphore::crowd(&s, THREADS, ROUNDS, &|_| {
        thread::sleep(Duration::from_micros(20))
    });
    println!(
        "{THREADS} threads x {ROUNDS} rounds on {PERMITS} permits: {} entries, \
         at most {} holders at once",
        tally.entries, tally.most_inside
    );
    let free = std::iter::from_fn(|| s.try_acquire().ok()).count();
    println!(
        "permits free at the end: {free} (taken back now; try_acquire fails: {})",
        s.try_acquire().is_err()
    );
    (0..free).for_each(|_| s.release());
    println!("given back: {s:?}");
}
