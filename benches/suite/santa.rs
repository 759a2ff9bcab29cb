//! Santa Claus (the README's *Performance*): 9 reindeer, 10 elves, no delays
//! anywhere; Santa wakes W times, for a team of nine reindeer (first) or a
//! group of three elves, handles it with no work and releases it. Reported:
//! wakeups per second, and helper rounds per second (9 per delivery, 3 per
//! consultation).
//!
//! chords is measured on the join of `examples/santa` itself
//! (`north_pole.rs`, through its methods); its peer is a hand-written North
//! Pole on one `parking_lot` mutex and three condition variables.

use std::collections::VecDeque;
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

use super::north_pole::{Kind, Member, NorthPole, Release, Wake, ELVES, GROUP, REINDEER};
use super::output::si;
use super::{allocations, Options, Outcome, Row};

/// A North Pole: the workers' calls return false once it has closed.
trait Pole: Sync {
    /// Reindeer `id` is back; waits until Santa has released its team.
    fn reindeer(&self, id: usize) -> bool;
    /// Elf `id` asks; waits until Santa has released its group.
    fn elf(&self, id: usize) -> bool;
    /// Santa sleeps until a team (first) or a group waits, checks it, and
    /// releases it: his wakeup number `wake`.
    fn santa(&self, wake: u64) -> Kind;
    /// Sends every worker home.
    fn send_home(&self);
}

/// Asserts that `ids` are `n` different workers below `limit`.
fn check_team(ids: impl Iterator<Item = usize>, n: usize, limit: usize) {
    let mask = ids.fold(0u32, |mask, id| {
        assert!(
            id < limit && mask & (1 << id) == 0,
            "a worker twice, or unknown"
        );
        mask | 1 << id
    });
    assert_eq!(
        mask.count_ones() as usize,
        n,
        "a team or group of the wrong size"
    );
}

/// The join of `examples/santa` itself: Santa's `sleep` with nine reindeer
/// (declared first) or three elves, the chord handing him their replies, and
/// `closed` sending the workers home. Santa's side is the example's, without
/// its delays and its log.
impl Pole for NorthPole {
    fn reindeer(&self, id: usize) -> bool {
        self.reindeer_back(id) != Release::Closed
    }

    fn elf(&self, id: usize) -> bool {
        self.elf_asks(id) != Release::Closed
    }

    fn santa(&self, wake: u64) -> Kind {
        match self.sleep() {
            Wake::Reindeer { team, .. } => {
                serve(team, REINDEER, wake);
                Kind::Delivery
            }
            Wake::Elves { group, .. } => {
                serve(group, ELVES, wake);
                Kind::Consultation
            }
        }
    }

    fn send_home(&self) {
        self.close();
    }
}

/// Checks a team or group of `N` workers with ids below `limit`, and releases
/// it from wakeup `wake`.
fn serve<const N: usize>(members: [Member; N], limit: usize, wake: u64) {
    check_team(members.iter().map(|m| m.0), N, limit);
    for (_, reply) in members {
        reply.send(Release::Served(wake));
    }
}

/// The hand-written North Pole: one mutex, a condition variable each for
/// Santa, the reindeer and the elves.
#[derive(Default)]
struct CondvarPole {
    state: parking_lot::Mutex<PoleState>,
    santa: parking_lot::Condvar,
    reindeer: parking_lot::Condvar,
    elves: parking_lot::Condvar,
}

#[derive(Default)]
struct PoleState {
    /// Reindeer back, waiting for the current delivery.
    back: Vec<usize>,
    /// Deliveries made: a reindeer waits until this moves.
    deliveries: u64,
    /// Elves waiting, oldest first, with their tickets.
    asking: VecDeque<usize>,
    /// Tickets handed out, and tickets served (elves go in ticket order).
    tickets: u64,
    served: u64,
    closed: bool,
}

impl Pole for CondvarPole {
    fn reindeer(&self, id: usize) -> bool {
        let mut s = self.state.lock();
        if s.closed {
            return false;
        }
        s.back.push(id);
        if s.back.len() == REINDEER {
            self.santa.notify_one();
        }
        let delivery = s.deliveries;
        while s.deliveries == delivery && !s.closed {
            self.reindeer.wait(&mut s);
        }
        !s.closed
    }

    fn elf(&self, id: usize) -> bool {
        let mut s = self.state.lock();
        if s.closed {
            return false;
        }
        let ticket = s.tickets;
        s.tickets += 1;
        s.asking.push_back(id);
        if s.asking.len() >= GROUP {
            self.santa.notify_one();
        }
        while s.served <= ticket && !s.closed {
            self.elves.wait(&mut s);
        }
        !s.closed
    }

    fn santa(&self, _wake: u64) -> Kind {
        let mut s = self.state.lock();
        loop {
            if s.back.len() == REINDEER {
                check_team(s.back.drain(..), REINDEER, REINDEER);
                s.deliveries += 1;
                self.reindeer.notify_all();
                return Kind::Delivery;
            }
            if s.asking.len() >= GROUP {
                check_team(s.asking.drain(..GROUP), GROUP, ELVES);
                s.served += GROUP as u64;
                self.elves.notify_all();
                return Kind::Consultation;
            }
            self.santa.wait(&mut s);
        }
    }

    fn send_home(&self) {
        self.state.lock().closed = true;
        self.reindeer.notify_all();
        self.elves.notify_all();
    }
}

/// One Santa run: `wakeups` wakeups, of which `deliveries` with the reindeer.
struct SantaRun {
    outcome: Outcome,
    deliveries: u64,
}

impl SantaRun {
    fn rounds(&self) -> u64 {
        let consultations = self.outcome.ops - self.deliveries;
        REINDEER as u64 * self.deliveries + GROUP as u64 * consultations
    }
}

/// Runs the workers on their own threads and Santa on this one, for
/// `wakeups` wakeups; timed from the common start to Santa's last release.
fn santa_once(pole: &impl Pole, wakeups: u64) -> SantaRun {
    let start = Barrier::new(REINDEER + ELVES + 1);
    thread::scope(|scope| {
        for id in 0..REINDEER + ELVES {
            let start = &start;
            scope.spawn(move || {
                start.wait();
                if id < REINDEER {
                    while pole.reindeer(id) {}
                } else {
                    while pole.elf(id - REINDEER) {}
                }
            });
        }
        start.wait();
        let allocs = allocations();
        let begin = Instant::now();
        let deliveries = (1..=wakeups)
            .filter(|&wake| pole.santa(wake) == Kind::Delivery)
            .count() as u64;
        let outcome = Outcome {
            ops: wakeups,
            elapsed: begin.elapsed(),
            allocs: allocations() - allocs,
        };
        pole.send_home();
        SantaRun {
            outcome,
            deliveries,
        }
    })
}

pub fn santa(opts: &Options, rows: &mut Vec<Row>) {
    let w = opts.wakeups;
    measure(opts, rows, "chords", || santa_once(&NorthPole::new(), w));
    let imp = "parking_lot Mutex+Condvar";
    measure(opts, rows, imp, || santa_once(&CondvarPole::default(), w));
}

/// The median of `opts.runs` runs, as a `santa` row (wakeups) and a
/// `santa_rounds` row (helper rounds).
fn measure(opts: &Options, rows: &mut Vec<Row>, imp: &'static str, once: impl Fn() -> SantaRun) {
    let mut runs: Vec<SantaRun> = (0..opts.runs).map(|_| once()).collect();
    runs.sort_by(|a, b| a.outcome.rate().total_cmp(&b.outcome.rate()));
    let m = &runs[runs.len() / 2];
    let secs = m.outcome.elapsed.as_secs_f64();
    let (wakeups_per_sec, rounds_per_sec) = (m.outcome.rate(), m.rounds() as f64 / secs);
    println!(
        "santa, {imp}: {} deliveries and {} consultations in {secs:.3} s: \
         {} wakeups/s, {} helper rounds/s",
        m.deliveries,
        m.outcome.ops - m.deliveries,
        si(wakeups_per_sec),
        si(rounds_per_sec),
    );
    let allocs = runs.iter().map(|r| r.outcome.allocs).sum::<u64>() as f64;
    let wakeups = runs.iter().map(|r| r.outcome.ops).sum::<u64>() as f64;
    let rounds = runs.iter().map(SantaRun::rounds).sum::<u64>() as f64;
    for (bench, ops_per_sec, allocs_per_op) in [
        ("santa", wakeups_per_sec, allocs / wakeups),
        ("santa_rounds", rounds_per_sec, allocs / rounds),
    ] {
        rows.push(Row {
            bench,
            threads: 1 + REINDEER + ELVES,
            imp,
            ops_per_sec,
            allocs_per_op,
        });
    }
}
