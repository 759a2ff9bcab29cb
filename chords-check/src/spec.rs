//! Test cases as plain data: a join's channels and chords, and the operations
//! of the client threads. Printed as Rust-like text, to read and to replay.

use std::fmt;
use std::time::Duration;

use crate::record::{fmt_id, op_id};

/// The kind of a channel of a generated join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// Asynchronous, carrying a `u64` message id: `AsyncChannel<u64>`.
    Msg,
    /// Asynchronous and zero-sized: `AsyncChannel<()>`, checked by counts.
    Unit,
    /// Synchronous: `SyncChannel<u64, u64>`, the argument a call id, the
    /// result the id of the firing that answered it.
    Sync,
}

impl ChannelKind {
    /// Whether the channel is asynchronous (its messages are queued, not calls).
    pub fn is_async(self) -> bool {
        self != ChannelKind::Sync
    }
}

/// One term of a pattern: `times` messages of `channel` (`ch.times::<N>()`
/// when `times > 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PatternTerm {
    /// The channel's index in [`JoinSpec::channels`].
    pub channel: usize,
    /// How many messages the term takes, 1 to 3.
    pub times: usize,
}

/// A chord: its pattern, and the asynchronous channels its body sends one
/// message on each time it fires (the state and token patterns of joins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChordSpec {
    /// The pattern, in term order.
    pub terms: Vec<PatternTerm>,
    /// The channels the body sends on, in order (asynchronous ones).
    pub emits: Vec<usize>,
}

impl ChordSpec {
    /// A chord of `terms`, `(channel, times)` each, whose body sends on `emits`.
    pub fn new(terms: &[(usize, usize)], emits: &[usize]) -> Self {
        ChordSpec {
            terms: terms
                .iter()
                .map(|&(channel, times)| PatternTerm { channel, times })
                .collect(),
            emits: emits.to_vec(),
        }
    }

    /// How many messages of each channel the chord consumes:
    /// `(channel, count)`, in channel order.
    pub fn needs(&self) -> Vec<(usize, usize)> {
        let mut needs: Vec<(usize, usize)> = Vec::new();
        for term in &self.terms {
            match needs.iter_mut().find(|n| n.0 == term.channel) {
                Some(need) => need.1 += term.times,
                None => needs.push((term.channel, term.times)),
            }
        }
        needs.sort_unstable();
        needs
    }

    /// Whether the pattern holds `channel`.
    pub fn holds(&self, channel: usize) -> bool {
        self.terms.iter().any(|t| t.channel == channel)
    }
}

/// A join: channels and chords, in declaration order. The built join adds,
/// after them, one drain chord per asynchronous channel (see [`crate::build`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinSpec {
    /// The channels' kinds; a channel's name is `c` and its index.
    pub channels: Vec<ChannelKind>,
    /// The chords; a chord's name is `k` and its index.
    pub chords: Vec<ChordSpec>,
}

impl JoinSpec {
    /// Whether some chord holding `channel` has no synchronous term (its
    /// body runs on the executor, possibly overlapping others).
    pub fn has_async_consumer(&self, channel: usize) -> bool {
        self.chords.iter().any(|c| {
            c.holds(channel) && c.terms.iter().all(|t| self.channels[t.channel].is_async())
        })
    }

    /// The synchronous channels of the chords that hold `channel`.
    pub fn sync_partners(&self, channel: usize) -> Vec<usize> {
        let mut partners: Vec<usize> = self
            .chords
            .iter()
            .filter(|c| c.holds(channel))
            .flat_map(|c| c.terms.iter().map(|t| t.channel))
            .filter(|&t| !self.channels[t].is_async())
            .collect();
        partners.sort_unstable();
        partners.dedup();
        partners
    }
}

/// How long a synchronous call waits for a chord.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wait {
    /// `try_call`: fires at once or fails.
    Try,
    /// `call_timeout` with a short timeout, in milliseconds.
    Timed(u32),
    /// A blocking-style call: `call_timeout` with [`BLOCKING`], long enough
    /// for other threads to complete its chord, bounded so that a run whose
    /// chord never comes ends anyway.
    Blocking,
}

/// The timeout of a [`Wait::Blocking`] call.
pub const BLOCKING: Duration = Duration::from_millis(60);

impl Wait {
    /// The timeout of a waiting call; `None` for `try_call`.
    pub fn timeout(self) -> Option<Duration> {
        match self {
            Wait::Try => None,
            Wait::Timed(ms) => Some(Duration::from_millis(ms.into())),
            Wait::Blocking => Some(BLOCKING),
        }
    }
}

/// One operation of a client thread. Its message id or call argument is
/// [`op_id`]`(thread, index)`. New kinds (asynchronous calls, choices,
/// guards) are new cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Sends a message on an asynchronous channel.
    Send(usize),
    /// Calls a synchronous channel.
    Call(usize, Wait),
}

impl Op {
    /// The channel the operation uses.
    pub fn channel(self) -> usize {
        match self {
            Op::Send(c) | Op::Call(c, _) => c,
        }
    }

    /// The same operation on another channel.
    pub fn with_channel(self, channel: usize) -> Op {
        match self {
            Op::Send(_) => Op::Send(channel),
            Op::Call(_, wait) => Op::Call(channel, wait),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Send(c) => write!(f, "send(c{c})"),
            Op::Call(c, Wait::Try) => write!(f, "try_call(c{c})"),
            Op::Call(c, Wait::Timed(ms)) => write!(f, "call_timeout(c{c}, {ms}ms)"),
            Op::Call(c, Wait::Blocking) => {
                write!(f, "call(c{c}) [call_timeout {}ms]", BLOCKING.as_millis())
            }
        }
    }
}

/// A whole test case: a join, the operations thread 0 runs first and alone
/// (`init`), then the operations of threads 1, 2, .. run at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The join under test.
    pub join: JoinSpec,
    /// Thread 0's operations, run before the others start.
    pub init: Vec<Op>,
    /// The concurrent threads' operations; `threads[i]` is thread `i + 1`.
    pub threads: Vec<Vec<Op>>,
    /// How many messages bodies may send in one run, all bodies together:
    /// the bound that stops cycles of chords feeding each other.
    pub emit_budget: u32,
}

impl Scenario {
    /// Every thread's operations with its thread number: thread 0 first.
    pub fn programs(&self) -> impl Iterator<Item = (usize, &[Op])> {
        std::iter::once((0, self.init.as_slice())).chain(
            self.threads
                .iter()
                .enumerate()
                .map(|(i, ops)| (i + 1, ops.as_slice())),
        )
    }

    /// How many operations all threads do.
    pub fn op_count(&self) -> usize {
        self.programs().map(|(_, ops)| ops.len()).sum()
    }
}

impl fmt::Display for JoinSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "let mut b = Join::builder();")?;
        for (i, kind) in self.channels.iter().enumerate() {
            let ty = match kind {
                ChannelKind::Msg => "asynchronous::<u64>",
                ChannelKind::Unit => "asynchronous::<()>",
                ChannelKind::Sync => "synchronous::<u64, u64>",
            };
            writeln!(f, "let c{i} = b.{ty}(\"c{i}\");")?;
        }
        for (k, chord) in self.chords.iter().enumerate() {
            for (i, term) in chord.terms.iter().enumerate() {
                let call = if i == 0 { "b.when" } else { ".and" };
                write!(f, "{call}(c{}", term.channel)?;
                if term.times > 1 {
                    write!(f, ".times::<{}>()", term.times)?;
                }
                write!(f, ")")?;
            }
            write!(f, ".named(\"k{k}\").then_with(record")?;
            for c in &chord.emits {
                write!(f, ", send c{c}")?;
            }
            writeln!(f, ");")?;
        }
        write!(
            f,
            "// then, per asynchronous channel c: b.when(drain_c).and(c)"
        )
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.join)?;
        writeln!(f, "// bodies may send {} messages in all", self.emit_budget)?;
        for (thread, ops) in self.programs() {
            if thread == 0 && ops.is_empty() {
                continue;
            }
            let when = if thread == 0 { " (first, alone)" } else { "" };
            write!(f, "// thread {thread}{when}:")?;
            for (i, op) in ops.iter().enumerate() {
                write!(f, " {}={op};", fmt_id(op_id(thread, i)))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
