//! Runs random single-threaded histories on a `#[chords]` object and on the
//! same join built with the runtime API, step by step, and checks that both
//! answer alike: each call's result or error (with the arguments it hands
//! back), the results of calls made from other threads, and the `Debug`
//! counts of waiting messages.
//!
//! This file is compiled into `tests/macro_fuzz.rs` and pasted into the
//! programs that test generates, as their module `driver`.
//!
//! A history is deterministic when no two firings run at once (the runtime
//! lets overlapping firings of one channel take its messages in either
//! order, docs/reference.md "Per-channel order"). So the main thread makes
//! one call or send at a time; calls from other threads ("spawned") are
//! made one at a time too, each queued before the next step; blocking calls
//! are made on the main thread only where a chord can fire with them; and
//! after each step the driver waits until every call a chord took has
//! returned.

use std::fmt::Debug;
use std::sync::{Mutex, Once};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chords::{TimeoutError, TryCallError};

use crate::rng::Rng;
use crate::rules::Rules;

/// A channel of the object, in declaration order.
pub struct Chan {
    pub name: &'static str,
    pub sync: bool,
    /// Its number of parameters: a step passes one `u64` for each (a `()`
    /// parameter ignores its value).
    pub params: usize,
}

/// The object's channels, each chord's needs (channel index, count), and
/// the channels each chord's body sends a message to, in order.
pub struct Shape {
    pub channels: &'static [Chan],
    pub chords: &'static [&'static [(usize, u32)]],
    pub sends: &'static [&'static [usize]],
}

/// How a synchronous call is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Block,
    Try,
    Timeout,
    Deadline,
}

/// One version of the object: the generated code maps each channel's index
/// to its method.
pub trait Under: Clone + Send + 'static {
    /// Sends on the asynchronous channel `channel`.
    fn send(&self, channel: usize, args: &[u64]);
    /// Calls the synchronous channel `channel`, and tells what came back.
    fn call(&self, channel: usize, form: Form, args: &[u64]) -> String;
    /// The object's `Debug` output.
    fn debug(&self) -> String;
}

/// How long a timed call waits: nothing else happens meanwhile.
pub const SHORT: Duration = Duration::from_millis(1);

/// How long the driver waits for a spawned call before it calls it stuck.
const PATIENCE: Duration = Duration::from_secs(10);

/// A call's result, as text.
pub fn answer<R: Debug>(result: R) -> String {
    format!("{result:?}")
}

/// A `try_` call's outcome, as text.
pub fn tried<R: Debug, A: Debug>(outcome: Result<R, TryCallError<A>>) -> String {
    match outcome {
        Ok(result) => format!("{result:?}"),
        Err(e) => {
            let text = e.to_string();
            format!("{text}: {:?}", e.into_inner())
        }
    }
}

/// A timed call's outcome, as text.
pub fn timed<R: Debug, A: Debug>(outcome: Result<R, TimeoutError<A>>) -> String {
    match outcome {
        Ok(result) => format!("{result:?}"),
        Err(e) => {
            let text = e.to_string();
            format!("{text}: {:?}", e.into_inner())
        }
    }
}

/// A binding's worth in a body's value.
pub trait Value {
    fn value(&self) -> u64;
}

impl Value for u64 {
    fn value(&self) -> u64 {
        *self
    }
}

impl Value for () {
    fn value(&self) -> u64 {
        0
    }
}

impl Value for std::num::Wrapping<u64> {
    fn value(&self) -> u64 {
        self.0
    }
}

impl Value for &'static str {
    fn value(&self) -> u64 {
        self.len() as u64
    }
}

/// A word for a `&'static str` parameter.
pub fn word(n: u64) -> &'static str {
    ["", "a", "bb", "ccc", "dddd"][(n % 5) as usize]
}

impl<T: Value, const N: usize> Value for [T; N] {
    /// Weighs each element by its place, so that the order counts.
    fn value(&self) -> u64 {
        self.iter().zip(1u64..).fold(0, |sum, (x, weight)| {
            sum.wrapping_add(weight.wrapping_mul(x.value()))
        })
    }
}

/// A binding's worth.
pub fn v<T: Value>(binding: &T) -> u64 {
    binding.value()
}

/// The bindings' worths mixed into one value.
pub fn mix(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(17, |acc, p| acc.wrapping_mul(31).wrapping_add(*p))
}

#[derive(Clone, Debug)]
enum Op {
    Send,
    Call(Form),
    /// A blocking call from a thread of its own.
    Spawn,
}

#[derive(Clone, Debug)]
struct Step {
    op: Op,
    channel: usize,
    args: Vec<u64>,
}

impl Step {
    fn show(&self, shape: &Shape) -> String {
        let name = shape.channels[self.channel].name;
        let args: Vec<String> = self.args.iter().map(u64::to_string).collect();
        let op = match self.op {
            Op::Send => "send",
            Op::Call(Form::Block) => "call",
            Op::Call(Form::Try) => "try",
            Op::Call(Form::Timeout) => "timeout",
            Op::Call(Form::Deadline) => "deadline",
            Op::Spawn => "spawn",
        };
        format!("{op} {name}({})", args.join(", "))
    }
}

/// What a step did, on one version.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    /// The call's result or error; empty for a send or a spawn.
    answer: String,
    /// The spawned calls that returned, by number, with their results.
    returned: Vec<(usize, String)>,
    /// The `Debug` output, less the struct's name.
    state: String,
}

/// A spawned call not yet returned.
struct Pending {
    id: usize,
    channel: usize,
    handle: JoinHandle<String>,
}

/// One version and its spawned calls.
struct Side<U> {
    object: U,
    pending: Vec<Pending>,
    spawned: usize,
}

/// The waiting counts in a `Debug` output, in declaration order.
fn counts(debug: &str) -> Vec<usize> {
    let start = debug.find("channels: {").expect("a chords Debug output") + 11;
    let end = start + debug[start..].find('}').expect("a closing brace");
    debug[start..end]
        .split(", ")
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (_, n) = entry.rsplit_once(": ").expect("\"name\": count");
            n.parse().expect("a count")
        })
        .collect()
}

impl<U: Under> Side<U> {
    fn new(object: U) -> Self {
        Side {
            object,
            pending: Vec::new(),
            spawned: 0,
        }
    }

    fn counts(&self) -> Vec<usize> {
        counts(&self.object.debug())
    }

    fn apply(&mut self, step: &Step) -> Result<Seen, String> {
        let answer = match step.op {
            Op::Send => {
                self.object.send(step.channel, &step.args);
                String::new()
            }
            Op::Call(form) => self.object.call(step.channel, form, &step.args),
            Op::Spawn => {
                self.spawn(step)?;
                String::new()
            }
        };
        let returned = self.settle()?;
        let debug = self.object.debug();
        let state = debug[debug.find('{').unwrap_or(0)..].to_string();
        Ok(Seen {
            answer,
            returned,
            state,
        })
    }

    /// Makes the call on a thread of its own, and waits until it has
    /// queued or returned.
    fn spawn(&mut self, step: &Step) -> Result<(), String> {
        let before = self.counts()[step.channel];
        let object = self.object.clone();
        let (channel, args) = (step.channel, step.args.clone());
        let handle = thread::spawn(move || object.call(channel, Form::Block, &args));
        let since = Instant::now();
        while !handle.is_finished() && self.counts()[step.channel] == before {
            if since.elapsed() > PATIENCE {
                return Err("a spawned call neither queued nor returned".into());
            }
            thread::yield_now();
        }
        self.pending.push(Pending {
            id: self.spawned,
            channel,
            handle,
        });
        self.spawned += 1;
        Ok(())
    }

    /// Waits until every spawned call that a chord took has returned (a
    /// channel's taken calls are those of its spawned calls no longer
    /// counted as waiting); returns those that returned.
    fn settle(&mut self) -> Result<Vec<(usize, String)>, String> {
        let since = Instant::now();
        let mut returned = Vec::new();
        loop {
            let counts = self.counts();
            let short = (0..counts.len()).any(|channel| {
                let mine = self.pending.iter().filter(|p| p.channel == channel);
                let taken = mine.clone().count().saturating_sub(counts[channel]);
                mine.filter(|p| p.handle.is_finished()).count() < taken
            });
            if !short {
                let (done, waiting) = std::mem::take(&mut self.pending)
                    .into_iter()
                    .partition::<Vec<Pending>, _>(|p| p.handle.is_finished());
                self.pending = waiting;
                if done.is_empty() {
                    break;
                }
                for p in done {
                    let result = p
                        .handle
                        .join()
                        .unwrap_or_else(|_| "the call panicked".to_string());
                    returned.push((p.id, result));
                }
                continue;
            }
            if since.elapsed() > PATIENCE {
                return Err("a call that a chord took did not return".into());
            }
            thread::yield_now();
        }
        returned.sort();
        Ok(returned)
    }
}

/// Whether a chord can fire with one more call of `channel`, given the
/// waiting counts.
fn can_fire(shape: &Shape, counts: &[usize], channel: usize) -> bool {
    shape.chords.iter().any(|needs| {
        needs.iter().any(|&(c, _)| c == channel)
            && needs
                .iter()
                .all(|&(c, n)| counts[c] + usize::from(c == channel) >= n as usize)
    })
}

/// The most spawned calls waiting at once.
const SPAWNED: usize = 8;

/// The next random step, given the waiting counts and the spawned calls
/// still waiting. Half the steps bring some chord nearer to firing: a
/// message it lacks, sent, or a call it lacks, spawned.
fn next_step(shape: &Shape, rng: &mut Rng, counts: &[usize], pending: usize) -> Step {
    let of = |sync: bool| -> Vec<usize> {
        (0..shape.channels.len())
            .filter(|&c| shape.channels[c].sync == sync)
            .collect()
    };
    let (asyncs, syncs) = (of(false), of(true));
    let ready: Vec<usize> = syncs
        .iter()
        .copied()
        .filter(|&c| can_fire(shape, counts, c))
        .collect();
    let needs = rng.pick(shape.chords);
    let lacking: Vec<usize> = needs
        .iter()
        .filter(|&&(c, n)| counts[c] < n as usize)
        .map(|&(c, _)| c)
        .filter(|&c| !shape.channels[c].sync || pending < SPAWNED)
        .collect();
    let roll = rng.below(100);
    let (op, pool) = if roll < 50 && !lacking.is_empty() {
        let c = *rng.pick(&lacking);
        let op = if shape.channels[c].sync {
            Op::Spawn
        } else {
            Op::Send
        };
        (op, vec![c])
    } else if syncs.is_empty() || (roll < 65 && !asyncs.is_empty()) {
        (Op::Send, asyncs)
    } else if roll < 80 && !ready.is_empty() {
        (Op::Call(Form::Block), ready)
    } else if roll < 85 && pending < SPAWNED {
        (Op::Spawn, syncs)
    } else {
        let form = *rng.pick(&[Form::Try, Form::Try, Form::Timeout, Form::Deadline]);
        let pool = if ready.is_empty() || rng.percent(50) {
            syncs
        } else {
            ready
        };
        (Op::Call(form), pool)
    };
    let channel = *rng.pick(&pool);
    let args = (0..shape.channels[channel].params)
        .map(|_| rng.below(50) as u64)
        .collect();
    Step { op, channel, args }
}

/// What a history did, for the reader: how much of it fired chords.
#[derive(Debug, Default)]
pub struct Tally {
    pub steps: usize,
    /// Calls of the main thread that returned a result.
    pub answered: usize,
    /// Calls of the main thread that gave up (`try_`, timed).
    pub refused: usize,
    /// Calls from other threads that returned.
    pub returned: usize,
}

impl Tally {
    fn count(&mut self, seen: &Seen) {
        self.steps += 1;
        if seen.answer.starts_with("no chord could fire") || seen.answer.starts_with("timed out") {
            self.refused += 1;
        } else if !seen.answer.is_empty() {
            self.answered += 1;
        }
        self.returned += seen.returned.len();
    }
}

/// A history that went wrong.
struct Failure {
    /// The steps made, the failing one last.
    steps: Vec<Step>,
    what: String,
}

/// Runs a history on fresh objects: `next` gives each step, from the
/// waiting counts and the number of spawned calls waiting, until `None`.
/// `Err(None)` when a replayed step does not fit (a blocking call that no
/// chord could answer).
fn run<M: Under, R: Under>(
    shape: &Shape,
    new_m: fn() -> M,
    new_r: fn() -> R,
    label: &str,
    next: &mut dyn FnMut(&[usize], usize) -> Option<Step>,
) -> Result<Tally, Option<Failure>> {
    let mut tally = Tally::default();
    let mut rules = Rules::new(shape);
    let mut m = Side::new(new_m());
    let mut r = Side::new(new_r());
    let mut steps = Vec::new();
    let initial = (m.object.debug(), r.object.debug());
    let fresh = |d: &str| d[d.find('{').unwrap_or(0)..].to_string();
    if fresh(&initial.0) != fresh(&initial.1) {
        let what = format!(
            "the new objects differ:\n  macro:   {}\n  runtime: {}",
            initial.0, initial.1
        );
        return Err(Some(Failure { steps, what }));
    }
    loop {
        let counts = m.counts();
        let Some(step) = next(&counts, m.pending.len()) else {
            return Ok(tally);
        };
        if matches!(step.op, Op::Call(Form::Block)) && !can_fire(shape, &counts, step.channel) {
            return Err(None);
        }
        if matches!(step.op, Op::Spawn) && m.pending.len() >= SPAWNED {
            return Err(None);
        }
        progress(format!(
            "{label}: step {} {}",
            steps.len(),
            step.show(shape)
        ));
        steps.push(step.clone());
        let caller = m.spawned;
        let seen = (m.apply(&step), r.apply(&step));
        if seen.0.is_err() || seen.0 != seen.1 {
            let what = format!(
                "they differ at step {}:\n  macro:   {:?}\n  runtime: {:?}",
                steps.len() - 1,
                seen.0,
                seen.1
            );
            return Err(Some(Failure { steps, what }));
        }
        let seen = seen.0.expect("checked");
        if let Some(what) = against_rules(&mut rules, &step, caller, &seen) {
            return Err(Some(Failure { steps, what }));
        }
        tally.count(&seen);
    }
}

/// What the firing rules say `step` should have done, if `seen` (on both
/// versions) differs.
fn against_rules(rules: &mut Rules, step: &Step, caller: usize, seen: &Seen) -> Option<String> {
    let mut returned = Vec::new();
    let fired = match step.op {
        Op::Send => rules.arrive(step.channel, None, true, &mut returned),
        Op::Spawn => rules.arrive(step.channel, Some(caller), true, &mut returned),
        Op::Call(_) => rules.arrive(step.channel, None, false, &mut returned),
    };
    returned.sort();
    let seen_returned: Vec<usize> = seen.returned.iter().map(|(id, _)| *id).collect();
    let refused =
        seen.answer.starts_with("no chord could fire") || seen.answer.starts_with("timed out");
    let answered_as_told = !matches!(step.op, Op::Call(_)) || fired != refused;
    if counts(&seen.state) == rules.counts() && seen_returned == returned && answered_as_told {
        return None;
    }
    Some(format!(
        "differ from the firing rules at the last step: they say a chord fires: {fired}, the \
         spawned calls {returned:?} return, and the counts are {:?}; both versions did \
         {seen:?}",
        rules.counts()
    ))
}

/// Runs `steps` random steps from `seed` on both versions; on a
/// difference, panics with the history shrunk and the object's `source`.
pub fn check<M: Under, R: Under>(
    label: &str,
    source: &str,
    shape: &Shape,
    seed: u64,
    steps: usize,
    new_m: fn() -> M,
    new_r: fn() -> R,
) {
    match compare(label, shape, seed, steps, new_m, new_r) {
        Ok(tally) => println!("{label}: {tally:?}"),
        Err(report) => panic!("{label} (history seed {seed}): {report}\nthe object:\n{source}"),
    }
}

/// Runs `steps` random steps from `seed` on both versions; on a
/// difference, tells it, with the history shrunk.
pub fn compare<M: Under, R: Under>(
    label: &str,
    shape: &Shape,
    seed: u64,
    steps: usize,
    new_m: fn() -> M,
    new_r: fn() -> R,
) -> Result<Tally, String> {
    watchdog();
    let mut rng = Rng::new(seed);
    let mut left = steps;
    let mut generate = |counts: &[usize], pending: usize| {
        left = left.checked_sub(1)?;
        Some(next_step(shape, &mut rng, counts, pending))
    };
    let failure = match run(shape, new_m, new_r, label, &mut generate) {
        Ok(tally) => return Ok(tally),
        Err(failure) => failure.expect("generated steps fit"),
    };
    let shrunk = shrink(shape, new_m, new_r, label, failure);
    let history: Vec<String> = shrunk
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("  {i:>3}: {}", s.show(shape)))
        .collect();
    Err(format!(
        "the macro's object and the join built by hand {}\n\nthe history, shrunk:\n{}\n",
        shrunk.what,
        history.join("\n")
    ))
}

/// Drops steps from a failing history while it still fails (a few hundred
/// replays at most).
fn shrink<M: Under, R: Under>(
    shape: &Shape,
    new_m: fn() -> M,
    new_r: fn() -> R,
    label: &str,
    mut failure: Failure,
) -> Failure {
    let mut replays = 0;
    let mut i = failure.steps.len();
    while i > 0 && replays < 300 {
        i -= 1;
        let mut candidate = failure.steps.clone();
        candidate.remove(i);
        let mut queue = candidate.into_iter();
        replays += 1;
        let label = format!("{label} (shrinking)");
        if let Err(Some(smaller)) = run(shape, new_m, new_r, &label, &mut |_, _| queue.next()) {
            i = i.min(smaller.steps.len());
            failure = smaller;
        }
    }
    failure
}

/// What the program is doing, for the watchdog.
static PROGRESS: Mutex<Option<(Instant, String)>> = Mutex::new(None);

fn progress(doing: String) {
    *PROGRESS.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), doing));
}

/// Ends the program, saying where, if one step takes more than a minute:
/// a call that never returns would hang it otherwise.
fn watchdog() {
    static START: Once = Once::new();
    START.call_once(|| {
        thread::spawn(|| loop {
            thread::sleep(Duration::from_millis(200));
            let progress = PROGRESS.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((since, doing)) = &*progress {
                if since.elapsed() > Duration::from_secs(60) {
                    eprintln!("stuck for a minute at {doing}");
                    std::process::exit(3);
                }
            }
        });
    });
}
