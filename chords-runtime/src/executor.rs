//! Where asynchronous chords run: a process-wide cached thread pool.
//!
//! A chord with no synchronous term never runs on the thread whose message
//! completed it; once reserved, it is handed over here as a job. The pool never lets a job wait
//! behind a body that blocks: every queued job has a worker of its own, idle
//! or newly started, so a body may block on a synchronous call (even one that
//! only another asynchronous body can answer) without deadlocking the pool.
//! Workers that stay idle for [`KEEP_ALIVE`] exit, so an idle program holds
//! no threads. Under loom each job runs on a thread of its own.
//!
//! A panic in an asynchronous body is caught; the worker reports it through
//! the handler set with [`set_panic_handler`] and goes on.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::RwLock;

use crate::state::{self, Join};

/// How long an idle executor worker waits for a job before it exits.
///
/// ```
/// assert!(chords_runtime::KEEP_ALIVE >= std::time::Duration::from_secs(1));
/// ```
pub const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);

type Handler = dyn Fn(&str, &(dyn Any + Send)) + Send + Sync;

static PANIC_HANDLER: RwLock<Option<Box<Handler>>> = RwLock::new(None);

/// Sets the process-wide handler for panics in asynchronous chord bodies.
///
/// It receives the chord's name and the panic payload. The default prints
/// the chord's name and the panic message to stderr (after the standard
/// panic hook has reported the panic, as for any thread).
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let seen = Arc::new(AtomicUsize::new(0));
/// let s = seen.clone();
/// chords_runtime::set_panic_handler(move |chord, _payload| {
///     assert_eq!(chord, "boom");
///     s.fetch_add(1, Ordering::SeqCst);
/// });
/// # let mut b = chords_runtime::Join::builder();
/// # let fire = b.asynchronous::<()>("fire");
/// # b.when(fire).named("boom").then(|((),)| panic!("in a body"));
/// # let join = b.build().unwrap();
/// # join.send(fire, ());
/// # while seen.load(Ordering::SeqCst) == 0 { std::thread::yield_now(); }
/// ```
pub fn set_panic_handler(handler: impl Fn(&str, &(dyn Any + Send)) + Send + Sync + 'static) {
    *PANIC_HANDLER.write().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(handler));
}

/// The text of a panic payload: what `panic!` was given as a message, if
/// it was a string (`&str` or `String`). For panic handlers and for callers
/// that caught a panic from a chord.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("no {}", "luck")).unwrap_err();
/// assert_eq!(chords_runtime::panic_message(&*payload), Some("no luck"));
/// let payload = std::panic::catch_unwind(|| std::panic::panic_any(7)).unwrap_err();
/// assert_eq!(chords_runtime::panic_message(&*payload), None);
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

fn report(chord: &str, payload: &(dyn Any + Send)) {
    let handler = PANIC_HANDLER.read().unwrap_or_else(|e| e.into_inner());
    match &*handler {
        Some(handler) => handler(chord, payload),
        None => {
            let message = panic_message(payload).unwrap_or("Box<dyn Any>");
            eprintln!("chords: asynchronous chord `{chord}` panicked: {message}");
        }
    }
}

/// Runs `chord`'s body, which needs no caller, and reports a panic in it.
fn run(join: Join, chord: usize) {
    let body = || state::run(&join, &mut join.state.firing(chord));
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(body)) {
        report(&join.state.chords[chord].name, &*payload);
    }
}

/// Queues an asynchronous firing of `chord`, reserved.
#[cfg(loom)]
pub(crate) fn execute(join: Join, chord: usize) {
    loom::thread::spawn(move || run(join, chord));
}

/// Queues an asynchronous firing of `chord`, reserved.
#[cfg(not(loom))]
pub(crate) fn execute(join: Join, chord: usize) {
    pool::POOL.execute(join, chord);
}

#[cfg(not(loom))]
mod pool {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::LazyLock;

    use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

    use super::{run, KEEP_ALIVE};
    use crate::state::Join;

    type Job = (Join, usize);

    /// Invariant: the workers in `recv` are at least the queued jobs plus
    /// `idle`. A job is either given a worker counted in `idle` (which the
    /// submitter uncounts) or a new worker; a worker joins `idle` only when it
    /// is back in `recv`, and leaves the pool only by uncounting itself.
    pub(super) struct Pool {
        jobs: Sender<Job>,
        queue: Receiver<Job>,
        idle: AtomicUsize,
    }

    pub(super) static POOL: LazyLock<Pool> = LazyLock::new(|| {
        let (jobs, queue) = crossbeam_channel::unbounded();
        Pool {
            jobs,
            queue,
            idle: AtomicUsize::new(0),
        }
    });

    impl Pool {
        pub(super) fn execute(&'static self, join: Join, chord: usize) {
            self.jobs
                .send((join, chord))
                .expect("the pool holds its receiver");
            if self
                .idle
                .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                .is_err()
            {
                std::thread::Builder::new()
                    .name("chords-executor".into())
                    .spawn(move || self.work())
                    .expect("failed to start a chords executor thread");
            }
        }

        fn work(&self) {
            loop {
                match self.queue.recv_timeout(KEEP_ALIVE) {
                    Ok((join, chord)) => {
                        run(join, chord);
                        self.idle.fetch_add(1, SeqCst);
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        if self
                            .idle
                            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                            .is_ok()
                        {
                            return;
                        }
                        // Every idle worker is promised to a job: wait for it.
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        }
    }
}
