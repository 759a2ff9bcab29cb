//! Loom models of awaited calls (`Join::call_async`): a future is dropped in
//! each state its call can be in, while firings race it, and nothing is lost.
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p chords-runtime --release --target-dir target/loom --test loom_async`.
//!
//! Futures are polled by hand with a waker that records its wakes, so that a
//! model can drop one between any two polls; `loom::future::block_on` drives
//! those that must finish.
#![cfg(loom)]

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use chords_runtime::Join;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

mod joins;
use joins::{buffer, guarded, one_met, rendezvous};

/// A waker that counts its wakes.
struct Counting(AtomicUsize);

impl Wake for Counting {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (std::sync::Arc<Counting>, Waker) {
    let count = std::sync::Arc::new(Counting(AtomicUsize::new(0)));
    (count.clone(), Waker::from(count))
}

/// Polls `future` once with `waker`.
fn poll_once<F: Future>(future: Pin<&mut F>, waker: &Waker) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(waker))
}

/// A future queued on `get` is dropped while a put arrives: whether the put
/// found the call queued (withdrawn then), handed it the chord (given back
/// then) or came after, the put stays queued, and a later caller takes it.
#[test]
fn loom_future_dropped_while_queued_races_a_put() {
    loom::model(|| {
        let (join, put, get) = buffer();
        let (_, waker) = counting();
        let mut future = Box::pin(join.call_async(get, 1));
        assert!(poll_once(future.as_mut(), &waker).is_pending());
        assert_eq!(join.waiting(get), 1);

        let j = join.clone();
        let sender = thread::spawn(move || j.send(put, 7));
        drop(future);
        sender.join().unwrap();

        assert_eq!(join.waiting(get), 0);
        assert_eq!(join.waiting(put), 1);
        assert_eq!(join.try_call(get, 2), Ok(207));
    });
}

/// A future handed the chord (its waker was called) is dropped before it
/// runs it, while a thread calls the same channel: the thread gets the put,
/// whether it queued before the drop (the chord is re-resolved for it) or
/// after (it finds the put queued again).
#[test]
fn loom_future_dropped_after_being_handed_a_chord() {
    loom::model(|| {
        let (join, put, get) = buffer();
        let (woken, waker) = counting();
        let mut future = Box::pin(join.call_async(get, 1));
        assert!(poll_once(future.as_mut(), &waker).is_pending());
        join.send(put, 7);
        assert_eq!(
            woken.0.load(SeqCst),
            1,
            "handed the chord, the task is woken"
        );
        assert_eq!(join.waiting(put), 0);

        let j = join.clone();
        let caller = thread::spawn(move || j.call(get, 2));
        drop(future);
        assert_eq!(caller.join().unwrap(), 207);
        assert_eq!(join.waiting(get), 0);
        assert_eq!(join.waiting(put), 0);
    });
}

/// The same with a guarded chord, whose reservation picked its messages
/// out of their queues: dropped before it runs the chord, the future puts
/// them back, and the thread's call takes them, at every point of the race.
#[test]
fn loom_future_dropped_after_being_handed_a_guarded_chord() {
    loom::model(|| {
        let (join, low, high, get) = guarded();
        let (woken, waker) = counting();
        let mut future = Box::pin(join.call_async(get, 1));
        assert!(poll_once(future.as_mut(), &waker).is_pending());
        join.send(high, 3);
        join.send(low, 2);
        assert_eq!(woken.0.load(SeqCst), 1, "handed the chord");
        assert_eq!([join.waiting(low), join.waiting(high)], [0, 0]);

        let j = join.clone();
        let caller = thread::spawn(move || j.call(get, 2));
        drop(future);
        assert_eq!(caller.join().unwrap(), 223);
        assert_eq!([join.waiting(low), join.waiting(high)], [0, 0]);
        assert_eq!(join.waiting(get), 0);
    });
}

/// A future queued on a guarded chord is dropped while the message that
/// enables it arrives: withdrawn first, or handed the chord and giving it
/// back, the messages stay queued, once each.
#[test]
fn loom_guarded_future_dropped_while_queued_races_a_send() {
    loom::model(|| {
        let (join, low, high, get) = guarded();
        let (_, waker) = counting();
        join.send(low, 2);
        let mut future = Box::pin(join.call_async(get, 1));
        assert!(poll_once(future.as_mut(), &waker).is_pending());

        let j = join.clone();
        let sender = thread::spawn(move || j.send(high, 3));
        drop(future);
        sender.join().unwrap();

        assert_eq!(join.waiting(get), 0);
        assert_eq!([join.waiting(low), join.waiting(high)], [1, 1]);
        assert_eq!(join.try_call(get, 2), Ok(223));
    });
}

/// A rendezvous `left & right` whose `left` is a queued future, dropped
/// while a thread's `right` call fires the chord with it: at every point of
/// the race (queued, counted on, taken, running) either the chord fired with
/// the future's argument (the thread gets it; the future's result is
/// dropped) or the call was withdrawn (the thread's call times out); the
/// queues end empty, and the argument (an `Arc`, to count its owners) is
/// dropped exactly once, by whoever had it last.
#[test]
fn loom_rendezvous_partner_future_dropped() {
    loom::model(|| {
        let (join, left, right) = rendezvous::<std::sync::Arc<u32>, u32>();
        let token = std::sync::Arc::new(1u32);
        let (_, waker) = counting();
        let mut future = Box::pin(join.call_async(left, token.clone()));
        assert!(poll_once(future.as_mut(), &waker).is_pending());

        let j = join.clone();
        let caller = thread::spawn(move || j.call_timeout(right, 2, Duration::ZERO));
        drop(future);
        match caller.join().unwrap() {
            Ok(got) => assert!(std::sync::Arc::ptr_eq(&got, &token)),
            Err(e) => assert_eq!(e.into_inner(), 2),
        }
        assert_eq!(std::sync::Arc::strong_count(&token), 1);
        assert_eq!(join.waiting(left), 0);
        assert_eq!(join.waiting(right), 0);
    });
}

/// A thread and a future compete for one put: exactly one gets it; the
/// other withdraws (the thread at its deadline, the future dropped), and the
/// put is consumed once.
#[test]
fn loom_thread_and_future_compete_for_one_message() {
    loom::model(|| {
        let (join, put, get) = buffer();
        let (_, waker) = counting();
        let mut future = Box::pin(join.call_async(get, 1));
        let polled = poll_once(future.as_mut(), &waker);

        let j = join.clone();
        let thread_call = thread::spawn(move || j.call_timeout(get, 2, Duration::ZERO).ok());
        join.send(put, 7);
        let by_thread = thread_call.join().unwrap();
        let by_future = match polled {
            Poll::Ready(v) => Some(v),
            Poll::Pending => match poll_once(future.as_mut(), &waker) {
                Poll::Ready(v) => Some(v),
                Poll::Pending => None,
            },
        };
        drop(future);

        let got: Vec<u32> = by_thread.into_iter().chain(by_future).collect();
        assert!(got.len() <= 1, "{got:?}");
        assert_eq!(got.len() + join.waiting(put), 1, "{got:?}");
        for v in got {
            assert_eq!(v % 100, 7);
        }
        assert_eq!(join.waiting(get), 0);
    });
}

/// The waker changes between polls while a put arrives: the task is woken
/// through the waker of its latest poll, and the future completes.
#[test]
fn loom_waker_replaced_between_polls() {
    loom::model(|| {
        let (join, put, get) = buffer();
        let (first, first_waker) = counting();
        let (second, second_waker) = counting();
        let mut future = Box::pin(join.call_async(get, 1));
        assert!(poll_once(future.as_mut(), &first_waker).is_pending());

        let j = join.clone();
        let sender = thread::spawn(move || j.send(put, 7));
        let polled = poll_once(future.as_mut(), &second_waker);
        sender.join().unwrap();
        let value = match polled {
            Poll::Ready(v) => v,
            Poll::Pending => {
                // Woken after the second poll registered: through its waker.
                assert_eq!(second.0.load(SeqCst), 1);
                assert_eq!(first.0.load(SeqCst), 0);
                match poll_once(future.as_mut(), &second_waker) {
                    Poll::Ready(v) => v,
                    Poll::Pending => panic!("woken, but not ready"),
                }
            }
        };
        assert_eq!(value, 107);
        assert_eq!(join.waiting(put), 0);
        assert_eq!(join.waiting(get), 0);
    });
}

/// An awaited call driven to its end by an executor: the chord handed to it
/// runs in its poll.
#[test]
fn loom_awaited_call_completes() {
    loom::model(|| {
        let (join, put, get) = buffer();
        let j = join.clone();
        let sender = thread::spawn(move || j.send(put, 7));
        assert_eq!(loom::future::block_on(join.call_async(get, 1)), 107);
        sender.join().unwrap();
        assert_eq!(join.waiting(put), 0);
        assert_eq!(join.waiting(get), 0);
    });
}

/// A future that ran its chord in its poll, whose body handed the future's
/// own reply to another caller, is dropped while that caller answers it: the
/// answer is dropped (the call is orphaned while the body's reply is out),
/// never written into the dropped future.
#[test]
fn loom_future_dropped_while_its_reply_is_elsewhere() {
    loom::model(|| {
        let mut b = Join::builder();
        let boss = b.synchronous::<(), chords_runtime::Reply<std::sync::Arc<u32>>>("boss");
        let worker = b.synchronous::<(), std::sync::Arc<u32>>("worker");
        b.when(boss)
            .and(worker)
            .then(|(((), to_boss), ((), to_worker))| to_boss.send(to_worker));
        let join = b.build().unwrap();
        let (_, waker) = counting();
        let mut boss_call = Box::pin(join.call_async(boss, ()));
        assert!(poll_once(boss_call.as_mut(), &waker).is_pending());

        let j = join.clone();
        let working = thread::spawn(move || {
            let (_, waker) = counting();
            let mut worker_call = Box::pin(j.call_async(worker, ()));
            // Pending, unless the boss answered before the poll ended.
            if let Poll::Ready(answer) = poll_once(worker_call.as_mut(), &waker) {
                assert_eq!(*answer, 7);
            }
            drop(worker_call);
        });
        let token = std::sync::Arc::new(7u32);
        let reply = loom::future::block_on(boss_call);
        reply.send(token.clone());
        working.join().unwrap();
        assert_eq!(std::sync::Arc::strong_count(&token), 1);
        assert_eq!(join.waiting(boss), 0);
        assert_eq!(join.waiting(worker), 0);
    });
}

/// A task's choice over two buffers, offered on both, while a sender puts
/// into each: awaited to the end it takes exactly one value, the other
/// stays in its buffer, and no call is left.
#[test]
fn loom_awaited_choice_takes_one_of_two_racing_puts() {
    loom::model(|| {
        let (a, a_put, a_get) = buffer();
        let (b, b_put, b_get) = buffer();
        let (_, waker) = counting();
        let mut choice = Box::pin(
            chords_runtime::choose((a.call_op(a_get, 10), b.call_op(b_get, 20)))
                .with_rest()
                .into_future(),
        );
        assert!(poll_once(choice.as_mut(), &waker).is_pending());
        let (a2, b2) = (a.clone(), b.clone());
        let sender = thread::spawn(move || {
            a2.send(a_put, 1);
            b2.send(b_put, 2);
        });
        let (got, rest) = loom::future::block_on(choice);
        // The loser's argument comes back, unless a firing counted on its
        // call as the choice settled.
        match got {
            1001 => assert!(rest.0.is_none() && rest.1.is_none_or(|arg| arg == 20)),
            _ => assert!(rest.1.is_none() && rest.0.is_none_or(|arg| arg == 10)),
        }
        sender.join().unwrap();
        let left = [a.waiting(a_put), b.waiting(b_put)];
        match got {
            1001 => assert_eq!(left, [0, 1]),
            2002 => assert_eq!(left, [1, 0]),
            other => panic!("a value never sent: {other}"),
        }
        assert_eq!([a.waiting(a_get), b.waiting(b_get)], [0, 0]);
    });
}

/// A task's choice, offered on two buffers, is dropped while a put races
/// into one: the put stays (withdrawn call, or chord given back), and no
/// call is left.
#[test]
fn loom_awaited_choice_dropped_while_a_put_races() {
    loom::model(|| {
        let (a, _, a_get) = buffer();
        let (b, b_put, b_get) = buffer();
        let (_, waker) = counting();
        let mut choice = Box::pin(
            chords_runtime::choose((a.call_op(a_get, 0), b.call_op(b_get, 0))).into_future(),
        );
        assert!(poll_once(choice.as_mut(), &waker).is_pending());
        let b2 = b.clone();
        let sender = thread::spawn(move || b2.send(b_put, 7));
        drop(choice);
        sender.join().unwrap();
        assert_eq!(b.waiting(b_put), 1);
        assert_eq!([a.waiting(a_get), b.waiting(b_get)], [0, 0]);
        assert_eq!(b.call(b_get, 0), 7);
    });
}

/// A task's choice between a rendezvous branch (`right`, which a `left`
/// caller's chord takes as its partner) and a buffer, offered on both, while
/// a `left` caller and a put race it: exactly one branch fires. If the
/// partner took `right`, the put stays; if the buffer's branch fired (its
/// chord runs only with the choice's offer won for it), the partner's chord
/// never takes the `right` call, and a later `right` meets the partner.
#[test]
fn loom_awaited_choice_with_a_rendezvous_branch() {
    loom::model(|| {
        let (meeting, left, right) = rendezvous::<u32, u32>();
        let (b, b_put, b_get) = buffer();
        let (_, waker) = counting();
        let mut choice = Box::pin(
            chords_runtime::choose((
                meeting.call_op(right, 2).map(|n| ('r', n)),
                b.call_op(b_get, 9).map(|n| ('b', n)),
            ))
            .with_rest()
            .into_future(),
        );
        assert!(poll_once(choice.as_mut(), &waker).is_pending());
        let m2 = meeting.clone();
        let partner = thread::spawn(move || m2.call(left, 1));
        let b2 = b.clone();
        let sender = thread::spawn(move || b2.send(b_put, 5));
        let (chose, rest) = loom::future::block_on(choice);
        sender.join().unwrap();
        match chose {
            ('r', 1) => {
                assert_eq!(partner.join().unwrap(), 2);
                assert_eq!(b.waiting(b_put), 1, "the put stays");
                assert!(rest.0.is_none() && rest.1.is_none_or(|arg| arg == 9));
            }
            ('b', 905) => {
                // Withdrawn, or left to the partner's firing that counted
                // on it (which refuses it: its choice is settled).
                assert!(rest.1.is_none() && rest.0.is_none_or(|arg| arg == 2));
                assert_eq!(meeting.call(right, 7), 1);
                assert_eq!(partner.join().unwrap(), 7);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!([meeting.waiting(left), meeting.waiting(right)], [0, 0]);
        assert_eq!(b.waiting(b_get), 0);
    });
}

/// A task's choice between two rendezvous branches, `right` on two
/// exchangers, while a `left` caller on each races for them: exactly one
/// fires; the other partner still waits for a later `right`.
#[test]
fn loom_awaited_choice_with_two_rendezvous_branches() {
    loom::model(|| {
        let (x, y) = (rendezvous::<u32, u32>(), rendezvous::<u32, u32>());
        let (_, waker) = counting();
        let mut choice = Box::pin(
            chords_runtime::choose((
                x.0.call_op(x.2, 1).map(|n| ('x', n)),
                y.0.call_op(y.2, 2).map(|n| ('y', n)),
            ))
            .into_future(),
        );
        assert!(poll_once(choice.as_mut(), &waker).is_pending());
        let (x2, x_left) = (x.0.clone(), x.1);
        let to_x = thread::spawn(move || x2.call(x_left, 10));
        let (y2, y_left) = (y.0.clone(), y.1);
        let to_y = thread::spawn(move || y2.call(y_left, 20));
        let chose = loom::future::block_on(choice);
        one_met(&x, &y, chose, || {
            (to_x.join().unwrap(), to_y.join().unwrap())
        });
    });
}
