//! The story of Santa Claus (Trono, 1994), shared by the example's two North
//! Poles: the `#[chords]` one (`workshop.rs`, the default) and the one built
//! with the runtime API (`north_pole.rs`).
//!
//! What is written once, here, is everything but the synchronization: the
//! workers' lives (rest, arrive, wait to be released, until Santa retires),
//! Santa's books (which wakeup, which round, what is logged, when he
//! retires), the seeded delays, the numbered [`Event`]s, the [`Summary`], and
//! how actors wait: [`Threads`] block in the North Pole's calls, [`Tasks`]
//! await them. A North Pole is a [`Pole`]: how a worker calls it, how Santa
//! spends his life in it, how it closes. [`run`] plays the story with a thread
//! per actor, [`run_tasks`] with a tokio task per actor; both return every
//! event with its sequence number (the tests in `tests/santa.rs` check their
//! invariants, on both North Poles).
//!
//! The two Santas differ in one place, which is the point of the example: the
//! `#[chords]` body that wakes Santa runs on his thread and does his work
//! before it returns the helpers' results; the runtime API's chord hands him
//! the helpers' [`Reply`](chords::Reply)s, and he answers them when he is done.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

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
struct Recorder {
    start: Instant,
    records: Mutex<Vec<Record>>,
    observer: Observer,
}

impl Recorder {
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
pub struct Shutdown {
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

/// Sees each event as it is recorded, in sequence order (the demo's live log).
pub type Observer = &'static (dyn Fn(&Record) + Sync);

/// How the story's actors wait: [`Threads`] block in the North Pole's calls
/// and in their naps, [`Tasks`] await them. The futures of [`Threads`] never
/// wait in an executor (their calls block inside `poll`).
pub trait Waits: Send + Sync + 'static {
    /// Whether calls are awaited (`name_async`) rather than blocking.
    const AWAITS: bool;
    /// A worker rests `d`, unless shut down first; true while the story goes on.
    fn nap(shutdown: &Shutdown, d: Duration) -> impl Future<Output = bool> + Send + '_;
    /// Santa works for `d`.
    fn work(d: Duration) -> impl Future<Output = ()> + Send;
}

/// A thread per actor, blocked in its calls.
pub struct Threads;

impl Waits for Threads {
    const AWAITS: bool = false;

    async fn nap(shutdown: &Shutdown, d: Duration) -> bool {
        shutdown.nap(d)
    }

    async fn work(d: Duration) {
        thread::sleep(d)
    }
}

/// A tokio task per actor, awaiting its calls.
pub struct Tasks;

impl Waits for Tasks {
    const AWAITS: bool = true;

    fn nap(shutdown: &Shutdown, d: Duration) -> impl Future<Output = bool> + Send + '_ {
        shutdown.nap_async(d)
    }

    fn work(d: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(d)
    }
}

/// A North Pole as its workers see it: all that differs between the
/// example's two versions on the workers' side.
pub trait Pole: Default + Clone + Send + Sync + 'static {
    /// A worker arrives and waits (blocked, or awaiting with [`Tasks`]) until
    /// Santa releases it, or the North Pole closes.
    fn arrive<W: Waits>(&self, who: Who) -> impl Future<Output = Release> + Send + '_;
    /// Sends every worker waiting now or calling later home with
    /// [`Release::Closed`]. Called once, when Santa no longer sleeps.
    fn close(&self);
    /// Reindeer, then elves, waiting and not yet taken by a chord.
    fn waiting(&self) -> (usize, usize);
}

/// A North Pole the story can be played on: its workers' side, and Santa's.
pub trait Playable: Pole {
    /// Santa's life: sleep until a team or a group wakes him, handle it
    /// through the [`Story`]'s books ([`Story::woke`], then
    /// [`Story::finished`]), release its members; while he is
    /// [on duty](Story::on_duty).
    fn santa<W: Waits>(&self, story: &Arc<Story>) -> impl Future<Output = ()> + Send;
}

/// Santa's books: how many times he woke, for what.
#[derive(Clone, Debug, Default)]
pub struct Books {
    wake: u64,
    deliveries: usize,
    consultations: usize,
}

/// One wakeup as Santa's books see it: what he does, and for how long.
#[derive(Clone, Copy, Debug)]
pub struct Job {
    /// The wakeup's number, 1, 2, ...: what its members are released with.
    pub wake: u64,
    /// Delivery or consultation.
    pub kind: Kind,
    /// The `round`-th of its kind.
    pub round: usize,
    /// How long Santa works with the team or group.
    pub work: Duration,
}

/// A worker before it starts: who, its rest between two calls, its generator.
struct Worker {
    who: Who,
    rest: Duration,
    rng: Rng,
}

/// One run of the story: its configuration, the shutdown, the log.
pub struct Story {
    config: Config,
    shutdown: Shutdown,
    log: Recorder,
}

impl Story {
    fn new(config: &Config, observer: Observer) -> Story {
        Story {
            config: config.clone(),
            shutdown: Shutdown::new(config.rounds == 0),
            log: Recorder {
                start: Instant::now(),
                records: Mutex::new(Vec::new()),
                observer,
            },
        }
    }

    /// Whether Santa has deliveries left to make.
    pub fn on_duty(&self, books: &Books) -> bool {
        books.deliveries < self.config.rounds
    }

    /// Santa woke for `members` (oldest first), a team if `kind` is a
    /// delivery, a group otherwise; `others_waiting` workers of the other
    /// kind were waiting. Logs it, and says what Santa does now.
    pub fn woke(
        &self,
        books: &mut Books,
        kind: Kind,
        members: Vec<Who>,
        others_waiting: usize,
    ) -> Job {
        books.wake += 1;
        let (round, work) = match kind {
            Kind::Delivery => {
                books.deliveries += 1;
                (books.deliveries, self.config.delivery)
            }
            Kind::Consultation => {
                books.consultations += 1;
                (books.consultations, self.config.consultation)
            }
        };
        let wake = books.wake;
        self.log.record(Event::Woke {
            wake,
            kind,
            round,
            members,
            others_waiting,
        });
        Job {
            wake,
            kind,
            round,
            work,
        }
    }

    /// Santa has done `job`: logs it, before its members are released. After
    /// the last delivery the workers stop resting, so that the last team goes
    /// home instead of on holiday.
    pub fn finished(&self, job: &Job) {
        self.log.record(Event::Finished {
            wake: job.wake,
            kind: job.kind,
            round: job.round,
        });
        if job.kind == Kind::Delivery && job.round == self.config.rounds {
            self.shutdown.stop();
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
    async fn worker<W: Waits>(&self, pole: &impl Pole, worker: Worker) {
        let Worker { who, rest, mut rng } = worker;
        let mut closed = false;
        while W::nap(&self.shutdown, rng.below(rest)).await {
            self.log.record(Event::Arrived(who));
            let arrived = Instant::now();
            match pole.arrive::<W>(who).await {
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

    /// Santa's life on `pole`, then his retirement: the workers stop resting
    /// and the North Pole closes.
    async fn santa<W: Waits>(self: &Arc<Self>, pole: &impl Playable) {
        pole.santa::<W>(self).await;
        self.shutdown.stop();
        pole.close();
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

/// Plays Trono's story under `config` on a new North Pole `P`: Santa on this
/// thread, each reindeer and elf on its own, until `config.rounds`
/// deliveries are made; then closes the North Pole and waits for every
/// worker to go home. `observer` sees each event as it is recorded, in
/// sequence order (for a live log).
pub fn run<P: Playable>(config: &Config, observer: Observer) -> Report {
    let story = Arc::new(Story::new(config, observer));
    let pole = P::default();
    thread::scope(|scope| {
        for worker in story.workers() {
            let (story, pole) = (&story, &pole);
            scope.spawn(move || futures::executor::block_on(story.worker::<Threads>(pole, worker)));
        }
        futures::executor::block_on(story.santa::<Threads>(&pole));
    });
    finish(story)
}

/// [`run`] with Santa, the reindeer and the elves as tokio tasks, each
/// awaiting the North Pole's calls: the same story, on however many threads
/// the runtime has. Call it inside a tokio runtime with its timer enabled (a
/// multi-thread one runs the tasks in parallel).
pub async fn run_tasks<P: Playable>(config: &Config, observer: Observer) -> Report {
    let story = Arc::new(Story::new(config, observer));
    let pole = P::default();
    let workers: Vec<_> = story
        .workers()
        .into_iter()
        .map(|worker| {
            let (story, pole) = (Arc::clone(&story), pole.clone());
            tokio::spawn(async move { story.worker::<Tasks>(&pole, worker).await })
        })
        .collect();
    let santa = {
        let story = Arc::clone(&story);
        tokio::spawn(async move { story.santa::<Tasks>(&pole).await })
    };
    for task in std::iter::once(santa).chain(workers) {
        if let Err(e) = task.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    finish(story)
}

/// The report of a story whose actors have all ended.
fn finish(story: Arc<Story>) -> Report {
    Arc::into_inner(story)
        .expect("every actor has ended")
        .report()
}
