//! Single-threaded histories against the model, operation by operation.
//!
//! Thread 0 alone runs the operations; after each, it waits until the
//! asynchronous firings the model expects have logged (so that nothing is in
//! flight), then compares: the same chords fired, in the same order, with
//! the same message ids, calls and sent messages, and the call had the same
//! outcome. This checks priority ("the first declared fires"), eagerness and
//! per-channel order exactly. Bodies send at most one message each in these
//! cases, so that the firings of one operation form a chain, in one order.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::check::{check_all, Failure};
use crate::client::{Event, Outcome};
use crate::model::Model;
use crate::record::{Bound, FiringRecord, Recorder};
use crate::run::{run, Observation, Observer, SETTLE};
use crate::spec::{ChannelKind, JoinSpec, Op, Scenario};

const CHECK: &str = "sequential_model";

/// The model, stepped along with thread 0.
struct Oracle {
    model: Model,
    spec: Arc<JoinSpec>,
}

impl Observer for Oracle {
    fn after(&mut self, recorder: &Recorder, event: &Event) -> Result<(), Failure> {
        let before = self.model.fired().len();
        let expected = match event.op {
            Op::Send(c) => {
                self.model.send(c, event.id);
                Outcome::Sent
            }
            Op::Call(c, _) => match self.model.try_call(c, event.id) {
                Some(firing) => Outcome::Answered(firing),
                None => Outcome::Refused(event.id),
            },
        };
        let want = self.model.fired().len();
        let deadline = Instant::now() + SETTLE;
        while recorder.logged() < want && Instant::now() < deadline {
            thread::sleep(Duration::from_micros(50));
        }
        let log = recorder.snapshot();
        let model = &self.model.fired()[before..];
        let engine = log.get(before..).unwrap_or(&[]);
        if event.outcome != expected || engine != model {
            let fired = |firings: &[FiringRecord]| -> String {
                let shown: Vec<String> = firings.iter().map(|f| f.show(&self.spec)).collect();
                if shown.is_empty() {
                    "nothing fired".to_string()
                } else {
                    shown.join("; ")
                }
            };
            return Err(Failure::new(
                CHECK,
                format!(
                    "after {event}: the model expects {expected:?} and {}; the join gave {:?} and {}",
                    fired(model),
                    event.outcome,
                    fired(engine)
                ),
            ));
        }
        Ok(())
    }
}

/// Runs `scenario`'s thread 0 (its only thread) against the model, then the
/// checks of every run, then compares what the drain took with the model's
/// queues.
pub fn check(scenario: &Scenario) -> Result<Observation, Failure> {
    assert!(
        scenario.threads.is_empty(),
        "a sequential case has thread 0 only"
    );
    let spec = Arc::new(scenario.join.clone());
    let oracle = Arc::new(Mutex::new(Oracle {
        model: Model::new(Arc::clone(&spec), scenario.emit_budget),
        spec,
    }));
    let observation = run(scenario, Some(oracle.clone()))?;
    check_all(scenario, &observation)?;
    let oracle = oracle.lock().unwrap_or_else(|e| e.into_inner());
    let model = &oracle.model;
    if observation.firings != model.fired() {
        return Err(Failure::new(
            CHECK,
            format!(
                "after the last operation the join logged {} firings, the model {}",
                observation.firings.len(),
                model.fired().len()
            ),
        ));
    }
    for (c, kind) in scenario.join.channels.iter().enumerate() {
        let queued = model.queued(c);
        let same = match (&observation.drained[c], kind) {
            (Bound::Msgs(ids), ChannelKind::Msg) => ids.iter().eq(queued.iter()),
            (Bound::Units(n), ChannelKind::Unit) => *n == queued.len(),
            (_, ChannelKind::Sync) => queued.is_empty(),
            _ => false,
        };
        if !same {
            return Err(Failure::new(
                CHECK,
                format!(
                    "at the end c{c} held {:?}, the model's c{c} {:?}",
                    observation.drained[c], queued
                ),
            ));
        }
    }
    Ok(observation)
}
