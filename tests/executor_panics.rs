//! A panic in an asynchronous body reaches the panic handler on every
//! executor (the built-in pool, a thread per body, tokio's blocking pool),
//! and the executor keeps running the other bodies. In its own process: the
//! handler is process-wide.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use chords::{Job, Join, JoinBuilder};

/// Builds a join whose chord `name` panics on every third job and counts
/// the others in `ran`; sends it 30 jobs and waits for them.
fn run_jobs(mut b: JoinBuilder, name: &'static str, ran: &Arc<AtomicUsize>) {
    let job = b.asynchronous::<u32>("job");
    let ran = ran.clone();
    b.when(job).named(name).then(move |(n,)| {
        assert!(n % 3 != 0, "job {n} fails");
        ran.fetch_add(1, SeqCst);
    });
    let join = b.build().unwrap();
    join.send_all(job, 0..30);
    join.wait_idle();
}

#[test]
fn a_panic_in_a_body_reaches_the_handler_on_every_executor() {
    // Quiet: the standard hook would print every panic.
    std::panic::set_hook(Box::new(|_| {}));
    let panics: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    {
        let panics = panics.clone();
        chords::set_panic_handler(move |chord, payload| {
            assert!(chords::panic_message(payload).unwrap().ends_with("fails"));
            *panics.lock().unwrap().entry(chord.to_string()).or_default() += 1;
        });
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let handle = runtime.handle().clone();
    let executors: [(&str, JoinBuilder); 3] = [
        ("pool", Join::builder()),
        ("thread_per_body", {
            let mut b = Join::builder();
            b.spawn_with(|job: Job| {
                std::thread::spawn(move || job.run());
            });
            b
        }),
        ("tokio_blocking", {
            let mut b = Join::builder();
            b.spawn_with(move |job: Job| {
                handle.spawn_blocking(move || job.run());
            });
            b
        }),
    ];
    for (name, builder) in executors {
        let ran = Arc::new(AtomicUsize::new(0));
        run_jobs(builder, name, &ran);
        assert_eq!(ran.load(SeqCst), 20, "{name}: every other body ran");
        assert_eq!(panics.lock().unwrap().get(name), Some(&10), "{name}");
    }
}
