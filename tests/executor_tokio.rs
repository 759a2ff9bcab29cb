//! Asynchronous bodies on tokio's blocking threads, through
//! `JoinBuilder::spawn_with`: the flood of sleeping bodies is bounded by the
//! runtime's blocking pool, and bodies blocked on chords calls finish when
//! that pool may hold them all (tokio keeps its own promise, not the
//! built-in pool's).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use chords::{Job, Join, JoinBuilder};

/// A builder whose join runs its asynchronous bodies on `runtime`'s
/// blocking threads.
fn on_tokio(runtime: &tokio::runtime::Runtime) -> JoinBuilder {
    let handle = runtime.handle().clone();
    let mut b = Join::builder();
    b.spawn_with(move |job: Job| {
        handle.spawn_blocking(move || job.run());
    });
    b
}

fn runtime(blocking_threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(blocking_threads)
        .build()
        .unwrap()
}

#[test]
fn a_flood_of_sleeping_bodies_is_bounded_by_the_blocking_pool() {
    const JOBS: usize = 100_000;
    let runtime = runtime(64);
    let mut b = on_tokio(&runtime);
    let job = b.asynchronous::<usize>("job");
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (done, finished) = mpsc::channel();
    {
        let (running, most) = (running.clone(), most.clone());
        b.when(job).then(move |(i,)| {
            let now = running.fetch_add(1, SeqCst) + 1;
            most.fetch_max(now, SeqCst);
            assert!(std::thread::current().name() != Some("chords-executor"));
            std::thread::sleep(Duration::from_millis(1));
            running.fetch_sub(1, SeqCst);
            done.send(i).unwrap();
        });
    }
    let join = b.build().unwrap();
    join.send_all(job, 0..JOBS);
    let mut seen = vec![false; JOBS];
    for _ in 0..JOBS {
        let i = finished.recv_timeout(Duration::from_secs(60)).unwrap();
        assert!(!seen[i], "job {i} ran twice");
        seen[i] = true;
    }
    join.wait_idle();
    let most = most.load(SeqCst);
    assert!((2..=64).contains(&most), "{most} bodies at once");
}

#[test]
fn bodies_blocked_on_calls_that_only_a_later_body_answers_all_finish() {
    const BODIES: usize = 1_000;
    let runtime = runtime(BODIES + 8);
    let mut b = on_tokio(&runtime);
    let job = b.asynchronous::<usize>("job");
    let gate = b.synchronous::<usize, usize>("gate");
    let open = b.asynchronous::<()>("open");
    b.when(gate).and(open).then(|((i, r), ())| r.send(i));
    let (done, finished) = mpsc::channel();
    b.when(job).then_with(move |join, (i,)| {
        if i == BODIES - 1 {
            join.send_all(open, std::iter::repeat_n((), BODIES));
        }
        done.send((i, join.call(gate, i))).unwrap();
    });
    let join = b.build().unwrap();
    join.send_all(job, 0..BODIES);
    for _ in 0..BODIES {
        let (i, back) = finished.recv_timeout(Duration::from_secs(60)).unwrap();
        assert_eq!(i, back);
    }
    assert!(join.wait_idle_timeout(Duration::from_secs(60)));
    assert_eq!((join.waiting(gate), join.waiting(open)), (0, 0));
}
