//! The CML-style worker (`examples/shutdown`): every job runs exactly once,
//! workers stop when signalled even with jobs waiting, and idle turns leave
//! no call behind.

#[allow(dead_code)]
#[path = "../examples/shutdown/shutdown.rs"]
mod shutdown;

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use common::{sorted, within};
use shutdown::{work, Latch, Queue};

#[test]
fn every_job_runs_once_and_every_worker_stops() {
    within("workers stop", || {
        let (jobs, shutdown) = (Queue::<u32>::new(), Latch::new());
        let ran = AtomicUsize::new(0);
        let reports = thread::scope(|s| {
            let workers: Vec<_> = (0..3)
                .map(|_| {
                    s.spawn(|| {
                        work(&jobs, &shutdown, |_| {
                            ran.fetch_add(1, SeqCst);
                        })
                    })
                })
                .collect();
            (0..500).for_each(|job| jobs.put(job));
            while ran.load(SeqCst) < 500 {
                thread::yield_now();
            }
            shutdown.open();
            workers
                .into_iter()
                .map(|w| w.join().unwrap())
                .collect::<Vec<_>>()
        });
        let all: Vec<u32> = reports.iter().flat_map(|r| r.jobs.clone()).collect();
        assert_eq!(sorted(all), (0..500).collect::<Vec<_>>());
        for report in &reports {
            // Each worker's jobs come in queue order.
            assert!(report.jobs.windows(2).all(|w| w[0] < w[1]));
        }
        assert_eq!(jobs.waiting()["take"], 0);
        assert_eq!(shutdown.waiting()["wait"], 0);
    });
}

#[test]
fn shutdown_wins_over_waiting_jobs_and_idle_turns_leave_nothing_queued() {
    let (jobs, shutdown) = (Queue::<u32>::new(), Latch::new());
    // Idle: a few timed-out turns, then the signal.
    let report = thread::scope(|s| {
        let worker = s.spawn(|| work(&jobs, &shutdown, |_| ()));
        thread::sleep(shutdown::IDLE * 10);
        shutdown.open();
        worker.join().unwrap()
    });
    assert!(report.idle > 0, "{report:?}");
    assert!(report.jobs.is_empty());
    assert_eq!(
        jobs.waiting()["take"],
        0,
        "timed-out turns withdrew their calls"
    );
    // Signalled with jobs waiting: it stops at once, and the jobs stay.
    (0..5).for_each(|job| jobs.put(job));
    let report = work(&jobs, &shutdown, |_| ());
    assert!(report.jobs.is_empty());
    assert_eq!(jobs.waiting()["put"], 5);
}
