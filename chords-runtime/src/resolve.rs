//! What an arrival sets off: the matcher reserves the chords it enabled, and
//! each reserved chord is handed over to where its body runs.

use crate::channel::AsyncChannel;
use crate::channel_state::ChannelState;
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
    resolve_arrivals(join, members, 1);
}

/// `n` messages were counted at once on a channel whose chords are
/// `members`: resolves as `n` arrivals one after another would, each
/// reserving the first chord enabled then, and stops at the first that
/// finds none (the later ones would find none either).
#[inline(always)]
fn resolve_arrivals<S: AsRef<[(u32, u32)]>, I: AsRef<[u32]>>(
    join: &Join,
    members: &[Member<S, I>],
    n: u32,
) {
    // (Folded away for the constant tables of unguarded chords.)
    if members.iter().any(|m| m.guarded) {
        arrived(join);
    }
    for _ in 0..n {
        match matcher::first_enabled(&join.state, members) {
            Reservation::Reserved(chord) => hand_over(join, chord),
            Reservation::NotReady => return,
            Reservation::Conflict => return rescan(join),
        }
    }
}

/// Sends every message of `msgs` on `channel` (checked to be `join`'s),
/// whose chords are `members`, as one batch: each is queued, then all are
/// counted with one atomic step and resolved. If the iterator panics, the
/// messages it gave before are counted and resolved all the same.
pub(crate) fn send_all<T: Send + 'static, S: AsRef<[(u32, u32)]>, I: AsRef<[u32]>>(
    join: &Join,
    channel: AsyncChannel<T>,
    msgs: impl IntoIterator<Item = T>,
    members: &[Member<S, I>],
) {
    /// Messages queued and not yet counted; counted and resolved when
    /// dropped.
    struct Batch<'a, S: AsRef<[(u32, u32)]>, I: AsRef<[u32]>> {
        join: &'a Join,
        channel: &'a ChannelState,
        members: &'a [Member<S, I>],
        queued: u32,
    }
    impl<S: AsRef<[(u32, u32)]>, I: AsRef<[u32]>> Drop for Batch<'_, S, I> {
        fn drop(&mut self) {
            self.channel.count.add(self.queued);
            resolve_arrivals(self.join, self.members, self.queued);
        }
    }
    let state = &join.state;
    let channel = &state.channels[state.check(&channel)];
    let payloads = channel.payloads::<T>();
    let mut msgs = msgs.into_iter();
    // Batches of at most `u32::MAX`: the counter holds no more, and says so.
    loop {
        let mut batch = Batch {
            join,
            channel,
            members,
            queued: 0,
        };
        for msg in msgs.by_ref() {
            payloads.push(msg);
            batch.queued += 1;
            if batch.queued == u32::MAX {
                break;
            }
        }
        if batch.queued < u32::MAX {
            return;
        }
    }
}

/// Reserves and hands over enabled chords, first declared first, until
/// none is enabled: after claims were rolled back, which may have turned
/// other resolvers away.
#[cold]
pub(crate) fn rescan(join: &Join) {
    arrived(join);
    while let Some(chord) = matcher::next_enabled(&join.state) {
        hand_over(join, chord);
    }
}

/// Wakes the callers that retry as messages arrive, if the join has any
/// (`arrivals.rs`): a message was counted, or given back.
fn arrived(join: &Join) {
    if let Some(arrivals) = &join.state.arrivals {
        arrivals.bump();
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
/// back, still the oldest (none was taken yet; a guarded chord's picked
/// messages go back in front of their queues), and the chords are
/// rescanned. A reserved call of a synchronous channel whose own future was
/// dropped meanwhile (an orphan, which counted on this firing) is withdrawn
/// instead of counted again.
#[cold]
pub(crate) fn give_back(join: &Join, chord: usize, runner: u32) {
    give_back_except(join, chord, runner, &[]);
}

/// As [`give_back`], but for one unit of each channel in `consumed`: those
/// of the ghosts the firing refused while it claimed its partner calls
/// (`partners.rs`).
#[cold]
pub(crate) fn give_back_except(join: &Join, chord: usize, runner: u32, consumed: &[u32]) {
    let state = &join.state;
    if let Some(guard) = state.chords[chord].guard.as_ref().filter(|g| g.picks()) {
        guard.put_back(&state.channels);
    }
    for &(c, n) in state.chords[chord].needs.iter() {
        let channel = &state.channels[c as usize];
        let gone = consumed.iter().filter(|&&d| d == c).count() as u32;
        for _ in 0..n - u32::from(c == runner) - gone {
            if !(channel.queue_is_calls() && channel.calls().withdraw_orphan()) {
                channel.count.add_one();
            }
        }
    }
    rescan(join);
}
