//! Choice as in Concurrent ML: a worker waits for a job, a shutdown signal or
//! a timeout, whichever comes first, across two objects — the job queue and
//! the shutdown latch of `select.rs` — with `chords::select!`:
//!
//! ```text
//! select! {
//!     () = shutdown.wait() => stop,
//!     job = jobs.take() => run it,
//!     default(IDLE) => count an idle turn,
//! }
//! ```
//!
//! Shutdown is listed first, so a worker stops as soon as it is signalled,
//! even with jobs waiting; those stay queued for whoever comes next. A timed
//! out select leaves no call in either object. This module is shared with
//! `tests/example_shutdown.rs`.

use std::time::Duration;

#[path = "../select/select.rs"]
mod select;

pub use select::{Latch, Queue};

/// How long a worker waits for a job before it counts an idle turn.
pub const IDLE: Duration = Duration::from_millis(2);

/// What one worker did until it was told to stop.
#[derive(Debug, Default)]
pub struct Report {
    /// The jobs it ran, in the order it ran them.
    pub jobs: Vec<u32>,
    /// How many times it waited `IDLE` for nothing.
    pub idle: usize,
}

/// Runs jobs from `jobs`, each with `run`, until `shutdown` opens.
pub fn work(jobs: &Queue<u32>, shutdown: &Latch, run: impl Fn(u32)) -> Report {
    let mut report = Report::default();
    loop {
        chords::select! {
            () = shutdown.wait() => break,
            job = jobs.take() => {
                run(job);
                report.jobs.push(job);
            }
            default(IDLE) => report.idle += 1,
        }
    }
    report
}
