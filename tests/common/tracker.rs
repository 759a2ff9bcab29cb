//! Drop counting for the tests: values that count their own drops, by id.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Counts, per id, how many times a [`Counted`] was dropped.
pub struct Tracker {
    created: AtomicUsize,
    drops: Vec<AtomicUsize>,
}

impl Tracker {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Tracker {
            created: AtomicUsize::new(0),
            drops: (0..capacity).map(|_| AtomicUsize::new(0)).collect(),
        })
    }

    /// A new value with the next id.
    pub fn make(self: &Arc<Self>) -> Counted {
        let id = self.created.fetch_add(1, SeqCst);
        assert!(id < self.drops.len(), "tracker too small");
        Counted {
            id,
            tracker: Arc::clone(self),
        }
    }

    pub fn created(&self) -> usize {
        self.created.load(SeqCst)
    }

    pub fn dropped(&self, id: usize) -> usize {
        self.drops[id].load(SeqCst)
    }

    /// All drops so far; fails if any value was dropped twice.
    pub fn total(&self) -> usize {
        (0..self.created())
            .map(|id| {
                let n = self.dropped(id);
                assert!(n <= 1, "value {id} dropped {n} times");
                n
            })
            .sum()
    }

    /// The ids dropped so far (each must have been dropped once).
    pub fn dropped_ids(&self) -> Vec<usize> {
        (0..self.drops.len())
            .filter(|&id| {
                let n = self.dropped(id);
                assert!(n <= 1, "value {id} dropped {n} times");
                n == 1
            })
            .collect()
    }

    /// Every value created was dropped exactly once.
    pub fn assert_all_dropped_once(&self) {
        for id in 0..self.created() {
            assert_eq!(self.dropped(id), 1, "value {id}");
        }
        assert_eq!(self.total(), self.created());
    }

    /// Waits until as many values were dropped as created. Bodies on the
    /// executor may hold the last clone of a join for a moment after the test
    /// dropped its own; a generous bound turns a leak into a failure.
    pub fn wait_for_all_drops(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.total() < self.created() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        self.assert_all_dropped_once();
    }
}

/// A value whose drop is counted under its id.
pub struct Counted {
    pub id: usize,
    tracker: Arc<Tracker>,
}

impl std::fmt::Debug for Counted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counted({})", self.id)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.tracker.drops[self.id].fetch_add(1, SeqCst);
    }
}
