//! Workers that take jobs from a queue until a shutdown signal, and count the
//! turns they waited for nothing (see `shutdown.rs`).
//!
//! `cargo run --release --example shutdown`

#[allow(dead_code)]
mod shutdown;

use std::thread;
use std::time::Duration;

use shutdown::{work, Latch, Queue};

fn main() {
    let (jobs, shutdown, done) = (Queue::<u32>::new(), Latch::new(), Queue::<u32>::new());
    let reports = thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| s.spawn(|| work(&jobs, &shutdown, |job| done.put(job * job))))
            .collect();
        // Jobs come in two bursts, with a pause the workers spend idle.
        (0..50).for_each(|job| jobs.put(job));
        thread::sleep(Duration::from_millis(20));
        (50..100).for_each(|job| jobs.put(job));
        // Every job's result, then the signal.
        let sum: u64 = (0..100).map(|_| u64::from(done.take())).sum();
        println!("sum of squares 0..100: {sum}");
        shutdown.open();
        workers
            .into_iter()
            .map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    for (i, report) in reports.iter().enumerate() {
        println!(
            "worker {i}: {} jobs, {} idle turns",
            report.jobs.len(),
            report.idle
        );
    }
}
