//! Helpers shared by the integration tests. Their time bounds only turn a hang
//! into a failure that says what never happened; no test asserts a time.

#![allow(dead_code)] // each test file uses some of them

pub mod tasks;
pub mod tracker;

use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chords::{Channel, Join};

/// Runs `f` on a thread; fails, instead of hanging, if it does not finish in a minute.
pub fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel();
    let handle = thread::spawn(move || {
        let result = f();
        let _ = done.send(());
        result
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: no end after a minute (deadlock or starvation?)")
        }
    }
}

/// Waits until `condition` holds, for at most half a minute.
pub fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < give_up, "never happened: {what}");
        thread::sleep(Duration::from_micros(50));
    }
}

/// Starts `f` on a new thread with a clone of `join`, and returns once
/// `channel` has `queued` waiting calls (so calls are queued in a known order).
/// Joining the handle gives `f`'s result, or the payload it panicked with.
pub fn spawn_queued<R: Send + 'static>(
    join: &Join,
    channel: impl Channel,
    queued: usize,
    f: impl FnOnce(Join) -> R + Send + 'static,
) -> JoinHandle<R> {
    let j = join.clone();
    let handle = thread::spawn(move || f(j));
    wait_until("the call is queued", || join.waiting(channel) == queued);
    handle
}

/// `values`, sorted: to compare multisets.
pub fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort_unstable();
    values
}
