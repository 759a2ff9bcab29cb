//! Waiting for arrivals: the callers of a channel whose argument a guard
//! reads (see [`crate::search`]) do not queue; they retry as messages come.
//!
//! A queued call's argument cannot be read by another thread (its caller may
//! withdraw it at any moment), so a guard that reads a call's argument is
//! evaluated only by that call's own caller. Such a caller tries to reserve
//! a chord with its call, as any caller does first; if none can fire, it
//! waits for the next arrival on the join and tries again. An eventcount
//! makes the wait free of lost wake-ups: the caller reads the count *before*
//! it tries, and waits only while the count is still that; every arrival
//! bumps the count after it was counted, waking every waiting caller, thread
//! or task. A waiting caller is not queued: it holds no unit of any counter,
//! so a deadline or a dropped future has nothing to undo.

use std::task::Waker;
use std::time::Instant;

use crate::sync::{Condvar, Mutex, MutexGuard};

/// The arrivals of a join, counted for the callers that retry.
pub(crate) struct Arrivals {
    ticks: Mutex<Ticks>,
    arrived: Condvar,
}

struct Ticks {
    /// How many arrivals there were.
    count: u64,
    /// The tasks waiting for the next.
    wakers: Vec<Waker>,
}

impl Arrivals {
    pub(crate) fn new() -> Self {
        Arrivals {
            ticks: Mutex::new(Ticks {
                count: 0,
                wakers: Vec::new(),
            }),
            arrived: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Ticks> {
        self.ticks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The count now: read before trying to fire.
    pub(crate) fn count(&self) -> u64 {
        self.lock().count
    }

    /// An arrival was counted: wakes every waiting caller.
    pub(crate) fn bump(&self) {
        let wakers = {
            let mut ticks = self.lock();
            ticks.count += 1;
            std::mem::take(&mut ticks.wakers)
        };
        self.arrived.notify_all();
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Tries `attempt` until it fires (`Ok`), reading the count before each
    /// try; after one that did not, `wait` gets the count read before it
    /// and says whether to try again (`Err` then hands the state back).
    pub(crate) fn retry<S, T>(
        &self,
        mut state: S,
        mut attempt: impl FnMut(S) -> Result<T, S>,
        mut wait: impl FnMut(u64) -> bool,
    ) -> Result<T, S> {
        loop {
            let seen = self.count();
            state = match attempt(state) {
                Ok(fired) => return Ok(fired),
                Err(state) => state,
            };
            if !wait(seen) {
                return Err(state);
            }
        }
    }

    /// Blocks while the count is `seen`; `false` if `deadline` passed first.
    pub(crate) fn wait_past(&self, seen: u64, deadline: Option<Instant>) -> bool {
        let mut ticks = self.lock();
        while ticks.count == seen {
            ticks = match deadline {
                None => self.arrived.wait(ticks).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                        return false;
                    };
                    self.arrived
                        .wait_timeout(ticks, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
        true
    }

    /// Wakes `waker` at the next arrival if the count is still `seen`;
    /// `false` if it is not (try again at once).
    pub(crate) fn register(&self, seen: u64, waker: &Waker) -> bool {
        let mut ticks = self.lock();
        if ticks.count != seen {
            return false;
        }
        if !ticks.wakers.iter().any(|w| w.will_wake(waker)) {
            ticks.wakers.push(waker.clone());
        }
        true
    }
}
