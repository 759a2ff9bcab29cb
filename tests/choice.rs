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
        a.join.op(a.get, 0).map(|n| ('a', n)),
        b.join.op(b.get, 0).map(|n| ('b', n)),
    ))
    .wait();
    assert_eq!(got, ('a', 1));
    assert_eq!((a.counts(), b.counts()), ((0, 0), (1, 0)));

    // Listed the other way round, the other fires.
    let got = choose((
        b.join.op(b.get, 0).map(|n| ('b', n)),
        a.join.op(a.get, 0).map(|n| ('a', n)),
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
    let chooser =
        thread::spawn(move || choose(vec![a2.join.op(a2.get, 0), b2.join.op(b2.get, 0)]).wait());
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
fn a_branch_handed_a_chord_after_another_won_gives_it_back() {
    let (a, b) = (Arc::new(buffer()), Arc::new(buffer()));
    for round in 0..200 {
        let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
        let chooser = thread::spawn(move || {
            choose((
                a2.join.op(a2.get, 0).map(|n| ('a', n)),
                b2.join.op(b2.get, 0).map(|n| ('b', n)),
            ))
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
        let (won, n) = chooser.join().unwrap();
        assert_eq!(n, round);
        let (winner, loser) = if won == 'a' { (&a, &b) } else { (&b, &a) };
        assert_eq!(winner.counts(), (0, 0));
        assert_eq!(loser.counts(), (1, 0), "the loser's message is still there");
        assert_eq!(loser.join.call(loser.get, 0), round);
    }
}

#[test]
fn a_choice_that_times_out_hands_every_argument_back() {
    let (a, b) = (buffer(), buffer());
    let err = choose((a.join.op(a.get, 1), b.join.op(b.get, 2)))
        .wait_timeout(Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(err.into_inner(), (1, 2));
    let err = choose(vec![a.join.op(a.get, 3), b.join.op(b.get, 4)])
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
            a2.join.op(a2.get, 0).map(|n| (0, n)),
            a2.join.op(a2.get, 0).map(|n| (1, n)),
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

#[test]
fn a_rendezvous_channel_cannot_be_a_branch_yet() {
    let mut b = Join::builder();
    let left = b.synchronous::<u32, u32>("left");
    let right = b.synchronous::<u32, u32>("right");
    b.when(left).and(right).then(|((l, rl), (r, rr))| {
        rl.send(r);
        rr.send(l);
    });
    let join = b.build().unwrap();
    // `left` runs its chord: choosable; `right` is its partner: not.
    let _ = join.op(left, 1);
    let err = std::panic::catch_unwind(|| join.op(right, 2)).unwrap_err();
    let text = chords::panic_message(&*err).unwrap().to_string();
    assert!(
        text.contains("`right` cannot be a branch of a choice"),
        "{text}"
    );
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
                        .map(|i| &buffers[(i + c) % BUFFERS])
                        .map(|b| b.join.op(b.get, 0))
                        .collect();
                    got.push(choose(ops).wait());
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

    /// A rendezvous: `left` runs its chord and has an op; `right`, its
    /// partner, has none.
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
        // `left` runs its chord: it has an op. (`right`, its partner, has
        // none: `meeting.right_op(2)` does not compile.)
        let meeting = Meeting::new();
        let err = chords::choose((meeting.left_op(1),)).try_now().unwrap_err();
        assert_eq!(err.into_inner(), (1,));
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
