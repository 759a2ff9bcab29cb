//! The executor never deadlocks on chords calls, whatever its maximum (the
//! reference's *What runs where*): a worker blocked in a synchronous call
//! starts another in its stead while jobs wait. In its own process: the
//! maximum is process-wide.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use chords::Join;

#[test]
fn bodies_blocked_on_calls_that_only_a_later_body_answers_all_finish() {
    const MAX: usize = 4;
    const BODIES: usize = 1_000;
    chords::set_max_workers(MAX);
    let mut b = Join::builder();
    let job = b.asynchronous::<usize>("job");
    let gate = b.synchronous::<usize, usize>("gate");
    let open = b.asynchronous::<()>("open");
    b.when(gate)
        .and(open)
        .named("pass")
        .then(|((i, r), ())| r.send(i));
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (done, finished) = mpsc::channel();
    {
        let (running, most) = (running.clone(), most.clone());
        b.when(job)
            .named("wait_for_the_last")
            .then_with(move |join, (i,)| {
                let now = running.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                // Only the last body opens the gates, every body's included.
                if i == BODIES - 1 {
                    join.send_all(open, std::iter::repeat_n((), BODIES));
                }
                running.fetch_sub(1, SeqCst);
                let back = join.call(gate, i);
                done.send((i, back)).unwrap();
            });
    }
    let join = b.build().unwrap();
    join.send_all(job, 0..BODIES);
    let mut seen = vec![false; BODIES];
    for _ in 0..BODIES {
        let (i, back) = finished
            .recv_timeout(Duration::from_secs(60))
            .expect("the executor deadlocked");
        assert_eq!(i, back, "each body got its own call's answer");
        assert!(!seen[i], "body {i} finished twice");
        seen[i] = true;
    }
    // Outside their calls, no more bodies ran at once than the maximum.
    assert!(most.load(SeqCst) <= MAX, "{} at once", most.load(SeqCst));
    assert_eq!((join.waiting(gate), join.waiting(open)), (0, 0));
}
