//! One version of an object in a history, with its calls from other
//! threads: each step applied, then waited on until no firing is running.
//!
//! Compiled into `tests/macro_fuzz.rs` and pasted into the programs that
//! test generates, as their module `side`.

use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::driver::{Form, Under};
use crate::steps::{Op, Step};

/// How long the driver waits for a spawned call before it calls it stuck.
const PATIENCE: Duration = Duration::from_secs(10);

/// What a step did, on one version.
#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
    /// The call's result or error; empty for a send or a spawn.
    pub answer: String,
    /// The spawned calls that returned, by number, with their results.
    pub returned: Vec<(usize, String)>,
    /// The `Debug` output, less the struct's name.
    pub state: String,
}

/// A spawned call not yet returned.
pub struct Pending {
    id: usize,
    channel: usize,
    handle: JoinHandle<String>,
}

/// One version and its spawned calls.
pub struct Side<U> {
    pub object: U,
    pub pending: Vec<Pending>,
    /// The spawned calls so far: the next one's number.
    pub spawned: usize,
}

/// The waiting counts in a `Debug` output, in declaration order.
pub fn counts(debug: &str) -> Vec<usize> {
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
    pub fn new(object: U) -> Self {
        Side {
            object,
            pending: Vec::new(),
            spawned: 0,
        }
    }

    pub fn counts(&self) -> Vec<usize> {
        counts(&self.object.debug())
    }

    pub fn apply(&mut self, step: &Step) -> Result<Seen, String> {
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
