//! What an arrival sets off: the matcher reserves the chords it enabled, and
//! each reserved chord is handed over to where its body runs.

use crate::executor;
use crate::matcher::{self, Reservation};
use crate::state::Join;
use crate::stats::{count, Event};
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
/// its own thread (or in its future's `poll`). If that caller's future was
/// dropped, the chord's messages go back instead.
fn hand_over(join: &Join, chord: usize) {
    let state = &join.state;
    match state.chords[chord].runner {
        None => executor::execute(join.clone(), chord),
        Some(channel) => {
            if state.channels[channel as usize].calls().hand_over(chord) {
                count(Event::Handoff);
            } else {
                give_back(join, chord, channel);
            }
        }
    }
}

/// A reserved chord that its runner, a call of `runner`, will not run (its
/// future was dropped): every message it reserved but the runner's call goes
/// back, still the oldest (none was taken yet), and the chords are
/// rescanned. A reserved call of a synchronous channel whose own future was
/// dropped meanwhile (an orphan, which counted on this firing) is withdrawn
/// instead of counted again.
#[cold]
pub(crate) fn give_back(join: &Join, chord: usize, runner: u32) {
    let state = &join.state;
    for &(c, n) in state.chords[chord].needs.iter() {
        let channel = &state.channels[c as usize];
        for _ in 0..n - u32::from(c == runner) {
            if !(channel.queue_is_calls() && channel.calls().withdraw_orphan()) {
                channel.count.add_one();
            }
        }
    }
    rescan(join);
}
