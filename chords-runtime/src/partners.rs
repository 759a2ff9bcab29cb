//! A firing's partner calls: the queued calls of its synchronous terms,
//! but the runner's own, claimed all at once before it takes any message.
//!
//! A queued call may be a branch of a choice (`choice.rs`), which fires
//! only if its choice's offer is won for it (`offer.rs`). So a firing
//! claims its partner calls tentatively (`CLAIMING`), in pattern order,
//! then wins every offer among them, and its runner's own offer if the
//! runner is a branch too, all together; only then does it take them for
//! good and go on to take its messages. Nothing was popped before, so every
//! step can still be undone:
//!
//! - A claimed call whose choice is settled already is a *ghost*: the
//!   firing refuses it (consumes it unused: its unit of the channel's count
//!   was reserved for the call it stood for) and takes the next waiting
//!   call of that channel if one is counted and free, in its stead.
//! - If none is, or the runner's own choice was settled for another
//!   branch, the firing is *lost*: it puts every claimed call back in its
//!   place (`WAITING`), and its caller gives the chord's messages back
//!   (all but those of the refused ghosts) and rescans.
//!
//! Once they are all won, the firing keeps the first call (most chords
//! have one partner), and the others are `CLAIMED`: still in their queues,
//! where the firing's terms take them, each the oldest `CLAIMED` call of
//! its channel. Calls of one channel are alike to the firings that claimed
//! them (each won its own offer): there are as many `CLAIMED` calls as
//! takes to come, so each take finds one.
//!
//! So no message is lost (a refused ghost was its chooser's to withdraw,
//! and its unit is consumed once), a branch fires only with its offer won,
//! and a choice fires one branch at most.

use smallvec::SmallVec;

use crate::offer::{self, Offer};
use crate::state::{Chord, State};
use crate::waiter::TakenCall;

/// A short list kept inline: a firing's partner calls, their offers, or
/// the channels of its refused ghosts.
pub(crate) type Inline<T> = SmallVec<[T; 4]>;

/// The partner calls a firing claimed (tentatively), in pattern order,
/// each with its channel: most chords have one.
type Calls = SmallVec<[(TakenCall, u32); 2]>;

/// A firing that could not claim its partners: every claimed call is back
/// in its place, and the chord's messages must go back (see
/// [`crate::resolve::give_back`]), but for one unit of each channel in
/// `consumed`, whose ghost was refused.
pub(crate) struct Lost {
    /// The runner's own choice was settled for another branch.
    pub(crate) own: bool,
    pub(crate) consumed: Inline<u32>,
}

/// Claims the partner calls of `chord`, whose runner brings its own call
/// of channel `own.0` at position `own.1` (among the chord's messages of
/// that channel) and is branch `offer.1` of a choice if `offer` is given;
/// then wins every offer at once (see the module docs). On success the
/// calls are the firing's: the first, in pattern order, comes back taken;
/// the others stay in their queues, `CLAIMED`, for the firing's terms to
/// take ([`crate::calls::Calls::take_claimed`]).
pub(crate) fn claim(
    state: &State,
    chord: &Chord,
    own: (u32, u32),
    offer: Option<(&Offer, u32)>,
) -> Result<Option<TakenCall>, Lost> {
    // Each claimed call, with its channel.
    let mut calls: Calls = Calls::new();
    let mut consumed: Inline<u32> = Inline::new();
    for term in chord.terms.iter() {
        if !state.channels[term.channel as usize].queue_is_calls() {
            continue;
        }
        for i in 0..term.count {
            if (term.channel, term.offset + i) == own {
                continue;
            }
            match claim_live(state, term.channel, &mut consumed) {
                Some(call) => calls.push((call, term.channel)),
                None => return Err(lost(state, calls, consumed, false)),
            }
        }
    }
    // Most firings take plain calls, and have no offer to win.
    while offer.is_some() || calls.iter().any(|(call, _)| call.offer().is_some()) {
        let mut offers: Inline<(&Offer, u32)> = offer.into_iter().collect();
        let mut whose: Inline<usize> = offer.map(|_| usize::MAX).into_iter().collect();
        for (k, (call, _)) in calls.iter().enumerate() {
            if let Some(offered) = call.offer() {
                offers.push(offered);
                whose.push(k);
            }
        }
        let Err(i) = offer::decide_all(&offers) else {
            break;
        };
        let k = whose[i];
        drop(offers);
        if k == usize::MAX {
            return Err(lost(state, calls, consumed, true));
        }
        // A partner's choice was settled: it is a ghost; another call of
        // its channel stands in, if one is free.
        let (ghost, channel) = calls.remove(k);
        ghost.refuse();
        match replace(state, channel, &mut consumed) {
            Some(call) => calls.insert(k, (call, channel)),
            None => return Err(lost(state, calls, consumed, false)),
        }
    }
    let mut calls = calls.into_iter().map(|(call, _)| call);
    let first = calls.next().map(TakenCall::keep);
    calls.for_each(TakenCall::confirm);
    Ok(first)
}

/// Claims the oldest waiting call of `channel`, for a unit the firing
/// reserved: refuses ghosts, each standing in for the next free unit.
/// `None` if a ghost stood for the last free unit (recorded in
/// `consumed`).
fn claim_live(state: &State, channel: u32, consumed: &mut Inline<u32>) -> Option<TakenCall> {
    let calls = state.channels[channel as usize].calls();
    loop {
        let call = calls.claim_reserved();
        if !call.is_ghost() {
            return Some(call);
        }
        call.refuse();
        if !state.channels[channel as usize].count.consume(1) {
            consumed.push(channel);
            return None;
        }
    }
}

/// A call of `channel` to stand in for a refused ghost, if a unit is free.
fn replace(state: &State, channel: u32, consumed: &mut Inline<u32>) -> Option<TakenCall> {
    if !state.channels[channel as usize].count.consume(1) {
        consumed.push(channel);
        return None;
    }
    claim_live(state, channel, consumed)
}

/// Puts every claimed call back, for a firing that is lost.
fn lost(state: &State, calls: Calls, consumed: Inline<u32>, own: bool) -> Lost {
    for (call, channel) in calls {
        // An orphan (a dropped future's call) waits again as one: counted
        // again, as its claim uncounted it.
        if call.is_orphan() {
            state.channels[channel as usize].calls().count_orphan();
        }
        call.put_back();
    }
    Lost { own, consumed }
}
