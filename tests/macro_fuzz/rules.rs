//! The firing rules of docs/reference.md ("Firing rules"), on counts alone:
//! for a single-threaded history, which chord each arrival fires, and so
//! how many messages wait after each step, which calls a chord answers, and
//! which spawned calls return. The driver checks both versions of an object
//! against it, so that a mistake they share (in the runtime) shows too.
//!
//! Compiled into `tests/macro_fuzz.rs` and pasted into the programs that
//! test generates, as their module `rules`.

use std::collections::VecDeque;

use crate::driver::Shape;

/// What waits on each channel, the spawned calls among it.
pub struct Rules<'s> {
    shape: &'s Shape,
    counts: Vec<usize>,
    /// The spawned calls waiting on each channel, oldest first.
    calls: Vec<VecDeque<usize>>,
}

impl<'s> Rules<'s> {
    /// An object with nothing waiting.
    pub fn new(shape: &'s Shape) -> Self {
        let n = shape.channels.len();
        Rules {
            shape,
            counts: vec![0; n],
            calls: vec![VecDeque::new(); n],
        }
    }

    /// The waiting counts, in declaration order.
    pub fn counts(&self) -> &[usize] {
        &self.counts
    }

    /// A message or call of `channel` arrives: the first declared chord
    /// that can fire with it fires ("Eager", "Priority"), taking the oldest
    /// waiting messages ("Per-channel order"), and its body's sends arrive
    /// in turn. Otherwise it waits if `stays` (a send, a spawned call) and
    /// leaves no trace if not (a `try_` or timed-out call). `caller` is a
    /// spawned call's number; the spawned calls a firing answers go into
    /// `returned`. Tells whether a chord fired with it.
    pub fn arrive(
        &mut self,
        channel: usize,
        caller: Option<usize>,
        stays: bool,
        returned: &mut Vec<usize>,
    ) -> bool {
        let fires = (0..self.shape.chords.len()).find(|&k| {
            let needs = self.shape.chords[k];
            needs.iter().any(|&(c, _)| c == channel)
                && needs
                    .iter()
                    .all(|&(c, n)| self.counts[c] + usize::from(c == channel) >= n as usize)
        });
        let Some(k) = fires else {
            if stays {
                self.counts[channel] += 1;
                if let Some(id) = caller {
                    self.calls[channel].push_back(id);
                }
            }
            return false;
        };
        for &(c, n) in self.shape.chords[k] {
            let taken = n as usize - usize::from(c == channel);
            self.counts[c] -= taken;
            if self.shape.channels[c].sync {
                returned.extend(self.calls[c].drain(..taken));
            }
        }
        returned.extend(caller);
        for &c in self.shape.sends[k] {
            self.arrive(c, None, true, returned);
        }
        true
    }
}
