//! Seeded random test cases: joins with overlapping chords, repeated terms,
//! rendezvous and token-passing bodies, and the client threads' operations.

use crate::rng::Rng;
use crate::spec::{ChannelKind, ChordSpec, JoinSpec, Op, PatternTerm, Scenario, Wait};

/// The sizes and mix of a kind of test case.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Channels, at least and at most.
    pub channels: (usize, usize),
    /// Chords, at least and at most.
    pub chords: (usize, usize),
    /// The most terms in a pattern (1 to 5).
    pub max_terms: usize,
    /// The most messages one term takes (1 to 3).
    pub max_times: usize,
    /// The most messages a body sends.
    pub max_emits: usize,
    /// Operations of thread 0, which runs first and alone.
    pub init: (usize, usize),
    /// Threads that then run at once.
    pub threads: (usize, usize),
    /// Operations of each of those threads.
    pub ops: (usize, usize),
    /// The ways calls wait, drawn uniformly.
    pub waits: &'static [Wait],
    /// The chance, in percent, that each synchronous channel is called by
    /// one thread only (so that the channels it consumes have one consumer).
    pub owned_calls: usize,
    /// The chance, in percent, of a race case instead of random operations:
    /// thread 0 sends part of each chord's messages, and the threads then
    /// send (or call) the rest at once, so that arrivals race to complete
    /// overlapping chords.
    pub racing: usize,
}

/// Many threads on a join of up to 6 channels and 6 chords.
pub const CONCURRENT: Shape = Shape {
    channels: (1, 6),
    chords: (1, 6),
    max_terms: 5,
    max_times: 3,
    max_emits: 2,
    init: (0, 4),
    threads: (2, 8),
    ops: (2, 14),
    waits: &[
        Wait::Try,
        Wait::Timed(0),
        Wait::Timed(2),
        Wait::Blocking,
        Wait::Blocking,
    ],
    owned_calls: 50,
    racing: 20,
};

/// Thread 0 alone, compared with the model after each operation.
pub const SEQUENTIAL: Shape = Shape {
    channels: (1, 6),
    chords: (1, 6),
    max_terms: 5,
    max_times: 3,
    max_emits: 1,
    init: (4, 40),
    threads: (0, 0),
    ops: (0, 0),
    waits: &[Wait::Try, Wait::Timed(0), Wait::Timed(1)],
    owned_calls: 0,
    racing: 0,
};

/// A few operations at once on a small join: small enough to search every
/// interleaving, run many times each.
pub const LINEARIZABLE: Shape = Shape {
    channels: (2, 4),
    chords: (2, 3),
    max_terms: 3,
    max_times: 2,
    max_emits: 0,
    init: (0, 4),
    threads: (2, 3),
    ops: (1, 2),
    waits: &[Wait::Try, Wait::Timed(1), Wait::Timed(3)],
    owned_calls: 0,
    racing: 60,
};

/// How many messages bodies may send in one run.
const EMIT_BUDGET: u32 = 48;

/// A join of `shape`'s sizes.
pub fn join(rng: &mut Rng, shape: &Shape) -> JoinSpec {
    let n = rng.between(shape.channels.0, shape.channels.1);
    let channels: Vec<ChannelKind> = (0..n)
        .map(|_| match rng.below(100) {
            0..=44 => ChannelKind::Msg,
            45..=64 => ChannelKind::Unit,
            _ => ChannelKind::Sync,
        })
        .collect();
    let asynchronous: Vec<usize> = (0..n).filter(|&c| channels[c].is_async()).collect();
    let chords = (0..rng.between(shape.chords.0, shape.chords.1))
        .map(|_| chord(rng, shape, n, &asynchronous))
        .collect();
    JoinSpec { channels, chords }
}

fn chord(rng: &mut Rng, shape: &Shape, channels: usize, asynchronous: &[usize]) -> ChordSpec {
    // Short patterns are the common case; long ones rarely fire.
    let terms = [1, 1, 2, 2, 2, 3, 3, 4, 5]
        .into_iter()
        .filter(|&t| t <= shape.max_terms)
        .collect::<Vec<_>>();
    let terms: Vec<PatternTerm> = (0..*rng.pick(&terms))
        .map(|_| PatternTerm {
            channel: rng.below(channels),
            times: match rng.below(100) {
                0..=74 => 1,
                75..=92 => 2,
                _ => 3,
            }
            .min(shape.max_times),
        })
        .collect();
    let mut emits = Vec::new();
    if !asynchronous.is_empty() && shape.max_emits > 0 && rng.percent(45) {
        let own: Vec<usize> = terms
            .iter()
            .map(|t| t.channel)
            .filter(|c| asynchronous.contains(c))
            .collect();
        for _ in 0..rng.between(1, shape.max_emits) {
            // Often a token passed back: the body sends what it took.
            emits.push(if !own.is_empty() && rng.percent(60) {
                *rng.pick(&own)
            } else {
                *rng.pick(asynchronous)
            });
        }
    }
    ChordSpec { terms, emits }
}

/// A whole test case of `shape`.
pub fn scenario(rng: &mut Rng, shape: &Shape) -> Scenario {
    let join = join(rng, shape);
    let threads = rng.between(shape.threads.0, shape.threads.1);
    let (init, threads) = if threads > 0 && rng.percent(shape.racing) {
        racing(rng, shape, &join, threads)
    } else {
        random_ops(rng, shape, &join, threads)
    };
    Scenario {
        join,
        init,
        threads,
        emit_budget: EMIT_BUDGET,
    }
}

/// Random operations for thread 0 and `threads` others.
fn random_ops(
    rng: &mut Rng,
    shape: &Shape,
    join: &JoinSpec,
    threads: usize,
) -> (Vec<Op>, Vec<Vec<Op>>) {
    // The thread that alone calls each synchronous channel, if one does.
    let owners: Vec<Option<usize>> = join
        .channels
        .iter()
        .map(|_| (threads > 0 && rng.percent(shape.owned_calls)).then(|| rng.between(1, threads)))
        .collect();
    let init_len = rng.between(shape.init.0, shape.init.1);
    let init = ops(rng, shape, join, &owners, 0, init_len);
    let threads = (1..=threads)
        .map(|t| {
            let len = rng.between(shape.ops.0, shape.ops.1);
            ops(rng, shape, join, &owners, t, len)
        })
        .collect();
    (init, threads)
}

/// A race: thread 0 sends some of each chord's asynchronous messages (each
/// term's with even odds, but one term of each chord always lacks), and the
/// messages and calls each chord still lacks are dealt out to `threads` threads, at most `shape.ops.1` each,
/// which then run at once. Overlapping chords that each lack one message
/// are the cases where priority under concurrency matters.
fn racing(
    rng: &mut Rng,
    shape: &Shape,
    join: &JoinSpec,
    threads: usize,
) -> (Vec<Op>, Vec<Vec<Op>>) {
    let mut init = Vec::new();
    let mut lacking = Vec::new();
    for chord in &join.chords {
        let missing = rng.below(chord.terms.len());
        for (i, term) in chord.terms.iter().enumerate() {
            let kind = join.channels[term.channel];
            let op = match kind.is_async() {
                true => Op::Send(term.channel),
                false => Op::Call(term.channel, *rng.pick(shape.waits)),
            };
            let sent_first = kind.is_async() && i != missing && rng.percent(50);
            let to = if sent_first { &mut init } else { &mut lacking };
            to.extend(std::iter::repeat_n(op, term.times));
        }
    }
    let mut programs = vec![Vec::new(); threads];
    while !lacking.is_empty() {
        let op = lacking.swap_remove(rng.below(lacking.len()));
        let room: Vec<usize> = (0..threads)
            .filter(|&t| programs[t].len() < shape.ops.1)
            .collect();
        if room.is_empty() {
            break;
        }
        programs[*rng.pick(&room)].push(op);
    }
    (init, programs)
}

/// `len` operations of thread `thread`: sends, mostly on channels that some
/// chord holds, and calls on the synchronous channels it may call.
fn ops(
    rng: &mut Rng,
    shape: &Shape,
    join: &JoinSpec,
    owners: &[Option<usize>],
    thread: usize,
    len: usize,
) -> Vec<Op> {
    let used = |c: usize| join.chords.iter().any(|k| k.holds(c));
    let pick = |rng: &mut Rng, candidates: Vec<usize>| -> Option<usize> {
        let preferred: Vec<usize> = candidates.iter().copied().filter(|&c| used(c)).collect();
        match (preferred.is_empty(), candidates.is_empty()) {
            (false, _) if rng.percent(90) => Some(*rng.pick(&preferred)),
            (_, false) => Some(*rng.pick(&candidates)),
            _ => None,
        }
    };
    let n = join.channels.len();
    let sends: Vec<usize> = (0..n).filter(|&c| join.channels[c].is_async()).collect();
    let calls: Vec<usize> = (0..n)
        .filter(|&c| !join.channels[c].is_async())
        .filter(|&c| thread == 0 || owners[c].is_none_or(|o| o == thread))
        .collect();
    (0..len)
        .filter_map(|_| {
            let call = rng.percent(40);
            let call = pick(rng, if call { calls.clone() } else { Vec::new() });
            match call {
                Some(c) => Some(Op::Call(c, *rng.pick(shape.waits))),
                None => pick(rng, sends.clone()).map(Op::Send),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_cases_fit_their_shape_and_replay_from_their_seed() {
        for seed in 0..200 {
            let s = scenario(&mut Rng::new(seed), &CONCURRENT);
            assert_eq!(s, scenario(&mut Rng::new(seed), &CONCURRENT));
            assert!((1..=6).contains(&s.join.channels.len()));
            assert!((1..=6).contains(&s.join.chords.len()));
            assert!((2..=8).contains(&s.threads.len()));
            for k in &s.join.chords {
                assert!((1..=5).contains(&k.terms.len()));
                assert!(k.terms.iter().all(|t| (1..=3).contains(&t.times)));
                assert!(k.emits.iter().all(|&c| s.join.channels[c].is_async()));
            }
            for (_, ops) in s.programs() {
                for op in ops {
                    let kind = s.join.channels[op.channel()];
                    assert_eq!(kind.is_async(), matches!(op, Op::Send(_)), "{op}");
                }
            }
        }
    }
}
