//! One run of a scenario: client threads under a watchdog, then quiescence,
//! then draining what is left queued.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::build::{build, Built, Handle};
use crate::check::Failure;
use crate::client::{perform, Event};
use crate::record::{op_id, Bound, FiringRecord, Recorder};
use crate::spec::{Op, Scenario};

/// Everything a run left to check.
#[derive(Clone, Debug)]
pub struct Observation {
    /// Every operation and its outcome, thread by thread, in program order.
    pub events: Vec<Event>,
    /// The firings the bodies logged, by id.
    pub firings: Vec<FiringRecord>,
    /// `join.waiting(c)` for every channel at quiescence.
    pub waiting: Vec<usize>,
    /// What the drain chords took afterwards from each channel, oldest
    /// first: `Msgs`, `Units`, or `Calls(vec![])` for a synchronous channel.
    pub drained: Vec<Bound>,
}

/// Watches thread 0's operations as they happen (the sequential model does).
pub trait Observer: Send {
    /// Called by thread 0 after each of its operations.
    fn after(&mut self, recorder: &Recorder, event: &Event) -> Result<(), Failure>;
}

/// An [`Observer`] that the caller keeps a handle on.
pub type SharedObserver = Arc<Mutex<dyn Observer>>;

/// How long asynchronous bodies may take to settle after the clients end.
pub const SETTLE: Duration = Duration::from_secs(5);

/// What a run may take beyond its operations' own timeouts before the
/// watchdog calls it a hang.
const SLACK: Duration = Duration::from_secs(10);

/// Runs `scenario` once on a freshly built join: thread 0's operations, then
/// the other threads' at once; then waits for quiescence and drains.
///
/// A hang, a panicking client, a run that never settles, or a failure the
/// `observer` reports ends the run with that [`Failure`].
pub fn run(scenario: &Scenario, observer: Option<SharedObserver>) -> Result<Observation, Failure> {
    let recorder = Arc::new(Recorder::new(scenario.emit_budget));
    let built = Arc::new(build(&scenario.join, &recorder));
    let clients = scenario.threads.len() + 1;
    let progress: Arc<Vec<AtomicUsize>> =
        Arc::new((0..clients).map(|_| AtomicUsize::new(0)).collect());
    let gate = Arc::new(Gate::default());
    let (done, finished) = mpsc::channel();
    let handles: Vec<_> = scenario
        .programs()
        .map(|(thread, ops)| {
            let client = Client {
                thread,
                ops: ops.to_vec(),
                built: Arc::clone(&built),
                recorder: Arc::clone(&recorder),
                progress: Arc::clone(&progress),
                gate: Arc::clone(&gate),
                observer: if thread == 0 { observer.clone() } else { None },
                parallel: clients - 1,
                _done: Done(done.clone()),
            };
            thread::Builder::new()
                .name(format!("chords-check client {thread}"))
                .spawn(move || client.run())
                .expect("spawn a client thread")
        })
        .collect();
    let deadline = Instant::now() + bound(scenario);
    for _ in 0..clients {
        let left = deadline.saturating_duration_since(Instant::now());
        if finished.recv_timeout(left).is_err() {
            return Err(hang(scenario, &built, &progress));
        }
    }
    let mut events = Vec::new();
    for (thread, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(mut e)) => events.append(&mut e),
            Ok(Err(failure)) => return Err(failure),
            Err(payload) => {
                return Err(Failure::new(
                    "client_panicked",
                    format!("client thread {thread} panicked: {}", panic_text(&*payload)),
                ))
            }
        }
    }
    let (firings, waiting) = settle(scenario, &built, &recorder, &events)?;
    let drained = drain(&built, &waiting);
    Ok(Observation {
        events,
        firings,
        waiting,
        drained,
    })
}

/// One client thread's part of a run.
struct Client {
    thread: usize,
    ops: Vec<Op>,
    built: Arc<Built>,
    recorder: Arc<Recorder>,
    progress: Arc<Vec<AtomicUsize>>,
    gate: Arc<Gate>,
    observer: Option<SharedObserver>,
    /// How many threads start when thread 0 is done.
    parallel: usize,
    _done: Done,
}

impl Client {
    fn run(self) -> Result<Vec<Event>, Failure> {
        if self.thread == 0 {
            // Open the gate however thread 0 ends.
            let _open = OpenOnDrop(&self.gate, self.parallel);
            self.ops()
        } else {
            self.gate.wait();
            self.ops()
        }
    }

    fn ops(&self) -> Result<Vec<Event>, Failure> {
        let progress = &self.progress[self.thread];
        let mut events = Vec::with_capacity(self.ops.len());
        for (index, &op) in self.ops.iter().enumerate() {
            progress.store(2 * index + 1, SeqCst);
            let id = op_id(self.thread, index);
            let outcome = perform(&self.built, op, id);
            progress.store(2 * index + 2, SeqCst);
            let event = Event {
                thread: self.thread,
                index,
                op,
                id,
                outcome,
            };
            if let Some(observer) = &self.observer {
                let mut observer = observer.lock().unwrap_or_else(|e| e.into_inner());
                observer.after(&self.recorder, &event)?;
            }
            events.push(event);
        }
        Ok(events)
    }
}

/// Tells the watchdog a client ended, however it ended.
struct Done(mpsc::Sender<()>);

impl Drop for Done {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

/// Holds threads 1.. until thread 0 is done and all of them are ready, then
/// lets them go at once (they spin, so that they start close together).
#[derive(Default)]
struct Gate {
    ready: AtomicUsize,
    open: AtomicBool,
}

impl Gate {
    fn wait(&self) {
        self.ready.fetch_add(1, SeqCst);
        while !self.open.load(SeqCst) {
            thread::yield_now();
        }
    }
}

struct OpenOnDrop<'a>(&'a Gate, usize);

impl Drop for OpenOnDrop<'_> {
    fn drop(&mut self) {
        while self.0.ready.load(SeqCst) < self.1 {
            thread::yield_now();
        }
        self.0.open.store(true, SeqCst);
    }
}

/// How long a run may take: thread 0's timeouts, the longest of the other
/// threads' timeouts, and [`SLACK`].
fn bound(scenario: &Scenario) -> Duration {
    let waits = |ops: &[Op]| -> Duration {
        ops.iter()
            .filter_map(|op| match op {
                Op::Call(_, wait) => wait.timeout(),
                Op::Send(_) => None,
            })
            .sum()
    };
    let parallel = scenario.threads.iter().map(|t| waits(t)).max();
    waits(&scenario.init) + parallel.unwrap_or_default() + SLACK + SETTLE
}

fn hang(scenario: &Scenario, built: &Built, progress: &[AtomicUsize]) -> Failure {
    let mut message = format!(
        "a run did not finish within {:?}; each thread's last action:",
        bound(scenario)
    );
    for (thread, ops) in scenario.programs() {
        let p = progress[thread].load(SeqCst);
        let state = match (p / 2, p % 2) {
            (i, 1) => format!(
                "blocked in {}={}",
                crate::record::fmt_id(op_id(thread, i)),
                ops[i]
            ),
            (i, _) if i == ops.len() => "done".to_string(),
            (0, _) => "not started".to_string(),
            (i, _) => format!("between op {} and op {}", i - 1, i),
        };
        message.push_str(&format!("\n  thread {thread}: {state}"));
    }
    message.push_str(&format!("\n  join: {:?}", built.join));
    Failure::new("no_deadlock", message)
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    chords_runtime::panic_message(payload)
        .unwrap_or("(a non-text payload)")
        .to_string()
}

/// The number of messages sent on each channel: by clients (`events`) and
/// by bodies (`firings`).
pub fn sent_counts(channels: usize, events: &[Event], firings: &[FiringRecord]) -> Vec<usize> {
    let mut sent = vec![0; channels];
    for e in events {
        if let Op::Send(c) = e.op {
            sent[c] += 1;
        }
    }
    for &(c, _) in firings.iter().flat_map(|f| &f.emits) {
        sent[c] += 1;
    }
    sent
}

/// The number of messages of each channel the logged firings consumed
/// (calls included).
pub fn consumed_counts(scenario: &Scenario, firings: &[FiringRecord]) -> Vec<usize> {
    let mut consumed = vec![0; scenario.join.channels.len()];
    for f in firings {
        let Some(chord) = scenario.join.chords.get(f.chord) else {
            continue;
        };
        for (term, bound) in chord.terms.iter().zip(&f.terms) {
            consumed[term.channel] += match bound {
                Bound::Msgs(ids) | Bound::Calls(ids) => ids.len(),
                Bound::Units(n) => *n,
            };
        }
    }
    consumed
}

/// Waits until the asynchronous bodies have settled: no body running, none
/// started meanwhile, and every message sent on each asynchronous channel
/// either consumed by a logged firing or still waiting (a firing reserved
/// but not yet logged shows as a shortfall); no call waiting. Returns the
/// log and the waiting counts then.
fn settle(
    scenario: &Scenario,
    built: &Built,
    recorder: &Recorder,
    events: &[Event],
) -> Result<(Vec<FiringRecord>, Vec<usize>), Failure> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let started = recorder.started();
        let log = recorder.snapshot();
        let waiting: Vec<usize> = built.channels.iter().map(|&h| waiting(built, h)).collect();
        let quiet = recorder.started() == started && log.len() as u64 == started;
        let sent = sent_counts(waiting.len(), events, &log);
        let consumed = consumed_counts(scenario, &log);
        let unbalanced: Vec<String> = scenario
            .join
            .channels
            .iter()
            .enumerate()
            .filter_map(|(c, kind)| {
                let (s, q, k) = (sent[c], waiting[c], consumed[c]);
                if kind.is_async() && s != q + k {
                    let gap = if s > q + k {
                        format!(
                            "{} missing: lost, or taken by a firing that never ran",
                            s - q - k
                        )
                    } else {
                        format!("{} more than were sent", q + k - s)
                    };
                    Some(format!(
                        "c{c}: {s} sent, {k} consumed by logged firings, {q} waiting: {gap}"
                    ))
                } else if !kind.is_async() && q != 0 {
                    Some(format!(
                        "c{c}: {q} calls waiting after every caller returned"
                    ))
                } else {
                    None
                }
            })
            .collect();
        if quiet && unbalanced.is_empty() {
            return Ok((log, waiting));
        }
        if Instant::now() > deadline {
            return Err(Failure::new(
                "quiescent",
                format!(
                    "{SETTLE:?} after the clients ended, the join has not settled \
                     ({} bodies started, {} logged): {}",
                    started,
                    log.len(),
                    unbalanced.join("; ")
                ),
            ));
        }
        thread::sleep(Duration::from_micros(200));
    }
}

fn waiting(built: &Built, handle: Handle) -> usize {
    match handle {
        Handle::Msg(c) => built.join.waiting(c),
        Handle::Unit(c) => built.join.waiting(c),
        Handle::Sync(c) => built.join.waiting(c),
    }
}

/// Empties every asynchronous channel through its drain chord (`try_call`
/// until it fails). Takes at most a few more than were waiting, so that a
/// join that makes up messages cannot loop forever.
fn drain(built: &Built, waiting: &[usize]) -> Vec<Bound> {
    built
        .channels
        .iter()
        .zip(&built.drains)
        .zip(waiting)
        .map(|((&handle, &drain), &queued)| {
            let Some(drain) = drain else {
                return Bound::Calls(Vec::new());
            };
            let ids: Vec<u64> = (0..queued + 8)
                .map_while(|_| built.join.try_call(drain, 0).ok())
                .collect();
            match handle {
                Handle::Unit(_) => Bound::Units(ids.len()),
                _ => Bound::Msgs(ids),
            }
        })
        .collect()
}
