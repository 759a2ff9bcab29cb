//! Runs random single-threaded histories on a `#[chords]` object and on the
//! same join built with the runtime API, step by step, and checks that both
//! answer alike: each call's result or error (with the arguments it hands
//! back), the results of calls made from other threads, and the `Debug`
//! counts of waiting messages.
//!
//! Compiled into `tests/macro_fuzz.rs` and pasted into the programs that
//! test generates, as their module `driver` (with `side`, `steps`, `rules`
//! and `values`).
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
use std::thread;
use std::time::{Duration, Instant};

use chords::{TimeoutError, TryCallError};

use crate::rng::Rng;
use crate::rules::Rules;
use crate::side::{counts, Seen, Side};
use crate::steps::{can_fire, next_step, Op, Step, SPAWNED};

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
