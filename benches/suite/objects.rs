//! The chord objects of the suite, and the hand-written peers that are not
//! already a library type.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

use chords::{chords, AsyncChannel, Join, SyncChannel};

#[chords(pub)]
impl Exchanger {
    pub fn left(&self, x: u64) -> u64;
    pub fn right(&self, y: u64) -> u64;

    #[chord(left(x) & right(y))]
    fn swap(&self) -> (u64, u64) {
        (y, x)
    }
}

#[chords(pub)]
impl Buffer {
    pub async fn put(&self, item: u64);
    pub fn get(&self) -> u64;

    #[chord(get() & put(item))]
    fn deliver(&self) -> u64 {
        item
    }
}

/// A shared counter whose count is a state channel: one slot, no queue.
#[chords(pub)]
impl StateCounter {
    /// The count (`count_now` reads it; only `added` sends it).
    #[state]
    pub async fn count(&self, n: u64);
    /// Adds `k`; returns the new count.
    pub fn add(&self, k: u64) -> u64;

    #[chord(add(k) & count(n))]
    fn added(&self) -> u64 {
        self.count(n + k);
        n + k
    }
}

/// The same counter with its count in an ordinary channel, a queue: what
/// `StateCounter` was before state channels.
#[chords(pub)]
impl QueueCounter {
    async fn count(&self, n: u64);
    /// Adds `k`; returns the new count.
    pub fn add(&self, k: u64) -> u64;

    pub fn new(n: u64) -> Self {
        let counter = Self::default();
        counter.count(n);
        counter
    }

    #[chord(add(k) & count(n))]
    fn added(&self) -> u64 {
        self.count(n + k);
        n + k
    }
}

/// An `n`-way barrier for `n` known at run time: one chord over `n` calls,
/// its rounds counted.
pub struct ChordBarrier {
    pub join: Join,
    pub arrive: SyncChannel<(), ()>,
    pub rounds: Arc<AtomicU64>,
}

impl ChordBarrier {
    pub fn new(n: usize) -> Option<ChordBarrier> {
        fn build<const N: usize>() -> ChordBarrier {
            let rounds = Arc::new(AtomicU64::new(0));
            let counted = rounds.clone();
            let mut b = Join::builder();
            let arrive = b.synchronous::<(), ()>("arrive");
            b.when(arrive.times::<N>()).then(move |(callers,)| {
                counted.fetch_add(1, Relaxed);
                callers.into_iter().for_each(|((), reply)| reply.send(()));
            });
            let join = b.build().expect("valid chords");
            ChordBarrier {
                join,
                arrive,
                rounds,
            }
        }
        macro_rules! dispatch {
            ($($n:literal)*) => {
                match n {
                    $($n => Some(build::<$n>()),)*
                    _ => None,
                }
            };
        }
        dispatch!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }
}

/// The dining philosophers' table of `examples/dining_philosophers`: one
/// chopstick channel per seat, one chord per philosopher.
pub struct Table {
    pub join: Join,
    pub eat: Vec<SyncChannel<(), ()>>,
    pub chopsticks: Vec<AsyncChannel<()>>,
}

impl Table {
    pub fn new(philosophers: usize, chopsticks: usize) -> Table {
        let mut b = Join::builder();
        let sticks: Vec<_> = (0..chopsticks)
            .map(|i| b.asynchronous::<()>(format!("chopstick{i}")))
            .collect();
        let eat: Vec<_> = (0..philosophers)
            .map(|i| b.synchronous::<(), ()>(format!("eat{i}")))
            .collect();
        for (i, &eat) in eat.iter().enumerate() {
            let (left, right) = seat(i, chopsticks);
            b.when(eat)
                .and(sticks[left])
                .and(sticks[right])
                .then(|(((), reply), (), ())| reply.send(()));
        }
        let join = b.build().expect("valid chords");
        sticks.iter().for_each(|&c| join.send(c, ()));
        Table {
            join,
            eat,
            chopsticks: sticks,
        }
    }
}

/// Philosopher `i`'s chopsticks, lower index first.
pub fn seat(i: usize, chopsticks: usize) -> (usize, usize) {
    let (a, b) = (i, (i + 1) % chopsticks);
    (a.min(b), a.max(b))
}

/// A counting semaphore from a `parking_lot` mutex and condition variable.
pub struct CondvarSemaphore {
    pub permits: parking_lot::Mutex<usize>,
    freed: parking_lot::Condvar,
}

impl CondvarSemaphore {
    pub fn new(permits: usize) -> Self {
        CondvarSemaphore {
            permits: parking_lot::Mutex::new(permits),
            freed: parking_lot::Condvar::new(),
        }
    }

    pub fn acquire(&self) {
        let mut permits = self.permits.lock();
        while *permits == 0 {
            self.freed.wait(&mut permits);
        }
        *permits -= 1;
    }

    pub fn release(&self) {
        *self.permits.lock() += 1;
        self.freed.notify_one();
    }
}

/// A keyed store: `take(k)` waits for an item of key `k` (an index serves
/// the keyed chord, docs/reference.md, *Guards and value patterns*).
#[chords(pub)]
impl KeyedStore {
    /// Waits for an item of key `k`, and takes the oldest.
    pub fn take(&self, k: u32) -> u64;
    /// Stores `v` under `key`.
    pub async fn item(&self, key: u32, v: u64);

    #[chord(take(k) & item(key, v) if *key == *k)]
    fn keyed(&self) -> u64 {
        v
    }
}

/// The same store by hand: a map of queues under a mutex, and a condition
/// variable for the takers who find their key's queue empty.
#[derive(Default)]
pub struct CondvarStore {
    pub items: parking_lot::Mutex<std::collections::HashMap<u32, std::collections::VecDeque<u64>>>,
    stored: parking_lot::Condvar,
}

impl CondvarStore {
    pub fn take(&self, k: u32) -> u64 {
        let mut items = self.items.lock();
        loop {
            if let Some(v) = items.get_mut(&k).and_then(|q| q.pop_front()) {
                return v;
            }
            self.stored.wait(&mut items);
        }
    }

    pub fn item(&self, key: u32, v: u64) {
        self.items.lock().entry(key).or_default().push_back(v);
        self.stored.notify_all();
    }
}

/// A lock as a new user writes it: `release` is a synchronous call, whose
/// chord sends the `free()` token back (the example's lock sends `free()`
/// itself).
#[chords(pub)]
impl SyncLock {
    pub fn acquire(&self);
    pub fn release(&self);
    async fn free(&self);

    #[chord(acquire() & free())]
    fn taken() {}

    #[chord(release())]
    fn released(&self) {
        self.free();
    }

    pub fn new() -> Self {
        let lock = Self::default();
        lock.free();
        lock
    }
}
