//! Loom models of the matcher: every interleaving (up to the preemption bound)
//! of a few sends and calls, checking that messages are consumed exactly once
//! and that callers get their own results.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p chords-runtime --release --target-dir target/loom --test loom`.
//!
//! Each model uses at most three threads, main included. Only synchronous
//! chords are used (an asynchronous firing would spawn one more loom thread).
//!
//! The matcher relies on the `SeqCst` order of a counter's increment and the
//! loads of the other counters that follow it (two senders that each need the
//! other's message: at least one sees both). Loom treats `SeqCst` accesses as
//! `AcqRel` and models that order only through `fence(SeqCst)`, so the runtime
//! must issue such a fence under `cfg(loom)` for these models to pass.
#![cfg(loom)]

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use chords_runtime::__private::held_calls;
use chords_runtime::{AsyncChannel, Join, SyncChannel, TimeoutError, TryCallError};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

mod joins;
use joins::{buffer, jobs, lock, one_met, rendezvous};

/// Chords `a & x` and `b & x`, both answering `arg + x`, counting firings.
fn two_chords_on_x(
    fired: &Arc<AtomicUsize>,
) -> (
    Join,
    AsyncChannel<u32>,
    SyncChannel<u32, u32>,
    SyncChannel<u32, u32>,
) {
    let mut b = Join::builder();
    let x = b.asynchronous::<u32>("x");
    let a = b.synchronous::<u32, u32>("a");
    let bb = b.synchronous::<u32, u32>("b");
    for (chord, name) in [(a, "ax"), (bb, "bx")] {
        let fired = fired.clone();
        b.when(chord).and(x).named(name).then(move |((arg, r), x)| {
            fired.fetch_add(1, SeqCst);
            r.send(arg + x)
        });
    }
    (b.build().unwrap(), x, a, bb)
}

/// Two chords `a & x` and `b & x` share one message `x`: exactly one of two
/// concurrent `try_call`s gets it, the other gets its argument back, and the
/// message is gone.
#[test]
fn loom_two_chords_race_for_one_message() {
    loom::model(|| {
        let fired = Arc::new(AtomicUsize::new(0));
        let (join, x, a, bb) = two_chords_on_x(&fired);
        join.send(x, 7);

        let j = join.clone();
        let ta = thread::spawn(move || j.try_call(a, 10));
        let j = join.clone();
        let tb = thread::spawn(move || j.try_call(bb, 20));
        let ra = ta.join().unwrap();
        let rb = tb.join().unwrap();

        match (ra, rb) {
            (Ok(va), Err(TryCallError(eb))) => {
                assert_eq!(va, 17);
                assert_eq!(eb, 20);
            }
            (Err(TryCallError(ea)), Ok(vb)) => {
                assert_eq!(ea, 10);
                assert_eq!(vb, 27);
            }
            (ra, rb) => panic!("expected exactly one firing, got {ra:?} and {rb:?}"),
        }
        assert_eq!(fired.load(SeqCst), 1);
        assert_eq!(join.waiting(x), 0);
        assert_eq!(join.waiting(a), 0);
        assert_eq!(join.waiting(bb), 0);
    });
}

/// The same two chords, with `x` sent while `a` and `b` are called with a
/// zero timeout: the message is consumed at most once, and if no call got it,
/// it is still queued (fired + waiting(x) == 1).
#[test]
fn loom_two_chords_race_for_one_message_sent_concurrently() {
    loom::model(|| {
        let fired = Arc::new(AtomicUsize::new(0));
        let (join, x, a, bb) = two_chords_on_x(&fired);

        let j = join.clone();
        let ta = thread::spawn(move || j.call_timeout(a, 10, Duration::ZERO));
        let j = join.clone();
        let tb = thread::spawn(move || j.try_call(bb, 20));
        join.send(x, 7);
        let ra = ta.join().unwrap();
        let rb = tb.join().unwrap();

        let mut fired = 0;
        match ra {
            Ok(v) => {
                assert_eq!(v, 17);
                fired += 1;
            }
            Err(TimeoutError(arg)) => assert_eq!(arg, 10),
        }
        match rb {
            Ok(v) => {
                assert_eq!(v, 27);
                fired += 1;
            }
            Err(TryCallError(arg)) => assert_eq!(arg, 20),
        }
        assert_eq!(fired + join.waiting(x), 1, "x consumed {fired} times");
        assert_eq!(join.waiting(a), 0);
        assert_eq!(join.waiting(bb), 0);
    });
}

/// The same two chords with two `x` messages and two blocking callers: each
/// caller gets one message, and each message goes to exactly one caller.
#[test]
fn loom_two_chords_share_two_messages() {
    loom::model(|| {
        let fired = Arc::new(AtomicUsize::new(0));
        let (join, x, a, bb) = two_chords_on_x(&fired);

        let j = join.clone();
        let ta = thread::spawn(move || j.call(a, 10));
        let j = join.clone();
        let tb = thread::spawn(move || j.call(bb, 20));
        join.send(x, 1);
        join.send(x, 2);
        let mut got = [ta.join().unwrap() - 10, tb.join().unwrap() - 20];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert_eq!(join.waiting(x), 0);
        assert_eq!(join.waiting(a), 0);
        assert_eq!(join.waiting(bb), 0);
    });
}

/// Regression model for a `try_call` told "nothing there" about a message
/// that was there (the first race of the randomized tester's issue). Chords
/// `t & p`, `u & p & q`, `v & q`; one `p` queued, and the bodies that take `p`
/// send it back. While `u`'s reservation holds `p` claimed and then rolls it
/// back (`v` took `q`), a `try_call(t)` must wait for the claim to resolve:
/// it may fail only if `u`'s chord really consumed `p`.
#[test]
fn loom_try_call_waits_for_a_claim_rolled_back() {
    loom::model(|| {
        let (join, joins::ClaimRace { p, q, t, u, v }) = joins::claim_race();

        let j = join.clone();
        let tt = thread::spawn(move || j.try_call(t, ()).is_ok());
        let j = join.clone();
        let tu = thread::spawn(move || j.try_call(u, ()).is_ok());
        join.send(q, ());
        let v_fired = join.try_call(v, ()).is_ok();
        let t_fired = tt.join().unwrap();
        let u_fired = tu.join().unwrap();
        assert!(t_fired || u_fired, "try_call(t) failed while p was queued");
        assert_eq!(join.waiting(p), 1, "p is always sent back");
        assert_eq!(
            usize::from(u_fired) + usize::from(v_fired) + join.waiting(q),
            1,
            "q consumed once or still queued"
        );
    });
}

/// Regression model for a later-declared chord beating an earlier one (the
/// second race of the randomized tester's issue). Chords `c & e` first, `a &
/// c` second, one `e` queued; `a` and `c` arrive at once. In either order of
/// the arrivals the rules fire `c & e` and leave `a` queued.
#[test]
fn loom_earlier_chord_wins_a_concurrent_arrival() {
    loom::model(|| {
        let (join, [c, e, a]) = joins::earlier_and_later();

        let j = join.clone();
        let ta = thread::spawn(move || j.send(a, ()));
        join.send(c, ());
        ta.join().unwrap();
        // Each send reserved its firing before it returned.
        assert_eq!(
            (join.waiting(c), join.waiting(e), join.waiting(a)),
            (0, 0, 1),
            "`ac` fired instead of the earlier `ce`"
        );
    });
}

/// A lock's holder frees it while another caller is queued (the chord is
/// handed to that caller), then acquires again at once: it may rob the
/// handed chord before its caller claims it, and the robbed caller waits
/// again. Either way the two never hold the lock together, each acquires
/// once per call, and one `free` is left.
#[test]
fn loom_robbed_handed_chord() {
    loom::model(|| {
        let (join, free, acquire) = lock();
        let inside = Arc::new(AtomicBool::new(false));
        let enter = {
            let inside = inside.clone();
            move |join: &Join| {
                join.call(acquire, ());
                assert!(!inside.swap(true, SeqCst), "two holders at once");
                inside.store(false, SeqCst);
                join.send(free, ());
            }
        };
        join.call(acquire, ());
        let j = join.clone();
        let other = {
            let enter = enter.clone();
            thread::spawn(move || enter(&j))
        };
        join.send(free, ());
        enter(&join);
        other.join().unwrap();
        assert_eq!(join.waiting(free), 1);
        assert_eq!(join.waiting(acquire), 0);
    });
}

/// A call that may be robbed times out (under loom: at its first look):
/// its argument comes back or it acquires, and no `free` is lost.
#[test]
fn loom_robbed_call_times_out() {
    loom::model(|| {
        let (join, free, acquire) = lock();
        join.call(acquire, ());
        let j = join.clone();
        let impatient = thread::spawn(move || {
            let got = j.call_timeout(acquire, (), Duration::ZERO).is_ok();
            if got {
                j.send(free, ());
            }
        });
        join.send(free, ());
        join.call(acquire, ());
        join.send(free, ());
        impatient.join().unwrap();
        assert_eq!(join.waiting(free), 1);
        assert_eq!(join.waiting(acquire), 0);
    });
}

/// A body run by its own caller sends the reply from another thread: the
/// caller, which lends its waiter to the firing uncounted, waits for it.
#[test]
fn loom_own_call_answered_from_another_thread() {
    loom::model(|| {
        let mut b = Join::builder();
        let put = b.asynchronous::<u32>("put");
        let get = b.synchronous::<(), u32>("get");
        b.when(get).and(put).then(|(((), r), v)| {
            thread::spawn(move || r.send(v + 1));
        });
        let join = b.build().unwrap();
        join.send(put, 1);
        assert_eq!(join.call(get, ()), 2);
        assert_eq!(join.waiting(put), 0);
    });
}

/// A batch of two puts races a caller that may be queued or not, then this
/// thread calls too: each caller gets one of the batch's values, each value
/// goes once, and nothing is left waiting.
#[test]
fn loom_batch_send_answers_each_caller_once() {
    loom::model(|| {
        let (join, put, get) = buffer();
        let j = join.clone();
        let caller = thread::spawn(move || j.call(get, 0));
        join.send_all(put, [1, 2]);
        let mut got = [join.call(get, 0), caller.join().unwrap()];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert_eq!((join.waiting(put), join.waiting(get)), (0, 0));
    });
}

/// A caller of `get` (parked or not) gets the value a concurrent `put` sends.
#[test]
fn loom_async_send_completes_parked_caller() {
    loom::model(|| {
        let (join, put, get) = buffer();

        let j = join.clone();
        let getter = thread::spawn(move || j.call(get, 0));
        join.send(put, 42);
        assert_eq!(getter.join().unwrap(), 42);
        assert_eq!(join.waiting(put), 0);
        assert_eq!(join.waiting(get), 0);
    });
}

/// One thread calls `get` twice while another sends two puts: the calls get
/// the puts in the order they were sent.
#[test]
fn loom_async_sends_complete_caller_in_order() {
    loom::model(|| {
        let (join, put, get) = buffer();

        let j = join.clone();
        let getter = thread::spawn(move || [j.call(get, 0), j.call(get, 0)]);
        join.send(put, 1);
        join.send(put, 2);
        assert_eq!(getter.join().unwrap(), [1, 2]);
        assert_eq!(join.waiting(put), 0);
        assert_eq!(join.waiting(get), 0);
    });
}

/// A call that times out (under loom: at its first look) races the send that
/// would complete it: either the call gets the value and the put is consumed,
/// or the call gets its argument back and the put stays queued.
#[test]
fn loom_timeout_races_firing() {
    loom::model(|| {
        let (join, put, get) = buffer();

        let j = join.clone();
        let sender = thread::spawn(move || j.send(put, 9));
        let result = join.call_timeout(get, 5, Duration::ZERO);
        sender.join().unwrap();

        match result {
            Ok(v) => {
                assert_eq!(v, 509);
                assert_eq!(join.waiting(put), 0);
            }
            Err(e) => {
                assert_eq!(e.into_inner(), 5);
                assert_eq!(join.waiting(put), 1);
                // The withdrawn call left no trace: the put still fires.
                assert_eq!(join.try_call(get, 1), Ok(109));
                assert_eq!(join.waiting(put), 0);
            }
        }
        assert_eq!(join.waiting(get), 0);
    });
}

/// A call that times out races a firing while another caller of the same
/// channel waits: when the firing takes the timed-out call first, the unit the
/// withdrawal took stands for the other call and must not be lost. Every put
/// goes to exactly one call (or stays queued), and the waiting caller is served.
#[test]
fn loom_timeout_races_another_caller() {
    loom::model(|| {
        let (join, put, get) = buffer();

        let j = join.clone();
        let impatient = thread::spawn(move || j.call_timeout(get, 1, Duration::ZERO));
        let j = join.clone();
        let patient = thread::spawn(move || j.call(get, 2));
        join.send(put, 7);
        join.send(put, 8);

        let mut values = Vec::new();
        let p = patient.join().unwrap();
        assert_eq!(p / 100, 2, "{p}");
        values.push(p % 100);
        match impatient.join().unwrap() {
            Ok(v) => {
                assert_eq!(v / 100, 1, "{v}");
                values.push(v % 100);
                assert_eq!(join.waiting(put), 0);
            }
            Err(e) => {
                assert_eq!(e.into_inner(), 1);
                assert_eq!(join.waiting(put), 1);
                values.push(join.try_call(get, 0).expect("the put left queued"));
            }
        }
        values.sort_unstable();
        assert_eq!(values, [7, 8]);
        assert_eq!(join.waiting(get), 0);
        assert_eq!(join.waiting(put), 0);
    });
}

/// Two synchronous channels in one chord: the callers swap their arguments.
#[test]
fn loom_rendezvous_of_two_callers() {
    loom::model(|| {
        let (join, left, right) = rendezvous::<u32, u32>();

        let j = join.clone();
        let t = thread::spawn(move || j.call(left, 1));
        assert_eq!(join.call(right, 2), 1);
        assert_eq!(t.join().unwrap(), 2);
        assert_eq!(join.waiting(left), 0);
        assert_eq!(join.waiting(right), 0);
    });
}

/// `[x; 2] & get`: the getter receives both puts, each once. When one send
/// finished before the other began, the array is in send order.
#[test]
fn loom_repeated_term() {
    loom::model(|| {
        let mut b = Join::builder();
        let x = b.asynchronous::<u32>("x");
        let get = b.synchronous::<(), [u32; 2]>("get");
        b.when(x.times::<2>())
            .and(get)
            .named("pair")
            .then(|(xs, ((), r))| r.send(xs));
        let join = b.build().unwrap();

        let done = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let sender = |me: usize, value: u32| {
            let j = join.clone();
            let done = done.clone();
            thread::spawn(move || {
                // Whether the other send had finished before this one began.
                let after_other = done[1 - me].load(SeqCst);
                j.send(x, value);
                done[me].store(true, SeqCst);
                after_other
            })
        };
        let t1 = sender(0, 1);
        let t2 = sender(1, 2);
        let got = join.call(get, ());
        let one_after_two = t1.join().unwrap();
        let two_after_one = t2.join().unwrap();

        let mut sorted = got;
        sorted.sort_unstable();
        assert_eq!(sorted, [1, 2], "got {got:?}");
        if two_after_one {
            assert_eq!(got, [1, 2]);
        }
        if one_after_two {
            assert_eq!(got, [2, 1]);
        }
        assert_eq!(join.waiting(x), 0);
        assert_eq!(join.waiting(get), 0);
    });
}

fn message(payload: &(dyn Any + Send)) -> String {
    chords_runtime::panic_message(payload)
        .unwrap_or_default()
        .to_string()
}

const BODY_PANIC: &str = "loom model: the body of `boom` panics";

/// Keeps the panics this file provokes off stderr; any other panic is
/// reported by the previous hook.
fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let text = message(info.payload());
            if text != BODY_PANIC && !text.contains("chord `boom`") {
                previous(info);
            }
        }));
    });
}

/// A rendezvous chord whose body panics: the caller that runs it unwinds with
/// the body's panic, the other panics with a message naming the chord, and the
/// join still fires its other chord afterwards.
#[test]
fn loom_panic_in_body() {
    quiet_expected_panics();
    loom::model(|| {
        let mut b = Join::builder();
        let left = b.synchronous::<(), ()>("left");
        let right = b.synchronous::<(), ()>("right");
        let put = b.asynchronous::<u32>("put");
        let get = b.synchronous::<(), u32>("get");
        b.when(left)
            .and(right)
            .named("boom")
            .then(|_| panic!("{}", BODY_PANIC));
        b.when(get)
            .and(put)
            .named("deliver")
            .then(|(((), r), v)| r.send(v));
        let join = b.build().unwrap();

        let j = join.clone();
        let t = thread::spawn(move || {
            panic::catch_unwind(AssertUnwindSafe(|| j.call(left, ()))).map_err(|p| message(&*p))
        });
        let mine = panic::catch_unwind(AssertUnwindSafe(|| join.call(right, ())))
            .map_err(|p| message(&*p));
        let theirs = t.join().unwrap();

        let (Err(mine), Err(theirs)) = (mine, theirs) else {
            panic!("both callers of `boom` must panic");
        };
        let mut messages = [mine, theirs];
        messages.sort_unstable_by_key(|m| m != BODY_PANIC);
        assert_eq!(messages[0], BODY_PANIC, "{messages:?}");
        assert!(
            messages[1].contains("chord `boom`"),
            "the other caller's panic names the chord: {messages:?}"
        );
        assert_eq!(join.waiting(left), 0);
        assert_eq!(join.waiting(right), 0);

        join.send(put, 3);
        assert_eq!(join.try_call(get, ()), Ok(3));
        assert_eq!(join.waiting(put), 0);
    });
}

/// A call that times out races a firing and another caller: whichever way
/// it goes, the withdrawn call's entry does not stay behind. Once the calls
/// are over, a few more timed-out calls on the quiet channel leave the queue
/// holding at most its last entry and what the last three reclamation epochs
/// retired (the bound of `tests/withdraw_memory.rs`).
#[test]
fn loom_withdrawn_call_is_reclaimed() {
    loom::model(|| {
        let (join, put, get) = buffer();

        let j = join.clone();
        let impatient = thread::spawn(move || j.call_timeout(get, 1, Duration::ZERO));
        let j = join.clone();
        let patient = thread::spawn(move || j.call(get, 2));
        join.send(put, 7);
        let mut values = Vec::new();
        match impatient.join().unwrap() {
            Ok(v) => {
                values.push(v % 100);
                // The patient call is still owed one.
                join.send(put, 8);
            }
            Err(e) => assert_eq!(e.into_inner(), 1),
        }
        let p = patient.join().unwrap();
        assert_eq!(p / 100, 2, "{p}");
        values.push(p % 100);
        values.sort_unstable();
        assert!(values == [7] || values == [7, 8], "{values:?}");

        for _ in 0..4 {
            assert!(join.call_timeout(get, 3, Duration::ZERO).is_err());
        }
        let held = held_calls(&join, get);
        assert!(held <= 4, "{held} calls held on a quiet channel");
        assert_eq!(join.waiting(get), 0);
        assert_eq!(join.waiting(put), 0);
    });
}

/// Whether the rest of a two-branch choice says that the branch `winner`
/// fired and the other lost, with its argument `arg` back, or dropped (a
/// firing counted on its call as the choice settled).
fn lost<T: PartialEq>(rest: (Option<T>, Option<T>), winner: usize, arg: T) -> bool {
    let (won, other) = if winner == 0 {
        (rest.0, rest.1)
    } else {
        (rest.1, rest.0)
    };
    won.is_none() && other.is_none_or(|other| other == arg)
}

/// A choice over two buffers' `get` while two senders each put into one:
/// the chooser takes exactly one value, the other stays in its buffer, no
/// call is left queued in either, and the losing branch's argument comes
/// back.
#[test]
fn loom_choice_between_two_objects_takes_one() {
    loom::model(|| {
        let (a, a_put, a_get) = buffer();
        let (b, b_put, b_get) = buffer();
        let (a2, b2) = (a.clone(), b.clone());
        let to_a = thread::spawn(move || a2.send(a_put, 1));
        let to_b = thread::spawn(move || b2.send(b_put, 2));
        let (got, rest) = chords_runtime::choose((a.call_op(a_get, 10), b.call_op(b_get, 20)))
            .with_rest()
            .wait();
        to_a.join().unwrap();
        to_b.join().unwrap();
        let left = [a.waiting(a_put), b.waiting(b_put)];
        match got {
            1001 => assert!(left == [0, 1] && lost(rest, 0, 20), "{left:?} {rest:?}"),
            2002 => assert!(left == [1, 0] && lost(rest, 1, 10), "{left:?} {rest:?}"),
            other => panic!("a value never sent: {other}"),
        }
        assert_eq!([a.waiting(a_get), b.waiting(b_get)], [0, 0]);
    });
}

/// A choice over two buffers races a plain caller of the second while a
/// sender puts one value into each: the chooser takes one, the plain caller
/// the second buffer's (or, if the chooser took that, the one sent after),
/// each value once, and nothing is left queued.
#[test]
fn loom_choice_races_a_plain_caller_of_a_losing_object() {
    loom::model(|| {
        let (a, a_put, a_get) = buffer();
        let (b, b_put, b_get) = buffer();
        let b2 = b.clone();
        let caller = thread::spawn(move || b2.call(b_get, 0));
        let (a3, b3) = (a.clone(), b.clone());
        let sender = thread::spawn(move || {
            a3.send(a_put, 1);
            b3.send(b_put, 2);
        });
        let (chose, rest) = chords_runtime::choose((a.call_op(a_get, 10), b.call_op(b_get, 20)))
            .with_rest()
            .wait();
        sender.join().unwrap();
        if chose == 2002 {
            b.send(b_put, 3);
        }
        let called = caller.join().unwrap();
        match chose {
            1001 => assert!(lost(rest, 0, 20), "{rest:?}"),
            _ => assert!(lost(rest, 1, 10), "{rest:?}"),
        }
        match (chose % 100, called) {
            (1, 2) => assert_eq!([a.waiting(a_put), b.waiting(b_put)], [0, 0]),
            (2, 3) => assert_eq!([a.waiting(a_put), b.waiting(b_put)], [1, 0]),
            other => panic!("values taken twice or never: {other:?}"),
        }
        assert_eq!([a.waiting(a_get), b.waiting(b_get)], [0, 0]);
    });
}

/// Two choosers over the same two buffers, one value in each: each chooser
/// takes one, and they take different ones.
#[test]
fn loom_two_choosers_over_the_same_objects() {
    loom::model(|| {
        let (a, a_put, a_get) = buffer();
        let (b, b_put, b_get) = buffer();
        let (a2, b2) = (a.clone(), b.clone());
        let other = thread::spawn(move || {
            chords_runtime::choose(vec![a2.call_op(a_get, 1), b2.call_op(b_get, 2)])
                .with_rest()
                .wait()
        });
        a.send(a_put, 1);
        b.send(b_put, 2);
        let (mine, my_rest) = chords_runtime::choose((b.call_op(b_get, 2), a.call_op(a_get, 1)))
            .with_rest()
            .wait();
        let (theirs, their_rest) = other.join().unwrap();
        // A loser's argument (its buffer's value, here) comes back, if no
        // firing counted on its call as the choice settled.
        let mut their_rest = their_rest.into_iter().flatten();
        assert!(their_rest.next().is_none_or(|arg| arg == mine % 100));
        assert!(their_rest.next().is_none());
        assert!(my_rest
            .0
            .or(my_rest.1)
            .is_none_or(|arg| arg == theirs % 100));
        assert!(my_rest.0.is_none() || my_rest.1.is_none());
        let mut got = [mine % 100, theirs % 100];
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert_eq!([a.waiting(a_put), b.waiting(b_put)], [0, 0]);
        assert_eq!([a.waiting(a_get), b.waiting(b_get)], [0, 0]);
    });
}

/// A choice between a rendezvous branch (`right`, which a `left` caller's
/// chord takes as its partner) and a buffer, while a `left` caller and a
/// put race it: exactly one branch fires. If the partner took `right`, the
/// put stays; if the buffer fired, the `left` caller still waits, and a
/// later `right` meets it.
#[test]
fn loom_choice_with_a_rendezvous_branch() {
    loom::model(|| {
        let (meeting, left, right) = rendezvous::<u32, u32>();
        let (b, b_put, b_get) = buffer();
        let m2 = meeting.clone();
        let partner = thread::spawn(move || m2.call(left, 1));
        let b2 = b.clone();
        let sender = thread::spawn(move || b2.send(b_put, 5));
        let (chose, rest) = chords_runtime::choose((
            meeting.call_op(right, 2).map(|n| ('r', n)),
            b.call_op(b_get, 9).map(|n| ('b', n)),
        ))
        .with_rest()
        .wait();
        sender.join().unwrap();
        match chose {
            ('r', 1) => {
                assert_eq!(partner.join().unwrap(), 2);
                assert_eq!(b.waiting(b_put), 1, "the put stays");
                assert!(lost(rest, 0, 9), "{rest:?}");
            }
            ('b', 905) => {
                assert!(lost(rest, 1, 2), "{rest:?}");
                assert_eq!(meeting.call(right, 7), 1);
                assert_eq!(partner.join().unwrap(), 7);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!([meeting.waiting(left), meeting.waiting(right)], [0, 0]);
        assert_eq!(b.waiting(b_get), 0);
    });
}

/// A choice between two rendezvous branches, `right` on two exchangers,
/// while a `left` caller on each races for them: exactly one branch fires
/// (the offer word settles it); the other partner's chord finds the losing
/// call a ghost, or the call withdrawn, and its `left` still waits for a
/// later `right`.
#[test]
fn loom_choice_with_two_rendezvous_branches() {
    loom::model(|| {
        let (x, y) = (rendezvous::<u32, u32>(), rendezvous::<u32, u32>());
        let (x2, x_left) = (x.0.clone(), x.1);
        let to_x = thread::spawn(move || x2.call(x_left, 10));
        let (y2, y_left) = (y.0.clone(), y.1);
        let to_y = thread::spawn(move || y2.call(y_left, 20));
        let (chose, rest) = chords_runtime::choose((
            x.0.call_op(x.2, 1).map(|n| ('x', n)),
            y.0.call_op(y.2, 2).map(|n| ('y', n)),
        ))
        .with_rest()
        .wait();
        match chose.0 {
            'x' => assert!(lost(rest, 0, 2), "{rest:?}"),
            _ => assert!(lost(rest, 1, 1), "{rest:?}"),
        }
        one_met(&x, &y, chose, || {
            (to_x.join().unwrap(), to_y.join().unwrap())
        });
    });
}

/// Two choices whose rendezvous branches meet each other, `swap(a) &
/// swap(b)`, while a put makes the first choice's other branch ready: they
/// swap (one firing wins both offers), or the first takes the put and the
/// second's `swap` waits for a later one. Never both.
#[test]
fn loom_two_choices_meet_through_their_rendezvous_branches() {
    loom::model(|| {
        let mut b = Join::builder();
        let swap = b.synchronous::<u32, u32>("swap");
        b.when(swap).and(swap).then(|((a, ra), (b, rb))| {
            ra.send(b);
            rb.send(a);
        });
        let meeting = b.build().unwrap();
        let (buf, put, get) = buffer();
        let (m2, buf2) = (meeting.clone(), buf.clone());
        let second = thread::spawn(move || {
            chords_runtime::choose((m2.call_op(swap, 2).map(|v| ('s', v)),)).wait()
        });
        let buf3 = buf.clone();
        let sender = thread::spawn(move || buf3.send(put, 5));
        let first = chords_runtime::choose((
            meeting.call_op(swap, 1).map(|v| ('s', v)),
            buf2.call_op(get, 9).map(|n| ('b', n)),
        ))
        .wait();
        sender.join().unwrap();
        match first {
            ('s', 2) => assert_eq!(buf.waiting(put), 1, "the put stays"),
            ('b', 905) => assert_eq!(meeting.call(swap, 3), 2),
            other => panic!("{other:?}"),
        }
        let second = second.join().unwrap();
        assert!(
            matches!((first.0, second), ('s', ('s', 1)) | ('b', ('s', 3))),
            "{first:?} {second:?}"
        );
        assert_eq!(meeting.waiting(swap), 0);
        assert_eq!(buf.waiting(get), 0);
    });
}

/// A state channel (a slot, not a queue): two threads' chords consume and
/// send it again while a third reads it. Each firing sees the other's
/// value or the first; the read sees a value some firing left (it waits
/// while one holds it); at the end the slot holds exactly one message.
#[test]
fn loom_state_channel_firings_race_a_read() {
    loom::model(|| {
        let mut b = Join::builder();
        let state = b.state::<u32>("state", 0);
        let add = b.synchronous::<u32, u32>("add");
        b.when(add).and(state).then_with(move |join, ((k, r), n)| {
            join.send(state, n + k);
            r.send(n);
        });
        let join = b.build().unwrap();
        let j2 = join.clone();
        let adder = thread::spawn(move || j2.call(add, 1));
        let j3 = join.clone();
        let reader = thread::spawn(move || j3.read(state));
        let mine = join.call(add, 10);
        let theirs = adder.join().unwrap();
        assert!(
            matches!((mine, theirs), (0, 10) | (1, 0)),
            "{mine} {theirs}"
        );
        assert!([0, 1, 10, 11].contains(&reader.join().unwrap()));
        assert_eq!(join.read(state), 11);
        assert_eq!(join.waiting(state), 1);
    });
}

/// The shape `#[chords]` gives a value pattern (docs/reference.md, *Guards
/// and value patterns*): `get() & n(0)` and `get() & n(k) if *k > 0` over
/// the two sub-channels the send routes each message to. A routed send
/// races a match: each caller gets the value that fits its chord, and the
/// other message stays.
#[test]
fn loom_routed_guard_races_a_send_and_another_match() {
    loom::model(|| {
        let mut b = Join::builder();
        let zero = b.asynchronous::<u32>("n_0");
        let positive = b.asynchronous::<u32>("n_1");
        let get_zero = b.synchronous::<(), u32>("get_zero");
        let get_positive = b.synchronous::<(), u32>("get_positive");
        b.when(get_zero).and(zero).then(|(((), r), n)| r.send(n));
        b.when(get_positive)
            .and(positive)
            .then(|(((), r), n)| r.send(n));
        let join = b.build().unwrap();
        // The generated send: test, then send to the sub-channel.
        let send = move |join: &Join, n: u32| {
            if n == 0 {
                join.send(zero, n)
            } else {
                join.send(positive, n)
            }
        };
        let j2 = join.clone();
        let sender = thread::spawn(move || {
            send(&j2, 5);
            send(&j2, 0);
        });
        let j3 = join.clone();
        let other = thread::spawn(move || j3.call(get_positive, ()));
        assert_eq!(join.call(get_zero, ()), 0);
        assert_eq!(other.join().unwrap(), 5);
        sender.join().unwrap();
        assert_eq!([join.waiting(zero), join.waiting(positive)], [0, 0]);
    });
}

/// A guard across terms (docs/reference.md, *Guards and value patterns*):
/// `get() & a(x) & c(y) if x < y`, searched among the queued messages,
/// races the send that enables it and a plain chord taking the oldest `a`.
/// The guard's pick and the plain chord's pop share the channel's lock and
/// counter: each `a` is taken once, by the chord it fits.
#[test]
fn loom_searched_guard_races_a_send_and_another_match() {
    loom::model(|| {
        let mut b = Join::builder();
        let a = b.asynchronous::<u32>("a");
        let c = b.asynchronous::<u32>("c");
        let get = b.synchronous::<(), u32>("get");
        let drain = b.synchronous::<(), u32>("drain");
        b.when(get)
            .and(a)
            .and(c)
            .guard(|((), x, y): ((), &u32, &u32)| x < y)
            .then(|(((), r), x, _)| r.send(x));
        b.when(drain).and(a).then(|(((), r), x)| r.send(x));
        let join = b.build().unwrap();
        join.send(a, 9);
        join.send(a, 1);
        let j2 = join.clone();
        let sender = thread::spawn(move || j2.send(c, 5));
        let j3 = join.clone();
        let other = thread::spawn(move || j3.call(drain, ()));
        assert_eq!(join.call(get, ()), 1, "only 1 < 5");
        assert_eq!(other.join().unwrap(), 9);
        sender.join().unwrap();
        assert_eq!([join.waiting(a), join.waiting(c)], [0, 0]);
    });
}

/// A guard that reads its caller's argument (`take(min) & job(size) if
/// size >= min`): the call does not queue but retries on each arrival. Two
/// sends race the caller's try and its wait; the arrivals' count makes the
/// wait free of lost wake-ups, so the caller always gets the job that fits.
#[test]
fn loom_retrying_call_races_the_sends() {
    loom::model(|| {
        let (join, job, take) = jobs();
        let j2 = join.clone();
        let sender = thread::spawn(move || {
            j2.send(job, 3);
            j2.send(job, 30);
        });
        assert_eq!(join.call(take, 10), 30);
        sender.join().unwrap();
        assert_eq!(join.waiting(job), 1);
        assert_eq!(join.waiting(take), 0);
    });
}

/// The index of a keyed object: two threads ask for the same new key at
/// once and get the same object (one made), whose chord then fires once.
#[test]
fn loom_keyed_index_makes_one_object_per_key() {
    use chords_runtime::__private::Index;
    use std::sync::atomic::{AtomicUsize as StdCount, Ordering::Relaxed};

    static MADE: StdCount = StdCount::new(0);
    fn store() -> (Join, AsyncChannel<u32>, SyncChannel<(), u32>) {
        MADE.fetch_add(1, Relaxed);
        let mut b = Join::builder();
        let item = b.asynchronous::<u32>("item");
        let take = b.synchronous::<(), u32>("take");
        b.when(take).and(item).then(|(((), r), v)| r.send(v));
        (b.build().unwrap(), item, take)
    }
    loom::model(|| {
        MADE.store(0, Relaxed);
        let index = Arc::new(Index::<u8, _>::new(store));
        let i2 = index.clone();
        let sender = thread::spawn(move || {
            let (join, item, _) = i2.get(7);
            join.send(*item, 70);
        });
        let (join, _, take) = index.get(7);
        assert_eq!(join.call(*take, ()), 70);
        sender.join().unwrap();
        assert_eq!(MADE.load(Relaxed), 1, "one object for the key");
        assert_eq!(index.objects().len(), 1);
    });
}
