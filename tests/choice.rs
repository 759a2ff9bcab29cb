//! Choice across objects (docs/reference.md, *Choice*): `choose` over ops of
//! several joins fires exactly one branch, the first listed of those ready,
//! and the others leave no trace in their objects.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use chords::{choose, AsyncChannel, Join, SyncChannel};

mod common;
use common::wait_until;

/// A buffer: `get(tag)` returns the oldest `put`.
struct Buffer {
    join: Join,
    put: AsyncChannel<u32>,
    get: SyncChannel<u32, u32>,
}

fn buffer() -> Buffer {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<u32, u32>("get");
    b.when(get).and(put).then(|((_, r), n)| r.send(n));
    Buffer {
        join: b.build().unwrap(),
        put,
        get,
    }
}

impl Buffer {
    fn counts(&self) -> (usize, usize) {
        (self.join.waiting(self.put), self.join.waiting(self.get))
    }
}

#[test]
fn the_first_listed_ready_branch_fires_and_the_others_leave_no_trace() {
    let (a, b) = (buffer(), buffer());
    a.join.send(a.put, 1);
    b.join.send(b.put, 2);
    let got = choose((
        a.join.call_op(a.get, 0).map(|n| ('a', n)),
        b.join.call_op(b.get, 0).map(|n| ('b', n)),
    ))
    .wait();
    assert_eq!(got, ('a', 1));
    assert_eq!((a.counts(), b.counts()), ((0, 0), (1, 0)));

    // Listed the other way round, the other fires.
    let got = choose((
        b.join.call_op(b.get, 0).map(|n| ('b', n)),
        a.join.call_op(a.get, 0).map(|n| ('a', n)),
    ))
    .try_now()
    .unwrap();
    assert_eq!(got, ('b', 2));
    assert_eq!((a.counts(), b.counts()), ((0, 0), (0, 0)));
}

#[test]
fn a_waiting_choice_fires_the_branch_whose_message_comes_and_withdraws_the_rest() {
    let (a, b) = (Arc::new(buffer()), Arc::new(buffer()));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let chooser = thread::spawn(move || {
        choose(vec![a2.join.call_op(a2.get, 0), b2.join.call_op(b2.get, 0)]).wait()
    });
    // Both branches are offered: one call queued in each object.
    wait_until("both branches offered", || {
        a.join.waiting(a.get) == 1 && b.join.waiting(b.get) == 1
    });
    b.join.send(b.put, 5);
    assert_eq!(chooser.join().unwrap(), 5);
    assert_eq!((a.counts(), b.counts()), ((0, 0), (0, 0)));
    // The losing object works as before.
    a.join.send(a.put, 6);
    assert_eq!(a.join.call(a.get, 0), 6);
}

#[test]
fn with_rest_hands_back_the_losing_branches_arguments() {
    let (a, b) = (buffer(), buffer());
    let (left, right) = (strings(), strings());
    // At once: the branch before the winner was tried and kept its argument,
    // the one after was never tried.
    right.0.send(right.1, 7);
    let (got, rest) = choose((
        left.0.call_op(left.2, "l".to_string()),
        right.0.call_op(right.2, "r".to_string()),
        left.0.call_op(left.2, "l2".to_string()),
    ))
    .with_rest()
    .try_now()
    .unwrap();
    assert_eq!(got, 7);
    assert_eq!(rest, (Some("l".to_string()), None, Some("l2".to_string())));

    // After waiting: every offered loser is withdrawn, its argument kept.
    let (a, b) = (Arc::new(a), Arc::new(b));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    let chooser = thread::spawn(move || {
        choose(vec![
            a2.join.call_op(a2.get, 10),
            b2.join.call_op(b2.get, 20),
            a2.join.call_op(a2.get, 30),
        ])
        .with_rest()
        .wait()
    });
    wait_until("every branch offered", || {
        a.join.waiting(a.get) == 2 && b.join.waiting(b.get) == 1
    });
    b.join.send(b.put, 5);
    assert_eq!(chooser.join().unwrap(), (5, vec![Some(10), None, Some(30)]));
    assert_eq!((a.counts(), b.counts()), ((0, 0), (0, 0)));
}

/// A buffer of `u32`s whose `take` takes a `String` (dropped).
fn strings() -> (Join, AsyncChannel<u32>, SyncChannel<String, u32>) {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let take = b.synchronous::<String, u32>("take");
    b.when(take).and(put).then(|((_, r), n)| r.send(n));
    (b.build().unwrap(), put, take)
}

#[test]
fn a_branch_handed_a_chord_after_another_won_gives_it_back() {
    let (a, b) = (Arc::new(buffer()), Arc::new(buffer()));
    for round in 0..200 {
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let chooser = thread::spawn(move || {
            choose((
                a2.join.call_op(a2.get, 1).map(|n| ('a', n)),
                b2.join.call_op(b2.get, 2).map(|n| ('b', n)),
            ))
            .with_rest()
            .wait()
        });
        if round % 2 == 0 {
            wait_until("both offered", || {
                a.join.waiting(a.get) == 1 && b.join.waiting(b.get) == 1
            });
        }
        // Both objects can fire at once: exactly one does, for the chooser.
        a.join.send(a.put, round);
        b.join.send(b.put, round);
        let ((won, n), rest) = chooser.join().unwrap();
        assert_eq!(n, round);
        // The winner's argument went with its call; the loser's comes back
        // unless a firing had counted on its call as the choice settled.
        match won {
            'a' => assert!(rest.0.is_none() && rest.1.is_none_or(|arg| arg == 2)),
            _ => assert!(rest.1.is_none() && rest.0.is_none_or(|arg| arg == 1)),
        }
        let (winner, loser) = if won == 'a' { (&a, &b) } else { (&b, &a) };
        assert_eq!(winner.counts(), (0, 0));
        assert_eq!(loser.counts(), (1, 0), "the loser's message is still there");
        assert_eq!(loser.join.call(loser.get, 0), round);
    }
}

#[test]
fn a_choice_that_times_out_hands_every_argument_back() {
    let (a, b) = (buffer(), buffer());
    let err = choose((a.join.call_op(a.get, 1), b.join.call_op(b.get, 2)))
        .wait_timeout(Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(err.into_inner(), (1, 2));
    let err = choose(vec![a.join.call_op(a.get, 3), b.join.call_op(b.get, 4)])
        .try_now()
        .unwrap_err();
    assert_eq!(err.into_inner(), vec![3, 4]);
    assert_eq!((a.counts(), b.counts()), ((0, 0), (0, 0)));
}

#[test]
fn two_branches_on_one_channel_fire_once() {
    let a = Arc::new(buffer());
    let a2 = Arc::clone(&a);
    let chooser = thread::spawn(move || {
        choose((
            a2.join.call_op(a2.get, 0).map(|n| (0, n)),
            a2.join.call_op(a2.get, 0).map(|n| (1, n)),
        ))
        .wait()
    });
    wait_until("both offered", || a.join.waiting(a.get) == 2);
    a.join.send(a.put, 9);
    a.join.send(a.put, 10);
    // The oldest call, the first branch, is handed the first message; the
    // second branch's chord (if it got one) goes back.
    assert_eq!(chooser.join().unwrap(), (0, 9));
    assert_eq!(a.counts(), (1, 0));
}

/// An exchanger: `left(x) & right(y)` answers each with the other's value.
/// `left` runs the chord; `right`, its partner, is a rendezvous branch.
fn exchanger() -> (Join, SyncChannel<u32, u32>, SyncChannel<u32, u32>) {
    let mut b = Join::builder();
    let left = b.synchronous::<u32, u32>("left");
    let right = b.synchronous::<u32, u32>("right");
    b.when(left).and(right).then(|((l, rl), (r, rr))| {
        rl.send(r);
        rr.send(l);
    });
    (b.build().unwrap(), left, right)
}

/// A choice between a rendezvous branch, `right(arg)` on `meeting` (tagged
/// `'r'`), and `other`'s `get(tag)` (tagged `'b'`).
#[allow(clippy::type_complexity)]
fn rendezvous_or_buffer<'a>(
    meeting: &'a Join,
    right: SyncChannel<u32, u32>,
    arg: u32,
    other: &'a Buffer,
    tag: u32,
) -> chords::Choice<
    (
        chords::Op<'a, u32, u32, impl FnOnce(u32) -> (char, u32)>,
        chords::Op<'a, u32, u32, impl FnOnce(u32) -> (char, u32)>,
    ),
    (char, u32),
> {
    choose((
        meeting.call_op(right, arg).map(|n| ('r', n)),
        other.join.call_op(other.get, tag).map(|n| ('b', n)),
    ))
}

#[test]
fn a_rendezvous_branch_fires_when_a_partner_takes_it() {
    let (meeting, left, right) = exchanger();
    let other = Arc::new(buffer());
    let chooser = {
        let (meeting, other) = (meeting.clone(), other.clone());
        thread::spawn(move || rendezvous_or_buffer(&meeting, right, 2, &other, 0).wait())
    };
    wait_until("both offered", || {
        meeting.waiting(right) == 1 && other.counts().1 == 1
    });
    // A `left` caller takes the chooser's `right` call as its partner.
    assert_eq!(meeting.call(left, 1), 2);
    assert_eq!(chooser.join().unwrap(), ('r', 1));
    assert_eq!(other.counts(), (0, 0), "the other branch left no call");
    assert_eq!((meeting.waiting(left), meeting.waiting(right)), (0, 0));
}

/// A choice between a rendezvous branch and a buffer, made by `chooser`,
/// races a partner and a put, round after round: exactly one branch fires
/// each time, and every value goes to exactly one taker.
/// Makes a choice between a rendezvous branch, `right(round)` on the join,
/// tagged `'r'`, and the buffer's `get`, tagged `'b'`.
type RendezvousChooser = fn(&Join, SyncChannel<u32, u32>, &Buffer, u32) -> (char, u32);

fn rendezvous_race(chooser: RendezvousChooser) {
    let (meeting, left, right) = exchanger();
    let other = Arc::new(buffer());
    let (mut by_partner, mut by_put) = (0, 0);
    for round in 0..300u32 {
        let chooser = {
            let (meeting, other) = (meeting.clone(), other.clone());
            thread::spawn(move || chooser(&meeting, right, &other, round))
        };
        let partner = {
            let meeting = meeting.clone();
            thread::spawn(move || meeting.call(left, 1_000 + round))
        };
        other.join.send(other.put, 2_000 + round);
        match chooser.join().unwrap() {
            ('r', n) => {
                by_partner += 1;
                assert_eq!(n, 1_000 + round);
                assert_eq!(partner.join().unwrap(), round);
                // The put is still there.
                assert_eq!(other.join.call(other.get, 0), 2_000 + round);
            }
            ('b', n) => {
                by_put += 1;
                assert_eq!(n, 2_000 + round);
                // The partner still waits: another `right` meets it.
                assert_eq!(meeting.call(right, 7), 1_000 + round);
                assert_eq!(partner.join().unwrap(), 7);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!((meeting.waiting(left), meeting.waiting(right)), (0, 0));
        assert_eq!(other.counts(), (0, 0));
    }
    assert_eq!(by_partner + by_put, 300);
}

#[test]
fn a_rendezvous_branch_racing_a_put_fires_alone() {
    rendezvous_race(|meeting, right, other, round| {
        rendezvous_or_buffer(meeting, right, round, other, 0).wait()
    });
}

/// An exchanger whose one channel meets itself: `swap(a) & swap(b)`
/// answers each caller with the other's value.
fn swapper() -> (Join, SyncChannel<u32, u32>) {
    let mut b = Join::builder();
    let swap = b.synchronous::<u32, u32>("swap");
    b.when(swap).and(swap).then(|((a, ra), (b, rb))| {
        ra.send(b);
        rb.send(a);
    });
    (b.build().unwrap(), swap)
}

#[test]
fn a_choice_may_offer_several_rendezvous_branches_and_one_fires() {
    let (x, x_left, x_right) = exchanger();
    let (y, y_left, y_right) = exchanger();
    let (x, y) = (Arc::new(x), Arc::new(y));
    for round in 0..200 {
        let chooser = {
            let (x, y) = (x.clone(), y.clone());
            thread::spawn(move || {
                choose((
                    x.call_op(x_right, 1).map(|n| ('x', n)),
                    y.call_op(y_right, 2).map(|n| ('y', n)),
                ))
                .with_rest()
                .wait()
            })
        };
        wait_until("both offered", || {
            x.waiting(x_right) + y.waiting(y_right) == 2
        });
        // Two partners race for the two rendezvous branches: one wins.
        let partners = [(x.clone(), x_left), (y.clone(), y_left)]
            .map(|(j, left)| thread::spawn(move || j.call(left, 10 + round)));
        let (chosen, rest) = chooser.join().unwrap();
        assert_eq!(chosen.1, 10 + round, "round {round}");
        // The other partner still waits: a plain `right` meets it.
        let (mine, other) = match chosen.0 {
            'x' => ((0, 1), (1, &y, y_right)),
            'y' => ((1, 2), (0, &x, x_right)),
            tag => panic!("{tag}"),
        };
        assert_eq!(other.1.call(other.2, 7), 10 + round);
        let results = partners.map(|p| p.join().unwrap());
        assert_eq!(
            results[mine.0], mine.1,
            "the winner's partner met the choice"
        );
        assert_eq!(results[other.0], 7);
        // The losing branch kept its argument (or a firing that counted on
        // it refused it as a ghost, and its argument went with it).
        match (chosen.0, rest) {
            ('x', (None, lost)) => assert!(matches!(lost, None | Some(2))),
            ('y', (lost, None)) => assert!(matches!(lost, None | Some(1))),
            other => panic!("{other:?}"),
        }
        assert_eq!(x.waiting(x_right) + y.waiting(y_right), 0);
        assert_eq!(x.waiting(x_left) + y.waiting(y_left), 0);
    }
}

#[test]
fn two_choices_meet_through_their_rendezvous_branches() {
    let (meeting, swap) = swapper();
    let (meeting, idle) = (Arc::new(meeting), Arc::new(buffer()));
    for round in 0..200 {
        let barrier = Arc::new(Barrier::new(2));
        let choosers = [1, 2].map(|n| {
            let (meeting, idle, barrier) = (meeting.clone(), idle.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                choose((
                    idle.join.call_op(idle.get, n).map(|n| ('i', n)),
                    meeting.call_op(swap, 100 * n + round).map(|v| ('s', v)),
                ))
                .with_rest()
                .wait()
            })
        });
        let [a, b] = choosers.map(|c| c.join().unwrap());
        assert_eq!(a, (('s', 200 + round), (Some(1), None)), "round {round}");
        assert_eq!(b, (('s', 100 + round), (Some(2), None)), "round {round}");
        assert_eq!(meeting.waiting(swap), 0);
        assert_eq!(idle.counts(), (0, 0));
    }
}

#[test]
fn a_choice_whose_branches_one_chord_would_join_is_refused() {
    let (meeting, left, right) = exchanger();
    let message =
        |err: Box<dyn std::any::Any + Send>| chords::panic_message(&*err).unwrap().to_string();
    // `left(x) & right(y)` would take both branches: the choice would wait
    // for itself.
    let blocking = std::panic::catch_unwind(|| {
        choose((meeting.call_op(left, 1), meeting.call_op(right, 2))).wait_timeout(Duration::ZERO)
    });
    let text = message(blocking.unwrap_err());
    assert!(
        text.contains("branches 0 (`left`) and 1 (`right`)"),
        "{text}"
    );
    assert!(text.contains("cannot meet itself"), "{text}");
    let awaited = std::panic::catch_unwind(|| {
        std::future::IntoFuture::into_future(choose(vec![
            meeting.call_op(right, 1),
            meeting.call_op(left, 2),
        ]))
    });
    assert!(message(awaited.unwrap_err()).contains("cannot meet itself"));
    assert_eq!((meeting.waiting(left), meeting.waiting(right)), (0, 0));
    // On two objects, the same branches are fine.
    let (other, other_left, _) = exchanger();
    let err = choose((other.call_op(other_left, 1), meeting.call_op(right, 2)))
        .try_now()
        .unwrap_err();
    assert_eq!(err.into_inner(), (1, 2));
}

/// Choosers that either meet another chooser through a rendezvous branch
/// (`swap & swap`) or take a job, while a producer sends jobs: every swap
/// pairs two choices (each got the other's value), every job is taken once
/// at most, and nothing is left queued.
#[test]
fn choosers_meeting_through_swaps_or_taking_jobs_conserve_everything() {
    const CHOOSERS: u32 = 4;
    const ROUNDS: u32 = 400;
    let (meeting, swap) = swapper();
    let (meeting, jobs) = (Arc::new(meeting), Arc::new(buffer()));
    let done = Arc::new(AtomicUsize::new(0));
    let choosers: Vec<_> = (0..CHOOSERS)
        .map(|c| {
            let (meeting, jobs, done) = (meeting.clone(), jobs.clone(), done.clone());
            thread::spawn(move || {
                let (mut swapped, mut took) = (Vec::new(), Vec::new());
                for round in 0..ROUNDS {
                    let mine = c * 1_000_000 + round;
                    // A lone chooser whose peers are done waits for a job.
                    let chosen = loop {
                        let choice = choose((
                            meeting.call_op(swap, mine).map(|v| ('s', v)),
                            jobs.join.call_op(jobs.get, c).map(|n| ('j', n)),
                        ));
                        if let Ok(chosen) = choice.wait_timeout(Duration::from_millis(20)) {
                            break chosen;
                        }
                    };
                    match chosen {
                        ('s', theirs) => swapped.push((mine, theirs)),
                        (_, n) => took.push(n),
                    }
                }
                done.fetch_add(1, SeqCst);
                (swapped, took)
            })
        })
        .collect();
    let producer = {
        let (jobs, done) = (jobs.clone(), done.clone());
        thread::spawn(move || {
            let mut sent = 0;
            while done.load(SeqCst) < CHOOSERS as usize {
                sent += 1;
                jobs.join.send(jobs.put, sent);
                thread::sleep(Duration::from_micros(50));
            }
            sent
        })
    };
    let mut swaps = std::collections::HashMap::new();
    let mut taken = std::collections::HashSet::new();
    for chooser in choosers {
        let (swapped, took) = chooser.join().unwrap();
        for (mine, theirs) in swapped {
            assert!(swaps.insert(mine, theirs).is_none(), "{mine} swapped twice");
        }
        for n in took {
            assert!(taken.insert(n), "job {n} taken twice");
        }
    }
    let sent = producer.join().unwrap();
    for (&mine, &theirs) in &swaps {
        assert_eq!(
            swaps.get(&theirs),
            Some(&mine),
            "{mine} met {theirs}, not the other way"
        );
        assert_ne!(mine / 1_000_000, theirs / 1_000_000, "a chooser met itself");
    }
    assert_eq!(swaps.len() + taken.len(), (CHOOSERS * ROUNDS) as usize);
    assert!(taken.iter().all(|&n| (1..=sent).contains(&n)));
    assert_eq!(jobs.counts(), ((sent as usize) - taken.len(), 0));
    assert_eq!(meeting.waiting(swap), 0);
}

/// N choosers over M buffers while producers send: every message is taken
/// exactly once, each choice takes exactly one, and none is left waiting
/// while a chooser could take it.
#[test]
fn choosers_and_producers_conserve_every_message() {
    const BUFFERS: usize = 3;
    const CHOOSERS: usize = 4;
    const PRODUCERS: usize = 2;
    const EACH: u32 = 3_000;
    let buffers: Arc<Vec<Buffer>> = Arc::new((0..BUFFERS).map(|_| buffer()).collect());
    let total = PRODUCERS as u32 * EACH;
    let taken = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(CHOOSERS + PRODUCERS));
    let choosers: Vec<_> = (0..CHOOSERS)
        .map(|c| {
            let (buffers, taken, start) = (buffers.clone(), taken.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let mut got = Vec::new();
                while taken.fetch_add(1, SeqCst) < total as usize {
                    // Rotate the order, so that every buffer is listed first by someone.
                    let ops: Vec<_> = (0..BUFFERS)
                        .map(|i| (i + c) % BUFFERS)
                        .map(|b| {
                            let buffer = &buffers[b];
                            buffer
                                .join
                                .call_op(buffer.get, b as u32)
                                .map(move |n| (b, n))
                        })
                        .collect();
                    let ((won, n), rest) = choose(ops).with_rest().wait();
                    // One branch fired: its argument went with its call;
                    // each other's comes back (or, if a firing counted on
                    // its call as the choice settled, is dropped).
                    for (i, arg) in rest.into_iter().enumerate() {
                        let b = (i + c) % BUFFERS;
                        assert!(if b == won {
                            arg.is_none()
                        } else {
                            arg.is_none_or(|arg| arg as usize == b)
                        });
                    }
                    got.push(n);
                }
                got
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS as u32)
        .map(|p| {
            let (buffers, start) = (buffers.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                for i in 0..EACH {
                    let b = &buffers[(i as usize * 7 + p as usize) % BUFFERS];
                    b.join.send(b.put, p * EACH + i);
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    let mut got: Vec<u32> = choosers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(
        got,
        (0..total).collect::<Vec<_>>(),
        "each message taken once"
    );
    for b in buffers.iter() {
        assert_eq!(b.counts(), (0, 0), "nothing left waiting");
    }
}

mod generated {
    use chords::chords;

    /// A job queue and a shutdown latch: two objects, one choice.
    #[chords]
    impl Jobs {
        async fn job(&self, n: u32);
        fn next(&self) -> u32;

        #[chord(next() & job(n))]
        fn take(&self) -> u32 {
            n
        }
    }

    #[chords]
    impl Latch {
        async fn open(&self);
        fn wait(&self);

        #[chord(wait() & open())]
        fn opened(&self) {}
    }

    /// A rendezvous: `left` runs its chord; `right` is its partner.
    #[chords]
    impl Meeting {
        fn left(&self, x: u32) -> u32;
        fn right(&self, y: u32) -> u32;

        #[chord(left(x) & right(y))]
        fn meet(&self) -> (u32, u32) {
            (y, x)
        }
    }

    #[derive(Debug, PartialEq)]
    enum Work {
        Job(u32),
        Stop,
    }

    #[test]
    fn generated_ops_choose_between_a_job_and_shutdown() {
        let (jobs, latch) = (Jobs::new(), Latch::new());
        let next = || {
            chords::choose((
                jobs.next_op().map(Work::Job),
                latch.wait_op().map(|()| Work::Stop),
            ))
            .wait()
        };
        jobs.job(1);
        jobs.job(2);
        assert_eq!(next(), Work::Job(1));
        latch.open();
        // Both ready: the job, listed first, fires.
        assert_eq!(next(), Work::Job(2));
        assert_eq!(next(), Work::Stop);
        assert!(jobs.waiting().iter().all(|(_, n)| n == 0));
        assert!(latch.waiting().iter().all(|(_, n)| n == 0));
        // Both sides of a rendezvous have ops: a choice takes either.
        let meeting = Meeting::new();
        let err = chords::choose((meeting.left_op(1),)).try_now().unwrap_err();
        assert_eq!(err.into_inner(), (1,));
        let err = chords::choose((meeting.right_op(2),))
            .try_now()
            .unwrap_err();
        assert_eq!(err.into_inner(), (2,));
    }

    #[test]
    fn select_runs_the_body_of_the_branch_that_fired() {
        let (jobs, latch) = (Jobs::new(), Latch::new());
        let step = |jobs: &Jobs, latch: &Latch| {
            chords::select! {
                n = jobs.next() => Work::Job(n),
                () = latch.wait() => { Work::Stop }
            }
        };
        jobs.job(7);
        assert_eq!(step(&jobs, &latch), Work::Job(7));
        latch.open();
        assert_eq!(step(&jobs, &latch), Work::Stop);

        // `default`: nothing ready, nothing queued.
        let polled = chords::select! {
            n = jobs.next() => Some(n),
            default => None,
        };
        assert_eq!(polled, None);
        assert_eq!(jobs.waiting().get("next"), Some(0));

        // `default(timeout)`: a job sent from another thread in time.
        let jobs = std::sync::Arc::new(jobs);
        let sender = std::sync::Arc::clone(&jobs);
        let t = std::thread::spawn(move || sender.job(9));
        let got = chords::select! {
            n = jobs.next() => n,
            () = latch.wait() => 0,
            default(std::time::Duration::from_secs(10)) => u32::MAX,
        };
        t.join().unwrap();
        assert_eq!(got, 9);
        let timed_out = chords::select! {
            n = jobs.next() => Some(n),
            default(std::time::Duration::from_millis(5)) => None,
        };
        assert_eq!(timed_out, None);
        assert_eq!(jobs.waiting().get("next"), Some(0));
    }
}

/// Choices made by async tasks: `choose(..).await` and `select_async!`, and
/// a choice's future dropped in each state its branches can be in.
mod awaited {
    use std::future::{Future, IntoFuture};
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use chords::{choose, Join, SyncChannel};

    use super::{buffer, Buffer};

    fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn an_awaited_choice_fires_the_first_listed_ready_branch() {
        let (a, b) = (buffer(), buffer());
        a.join.send(a.put, 1);
        b.join.send(b.put, 2);
        let got = futures::executor::block_on(
            choose((
                b.join.call_op(b.get, 0).map(|n| ('b', n)),
                a.join.call_op(a.get, 0).map(|n| ('a', n)),
            ))
            .into_future(),
        );
        assert_eq!(got, ('b', 2));
        assert_eq!((a.counts(), b.counts()), ((1, 0), (0, 0)));
    }

    #[test]
    fn an_awaited_choice_with_rest_hands_back_the_losers_arguments() {
        let (a, b, c) = (buffer(), buffer(), buffer());
        // Offered on all three: nothing can fire yet.
        let mut choice = pin!(choose((
            a.join.call_op(a.get, 1),
            b.join.call_op(b.get, 2),
            c.join.call_op(c.get, 3),
        ))
        .with_rest()
        .into_future());
        assert!(poll_once(choice.as_mut()).is_pending());
        assert_eq!([a.counts().1, b.counts().1, c.counts().1], [1, 1, 1]);
        b.join.send(b.put, 9);
        match poll_once(choice.as_mut()) {
            Poll::Ready(chosen) => assert_eq!(chosen, (9, (Some(1), None, Some(3)))),
            Poll::Pending => panic!("a branch was handed a chord"),
        }
        assert_eq!(
            (a.counts(), b.counts(), c.counts()),
            ((0, 0), (0, 0), (0, 0))
        );

        // One that fires at once: the branches after it were never offered.
        c.join.send(c.put, 4);
        let chosen = futures::executor::block_on(
            choose(vec![c.join.call_op(c.get, 5), a.join.call_op(a.get, 6)])
                .with_rest()
                .into_future(),
        );
        assert_eq!(chosen, (4, vec![None, Some(6)]));
    }

    #[test]
    fn an_awaited_rendezvous_branch_fires_when_a_partner_takes_it() {
        let (meeting, left, right) = super::exchanger();
        let other = buffer();
        let mut choice = pin!(super::rendezvous_or_buffer(&meeting, right, 2, &other, 5)
            .with_rest()
            .into_future());
        assert!(poll_once(choice.as_mut()).is_pending());
        assert_eq!((meeting.waiting(right), other.counts().1), (1, 1));
        // A `left` caller takes the task's `right` call as its partner.
        assert_eq!(meeting.call(left, 1), 2);
        match poll_once(choice.as_mut()) {
            Poll::Ready(chosen) => assert_eq!(chosen, (('r', 1), (None, Some(5)))),
            Poll::Pending => panic!("the partner answered the rendezvous branch"),
        }
        assert_eq!(other.counts(), (0, 0), "the other branch left no call");
        assert_eq!((meeting.waiting(left), meeting.waiting(right)), (0, 0));
    }

    #[test]
    fn an_awaited_choice_leaves_its_rendezvous_branch_before_another_fires() {
        let (meeting, left, right) = super::exchanger();
        let other = buffer();
        // Offered on both; then the buffer's branch is handed a chord.
        let mut choice = pin!(super::rendezvous_or_buffer(&meeting, right, 2, &other, 0)
            .with_rest()
            .into_future());
        assert!(poll_once(choice.as_mut()).is_pending());
        other.join.send(other.put, 8);
        match poll_once(choice.as_mut()) {
            Poll::Ready(chosen) => assert_eq!(chosen, (('b', 8), (Some(2), None))),
            Poll::Pending => panic!("the buffer's branch was handed a chord"),
        }
        assert_eq!(
            meeting.waiting(right),
            0,
            "the rendezvous call was withdrawn"
        );
        // Ready at once: the rendezvous branch, listed first, never queues.
        other.join.send(other.put, 9);
        let chosen = futures::executor::block_on(
            super::rendezvous_or_buffer(&meeting, right, 3, &other, 0).into_future(),
        );
        assert_eq!(chosen, ('b', 9));
        assert_eq!((meeting.waiting(left), meeting.waiting(right)), (0, 0));
        assert_eq!(other.counts(), (0, 0));
    }

    /// On one thread: the task's rendezvous branch is counted on by a chord
    /// handed to another task (which has not run it yet) when its other
    /// branch is handed a chord. The offer word settles the choice at once:
    /// the buffer's branch wins, and when the other task runs its chord it
    /// finds the rendezvous call a ghost, gives the chord back and waits
    /// again.
    #[test]
    fn an_awaited_choice_settles_while_a_task_of_its_own_thread_counts_on_its_rendezvous_branch() {
        let mut b = Join::builder();
        let left = b.synchronous::<u32, u32>("left");
        let right = b.synchronous::<u32, u32>("right");
        let token = b.asynchronous::<()>("token");
        b.when(left)
            .and(right)
            .and(token)
            .then(|((l, rl), (r, rr), ())| {
                rl.send(r);
                rr.send(l);
            });
        let meeting = b.build().unwrap();
        let other = buffer();
        let mut choice = pin!(super::rendezvous_or_buffer(&meeting, right, 2, &other, 5)
            .with_rest()
            .into_future());
        assert!(poll_once(choice.as_mut()).is_pending());
        let mut partner = pin!(meeting.call_async(left, 1));
        assert!(poll_once(partner.as_mut()).is_pending());
        // The chord `left & right & token` is handed to the partner's task,
        // counting on the choice's `right`; then the buffer's branch is
        // handed a chord too.
        meeting.send(token, ());
        other.join.send(other.put, 8);
        match poll_once(choice.as_mut()) {
            // The rendezvous call, which the partner's chord counts on, was
            // left to it: its argument went with it.
            Poll::Ready(chosen) => assert_eq!(chosen, (('b', 8), (None, None))),
            Poll::Pending => panic!("the buffer's branch won the offer"),
        }
        assert!(
            poll_once(partner.as_mut()).is_pending(),
            "the partner's chord found a ghost and went back"
        );
        assert_eq!((meeting.waiting(left), meeting.waiting(right)), (1, 0));
        assert_eq!(meeting.waiting(token), 1, "the token went back");
        assert_eq!(other.counts(), (0, 0));
        // A later `right` meets the partner.
        assert_eq!(meeting.call(right, 7), 1);
        assert_eq!(poll_once(partner.as_mut()), Poll::Ready(7));

        // The same, dropped before it is polled again: no branch fires. The
        // buffer's chord goes back, and the partner's chord finds the
        // rendezvous call a ghost.
        let mut choice =
            Box::pin(super::rendezvous_or_buffer(&meeting, right, 3, &other, 0).into_future());
        assert!(poll_once(choice.as_mut()).is_pending());
        let mut partner = pin!(meeting.call_async(left, 1));
        assert!(poll_once(partner.as_mut()).is_pending());
        meeting.send(token, ());
        other.join.send(other.put, 9);
        drop(choice);
        assert!(poll_once(partner.as_mut()).is_pending());
        assert_eq!(other.counts(), (1, 0), "the buffer's chord went back");
        assert_eq!((meeting.waiting(left), meeting.waiting(right)), (1, 0));
        assert_eq!(meeting.call(right, 4), 1);
        assert_eq!(poll_once(partner.as_mut()), Poll::Ready(4));
    }

    #[test]
    fn two_awaited_choices_meet_through_their_rendezvous_branches() {
        let (meeting, swap) = super::swapper();
        let idle = buffer();
        let choice = |n: u32| {
            choose((
                idle.join.call_op(idle.get, n).map(|n| ('i', n)),
                meeting.call_op(swap, 100 * n).map(|v| ('s', v)),
            ))
            .with_rest()
            .into_future()
        };
        let (mut first, mut second) = (pin!(choice(1)), pin!(choice(2)));
        assert!(poll_once(first.as_mut()).is_pending());
        // The second choice's poll meets the first's queued `swap`.
        assert_eq!(
            poll_once(second.as_mut()),
            Poll::Ready((('s', 100), (Some(2), None)))
        );
        assert_eq!(
            poll_once(first.as_mut()),
            Poll::Ready((('s', 200), (Some(1), None)))
        );
        assert_eq!(meeting.waiting(swap), 0);
        assert_eq!(idle.counts(), (0, 0));
    }

    #[test]
    fn an_awaited_rendezvous_branch_racing_a_put_fires_alone() {
        super::rendezvous_race(|meeting, right, other, round| {
            futures::executor::block_on(
                super::rendezvous_or_buffer(meeting, right, round, other, 0).into_future(),
            )
        });
    }

    #[test]
    fn select_async_waits_for_a_message_from_another_thread() {
        let (a, b) = (Arc::new(buffer()), Arc::new(buffer()));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let task = runtime.spawn({
            let (a, b) = (a.clone(), b.clone());
            async move {
                let (a, b) = (&*a, &*b);
                chords::select_async! {
                    n = a.join.call(a.get, 0) => ('a', n),
                    n = b.join.call(b.get, 0) => ('b', n),
                }
            }
        });
        super::wait_until("both offered", || a.counts().1 == 1 && b.counts().1 == 1);
        b.join.send(b.put, 5);
        assert_eq!(runtime.block_on(task).unwrap(), ('b', 5));
        assert_eq!((a.counts(), b.counts()), ((0, 0), (0, 0)));
    }

    #[test]
    fn dropped_before_a_poll_or_while_offered_it_leaves_no_call() {
        let (a, b) = (buffer(), buffer());
        drop(choose((a.join.call_op(a.get, 0), b.join.call_op(b.get, 0))).into_future());
        assert_eq!((a.counts(), b.counts()), ((0, 0), (0, 0)));

        let mut future =
            Box::pin(choose((a.join.call_op(a.get, 0), b.join.call_op(b.get, 0))).into_future());
        assert!(poll_once(future.as_mut()).is_pending());
        assert_eq!((a.counts(), b.counts()), ((0, 1), (0, 1)), "both offered");
        drop(future);
        assert_eq!((a.counts(), b.counts()), ((0, 0), (0, 0)));
    }

    #[test]
    fn a_chord_handed_to_a_branch_goes_back_when_the_choice_is_dropped_or_lost() {
        let (a, b) = (buffer(), buffer());
        // Handed, then dropped before the next poll: the put goes back.
        {
            let mut future =
                pin!(choose((a.join.call_op(a.get, 0), b.join.call_op(b.get, 0))).into_future());
            assert!(poll_once(future.as_mut()).is_pending());
            b.join.send(b.put, 7);
        }
        assert_eq!((a.counts(), b.counts()), ((0, 0), (1, 0)));
        // Both handed: the first listed fires, the other's put goes back.
        let mut future =
            pin!(choose((a.join.call_op(a.get, 0), b.join.call_op(b.get, 0))).into_future());
        b.join.send(b.put, 8);
        // (b has two puts now: the choice's poll fires b at once.)
        assert_eq!(poll_once(future.as_mut()), Poll::Ready(7));
        assert_eq!(b.counts(), (1, 0));
        let mut future =
            pin!(choose((a.join.call_op(a.get, 0), b.join.call_op(b.get, 0))).into_future());
        let Poll::Ready(8) = poll_once(future.as_mut()) else {
            panic!("b's put is ready")
        };
        let mut future =
            pin!(choose((a.join.call_op(a.get, 0), b.join.call_op(b.get, 0))).into_future());
        assert!(poll_once(future.as_mut()).is_pending());
        b.join.send(b.put, 9);
        a.join.send(a.put, 10);
        assert_eq!(
            poll_once(future.as_mut()),
            Poll::Ready(10),
            "a is listed first"
        );
        assert_eq!((a.counts(), b.counts()), ((0, 0), (1, 0)));
    }

    /// A result that counts its drops.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn a_winner_whose_reply_is_pending_keeps_the_others_out_and_drops_its_result() {
        // `ask`'s body hands its reply to `answer`'s caller.
        let mut b = Join::builder();
        let ask = b.synchronous::<(), Counted>("ask");
        let token = b.asynchronous::<()>("token");
        let answer = b.synchronous::<(), chords::Reply<Counted>>("answer");
        b.when(ask)
            .and(token)
            .and(answer)
            .then(|(((), to_asker), (), ((), to_answerer))| to_answerer.send(to_asker));
        let join = b.build().unwrap();
        let other: Buffer = buffer();
        let dropped = Arc::new(AtomicUsize::new(0));

        let answerer = {
            let join = join.clone();
            std::thread::spawn(move || join.call(answer, ()))
        };
        super::wait_until("the answerer waits", || join.waiting(answer) == 1);
        join.send(token, ());
        let mut future = Box::pin(
            choose((
                join.call_op(ask, ()).map(|_| "asked"),
                other.join.call_op(other.get, 0).map(|_| "other"),
            ))
            .into_future(),
        );
        // `ask` fires in this poll, its reply goes to the answerer: pending.
        assert!(poll_once(future.as_mut()).is_pending());
        // The other branch was never offered, and gets nothing now.
        other.join.send(other.put, 1);
        assert!(poll_once(future.as_mut()).is_pending());
        assert_eq!(other.counts(), (1, 0));
        drop(future);
        let reply = answerer.join().unwrap();
        reply.send(Counted(dropped.clone()));
        assert_eq!(
            dropped.load(SeqCst),
            1,
            "the result dropped with the choice"
        );
        assert_eq!((join.waiting(ask), join.waiting(token)), (0, 0));
    }

    #[test]
    fn tasks_choosing_while_producers_send_take_every_message_once() {
        const BUFFERS: usize = 3;
        const TASKS: usize = 6;
        const EACH: u32 = 500;
        let buffers: Arc<Vec<Buffer>> = Arc::new((0..BUFFERS).map(|_| buffer()).collect());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let total = 2 * EACH;
        let tasks: Vec<_> = (0..TASKS)
            .map(|t| {
                let buffers = buffers.clone();
                runtime.spawn(async move {
                    let mut got = Vec::new();
                    for _ in 0..total as usize / TASKS {
                        let ops: Vec<_> = (0..BUFFERS)
                            .map(|i| &buffers[(i + t) % BUFFERS])
                            .map(|b| b.join.call_op(b.get, 0))
                            .collect();
                        got.push(choose(ops).await);
                    }
                    got
                })
            })
            .collect();
        let producers: Vec<_> = (0..2u32)
            .map(|p| {
                let buffers = buffers.clone();
                std::thread::spawn(move || {
                    for i in 0..EACH {
                        let b = &buffers[(i as usize + p as usize) % BUFFERS];
                        b.join.send(b.put, p * EACH + i);
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        let mut got: Vec<u32> = tasks
            .into_iter()
            .flat_map(|t| runtime.block_on(t).unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got.len(), total as usize / TASKS * TASKS);
        let left: usize = buffers.iter().map(|b| b.counts().0).sum();
        assert_eq!(
            got.len() + left,
            total as usize,
            "each message taken once or still there"
        );
        let mut all: Vec<u32> = got;
        for b in buffers.iter() {
            while let Ok(n) = b.join.try_call(b.get, 0) {
                all.push(n);
            }
        }
        all.sort_unstable();
        assert_eq!(all, (0..total).collect::<Vec<_>>());
        for b in buffers.iter() {
            assert_eq!(b.counts(), (0, 0));
        }
    }

    #[allow(dead_code)]
    fn assert_send<T: Send>(_: &T) {}

    #[allow(dead_code)]
    fn a_choice_future_is_send(b: &Buffer, c: SyncChannel<u32, u32>) {
        assert_send(&choose((b.join.call_op(c, 0),)).into_future());
    }
}
