//! What the engine did on this thread: a counting build for finding where
//! the time goes when callers wait.
//!
//! Built with the `stats` feature, the engine counts, per thread, the events
//! of [`Counts`]; without it, counting compiles to nothing and
//! [`thread_counts`] returns zeros ([`ENABLED`] says which). Counters are
//! per thread, so counting adds no shared write to the paths it measures.
//!
//! ```
//! let counts = chords_runtime::stats::thread_counts();
//! assert_eq!(counts.parks, 0);
//! ```

/// Whether this build counts (the `stats` feature).
pub const ENABLED: bool = cfg!(feature = "stats");

/// Events of the engine on one thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Synchronous calls that tried again to fire at once, after spinning.
    pub retries: u64,
    /// Synchronous calls that queued.
    pub queued: u64,
    /// Times a waiting caller parked its thread.
    pub parks: u64,
    /// Times a firing or a reply unparked another thread.
    pub unparks: u64,
    /// Chords handed over to a queued caller to run.
    pub handoffs: u64,
    /// Chords handed over that a caller which had not queued took instead.
    pub robberies: u64,
    /// Failed compare-and-swaps on a channel's counter.
    pub cas_failures: u64,
    /// Reservations rolled back for a conflict (then rescanned).
    pub conflicts: u64,
}

/// One kind of event.
#[derive(Clone, Copy)]
pub(crate) enum Event {
    Retry,
    Queued,
    Park,
    Unpark,
    Handoff,
    Robbery,
    CasFailure,
    Conflict,
}

#[cfg(all(feature = "stats", not(loom)))]
std::thread_local! {
    static COUNTS: std::cell::Cell<Counts> = const {
        std::cell::Cell::new(Counts {
            retries: 0, queued: 0, parks: 0, unparks: 0,
            handoffs: 0, robberies: 0, cas_failures: 0, conflicts: 0,
        })
    };
}

/// Counts one `event` on this thread (nothing without the `stats` feature).
#[inline(always)]
pub(crate) fn count(event: Event) {
    #[cfg(all(feature = "stats", not(loom)))]
    COUNTS.with(|counts| {
        let mut c = counts.get();
        let field = match event {
            Event::Retry => &mut c.retries,
            Event::Queued => &mut c.queued,
            Event::Park => &mut c.parks,
            Event::Unpark => &mut c.unparks,
            Event::Handoff => &mut c.handoffs,
            Event::Robbery => &mut c.robberies,
            Event::CasFailure => &mut c.cas_failures,
            Event::Conflict => &mut c.conflicts,
        };
        *field += 1;
        counts.set(c);
    });
    #[cfg(not(all(feature = "stats", not(loom))))]
    let _ = event;
}

/// This thread's counts since its last call (and resets them). All zero
/// unless built with the `stats` feature.
pub fn thread_counts() -> Counts {
    #[cfg(all(feature = "stats", not(loom)))]
    return COUNTS.with(|counts| counts.take());
    #[cfg(not(all(feature = "stats", not(loom))))]
    Counts::default()
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.retries += other.retries;
        self.queued += other.queued;
        self.parks += other.parks;
        self.unparks += other.unparks;
        self.handoffs += other.handoffs;
        self.robberies += other.robberies;
        self.cas_failures += other.cas_failures;
        self.conflicts += other.conflicts;
    }
}
