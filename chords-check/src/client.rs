//! One client operation on a built join, and what came of it.

use crate::build::{Built, Handle};
use crate::record::fmt_id;
use crate::spec::Op;

/// What an operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A message was sent.
    Sent,
    /// A call returned this firing id.
    Answered(u64),
    /// A `try_call` failed or a timed call timed out, handing back this argument.
    Refused(u64),
}

/// One operation of a run: who did it, with which id, and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The client thread (0 runs first, alone).
    pub thread: usize,
    /// The operation's index in its thread's program.
    pub index: usize,
    /// The operation.
    pub op: Op,
    /// Its message id or call argument.
    pub id: u64,
    /// What it returned.
    pub outcome: Outcome,
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", fmt_id(self.id), self.op)?;
        match self.outcome {
            Outcome::Sent => Ok(()),
            Outcome::Answered(firing) => write!(f, " -> f{firing}"),
            Outcome::Refused(arg) => write!(f, " -> refused, handed back {}", fmt_id(arg)),
        }
    }
}

/// Performs `op` on `built` with message id or call argument `id`.
///
/// # Panics
/// If `op` does not fit its channel's kind (generated cases always do).
pub fn perform(built: &Built, op: Op, id: u64) -> Outcome {
    let join = &built.join;
    match (op, built.channels[op.channel()]) {
        (Op::Send(_), Handle::Msg(c)) => join.send(c, id),
        (Op::Send(_), Handle::Unit(c)) => join.send(c, ()),
        (Op::Call(_, wait), Handle::Sync(c)) => {
            let result = match wait.timeout() {
                None => join.try_call(c, id).map_err(|e| e.into_inner()),
                Some(timeout) => join
                    .call_timeout(c, id, timeout)
                    .map_err(|e| e.into_inner()),
            };
            return match result {
                Ok(firing) => Outcome::Answered(firing),
                Err(arg) => Outcome::Refused(arg),
            };
        }
        (op, handle) => panic!("{op} does not fit the channel {handle:?}"),
    }
    Outcome::Sent
}
