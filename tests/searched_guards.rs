//! Guards across terms (docs/reference.md, *Guards and value patterns*):
//! searched among the queued messages, in `#[chords]` and through the
//! runtime API's `When::guard`. The oldest messages that pass, per channel
//! in term order; nothing consumed while nothing passes; priority with
//! plain chords; a firing given back puts its messages back; a panicking
//! guard leaves the object usable; and conservation under concurrent sends.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use chords::{chords, Join};

mod common;
#[path = "../chords-runtime/tests/joins/mod.rs"]
mod joins;
use common::{sorted, tasks::ByHand, within};

/// Pairs a low and a high value with `low < high`; a budget (a state
/// channel) that `spend` may not exceed; falling pairs of bids.
#[chords]
impl Market {
    async fn low(&self, x: u32);
    async fn high(&self, y: u32);
    fn pair(&self) -> (u32, u32);
    #[state]
    async fn budget(&self, left: u32);
    fn spend(&self, amount: u32) -> u32;
    async fn cost(&self, c: u32);
    fn buy(&self) -> u32;
    async fn bid(&self, b: u32);
    fn falling(&self) -> [u32; 2];
    fn any_low(&self) -> u32;

    #[chord(pair() & low(x) & high(y) if x < y)]
    fn matched(&self) -> (u32, u32) {
        (x, y)
    }

    #[chord(spend(amount) & budget(left))]
    fn spent(&self) -> u32 {
        let left = left.saturating_sub(amount);
        self.budget(left);
        left
    }

    // A cross-term guard that reads a state channel.
    #[chord(buy() & budget(left) & cost(c) if c <= left)]
    fn bought(&self) -> u32 {
        self.budget(left - c);
        c
    }

    #[chord(falling() & [bid(b); 2] if b[0] > b[1])]
    fn fell(&self) -> [u32; 2] {
        b
    }

    // Later and plain: takes the oldest low that `matched` left.
    #[chord(any_low() & low(x))]
    fn some_low(&self) -> u32 {
        x
    }
}

#[test]
fn a_cross_term_guard_takes_the_oldest_messages_that_pass() {
    let m = Market::new(100);
    m.low(7);
    m.low(2);
    m.high(1);
    m.high(5);
    m.high(9);
    // low 7 fits high 9 only; the oldest low comes first.
    assert_eq!(m.pair(), (7, 9));
    assert_eq!(m.pair(), (2, 5));
    assert_eq!(m.waiting()["high"], 1);
    assert_eq!(m.waiting()["low"], 0);
    assert!(m.try_pair().is_err());
}

#[test]
fn nothing_is_consumed_while_no_tuple_passes() {
    let m = Market::new(100);
    for x in [10, 20, 30] {
        m.low(x);
    }
    for y in [1, 5, 10] {
        m.high(y);
    }
    assert!(m.try_pair().is_err());
    assert_eq!(m.waiting()["low"], 3);
    assert_eq!(m.waiting()["high"], 3);
    assert_eq!(m.waiting()["pair"], 0);
    // One more arrival that fits fires at once, with the oldest low that fits.
    m.high(15);
    assert_eq!(m.pair(), (10, 15));
    // The plain chord still takes lows in order.
    assert_eq!(m.any_low(), 20);
    assert_eq!(m.any_low(), 30);
}

#[test]
fn a_queued_call_fires_when_a_passing_message_arrives() {
    within("queued pair", || {
        let m = Market::new(100);
        m.low(50);
        let waiter = {
            let m = m.clone();
            thread::spawn(move || m.pair())
        };
        common::wait_until("the pair call queued", || m.waiting()["pair"] == 1);
        m.high(40);
        assert_eq!(m.waiting()["pair"], 1, "40 does not pass");
        m.high(60);
        assert_eq!(waiter.join().unwrap(), (50, 60));
        assert_eq!(m.waiting()["high"], 1);
    });
}

#[test]
fn a_guard_over_a_state_channel_sees_its_message() {
    let m = Market::new(10);
    m.cost(30);
    assert!(m.try_buy().is_err());
    m.cost(4);
    assert_eq!(m.buy(), 4);
    assert_eq!(m.budget_now(), 6);
    assert!(m.try_buy().is_err());
    assert_eq!(m.spend(1), 5);
    m.cost(5);
    assert_eq!(m.buy(), 5);
    assert_eq!(m.budget_now(), 0);
    assert_eq!(m.waiting()["cost"], 1);
}

#[test]
fn a_guard_on_a_repeated_term_takes_messages_in_queue_order() {
    let m = Market::new(0);
    m.bid(1);
    m.bid(2);
    assert!(m.try_falling().is_err());
    m.bid(0);
    // (1, 2) rises; (1, 0) is the first that falls.
    assert_eq!(m.falling(), [1, 0]);
    assert_eq!(m.waiting()["bid"], 1);
}

#[test]
fn a_searched_call_is_a_branch_of_a_choice() {
    within("choice", || {
        let (m, n) = (Market::new(0), Market::new(0));
        m.low(5);
        m.high(1);
        n.low(2);
        n.high(3);
        // `m` has messages, none passing; `n` has a pair that passes.
        let fired = chords::select! {
            p = m.pair() => ("m", p),
            p = n.pair() => ("n", p),
        };
        assert_eq!(fired, ("n", (2, 3)));
        assert_eq!(
            [m.waiting()["low"], m.waiting()["high"], m.waiting()["pair"]],
            [1, 1, 0]
        );
        // Neither ready: both wait, queued, until `m` gets a high that passes.
        let chooser = {
            let (m, n) = (m.clone(), n.clone());
            thread::spawn(move || {
                chords::select! {
                    p = m.pair() => ("m", p),
                    p = n.pair() => ("n", p),
                }
            })
        };
        common::wait_until("both branches wait", || {
            m.waiting()["pair"] == 1 && n.waiting()["pair"] == 1
        });
        m.high(8);
        assert_eq!(chooser.join().unwrap(), ("m", (5, 8)));
        assert_eq!([m.waiting()["pair"], n.waiting()["pair"]], [0, 0]);
        assert_eq!([m.waiting()["low"], m.waiting()["high"]], [0, 1]);
    });
}

/// Two red items at once: a value pattern on a repeated term tests each
/// of its messages.
#[chords]
impl Pairs {
    async fn item(&self, red: bool, v: u32);
    fn reds(&self) -> [u32; 2];
    fn any(&self) -> u32;

    #[chord(reds() & [item(true, v); 2])]
    fn paired(&self) -> [u32; 2] {
        v
    }

    #[chord(any() & item(_, v))]
    fn one(&self) -> u32 {
        v
    }
}

#[test]
fn a_value_pattern_on_a_repeated_term_tests_each_message() {
    let p = Pairs::new();
    p.item(false, 1);
    p.item(true, 2);
    assert!(p.try_reds().is_err(), "one red only");
    p.item(false, 3);
    p.item(true, 4);
    // The two reds, in queue order, past the blue ones.
    assert_eq!(p.reds(), [2, 4]);
    assert_eq!(p.waiting()["item"], 2);
    assert_eq!(p.any(), 1);
    assert_eq!(p.any(), 3);
}

#[test]
fn a_guarded_chord_keeps_its_priority_over_a_later_plain_one() {
    let mut b = Join::builder();
    let a = b.asynchronous::<u32>("a");
    let c = b.asynchronous::<u32>("c");
    let get = b.synchronous::<(), (u32, Option<u32>)>("get");
    b.when(get)
        .and(a)
        .and(c)
        .guard(|((), x, y): ((), &u32, &u32)| x == y)
        .then(|(((), r), x, y)| r.send((x, Some(y))));
    b.when(get).and(a).then(|(((), r), x)| r.send((x, None)));
    let join = b.build().unwrap();
    join.send(c, 3);
    join.send(a, 1);
    join.send(a, 3);
    // The guarded chord is enabled (3, 3): it fires first.
    assert_eq!(join.call(get, ()), (3, Some(3)));
    // Now it is not: the plain one takes the oldest `a`.
    assert_eq!(join.call(get, ()), (1, None));
    assert_eq!(join.waiting(a), 0);
    assert_eq!(join.waiting(c), 0);
}

#[test]
fn a_guard_sees_a_channel_twice_in_term_order() {
    let mut b = Join::builder();
    let v = b.asynchronous::<u32>("v");
    let rising = b.synchronous::<(), Vec<u32>>("rising");
    b.when(rising)
        .and_all(&[v, v, v])
        .guard(|((), w): ((), Vec<&u32>)| w[0] < w[1] && w[1] < w[2])
        .then(|(((), r), w)| r.send(w));
    let join = b.build().unwrap();
    for x in [5, 1, 4, 2, 3] {
        join.send(v, x);
    }
    // The first rising triple in queue order: 1, 2, 3.
    assert_eq!(join.call(rising, ()), [1, 2, 3]);
    assert_eq!(join.waiting(v), 2);
}

#[test]
fn a_future_dropped_after_its_chord_was_handed_over_gives_the_messages_back() {
    let m = Market::new(0);
    let call = ByHand::queued(m.pair_async());
    m.low(1);
    m.high(2);
    assert!(call.wakes() > 0, "the chord was handed to the queued call");
    drop(call);
    assert_eq!(m.waiting()["low"], 1);
    assert_eq!(m.waiting()["high"], 1);
    assert_eq!(m.pair(), (1, 2));
}

#[test]
fn a_panicking_guard_reaches_the_sender_and_leaves_the_object_usable() {
    let mut b = Join::builder();
    let a = b.asynchronous::<u32>("a");
    let c = b.asynchronous::<u32>("c");
    let get = b.synchronous::<(), u32>("get");
    let drain = b.synchronous::<(), u32>("drain");
    // Declared first: a later chord's priority check would run the guard.
    b.when(drain).and(a).then(|(((), r), x)| r.send(x));
    b.when(get)
        .and(a)
        .and(c)
        .guard(|((), x, y): ((), &u32, &u32)| {
            assert_ne!(*x, 13, "unlucky");
            x < y
        })
        .then(|(((), r), x, _)| r.send(x));
    let join = b.build().unwrap();
    join.send(a, 13);
    let getter = {
        let join = join.clone();
        thread::spawn(move || join.call(get, ()))
    };
    common::wait_until("get queued", || join.waiting(get) == 1);
    let sent = panic::catch_unwind(AssertUnwindSafe(|| join.send(c, 20)));
    assert!(sent.is_err(), "the guard's panic reaches the sender");
    // The message stays queued, counted; nothing was taken.
    assert_eq!((join.waiting(a), join.waiting(c)), (1, 1));
    assert_eq!(join.call(drain, ()), 13);
    join.send(a, 3);
    assert_eq!(getter.join().unwrap(), 3);
    assert_eq!((join.waiting(a), join.waiting(c)), (0, 0));
}

#[test]
fn concurrent_sends_to_a_guarded_chord_conserve_every_message() {
    within("conservation", || {
        const SENDERS: u32 = 3;
        const EACH: u32 = 200;
        let (out, results) = mpsc::channel();
        let mut b = Join::builder();
        let low = b.asynchronous::<u32>("low");
        let high = b.asynchronous::<u32>("high");
        let other = b.asynchronous::<u32>("other");
        let out2 = out.clone();
        // Same parity: each sender sends as many odd as even values.
        b.when(low)
            .and(high)
            .guard(|(x, y): (&u32, &u32)| x % 2 == y % 2)
            .then(move |(x, y)| out.send(("pair", x, y)).unwrap());
        // A plain chord competing for `high` with `other`.
        b.when(other)
            .and(high)
            .then(move |(o, y)| out2.send(("other", o, y)).unwrap());
        let join = b.build().unwrap();
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let join = join.clone();
                thread::spawn(move || {
                    for i in 0..EACH {
                        let v = s * 10_000 + i;
                        match i % 3 {
                            0 => join.send(low, v),
                            1 => join.send(high, v),
                            _ => {
                                join.send(high, v + 1);
                                join.send(other, v);
                            }
                        }
                    }
                })
            })
            .collect();
        for s in senders {
            s.join().unwrap();
        }
        join.wait_idle();
        drop(join);
        let fired: Vec<(&str, u32, u32)> = results.try_iter().collect();
        let mut lows = Vec::new();
        let mut highs = Vec::new();
        let mut others = Vec::new();
        for &(chord, x, y) in &fired {
            if chord == "pair" {
                assert_eq!(x % 2, y % 2, "the guard held for ({x}, {y})");
                lows.push(x);
            } else {
                others.push(x);
            }
            highs.push(y);
        }
        // Every message consumed at most once; those left were dropped
        // with the join. Sent lows and others are each consumed exactly
        // as often as fired, and no value twice.
        let sent = |f: &dyn Fn(u32) -> Option<u32>| -> Vec<u32> {
            (0..SENDERS)
                .flat_map(|s| (0..EACH).filter_map(move |i| f(s * 10_000 + i)))
                .collect()
        };
        let all_lows = sent(&|v| (v % 10_000 % 3 == 0).then_some(v));
        let all_highs = sent(&|v| match v % 10_000 % 3 {
            1 => Some(v),
            2 => Some(v + 1),
            _ => None,
        });
        let unique = |v: &[u32]| {
            let s = sorted(v.to_vec());
            s.windows(2).all(|w| w[0] != w[1])
        };
        assert!(unique(&lows) && unique(&highs) && unique(&others));
        assert!(lows.iter().all(|x| all_lows.contains(x)));
        assert!(highs.iter().all(|y| all_highs.contains(y)));
        // Every `other` was matched (highs outnumber them), and at
        // quiescence no low is left with a high of its parity.
        assert_eq!(others.len() as u32, SENDERS * (EACH / 3));
        let left_lows: Vec<u32> = all_lows.into_iter().filter(|x| !lows.contains(x)).collect();
        let left_highs: Vec<u32> = all_highs
            .into_iter()
            .filter(|y| !highs.contains(y))
            .collect();
        for x in &left_lows {
            assert!(
                left_highs.iter().all(|y| y % 2 != x % 2),
                "low {x} was left with a high of its parity"
            );
        }
    });
}

/// "The oldest job of at least this size": a guard that reads the argument
/// of the caller's call, and a plain chord beside it.
#[chords]
impl Jobs {
    async fn job(&self, size: u32);
    fn take(&self, min: u32) -> u32;
    async fn cancel(&self);

    #[chord(take(min) & job(size) if size >= min)]
    fn fits(&self) -> u32 {
        size
    }

    #[chord(take(min) & cancel())]
    fn cancelled(&self) -> u32 {
        let _ = min;
        0
    }
}

#[test]
fn a_guard_reads_the_argument_of_its_callers_call() {
    let jobs = Jobs::new();
    for size in [3, 40, 12, 50] {
        jobs.job(size);
    }
    assert_eq!(jobs.take(10), 40, "the oldest that fits");
    assert_eq!(jobs.take(10), 12);
    assert_eq!(jobs.try_take(60).unwrap_err().into_inner(), 60);
    let err = jobs
        .take_timeout(60, Duration::from_millis(10))
        .unwrap_err();
    assert_eq!(err.into_inner(), 60, "the deadline hands the argument back");
    assert_eq!(jobs.waiting()["job"], 2);
    assert_eq!(jobs.waiting()["take"], 0, "a retrying call never queues");
    assert_eq!(jobs.take(1), 3);
    assert_eq!(jobs.take(1), 50);
}

#[test]
fn a_retrying_call_fires_when_a_message_that_fits_arrives() {
    within("retrying call", || {
        let jobs = Jobs::new();
        let taker = {
            let jobs = jobs.clone();
            thread::spawn(move || jobs.take(100))
        };
        thread::sleep(Duration::from_millis(5));
        jobs.job(50);
        thread::sleep(Duration::from_millis(5));
        assert_eq!(jobs.waiting()["job"], 1, "50 does not fit");
        jobs.job(150);
        assert_eq!(taker.join().unwrap(), 150);
        // An arrival on the plain chord's channel wakes it too.
        let taker = {
            let jobs = jobs.clone();
            thread::spawn(move || jobs.take(1000))
        };
        thread::sleep(Duration::from_millis(5));
        jobs.cancel();
        assert_eq!(taker.join().unwrap(), 0);
        assert_eq!([jobs.waiting()["job"], jobs.waiting()["cancel"]], [1, 0]);
    });
}

#[test]
fn a_retrying_future_waits_for_an_arrival_and_leaves_nothing_when_dropped() {
    let jobs = Jobs::new();
    let mut call = ByHand::queued(jobs.take_async(10));
    jobs.job(5);
    assert!(call.wakes() > 0, "an arrival wakes the task");
    assert!(call.poll().is_pending(), "5 does not fit");
    jobs.job(20);
    assert_eq!(call.poll(), std::task::Poll::Ready(20));
    // Dropped while waiting: nothing was queued, nothing is lost.
    let call = ByHand::queued(jobs.take_async(10));
    drop(call);
    jobs.job(30);
    assert_eq!(jobs.waiting()["job"], 2);
    assert_eq!(jobs.take(10), 30);
}

#[test]
fn retrying_calls_conserve_every_job() {
    within("retrying conservation", || {
        const TAKERS: u32 = 3;
        const EACH: u32 = 100;
        let jobs = Jobs::new();
        let takers: Vec<_> = (0..TAKERS)
            .map(|t| {
                let jobs = jobs.clone();
                thread::spawn(move || {
                    (0..EACH)
                        .map(|i| {
                            let min = (t * 7 + i) % 10;
                            let size = jobs.take(min);
                            assert!(size >= min, "{size} < {min}");
                            size
                        })
                        .collect::<Vec<u32>>()
                })
            })
            .collect();
        // Sizes 10..: every job fits every call.
        let sent: Vec<u32> = (0..TAKERS * EACH).map(|i| 10 + i).collect();
        for &size in &sent {
            jobs.job(size);
        }
        let taken: Vec<u32> = takers.into_iter().flat_map(|t| t.join().unwrap()).collect();
        assert_eq!(sorted(taken), sent, "each job taken exactly once");
        assert_eq!(jobs.waiting()["job"], 0);
    });
}

#[test]
fn a_guard_reads_the_argument_of_one_call_only() {
    let mut b = Join::builder();
    let x = b.synchronous::<u32, ()>("x");
    let y = b.synchronous::<u32, ()>("y");
    b.when(x.argument())
        .and(y.argument())
        .named("both")
        .guard(|(a, c): (&u32, &u32)| a < c)
        .then(|((_, r), (_, s))| {
            r.send(());
            s.send(());
        });
    let err = b.build().expect_err("two arguments read");
    assert!(matches!(&err, chords::BuildError::TwoArguments { chord } if chord == "both"));
    assert!(err.to_string().contains("more than one call"), "{err}");
}

#[test]
fn a_retrying_call_cannot_be_a_branch_of_a_choice() {
    let (join, _, take) = joins::jobs();
    let err = panic::catch_unwind(AssertUnwindSafe(|| drop(join.call_op(take, 1)))).unwrap_err();
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains("cannot be a branch of a choice"),
        "{message}"
    );
}
