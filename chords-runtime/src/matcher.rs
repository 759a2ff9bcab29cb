//! The matcher: how a chord's messages are reserved, all at once or not at all.
//!
//! # Protocol
//!
//! Each channel has one counter word ([`Count`]), on its own cache line, with two
//! halves: `available`, the messages queued and not reserved by any match, and
//! `claimed`, those a match in progress holds. Payloads wait in the channel's FIFO
//! ([`crate::queue`]); synchronous calls wait as [`crate::waiter`] entries in a
//! FIFO that unlinks the calls withdrawn ([`crate::calls`]).
//!
//! - **Send.** A sender pushes its message, *then* increments `available`, then
//!   resolves: it looks, in declaration order, at the chords that hold its channel
//!   and fires the first whose every channel has enough `available` messages.
//! - **Reserve.** To fire a chord, a resolver moves the messages it needs from
//!   `available` to `claimed`, channel by channel in channel-index order (a CAS
//!   that fails only if fewer messages are *present*, available or claimed:
//!   while another match holds claimed messages it needs, it waits for that
//!   match to commit or roll back). The last channel is consumed directly,
//!   unless the chord has *earlier* chords (declared before it, sharing a
//!   channel): then it is claimed too, and the resolver checks that none of
//!   them is enabled (or may be, once other claims roll back) before it
//!   commits; if one is, it rolls back and rescans, first declared first. If
//!   any channel falls short, the claims made so far go back to `available`
//!   (roll back). Otherwise the claims are committed: `claimed` drops, and the
//!   firing owns that many messages of each channel.
//! - **Fire.** The owner of a reservation pops that many elements from each FIFO:
//!   the oldest ones still there. (Reservations are fungible counts, so two
//!   firings popping at once may interleave the messages they take.) An
//!   asynchronous-only chord goes to the executor; a chord with a synchronous
//!   term is handed to the oldest caller of its first synchronous term (its
//!   `Waiter` is CAS'd `WAITING -> TAKEN`, then told `FIRED`), which leaves
//!   its wait with its argument and fires the chord on its own thread as a
//!   caller that found it complete does ([`crate::direct`]).
//! - **Lazy queuing.** A synchronous caller first tries to fire a chord with its
//!   own call plus messages already there, without queuing anything (the fast
//!   path of a `get` when a `put` is waiting, or of `acquire` on a free lock);
//!   it retries a few times, spinning, before it queues.
//! - **Tables.** Which chords hold a channel, and what each needs, is a table
//!   of [`Member`]s: built at run time by the builder, or written as constants
//!   by `#[chords]` (checked against the built one), so that the loops of
//!   [`Join::resolve_among`] and [`Join::fire_among`] unroll.
//! - **Withdraw.** A caller that times out takes one unit back from `available`
//!   and then CASes its waiter `WAITING -> IDLE`, and unlinks its entry from the
//!   queue. If a firing took the call in between, the unit stands for another
//!   call: it is put back and resolved.
//!
//! # Invariants
//!
//! 1. For each channel, the live entries of its FIFO number `available +
//!    claimed +` the reservations committed and not yet popped `+` the withdrawals
//!    between their two steps. Hence every pop under a reservation finds a message.
//!    (A call's entry is live while the call waits. A queue of calls hands a
//!    popper its oldest live entry; if another firing takes that call, or its
//!    caller withdraws it, first, the `TAKEN` CAS fails and the popper pops
//!    again. Dead entries are unlinked by the withdrawing caller or by the
//!    next pop that passes them.)
//! 2. A message is consumed only through a committed reservation, and a
//!    reservation is committed at most once: no message is consumed twice, and
//!    none is lost, since it stays counted in `available` until then.
//! 3. *Eagerness.* Every chord that the `available` counts enable is the
//!    business of some resolver still running: a sender that incremented a
//!    counter scans its channel's chords afterwards; a resolver that rolled claims
//!    back rescans every chord afterwards (others may have passed a chord over
//!    because of its claims); and of two senders that each needed the other's
//!    message, the `SeqCst` order of their increments and loads lets at least one
//!    see both.
//! 4. *No false "not ready".* A reservation reports a chord not ready only
//!    when, at one instant, fewer messages of some channel were present than it
//!    needs; claimed messages count as present until their match commits. A
//!    resolver waits only on a channel above every channel it holds claimed
//!    (claims are made in channel order, and the priority check waits for
//!    nothing), so waits never form a cycle: they last as long as another
//!    match's few remaining steps.
//! 5. *Priority.* A resolver tries chords in declaration order and restarts
//!    from the first after a conflict, so the first chord an arrival enables
//!    fires; and a reservation commits only when no earlier chord sharing one
//!    of its channels is enabled, so of two concurrent arrivals that together
//!    enable two chords, the earlier declared fires, as in either order of the
//!    arrivals one at a time.

use std::sync::atomic::Ordering::SeqCst;

use crate::executor;
use crate::join::{Join, Queue};
use crate::sync::{loom_seq_cst, AtomicU64, Backoff};
use crate::waiter::Lease;

const CLAIM: u64 = 1 << 32;

/// A channel's counter: `available` in the low half, `claimed` in the high half.
pub(crate) struct Count(AtomicU64);

fn available(word: u64) -> u32 {
    word as u32
}

fn claimed(word: u64) -> u32 {
    (word >> 32) as u32
}

/// The messages a word counts as queued and not yet consumed: available, or
/// claimed by a match that may still roll back.
fn present(word: u64) -> u32 {
    available(word).saturating_add(claimed(word))
}

impl Count {
    pub(crate) fn new() -> Self {
        Count(AtomicU64::new(0))
    }

    #[inline]
    fn load(&self) -> u64 {
        loom_seq_cst();
        self.0.load(SeqCst)
    }

    /// Reads the word again after waiting for another thread to change it.
    /// Under loom, an RMW: a load could read the same stale value at every
    /// turn of the wait, an endless path the real memory model never takes.
    #[inline]
    fn reload(&self) -> u64 {
        if cfg!(loom) {
            self.0.fetch_add(0, SeqCst)
        } else {
            self.0.load(SeqCst)
        }
    }

    #[inline]
    pub(crate) fn available(&self) -> u32 {
        available(self.load())
    }

    /// Counts one more queued message (after it was pushed).
    #[inline]
    pub(crate) fn add_one(&self) {
        let before = self.0.fetch_add(1, SeqCst);
        assert!(
            available(before) < u32::MAX,
            "more than u32::MAX messages queued on one channel"
        );
    }

    /// Puts back one message taken by `take_one`.
    fn put_back(&self) {
        self.0.fetch_add(1, SeqCst);
    }

    /// Takes `n` available messages: claims them (`claim`) or consumes them.
    ///
    /// `false` only if fewer than `n` messages are present. While messages it
    /// needs are claimed by a match in progress, it waits for that match to
    /// commit or roll back (a few atomic steps) rather than report them
    /// missing: a `try_` call must not fail on a message that is there.
    #[inline]
    fn take(&self, n: u32, claim: bool) -> bool {
        let mut word = self.load();
        let backoff = Backoff::new();
        loop {
            if available(word) < n {
                if present(word) < n {
                    return false;
                }
                backoff.snooze();
                word = self.reload();
                continue;
            }
            let new = word - n as u64 + if claim { n as u64 * CLAIM } else { 0 };
            match self.0.compare_exchange_weak(word, new, SeqCst, SeqCst) {
                Ok(_) => return true,
                Err(now) => word = now,
            }
            backoff.spin();
        }
    }

    /// Consumes claimed messages.
    #[inline]
    fn commit(&self, n: u32) {
        self.0.fetch_sub(n as u64 * CLAIM, SeqCst);
    }

    /// Returns claimed messages to `available`.
    #[inline]
    fn roll_back(&self, n: u32) {
        self.0
            .fetch_add((n as u64).wrapping_sub(n as u64 * CLAIM), SeqCst);
    }
}

/// A chord that holds a channel, as that channel's resolvers see it.
///
/// The runtime builds these for every channel; code generated by `#[chords]`
/// has the same tables as constants (`S = &'static [(u32, u32)]`), so that
/// the matcher's loops over them unroll (see [`crate::direct`]).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<S = &'static [(u32, u32)], I = &'static [u32]> {
    /// The chord's index, in declaration order.
    pub chord: u32,
    /// A call of the channel that fires the chord itself: its position among
    /// the chord's messages of the channel (the newest).
    pub position: u32,
    /// (channel, how many messages) for each channel of the chord, in
    /// channel order.
    pub needs: S,
    /// `needs` less that one call of the channel.
    pub others: S,
    /// The chords declared before this one that share a channel with it:
    /// before it commits, a match checks that none of them is enabled.
    pub earlier: I,
}

/// A channel's table of [`Member`]s, as the runtime builds it.
pub(crate) type Members = Box<[Member<Box<[(u32, u32)]>, Box<[u32]>>]>;

/// What became of an attempt to reserve a chord's messages.
enum Reserve {
    Done,
    NotReady,
    /// Another match took a message between our look and our claim; our
    /// claims were rolled back.
    Conflict,
}

impl Join {
    /// Reserves `needs`: (channel, how many messages) pairs in channel order,
    /// for a chord whose `earlier` chords (declared before it, sharing a
    /// channel) must not be enabled. `own` is the channel of a call that
    /// brings itself (not counted in its channel): it counts for the earlier
    /// chords that hold its channel.
    #[inline(always)]
    fn reserve(&self, needs: &[(u32, u32)], earlier: &[u32], own: Option<u32>) -> Reserve {
        let channels = &self.inner.channels;
        let count = |c: u32| &channels[c as usize].count;
        let Some((&(last_channel, last_n), claims)) = needs.split_last() else {
            return if self.earlier_enabled(earlier, own) {
                Reserve::Conflict
            } else {
                Reserve::Done
            };
        };
        // Look first: most attempts end here, without writing anything. (A
        // single channel needs no look: its CAS fails only when its messages
        // fall short.)
        if !claims.is_empty() && needs.iter().any(|&(c, n)| present(count(c).load()) < n) {
            return Reserve::NotReady;
        }
        // With earlier chords to check, the last channel is claimed too, so
        // that nothing is consumed before the check; without, it is consumed
        // directly.
        let claims = if earlier.is_empty() { claims } else { needs };
        for (i, &(c, n)) in claims.iter().enumerate() {
            if !count(c).take(n, true) {
                return self.roll_back(&claims[..i]);
            }
        }
        if !earlier.is_empty() {
            if self.earlier_enabled(earlier, own) {
                self.roll_back(needs);
                return Reserve::Conflict;
            }
        } else if !count(last_channel).take(last_n, false) {
            return self.roll_back(claims);
        }
        for &(c, n) in claims {
            count(c).commit(n);
        }
        Reserve::Done
    }

    /// Returns the claims of a reservation that fell short.
    #[inline(always)]
    fn roll_back(&self, claims: &[(u32, u32)]) -> Reserve {
        if claims.is_empty() {
            return Reserve::NotReady;
        }
        for &(c, n) in claims {
            self.inner.channels[c as usize].count.roll_back(n);
        }
        Reserve::Conflict
    }

    /// Whether one of the `earlier` chords is enabled, or may be once the
    /// matches in progress roll their claims back (ours included), counting
    /// the caller's `own` call. The rules then fire it first: an arrival
    /// that enables two chords fires the one declared first, and one that
    /// enabled it alone should have fired it already.
    fn earlier_enabled(&self, earlier: &[u32], own: Option<u32>) -> bool {
        let inner = &self.inner;
        earlier.iter().any(|&chord| {
            inner.chords[chord as usize].needs.iter().all(|&(c, n)| {
                let n = n - u32::from(own == Some(c));
                present(inner.channels[c as usize].count.load()) >= n
            })
        })
    }

    /// A message of a channel was counted: fire the first chord it enabled,
    /// among the channel's `members`.
    ///
    /// One arrival enables at most one firing, unless claims were rolled back
    /// meanwhile; then every chord is rescanned.
    #[inline(always)]
    pub(crate) fn resolve_among<S: AsRef<[(u32, u32)]>, I: AsRef<[u32]>>(
        &self,
        members: &[Member<S, I>],
    ) {
        for member in members {
            match self.reserve(member.needs.as_ref(), member.earlier.as_ref(), None) {
                Reserve::Done => return self.dispatch(member.chord as usize),
                Reserve::NotReady => {}
                Reserve::Conflict => return self.resolve_all(),
            }
        }
    }

    /// [`resolve_among`](Join::resolve_among) the chords of `channel`.
    pub(crate) fn resolve(&self, channel: u32) {
        self.resolve_among(&self.inner.channels[channel as usize].chords);
    }

    /// Fires enabled chords, first declared first, until none is enabled.
    fn resolve_all(&self) {
        let chords = &self.inner.chords;
        let backoff = Backoff::new();
        'scan: loop {
            for (c, chord) in chords.iter().enumerate() {
                match self.reserve(&chord.needs, &chord.earlier, None) {
                    Reserve::Done => {
                        self.dispatch(c);
                        continue 'scan;
                    }
                    Reserve::NotReady => {}
                    Reserve::Conflict => {
                        backoff.spin();
                        continue 'scan;
                    }
                }
            }
            return;
        }
    }

    /// Fires a reserved chord with queued messages only.
    fn dispatch(&self, chord: usize) {
        let inner = &self.inner;
        match inner.chords[chord].runner {
            None => executor::execute(self.clone(), chord),
            Some(channel) => {
                let Queue::Sync(fifo) = &inner.channels[channel as usize].queue else {
                    unreachable!()
                };
                loop {
                    if let Some(call) = fifo.pop_reserved().take() {
                        call.fire(chord);
                        return;
                    }
                }
            }
        }
    }

    /// Tries to fire one of the chords (`members`) of channel `own` with a
    /// call of it that is not queued. Returns the chord and the call's position among
    /// its messages of the channel.
    #[inline(always)]
    pub(crate) fn fire_among<S: AsRef<[(u32, u32)]>, I: AsRef<[u32]>>(
        &self,
        members: &[Member<S, I>],
        own: u32,
    ) -> Option<(usize, u32)> {
        'scan: loop {
            for member in members {
                match self.reserve(member.others.as_ref(), member.earlier.as_ref(), Some(own)) {
                    Reserve::Done => return Some((member.chord as usize, member.position)),
                    Reserve::NotReady => {}
                    Reserve::Conflict => {
                        self.after_conflict();
                        continue 'scan;
                    }
                }
            }
            return None;
        }
    }

    /// After our claims were rolled back: they may have turned others away.
    #[cold]
    fn after_conflict(&self) {
        self.resolve_all();
        Backoff::new().spin();
    }

    /// Withdraws the queued call `gen` of `lease` from `channel`, and unlinks
    /// its entry from the channel's queue. `false` if a firing took it first.
    pub(crate) fn withdraw(&self, channel: u32, lease: &Lease, gen: u64) -> bool {
        let count = &self.inner.channels[channel as usize].count;
        let backoff = Backoff::new();
        loop {
            if count.take(1, false) {
                if lease.waiter().withdraw(gen) {
                    self.inner
                        .calls(channel)
                        .unlink_withdrawn(lease.waiter(), gen);
                    return true;
                }
                // Taken meanwhile: the unit we took is another call's.
                count.put_back();
                self.resolve(channel);
                return false;
            }
            if !lease.waiter().is_waiting(gen) {
                return false;
            }
            // Every queued call is reserved by a firing that will pop one:
            // wait to see whether it is ours.
            backoff.snooze();
        }
    }
}
