//! Guarded chords: which queued messages a chord's guard accepts.
//!
//! A guard over several terms (`a(x) & b(y) if x > y`) cannot be checked as
//! each message arrives, nor routed at send time: whether a message fits
//! depends on the others. So its chord *searches*: the channels it reads keep
//! their messages in locked deques ([`crate::payloads::Searched`]) instead
//! of lock-free FIFOs, and a reservation of the chord, once it holds its
//! claims, looks at their messages for the first tuple the guard accepts.
//!
//! # Protocol
//!
//! - **Reserve.** As for any chord ([`crate::matcher`]), the resolver first
//!   claims, in channel order, the *count* of messages the chord needs of
//!   each channel, and checks that no earlier chord is enabled. Then it locks
//!   the chord's searched channels, in channel order, and tries tuples of
//!   their messages: per channel in term order, oldest first, each term
//!   taking messages of its channel in queue order and none twice. The first
//!   tuple the guard accepts is *picked*: its messages leave their deques at
//!   once, and wait in the guard's `picked` queue, one tuple per firing; then
//!   the claims are committed. If no tuple passes, the claims roll back and
//!   the chord is not ready.
//! - **Run.** A firing of the chord takes one picked tuple, and its body's
//!   asynchronous terms take their messages from it ([`crate::firing`]); its
//!   synchronous terms take their calls as usual.
//! - **A call's argument.** A queued call's argument is its caller's, who
//!   may withdraw it at any moment, so a guard reads the argument of one
//!   call only, the caller's own, in the caller's reservation ([`OwnCall`]);
//!   the calls of that channel never queue, but retry as messages arrive
//!   (`arrivals.rs`). A search without that call does not run the guard.
//! - **Give back.** A firing whose runner went away puts its picked messages
//!   back in front of their deques before counting them again.
//! - **Priority.** An earlier chord that is guarded counts as enabled only
//!   when its counts suffice *and* a search (without taking) finds a tuple.
//!
//! # Invariants
//!
//! 1. For each searched channel, its deque holds `available + claimed +`
//!    the reservations of unguarded chords committed and not yet popped (the
//!    counter's invariant, [`crate::matcher`]). A pick removes as many
//!    messages as the claims it commits; a pop removes one per reserved
//!    message. Messages are fungible for counting, so a pick may remove a
//!    message that a committed unguarded firing would have popped: that
//!    firing pops the oldest still there, as always.
//! 2. Picks of one chord are fungible too: a firing pushes its tuple before
//!    it commits, and its run, after the hand-over, takes one; so a run
//!    always finds a tuple, each passed the guard, and each is taken once.
//! 3. Locks are taken in channel order and held only while searching and
//!    picking, never while claiming or waiting: no deadlock. A claim held
//!    during a search makes other resolvers wait, not give up (claimed
//!    messages count as present), so a search that finds nothing may report
//!    "not ready" without a rescan.
//! 4. A guard is pure, so no tuple turns true except by an arrival, and
//!    every arrival resolves its channel's chords afterwards: a tuple the
//!    guard accepts is found by the resolver of its newest message, if not
//!    before (eagerness).

use std::any::Any;
use std::collections::VecDeque;

use crate::channel_state::ChannelState;
use crate::payloads::Locked;
use crate::sync::Mutex;
use crate::tables::TermSpec;

/// What a guard sees of one message of its chord: an asynchronous message,
/// the argument of the caller's own call, or `None` for another call.
pub(crate) type Seen<'a> = Option<&'a (dyn Any + Send)>;

/// A guard's test over one message per slot, in pattern order.
pub(crate) type Test = Box<dyn Fn(&[Seen<'_>]) -> bool + Send + Sync>;

/// The messages a firing picked, with their channels, in pattern order.
pub(crate) type Picked = Vec<(u32, Box<dyn Any + Send>)>;

/// The call of a caller reserving a chord with it (not queued): its channel
/// and its argument, which a guard may read ([`crate::Argument`]).
pub(crate) type OwnCall<'a> = Option<(u32, &'a (dyn Any + Send))>;

/// One message of a guarded chord's pattern.
#[derive(Clone, Copy)]
struct Slot {
    channel: u32,
    /// Its channel's index among the chord's searched channels, if it is
    /// searched (an asynchronous channel).
    lock: Option<usize>,
}

/// A chord's guard at run time.
pub(crate) struct Guard {
    /// One per message of the pattern, in pattern order.
    slots: Box<[Slot]>,
    /// The searched channels, in channel order: the order they are locked in.
    channels: Box<[u32]>,
    /// The synchronous channel whose call's argument the guard reads, if
    /// any: only that call's own caller can evaluate it (`arrivals.rs`).
    reads: Option<u32>,
    test: Test,
    /// The tuples picked by firings not yet run.
    picked: Mutex<VecDeque<Picked>>,
}

impl Guard {
    /// The guard of a chord of `terms`, whose asynchronous channels are those
    /// `is_async` tells.
    pub(crate) fn new(terms: &[TermSpec], is_async: impl Fn(u32) -> bool, test: Test) -> Self {
        let mut channels: Vec<u32> = terms
            .iter()
            .map(|t| t.channel)
            .filter(|&c| is_async(c))
            .collect();
        channels.sort_unstable();
        channels.dedup();
        let slots = terms
            .iter()
            .flat_map(|t| {
                let lock = channels.binary_search(&t.channel).ok();
                (0..t.count).map(move |_| Slot {
                    channel: t.channel,
                    lock,
                })
            })
            .collect();
        Guard {
            slots,
            channels: channels.into(),
            reads: terms.iter().find(|t| t.reads).map(|t| t.channel),
            test,
            picked: Mutex::new(VecDeque::new()),
        }
    }

    /// The channels the guard reads: they must be searched.
    pub(crate) fn channels(&self) -> &[u32] {
        &self.channels
    }

    /// Whether its firings pick messages: it reads an asynchronous term.
    pub(crate) fn picks(&self) -> bool {
        !self.channels.is_empty()
    }

    /// The channel whose call's argument the guard reads, if any.
    pub(crate) fn reads(&self) -> Option<u32> {
        self.reads
    }

    /// Whether messages queued now pass the guard, with `own` call.
    pub(crate) fn finds(&self, channels: &[ChannelState], own: OwnCall<'_>) -> bool {
        self.search(channels, own, false).is_some()
    }

    /// Takes the first tuple of queued messages that passes the guard, with
    /// `own` call, and keeps it for a firing; `false` if none does.
    pub(crate) fn pick(&self, channels: &[ChannelState], own: OwnCall<'_>) -> bool {
        match self.search(channels, own, self.picks()) {
            Some(picked) => {
                if self.picks() {
                    self.lock_picked().push_back(picked);
                }
                true
            }
            None => false,
        }
    }

    /// A tuple picked for a firing of the chord (if it [`picks`](Self::picks)):
    /// one is there for each firing reserved and whose run has not taken one.
    pub(crate) fn take_picked(&self) -> Picked {
        self.lock_picked()
            .pop_front()
            .expect("a guarded firing picked its messages")
    }

    /// Puts the messages of a tuple picked for a firing that will not run
    /// back in front of their channels' queues, oldest first; the caller
    /// counts them again.
    pub(crate) fn put_back(&self, channels: &[ChannelState]) {
        let mut picked = self.take_picked();
        for &c in self.channels.iter() {
            let (mine, rest) = picked.into_iter().partition(|&(d, _)| d == c);
            picked = rest;
            let mine: Picked = mine;
            channels[c as usize]
                .store()
                .put_back(mine.into_iter().map(|(_, m)| m).collect());
        }
    }

    fn lock_picked(&self) -> crate::sync::MutexGuard<'_, VecDeque<Picked>> {
        self.picked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Searches the queued messages, oldest first per slot in pattern
    /// order, for a tuple the guard accepts with `own` call; takes it out
    /// if `take`. A guard that reads a call's argument is evaluated only
    /// with that call as `own`.
    ///
    /// A panicking guard unwinds from here with every lock released and
    /// nothing taken.
    fn search(&self, channels: &[ChannelState], own: OwnCall<'_>, take: bool) -> Option<Picked> {
        let argument = match (self.reads, own) {
            (None, _) => None,
            (Some(c), Some((d, argument))) if c == d => Some(argument),
            (Some(_), _) => return None,
        };
        let mut locked: Vec<Box<dyn Locked + '_>> = self
            .channels
            .iter()
            .map(|&c| {
                channels[c as usize]
                    .store()
                    .lock()
                    .expect("a guarded chord's channel is searched")
            })
            .collect();
        let mut at = vec![0; self.slots.len()];
        let mut seen: Vec<Seen<'_>> = self
            .slots
            .iter()
            .map(|slot| argument.filter(|_| Some(slot.channel) == self.reads))
            .collect();
        if !self.assign(&locked, &mut at, &mut seen, 0) {
            return None;
        }
        drop(seen);
        if !take {
            return Some(Vec::new());
        }
        // Out of each deque, newest first, so the other indices stay put.
        let mut messages: Vec<Option<Box<dyn Any + Send>>> =
            self.slots.iter().map(|_| None).collect();
        let mut order: Vec<usize> = (0..self.slots.len()).collect();
        order.sort_unstable_by_key(|&s| std::cmp::Reverse(at[s]));
        for s in order {
            if let Some(lock) = self.slots[s].lock {
                messages[s] = Some(locked[lock].remove(at[s]));
            }
        }
        Some(
            self.slots
                .iter()
                .zip(messages)
                .filter_map(|(slot, message)| Some((slot.channel, message?)))
                .collect(),
        )
    }

    /// Chooses the messages of slots `k..`, given those of the slots
    /// before: each slot the oldest message of its channel after the one
    /// the slot before it on that channel took; at the last, the guard
    /// decides.
    fn assign<'a>(
        &self,
        locked: &'a [Box<dyn Locked + 'a>],
        at: &mut [usize],
        seen: &mut [Seen<'a>],
        k: usize,
    ) -> bool {
        let Some(slot) = self.slots.get(k) else {
            return (self.test)(seen);
        };
        let Some(lock) = slot.lock else {
            return self.assign(locked, at, seen, k + 1);
        };
        let first = (0..k)
            .rev()
            .find(|&j| self.slots[j].lock == Some(lock))
            .map_or(0, |j| at[j] + 1);
        for i in first..locked[lock].len() {
            at[k] = i;
            seen[k] = Some(locked[lock].get(i));
            if self.assign(locked, at, seen, k + 1) {
                return true;
            }
        }
        false
    }
}
