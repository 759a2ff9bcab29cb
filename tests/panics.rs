//! Panics in chord bodies (docs/reference.md, *Panics*). A file of its own: the
//! handler for panics in asynchronous bodies is process-wide, so only this
//! test binary sets it.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{mpsc, Mutex, Once};

use chords::Join;

mod common;
use common::{spawn_queued, wait_until};

/// A panic payload that is not a string, to see it come back unchanged.
#[derive(Debug, PartialEq)]
struct Boom(u32);

type Payload = Box<dyn Any + Send>;

fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = chords::panic_message(payload) {
        text.to_string()
    } else if let Some(boom) = payload.downcast_ref::<Boom>() {
        format!("{boom:?}")
    } else {
        "<unknown payload>".to_string()
    }
}

/// Reports of panics in asynchronous bodies: (chord, payload message).
static REPORTS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn install_panic_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        chords::set_panic_handler(|chord, payload| {
            REPORTS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((chord.to_string(), message(payload)))
        })
    });
}

fn reports_of(chord: &str) -> Vec<String> {
    REPORTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|(c, _)| c == chord)
        .map(|(_, m)| m.clone())
        .collect()
}

/// A rendezvous whose body panics when either side brings 0, beside a buffer
/// of tokens that must survive the panics.
struct Swap {
    join: Join,
    left: chords::SyncChannel<u32, u32>,
    right: chords::SyncChannel<u32, u32>,
    go: chords::AsyncChannel<()>,
    token: chords::AsyncChannel<u32>,
    take: chords::SyncChannel<(), u32>,
}

fn swap() -> Swap {
    let mut b = Join::builder();
    let left = b.synchronous::<u32, u32>("left");
    let right = b.synchronous::<u32, u32>("right");
    let go = b.asynchronous::<()>("go");
    let token = b.asynchronous::<u32>("token");
    let take = b.synchronous::<(), u32>("take");
    b.when(go)
        .and(left)
        .and(right)
        .named("swap")
        .then(|((), (l, rl), (r, rr))| {
            if l == 0 || r == 0 {
                panic::panic_any(Boom(l + r));
            }
            rl.send(r);
            rr.send(l);
        });
    b.when(take)
        .and(token)
        .named("take_token")
        .then(|(((), r), t)| r.send(t));
    let join = b.build().unwrap();
    for t in 0..10 {
        join.send(token, t);
    }
    Swap {
        join,
        left,
        right,
        go,
        token,
        take,
    }
}

/// After the panics, the join still works and no other message was lost:
/// the 10 tokens queued beside the swaps are all there (and are put back).
fn check_still_usable(s: &Swap) {
    let Swap {
        join,
        left,
        right,
        go,
        token,
        take,
    } = s;
    let (left, right, go, token, take) = (*left, *right, *go, *token, *take);
    join.send(go, ());
    let l = spawn_queued(join, left, 1, move |j| j.call(left, 3));
    assert_eq!(join.call(right, 4), 3);
    assert_eq!(l.join().unwrap(), 4);
    let mut tokens: Vec<u32> = (0..10).map(|_| join.try_call(take, ()).unwrap()).collect();
    tokens.sort_unstable();
    assert_eq!(tokens, (0..10).collect::<Vec<_>>());
    assert!(join.try_call(take, ()).is_err());
    for channel in [left, right] {
        assert_eq!(join.waiting(channel), 0);
    }
    assert_eq!((join.waiting(token), join.waiting(go)), (0, 0));
    for t in tokens {
        join.send(token, t);
    }
}

#[test]
fn sync_body_panic_unwinds_the_runner_and_names_the_chord_to_the_other_caller() {
    let s = swap();
    let (left, right, go) = (s.left, s.right, s.go);

    // Both callers queued, `go` completes the chord: the caller of the first
    // synchronous term (left) runs the body and unwinds with its payload.
    let l = spawn_queued(&s.join, left, 1, move |j| j.call(left, 0));
    let r = spawn_queued(&s.join, right, 1, move |j| j.call(right, 7));
    s.join.send(go, ());
    let runner = l.join().unwrap_err();
    let other = r.join().unwrap_err();
    assert_eq!(runner.downcast_ref::<Boom>(), Some(&Boom(7)));
    let text = message(&*other);
    assert!(text.contains("`swap`"), "{text}");
    assert!(text.contains("panicked"), "{text}");
    check_still_usable(&s);

    // The same, with the callers racing each other and `go` there first:
    // whichever runs the body unwinds with the payload, the other is told.
    s.join.send(go, ());
    let l = spawn_queued(&s.join, go, 1, move |j| j.call(left, 5));
    let r = spawn_queued(&s.join, go, 1, move |j| j.call(right, 0));
    let results = [l.join(), r.join()];
    let payloads: Vec<Payload> = results.into_iter().map(|r| r.unwrap_err()).collect();
    let booms = payloads
        .iter()
        .filter(|p| p.downcast_ref::<Boom>() == Some(&Boom(5)));
    assert_eq!(booms.count(), 1, "exactly one caller ran the body");
    let told = payloads
        .iter()
        .filter(|p| message(&***p).contains("`swap`"))
        .count();
    assert_eq!(told, 1, "the other caller's panic names the chord");
    check_still_usable(&s);
}

#[test]
fn sync_body_panic_unwinds_a_single_caller_with_its_payload() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    b.when(get).and(put).named("fragile").then(|(((), r), n)| {
        if n == 0 {
            panic::panic_any(Boom(n));
        }
        r.send(n)
    });
    let join = b.build().unwrap();

    // Fired by the caller itself.
    join.send(put, 0);
    join.send(put, 1);
    let payload = panic::catch_unwind(AssertUnwindSafe(|| join.call(get, ()))).unwrap_err();
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(0)));
    assert_eq!(
        join.waiting(put),
        1,
        "the panicking firing took only its own put"
    );
    assert_eq!(join.call(get, ()), 1);

    // Fired by a put from this thread while the caller waited.
    let caller = spawn_queued(&join, get, 1, move |j| j.call(get, ()));
    join.send(put, 0);
    let payload = caller.join().unwrap_err();
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(0)));
    join.send(put, 2);
    assert_eq!(join.call(get, ()), 2);
    assert_eq!((join.waiting(put), join.waiting(get)), (0, 0));
}

#[test]
fn dropped_reply_makes_the_caller_panic_naming_the_chord() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    let left = b.synchronous::<u32, u32>("left");
    let right = b.synchronous::<u32, u32>("right");
    b.when(get)
        .and(put)
        .named("forgetful")
        .then(|(((), r), n)| {
            if n != 0 {
                r.send(n);
            }
        });
    b.when(left)
        .and(right)
        .named("half_swap")
        .then(|((l, rl), (_, rr))| {
            // Answers right, forgets left.
            drop(rl);
            rr.send(l);
        });
    let join = b.build().unwrap();
    let no_reply = |payload: Payload, chord: &str| {
        let text = message(&*payload);
        assert!(text.contains(&format!("`{chord}`")), "{text}");
        assert!(text.contains("without replying"), "{text}");
    };

    // The caller fires the chord itself.
    join.send(put, 0);
    let payload = panic::catch_unwind(AssertUnwindSafe(|| join.call(get, ()))).unwrap_err();
    no_reply(payload, "forgetful");

    // The caller waits, and a put from this thread fires the chord.
    let caller = spawn_queued(&join, get, 1, move |j| j.call(get, ()));
    join.send(put, 0);
    no_reply(caller.join().unwrap_err(), "forgetful");
    join.send(put, 9);
    assert_eq!(join.call(get, ()), 9);

    // A rendezvous: one caller is answered, the forgotten one panics,
    // whichever of them ran the body.
    for left_first in [true, false] {
        let l = move |j: Join| j.call(left, 1);
        let r = move |j: Join| j.call(right, 2);
        let (lh, rh) = if left_first {
            let lh = spawn_queued(&join, left, 1, l);
            (lh, spawn_queued(&join, right, 0, r))
        } else {
            let rh = spawn_queued(&join, right, 1, r);
            (spawn_queued(&join, left, 0, l), rh)
        };
        no_reply(lh.join().unwrap_err(), "half_swap");
        assert_eq!(rh.join().unwrap(), 1);
    }
    assert_eq!((join.waiting(left), join.waiting(right)), (0, 0));
}

#[test]
fn async_body_panic_goes_to_the_handler_and_the_executor_keeps_running() {
    install_panic_handler();
    let mut b = Join::builder();
    let job = b.asynchronous::<u32>("job");
    let boom = b.asynchronous::<u32>("boom");
    let after = b.asynchronous::<u32>("after");
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    b.when(job).named("odd_jobs").then(move |(n,)| {
        if n % 2 == 1 {
            panic!("odd job {n}");
        }
        tx.send(n).unwrap();
    });
    b.when(boom)
        .named("boom_chord")
        .then(|(n,)| panic::panic_any(Boom(n)));
    b.when(after)
        .named("after_chord")
        .then(move |(n,)| tx2.send(n).unwrap());
    let join = b.build().unwrap();

    for n in 0..20 {
        join.send(job, n);
    }
    join.send(boom, 42);
    let mut evens: Vec<u32> = (0..10).map(|_| rx.recv().unwrap()).collect();
    evens.sort_unstable();
    assert_eq!(evens, (0..20).step_by(2).collect::<Vec<_>>());

    wait_until("10 panics of odd_jobs are reported", || {
        reports_of("odd_jobs").len() == 10
    });
    let mut reported = reports_of("odd_jobs");
    reported.sort_unstable();
    let mut expected: Vec<String> = (1..20).step_by(2).map(|n| format!("odd job {n}")).collect();
    expected.sort_unstable();
    assert_eq!(
        reported, expected,
        "each panic is reported once, with its payload"
    );
    wait_until("the Boom payload is reported", || {
        !reports_of("boom_chord").is_empty()
    });
    assert_eq!(reports_of("boom_chord"), ["Boom(42)"]);

    // The executor keeps running: later asynchronous chords fire, the
    // panicking chord included.
    for n in 100..110 {
        join.send(after, n);
    }
    join.send(job, 200);
    let mut later: Vec<u32> = (0..11).map(|_| rx.recv().unwrap()).collect();
    later.sort_unstable();
    assert_eq!(later, (100..110).chain([200]).collect::<Vec<_>>());
    join.send(job, 201);
    wait_until("the 11th panic of odd_jobs is reported", || {
        reports_of("odd_jobs").len() == 11
    });
    assert_eq!(
        (join.waiting(job), join.waiting(boom), join.waiting(after)),
        (0, 0, 0)
    );
}

#[test]
fn using_a_channel_of_another_join_panics() {
    let mut other = Join::builder();
    let foreign_put = other.asynchronous::<u32>("put");
    let foreign_get = other.synchronous::<(), u32>("get");
    other
        .when(foreign_get)
        .and(foreign_put)
        .then(|(((), r), n)| r.send(n));
    let other = other.build().unwrap();

    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    b.when(get).and(put).then(|(((), r), n)| r.send(n));
    let join = b.build().unwrap();

    for payload in [
        panic::catch_unwind(AssertUnwindSafe(|| join.send(foreign_put, 1))).unwrap_err(),
        panic::catch_unwind(AssertUnwindSafe(|| join.try_call(foreign_get, ()))).unwrap_err(),
        panic::catch_unwind(AssertUnwindSafe(|| join.waiting(foreign_put))).unwrap_err(),
    ] {
        let text = message(&*payload);
        assert!(text.contains("another Join"), "{text}");
    }
    // Neither join was touched.
    assert_eq!((other.waiting(foreign_put), join.waiting(put)), (0, 0));
    join.send(put, 1);
    other.send(foreign_put, 2);
    assert_eq!((join.call(get, ()), other.call(foreign_get, ())), (1, 2));
}

/// A result that counts its drops.
#[derive(Debug)]
struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_body_that_sends_its_reply_away_and_panics_unwinds_after_the_reply_ends() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    let mut b = Join::builder();
    let go = b.asynchronous::<()>("go");
    let get = b.synchronous::<(), Counted>("get");
    let dropped = Arc::new(AtomicUsize::new(0));
    // The replying thread waits for the caller to have unwound, or at most
    // a while: the caller must not unwind before the reply has ended.
    let (unwound_tx, unwound_rx) = mpsc::channel::<()>();
    let unwound_rx = Mutex::new(Some(unwound_rx));
    let (sent_tx, sent_rx) = mpsc::channel::<()>();
    let d = Arc::clone(&dropped);
    b.when(get)
        .and(go)
        .named("hasty")
        .then(move |(((), r), ())| {
            let d = Arc::clone(&d);
            let unwound = unwound_rx.lock().unwrap().take().unwrap();
            let sent = sent_tx.clone();
            std::thread::spawn(move || {
                let _ = unwound.recv_timeout(Duration::from_millis(300));
                r.send(Counted(d));
                sent.send(()).unwrap();
            });
            panic::panic_any(Boom(7));
        });
    let join = b.build().unwrap();
    join.send(go, ());
    let payload = panic::catch_unwind(AssertUnwindSafe(|| join.call(get, ()))).unwrap_err();
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(7)));
    // The call ended before the caller left it: the result was written
    // into the call and dropped with it.
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    let _ = unwound_tx.send(());
    sent_rx.recv().unwrap();
    assert_eq!(join.waiting(go), 0);
}
