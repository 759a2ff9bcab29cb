//! What an arrival sets off: the matcher reserves the chords it enabled, and
//! each reserved chord is handed over to where its body runs.

use crate::executor;
use crate::matcher::{self, Reservation};
use crate::state::Join;
use crate::tables::Member;

/// A message or call was counted on a channel whose chords are `members`:
/// reserves the first chord it enabled and hands it over. If claims were
/// rolled back meanwhile, every chord is rescanned.
#[inline(always)]
pub(crate) fn resolve<S: AsRef<[(u32, u32)]>, I: AsRef<[u32]>>(
    join: &Join,
    members: &[Member<S, I>],
) {
    match matcher::first_enabled(&join.state, members) {
        Reservation::Reserved(chord) => hand_over(join, chord),
        Reservation::NotReady => {}
        Reservation::Conflict => rescan(join),
    }
}

/// Reserves and hands over enabled chords, first declared first, until
/// none is enabled: after claims were rolled back, which may have turned
/// other resolvers away.
#[cold]
pub(crate) fn rescan(join: &Join) {
    while let Some(chord) = matcher::next_enabled(&join.state) {
        hand_over(join, chord);
    }
}

/// Hands a reserved chord over to where its body runs: the executor, or
/// the oldest queued caller of its first synchronous term, which runs it on
/// its own thread.
fn hand_over(join: &Join, chord: usize) {
    let state = &join.state;
    match state.chords[chord].runner {
        None => executor::execute(join.clone(), chord),
        Some(channel) => state.channels[channel as usize]
            .calls()
            .take_reserved()
            .hand_over(chord),
    }
}
