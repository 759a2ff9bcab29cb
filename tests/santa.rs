//! Trono's Santa Claus problem (`examples/santa`): its invariants, driven with
//! zero (and tiny) delays, and its priority set up deterministically; with
//! threads blocked in the join's calls, and with tokio tasks awaiting them.

#[allow(dead_code)]
#[path = "../examples/santa/north_pole.rs"]
mod north_pole;

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use north_pole::{
    Config, Event, Kind, NorthPole, Record, Release, Report, Wake, Who, ELVES, GROUP, REINDEER,
};

mod common;
use common::{wait_until, within};

/// Many thousand wakeups with zero delays: the run most tests check.
const ROUNDS: usize = 3000;

/// The tasks' run: fewer Christmases, many more elves.
const TASK_ROUNDS: usize = 40;
const TASK_ELVES: usize = 300;

fn zero_delay_run() -> &'static Report {
    static RUN: OnceLock<Report> = OnceLock::new();
    RUN.get_or_init(|| {
        within("a zero-delay run", || {
            north_pole::run(&Config::instant(ROUNDS, 7), &|_| {})
        })
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

/// The story with tokio tasks on a multi-thread runtime, no delays.
fn tasks_run() -> &'static Report {
    static RUN: OnceLock<Report> = OnceLock::new();
    RUN.get_or_init(|| {
        let config = Config {
            elves: TASK_ELVES,
            ..Config::instant(TASK_ROUNDS, 9)
        };
        within("a run of tasks", move || {
            tasks(4).block_on(north_pole::run_tasks(&config, &|_| {}))
        })
    })
}

/// The story's tasks on a current-thread runtime: one thread runs Santa and
/// every worker, so no call may block it (a worker whose call completes
/// Santa's chord waits for Santa's answer as a queued call does).
#[test]
fn the_tasks_story_runs_on_one_thread() {
    let config = Config {
        elves: 30,
        ..Config::instant(TASK_ROUNDS, 9)
    };
    let report = within("a run of tasks on one thread", move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
            .block_on(north_pole::run_tasks(&config, &|_| {}))
    });
    check_teams_and_groups(&report, 30);
}

/// A multi-thread tokio runtime with `threads` workers and a timer.
fn tasks(threads: usize) -> tokio::runtime::Runtime {
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
    let report = zero_delay_run();
    check_conservation(report, ROUNDS, ELVES);
    let s = &report.summary;
    assert!(s.deliveries + s.consultations >= ROUNDS);
    assert_eq!(wakes(report).len(), s.deliveries + s.consultations);
}

#[test]
fn tiny_delays_keep_every_invariant() {
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
        north_pole::run(&config, &|_| {})
    });
    check_teams_and_groups(&report, ELVES);
    check_release_after_finish(&report);
    check_conservation(&report, 12, ELVES);
}

/// The tasks' run keeps the threads' invariants. (Its priority, reindeer
/// first, is set up deterministically below, with tasks as with threads: in a
/// run, how many elves wait at a delivery depends on the scheduler.)
#[test]
fn tasks_keep_every_invariant_with_hundreds_of_elves() {
    let report = tasks_run();
    check_teams_and_groups(report, TASK_ELVES);
    check_release_after_finish(report);
    check_conservation(report, TASK_ROUNDS, TASK_ELVES);
    let s = &report.summary;
    assert!(s.consultations > 0);
    assert_eq!(wakes(report).len(), s.deliveries + s.consultations);
}

#[test]
fn the_observer_sees_every_record_in_order() {
    let seen = std::sync::Mutex::new(Vec::new());
    let report = north_pole::run(&Config::instant(3, 1), &|r| {
        seen.lock().unwrap().push(r.seq)
    });
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen, (0..report.records.len()).collect::<Vec<_>>());
    assert_eq!(report.summary.deliveries, 3);
}

/// How the deterministic tests' workers call the join: [`Threads`] blocked in
/// its calls, or [`Tasks`] awaiting them. Santa sleeps on the test's thread.
trait Callers {
    type Handle;
    /// Starts `who`'s call of `pole`.
    fn spawn(&self, pole: NorthPole, who: Who) -> Self::Handle;
    fn is_finished(&self, call: &Self::Handle) -> bool;
    /// The call's worker and what it returned.
    fn join(&self, call: Self::Handle) -> (Who, Release);
    /// Santa's sleep.
    fn sleep(&self, pole: &NorthPole) -> Wake;
}

/// A thread per worker, blocked in `reindeer_back` or `elf_asks`.
struct Threads;

impl Callers for Threads {
    type Handle = JoinHandle<(Who, Release)>;

    fn spawn(&self, pole: NorthPole, who: Who) -> Self::Handle {
        thread::spawn(move || match who {
            Who::Reindeer(id) => (who, pole.reindeer_back(id)),
            Who::Elf(id) => (who, pole.elf_asks(id)),
        })
    }

    fn is_finished(&self, call: &Self::Handle) -> bool {
        call.is_finished()
    }

    fn join(&self, call: Self::Handle) -> (Who, Release) {
        call.join().unwrap()
    }

    fn sleep(&self, pole: &NorthPole) -> Wake {
        pole.sleep()
    }
}

/// A tokio task per worker, awaiting `reindeer_back_async` or
/// `elf_asks_async`; Santa awaits `sleep_async`.
struct Tasks(tokio::runtime::Runtime);

impl Callers for Tasks {
    type Handle = tokio::task::JoinHandle<(Who, Release)>;

    fn spawn(&self, pole: NorthPole, who: Who) -> Self::Handle {
        self.0.spawn(async move {
            match who {
                Who::Reindeer(id) => (who, pole.reindeer_back_async(id).await),
                Who::Elf(id) => (who, pole.elf_asks_async(id).await),
            }
        })
    }

    fn is_finished(&self, call: &Self::Handle) -> bool {
        call.is_finished()
    }

    fn join(&self, call: Self::Handle) -> (Who, Release) {
        self.0.block_on(call).unwrap()
    }

    fn sleep(&self, pole: &NorthPole) -> Wake {
        self.0.block_on(pole.sleep_async())
    }
}

/// Starts workers that call in the given order, each once its predecessor is queued.
fn queue<C: Callers>(c: &C, pole: &NorthPole, workers: &[Who]) -> Vec<C::Handle> {
    workers
        .iter()
        .map(|&who| {
            let (before_r, before_e) = (pole.reindeer_waiting(), pole.elves_waiting());
            let handle = c.spawn(pole.clone(), who);
            wait_until("the worker is queued", || match who {
                Who::Reindeer(_) => pole.reindeer_waiting() == before_r + 1,
                Who::Elf(_) => pole.elves_waiting() == before_e + 1,
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

fn release(members: impl IntoIterator<Item = north_pole::Member>, wake: u64) -> Vec<usize> {
    members
        .into_iter()
        .map(|(id, reply)| {
            reply.send(Release::Served(wake));
            id
        })
        .collect()
}

fn finish<C: Callers>(c: &C, calls: Vec<C::Handle>) -> Vec<(Who, Release)> {
    calls.into_iter().map(|h| c.join(h)).collect()
}

/// Each deterministic test below, run with [`Threads`] and with [`Tasks`]:
/// `name::threads` and `name::tasks`.
macro_rules! threads_and_tasks {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn threads() {
                super::within(stringify!($name), || super::$name(&super::Threads));
            }

            #[test]
            fn tasks() {
                super::within(stringify!($name), || {
                    super::$name(&super::Tasks(super::tasks(2)))
                });
            }
        }
    )*};
}

threads_and_tasks!(
    reindeer_come_first_when_a_full_team_and_a_full_group_both_wait,
    elves_are_served_while_the_team_is_incomplete_and_santa_needs_a_full_one,
    a_worker_stays_blocked_until_santa_answers_it,
    closing_sends_every_waiting_and_later_worker_home,
);

fn reindeer_come_first_when_a_full_team_and_a_full_group_both_wait(c: &impl Callers) {
    let pole = NorthPole::new();
    // The elves ask first; the reindeer are back later.
    let elf_calls = queue(c, &pole, &elves([4, 1, 7]));
    let team_calls = queue(c, &pole, &reindeer([8, 2, 0, 5, 1, 3, 7, 6, 4]));
    assert_eq!((pole.reindeer_waiting(), pole.elves_waiting()), (9, 3));

    let Wake::Reindeer {
        team,
        elves_waiting,
    } = c.sleep(&pole)
    else {
        panic!("Santa woke for the elves while the whole team waited");
    };
    assert_eq!(elves_waiting, 3);
    assert_eq!(
        release(team, 1),
        [8, 2, 0, 5, 1, 3, 7, 6, 4],
        "oldest first"
    );
    for (who, got) in finish(c, team_calls) {
        assert_eq!(got, Release::Served(1), "{who}");
    }

    let Wake::Elves {
        group,
        reindeer_waiting,
    } = c.sleep(&pole)
    else {
        panic!("the elves were still waiting");
    };
    assert_eq!(reindeer_waiting, 0);
    assert_eq!(release(group, 2), [4, 1, 7], "oldest first");
    for (who, got) in finish(c, elf_calls) {
        assert_eq!(got, Release::Served(2), "{who}");
    }
    assert!(pole.try_sleep().is_none());
}

fn elves_are_served_while_the_team_is_incomplete_and_santa_needs_a_full_one(c: &impl Callers) {
    let pole = NorthPole::new();
    let team_calls = queue(c, &pole, &reindeer(0..8));
    let elf_calls = queue(c, &pole, &elves([9, 3]));
    // Eight reindeer and two elves wake nobody.
    assert!(pole.try_sleep().is_none());
    let third = queue(c, &pole, &elves([5]));
    let Some(Wake::Elves {
        group,
        reindeer_waiting,
    }) = pole.try_sleep()
    else {
        panic!("three elves and eight reindeer: Santa must see the elves");
    };
    assert_eq!(reindeer_waiting, 8);
    assert_eq!(release(group, 1), [9, 3, 5]);
    finish(c, elf_calls);
    finish(c, third);

    let last = queue(c, &pole, &reindeer([8]));
    let Some(Wake::Reindeer { team, .. }) = pole.try_sleep() else {
        panic!("the ninth reindeer completes the team");
    };
    assert_eq!(release(team, 2), (0..9).collect::<Vec<_>>());
    finish(c, team_calls);
    finish(c, last);
}

fn a_worker_stays_blocked_until_santa_answers_it(c: &impl Callers) {
    let pole = NorthPole::new();
    let calls = queue(c, &pole, &elves([0, 1, 2]));
    let Wake::Elves { group, .. } = c.sleep(&pole) else {
        panic!("only elves wait");
    };
    let [first, second, third] = group;
    // Santa is still with the group: nobody has returned.
    thread::sleep(Duration::from_millis(20));
    assert!(calls.iter().all(|h| !c.is_finished(h)));
    first.1.send(Release::Served(1));
    second.1.send(Release::Served(1));
    thread::sleep(Duration::from_millis(20));
    assert!(!c.is_finished(&calls[2]), "elf 3 returned before its reply");
    third.1.send(Release::Served(1));
    for (who, got) in finish(c, calls) {
        assert_eq!(got, Release::Served(1), "{who}");
    }
}

fn closing_sends_every_waiting_and_later_worker_home(c: &impl Callers) {
    let pole = NorthPole::new();
    let waiting = queue(c, &pole, &[reindeer(0..5), elves([2, 6])].concat());
    pole.close();
    for (who, got) in finish(c, waiting) {
        assert_eq!(got, Release::Closed, "{who}");
    }
    let later = [Who::Reindeer(8), Who::Elf(9)].map(|who| c.spawn(pole.clone(), who));
    for (who, got) in finish(c, later.into()) {
        assert_eq!(got, Release::Closed, "{who}");
    }
    assert_eq!((pole.reindeer_waiting(), pole.elves_waiting()), (0, 0));
    assert!(pole.try_sleep().is_none());
}

#[test]
fn the_random_delays_are_seeded_and_bounded() {
    let max = Duration::from_millis(50);
    let draw = |seed, stream| {
        let mut rng = north_pole::Rng::new(seed, stream);
        (0..100).map(|_| rng.below(max)).collect::<Vec<_>>()
    };
    assert_eq!(draw(1, 2), draw(1, 2));
    assert_ne!(draw(1, 2), draw(1, 3));
    assert_ne!(draw(1, 2), draw(2, 2));
    assert!(draw(5, 5).iter().all(|d| *d < max));
    assert_eq!(
        north_pole::Rng::new(1, 1).below(Duration::ZERO),
        Duration::ZERO
    );
}
