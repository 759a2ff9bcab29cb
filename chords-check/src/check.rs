//! The firing rules of `docs/reference.md`, as named predicates over one
//! run's [`Observation`].

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::client::{Event, Outcome};
use crate::record::{emit_id, fmt_id, fmt_ids, sender, Bound, FiringRecord};
use crate::run::Observation;
use crate::spec::{ChannelKind, Op, Scenario};

/// A check that failed: its name and what it saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The check's name, e.g. `consumed_once`.
    pub check: &'static str,
    /// What was wrong, with the ids and firings involved.
    pub message: String,
}

impl Failure {
    /// A failure of `check`.
    pub fn new(check: &'static str, message: impl Into<String>) -> Self {
        Failure {
            check,
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "check `{}` failed: {}", self.check, self.message)
    }
}

/// A predicate: `Err` says what broke the rule.
type Predicate = fn(&Scenario, &Observation) -> Result<(), String>;

/// The checks every run gets, in the order they are tried.
pub const CHECKS: &[(&str, Predicate)] = &[
    ("consumed_once", consumed_once),
    ("firing_pattern", firing_pattern),
    ("calls_answered", calls_answered),
    ("conservation", conservation),
    ("firing_order", firing_order),
    ("channel_order", channel_order),
    ("shadowed_never_fires", shadowed_never_fires),
    ("eager", eager),
];

/// Runs every check of [`CHECKS`] on one run; the first that fails.
pub fn check_all(scenario: &Scenario, observation: &Observation) -> Result<(), Failure> {
    for &(name, predicate) in CHECKS {
        predicate(scenario, observation).map_err(|m| Failure::new(name, m))?;
    }
    Ok(())
}

/// Every message id a run's firings and drain consumed, with where.
fn consumptions(o: &Observation) -> Vec<(u64, String)> {
    let mut all = Vec::new();
    for f in &o.firings {
        for bound in &f.terms {
            if let Bound::Msgs(ids) = bound {
                all.extend(ids.iter().map(|&id| (id, format!("f{}", f.id))));
            }
        }
    }
    for (c, bound) in o.drained.iter().enumerate() {
        if let Bound::Msgs(ids) = bound {
            all.extend(ids.iter().map(|&id| (id, format!("the drain of c{c}"))));
        }
    }
    all
}

/// **Atomic** (docs/reference.md, "Atomic"): a message is consumed by at most
/// one firing (or the drain, afterwards).
fn consumed_once(_: &Scenario, o: &Observation) -> Result<(), String> {
    let mut seen: HashMap<u64, String> = HashMap::new();
    for (id, place) in consumptions(o) {
        if let Some(before) = seen.insert(id, place.clone()) {
            return Err(format!(
                "message {} was consumed twice: by {before} and by {place}",
                fmt_id(id)
            ));
        }
    }
    Ok(())
}

/// The channel each message was sent on, by id: clients' and bodies'.
fn sent_on(o: &Observation) -> HashMap<u64, usize> {
    let clients = o.events.iter().filter_map(|e| match e.op {
        Op::Send(c) => Some((e.id, c)),
        Op::Call(..) => None,
    });
    let bodies = o
        .firings
        .iter()
        .flat_map(|f| f.emits.iter().map(|&(c, id)| (id, c)));
    clients.chain(bodies).collect()
}

/// The client calls, by id.
fn calls(o: &Observation) -> HashMap<u64, &Event> {
    o.events
        .iter()
        .filter(|e| matches!(e.op, Op::Call(..)))
        .map(|e| (e.id, e))
        .collect()
}

/// **Atomic**: each firing took exactly its chord's pattern — a binding per
/// term, of the term's kind and count, each message or call from the
/// term's channel — and sent what its body sends.
fn firing_pattern(s: &Scenario, o: &Observation) -> Result<(), String> {
    let sent = sent_on(o);
    let calls = calls(o);
    for f in &o.firings {
        let show = || f.show(&s.join);
        let chord = s
            .join
            .chords
            .get(f.chord)
            .ok_or_else(|| format!("{} names no chord of the join", show()))?;
        if chord.terms.len() != f.terms.len() {
            return Err(format!(
                "{}: k{} has {} terms",
                show(),
                f.chord,
                chord.terms.len()
            ));
        }
        for (i, (term, bound)) in chord.terms.iter().zip(&f.terms).enumerate() {
            let c = term.channel;
            let fits = match (s.join.channels[c], bound) {
                (ChannelKind::Msg, Bound::Msgs(ids)) => {
                    ids.len() == term.times && ids.iter().all(|id| sent.get(id) == Some(&c))
                }
                (ChannelKind::Unit, Bound::Units(n)) => *n == term.times,
                (ChannelKind::Sync, Bound::Calls(ids)) => {
                    ids.len() == term.times
                        && ids
                            .iter()
                            .all(|id| calls.get(id).is_some_and(|e| e.op.channel() == c))
                }
                _ => false,
            };
            if !fits {
                return Err(format!(
                    "{}: term {i} should take {} of c{c}'s messages",
                    show(),
                    term.times
                ));
            }
        }
        let expected = chord
            .emits
            .iter()
            .enumerate()
            .map(|(k, &c)| (c, emit_id(f.id, k)));
        if !f.emits.iter().copied().eq(expected.take(f.emits.len())) {
            return Err(format!(
                "{}: its body should send on {:?}",
                show(),
                chord.emits
            ));
        }
    }
    Ok(())
}

/// **Synchronous calls** (docs/reference.md, "`try_`, `_timeout`,
/// `_deadline`"): a call that returned appears in exactly one firing, the
/// one whose id it returned; a call that failed or timed out appears in none
/// and got its own argument back.
fn calls_answered(s: &Scenario, o: &Observation) -> Result<(), String> {
    let mut taken: HashMap<u64, Vec<&FiringRecord>> = HashMap::new();
    for f in &o.firings {
        for bound in &f.terms {
            if let Bound::Calls(ids) = bound {
                for &id in ids {
                    taken.entry(id).or_default().push(f);
                }
            }
        }
    }
    let calls = calls(o);
    for (&id, firings) in &taken {
        let shown: Vec<String> = firings.iter().map(|f| f.show(&s.join)).collect();
        if !calls.contains_key(&id) {
            return Err(format!(
                "{} took call {}, which no client made",
                shown.join("; "),
                fmt_id(id)
            ));
        }
        if firings.len() > 1 {
            return Err(format!(
                "call {} was taken by several firings: {}",
                fmt_id(id),
                shown.join("; ")
            ));
        }
    }
    for (&id, event) in &calls {
        let firing = taken.get(&id).map(|f| f[0]);
        match (event.outcome, firing) {
            (Outcome::Answered(r), Some(f)) if r == f.id => {}
            (Outcome::Answered(r), _) => {
                return Err(format!(
                    "call {event} returned f{r}, but {}",
                    firing.map_or("no firing took it".to_string(), |f| {
                        format!("it was taken by {}", f.show(&s.join))
                    })
                ))
            }
            (Outcome::Refused(arg), None) if arg == id => {}
            (Outcome::Refused(_), Some(f)) => {
                return Err(format!(
                    "call {event} failed, yet {} took it",
                    f.show(&s.join)
                ))
            }
            (Outcome::Refused(arg), None) => {
                return Err(format!(
                    "call {event} failed and handed back {} instead of its argument",
                    fmt_id(arg)
                ))
            }
            (Outcome::Sent, _) => unreachable!("a call's outcome"),
        }
    }
    Ok(())
}

/// **No message lost**: every message sent, by a client or a body, was
/// consumed by a firing or taken by the drain afterwards; and the drain took
/// exactly what was waiting.
fn conservation(s: &Scenario, o: &Observation) -> Result<(), String> {
    let consumed: HashSet<u64> = consumptions(o).into_iter().map(|(id, _)| id).collect();
    let mut lost: Vec<u64> = sent_on(o)
        .into_iter()
        .filter(|&(id, c)| s.join.channels[c] == ChannelKind::Msg && !consumed.contains(&id))
        .map(|(id, _)| id)
        .collect();
    if !lost.is_empty() {
        lost.sort_unstable();
        return Err(format!(
            "messages {} were sent but never consumed, nor left queued",
            fmt_ids(&lost)
        ));
    }
    let sent_on = sent_on(o);
    for (c, bound) in o.drained.iter().enumerate() {
        if let Bound::Msgs(ids) = bound {
            if let Some(id) = ids.iter().find(|id| sent_on.get(id) != Some(&c)) {
                return Err(format!(
                    "the drain of c{c} took {}, not sent on c{c}",
                    fmt_id(*id)
                ));
            }
        }
    }
    let sent = crate::run::sent_counts(s.join.channels.len(), &o.events, &o.firings);
    let taken = crate::run::consumed_counts(s, &o.firings);
    for (c, kind) in s.join.channels.iter().enumerate() {
        let drained = match &o.drained[c] {
            Bound::Msgs(ids) => ids.len(),
            Bound::Units(n) => *n,
            Bound::Calls(_) => continue,
        };
        if drained != o.waiting[c] {
            return Err(format!(
                "c{c}: {} messages waited at quiescence, but the drain took {drained}",
                o.waiting[c]
            ));
        }
        if *kind == ChannelKind::Unit && sent[c] != taken[c] + drained {
            return Err(format!(
                "c{c}: {} `()` messages sent, {} consumed by firings and {drained} drained",
                sent[c], taken[c]
            ));
        }
    }
    Ok(())
}

/// The messages of channel `c` one firing took, in term order.
fn taken_from(s: &Scenario, f: &FiringRecord, c: usize) -> Vec<u64> {
    let Some(chord) = s.join.chords.get(f.chord) else {
        return Vec::new();
    };
    chord
        .terms
        .iter()
        .zip(&f.terms)
        .filter(|(t, _)| t.channel == c)
        .flat_map(|(_, b)| match b {
            Bound::Msgs(ids) => ids.clone(),
            _ => Vec::new(),
        })
        .collect()
}

/// The first pair of messages of one sender out of send order in `ids`.
fn out_of_order(ids: &[u64]) -> Option<(u64, u64)> {
    let mut last: HashMap<u64, u64> = HashMap::new();
    for &id in ids {
        if let Some(before) = last.insert(sender(id), id) {
            if before > id {
                return Some((before, id));
            }
        }
    }
    None
}

/// **Per-channel order** (docs/reference.md): "each firing's messages still
/// in order" — within one firing, each sender's messages of a channel come
/// in the order they were sent (terms in pattern order, repeated terms
/// oldest first), even when overlapping firings interleave.
fn firing_order(s: &Scenario, o: &Observation) -> Result<(), String> {
    for f in &o.firings {
        for c in 0..s.join.channels.len() {
            if let Some((a, b)) = out_of_order(&taken_from(s, f, c)) {
                return Err(format!(
                    "{} took c{c}'s {} before {}, which was sent earlier",
                    f.show(&s.join),
                    fmt_id(a),
                    fmt_id(b)
                ));
            }
        }
    }
    Ok(())
}

/// The `u64` channels whose firings never overlap: every chord holding them
/// has a synchronous term, and one concurrent client at most calls those
/// synchronous channels (thread 0 runs before the others).
pub fn single_consumer_channels(s: &Scenario) -> Vec<usize> {
    (0..s.join.channels.len())
        .filter(|&c| s.join.channels[c] == ChannelKind::Msg && !s.join.has_async_consumer(c))
        .filter(|&c| {
            let partners = s.join.sync_partners(c);
            let callers = s
                .threads
                .iter()
                .filter(|ops| {
                    ops.iter()
                        .any(|op| matches!(op, Op::Call(ch, _) if partners.contains(ch)))
                })
                .count();
            callers <= 1
        })
        .collect()
}

/// **Per-channel order** (docs/reference.md): "firings that do not overlap
/// in time take consecutive messages". Where a channel's firings cannot
/// overlap ([`single_consumer_channels`]), the messages consumed, in firing
/// order and then drained, are in each sender's send order.
fn channel_order(s: &Scenario, o: &Observation) -> Result<(), String> {
    for c in single_consumer_channels(s) {
        let mut order: Vec<u64> = o.firings.iter().flat_map(|f| taken_from(s, f, c)).collect();
        if let Bound::Msgs(ids) = &o.drained[c] {
            order.extend(ids);
        }
        if let Some((a, b)) = out_of_order(&order) {
            return Err(format!(
                "c{c} has one consumer at a time, yet {} was consumed before {}, which was sent earlier; \
                 c{c} in consumption order: {}",
                fmt_id(a),
                fmt_id(b),
                fmt_ids(&order)
            ));
        }
    }
    Ok(())
}

/// The earlier chord whose pattern is contained in chord `k`'s (as
/// multisets of channels), if one is.
pub fn shadowed_by(s: &Scenario, k: usize) -> Option<usize> {
    let needs = s.join.chords[k].needs();
    (0..k).find(|&j| {
        s.join.chords[j]
            .needs()
            .iter()
            .all(|&(c, n)| needs.iter().any(|&(d, m)| d == c && m >= n))
    })
}

/// **Priority** (docs/reference.md, "Priority"): a chord whose pattern
/// contains an earlier chord's never fires — whenever it could, the earlier
/// one could too, and is declared first. (The macro rejects such chords;
/// the runtime API builds them, and they must stay silent under any
/// schedule.)
fn shadowed_never_fires(s: &Scenario, o: &Observation) -> Result<(), String> {
    for f in &o.firings {
        if let Some(j) = s.join.chords.get(f.chord).and(shadowed_by(s, f.chord)) {
            return Err(format!(
                "{} fired, but k{j}, declared before k{}, needs only some of its messages: \
                 whenever k{} can fire, k{j} can too, and k{j} has priority",
                f.show(&s.join),
                f.chord,
                f.chord
            ));
        }
    }
    Ok(())
}

/// **Eager** (docs/reference.md, "Eager"): at quiescence no chord can fire
/// with the messages waiting (the drain chords, never called during a run,
/// aside).
fn eager(s: &Scenario, o: &Observation) -> Result<(), String> {
    for (k, chord) in s.join.chords.iter().enumerate() {
        let needs = chord.needs();
        if needs.iter().all(|&(c, n)| o.waiting[c] >= n) {
            let have: Vec<String> = needs
                .iter()
                .map(|&(c, n)| format!("c{c}: {} waiting, needs {n}", o.waiting[c]))
                .collect();
            return Err(format!(
                "at quiescence k{k} can fire but did not ({})",
                have.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::op_id;
    use crate::spec::{ChordSpec, JoinSpec, PatternTerm, Wait};

    /// `k0 = c1 & c0.times::<2>()`; thread 1 sends four messages on c0,
    /// thread 2 calls c1 twice; each call took two messages, in order.
    fn case() -> (Scenario, Observation) {
        let scenario = Scenario {
            join: JoinSpec {
                channels: vec![ChannelKind::Msg, ChannelKind::Sync],
                chords: vec![ChordSpec {
                    terms: vec![
                        PatternTerm {
                            channel: 1,
                            times: 1,
                        },
                        PatternTerm {
                            channel: 0,
                            times: 2,
                        },
                    ],
                    emits: vec![],
                }],
            },
            init: vec![],
            threads: vec![vec![Op::Send(0); 4], vec![Op::Call(1, Wait::Blocking); 2]],
            emit_budget: 0,
        };
        let event = |thread, index, op, outcome| Event {
            thread,
            index,
            op,
            id: op_id(thread, index),
            outcome,
        };
        let mut events: Vec<Event> = (0..4)
            .map(|i| event(1, i, Op::Send(0), Outcome::Sent))
            .collect();
        for i in 0..2 {
            events.push(event(
                2,
                i,
                Op::Call(1, Wait::Blocking),
                Outcome::Answered(i as u64 + 1),
            ));
        }
        let firing = |id: u64, call, msgs: [usize; 2]| FiringRecord {
            id,
            chord: 0,
            terms: vec![
                Bound::Calls(vec![op_id(2, call)]),
                Bound::Msgs(msgs.iter().map(|&m| op_id(1, m)).collect()),
            ],
            emits: vec![],
        };
        let observation = Observation {
            events,
            firings: vec![firing(1, 0, [0, 1]), firing(2, 1, [2, 3])],
            waiting: vec![0, 0],
            drained: vec![Bound::Msgs(vec![]), Bound::Calls(vec![])],
        };
        (scenario, observation)
    }

    fn failing(s: &Scenario, o: &Observation) -> Vec<&'static str> {
        CHECKS
            .iter()
            .filter(|(_, p)| p(s, o).is_err())
            .map(|&(n, _)| n)
            .collect()
    }

    fn msgs(o: &mut Observation, firing: usize) -> &mut Vec<u64> {
        match &mut o.firings[firing].terms[1] {
            Bound::Msgs(ids) => ids,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_run_that_keeps_the_rules_passes() {
        let (s, o) = case();
        assert_eq!(single_consumer_channels(&s), [0]);
        assert_eq!(check_all(&s, &o), Ok(()));
    }

    #[test]
    fn a_message_taken_twice_is_caught() {
        let (s, mut o) = case();
        msgs(&mut o, 1)[0] = op_id(1, 1);
        assert_eq!(failing(&s, &o), ["consumed_once", "conservation"]);
    }

    #[test]
    fn messages_out_of_send_order_are_caught() {
        let (s, mut o) = case();
        msgs(&mut o, 0).swap(0, 1);
        assert_eq!(failing(&s, &o), ["firing_order", "channel_order"]);
        let (s, mut o) = case();
        let first = std::mem::take(msgs(&mut o, 0));
        *msgs(&mut o, 0) = std::mem::replace(msgs(&mut o, 1), first);
        assert_eq!(failing(&s, &o), ["channel_order"]);
    }

    #[test]
    fn a_call_answered_by_the_wrong_firing_is_caught() {
        let (s, mut o) = case();
        o.events[5].outcome = Outcome::Answered(1);
        assert_eq!(failing(&s, &o), ["calls_answered"]);
        o.events[5].outcome = Outcome::Refused(op_id(2, 1));
        assert_eq!(failing(&s, &o), ["calls_answered"]);
    }

    #[test]
    fn a_lost_message_and_a_lazy_chord_are_caught() {
        let (s, mut o) = case();
        o.firings.pop();
        o.events[5].outcome = Outcome::Refused(op_id(2, 1));
        assert_eq!(failing(&s, &o), ["conservation"]);
        o.waiting = vec![2, 1];
        o.drained[0] = Bound::Msgs(vec![op_id(1, 2), op_id(1, 3)]);
        assert_eq!(failing(&s, &o), ["eager"]);
    }

    #[test]
    fn a_shadowed_chord_that_fires_is_caught() {
        let (mut s, mut o) = case();
        let k0 = s.join.chords[0].clone();
        s.join.chords.insert(0, k0);
        assert_eq!(shadowed_by(&s, 1), Some(0));
        assert_eq!(shadowed_by(&s, 0), None);
        o.firings[0].chord = 1;
        assert_eq!(failing(&s, &o), ["shadowed_never_fires"]);
    }
}
