//! The random steps of a history: sends, calls of each form, calls from
//! threads of their own, chosen so that chords fire often.
//!
//! Compiled into `tests/macro_fuzz.rs` and pasted into the programs that
//! test generates, as their module `steps`.

use crate::driver::{Form, Shape};
use crate::rng::Rng;

#[derive(Clone, Debug)]
pub enum Op {
    Send,
    Call(Form),
    /// A blocking call from a thread of its own.
    Spawn,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub op: Op,
    pub channel: usize,
    pub args: Vec<u64>,
}

impl Step {
    pub fn show(&self, shape: &Shape) -> String {
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

/// Whether a chord can fire with one more call of `channel`, given the
/// waiting counts.
pub fn can_fire(shape: &Shape, counts: &[usize], channel: usize) -> bool {
    shape.chords.iter().any(|needs| {
        needs.iter().any(|&(c, _)| c == channel)
            && needs
                .iter()
                .all(|&(c, n)| counts[c] + usize::from(c == channel) >= n as usize)
    })
}

/// The most spawned calls waiting at once.
pub const SPAWNED: usize = 8;

/// The next random step, given the waiting counts and the spawned calls
/// still waiting. Half the steps bring some chord nearer to firing: a
/// message it lacks, sent, or a call it lacks, spawned.
pub fn next_step(shape: &Shape, rng: &mut Rng, counts: &[usize], pending: usize) -> Step {
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
