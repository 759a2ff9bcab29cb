//! Linearizability of small concurrent histories (docs/reference.md:
//! "linearizable under concurrency"), lincheck style: some interleaving of
//! the operations' atomic steps, run through the sequential [`Model`], must
//! explain what the run observed.
//!
//! A send is one step (its arrival). A `try_call` is one step. A waiting call
//! is two: its arrival (it fires at once, or queues), and its end (it was
//! taken by a firing, or it withdraws). Thread 0's steps come first. The
//! observation to explain: each call's outcome, how many times each chord
//! fired, and which messages of each channel were consumed. Which firing took
//! which message is not compared: firings that overlap in time may
//! interleave their messages (docs/reference.md, "Per-channel order").

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::check::Failure;
use crate::client::Outcome;
use crate::model::{Model, ModelKey};
use crate::record::{fmt_ids, op_id, Bound, FiringRecord};
use crate::run::Observation;
use crate::spec::{ChannelKind, JoinSpec, Op, Scenario, Wait};

/// The most states one search visits before it gives up undecided.
const MAX_STATES: usize = 1 << 20;

/// What the firings of a history add up to: how many times each chord
/// fired, and per channel the consumed message ids (sorted) or `()` count.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Totals {
    counts: Vec<u32>,
    consumed: Vec<Vec<u64>>,
    units: Vec<usize>,
}

impl Totals {
    fn of(spec: &JoinSpec, firings: &[FiringRecord]) -> Totals {
        let n = spec.channels.len();
        let mut t = Totals {
            counts: vec![0; spec.chords.len()],
            consumed: vec![Vec::new(); n],
            units: vec![0; n],
        };
        for f in firings {
            t.counts[f.chord] += 1;
            for (term, bound) in spec.chords[f.chord].terms.iter().zip(&f.terms) {
                match bound {
                    Bound::Msgs(ids) => t.consumed[term.channel].extend(ids),
                    Bound::Units(k) => t.units[term.channel] += k,
                    Bound::Calls(_) => {}
                }
            }
        }
        t.consumed.iter_mut().for_each(|ids| ids.sort_unstable());
        t
    }

    fn show(&self, spec: &JoinSpec) -> String {
        let fired: Vec<String> = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(k, n)| format!("k{k} x{n}"))
            .collect();
        let consumed: Vec<String> = spec
            .channels
            .iter()
            .enumerate()
            .filter_map(|(c, kind)| match kind {
                ChannelKind::Msg if !self.consumed[c].is_empty() => {
                    Some(format!("c{c} {}", fmt_ids(&self.consumed[c])))
                }
                ChannelKind::Unit if self.units[c] > 0 => {
                    Some(format!("c{c} {}x()", self.units[c]))
                }
                _ => None,
            })
            .collect();
        format!(
            "fired [{}], consumed [{}]",
            fired.join(", "),
            consumed.join(", ")
        )
    }
}

/// Where a thread is: its next operation, and whether that operation is a
/// call that has arrived and waits.
type Pc = (usize, bool);

struct Search<'a> {
    programs: Vec<&'a [Op]>,
    outcomes: HashMap<(usize, usize), Outcome>,
    target: Totals,
    spec: &'a JoinSpec,
    /// Whether a failed `try_call` may be a no-op even where a chord could
    /// fire (to tell that failure apart).
    spurious_try: bool,
    /// Whether to prune on chord counts beyond the target (off to collect
    /// the totals the model can reach, for the report).
    prune: bool,
    seen: HashSet<(Vec<Pc>, ModelKey)>,
    reachable: HashSet<Totals>,
}

impl Search<'_> {
    fn explains(&mut self, model: &Model, pcs: &[Pc]) -> bool {
        if self.seen.len() > MAX_STATES || !self.seen.insert((pcs.to_vec(), model.key())) {
            return false;
        }
        if self.prune
            && model
                .counts()
                .iter()
                .zip(&self.target.counts)
                .any(|(m, t)| m > t)
        {
            return false;
        }
        let done = |t: usize| pcs[t].0 == self.programs[t].len();
        if (0..pcs.len()).all(done) {
            let totals = Totals::of(self.spec, model.fired());
            let matched = totals == self.target;
            self.reachable.insert(totals);
            return matched;
        }
        let movable: Vec<usize> = if done(0) {
            (1..pcs.len()).filter(|&t| !done(t)).collect()
        } else {
            vec![0]
        };
        for t in movable {
            for (next, pc) in self.steps(model, t, pcs[t]) {
                let mut pcs = pcs.to_vec();
                pcs[t] = pc;
                if self.explains(&next, &pcs) {
                    return true;
                }
            }
        }
        false
    }

    /// The states thread `t`'s next step can lead to, given its observed
    /// outcome.
    fn steps(&self, model: &Model, t: usize, (pc, waiting): Pc) -> Vec<(Model, Pc)> {
        let op = self.programs[t][pc];
        let id = op_id(t, pc);
        let answered = matches!(self.outcomes[&(t, pc)], Outcome::Answered(_));
        let next = (pc + 1, false);
        let mut m = model.clone();
        match op {
            Op::Send(c) => {
                m.send(c, id);
                vec![(m, next)]
            }
            Op::Call(c, Wait::Try) => {
                let fired = m.try_call(c, id).is_some();
                let mut steps = Vec::new();
                if fired == answered {
                    steps.push((m, next));
                }
                if self.spurious_try && fired && !answered {
                    steps.push((model.clone(), next));
                }
                steps
            }
            Op::Call(c, _) if !waiting => match (m.call(c, id), answered) {
                (Some(_), true) => vec![(m, next)],
                (Some(_), false) => Vec::new(),
                (None, _) => vec![(m, (pc, true))],
            },
            Op::Call(c, _) => match (m.answer(id), answered) {
                (Some(_), true) => vec![(m, next)],
                (None, false) => {
                    m.withdraw(c, id);
                    vec![(m, next)]
                }
                _ => Vec::new(),
            },
        }
    }
}

/// Whether some interleaving explains `observation`; the failure says what
/// was observed and what the model can reach.
pub fn check(scenario: &Scenario, observation: &Observation) -> Result<(), Failure> {
    let spec = Arc::new(scenario.join.clone());
    let programs: Vec<&[Op]> = scenario.programs().map(|(_, ops)| ops).collect();
    let search = |spurious_try, prune| {
        let mut s = Search {
            programs: programs.clone(),
            outcomes: observation
                .events
                .iter()
                .map(|e| ((e.thread, e.index), e.outcome))
                .collect(),
            target: Totals::of(&spec, &observation.firings),
            spec: &spec,
            spurious_try,
            prune,
            seen: HashSet::new(),
            reachable: HashSet::new(),
        };
        let model = Model::new(Arc::clone(&spec), scenario.emit_budget);
        let explained = s.explains(&model, &vec![(0, false); programs.len()]);
        (explained || s.seen.len() > MAX_STATES, s)
    };
    if search(false, true).0 {
        return Ok(());
    }
    let observed = Totals::of(&spec, &observation.firings);
    let events: Vec<String> = observation.events.iter().map(|e| e.to_string()).collect();
    let history = format!(
        "observed {}\n  operations: {}",
        observed.show(&spec),
        events.join("; ")
    );
    if search(true, true).0 {
        return Err(Failure::new(
            "try_call_spurious",
            format!(
                "a try_call failed although, at every point where it could take effect, \
                 a chord could fire with it (docs/reference.md, `try_`); {history}"
            ),
        ));
    }
    let (_, all) = search(false, false);
    let mut reachable: Vec<String> = all.reachable.iter().map(|t| t.show(&spec)).collect();
    reachable.sort();
    reachable.truncate(8);
    Err(Failure::new(
        "linearizable",
        format!(
            "no interleaving of the operations explains the run; {history}\n  \
             interleavings with the same call outcomes reach: {}",
            if reachable.is_empty() {
                "none".to_string()
            } else {
                reachable.join(" | ")
            }
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Event;
    use crate::spec::{ChordSpec, PatternTerm};

    fn term(channel: usize) -> PatternTerm {
        PatternTerm { channel, times: 1 }
    }

    /// Channels c (0), e (1), a (2), s (3, synchronous); `k0 = c & e`,
    /// `k1 = a & c`, `k2 = s & e`. Thread 0 sends e; then thread 1 sends c
    /// while thread 2 sends a, and thread 3 tries s.
    fn case() -> Scenario {
        Scenario {
            join: JoinSpec {
                channels: vec![
                    ChannelKind::Msg,
                    ChannelKind::Msg,
                    ChannelKind::Msg,
                    ChannelKind::Sync,
                ],
                chords: vec![
                    ChordSpec {
                        terms: vec![term(0), term(1)],
                        emits: vec![],
                    },
                    ChordSpec {
                        terms: vec![term(2), term(0)],
                        emits: vec![],
                    },
                    ChordSpec {
                        terms: vec![term(3), term(1)],
                        emits: vec![],
                    },
                ],
            },
            init: vec![Op::Send(1)],
            threads: vec![
                vec![Op::Send(0)],
                vec![Op::Send(2)],
                vec![Op::Call(3, Wait::Try)],
            ],
            emit_budget: 0,
        }
    }

    fn observed(chord: usize, msgs: [u64; 2], try_outcome: Outcome) -> Observation {
        let ops = [
            (0, Op::Send(1)),
            (1, Op::Send(0)),
            (2, Op::Send(2)),
            (3, Op::Call(3, Wait::Try)),
        ];
        let events = ops
            .iter()
            .map(|&(thread, op)| Event {
                thread,
                index: 0,
                op,
                id: op_id(thread, 0),
                outcome: match op {
                    Op::Send(_) => Outcome::Sent,
                    Op::Call(..) => try_outcome,
                },
            })
            .collect();
        Observation {
            events,
            firings: vec![FiringRecord {
                id: 1,
                chord,
                terms: vec![Bound::Msgs(vec![msgs[0]]), Bound::Msgs(vec![msgs[1]])],
                emits: vec![],
            }],
            waiting: vec![0, 0, 0, 0],
            drained: vec![],
        }
    }

    #[test]
    fn a_run_some_interleaving_explains_passes() {
        let refused = Outcome::Refused(op_id(3, 0));
        let o = observed(0, [op_id(1, 0), op_id(0, 0)], refused);
        assert_eq!(check(&case(), &o), Ok(()));
    }

    /// The priority race of two arrivals: whichever comes first, `k0` fires
    /// (docs/reference.md, "Priority"), never `k1`.
    #[test]
    fn a_later_chord_winning_a_race_is_caught() {
        let refused = Outcome::Refused(op_id(3, 0));
        let o = observed(1, [op_id(2, 0), op_id(1, 0)], refused);
        let failure = check(&case(), &o).unwrap_err();
        assert_eq!(failure.check, "linearizable");
        assert!(
            failure.message.contains("reach: fired [k0 x1]"),
            "{failure}"
        );
    }

    /// Without thread 1's c, e stays queued whatever the order, so the try on
    /// s must fire k2: its failure is told apart as spurious.
    #[test]
    fn a_try_call_failing_spuriously_is_told_apart() {
        let mut s = case();
        s.threads[0].clear();
        let mut o = observed(0, [0, 0], Outcome::Refused(op_id(3, 0)));
        o.firings.clear();
        o.events.remove(1);
        let failure = check(&s, &o).unwrap_err();
        assert_eq!(failure.check, "try_call_spurious", "{failure}");
    }
}
