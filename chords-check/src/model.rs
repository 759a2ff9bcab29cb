//! A sequential reference model of the firing rules of `docs/reference.md`.
//!
//! Each arrival is atomic: a message (or call) is queued, and the first
//! declared chord holding its channel that can fire then fires at once,
//! taking the oldest messages of each channel in term order ("Atomic",
//! "Eager", "Priority", "Per-channel order"). A firing's body sends its
//! messages, each an arrival in turn, while the run's budget lasts.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::record::{emit_id, Bound, FiringRecord};
use crate::spec::{ChannelKind, JoinSpec};

/// The model's state: what is queued on each channel, and what fired.
#[derive(Clone, Debug)]
pub struct Model {
    spec: Arc<JoinSpec>,
    /// Message ids (asynchronous) or call ids (synchronous), oldest first.
    queues: Vec<VecDeque<u64>>,
    emit_budget: u32,
    /// Every firing so far; firing `n` is `fired[n - 1]`.
    fired: Vec<FiringRecord>,
    /// How many times each chord fired.
    counts: Vec<u32>,
    /// The calls answered so far: (call id, firing id).
    answered: Vec<(u64, u64)>,
}

/// What determines a model's future: two models with equal keys (and the
/// same operations still to do) behave the same.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModelKey {
    queues: Vec<VecDeque<u64>>,
    emit_budget: u32,
    counts: Vec<u32>,
    answered: Vec<u64>,
}

impl Model {
    /// An empty join of `spec`, whose bodies may send `emit_budget` messages.
    pub fn new(spec: Arc<JoinSpec>, emit_budget: u32) -> Self {
        let channels = spec.channels.len();
        let chords = spec.chords.len();
        Model {
            spec,
            queues: vec![VecDeque::new(); channels],
            emit_budget,
            fired: Vec::new(),
            counts: vec![0; chords],
            answered: Vec::new(),
        }
    }

    /// A message `id` arrives on asynchronous `channel`.
    pub fn send(&mut self, channel: usize, id: u64) {
        self.arrive(channel, id);
    }

    /// `try_call`: the id of the firing that takes call `id` of `channel`
    /// now, or `None` (and nothing stays queued).
    pub fn try_call(&mut self, channel: usize, id: u64) -> Option<u64> {
        let answer = self.call(channel, id);
        if answer.is_none() {
            self.withdraw(channel, id);
        }
        answer
    }

    /// A waiting call arrives: the id of the firing that took it at once, or
    /// `None` while it stays queued.
    pub fn call(&mut self, channel: usize, id: u64) -> Option<u64> {
        self.arrive(channel, id);
        self.answer(id)
    }

    /// Arrivals whose operations overlap in time, taking effect together
    /// (docs/reference.md, "Progress"): every message and call of `arrivals`
    /// is queued, then chords fire, first declared first, until none is
    /// enabled.
    pub fn arrive_together(&mut self, arrivals: &[(usize, u64)]) {
        for &(channel, id) in arrivals {
            self.queues[channel].push_back(id);
        }
        while let Some(k) = (0..self.spec.chords.len()).find(|&k| self.enabled(k)) {
            self.fire(k);
        }
    }

    /// A queued call gives up; `false` if no call `id` is queued.
    pub fn withdraw(&mut self, channel: usize, id: u64) -> bool {
        let queue = &mut self.queues[channel];
        match queue.iter().position(|&x| x == id) {
            Some(i) => {
                queue.remove(i);
                true
            }
            None => false,
        }
    }

    /// The firing that took call `id`, if one did.
    pub fn answer(&self, id: u64) -> Option<u64> {
        self.answered.iter().find(|a| a.0 == id).map(|a| a.1)
    }

    /// Every firing so far, in order.
    pub fn fired(&self) -> &[FiringRecord] {
        &self.fired
    }

    /// How many times each chord fired.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// What is queued on `channel`, oldest first.
    pub fn queued(&self, channel: usize) -> &VecDeque<u64> {
        &self.queues[channel]
    }

    /// The state that determines what the model does next.
    pub fn key(&self) -> ModelKey {
        let mut answered: Vec<u64> = self.answered.iter().map(|a| a.0).collect();
        answered.sort_unstable();
        ModelKey {
            queues: self.queues.clone(),
            emit_budget: self.emit_budget,
            counts: self.counts.clone(),
            answered,
        }
    }

    /// Whether chord `k` can fire with what is queued.
    pub fn enabled(&self, k: usize) -> bool {
        self.spec.chords[k]
            .needs()
            .iter()
            .all(|&(c, n)| self.queues[c].len() >= n)
    }

    fn arrive(&mut self, channel: usize, id: u64) {
        self.queues[channel].push_back(id);
        let spec = Arc::clone(&self.spec);
        let first =
            (0..spec.chords.len()).find(|&k| spec.chords[k].holds(channel) && self.enabled(k));
        if let Some(k) = first {
            self.fire(k);
        }
    }

    fn fire(&mut self, k: usize) {
        let spec = Arc::clone(&self.spec);
        let chord = &spec.chords[k];
        let id = self.fired.len() as u64 + 1;
        let mut terms = Vec::with_capacity(chord.terms.len());
        for term in &chord.terms {
            let ids: Vec<u64> = self.queues[term.channel].drain(..term.times).collect();
            terms.push(match spec.channels[term.channel] {
                ChannelKind::Msg => Bound::Msgs(ids),
                ChannelKind::Unit => Bound::Units(ids.len()),
                ChannelKind::Sync => {
                    self.answered.extend(ids.iter().map(|&call| (call, id)));
                    Bound::Calls(ids)
                }
            });
        }
        let mut emits = Vec::new();
        for (i, &c) in chord.emits.iter().enumerate() {
            if self.emit_budget == 0 {
                break;
            }
            self.emit_budget -= 1;
            emits.push((c, emit_id(id, i)));
        }
        self.counts[k] += 1;
        self.fired.push(FiringRecord {
            id,
            chord: k,
            terms,
            emits: emits.clone(),
        });
        for (c, message) in emits {
            self.arrive(c, message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ChordSpec, PatternTerm};

    fn term(channel: usize, times: usize) -> PatternTerm {
        PatternTerm { channel, times }
    }

    /// `c0: u64`, `c1: ()`, `c2: sync`; k0 = c2 & c0.times(2), k1 = c2 & c1.
    fn spec() -> Arc<JoinSpec> {
        Arc::new(JoinSpec {
            channels: vec![ChannelKind::Msg, ChannelKind::Unit, ChannelKind::Sync],
            chords: vec![
                ChordSpec {
                    terms: vec![term(2, 1), term(0, 2)],
                    emits: vec![],
                },
                ChordSpec {
                    terms: vec![term(2, 1), term(1, 1)],
                    emits: vec![0],
                },
            ],
        })
    }

    #[test]
    fn the_first_declared_enabled_chord_fires_with_the_oldest_messages() {
        let mut m = Model::new(spec(), 10);
        m.send(1, 100);
        m.send(0, 1);
        m.send(0, 2);
        m.send(0, 3);
        // Both chords can fire: k0 is declared first.
        assert_eq!(m.try_call(2, 50), Some(1));
        assert_eq!(
            m.fired()[0].terms,
            [Bound::Calls(vec![50]), Bound::Msgs(vec![1, 2])]
        );
        // k0 needs two: k1 fires, and its body sends on c0.
        assert_eq!(m.try_call(2, 51), Some(2));
        assert_eq!(m.fired()[1].emits, [(0, emit_id(2, 0))]);
        assert_eq!(m.queued(0), &[3, emit_id(2, 0)]);
        m.send(1, 101);
        assert_eq!(m.try_call(2, 52), Some(3));
        assert_eq!(m.fired()[2].terms[1], Bound::Msgs(vec![3, emit_id(2, 0)]));
        assert_eq!(m.try_call(2, 53), Some(4));
        // A call that cannot fire leaves no trace; a queued one is taken later.
        assert_eq!(m.try_call(2, 54), None);
        assert_eq!(m.call(2, 55), None);
        m.send(1, 102);
        assert_eq!(m.answer(55), Some(5));
        assert!(!m.withdraw(2, 55));
        assert_eq!(m.queued(0), &[emit_id(4, 0), emit_id(5, 0)]);
        assert!(m.queued(2).is_empty());
        assert_eq!(m.counts(), [2, 3]);
    }

    #[test]
    fn the_budget_bounds_bodies_that_feed_each_other() {
        let spec = Arc::new(JoinSpec {
            channels: vec![ChannelKind::Unit],
            chords: vec![ChordSpec {
                terms: vec![term(0, 1)],
                emits: vec![0],
            }],
        });
        let mut m = Model::new(spec, 5);
        m.send(0, 1);
        assert_eq!(m.fired().len(), 6);
        assert!(m.queued(0).is_empty());
    }
}
