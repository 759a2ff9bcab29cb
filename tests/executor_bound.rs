//! The executor's bound (the reference's *What runs where*): a flood of
//! asynchronous bodies that sleep or compute queues for at most the maximum
//! of workers, instead of starting a thread each. One test, in its own
//! process: the maximum is process-wide.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use chords::Join;

/// The process's threads, where the system says (Linux).
fn threads() -> Option<usize> {
    std::fs::read_dir("/proc/self/task").ok().map(|d| d.count())
}

/// Sends `jobs` jobs whose bodies sleep 1 ms; returns the most bodies that
/// ran at once and the most threads the process had, sampled meanwhile.
fn flood(jobs: usize) -> (usize, Option<usize>) {
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (done, finished) = mpsc::channel();
    let mut b = Join::builder();
    let job = b.asynchronous::<usize>("job");
    {
        let (running, most) = (running.clone(), most.clone());
        b.when(job).named("nap").then(move |(i,)| {
            let now = running.fetch_add(1, SeqCst) + 1;
            most.fetch_max(now, SeqCst);
            std::thread::sleep(Duration::from_millis(1));
            running.fetch_sub(1, SeqCst);
            done.send(i).unwrap();
        });
    }
    let join = b.build().unwrap();
    join.send_all(job, 0..jobs);
    let mut seen = vec![false; jobs];
    let mut most_threads = threads();
    for n in 0..jobs {
        let i = finished
            .recv_timeout(Duration::from_secs(60))
            .expect("a job never ran");
        assert!(!seen[i], "job {i} ran twice");
        seen[i] = true;
        if n % 64 == 0 {
            most_threads = most_threads.max(threads());
        }
    }
    assert_eq!(join.waiting(job), 0);
    (most.load(SeqCst), most_threads)
}

#[test]
fn a_flood_of_sleeping_bodies_runs_on_at_most_the_maximum_of_workers() {
    let before = threads();
    // A maximum the user set.
    chords::set_max_workers(16);
    let (most, most_threads) = flood(2_000);
    assert!(most <= 16, "{most} bodies ran at once");
    assert!(most >= 2, "the bodies ran one at a time: {most}");
    if let (Some(before), Some(during)) = (before, most_threads) {
        assert!(
            during <= before + 16,
            "{during} threads, {before} before the flood"
        );
    }
    // The default: 100,000 jobs on at most 512 workers.
    chords::set_max_workers(chords::DEFAULT_MAX_WORKERS);
    let (most, most_threads) = flood(100_000);
    assert!(
        most <= chords::DEFAULT_MAX_WORKERS,
        "{most} bodies ran at once"
    );
    if let (Some(before), Some(during)) = (before, most_threads) {
        assert!(
            during <= before + chords::DEFAULT_MAX_WORKERS,
            "{during} threads, {before} before the flood"
        );
    }
}
