//! The one place that chooses between `std` and `loom`.
//!
//! Under `--cfg loom` every atomic, `Arc`, thread, park and `UnsafeCell` the
//! engine touches comes from loom, so the model checker sees every
//! interleaving of the matcher. Nothing else in the crate names `std::sync`.

#[cfg(loom)]
pub(crate) use loom::{
    sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering},
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
};
#[cfg(not(loom))]
pub(crate) use std::{
    sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering},
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
};

/// A memory fence that loom sees.
#[cfg(loom)]
pub(crate) use loom::sync::atomic::fence;
/// A memory fence that loom sees.
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::fence;

/// Orders a counter's loads after the increments that came before them, for
/// loom. The matcher's Dekker-style handshake (increment one counter, then
/// load another) needs only `SeqCst` RMWs and loads in the real memory model,
/// but loom models `SeqCst` accesses as `AcqRel` and only honours `SeqCst`
/// fences; so under loom this is such a fence, and elsewhere nothing.
#[inline(always)]
pub(crate) fn loom_seq_cst() {
    #[cfg(loom)]
    loom::sync::atomic::fence(Ordering::SeqCst);
}

/// A number for ordering objects made during a loom model, the same in
/// every run that follows the same schedule (their addresses are not): an
/// untracked counter, since it only orders.
#[cfg(loom)]
pub(crate) fn loom_order() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// An `UnsafeCell` with loom's closure API, so loom can check every access.
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// An `UnsafeCell` with loom's closure API, so loom can check every access.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Waits a little before looking again at a word another thread will change.
///
/// Spins, then yields; under loom it always yields so the other thread runs.
pub(crate) struct Backoff {
    #[cfg(not(loom))]
    inner: crossbeam_utils::Backoff,
}

impl Backoff {
    pub(crate) fn new() -> Self {
        Backoff {
            #[cfg(not(loom))]
            inner: crossbeam_utils::Backoff::new(),
        }
    }

    /// Backs off after a lost race (a failed CAS).
    pub(crate) fn spin(&self) {
        #[cfg(not(loom))]
        self.inner.spin();
        #[cfg(loom)]
        thread::yield_now();
    }

    /// Backs off while waiting for another thread to make progress.
    pub(crate) fn snooze(&self) {
        #[cfg(not(loom))]
        self.inner.snooze();
        #[cfg(loom)]
        thread::yield_now();
    }

    /// Whether spinning has stopped paying and the caller should park.
    pub(crate) fn is_completed(&self) -> bool {
        #[cfg(not(loom))]
        return self.inner.is_completed();
        #[cfg(loom)]
        return true;
    }
}
