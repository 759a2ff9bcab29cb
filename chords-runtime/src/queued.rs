//! A synchronous call that could not reserve a chord at once: it queues,
//! waits to be answered or handed a chord, and may withdraw at its deadline.

use std::time::Instant;

use crate::channel::SyncChannel;
use crate::channel_state::ChannelState;
use crate::offer::Offer;
use crate::resolve::resolve;
use crate::state::Join;
use crate::sync::Backoff;
use crate::waiter::{Caller, Slot, Waiter, Wake};

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
    let generation = enqueue(join, queue, &caller, &slot, None);
    wait(join, channel.index, &slot, &caller, generation, deadline)
}

/// Queues the call of `caller` with `slot` on `queue` and counts it, then
/// resolves; returns the call's generation. The call is branch `offer.1` of
/// a choice, if `offer` is given (`offer.rs`).
pub(crate) fn enqueue<A, R>(
    join: &Join,
    queue: &ChannelState,
    caller: &Caller,
    slot: &Slot<A, R>,
    offer: Option<(&Offer, u32)>,
) -> u64 {
    let (call, generation) = caller.publish(slot, offer);
    queue.calls().push(call);
    // An orphan (a dropped future's call, counted as if a firing owed it)
    // gives way to a new call: it is withdrawn, and the new call stands in
    // its count, so that no firing takes a call nobody waits for.
    if !queue.calls().withdraw_orphan() {
        queue.count.add_one();
        resolve(join, &queue.members);
        // A firing may have taken this call, pushed and not yet counted,
        // for a unit that another call stood in for; if that call was
        // orphaned meanwhile (its caller found every unit owed), the unit
        // just counted is the orphan's, to withdraw it with.
        reap_orphans(join, queue);
    }
    generation
}

/// Leaves a queued call that a firing counts on (every unit of its channel
/// was reserved: [`Withdrawal::Owed`]) to that firing, whose chord then goes
/// back: the argument moves out of `slot`, which is going, and the call
/// becomes an orphan. `false` if the call is no longer queued (try again).
pub(crate) fn orphan<A: Send + 'static, R>(
    join: &Join,
    channel: u32,
    caller: &mut Caller,
    generation: u64,
    slot: &Slot<A, R>,
) -> bool {
    let queue = &join.state.channels[channel as usize];
    queue.calls().count_orphan();
    if caller.orphan(generation, slot) {
        // Every unit was reserved when we looked; if one came since, it is
        // the orphan's to withdraw.
        reap_orphans(join, queue);
        return true;
    }
    queue.calls().uncount_orphan();
    false
}

/// Withdraws orphans while units of the channel's count are available for
/// them: a future that orphaned its call because every unit was reserved
/// calls this after, in case a unit came meanwhile.
pub(crate) fn reap_orphans(join: &Join, queue: &ChannelState) {
    while queue.calls().has_orphans() && queue.count.claim(1) {
        if queue.calls().withdraw_orphan() {
            queue.count.commit(1);
        } else {
            queue.count.roll_back(1);
            resolve(join, &queue.members);
            return;
        }
    }
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
    deadline: Option<Instant>,
) -> Ended<R, A> {
    loop {
        match caller.waiter().wait(generation, deadline) {
            Wake::Done => return Ended::Done(caller.result(slot)),
            Wake::HandedOver(chord) => return Ended::HandedOver(chord, slot.take_arg()),
            failed @ (Wake::Panicked(_) | Wake::NoReply(_)) => fail(join, failed),
            Wake::Refused => unreachable!("a call that is no choice's branch is never refused"),
            Wake::TimedOut => {
                let backoff = Backoff::new();
                loop {
                    match withdraw(join, channel, caller.waiter(), generation) {
                        Withdrawal::Withdrawn => return Ended::Withdrawn(slot.take_arg()),
                        // A firing took the call first: its result is ours,
                        // or the chord it hands us. (If that chord is
                        // robbed, the call waits again, still until the
                        // deadline.)
                        Withdrawal::Taken => break,
                        // A firing counts on the call and will take it soon.
                        Withdrawal::Owed => backoff.snooze(),
                    }
                }
            }
        }
    }
}

/// Robs a chord handed to a queued call of `channel` whose caller has not
/// claimed it (see [`crate::calls::Calls::rob`]), for a caller of the
/// channel that has not queued: the robbed call waits again in its place,
/// counted again as an arrival. Returns the chord, reserved for the
/// robber's own call.
pub(crate) fn rob(join: &Join, channel: u32) -> Option<usize> {
    let queue = &join.state.channels[channel as usize];
    let chord = queue.calls().rob()?;
    queue.count.add_one();
    resolve(join, &queue.members);
    Some(chord)
}

/// Panics in a caller whose chord's body `failed` elsewhere (panicked, or
/// dropped the call's reply), naming the chord.
pub(crate) fn fail(join: &Join, failed: Wake) -> ! {
    let name = |chord: usize| &join.state.chords[chord].name;
    match failed {
        Wake::Panicked(chord) => panic!(
            "chord `{}` panicked while computing this call's result",
            name(chord)
        ),
        Wake::NoReply(chord) => panic!(
            "chord `{}` finished without replying to this call",
            name(chord)
        ),
        _ => unreachable!("a call that did not fail"),
    }
}

/// What became of an attempt to withdraw a queued call.
pub(crate) enum Withdrawal {
    /// Withdrawn and unlinked, as if never made.
    Withdrawn,
    /// A firing took it first.
    Taken,
    /// Still queued, but a firing has counted on it (every queued call of the
    /// channel is reserved) and will take it.
    Owed,
}

/// Withdraws the queued call `generation` of `waiter` from `channel`, and
/// unlinks it from the channel's queue.
///
/// It first claims one message of the channel's count (a claim, not a
/// consumption, so that while it decides, others see the message present
/// and wait rather than count it gone), then CASes the call `WAITING ->
/// IDLE`. If a firing took the call in between, the claim stands for
/// another call: it is rolled back and the channel resolved.
pub(crate) fn withdraw(join: &Join, channel: u32, waiter: &Waiter, generation: u64) -> Withdrawal {
    let queue = &join.state.channels[channel as usize];
    // Afresh: a caller retries this while a firing that counted on its
    // call is on its way.
    if !queue.count.claim_fresh(1) {
        return if waiter.is_waiting(generation) {
            Withdrawal::Owed
        } else {
            Withdrawal::Taken
        };
    }
    if waiter.withdraw(generation) {
        queue.count.commit(1);
        queue.calls().unlink_withdrawn(waiter, generation);
        Withdrawal::Withdrawn
    } else {
        queue.count.roll_back(1);
        resolve(join, &queue.members);
        Withdrawal::Taken
    }
}
