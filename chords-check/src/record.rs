//! What a run leaves behind: message ids, and the log of firings that the
//! bodies of a built join write as they run.

use std::fmt::Write;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use std::sync::Mutex;

use crate::spec::JoinSpec;

/// The tag of an id a body made (an emitted message), not a client.
pub const EMITTED: u64 = 1 << 63;

/// The id of operation `index` of client thread `thread`: its message, or
/// its call's argument.
pub fn op_id(thread: usize, index: usize) -> u64 {
    ((thread as u64) << 32) | index as u64
}

/// The id of the `k`-th message the body of firing `firing` sends.
pub fn emit_id(firing: u64, k: usize) -> u64 {
    EMITTED | (firing << 8) | k as u64
}

/// Who sent message `id`: a client thread, or one firing's body. Each
/// sender's messages have increasing ids in the order it sent them.
pub fn sender(id: u64) -> u64 {
    if id & EMITTED != 0 {
        id >> 8
    } else {
        id >> 32
    }
}

/// `id` as a reader wants it: `thread.index` for a client's, `f<firing>.<k>`
/// for a body's.
pub fn fmt_id(id: u64) -> String {
    if id & EMITTED != 0 {
        format!("f{}.{}", (id & !EMITTED) >> 8, id & 0xff)
    } else {
        format!("{}.{}", id >> 32, id & 0xffff_ffff)
    }
}

/// Ids, as [`fmt_id`] writes them, in a list.
pub fn fmt_ids(ids: &[u64]) -> String {
    let ids: Vec<String> = ids.iter().map(|&id| fmt_id(id)).collect();
    format!("[{}]", ids.join(", "))
}

/// What one term of a firing bound.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Bound {
    /// The ids of the messages of a `u64` channel, oldest first.
    Msgs(Vec<u64>),
    /// How many messages of a `()` channel.
    Units(usize),
    /// The ids (arguments) of the calls of a synchronous channel.
    Calls(Vec<u64>),
}

/// One firing of a chord, as its body logged it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FiringRecord {
    /// The firing's id: 1, 2, .. in the order bodies started. Every call
    /// the firing answers returns it.
    pub id: u64,
    /// The chord's index.
    pub chord: usize,
    /// One binding per term, in pattern order.
    pub terms: Vec<Bound>,
    /// The messages the body sent: (channel, id).
    pub emits: Vec<(usize, u64)>,
}

impl FiringRecord {
    /// The firing as text, with the channels of its chord's terms.
    pub fn show(&self, join: &JoinSpec) -> String {
        let mut s = format!("f{} = k{}(", self.id, self.chord);
        let terms = join.chords.get(self.chord).map(|c| c.terms.as_slice());
        for (i, bound) in self.terms.iter().enumerate() {
            let channel = terms
                .and_then(|t| t.get(i))
                .map_or("c?".to_string(), |t| format!("c{}", t.channel));
            let sep = if i == 0 { "" } else { ", " };
            let _ = match bound {
                Bound::Msgs(ids) => write!(s, "{sep}{channel}: {}", fmt_ids(ids)),
                Bound::Units(n) => write!(s, "{sep}{channel}: {n}x()"),
                Bound::Calls(ids) => write!(s, "{sep}{channel}: calls {}", fmt_ids(ids)),
            };
        }
        s.push(')');
        for &(c, id) in &self.emits {
            let _ = write!(s, " sent c{c}:{}", fmt_id(id));
        }
        s
    }
}

/// The shared state of one run's bodies: the firing counter, what bodies may
/// still send, and the log.
pub struct Recorder {
    started: AtomicU64,
    emit_budget: AtomicU32,
    log: Mutex<Vec<FiringRecord>>,
}

impl Recorder {
    /// A recorder whose bodies may send `emit_budget` messages in all.
    pub fn new(emit_budget: u32) -> Self {
        Recorder {
            started: AtomicU64::new(0),
            emit_budget: AtomicU32::new(emit_budget),
            log: Mutex::new(Vec::new()),
        }
    }

    /// A body starts: its firing id.
    pub fn start(&self) -> u64 {
        self.started.fetch_add(1, SeqCst) + 1
    }

    /// How many bodies have started.
    pub fn started(&self) -> u64 {
        self.started.load(SeqCst)
    }

    /// Takes one message from the budget of messages bodies may send.
    pub fn take_emit(&self) -> bool {
        self.emit_budget
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// A body logs its firing as it ends (after sending its messages, before
    /// answering its calls).
    pub fn finish(&self, firing: FiringRecord) {
        self.lock().push(firing);
    }

    /// How many firings are logged.
    pub fn logged(&self) -> usize {
        self.lock().len()
    }

    /// The log so far, by firing id.
    pub fn snapshot(&self) -> Vec<FiringRecord> {
        let mut log = self.lock().clone();
        log.sort_by_key(|f| f.id);
        log
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FiringRecord>> {
        // A body never panics while holding the lock; take the log anyway.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_tell_their_sender_and_read_well() {
        assert_eq!(fmt_id(op_id(3, 7)), "3.7");
        assert_eq!(fmt_id(emit_id(12, 1)), "f12.1");
        assert_eq!(sender(op_id(3, 7)), sender(op_id(3, 9)));
        assert_ne!(sender(op_id(3, 7)), sender(op_id(4, 7)));
        assert_eq!(sender(emit_id(5, 0)), sender(emit_id(5, 1)));
        assert_ne!(sender(emit_id(5, 0)), sender(op_id(0, 5)));
        assert!(op_id(2, 1) < op_id(2, 2) && emit_id(9, 0) < emit_id(9, 1));
    }

    #[test]
    fn the_budget_of_sent_messages_runs_out() {
        let r = Recorder::new(2);
        assert!(r.take_emit() && r.take_emit());
        assert!(!r.take_emit());
        assert_eq!((r.start(), r.start(), r.started()), (1, 2, 2));
    }
}
