//! Value patterns and guards (docs/reference.md, *Guards and value
//! patterns*): a chord fires only with messages that fit its patterns and
//! its guard; the oldest that fit; priority among patterned and plain
//! chords; nothing consumed when nothing fits; counts conserved under
//! concurrent sends; a panicking guard reaches its sender.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;

use chords::chords;

mod common;
use common::within;

/// JoCaml's countdown: `wait` returns once `count` reaches zero.
#[chords]
impl Countdown {
    async fn count(&self, n: u32);
    async fn tick(&self);
    fn wait(&self);

    #[chord(count(0) & wait())]
    fn done(&self) {
        self.count(0);
    }

    #[chord(count(n) & tick() if *n > 0)]
    fn ticked(&self) {
        self.count(n - 1);
    }
}

#[test]
fn a_countdown_fires_at_zero_only() {
    within("countdown", || {
        for round in 0..20 {
            let c = Countdown::new();
            c.count(8);
            assert!(c.try_wait().is_err(), "round {round}: fired at 8");
            let tickers: Vec<_> = (0..4)
                .map(|_| {
                    let c = c.clone();
                    thread::spawn(move || {
                        c.tick();
                        c.tick();
                    })
                })
                .collect();
            for t in tickers {
                t.join().unwrap();
            }
            c.wait();
            c.wait_idle();
            // Every tick was taken while the count was above zero, and the
            // count, at zero, is still there.
            assert_eq!(c.waiting()["tick"], 0);
            assert_eq!(c.waiting()["count"], 1);
            c.tick(); // no chord takes a tick at zero
            c.wait_idle();
            assert_eq!(c.waiting()["tick"], 1);
        }
    });
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rw {
    Idle,
    Readers(usize),
    Writing,
}

/// A reader/writer lock whose state is one state channel, matched by value.
#[chords]
impl RwLock {
    #[state]
    async fn state(&self, s: Rw);
    fn shared(&self);
    fn release_shared(&self);
    fn exclusive(&self);
    fn release_exclusive(&self);

    #[chord(shared() & state(Rw::Idle))]
    fn first_reader(&self) {
        self.state(Rw::Readers(1));
    }

    #[chord(shared() & state(Rw::Readers(n)))]
    fn next_reader(&self) {
        self.state(Rw::Readers(n + 1));
    }

    #[chord(release_shared() & state(Rw::Readers(n)))]
    fn reader_leaves(&self) {
        self.state(if n == 1 { Rw::Idle } else { Rw::Readers(n - 1) });
    }

    #[chord(exclusive() & state(Rw::Idle))]
    fn writer(&self) {
        self.state(Rw::Writing);
    }

    #[chord(release_exclusive() & state(Rw::Writing))]
    fn writer_leaves(&self) {
        self.state(Rw::Idle);
    }
}

#[test]
fn readers_and_writers_exclude_each_other_by_value() {
    within("rwlock by value", || {
        let lock = RwLock::new(Rw::Idle);
        let readers = Arc::new(AtomicUsize::new(0));
        let writers = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (lock, readers, writers) = (lock.clone(), readers.clone(), writers.clone());
                thread::spawn(move || {
                    for i in 0..300 {
                        if (i + t) % 4 == 0 {
                            lock.exclusive();
                            assert_eq!(writers.fetch_add(1, SeqCst), 0, "two writers");
                            assert_eq!(readers.load(SeqCst), 0, "a reader beside a writer");
                            assert_eq!(lock.state_now(), Rw::Writing);
                            writers.fetch_sub(1, SeqCst);
                            lock.release_exclusive();
                        } else {
                            lock.shared();
                            readers.fetch_add(1, SeqCst);
                            assert_eq!(writers.load(SeqCst), 0, "a writer beside a reader");
                            readers.fetch_sub(1, SeqCst);
                            lock.release_shared();
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(lock.state_now(), Rw::Idle);
        assert_eq!(lock.waiting()["state"], 1);
    });
}

/// Items that may carry a value: `take` wants one that does, `skip` one
/// that does not, `big` one above 100.
#[chords]
impl Items {
    async fn item(&self, x: Option<u32>);
    fn take(&self) -> u32;
    fn skip(&self);
    fn big(&self) -> u32;

    #[chord(take() & item(Some(x)))]
    fn taken(&self) -> u32 {
        x
    }

    #[chord(skip() & item(None))]
    fn skipped(&self) {}

    #[chord(big() & item(x) if x.is_some_and(|x| x > 100))]
    fn found_big(&self) -> u32 {
        x.unwrap()
    }
}

#[test]
fn a_chord_takes_the_oldest_messages_that_fit() {
    let items = Items::new();
    for x in [None, Some(1), None, Some(2), Some(3)] {
        items.item(x);
    }
    assert_eq!(items.take(), 1);
    assert_eq!(items.take(), 2);
    items.skip();
    assert_eq!(items.take(), 3);
    assert!(items.try_take().is_err());
    assert_eq!(items.waiting()["item"], 1, "one `None` left");
    items.skip();
    assert_eq!(items.waiting()["item"], 0);
}

#[test]
fn nothing_is_consumed_when_no_message_fits_the_guard() {
    let items = Items::new();
    items.item_all([Some(1), Some(100), None]);
    assert!(items.try_big().is_err());
    assert_eq!(items.waiting()["item"], 3, "nothing consumed");
    let waiter = {
        let items = items.clone();
        thread::spawn(move || items.big())
    };
    common::wait_until("big waits", || items.waiting()["big"] == 1);
    items.item(Some(101));
    assert_eq!(waiter.join().unwrap(), 101);
    assert_eq!(items.waiting()["item"], 3);
    assert_eq!(items.take(), 1, "the others are still there, in order");
}

/// A patterned chord declared before a plain one over the same channel.
#[chords]
impl Picky {
    async fn n(&self, n: u32);
    fn get(&self) -> (&'static str, u32);

    #[chord(get() & n(0))]
    fn zero(&self) -> (&'static str, u32) {
        ("zero", 0)
    }

    #[chord(get() & n(n))]
    fn any(&self) -> (&'static str, u32) {
        ("any", n)
    }
}

#[test]
fn an_earlier_patterned_chord_takes_priority_over_a_plain_one() {
    let p = Picky::new();
    p.n(5);
    p.n(0);
    assert_eq!(
        p.get(),
        ("zero", 0),
        "both could fire: the first declared does"
    );
    assert_eq!(p.get(), ("any", 5));
    p.n(0);
    assert_eq!(p.get(), ("zero", 0));
    assert!(p.try_get().is_err());
}

/// Even and odd numbers, taken by two kinds of callers.
#[chords]
impl Parity {
    async fn num(&self, n: u64);
    fn even(&self) -> u64;
    fn odd(&self) -> u64;

    #[chord(even() & num(n) if *n % 2 == 0)]
    fn took_even(&self) -> u64 {
        n
    }

    #[chord(odd() & num(n) if *n % 2 == 1)]
    fn took_odd(&self) -> u64 {
        n
    }
}

#[test]
fn guards_racing_concurrent_sends_conserve_every_message() {
    within("parity", || {
        let p = Parity::new();
        let (senders, per) = (3u64, 400u64);
        let sent: Vec<_> = (0..senders)
            .map(|s| {
                let p = p.clone();
                thread::spawn(move || (0..per).for_each(|i| p.num(s * per + i)))
            })
            .collect();
        let takers: Vec<_> = [true, false, true, false]
            .into_iter()
            .map(|even| {
                let p = p.clone();
                thread::spawn(move || {
                    (0..senders * per / 4)
                        .map(|_| if even { p.even() } else { p.odd() })
                        .inspect(|n| assert_eq!(n % 2 == 0, even, "{n} to the wrong taker"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for s in sent {
            s.join().unwrap();
        }
        let mut taken: Vec<u64> = takers.into_iter().flat_map(|t| t.join().unwrap()).collect();
        taken.sort_unstable();
        assert_eq!(taken, (0..senders * per).collect::<Vec<_>>(), "each once");
        assert_eq!(p.waiting()["num"], 0);
    });
}

/// A guard that panics for some values.
#[chords]
impl Fragile {
    async fn v(&self, n: u32);
    fn get(&self) -> u32;

    #[chord(get() & v(n) if 10 / *n > 1)]
    fn got(&self) -> u32 {
        n
    }
}

#[test]
fn a_panicking_guard_reaches_its_sender_and_queues_nothing() {
    let f = Fragile::new();
    let err = panic::catch_unwind(AssertUnwindSafe(|| f.v(0))).unwrap_err();
    let message = err.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(message.contains("divide by zero"), "{message}");
    assert_eq!(
        f.waiting()["v"],
        0,
        "the message that panicked is not queued"
    );
    f.v(9); // 10 / 9 == 1: does not fit
    f.v(2);
    assert_eq!(f.get(), 2, "the object is still usable");
    assert_eq!(f.waiting()["v"], 1);
}

/// A keyed lookup: `take(k)` waits for an item of key `k`.
#[chords]
impl Store {
    fn take(&self, k: u32) -> u64;
    async fn item(&self, key: u32, v: u64);

    #[chord(take(k) & item(key, v) if *key == *k)]
    fn keyed(&self) -> u64 {
        v
    }
}

#[test]
fn a_keyed_chord_takes_the_oldest_item_of_its_key() {
    let store = Store::new();
    store.item_all([(1, 10), (2, 20), (1, 11), (3, 30)]);
    assert_eq!(store.take(1), 10);
    assert_eq!(store.take(3), 30);
    assert_eq!(store.take(1), 11);
    assert_eq!(
        store.try_take(1),
        Err(chords::TryCallError(1)),
        "none left of key 1"
    );
    assert_eq!(store.waiting()["item"], 1, "key 2's item is still there");
    let waiter = {
        let store = store.clone();
        thread::spawn(move || store.take(9))
    };
    common::wait_until("take(9) waits", || store.waiting()["take"] == 1);
    store.item(8, 80); // another key: the waiter keeps waiting
    store.item(9, 90);
    assert_eq!(waiter.join().unwrap(), 90);
    assert_eq!(
        store.take_timeout(4, std::time::Duration::from_millis(1)),
        Err(chords::TimeoutError(4)),
        "a timeout gives the key back"
    );
    assert_eq!(store.waiting()["item"], 2);
    assert_eq!(store.waiting()["take"], 0);
}

#[test]
fn keyed_lookups_conserve_every_item_under_concurrency() {
    within("keyed", || {
        let store = Store::new();
        let (keys, per_key) = (16u32, 200u64);
        // Producers send items of every key; consumers take their own keys.
        let producers: Vec<_> = (0..2u64)
            .map(|p| {
                let store = store.clone();
                thread::spawn(move || {
                    for i in 0..per_key / 2 {
                        for k in 0..keys {
                            store.item(k, u64::from(k) * 1_000_000 + p * 1000 + i);
                        }
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..4u32)
            .map(|c| {
                let store = store.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    for k in (c..keys).step_by(4) {
                        for _ in 0..per_key {
                            let v = store.take(k);
                            assert_eq!(v / 1_000_000, u64::from(k), "an item of another key");
                            got.push(v);
                        }
                    }
                    got
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let mut got: Vec<u64> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect();
        got.sort_unstable();
        let mut sent: Vec<u64> = (0..keys)
            .flat_map(|k| {
                (0..2u64).flat_map(move |p| {
                    (0..per_key / 2).map(move |i| u64::from(k) * 1_000_000 + p * 1000 + i)
                })
            })
            .collect();
        sent.sort_unstable();
        assert_eq!(got, sent, "every item taken once");
        assert_eq!(store.waiting()["item"], 0);
    });
}

#[test]
fn keyed_calls_await_too() {
    let store = Store::new();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    store.item(5, 55);
    assert_eq!(runtime.block_on(store.take_async(5)), 55);
}

/// Shapes that must compile without a warning (CI lints the tests with
/// `-D warnings`): alternatives; a binding only
/// the guard reads; a patterned chord whose body is one expression.
#[chords]
impl Shapes {
    async fn n(&self, n: u32);
    fn small(&self) -> u32;
    fn big(&self) -> &'static str;
    #[state]
    async fn s(&self, s: Rw);
    fn busy(&self) -> usize;

    #[chord(small() & n(0 | 1))]
    fn tiny(&self) -> u32 {
        1
    }

    #[chord(big() & n(x) if *x > 2)]
    fn large(&self) -> &'static str {
        "big"
    }

    #[chord(busy() & s(Rw::Readers(_) | Rw::Writing))]
    fn occupied(&self) -> usize {
        self.s(Rw::Idle);
        0
    }
}

#[test]
fn alternatives_and_guard_only_bindings() {
    let shapes = Shapes::new(Rw::Idle);
    shapes.n(7);
    shapes.n(1);
    assert_eq!(shapes.small(), 1);
    assert_eq!(shapes.big(), "big");
    assert_eq!(shapes.waiting()["n"], 0);
    assert!(shapes.try_busy().is_err(), "Idle fits no alternative");
}

/// Value patterns and guards on a synchronous term: each call is routed by
/// its arguments, and waits, queued, for a chord its arguments fit.
#[chords]
impl Desk {
    fn ask(&self, urgent: bool, n: u32) -> &'static str;
    async fn clerk(&self);
    async fn manager(&self);

    #[chord(ask(true, _) & manager())]
    fn escalated(&self) -> &'static str {
        "manager"
    }

    #[chord(ask(false, n) & clerk() if *n < 100)]
    fn routine(&self) -> &'static str {
        "clerk"
    }

    #[chord(ask(false, n) & manager() if *n >= 100)]
    fn big(&self) -> &'static str {
        "manager (big)"
    }
}

#[test]
fn calls_are_routed_by_their_arguments() {
    let desk = Desk::new();
    desk.clerk();
    assert_eq!(
        desk.try_ask(true, 1),
        Err(chords::TryCallError((true, 1))),
        "a clerk does not take an urgent call"
    );
    assert_eq!(desk.ask(false, 1), "clerk");
    // Queued calls wait for what fits them.
    let urgent = {
        let desk = desk.clone();
        thread::spawn(move || desk.ask(true, 2))
    };
    let routine = {
        let desk = desk.clone();
        thread::spawn(move || desk.ask(false, 3))
    };
    common::wait_until("both wait", || desk.waiting()["ask"] == 2);
    desk.clerk();
    assert_eq!(routine.join().unwrap(), "clerk");
    assert_eq!(desk.waiting()["ask"], 1, "the urgent call still waits");
    desk.manager();
    assert_eq!(urgent.join().unwrap(), "manager");
    desk.manager();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(
        runtime.block_on(desk.ask_async(false, 500)),
        "manager (big)"
    );
    assert_eq!(
        desk.ask_timeout(false, 500, std::time::Duration::from_millis(1)),
        Err(chords::TimeoutError((false, 500)))
    );
    assert_eq!(desk.waiting()["ask"], 0);
}

#[test]
fn routed_and_keyed_calls_are_branches_of_a_choice() {
    let (desk, store) = (Desk::new(), Store::new());
    store.item(2, 20);
    desk.manager();
    // Only the keyed branch of key 2 and the urgent call can fire; the
    // first listed does, and the other leaves no trace.
    let fired = chords::select! {
        v = store.take(1) => format!("store 1: {v}"),
        who = desk.ask(false, 1) => format!("desk: {who}"),
        v = store.take(2) => format!("store 2: {v}"),
        who = desk.ask(true, 1) => format!("desk: {who}"),
    };
    assert_eq!(fired, "store 2: 20");
    assert_eq!([store.waiting()["item"], store.waiting()["take"]], [0, 0]);
    assert_eq!([desk.waiting()["ask"], desk.waiting()["manager"]], [0, 1]);
    let fired = chords::select! {
        v = store.take(2) => format!("store 2: {v}"),
        who = desk.ask(true, 1) => format!("desk: {who}"),
    };
    assert_eq!(fired, "desk: manager");
    // Neither ready: both wait, queued, until an item of key 5 comes.
    let chooser = {
        let (desk, store) = (desk.clone(), store.clone());
        thread::spawn(move || {
            chords::select! {
                v = store.take(5) => v,
                _who = desk.ask(true, 1) => 0,
            }
        })
    };
    common::wait_until("both branches wait", || {
        store.waiting()["take"] == 1 && desk.waiting()["ask"] == 1
    });
    store.item(5, 50);
    assert_eq!(chooser.join().unwrap(), 50);
    assert_eq!([store.waiting()["take"], desk.waiting()["ask"]], [0, 0]);
}
