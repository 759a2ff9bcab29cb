//! State channels (docs/reference.md, *State channels*): exactly one message
//! at every quiescent point under stress, `new` taking the initial messages,
//! the volatile read, and the runtime API's rules.

use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use chords::{chords, Join};

mod common;
use common::tracker::{Counted, Tracker};
use common::within;

/// A counter: synchronous adds, asynchronous bumps, both on one state.
#[chords]
impl Counter {
    #[state]
    pub async fn count(&self, n: u64);
    /// Adds one; returns the count it replaced.
    fn add(&self) -> u64;
    async fn bump(&self, k: u64);

    #[chord(add() & count(n))]
    fn added(&self) -> u64 {
        self.count(n + 1);
        n
    }

    #[chord(bump(k) & count(n))]
    fn bumped(&self) {
        let n = n + k;
        self.count(n);
    }
}

/// Bumps add a multiple of this, so each add's count modulo it is its own.
const BUMP: u64 = 1 << 32;

#[test]
fn the_state_is_one_message_at_every_quiescent_point() {
    within("counter stress", || {
        let counter = Counter::new(0);
        let (threads, rounds, per_round) = (4, 5, 300);
        let mut seen = HashSet::new();
        for round in 1..=rounds {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let c = counter.clone();
                    thread::spawn(move || {
                        (0..per_round)
                            .map(|i| {
                                if (i + t) % 3 == 0 {
                                    c.bump(BUMP);
                                }
                                c.add() % BUMP
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                for before in h.join().unwrap() {
                    assert!(seen.insert(before), "two adds saw the count {before}");
                }
            }
            counter.wait_idle();
            // Quiescent: one message, holding every add and every bump.
            let adds = (round * threads * per_round) as u64;
            let bumps: u64 = (0..threads as u64)
                .map(|t| (0..per_round as u64).filter(|i| (i + t) % 3 == 0).count() as u64)
                .sum::<u64>()
                * round as u64;
            assert_eq!(counter.count_now(), adds + bumps * BUMP);
            let waiting: Vec<_> = counter.waiting().iter().collect();
            assert_eq!(waiting, [("count", 1), ("add", 0), ("bump", 0)]);
            assert!(
                format!("{counter:?}").contains(r#""count": 1"#),
                "{counter:?}"
            );
        }
        // Each add consumed a distinct count, 0 up to the last.
        let adds = (rounds * threads * per_round) as u64;
        assert!(seen == (0..adds).collect(), "some counts were never seen");
    });
}

/// Two state channels, one without parameters: `new` takes the others'
/// messages in declaration order.
#[chords]
impl Pair {
    #[state]
    pub async fn left(&self, name: &'static str);
    #[state]
    async fn token(&self);
    #[state]
    pub async fn right(&self, x: u32, y: u32);
    fn swap(&self) -> (&'static str, u32, u32);

    #[chord(swap() & left(name) & token() & right(x, y))]
    fn swapped(&self) -> (&'static str, u32, u32) {
        self.left(name);
        self.right(y, x);
        self.token();
        (name, x, y)
    }
}

#[test]
fn new_takes_the_initial_messages_in_declaration_order() {
    let pair = Pair::new("left", (1, 2));
    assert_eq!(pair.left_now(), "left");
    assert_eq!(pair.right_now(), (1, 2));
    assert_eq!(pair.swap(), ("left", 1, 2));
    assert_eq!(pair.right_now(), (2, 1));
    assert_eq!(pair.swap(), ("left", 2, 1));
    let waiting: Vec<_> = pair.waiting().iter().collect();
    assert_eq!(
        waiting,
        [("left", 1), ("token", 1), ("right", 1), ("swap", 0)]
    );
}

#[test]
fn a_read_waits_while_a_firing_holds_the_message() {
    let (holding, held) = mpsc::channel();
    let (open, gate) = mpsc::channel::<()>();
    let gate = std::sync::Mutex::new(gate);
    let mut b = Join::builder();
    let count = b.state::<u32>("count", 7);
    let hold = b.synchronous::<(), ()>("hold");
    b.when(hold)
        .and(count)
        .then_with(move |join, (((), r), n)| {
            holding.send(()).unwrap();
            gate.lock().unwrap().recv().unwrap();
            join.send(count, n + 1);
            r.send(());
        });
    let join = b.build().unwrap();
    assert_eq!(join.read(count), 7);
    let holder = {
        let join = join.clone();
        thread::spawn(move || join.call(hold, ()))
    };
    held.recv().unwrap();
    let reader = {
        let join = join.clone();
        thread::spawn(move || join.read(count))
    };
    thread::sleep(Duration::from_millis(20));
    assert!(!reader.is_finished(), "the read did not wait for the send");
    open.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(
        reader.join().unwrap(),
        8,
        "the read saw the value sent again"
    );
}

#[test]
fn a_second_message_panics_and_leaves_the_first() {
    let mut b = Join::builder();
    let count = b.state::<u32>("count", 1);
    let get = b.synchronous::<(), u32>("get");
    b.when(get).and(count).then_with(move |join, (((), r), n)| {
        join.send(count, n);
        r.send(n);
    });
    let plain = b.asynchronous::<u32>("plain");
    b.when(get).and(plain).then(|(((), r), n)| r.send(n));
    let join = b.build().unwrap();
    let err = panic::catch_unwind(AssertUnwindSafe(|| join.send(count, 2))).unwrap_err();
    let message = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(
        message.contains("holds exactly one message"),
        "unexpected panic: {message}"
    );
    assert_eq!(join.waiting(count), 1);
    assert_eq!(join.call(get, ()), 1, "the first message is still there");
    let err = panic::catch_unwind(AssertUnwindSafe(|| join.read(plain))).unwrap_err();
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("`plain` is not one"), "{message}");
}

#[test]
fn the_message_drops_once_with_the_object() {
    let tracker = Tracker::new(2);
    {
        let mut b = Join::builder();
        let state = b.state::<Counted>("state", tracker.make());
        let swap = b.synchronous::<Counted, ()>("swap");
        b.when(swap)
            .and(state)
            .then_with(move |join, ((new, r), _old)| {
                join.send(state, new);
                r.send(());
            });
        let join = b.build().unwrap();
        join.call(swap, tracker.make());
        assert_eq!(tracker.dropped_ids(), [0], "the replaced message dropped");
    }
    tracker.assert_all_dropped_once();
}
