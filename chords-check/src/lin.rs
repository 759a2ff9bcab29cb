//! Linearizability of small concurrent histories (docs/reference.md:
//! "linearizable under concurrency"), lincheck style: some interleaving of
//! the operations' atomic steps, run through the sequential [`Model`], must
//! explain what the run observed.
//!
//! A send is one step (its arrival). A `try_call` is one step. A waiting call
//! is two: its arrival (it fires at once, or queues), and its end (it was
//! taken by a firing, or it withdraws). Thread 0's steps come first. The
//! arrivals of several threads (sends, and calls arriving) may also take
//! effect together, as one step ([`Model::arrive_together`]): the reference
//! docs allow arrivals that overlap in time to be matched as one. The
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
        for &t in &movable {
            for (next, pc) in self.steps(model, t, pcs[t]) {
                let mut pcs = pcs.to_vec();
                pcs[t] = pc;
                if self.explains(&next, &pcs) {
                    return true;
                }
            }
        }
        // Arrivals of two or more threads at once.
        let arriving: Vec<usize> = movable.into_iter().filter(|&t| !pcs[t].1).collect();
        for group in 0..1usize << arriving.len() {
            if group.count_ones() < 2 {
                continue;
            }
            let threads: Vec<usize> = (0..arriving.len())
                .filter(|i| group >> i & 1 == 1)
                .map(|i| arriving[i])
                .collect();
            if let Some((next, pcs)) = self.together(model, pcs, &threads) {
                if self.explains(&next, &pcs) {
                    return true;
                }
            }
        }
        false
    }

    /// The arrivals of `threads` taking effect together, if the outcome each
    /// call observed allows it.
    fn together(&self, model: &Model, pcs: &[Pc], threads: &[usize]) -> Option<(Model, Vec<Pc>)> {
        let mut m = model.clone();
        let arrivals: Vec<(usize, u64)> = threads
            .iter()
            .map(|&t| {
                let (Op::Send(c) | Op::Call(c, _)) = self.programs[t][pcs[t].0];
                (c, op_id(t, pcs[t].0))
            })
            .collect();
        m.arrive_together(&arrivals);
        let mut pcs = pcs.to_vec();
        for (&t, &(c, id)) in threads.iter().zip(&arrivals) {
            let pc = pcs[t].0;
            let answered = matches!(self.outcomes[&(t, pc)], Outcome::Answered(_));
            pcs[t] = match self.programs[t][pc] {
                Op::Send(_) => (pc + 1, false),
                Op::Call(_, Wait::Try) => {
                    let fired = m.answer(id).is_some();
                    if fired != answered {
                        return None;
                    }
                    if !fired {
                        m.withdraw(c, id);
                    }
                    (pc + 1, false)
                }
                Op::Call(..) => match (m.answer(id), answered) {
                    (Some(_), true) => (pc + 1, false),
                    (Some(_), false) => return None,
                    (None, _) => (pc, true),
                },
            };
        }
        Some((m, pcs))
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

    /// `k0 = [c; 2]` declared before `k1 = c`; threads 1 and 2 each send a
    /// `c` at once, with `firings` observed.
    fn overlapping_sends(firings: Vec<FiringRecord>) -> (Scenario, Observation) {
        let scenario = Scenario {
            join: JoinSpec {
                channels: vec![ChannelKind::Msg],
                chords: vec![
                    ChordSpec {
                        terms: vec![PatternTerm {
                            channel: 0,
                            times: 2,
                        }],
                        emits: vec![],
                    },
                    ChordSpec {
                        terms: vec![term(0)],
                        emits: vec![],
                    },
                ],
            },
            init: vec![],
            threads: vec![vec![Op::Send(0)], vec![Op::Send(0)]],
            emit_budget: 0,
        };
        let events = (1..=2)
            .map(|thread| Event {
                thread,
                index: 0,
                op: Op::Send(0),
                id: op_id(thread, 0),
                outcome: Outcome::Sent,
            })
            .collect();
        let observation = Observation {
            events,
            firings,
            waiting: vec![0],
            drained: vec![],
        };
        (scenario, observation)
    }

    fn firing(id: u64, chord: usize, msgs: &[u64]) -> FiringRecord {
        FiringRecord {
            id,
            chord,
            terms: vec![Bound::Msgs(msgs.to_vec())],
            emits: vec![],
        }
    }

    /// One at a time, each `c` fires `k1`; arriving together, the two fire
    /// `k0` (docs/reference.md, "Progress"): both are explained.
    #[test]
    fn overlapping_sends_may_take_effect_together() {
        let (a, b) = (op_id(1, 0), op_id(2, 0));
        let (s, o) = overlapping_sends(vec![firing(1, 1, &[a]), firing(2, 1, &[b])]);
        assert_eq!(check(&s, &o), Ok(()));
        let (s, o) = overlapping_sends(vec![firing(1, 0, &[a, b])]);
        assert_eq!(check(&s, &o), Ok(()));
    }

    /// Together or not, the two `c`s are consumed: `k1` firing once is
    /// explained by no order.
    #[test]
    fn a_send_left_unmatched_is_caught() {
        let (s, o) = overlapping_sends(vec![firing(1, 1, &[op_id(1, 0)])]);
        let failure = check(&s, &o).unwrap_err();
        assert_eq!(failure.check, "linearizable", "{failure}");
    }
}
