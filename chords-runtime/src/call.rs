//! A synchronous call from start to end: reserve a chord at once, retry a
//! few times, or queue and wait; run the chord it is handed, if any.

use std::time::Instant;

use crate::channel::SyncChannel;
use crate::queued::{self, Ended};
use crate::reserved::Reserved;
use crate::state::Join;
use crate::stats::{count, Event};

/// How long a synchronous call may wait for a chord.
#[derive(Clone, Copy, Debug)]
pub enum Patience {
    /// Not at all: only a chord that can fire at once (`try_`).
    Now,
    /// Until the deadline (`_timeout`, `_deadline`).
    Until(Instant),
    /// As long as it takes.
    Forever,
}

impl Patience {
    /// Waiting at most `timeout` from now (forever if the deadline would
    /// overflow).
    pub fn within(timeout: std::time::Duration) -> Self {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => Patience::Until(deadline),
            None => Patience::Forever,
        }
    }
}

/// How many times a call that cannot fire retries before it queues.
const RETRIES: u32 = if cfg!(loom) { 0 } else { 6 };

/// After how many retries a call may rob a chord handed to a queued caller
/// that has not claimed it: a caller that is running claims its chord within
/// a few cache misses, well before.
const ROB_AFTER: u32 = if cfg!(loom) { 0 } else { 3 };

/// Spins `2^retry` times (1 to 32), a few nanoseconds to a microsecond.
fn spin(retry: u32) {
    for _ in 0..1u32 << retry {
        std::hint::spin_loop();
    }
}

/// Makes a synchronous call of `channel`: tries `now` (which reserves and
/// runs a chord with the call at once, or hands the argument back), then,
/// unless `patience` is [`Patience::Now`], a few more times, spinning a
/// little longer before each retry; then queues the call and waits for a
/// chord. A queued call that a firing hands a chord runs it with `run`.
/// `Err` gives the argument back: the call found no chord in time.
///
/// The retries are the adaptive spinning of `parking_lot`'s locks: when
/// another thread will send the missing message within a few hundred
/// nanoseconds (a lock released, a reader count put back), firing it
/// ourselves is far cheaper than queuing and being woken. A call that has
/// not queued yet is not waiting on its channel: the rules hold as if it
/// arrived when it queues or fires.
#[inline(always)]
pub(crate) fn call<A: Send + 'static, R: Send + 'static>(
    join: &Join,
    channel: SyncChannel<A, R>,
    arg: A,
    patience: Patience,
    mut now: impl FnMut(A) -> Result<R, A>,
    run: impl FnOnce(Reserved<'_, A, R>, A) -> R,
) -> Result<R, A> {
    match (now(arg), patience) {
        (Ok(result), _) => Ok(result),
        (Err(arg), Patience::Now) => Err(arg),
        (Err(arg), Patience::Until(deadline)) => {
            retry_or_queue(join, channel, arg, Some(deadline), now, run)
        }
        (Err(arg), Patience::Forever) => retry_or_queue(join, channel, arg, None, now, run),
    }
}

/// [`call`] after its first try: out of line, so that the first try is all
/// a caller's code holds.
#[cold]
#[inline(never)]
fn retry_or_queue<A: Send + 'static, R: Send + 'static>(
    join: &Join,
    channel: SyncChannel<A, R>,
    mut arg: A,
    deadline: Option<Instant>,
    mut now: impl FnMut(A) -> Result<R, A>,
    run: impl FnOnce(Reserved<'_, A, R>, A) -> R,
) -> Result<R, A> {
    if join.state.channels[channel.index as usize].retries {
        return retry_on_arrivals(join, arg, deadline, now);
    }
    for retry in 0..=RETRIES {
        // (Always true under loom, where `ROB_AFTER` is 0.)
        #[allow(clippy::absurd_extreme_comparisons)]
        if retry >= ROB_AFTER {
            // A queued caller that has not claimed the chord handed to it
            // by now (it is parked, or not running) would keep everyone
            // waiting until it runs: take the chord in its stead; it waits
            // again in its place.
            if let Some(chord) = queued::rob(join, channel.index) {
                count(Event::Robbery);
                if let Ok(reserved) = Reserved::handed_over(join, channel, chord, None) {
                    return Ok(run(reserved, arg));
                }
            }
        }
        if retry == RETRIES {
            break;
        }
        spin(retry);
        count(Event::Retry);
        match now(arg) {
            Ok(result) => return Ok(result),
            Err(back) => arg = back,
        }
    }
    count(Event::Queued);
    loop {
        match queued::queue_and_wait(join, channel, arg, deadline) {
            Ended::Done(result) => return Ok(result),
            Ended::Withdrawn(arg) => return Err(arg),
            Ended::HandedOver(chord, back) => {
                match Reserved::handed_over(join, channel, chord, None) {
                    Ok(reserved) => return Ok(run(reserved, back)),
                    // A partner call was a ghost, with none in its stead:
                    // the chord went back; queue again.
                    Err(_) => arg = back,
                }
            }
        }
    }
}

/// [`call`] for a channel whose call's argument a guard reads: the call
/// never queues; it tries again after each arrival on the join, until it
/// fires or `deadline` passes (see `arrivals.rs`).
fn retry_on_arrivals<A, R>(
    join: &Join,
    arg: A,
    deadline: Option<Instant>,
    now: impl FnMut(A) -> Result<R, A>,
) -> Result<R, A> {
    let arrivals = join
        .state
        .arrivals
        .as_ref()
        .expect("a join whose calls retry counts arrivals");
    arrivals.retry(arg, now, |seen| arrivals.wait_past(seen, deadline))
}
