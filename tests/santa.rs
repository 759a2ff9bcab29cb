//! Trono's Santa Claus problem (`examples/santa`): its invariants, on both of
//! the example's North Poles, the `#[chords]` one (`workshop.rs`) and the one
//! built with the runtime API (`north_pole.rs`). One piece of code checks
//! both: the story's runs (zero and tiny delays; threads blocked in the
//! calls, and tokio tasks awaiting them) through the story's `Playable`
//! trait, and the deterministic tests (priority, oldest first, release after
//! Santa's work, closing) through `Subject`, which gives both North Poles the
//! same Santa. The macro `both_versions!` instantiates every test for each.

#[allow(dead_code)]
#[path = "../examples/santa/north_pole.rs"]
mod north_pole;
#[allow(dead_code)]
#[path = "../examples/santa/workshop.rs"]
mod workshop;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use north_pole::story::{
    self, Config, Event, Kind, Playable, Pole, Record, Release, Report, Waits, Who, ELVES, GROUP,
    REINDEER,
};
use north_pole::{Member, NorthPole, Wake};
use workshop::{Santa, Workshop};

mod common;
use common::{wait_until, within};

/// Many thousand wakeups with zero delays: the run most tests check (per version).
const ROUNDS: usize = 3000;

/// The tasks' run: fewer Christmases, many more elves.
const TASK_ROUNDS: usize = 40;
const TASK_ELVES: usize = 300;

/// The story with zero delays, on threads.
fn zero_delay_run<P: Playable>() -> Report {
    within("a zero-delay run", || {
        story::run::<P>(&Config::instant(ROUNDS, 7), &|_| {})
    })
}

/// The story with tokio tasks on a multi-thread runtime, no delays.
fn tasks_run<P: Playable>() -> Report {
    let config = Config {
        elves: TASK_ELVES,
        ..Config::instant(TASK_ROUNDS, 9)
    };
    within("a run of tasks", move || {
        runtime(4).block_on(story::run_tasks::<P>(&config, &|_| {}))
    })
}

fn wakes(report: &Report) -> Vec<(&Record, Kind, &Vec<Who>)> {
    report
        .records
        .iter()
        .filter_map(|r| match &r.event {
            Event::Woke { kind, members, .. } => Some((r, *kind, members)),
            _ => None,
        })
        .collect()
}

/// A multi-thread tokio runtime with `threads` workers and a timer.
fn runtime(threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// Every team is nine distinct reindeer, every group three distinct elves
/// (ids below `elves`).
fn check_teams_and_groups(report: &Report, elves: usize) {
    let all = wakes(report);
    assert!(!all.is_empty());
    for (record, kind, members) in all {
        let (size, ids): (usize, Vec<usize>) = match kind {
            Kind::Delivery => (
                REINDEER,
                members
                    .iter()
                    .map(|w| match *w {
                        Who::Reindeer(id) => id,
                        Who::Elf(_) => panic!("an elf in a team: {record:?}"),
                    })
                    .collect(),
            ),
            Kind::Consultation => (
                GROUP,
                members
                    .iter()
                    .map(|w| match *w {
                        Who::Elf(id) => id,
                        Who::Reindeer(_) => panic!("a reindeer in a group: {record:?}"),
                    })
                    .collect(),
            ),
        };
        assert_eq!(ids.len(), size, "{record:?}");
        let mut distinct = ids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            size,
            "a worker twice in one wakeup: {record:?}"
        );
        let bound = if kind == Kind::Delivery {
            REINDEER
        } else {
            elves
        };
        assert!(ids.iter().all(|&id| id < bound), "{record:?}");
    }
}

/// Santa finishes with wakeup `k` after it starts and before any member of
/// `k` is released; each member is released exactly once, from its own wakeup.
fn check_release_after_finish(report: &Report) {
    let mut woke: HashMap<u64, (usize, Vec<Who>)> = HashMap::new();
    let mut finished: HashMap<u64, usize> = HashMap::new();
    let mut released: HashMap<u64, Vec<Who>> = HashMap::new();
    for (i, record) in report.records.iter().enumerate() {
        assert_eq!(record.seq, i);
        match &record.event {
            Event::Woke { wake, members, .. } => {
                assert!(woke.insert(*wake, (i, members.clone())).is_none());
            }
            Event::Finished { wake, .. } => {
                let (started, _) = woke.get(wake).expect("finished before waking");
                assert!(*started < i);
                assert!(
                    finished.insert(*wake, i).is_none(),
                    "finished twice: {wake}"
                );
            }
            Event::Released { who, wake, .. } => {
                assert!(
                    finished.contains_key(wake),
                    "{who} released from wakeup {wake} (seq {i}) before Santa finished with it"
                );
                released.entry(*wake).or_default().push(*who);
            }
            _ => {}
        }
    }
    assert_eq!(woke.len(), finished.len(), "a wakeup never finished");
    // Wakeups are numbered 1, 2, ... in order.
    let mut numbers: Vec<u64> = woke.keys().copied().collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=woke.len() as u64).collect::<Vec<_>>());
    for (wake, (_, mut members)) in woke {
        let mut out = released.remove(&wake).unwrap_or_default();
        members.sort_unstable();
        out.sort_unstable();
        assert_eq!(out, members, "released from wakeup {wake}");
    }
    assert!(released.is_empty(), "released from no wakeup: {released:?}");
}

/// Per worker: arrive, be taken into one wakeup, be released from it; go home
/// once, at the end. So arrivals = releases + (1 if sent home while waiting).
fn check_conservation(report: &Report, rounds: usize, elves: usize) {
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum State {
        Away,
        Waiting,
        Taken(u64),
        Home,
    }
    let mut state: BTreeMap<Who, State> = (0..REINDEER)
        .map(Who::Reindeer)
        .chain((0..elves).map(Who::Elf))
        .map(|w| (w, State::Away))
        .collect();
    let (mut arrivals, mut releases, mut sent_home) = (0usize, 0usize, 0usize);
    for record in &report.records {
        match &record.event {
            Event::Arrived(who) => {
                let s = state.get_mut(who).unwrap();
                assert_eq!(*s, State::Away, "{record:?}");
                *s = State::Waiting;
                arrivals += 1;
            }
            Event::Woke { wake, members, .. } => {
                for who in members {
                    let s = state.get_mut(who).unwrap();
                    assert_eq!(
                        *s,
                        State::Waiting,
                        "{who} taken without waiting: {record:?}"
                    );
                    *s = State::Taken(*wake);
                }
            }
            Event::Released { who, wake, .. } => {
                let s = state.get_mut(who).unwrap();
                assert_eq!(*s, State::Taken(*wake), "{record:?}");
                *s = State::Away;
                releases += 1;
            }
            Event::Home { who, closed } => {
                let s = state.get_mut(who).unwrap();
                let expected = if *closed { State::Waiting } else { State::Away };
                assert_eq!(*s, expected, "{record:?}");
                *s = State::Home;
                sent_home += usize::from(*closed);
            }
            Event::Finished { .. } => {}
        }
    }
    assert!(state.values().all(|s| *s == State::Home), "{state:?}");
    assert_eq!(arrivals, releases + sent_home);
    let s = &report.summary;
    assert_eq!(s.deliveries, rounds);
    assert_eq!(s.elf_visits, GROUP * s.consultations);
    assert_eq!(releases, REINDEER * s.deliveries + GROUP * s.consultations);
}

fn many_thousand_wakeups_without_deadlock_and_counts_conserved(report: &Report) {
    check_conservation(report, ROUNDS, ELVES);
    let s = &report.summary;
    assert!(s.deliveries + s.consultations >= ROUNDS);
    assert_eq!(wakes(report).len(), s.deliveries + s.consultations);
}

fn tiny_delays_keep_every_invariant<P: Playable>() {
    let config = Config {
        rounds: 12,
        seed: 11,
        elves: ELVES,
        holiday: Duration::from_micros(900),
        elf_work: Duration::from_micros(300),
        delivery: Duration::from_micros(200),
        consultation: Duration::from_micros(100),
    };
    let report = within("a run with tiny delays", move || {
        story::run::<P>(&config, &|_| {})
    });
    check_teams_and_groups(&report, ELVES);
    check_release_after_finish(&report);
    check_conservation(&report, 12, ELVES);
}

/// The tasks' run keeps the threads' invariants. (Its priority, reindeer
/// first, is set up deterministically below, with tasks as with threads: in a
/// run, how many elves wait at a delivery depends on the scheduler.)
fn tasks_keep_every_invariant_with_hundreds_of_elves(report: &Report) {
    check_teams_and_groups(report, TASK_ELVES);
    check_release_after_finish(report);
    check_conservation(report, TASK_ROUNDS, TASK_ELVES);
    let s = &report.summary;
    assert!(s.consultations > 0);
    assert_eq!(wakes(report).len(), s.deliveries + s.consultations);
}

/// The story's tasks on a current-thread runtime: one thread runs Santa and
/// every worker, so no call may block it (a worker whose call completes
/// Santa's chord waits for Santa's answer as a queued call does).
fn the_tasks_story_runs_on_one_thread<P: Playable>() {
    let config = Config {
        elves: 30,
        ..Config::instant(TASK_ROUNDS, 9)
    };
    let report = within("a run of tasks on one thread", move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
            .block_on(story::run_tasks::<P>(&config, &|_| {}))
    });
    check_teams_and_groups(&report, 30);
}

/// The observer sees every record, in order, as it is recorded: `observer`
/// pushes each record's number into `seen` (statics of the test's own, an
/// observer being `'static`).
fn the_observer_sees_every_record_in_order<P: Playable>(
    observer: story::Observer,
    seen: &std::sync::Mutex<Vec<usize>>,
) {
    let report = story::run::<P>(&Config::instant(3, 1), observer);
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(seen, (0..report.records.len()).collect::<Vec<_>>());
    assert_eq!(report.summary.deliveries, 3);
}

// ---------------------------------------------------------------------------
// Deterministic tests: workers queued in a known order, Santa on the test's
// thread (or his own), the same Santa for both North Poles.

/// What woke Santa, as his [`Recording`] saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Woken {
    kind: Kind,
    /// Members' ids, oldest first.
    ids: Vec<usize>,
    /// Workers of the other kind waiting at that moment.
    others_waiting: usize,
}

/// The tests' Santa: records what woke him, runs `during` while its members
/// wait, and releases them from wakeup `wake`.
struct Recording {
    wake: u64,
    seen: Vec<Woken>,
    during: Box<dyn FnMut() + Send>,
}

impl Recording {
    fn new(wake: u64) -> Recording {
        Recording {
            wake,
            seen: Vec::new(),
            during: Box::new(|| {}),
        }
    }

    fn saw(&mut self, kind: Kind, ids: &[usize], others_waiting: usize) -> u64 {
        self.seen.push(Woken {
            kind,
            ids: ids.to_vec(),
            others_waiting,
        });
        (self.during)();
        self.wake
    }
}

impl Santa for Recording {
    fn deliver_toys(&mut self, team: [usize; REINDEER], elves_waiting: usize) -> u64 {
        self.saw(Kind::Delivery, &team, elves_waiting)
    }

    fn consult(&mut self, group: [usize; GROUP], reindeer_waiting: usize) -> u64 {
        self.saw(Kind::Consultation, &group, reindeer_waiting)
    }
}

/// A North Pole whose Santa the tests play: he sleeps (blocked, or awaiting
/// with `C`'s runtime), the [`Recording`] handles what woke him while its
/// members wait, and they are released with its wakeup number.
trait Subject: Pole {
    fn sleep<C: Callers>(&self, c: &C, santa: Recording) -> Recording;
    /// Santa wakes only if a team or a group waits now.
    fn try_sleep(&self, santa: Recording) -> Result<Recording, Recording>;
}

/// The `#[chords]` North Pole: the chord's body calls the Santa.
impl Subject for Workshop<Recording> {
    fn sleep<C: Callers>(&self, c: &C, santa: Recording) -> Recording {
        c.block_on(async {
            if C::W::AWAITS {
                self.sleep_async(santa).await
            } else {
                Workshop::sleep(self, santa)
            }
        })
    }

    fn try_sleep(&self, santa: Recording) -> Result<Recording, Recording> {
        Workshop::try_sleep(self, santa).map_err(|e| e.into_inner())
    }
}

/// The runtime API's North Pole: Santa gets the members' replies, and
/// answers them once the Santa is done.
impl Subject for NorthPole {
    fn sleep<C: Callers>(&self, c: &C, mut santa: Recording) -> Recording {
        let woken = c.block_on(async {
            if C::W::AWAITS {
                self.sleep_async().await
            } else {
                NorthPole::sleep(self)
            }
        });
        handle(woken, &mut santa);
        santa
    }

    fn try_sleep(&self, mut santa: Recording) -> Result<Recording, Recording> {
        match NorthPole::try_sleep(self) {
            Some(woken) => {
                handle(woken, &mut santa);
                Ok(santa)
            }
            None => Err(santa),
        }
    }
}

/// Santa's side of a runtime-API wakeup: `santa` handles it, then every
/// member is answered.
fn handle(woken: Wake, santa: &mut impl Santa) {
    match woken {
        Wake::Reindeer {
            team,
            elves_waiting,
        } => serve(team, |ids| santa.deliver_toys(ids, elves_waiting)),
        Wake::Elves {
            group,
            reindeer_waiting,
        } => serve(group, |ids| santa.consult(ids, reindeer_waiting)),
    }
}

/// `santa` handles the members' ids; then every member is answered from the
/// wakeup it returns.
fn serve<const N: usize>(members: [Member; N], santa: impl FnOnce([usize; N]) -> u64) {
    let wake = santa(members.each_ref().map(|m| m.0));
    release(members, wake);
}

/// How the deterministic tests' workers call the North Pole: [`OnThreads`]
/// blocked in its calls, or [`OnTasks`] awaiting them.
trait Callers: Sync {
    /// How the story's actors wait, for these callers.
    type W: Waits;
    type Handle: Send;
    /// Starts `who`'s call of `pole`.
    fn spawn<P: Pole>(&self, pole: P, who: Who) -> Self::Handle;
    fn is_finished(&self, call: &Self::Handle) -> bool;
    /// The call's worker and what it returned.
    fn join(&self, call: Self::Handle) -> (Who, Release);
    /// Runs Santa's side (his calls block inside `poll` with [`OnThreads`]).
    fn block_on<T>(&self, f: impl Future<Output = T>) -> T;
}

/// A thread per worker, blocked in `reindeer_back` or `elf_asks`.
struct OnThreads;

impl Callers for OnThreads {
    type W = story::Threads;
    type Handle = JoinHandle<(Who, Release)>;

    fn spawn<P: Pole>(&self, pole: P, who: Who) -> Self::Handle {
        thread::spawn(move || {
            (
                who,
                futures::executor::block_on(pole.arrive::<Self::W>(who)),
            )
        })
    }

    fn is_finished(&self, call: &Self::Handle) -> bool {
        call.is_finished()
    }

    fn join(&self, call: Self::Handle) -> (Who, Release) {
        call.join().unwrap()
    }

    fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        futures::executor::block_on(f)
    }
}

/// A tokio task per worker, awaiting `reindeer_back_async` or
/// `elf_asks_async`; Santa awaits `sleep_async`.
struct OnTasks(tokio::runtime::Runtime);

impl Callers for OnTasks {
    type W = story::Tasks;
    type Handle = tokio::task::JoinHandle<(Who, Release)>;

    fn spawn<P: Pole>(&self, pole: P, who: Who) -> Self::Handle {
        self.0
            .spawn(async move { (who, pole.arrive::<Self::W>(who).await) })
    }

    fn is_finished(&self, call: &Self::Handle) -> bool {
        call.is_finished()
    }

    fn join(&self, call: Self::Handle) -> (Who, Release) {
        self.0.block_on(call).unwrap()
    }

    fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.0.block_on(f)
    }
}

/// Starts workers that call in the given order, each once its predecessor is queued.
fn queue<C: Callers, P: Pole>(c: &C, pole: &P, workers: &[Who]) -> Vec<C::Handle> {
    workers
        .iter()
        .map(|&who| {
            let (before_r, before_e) = pole.waiting();
            let handle = c.spawn(pole.clone(), who);
            wait_until("the worker is queued", || match who {
                Who::Reindeer(_) => pole.waiting().0 == before_r + 1,
                Who::Elf(_) => pole.waiting().1 == before_e + 1,
            });
            handle
        })
        .collect()
}

fn reindeer(ids: impl IntoIterator<Item = usize>) -> Vec<Who> {
    ids.into_iter().map(Who::Reindeer).collect()
}

fn elves(ids: impl IntoIterator<Item = usize>) -> Vec<Who> {
    ids.into_iter().map(Who::Elf).collect()
}

/// Answers every member, from wakeup `wake`.
fn release(members: impl IntoIterator<Item = Member>, wake: u64) {
    for (_, reply) in members {
        reply.send(Release::Served(wake));
    }
}

/// Waits for every call; each must have returned `expected`.
fn finish<C: Callers>(c: &C, calls: Vec<C::Handle>, expected: Release) {
    for (who, got) in calls.into_iter().map(|h| c.join(h)) {
        assert_eq!(got, expected, "{who}");
    }
}

fn woken(kind: Kind, ids: &[usize], others_waiting: usize) -> Vec<Woken> {
    vec![Woken {
        kind,
        ids: ids.to_vec(),
        others_waiting,
    }]
}

fn reindeer_come_first_when_a_full_team_and_a_full_group_both_wait<P: Subject>(c: &impl Callers) {
    let pole = P::default();
    // The elves ask first; the reindeer are back later.
    let elf_calls = queue(c, &pole, &elves([4, 1, 7]));
    let team = [8, 2, 0, 5, 1, 3, 7, 6, 4];
    let team_calls = queue(c, &pole, &reindeer(team));
    assert_eq!(pole.waiting(), (9, 3));

    let santa = pole.sleep(c, Recording::new(1));
    assert_eq!(
        santa.seen,
        woken(Kind::Delivery, &team, 3),
        "the whole team first, oldest first"
    );
    finish(c, team_calls, Release::Served(1));

    let santa = pole.sleep(c, Recording::new(2));
    assert_eq!(santa.seen, woken(Kind::Consultation, &[4, 1, 7], 0));
    finish(c, elf_calls, Release::Served(2));
    assert!(pole.try_sleep(Recording::new(3)).is_err());
}

fn elves_are_served_while_the_team_is_incomplete_and_santa_needs_a_full_one<P: Subject>(
    c: &impl Callers,
) {
    let pole = P::default();
    let team_calls = queue(c, &pole, &reindeer(0..8));
    let elf_calls = queue(c, &pole, &elves([9, 3]));
    // Eight reindeer and two elves wake nobody.
    assert!(pole.try_sleep(Recording::new(1)).is_err());
    let third = queue(c, &pole, &elves([5]));
    let santa = pole
        .try_sleep(Recording::new(1))
        .unwrap_or_else(|_| panic!("three elves and eight reindeer: Santa must see the elves"));
    assert_eq!(santa.seen, woken(Kind::Consultation, &[9, 3, 5], 8));
    finish(c, elf_calls, Release::Served(1));
    finish(c, third, Release::Served(1));

    let last = queue(c, &pole, &reindeer([8]));
    let santa = pole
        .try_sleep(Recording::new(2))
        .unwrap_or_else(|_| panic!("the ninth reindeer completes the team"));
    let all: Vec<usize> = (0..9).collect();
    assert_eq!(santa.seen, woken(Kind::Delivery, &all, 0));
    finish(c, team_calls, Release::Served(2));
    finish(c, last, Release::Served(2));
}

/// Santa works with his group on a thread of his own, until the test lets
/// him finish: meanwhile no member has returned.
fn no_worker_returns_while_santa_works_with_its_group<P: Subject>(c: &impl Callers) {
    let pole = P::default();
    let calls = queue(c, &pole, &elves([0, 1, 2]));
    let (working, at_work) = mpsc::channel();
    let (done, finish_work) = mpsc::channel::<()>();
    let mut santa = Recording::new(1);
    santa.during = Box::new(move || {
        working.send(()).unwrap();
        finish_work.recv().unwrap();
    });
    thread::scope(|scope| {
        let santa = scope.spawn(|| pole.sleep(c, santa));
        at_work.recv().unwrap();
        thread::sleep(Duration::from_millis(20));
        assert!(
            calls.iter().all(|h| !c.is_finished(h)),
            "an elf returned while Santa was still with its group"
        );
        done.send(()).unwrap();
        assert_eq!(santa.join().unwrap().seen.len(), 1);
    });
    finish(c, calls, Release::Served(1));
}

fn closing_sends_every_waiting_and_later_worker_home<P: Subject>(c: &impl Callers) {
    let pole = P::default();
    let waiting = queue(c, &pole, &[reindeer(0..5), elves([2, 6])].concat());
    pole.close();
    finish(c, waiting, Release::Closed);
    let later = [Who::Reindeer(8), Who::Elf(9)].map(|who| c.spawn(pole.clone(), who));
    finish(c, later.into(), Release::Closed);
    assert_eq!(pole.waiting(), (0, 0));
    assert!(pole.try_sleep(Recording::new(1)).is_err());
}

/// The runtime API's own: the chord hands Santa each member's reply, and a
/// member returns when its reply is sent, not before (the `#[chords]` body
/// answers its members all at once, when it returns).
fn a_worker_stays_blocked_until_its_reply<C: Callers>(c: &C) {
    let pole = NorthPole::new();
    let calls = queue(c, &pole, &elves([0, 1, 2]));
    let woken = c.block_on(async {
        if C::W::AWAITS {
            pole.sleep_async().await
        } else {
            pole.sleep()
        }
    });
    let Wake::Elves { group, .. } = woken else {
        panic!("only elves wait");
    };
    let [first, second, third] = group;
    release([first, second], 1);
    thread::sleep(Duration::from_millis(20));
    assert!(!c.is_finished(&calls[2]), "elf 3 returned before its reply");
    release([third], 1);
    finish(c, calls, Release::Served(1));
}

#[test]
fn a_worker_stays_blocked_until_its_reply_on_threads() {
    within("a worker and its reply", || {
        a_worker_stays_blocked_until_its_reply(&OnThreads)
    });
}

#[test]
fn a_worker_stays_blocked_until_its_reply_on_tasks() {
    within("a worker and its reply", || {
        a_worker_stays_blocked_until_its_reply(&OnTasks(runtime(2)))
    });
}

/// Every test above, for one North Pole `$pole` (a [`Subject`] whose story
/// type is `$story`): `$version::name`, and the deterministic ones as
/// `$version::name::threads` and `$version::name::tasks`.
macro_rules! both_versions {
    ($($version:ident: $story:ty, $pole:ty;)*) => {$(
        mod $version {
            use std::sync::{Mutex, OnceLock};

            use super::*;

            fn zero_delay_run() -> &'static Report {
                static RUN: OnceLock<Report> = OnceLock::new();
                RUN.get_or_init(super::zero_delay_run::<$story>)
            }

            #[test]
            fn every_team_is_nine_distinct_reindeer_and_every_group_three_distinct_elves() {
                check_teams_and_groups(zero_delay_run(), ELVES);
            }

            #[test]
            fn no_worker_is_released_before_santa_has_finished_with_its_group() {
                check_release_after_finish(zero_delay_run());
            }

            #[test]
            fn many_thousand_wakeups_without_deadlock_and_counts_conserved() {
                super::many_thousand_wakeups_without_deadlock_and_counts_conserved(
                    zero_delay_run(),
                );
            }

            #[test]
            fn tiny_delays_keep_every_invariant() {
                super::tiny_delays_keep_every_invariant::<$story>();
            }

            #[test]
            fn tasks_keep_every_invariant_with_hundreds_of_elves() {
                super::tasks_keep_every_invariant_with_hundreds_of_elves(
                    &tasks_run::<$story>(),
                );
            }

            #[test]
            fn the_tasks_story_runs_on_one_thread() {
                super::the_tasks_story_runs_on_one_thread::<$story>();
            }

            #[test]
            fn the_observer_sees_every_record_in_order() {
                static SEEN: Mutex<Vec<usize>> = Mutex::new(Vec::new());
                fn observe(record: &Record) {
                    SEEN.lock().unwrap().push(record.seq);
                }
                super::the_observer_sees_every_record_in_order::<$story>(&observe, &SEEN);
            }

            deterministic!(
                $pole;
                reindeer_come_first_when_a_full_team_and_a_full_group_both_wait,
                elves_are_served_while_the_team_is_incomplete_and_santa_needs_a_full_one,
                no_worker_returns_while_santa_works_with_its_group,
                closing_sends_every_waiting_and_later_worker_home,
            );
        }
    )*};
}

/// Each deterministic test, on `$pole`, with [`OnThreads`] and with [`OnTasks`].
macro_rules! deterministic {
    ($pole:ty; $($name:ident),* $(,)?) => {$(
        mod $name {
            use super::super::{$name, runtime, within, OnTasks, OnThreads};
            use super::*;

            #[test]
            fn threads() {
                within(stringify!($name), || $name::<$pole>(&OnThreads));
            }

            #[test]
            fn tasks() {
                within(stringify!($name), || $name::<$pole>(&OnTasks(runtime(2))));
            }
        }
    )*};
}

both_versions!(
    chords_macro: Workshop<workshop::StorySanta>, Workshop<Recording>;
    runtime_api: NorthPole, NorthPole;
);

#[test]
fn the_random_delays_are_seeded_and_bounded() {
    let max = Duration::from_millis(50);
    let draw = |seed, stream| {
        let mut rng = story::Rng::new(seed, stream);
        (0..100).map(|_| rng.below(max)).collect::<Vec<_>>()
    };
    assert_eq!(draw(1, 2), draw(1, 2));
    assert_ne!(draw(1, 2), draw(1, 3));
    assert_ne!(draw(1, 2), draw(2, 2));
    assert!(draw(5, 5).iter().all(|d| *d < max));
    assert_eq!(story::Rng::new(1, 1).below(Duration::ZERO), Duration::ZERO);
}
