//! Taking a firing's messages: the one way a chord's body gets its bindings,
//! whether its pattern takes them term by term ([`crate::Term::take`]) or
//! generated code takes them by channel ([`crate::__private::Reserved`]).
//!
//! A firing owns a reservation (see [`crate::matcher`]): so many messages of
//! each of its channels, not yet popped. Taking pops the oldest still there;
//! a synchronous term's call is the caller's own (a caller that reserved the
//! chord itself brings its call, not queued) or the oldest queued call still
//! waiting. A guarded chord's asynchronous messages were picked by its
//! reservation ([`crate::search`]): the firing takes them from there.

use std::cell::Cell;
use std::mem::ManuallyDrop;

use crate::channel_state::ChannelState;
use crate::search::{Guard, Picked};
use crate::state::Chord;
use crate::tables::TermSpec;
use crate::waiter::{Taken, TakenCall};

/// A chord being fired: its reserved messages, as its terms take them.
///
/// Opaque: the runtime hands one to a [`Pattern`](crate::Pattern) to take a
/// body's bindings.
pub struct Firing<'a> {
    channels: &'a [ChannelState],
    /// The chord, and its index in declaration order.
    chord_state: &'a Chord,
    chord: u32,
    /// The next term to take, in pattern order.
    next: u32,
    own: Option<Own>,
    /// Its first partner call, taken when the firing claimed them all
    /// (`partners.rs`); the others wait, claimed, in their queues. No drop
    /// glue, as for `picked`: the firing's terms take it.
    partner: ManuallyDrop<Option<TakenCall>>,
    /// The messages a guarded chord's reservation picked and the firing has
    /// not taken yet, from its first take to its last (which frees them):
    /// no drop glue, so that a firing of an unguarded chord has nothing to
    /// drop. (Only a panic inside the runtime between two takes could
    /// leave some, unfreed.)
    picked: Cell<Option<ManuallyDrop<Box<Picked>>>>,
}

/// The call a caller that reserved its chord itself brings: its channel, its
/// position among that channel's messages in the pattern, and the call.
pub(crate) struct Own {
    pub(crate) channel: u32,
    pub(crate) position: u32,
    pub(crate) call: Option<Taken>,
}

impl<'a> Firing<'a> {
    pub(crate) fn new(channels: &'a [ChannelState], chord_state: &'a Chord, chord: usize) -> Self {
        Firing {
            channels,
            chord_state,
            chord: chord as u32,
            next: 0,
            own: None,
            partner: ManuallyDrop::new(None),
            picked: Cell::new(None),
        }
    }

    /// The chord's index, in declaration order.
    #[inline]
    pub(crate) fn chord(&self) -> usize {
        self.chord as usize
    }

    /// Brings the caller's own call into the firing.
    #[inline]
    pub(crate) fn bring(&mut self, own: Own) {
        self.own = Some(own);
    }

    /// Brings the first partner call the firing claimed.
    #[inline]
    pub(crate) fn bring_partner(&mut self, call: Option<TakenCall>) {
        self.partner = ManuallyDrop::new(call);
    }

    /// Takes the first partner call back, untaken.
    pub(crate) fn take_partner(&mut self) -> Option<TakenCall> {
        ManuallyDrop::into_inner(std::mem::replace(
            &mut self.partner,
            ManuallyDrop::new(None),
        ))
    }

    /// The next term of the pattern.
    #[inline]
    pub(crate) fn next_term(&mut self) -> TermSpec {
        let term = self.chord_state.terms[self.next as usize];
        self.next += 1;
        term
    }

    /// Takes the oldest reserved message of `channel`, one of the chord's
    /// asynchronous channels.
    #[inline]
    pub(crate) fn message<T: 'static>(&self, channel: u32) -> T {
        debug_assert!(
            self.chord_state.terms.iter().any(|t| t.channel == channel),
            "a chord takes a message of a channel it does not hold"
        );
        debug_assert!(
            self.chord_state.guard.is_none(),
            "a guarded chord's messages are taken from what it picked"
        );
        self.channels[channel as usize]
            .payloads::<T>()
            .pop_reserved()
    }

    /// Takes the oldest reserved message of `channel`, as [`message`](Self::message)
    /// does, or, for a guarded chord, the message its reservation picked.
    #[inline]
    pub(crate) fn take_message<T: 'static>(&self, channel: u32) -> T {
        match &self.chord_state.guard {
            None => self.message(channel),
            Some(guard) => self.picked(guard, channel),
        }
    }

    /// Takes a guarded chord's message of `channel` from the tuple its
    /// reservation picked.
    #[cold]
    #[inline(never)]
    fn picked<T: 'static>(&self, guard: &Guard, channel: u32) -> T {
        let mut picked = self
            .picked
            .take()
            .map_or_else(|| Box::new(guard.take_picked()), ManuallyDrop::into_inner);
        let i = picked
            .iter()
            .position(|&(c, _)| c == channel)
            .expect("a guarded firing takes the messages it picked");
        let message = picked.remove(i).1;
        if !picked.is_empty() {
            self.picked.set(Some(ManuallyDrop::new(picked)));
        }
        *message.downcast::<T>().expect("channel type mismatch")
    }

    /// The `i`-th call of a synchronous term: the caller's own, or a
    /// partner call the firing claimed (`partners.rs`).
    #[inline]
    pub(crate) fn call(&mut self, term: TermSpec, i: u32) -> Taken {
        let position = term.offset + i;
        if let Some(own) = &mut self.own {
            if own.channel == term.channel && own.position == position {
                return own.call.take().expect("own call taken twice");
            }
        }
        Taken::Queued(match self.partner.take() {
            Some(first) => first,
            None => self.channels[term.channel as usize].calls().take_claimed(),
        })
    }
}
