//! Santa Claus (the README's *Performance*): 9 reindeer, 10 elves, no delays
//! anywhere; Santa wakes W times, for a team of nine reindeer (first) or a
//! group of three elves, handles it with no work and releases it. Reported:
//! wakeups per second, and helper rounds per second (9 per delivery, 3 per
//! consultation).
//!
//! chords is measured on the join of `examples/santa` itself
//! (`north_pole.rs`, through its methods); its peer is a hand-written North
//! Pole on one `parking_lot` mutex and three condition variables.
//!
//! `santa_async` is the same workload with the reindeer and elves as tokio
//! tasks on a multi-thread runtime (worker threads: each thread count of the
//! suite) and Santa awaiting on the thread that drives the runtime: chords
//! through the same join's awaited calls (`sleep_async`, `reindeer_back_async`,
//! `elf_asks_async`), its peer the hand-written North Pole with
//! `tokio::sync::Notify` in place of the condition variables.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use tokio::runtime::Runtime;
use tokio::sync::Notify;

use super::north_pole::{Kind, Member, NorthPole, Release, Wake, ELVES, GROUP, REINDEER};
use super::output::si;
use super::tasks::runtime;
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

/// [`Pole`] for tasks: the same calls, awaited.
trait AsyncPole: Send + Sync + 'static {
    fn reindeer(&self, id: usize) -> impl Future<Output = bool> + Send + '_;
    fn elf(&self, id: usize) -> impl Future<Output = bool> + Send + '_;
    fn santa(&self, wake: u64) -> impl Future<Output = Kind> + Send + '_;
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
        handle(self.sleep(), wake)
    }

    fn send_home(&self) {
        self.close();
    }
}

/// The same join, through its awaited calls.
impl AsyncPole for NorthPole {
    async fn reindeer(&self, id: usize) -> bool {
        self.reindeer_back_async(id).await != Release::Closed
    }

    async fn elf(&self, id: usize) -> bool {
        self.elf_asks_async(id).await != Release::Closed
    }

    async fn santa(&self, wake: u64) -> Kind {
        handle(self.sleep_async().await, wake)
    }

    fn send_home(&self) {
        self.close();
    }
}

/// Santa's side of a wakeup: checks the team or group and releases it.
fn handle(woken: Wake, wake: u64) -> Kind {
    match woken {
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

impl PoleState {
    /// Reindeer `id` is back: the delivery it waits for, and whether it
    /// completes the team; `None` once closed.
    fn reindeer_back(&mut self, id: usize) -> Option<(u64, bool)> {
        if self.closed {
            return None;
        }
        self.back.push(id);
        Some((self.deliveries, self.back.len() == REINDEER))
    }

    /// Elf `id` asks: its ticket, and whether a group waits; `None` once closed.
    fn elf_asks(&mut self, id: usize) -> Option<(u64, bool)> {
        if self.closed {
            return None;
        }
        let ticket = self.tickets;
        self.tickets += 1;
        self.asking.push_back(id);
        Some((ticket, self.asking.len() >= GROUP))
    }

    /// Whether a reindeer waiting for `delivery` is released: true if served.
    fn reindeer_released(&self, delivery: u64) -> Option<bool> {
        (self.deliveries != delivery || self.closed).then_some(!self.closed)
    }

    /// Whether an elf with `ticket` is released: true if served.
    fn elf_released(&self, ticket: u64) -> Option<bool> {
        (self.served > ticket || self.closed).then_some(!self.closed)
    }

    /// Takes the team (first) or the oldest group, checked, if one waits.
    fn wake(&mut self) -> Option<Kind> {
        if self.back.len() == REINDEER {
            check_team(self.back.drain(..), REINDEER, REINDEER);
            self.deliveries += 1;
            Some(Kind::Delivery)
        } else if self.asking.len() >= GROUP {
            check_team(self.asking.drain(..GROUP), GROUP, ELVES);
            self.served += GROUP as u64;
            Some(Kind::Consultation)
        } else {
            None
        }
    }
}

/// Waits on `bell`, under the guard `s`, until `ready` gives a value.
fn wait<T>(
    s: &mut parking_lot::MutexGuard<'_, PoleState>,
    bell: &parking_lot::Condvar,
    mut ready: impl FnMut(&mut PoleState) -> Option<T>,
) -> T {
    loop {
        if let Some(value) = ready(s) {
            return value;
        }
        bell.wait(s);
    }
}

impl Pole for CondvarPole {
    fn reindeer(&self, id: usize) -> bool {
        let mut s = self.state.lock();
        let Some((delivery, full)) = s.reindeer_back(id) else {
            return false;
        };
        if full {
            self.santa.notify_one();
        }
        wait(&mut s, &self.reindeer, |s| s.reindeer_released(delivery))
    }

    fn elf(&self, id: usize) -> bool {
        let mut s = self.state.lock();
        let Some((ticket, group)) = s.elf_asks(id) else {
            return false;
        };
        if group {
            self.santa.notify_one();
        }
        wait(&mut s, &self.elves, |s| s.elf_released(ticket))
    }

    fn santa(&self, _wake: u64) -> Kind {
        let mut s = self.state.lock();
        let kind = wait(&mut s, &self.santa, PoleState::wake);
        match kind {
            Kind::Delivery => self.reindeer.notify_all(),
            Kind::Consultation => self.elves.notify_all(),
        };
        kind
    }

    fn send_home(&self) {
        self.state.lock().closed = true;
        self.reindeer.notify_all();
        self.elves.notify_all();
    }
}

/// The hand-written North Pole for tasks: the same state under a
/// `parking_lot` mutex (never held across an await), a `tokio::sync::Notify`
/// each for Santa, the reindeer and the elves.
#[derive(Default)]
struct NotifyPole {
    state: parking_lot::Mutex<PoleState>,
    santa: Notify,
    reindeer: Notify,
    elves: Notify,
}

impl NotifyPole {
    /// Awaits `bell` until `ready` gives a value. The notification is enabled
    /// before the state is read, so a `notify_waiters` after that read wakes it.
    async fn until<T>(
        &self,
        bell: &Notify,
        mut ready: impl FnMut(&mut PoleState) -> Option<T>,
    ) -> T {
        loop {
            let mut notified = pin!(bell.notified());
            notified.as_mut().enable();
            if let Some(value) = ready(&mut self.state.lock()) {
                return value;
            }
            notified.await;
        }
    }
}

impl AsyncPole for NotifyPole {
    async fn reindeer(&self, id: usize) -> bool {
        let Some((delivery, full)) = self.state.lock().reindeer_back(id) else {
            return false;
        };
        if full {
            self.santa.notify_one();
        }
        self.until(&self.reindeer, |s| s.reindeer_released(delivery))
            .await
    }

    async fn elf(&self, id: usize) -> bool {
        let Some((ticket, group)) = self.state.lock().elf_asks(id) else {
            return false;
        };
        if group {
            self.santa.notify_one();
        }
        self.until(&self.elves, |s| s.elf_released(ticket)).await
    }

    async fn santa(&self, _wake: u64) -> Kind {
        let kind = self.until(&self.santa, PoleState::wake).await;
        match kind {
            Kind::Delivery => self.reindeer.notify_waiters(),
            Kind::Consultation => self.elves.notify_waiters(),
        };
        kind
    }

    fn send_home(&self) {
        self.state.lock().closed = true;
        self.reindeer.notify_waiters();
        self.elves.notify_waiters();
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

/// [`santa_once`] for tasks: the workers as tasks on `runtime`, Santa in the
/// future it drives on this thread.
fn santa_tasks_once<P: AsyncPole>(runtime: &Runtime, pole: P, wakeups: u64) -> SantaRun {
    let pole = Arc::new(pole);
    let start = Arc::new(tokio::sync::Barrier::new(REINDEER + ELVES + 1));
    runtime.block_on(async {
        let workers: Vec<_> = (0..REINDEER + ELVES)
            .map(|id| {
                let (pole, start) = (Arc::clone(&pole), Arc::clone(&start));
                tokio::spawn(async move {
                    start.wait().await;
                    if id < REINDEER {
                        while pole.reindeer(id).await {}
                    } else {
                        while pole.elf(id - REINDEER).await {}
                    }
                })
            })
            .collect();
        start.wait().await;
        let allocs = allocations();
        let begin = Instant::now();
        let mut deliveries = 0;
        for wake in 1..=wakeups {
            deliveries += u64::from(pole.santa(wake).await == Kind::Delivery);
        }
        let outcome = Outcome {
            ops: wakeups,
            elapsed: begin.elapsed(),
            allocs: allocations() - allocs,
        };
        pole.send_home();
        for worker in workers {
            worker.await.expect("a worker task panicked");
        }
        SantaRun {
            outcome,
            deliveries,
        }
    })
}

pub fn santa(opts: &Options, rows: &mut Vec<Row>) {
    let w = opts.wakeups;
    let threads = 1 + REINDEER + ELVES;
    let names = ["santa", "santa_rounds"];
    let once = || santa_once(&NorthPole::new(), w);
    measure(opts, rows, names, threads, "chords", once);
    let imp = "parking_lot Mutex+Condvar";
    let once = || santa_once(&CondvarPole::default(), w);
    measure(opts, rows, names, threads, imp, once);
}

pub fn santa_async(opts: &Options, rows: &mut Vec<Row>) {
    let w = opts.wakeups;
    let names = ["santa_async", "santa_async_rounds"];
    for &threads in &opts.threads {
        let runtime = runtime(threads);
        let once = || santa_tasks_once(&runtime, NorthPole::new(), w);
        measure(opts, rows, names, threads, "chords", once);
        let imp = "tokio Notify";
        let once = || santa_tasks_once(&runtime, NotifyPole::default(), w);
        measure(opts, rows, names, threads, imp, once);
    }
}

/// The median of `opts.runs` runs, as a row of `names[0]` (wakeups) and one
/// of `names[1]` (helper rounds).
fn measure(
    opts: &Options,
    rows: &mut Vec<Row>,
    names: [&'static str; 2],
    threads: usize,
    imp: &'static str,
    once: impl Fn() -> SantaRun,
) {
    let mut runs: Vec<SantaRun> = (0..opts.runs).map(|_| once()).collect();
    runs.sort_by(|a, b| a.outcome.rate().total_cmp(&b.outcome.rate()));
    let m = &runs[runs.len() / 2];
    let secs = m.outcome.elapsed.as_secs_f64();
    let (wakeups_per_sec, rounds_per_sec) = (m.outcome.rate(), m.rounds() as f64 / secs);
    println!(
        "{}, {imp}, {threads} threads: {} deliveries and {} consultations in {secs:.3} s: \
         {} wakeups/s, {} helper rounds/s",
        names[0],
        m.deliveries,
        m.outcome.ops - m.deliveries,
        si(wakeups_per_sec),
        si(rounds_per_sec),
    );
    let allocs = runs.iter().map(|r| r.outcome.allocs).sum::<u64>() as f64;
    let wakeups = runs.iter().map(|r| r.outcome.ops).sum::<u64>() as f64;
    let rounds = runs.iter().map(SantaRun::rounds).sum::<u64>() as f64;
    for (bench, ops_per_sec, allocs_per_op) in [
        (names[0], wakeups_per_sec, allocs / wakeups),
        (names[1], rounds_per_sec, allocs / rounds),
    ] {
        rows.push(Row {
            bench,
            threads,
            imp,
            ops_per_sec,
            allocs_per_op,
        });
    }
}
