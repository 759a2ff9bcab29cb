//! The Polyphonic C# lock: `acquire() & async free()` (see `lock.rs`).
//!
//! Four threads add 1 to a shared counter 2 500 times each. Each addition
//! reads the counter, yields, and writes it back: without the lock additions
//! get lost; under it none is.
//!
//! `cargo run --release --example lock`

#[allow(dead_code)]
mod lock;

use lock::Lock;

const THREADS: usize = 4;
const PER_THREAD: usize = 2500;

fn main() {
    let lock = Lock::new();
    {
        let _held = lock.lock();
        println!(
            "while held: try_lock -> {}; {lock:?}",
            if lock.try_lock().is_some() {
                "taken (!)"
            } else {
                "none"
            }
        );
    }
    println!("freed: {lock:?}\n");

    let tally = lock::count(&lock, THREADS, PER_THREAD);
    println!(
        "{THREADS} threads x {PER_THREAD} additions under the lock: counter = {} (expected {}), \
         at most {} thread inside at once",
        tally.count,
        THREADS * PER_THREAD,
        tally.most_inside
    );
    println!("at the end the lock is free again: {lock:?}");
}
