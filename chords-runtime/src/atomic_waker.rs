//! A waker slot that one task registers in and any thread wakes, lock-free:
//! the algorithm of `futures`' `AtomicWaker` (also tokio's), over
//! [`crate::sync`] so that loom checks it with the rest of the engine.
//!
//! A state word says whether the slot is being written (`REGISTERING`, by
//! its task) or read (`WAKING`, by a waker). A wake that finds a
//! registration in progress leaves `WAKING` set; the registering task sees it
//! when it finishes and wakes itself, so no wake is lost.

use std::task::Waker;

use crate::sync::{AtomicU32, Ordering::*, UnsafeCell};

const IDLE: u32 = 0;
const REGISTERING: u32 = 1;
const WAKING: u32 = 2;

/// A slot for the waker of the task that waits on a call.
pub(crate) struct AtomicWaker {
    state: AtomicU32,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the waker (`Send + Sync`) is only touched by the one thread that
// owns the `REGISTERING` or `WAKING` bit, as the state word arbitrates.
unsafe impl Send for AtomicWaker {}
// SAFETY: as for `Send`.
unsafe impl Sync for AtomicWaker {}

impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker {
            state: AtomicU32::new(IDLE),
            waker: UnsafeCell::new(None),
        }
    }

    /// Registers `waker` as the one to wake next (the waiting task calls this
    /// on each poll, never from two threads at once). Clones it only when it
    /// would not wake the same task as the one registered.
    pub(crate) fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(IDLE, REGISTERING, Acquire, Acquire)
        {
            Ok(_) => {
                // SAFETY: `REGISTERING` is ours: no waker reads the slot.
                self.waker.with_mut(|slot| unsafe {
                    match &mut *slot {
                        Some(old) if old.will_wake(waker) => {}
                        slot => *slot = Some(waker.clone()),
                    }
                });
                if let Err(actual) = self
                    .state
                    .compare_exchange(REGISTERING, IDLE, AcqRel, Acquire)
                {
                    // A wake came while we wrote: it left the slot to us.
                    debug_assert_eq!(actual, REGISTERING | WAKING);
                    // SAFETY: still ours: the waker that set `WAKING` saw
                    // `REGISTERING` and did not touch the slot.
                    let woken = self.waker.with_mut(|slot| unsafe { (*slot).take() });
                    self.state.swap(IDLE, AcqRel);
                    if let Some(woken) = woken {
                        woken.wake();
                    }
                }
            }
            // A wake is reading the slot: it may hold the old waker, so wake
            // the new one now.
            Err(WAKING) => waker.wake_by_ref(),
            Err(state) => debug_assert!(false, "two registrations at once ({state})"),
        }
    }

    /// Wakes the registered task, if any.
    pub(crate) fn wake(&self) {
        if self.state.fetch_or(WAKING, AcqRel) == IDLE {
            // SAFETY: `WAKING` is ours and no registration is in progress.
            let woken = self.waker.with_mut(|slot| unsafe { (*slot).take() });
            self.state.fetch_and(!WAKING, Release);
            if let Some(woken) = woken {
                woken.wake();
            }
        }
    }
}
