//! Shrinking a failing case: drop threads, chords, channels, operations,
//! terms and sent messages while the same check still fails.

use std::time::Instant;

use crate::check::Failure;
use crate::spec::{JoinSpec, Op, Scenario, Wait};

/// The smaller cases one step away from `s`, the biggest cuts first.
pub fn candidates(s: &Scenario) -> Vec<Scenario> {
    let mut out = Vec::new();
    for t in 0..s.threads.len() {
        let mut c = s.clone();
        c.threads.remove(t);
        out.push(c);
    }
    for k in 0..s.join.chords.len() {
        let mut c = s.clone();
        c.join.chords.remove(k);
        out.push(c);
    }
    for ch in 0..s.join.channels.len() {
        out.push(without_channel(s, ch));
    }
    for t in 0..=s.threads.len() {
        let len = program(s, t).len();
        // Halves first, then single operations.
        if len > 1 {
            out.push(with_program(s, t, |ops| ops.truncate(len / 2)));
            out.push(with_program(s, t, |ops| {
                ops.drain(..len / 2);
            }));
        }
        for i in 0..len {
            out.push(with_program(s, t, |ops| {
                ops.remove(i);
            }));
        }
    }
    for k in 0..s.join.chords.len() {
        let chord = &s.join.chords[k];
        for i in 0..chord.terms.len() {
            let mut c = s.clone();
            if chord.terms.len() > 1 {
                c.join.chords[k].terms.remove(i);
                out.push(c.clone());
            }
            if chord.terms[i].times > 1 {
                let mut c = s.clone();
                c.join.chords[k].terms[i].times -= 1;
                out.push(c);
            }
        }
        for i in 0..chord.emits.len() {
            let mut c = s.clone();
            c.join.chords[k].emits.remove(i);
            out.push(c);
        }
    }
    // Calls that give up at once: shorter runs, simpler schedules.
    for t in 0..=s.threads.len() {
        for (i, op) in program(s, t).iter().enumerate() {
            if let Op::Call(c, wait) = *op {
                if wait != Wait::Try {
                    out.push(with_program(s, t, |ops| ops[i] = Op::Call(c, Wait::Try)));
                }
            }
        }
    }
    out
}

/// Thread `t`'s operations (0: the ones that run first).
fn program(s: &Scenario, t: usize) -> &[Op] {
    if t == 0 {
        &s.init
    } else {
        &s.threads[t - 1]
    }
}

fn with_program(s: &Scenario, t: usize, edit: impl FnOnce(&mut Vec<Op>)) -> Scenario {
    let mut c = s.clone();
    edit(if t == 0 {
        &mut c.init
    } else {
        &mut c.threads[t - 1]
    });
    c
}

/// `s` without channel `ch`: its terms, the chords left with none, the
/// messages bodies sent on it and the operations on it go; later channels
/// move down by one.
pub fn without_channel(s: &Scenario, ch: usize) -> Scenario {
    let renumber = |c: usize| if c > ch { c - 1 } else { c };
    let mut channels = s.join.channels.clone();
    channels.remove(ch);
    let chords = s
        .join
        .chords
        .iter()
        .filter_map(|k| {
            let mut k = k.clone();
            k.terms.retain(|t| t.channel != ch);
            k.terms
                .iter_mut()
                .for_each(|t| t.channel = renumber(t.channel));
            k.emits.retain(|&c| c != ch);
            k.emits.iter_mut().for_each(|c| *c = renumber(*c));
            (!k.terms.is_empty()).then_some(k)
        })
        .collect();
    let ops = |ops: &[Op]| -> Vec<Op> {
        ops.iter()
            .filter(|op| op.channel() != ch)
            .map(|op| op.with_channel(renumber(op.channel())))
            .collect()
    };
    Scenario {
        join: JoinSpec { channels, chords },
        init: ops(&s.init),
        threads: s.threads.iter().map(|t| ops(t)).collect(),
        emit_budget: s.emit_budget,
    }
}

/// The result of [`shrink`].
pub struct Shrunk {
    /// The smallest case found that fails the same check.
    pub scenario: Scenario,
    /// Its failure.
    pub failure: Failure,
    /// How many smaller cases were tried.
    pub tried: usize,
}

/// Shrinks `scenario`, which failed with `failure`: greedily takes the first
/// candidate for which `fails` reports a failure of the same check, until no
/// candidate fails or `deadline` passes. `fails` should run a candidate
/// several times: schedules are not deterministic.
pub fn shrink(
    scenario: &Scenario,
    failure: Failure,
    deadline: Instant,
    mut fails: impl FnMut(&Scenario) -> Option<Failure>,
) -> Shrunk {
    let mut best = Shrunk {
        scenario: scenario.clone(),
        failure,
        tried: 0,
    };
    'smaller: while Instant::now() < deadline {
        for candidate in candidates(&best.scenario) {
            if Instant::now() >= deadline {
                break 'smaller;
            }
            best.tried += 1;
            if let Some(f) = fails(&candidate).filter(|f| f.check == best.failure.check) {
                best.scenario = candidate;
                best.failure = f;
                continue 'smaller;
            }
        }
        break;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{scenario, CONCURRENT};
    use crate::rng::Rng;
    use crate::spec::ChannelKind;
    use std::time::Duration;

    #[test]
    fn removing_a_channel_renumbers_the_rest() {
        for seed in 0..50 {
            let s = scenario(&mut Rng::new(seed), &CONCURRENT);
            for ch in 0..s.join.channels.len() {
                let c = without_channel(&s, ch);
                let n = c.join.channels.len();
                assert_eq!(n + 1, s.join.channels.len());
                for k in &c.join.chords {
                    assert!(!k.terms.is_empty());
                    assert!(k.terms.iter().all(|t| t.channel < n));
                    assert!(k.emits.iter().all(|&e| c.join.channels[e].is_async()));
                }
                for (_, ops) in c.programs() {
                    assert!(ops.iter().all(|op| op.channel() < n));
                }
            }
        }
    }

    /// A planted "bug": any case with a chord of two or more terms that
    /// holds a synchronous channel, and a call on it, fails.
    #[test]
    fn shrinking_finds_a_small_failing_case() {
        let planted = |s: &Scenario| -> Option<Failure> {
            let sync = |c: usize| s.join.channels[c] == ChannelKind::Sync;
            let chord = s
                .join
                .chords
                .iter()
                .any(|k| k.terms.len() >= 2 && k.terms.iter().any(|t| sync(t.channel)));
            let call = s
                .programs()
                .any(|(_, ops)| ops.iter().any(|op| matches!(op, Op::Call(..))));
            (chord && call).then(|| Failure::new("planted", "a synchronous chord was called"))
        };
        let (s, failure) = (0..)
            .map(|seed| scenario(&mut Rng::new(seed), &CONCURRENT))
            .find_map(|s| planted(&s).map(|f| (s, f)))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let shrunk = shrink(&s, failure, deadline, planted);
        let m = &shrunk.scenario;
        assert_eq!(m.join.chords.len(), 1, "{m}");
        assert_eq!(m.join.chords[0].terms.len(), 2, "{m}");
        assert!(m.join.channels.len() <= 2, "{m}");
        assert_eq!(m.op_count(), 1, "{m}");
        assert!(m.threads.len() <= 1, "{m}");
    }
}
