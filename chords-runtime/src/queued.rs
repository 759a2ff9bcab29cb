//! A synchronous call that could not reserve a chord at once: it queues,
//! waits to be answered or handed a chord, and may withdraw at its deadline.

use std::time::Instant;

use crate::channel::SyncChannel;
use crate::resolve::resolve;
use crate::state::Join;
use crate::sync::Backoff;
use crate::waiter::{Caller, Slot, Wake};

/// How a queued synchronous call ended.
pub(crate) enum Ended<R, A> {
    /// With its result.
    Done(R),
    /// At its deadline, still queued: its argument.
    Withdrawn(A),
    /// Handed this chord to run on the caller's thread, with its argument.
    HandedOver(usize, A),
}

/// Queues a call of `channel` and waits for a chord until `deadline`, if any.
#[inline(never)]
pub(crate) fn queue_and_wait<A: Send + 'static, R: Send + 'static>(
    join: &Join,
    channel: SyncChannel<A, R>,
    arg: A,
    deadline: Option<Instant>,
) -> Ended<R, A> {
    let state = &join.state;
    let queue = &state.channels[state.check(&channel)];
    let slot = Slot::new(arg);
    let caller = Caller::new();
    let (call, generation) = caller.publish(&slot);
    queue.calls().push(call);
    queue.count.add_one();
    resolve(join, &queue.members);
    wait(join, channel.index, &slot, &caller, generation, deadline)
}

/// Waits for the call `generation` of `caller` on `channel` to end: with its
/// result, withdrawn at `deadline`, or handed a chord to run. In the last
/// case the call and its argument are the caller's again (no firing holds
/// them), and the chord's other messages are reserved for it.
///
/// # Panics
/// If the chord that took the call panicked, or dropped its reply.
pub(crate) fn wait<A, R>(
    join: &Join,
    channel: u32,
    slot: &Slot<A, R>,
    caller: &Caller,
    generation: u64,
    mut deadline: Option<Instant>,
) -> Ended<R, A> {
    let chords = &join.state.chords;
    loop {
        match caller.waiter().wait(generation, deadline) {
            Wake::Done => return Ended::Done(caller.result(slot)),
            Wake::HandedOver(chord) => return Ended::HandedOver(chord, slot.take_arg()),
            Wake::Panicked(chord) => panic!(
                "chord `{}` panicked while computing this call's result",
                chords[chord].name
            ),
            Wake::NoReply(chord) => panic!(
                "chord `{}` finished without replying to this call",
                chords[chord].name
            ),
            Wake::TimedOut => {
                if withdraw(join, channel, caller, generation) {
                    return Ended::Withdrawn(slot.take_arg());
                }
                // A firing took the call first: its result is ours.
                deadline = None;
            }
        }
    }
}

/// Withdraws the queued call `generation` of `caller` from `channel`, and
/// unlinks it from the channel's queue. `false` if a firing took it first.
fn withdraw(join: &Join, channel: u32, caller: &Caller, generation: u64) -> bool {
    let queue = &join.state.channels[channel as usize];
    let backoff = Backoff::new();
    loop {
        if queue.count.consume(1) {
            if caller.waiter().withdraw(generation) {
                queue.calls().unlink_withdrawn(caller.waiter(), generation);
                return true;
            }
            // Taken meanwhile: the unit we took is another call's.
            queue.count.add_one();
            resolve(join, &queue.members);
            return false;
        }
        if !caller.waiter().is_waiting(generation) {
            return false;
        }
        // Every queued call is reserved by a firing that will take one:
        // wait to see whether it is ours.
        backoff.snooze();
    }
}
