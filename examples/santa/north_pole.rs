//! The North Pole: Santa, nine reindeer and ten elves as one join (Trono's problem).
//!
//! Santa sleeps in a synchronous call, `sleep`, that fires only together with
//! nine reindeer calls or with three elf calls:
//!
//! ```text
//! sleep() & reindeer(id) * 9  =>  Wake::Reindeer   (declared first: reindeer win)
//! sleep() & elf(id) * 3       =>  Wake::Elves
//! ```
//!
//! Every reindeer and elf is itself a blocked synchronous call. The chord hands
//! Santa their [`Reply`]s, so a worker is released only when Santa answers it,
//! after he has finished with its whole team or group. Closing the North Pole
//! is one more pair of chords: `reindeer(id) & closed` and `elf(id) & closed`
//! send every worker that is (or will be) waiting home.
//!
//! The same join serves threads and async tasks: every call has an awaited
//! form (`sleep_async`, `reindeer_back_async`, `elf_asks_async`, each a
//! [`Join::call_async`]), waiting in the same queues under the same chords.
//!
//! This module is the example's logic and is shared with `tests/santa.rs`:
//! [`run`] plays the whole story under a [`Config`] (whose delays the tests
//! set to zero) with a thread per worker, [`run_tasks`] with a tokio task per
//! worker, and both return every [`Event`] with its sequence number. The story
//! is written once ([`Story`]); only how its actors wait differs ([`Waits`]).
//! The benchmark suite (`benches/suite/santa.rs`) measures the [`NorthPole`]
//! join itself, driving it through its methods.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use chords::{AsyncChannel, Join, Reply, SyncChannel};

#[path = "../../chords-check/src/rng.rs"]
mod rng;

/// Reindeer in Santa's team.
pub const REINDEER: usize = 9;
/// Elves at the North Pole, unless a [`Config`] says otherwise.
pub const ELVES: usize = 10;
/// Elves Santa sees at once.
pub const GROUP: usize = 3;

/// The reindeer, by id.
pub const REINDEER_NAMES: [&str; REINDEER] = [
    "Dasher", "Dancer", "Prancer", "Vixen", "Comet", "Cupid", "Donner", "Blitzen", "Rudolph",
];

/// What a worker's call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Santa has finished with the worker's team or group: wakeup number `k`.
    Served(u64),
    /// The North Pole has closed: the worker goes home.
    Closed,
}

/// A member of a team or group: its id and the reply that releases it.
pub type Member = (usize, Reply<Release>);

/// What wakes Santa, members oldest first.
pub enum Wake {
    /// All nine reindeer are back; `elves_waiting` elves were queued and not taken.
    Reindeer {
        team: [Member; REINDEER],
        elves_waiting: usize,
    },
    /// Three elves need help; `reindeer_waiting` reindeer were back and queued.
    Elves {
        group: [Member; GROUP],
        reindeer_waiting: usize,
    },
}

/// The join: Santa's, the reindeer's and the elves' channels and chords.
#[derive(Clone, Debug)]
pub struct NorthPole {
    join: Join,
    sleep: SyncChannel<(), Wake>,
    reindeer: SyncChannel<usize, Release>,
    elf: SyncChannel<usize, Release>,
    closed: AsyncChannel<()>,
}

impl Default for NorthPole {
    fn default() -> Self {
        Self::new()
    }
}

impl NorthPole {
    /// Builds the join.
    pub fn new() -> Self {
        let mut b = Join::builder();
        let sleep = b.synchronous::<(), Wake>("sleep");
        let reindeer = b.synchronous::<usize, Release>("reindeer");
        let elf = b.synchronous::<usize, Release>("elf");
        let closed = b.asynchronous::<()>("closed");
        // Declared first: when a full team and a full group both wait, the
        // reindeer are the ones Santa wakes up for.
        b.when(sleep)
            .and(reindeer.times::<REINDEER>())
            .named("harness_team")
            .then_with(move |join, (((), santa), team)| {
                let elves_waiting = join.waiting(elf);
                santa.send(Wake::Reindeer {
                    team,
                    elves_waiting,
                })
            });
        b.when(sleep)
            .and(elf.times::<GROUP>())
            .named("consult_group")
            .then_with(move |join, (((), santa), group)| {
                let reindeer_waiting = join.waiting(reindeer);
                santa.send(Wake::Elves {
                    group,
                    reindeer_waiting,
                })
            });
        // Once closed, every worker's call is answered at once, and the token
        // goes back for the next one.
        for (worker, name) in [(reindeer, "reindeer_home"), (elf, "elf_home")] {
            b.when(worker)
                .and(closed)
                .named(name)
                .then_with(move |join, ((_, reply), ())| {
                    join.send(closed, ());
                    reply.send(Release::Closed);
                });
        }
        let join = b.build().expect("valid chords");
        NorthPole {
            join,
            sleep,
            reindeer,
            elf,
            closed,
        }
    }

    /// Santa sleeps until a team or a group wakes him.
    pub fn sleep(&self) -> Wake {
        self.join.call(self.sleep, ())
    }

    /// Santa wakes only if a team or a group waits now.
    pub fn try_sleep(&self) -> Option<Wake> {
        self.join.try_call(self.sleep, ()).ok()
    }

    /// Reindeer `id` is back from holiday: blocks until Santa releases it.
    pub fn reindeer_back(&self, id: usize) -> Release {
        self.join.call(self.reindeer, id)
    }

    /// Elf `id` asks for help: blocks until Santa releases it.
    pub fn elf_asks(&self, id: usize) -> Release {
        self.join.call(self.elf, id)
    }

    /// [`sleep`](Self::sleep), awaited: the task waits, not its thread.
    pub fn sleep_async(&self) -> impl Future<Output = Wake> + Send + '_ {
        self.join.call_async(self.sleep, ())
    }

    /// [`reindeer_back`](Self::reindeer_back), awaited.
    pub fn reindeer_back_async(&self, id: usize) -> impl Future<Output = Release> + Send + '_ {
        self.join.call_async(self.reindeer, id)
    }

    /// [`elf_asks`](Self::elf_asks), awaited.
    pub fn elf_asks_async(&self, id: usize) -> impl Future<Output = Release> + Send + '_ {
        self.join.call_async(self.elf, id)
    }

    /// Closes the North Pole: every worker waiting now or calling later is
    /// sent home with [`Release::Closed`]. Call it once, when Santa no longer sleeps.
    pub fn close(&self) {
        self.join.send(self.closed, ());
    }

    /// Reindeer back and waiting, not yet taken by a chord.
    pub fn reindeer_waiting(&self) -> usize {
        self.join.waiting(self.reindeer)
    }

    /// Elves waiting for help, not yet taken by a chord.
    pub fn elves_waiting(&self) -> usize {
        self.join.waiting(self.elf)
    }

    /// The join itself (for its `Debug`).
    pub fn join(&self) -> &Join {
        &self.join
    }
}

/// How the story is played.
#[derive(Clone, Debug)]
pub struct Config {
    /// Deliveries (Christmases) before Santa retires and closes the North Pole.
    pub rounds: usize,
    /// Seed of every worker's random delays.
    pub seed: u64,
    /// Elves at the North Pole ([`ELVES`] unless set).
    pub elves: usize,
    /// A reindeer's holiday: uniform in `[0, holiday)`.
    pub holiday: Duration,
    /// An elf's work between two questions: uniform in `[0, elf_work)`.
    pub elf_work: Duration,
    /// Santa's time delivering toys with his team.
    pub delivery: Duration,
    /// Santa's time with a group of elves.
    pub consultation: Duration,
}

impl Config {
    /// The demo's pace, `speed` times faster (a few seconds per 3 rounds at 1).
    pub fn paced(rounds: usize, seed: u64, speed: f64) -> Config {
        let ms = |n: f64| Duration::from_secs_f64(n / 1000.0 / speed);
        Config {
            rounds,
            seed,
            elves: ELVES,
            holiday: ms(1200.0),
            elf_work: ms(600.0),
            delivery: ms(300.0),
            consultation: ms(150.0),
        }
    }

    /// No delays anywhere: as fast as the join goes.
    pub fn instant(rounds: usize, seed: u64) -> Config {
        Config {
            rounds,
            seed,
            elves: ELVES,
            holiday: Duration::ZERO,
            elf_work: Duration::ZERO,
            delivery: Duration::ZERO,
            consultation: Duration::ZERO,
        }
    }
}

/// A worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Who {
    /// Reindeer by id, `0..REINDEER`.
    Reindeer(usize),
    /// Elf by id, `0..` the [`Config`]'s elves.
    Elf(usize),
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Who::Reindeer(id) => f.write_str(REINDEER_NAMES[id]),
            Who::Elf(id) => write!(f, "elf {}", id + 1),
        }
    }
}

/// Which kind of wakeup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A delivery with the reindeer.
    Delivery,
    /// A consultation with elves.
    Consultation,
}

/// Something that happened, in [`Record`]s numbered in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A reindeer is back from holiday, or an elf asks for help (before its call).
    Arrived(Who),
    /// Santa woke up: wakeup number `wake` (1, 2, ...), the `round`-th of its
    /// kind, with these members, oldest first; `others_waiting` workers of the
    /// other kind were queued at that moment.
    Woke {
        wake: u64,
        kind: Kind,
        round: usize,
        members: Vec<Who>,
        others_waiting: usize,
    },
    /// Santa has finished with wakeup `wake` (before releasing anyone).
    Finished { wake: u64, kind: Kind, round: usize },
    /// A worker's call returned: released from wakeup `wake`, after `waited`
    /// since it arrived.
    Released {
        who: Who,
        wake: u64,
        waited: Duration,
    },
    /// A worker went home: `closed` if its last call was answered by the
    /// closing North Pole (it arrived, and was not served).
    Home { who: Who, closed: bool },
}

/// One event, its sequence number, and when it happened since the start.
#[derive(Clone, Debug)]
pub struct Record {
    /// Position in the total order of events, from 0.
    pub seq: usize,
    /// Time since the start of the run.
    pub at: Duration,
    /// What happened.
    pub event: Event,
}

/// A run's events and figures.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every event, in sequence order (`records[i].seq == i`).
    pub records: Vec<Record>,
    /// Figures computed from the records.
    pub summary: Summary,
}

/// The figures of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Deliveries made.
    pub deliveries: usize,
    /// Consultations held.
    pub consultations: usize,
    /// Elf visits served (three per consultation).
    pub elf_visits: usize,
    /// Mean time of an elf from asking to being released.
    pub mean_elf_wait: Duration,
    /// Longest time of an elf from asking to being released.
    pub worst_elf_wait: Duration,
    /// Deliveries at whose wakeup a full group of elves was waiting too
    /// (the reindeer went first).
    pub reindeer_first: usize,
    /// Deliveries at whose wakeup at least one elf was waiting.
    pub deliveries_while_elves_waited: usize,
    /// Time from the start to the last event.
    pub elapsed: Duration,
}

impl Summary {
    /// The figures of a run's records.
    pub fn of(records: &[Record]) -> Summary {
        let mut s = Summary::default();
        let mut total_wait = Duration::ZERO;
        for record in records {
            match &record.event {
                Event::Woke {
                    kind: Kind::Delivery,
                    others_waiting,
                    ..
                } => {
                    s.deliveries += 1;
                    s.reindeer_first += usize::from(*others_waiting >= GROUP);
                    s.deliveries_while_elves_waited += usize::from(*others_waiting > 0);
                }
                Event::Woke {
                    kind: Kind::Consultation,
                    ..
                } => s.consultations += 1,
                Event::Released {
                    who: Who::Elf(_),
                    waited,
                    ..
                } => {
                    s.elf_visits += 1;
                    total_wait += *waited;
                    s.worst_elf_wait = s.worst_elf_wait.max(*waited);
                }
                _ => {}
            }
            s.elapsed = s.elapsed.max(record.at);
        }
        if s.elf_visits > 0 {
            s.mean_elf_wait = total_wait / s.elf_visits as u32;
        }
        s
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        writeln!(f, "  deliveries:     {}", self.deliveries)?;
        writeln!(
            f,
            "  consultations:  {} ({} elf visits)",
            self.consultations, self.elf_visits
        )?;
        writeln!(
            f,
            "  elf wait, from asking to release: mean {:.0} ms, worst {:.0} ms",
            ms(self.mean_elf_wait),
            ms(self.worst_elf_wait)
        )?;
        writeln!(
            f,
            "  reindeer served first while a full group of elves waited: {} of {} deliveries",
            self.reindeer_first, self.deliveries
        )?;
        writeln!(
            f,
            "  deliveries while any elf waited: {} of {}",
            self.deliveries_while_elves_waited, self.deliveries
        )?;
        write!(f, "  run time:       {:.2} s", self.elapsed.as_secs_f64())
    }
}

/// A worker's seeded generator: the project's SplitMix64, one stream per worker.
#[derive(Clone, Debug)]
pub struct Rng(rng::Rng);

impl Rng {
    /// Stream `stream` of `seed`.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = rng::Rng::new(seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next_u64();
        Rng(rng)
    }

    /// A duration uniform in `[0, max)`; zero when `max` is zero.
    pub fn below(&mut self, max: Duration) -> Duration {
        let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            Duration::ZERO
        } else {
            Duration::from_nanos(self.0.next_u64() % nanos)
        }
    }
}

/// Numbers events in the order they happen, and shows each to an observer.
struct Recorder<'a> {
    start: Instant,
    records: Mutex<Vec<Record>>,
    observer: &'a (dyn Fn(&Record) + Sync),
}

impl Recorder<'_> {
    fn record(&self, event: Event) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        let record = Record {
            seq: records.len(),
            at: self.start.elapsed(),
            event,
        };
        (self.observer)(&record);
        records.push(record);
    }
}

/// Santa's retirement, as the workers see it between two calls: threads nap
/// on a condition variable, tasks on a [`tokio::sync::Notify`].
struct Shutdown {
    stopping: AtomicBool,
    lock: Mutex<()>,
    bell: Condvar,
    tasks: tokio::sync::Notify,
}

impl Shutdown {
    fn new(stopping: bool) -> Shutdown {
        Shutdown {
            stopping: AtomicBool::new(stopping),
            lock: Mutex::new(()),
            bell: Condvar::new(),
            tasks: tokio::sync::Notify::new(),
        }
    }

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Sleeps `d` unless shut down first; true while the story goes on.
    fn nap(&self, d: Duration) -> bool {
        if self.stopping() {
            return false;
        }
        if d.is_zero() {
            return true;
        }
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self.bell.wait_timeout_while(guard, d, |_| !self.stopping());
        !self.stopping()
    }

    /// [`nap`](Self::nap) for a task: awaits `d` unless shut down first.
    async fn nap_async(&self, d: Duration) -> bool {
        if self.stopping() {
            return false;
        }
        if d.is_zero() {
            return true;
        }
        // Registered before the flag is read again: a `stop` after this
        // read wakes it.
        let mut stopped = std::pin::pin!(self.tasks.notified());
        stopped.as_mut().enable();
        if self.stopping() {
            return false;
        }
        let _ = tokio::time::timeout(d, stopped).await;
        !self.stopping()
    }

    fn stop(&self) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.stopping.store(true, Ordering::SeqCst);
        self.bell.notify_all();
        self.tasks.notify_waiters();
    }
}

/// How the story's actors wait: [`Threads`] block in the join's calls and in
/// their naps, [`Tasks`] await them. The futures of [`Threads`] never wait in
/// an executor (their calls block inside `poll`).
trait Waits {
    /// Santa sleeps until a team or a group wakes him.
    fn sleep(pole: &NorthPole) -> impl Future<Output = Wake> + Send + '_;
    /// A worker arrives and waits until Santa releases it.
    fn arrive(pole: &NorthPole, who: Who) -> impl Future<Output = Release> + Send + '_;
    /// A worker rests `d`, unless shut down first; true while the story goes on.
    fn nap(shutdown: &Shutdown, d: Duration) -> impl Future<Output = bool> + Send + '_;
    /// Santa works for `d`.
    fn work(d: Duration) -> impl Future<Output = ()> + Send;
}

/// A thread per actor, blocked in its calls.
struct Threads;

impl Waits for Threads {
    async fn sleep(pole: &NorthPole) -> Wake {
        pole.sleep()
    }

    async fn arrive(pole: &NorthPole, who: Who) -> Release {
        match who {
            Who::Reindeer(id) => pole.reindeer_back(id),
            Who::Elf(id) => pole.elf_asks(id),
        }
    }

    async fn nap(shutdown: &Shutdown, d: Duration) -> bool {
        shutdown.nap(d)
    }

    async fn work(d: Duration) {
        thread::sleep(d)
    }
}

/// A tokio task per actor, awaiting its calls.
struct Tasks;

impl Waits for Tasks {
    fn sleep(pole: &NorthPole) -> impl Future<Output = Wake> + Send + '_ {
        pole.sleep_async()
    }

    async fn arrive(pole: &NorthPole, who: Who) -> Release {
        match who {
            Who::Reindeer(id) => pole.reindeer_back_async(id).await,
            Who::Elf(id) => pole.elf_asks_async(id).await,
        }
    }

    fn nap(shutdown: &Shutdown, d: Duration) -> impl Future<Output = bool> + Send + '_ {
        shutdown.nap_async(d)
    }

    fn work(d: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(d)
    }
}

/// A worker before it starts: who, its rest between two calls, its generator.
struct Worker {
    who: Who,
    rest: Duration,
    rng: Rng,
}

/// One run of the story: the join, the shutdown, the log.
struct Story<'a> {
    config: Config,
    pole: NorthPole,
    shutdown: Shutdown,
    log: Recorder<'a>,
}

impl<'a> Story<'a> {
    fn new(config: &Config, observer: &'a (dyn Fn(&Record) + Sync)) -> Story<'a> {
        Story {
            config: config.clone(),
            pole: NorthPole::new(),
            shutdown: Shutdown::new(config.rounds == 0),
            log: Recorder {
                start: Instant::now(),
                records: Mutex::new(Vec::new()),
                observer,
            },
        }
    }

    /// The reindeer, then the elves, each with its own stream of `seed`.
    fn workers(&self) -> Vec<Worker> {
        let c = &self.config;
        let reindeer = (0..REINDEER).map(|id| (Who::Reindeer(id), c.holiday));
        let elves = (0..c.elves).map(|id| (Who::Elf(id), c.elf_work));
        reindeer
            .chain(elves)
            .enumerate()
            .map(|(stream, (who, rest))| Worker {
                who,
                rest,
                rng: Rng::new(c.seed, stream as u64),
            })
            .collect()
    }

    /// A worker's life: rest, arrive, wait to be released; until shut down.
    async fn worker<W: Waits>(&self, worker: Worker) {
        let Worker { who, rest, mut rng } = worker;
        let mut closed = false;
        while W::nap(&self.shutdown, rng.below(rest)).await {
            self.log.record(Event::Arrived(who));
            let arrived = Instant::now();
            match W::arrive(&self.pole, who).await {
                Release::Served(wake) => self.log.record(Event::Released {
                    who,
                    wake,
                    waited: arrived.elapsed(),
                }),
                Release::Closed => {
                    closed = true;
                    break;
                }
            }
        }
        self.log.record(Event::Home { who, closed });
    }

    /// Santa's life: sleep, handle the team or group, release it; until
    /// `config.rounds` deliveries are made. Then closes the North Pole.
    async fn santa<W: Waits>(&self) {
        let config = &self.config;
        let (mut wake, mut deliveries, mut consultations) = (0u64, 0, 0);
        while deliveries < config.rounds {
            wake += 1;
            let (kind, round, members, work) = match W::sleep(&self.pole).await {
                Wake::Reindeer {
                    team,
                    elves_waiting,
                } => {
                    deliveries += 1;
                    let ids = team.iter().map(|m| Who::Reindeer(m.0)).collect();
                    self.log.record(Event::Woke {
                        wake,
                        kind: Kind::Delivery,
                        round: deliveries,
                        members: ids,
                        others_waiting: elves_waiting,
                    });
                    let replies: Vec<_> = team.into_iter().map(|m| m.1).collect();
                    (Kind::Delivery, deliveries, replies, config.delivery)
                }
                Wake::Elves {
                    group,
                    reindeer_waiting,
                } => {
                    consultations += 1;
                    let ids = group.iter().map(|m| Who::Elf(m.0)).collect();
                    self.log.record(Event::Woke {
                        wake,
                        kind: Kind::Consultation,
                        round: consultations,
                        members: ids,
                        others_waiting: reindeer_waiting,
                    });
                    let replies: Vec<_> = group.into_iter().map(|m| m.1).collect();
                    (
                        Kind::Consultation,
                        consultations,
                        replies,
                        config.consultation,
                    )
                }
            };
            if !work.is_zero() {
                W::work(work).await;
            }
            self.log.record(Event::Finished { wake, kind, round });
            if deliveries == config.rounds {
                // The last team goes home instead of on holiday.
                self.shutdown.stop();
            }
            for reply in members {
                reply.send(Release::Served(wake));
            }
        }
        self.shutdown.stop();
        self.pole.close();
    }

    fn report(self) -> Report {
        let records = self
            .log
            .records
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let summary = Summary::of(&records);
        Report { records, summary }
    }
}

/// Plays Trono's story under `config`: Santa on this thread, each reindeer and
/// elf on its own, until `config.rounds` deliveries are made; then closes the
/// North Pole and waits for every worker to go home. `observer` sees each
/// event as it is recorded, in sequence order (for a live log).
pub fn run(config: &Config, observer: &(dyn Fn(&Record) + Sync)) -> Report {
    let story = Story::new(config, observer);
    thread::scope(|scope| {
        for worker in story.workers() {
            let story = &story;
            scope.spawn(move || futures::executor::block_on(story.worker::<Threads>(worker)));
        }
        futures::executor::block_on(story.santa::<Threads>());
    });
    story.report()
}

/// [`run`] with Santa, the reindeer and the elves as tokio tasks, each
/// awaiting the same join's calls: the same story, on however many threads
/// the runtime has. Call it inside a tokio runtime with its timer enabled (a
/// multi-thread one runs the tasks in parallel).
pub async fn run_tasks(config: &Config, observer: &'static (dyn Fn(&Record) + Sync)) -> Report {
    let story = Arc::new(Story::new(config, observer));
    let workers: Vec<_> = story
        .workers()
        .into_iter()
        .map(|worker| {
            let story = Arc::clone(&story);
            tokio::spawn(async move { story.worker::<Tasks>(worker).await })
        })
        .collect();
    let santa = {
        let story = Arc::clone(&story);
        tokio::spawn(async move { story.santa::<Tasks>().await })
    };
    for task in std::iter::once(santa).chain(workers) {
        if let Err(e) = task.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    Arc::into_inner(story)
        .expect("every task has ended")
        .report()
}
