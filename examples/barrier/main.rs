//! A reusable four-party barrier (see `barrier.rs`): four threads run rounds
//! of work, and none starts round r + 1 before all have finished round r.
//!
//! `cargo run --release --example barrier`

#[allow(dead_code)]
mod barrier;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use barrier::{Barrier, PARTIES};

const ROUNDS: usize = 5;

fn main() {
    let barrier = Barrier::new();
    let finished: Vec<AtomicUsize> = (0..ROUNDS).map(|_| AtomicUsize::new(0)).collect();
    thread::scope(|s| {
        for id in 0..PARTIES {
            let (barrier, finished) = (&barrier, &finished);
            s.spawn(move || {
                for (round, done) in finished.iter().enumerate() {
                    done.fetch_add(1, SeqCst);
                    barrier.arrive();
                    // Everyone finished this round before anyone passed.
                    assert_eq!(done.load(SeqCst), PARTIES);
                    if id == 0 {
                        println!("round {round}: all {PARTIES} threads arrived, all pass");
                    }
                }
            });
        }
    });
    println!("{ROUNDS} rounds; {barrier:?}");
}
