//! A choice's offer word: the one word that settles which of its branches
//! fires (see `choice.rs`).
//!
//! Every branch's queued call points to its choice's offer. The word is
//! `OPEN` while no branch has fired; the first party to fire a branch CASes
//! it to `WON(branch)`, and then every other branch's call is a *ghost*:
//! still queued and counted until its chooser withdraws it, but no firing
//! may use it. A chooser that gives up CASes it to `CLOSED`, which kills
//! every branch at once in the same way.
//!
//! A firing that takes several calls of choices at once (a rendezvous of
//! two choices' branches, or a choice's handed chord that takes another
//! choice's call as its partner) must win all their offers or none. It
//! *locks* them first, `OPEN -> LOCKED`, in address order, then stores
//! `WON` into each; if one is decided already, it puts the ones it locked
//! back to `OPEN`. Whoever finds an offer `LOCKED` waits: a lock is held
//! for a few steps, without user code, and locks are taken in one global
//! order, so no waiter waits for itself.

use crate::sync::{AtomicU32, Backoff, Ordering};

const OPEN: u32 = 0;
const LOCKED: u32 = 1;
const CLOSED: u32 = 2;
/// `WON + branch`: that branch fired.
const WON: u32 = 3;

/// The offer word of one choice.
pub(crate) struct Offer {
    word: AtomicU32,
    /// Under loom, where addresses change from run to run, what orders
    /// offers instead.
    #[cfg(loom)]
    order: u64,
}

/// How a choice was settled, seen by a party that did not settle it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settled {
    /// This branch fired.
    Won(u32),
    /// Its chooser gave up.
    Closed,
}

impl Offer {
    pub(crate) fn new() -> Self {
        Offer {
            word: AtomicU32::new(OPEN),
            #[cfg(loom)]
            order: crate::sync::loom_order(),
        }
    }

    /// Where the offer stands in the one order in which offers are locked.
    fn order(&self) -> usize {
        #[cfg(loom)]
        return self.order as usize;
        #[cfg(not(loom))]
        return self as *const Offer as usize;
    }

    /// How the choice was settled, if it was (waiting out a lock).
    pub(crate) fn winner(&self) -> Option<Settled> {
        let backoff = Backoff::new();
        loop {
            match self.word.load(Ordering::Acquire) {
                OPEN => return None,
                LOCKED => backoff.snooze(),
                CLOSED => return Some(Settled::Closed),
                won => return Some(Settled::Won(won - WON)),
            }
        }
    }

    /// Whether the choice was settled (a firing that finds it so leaves its
    /// branches alone). Does not wait out a lock: a locked offer may still
    /// open again.
    pub(crate) fn is_settled(&self) -> bool {
        !matches!(self.word.load(Ordering::Acquire), OPEN | LOCKED)
    }

    /// Fires `branch`: `OPEN -> WON(branch)`. `Err` with how the choice was
    /// settled otherwise.
    pub(crate) fn decide(&self, branch: u32) -> Result<(), Settled> {
        self.settle(WON + branch)
    }

    /// Gives the choice up: `OPEN -> CLOSED`. `Err` with the branch that
    /// fired first.
    pub(crate) fn close(&self) -> Result<(), Settled> {
        self.settle(CLOSED)
    }

    fn settle(&self, to: u32) -> Result<(), Settled> {
        loop {
            let set = self
                .word
                .compare_exchange(OPEN, to, Ordering::AcqRel, Ordering::Acquire);
            // Locked, it may open again: look once the lock is gone.
            match set.map_err(|_| self.winner()) {
                Ok(_) => return Ok(()),
                Err(Some(settled)) => return Err(settled),
                Err(None) => {}
            }
        }
    }

    /// Locks the offer for a firing that settles several at once; `false`
    /// if it is settled.
    fn lock(&self) -> bool {
        let backoff = Backoff::new();
        loop {
            match self
                .word
                .compare_exchange(OPEN, LOCKED, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(LOCKED) => backoff.snooze(),
                Err(_) => return false,
            }
        }
    }
}

/// Fires one branch of each of several choices at once, or none: each of
/// `offers` is a choice's offer and the branch to fire. `Err(i)` if
/// `offers[i]` was settled already (or is there twice: a choice cannot fire
/// two branches); then none changed.
pub(crate) fn decide_all(offers: &[(&Offer, u32)]) -> Result<(), usize> {
    if let [(offer, branch)] = offers {
        return offer.decide(*branch).map_err(|_| 0);
    }
    let mut order: crate::partners::Inline<usize> = (0..offers.len()).collect();
    order.sort_by_key(|&i| offers[i].0.order());
    for (k, &i) in order.iter().enumerate() {
        let twice = k > 0 && std::ptr::eq(offers[order[k - 1]].0, offers[i].0);
        if twice || !offers[i].0.lock() {
            for &locked in &order[..k] {
                offers[locked].0.word.store(OPEN, Ordering::Release);
            }
            return Err(i);
        }
    }
    for &(offer, branch) in offers {
        offer.word.store(WON + branch, Ordering::Release);
    }
    Ok(())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn the_first_to_settle_wins() {
        let offer = Offer::new();
        assert_eq!(offer.winner(), None);
        assert_eq!(offer.decide(1), Ok(()));
        assert_eq!(offer.decide(0), Err(Settled::Won(1)));
        assert_eq!(offer.close(), Err(Settled::Won(1)));
        let closed = Offer::new();
        assert_eq!(closed.close(), Ok(()));
        assert!(closed.is_settled());
        assert_eq!(closed.decide(0), Err(Settled::Closed));
    }

    #[test]
    fn several_offers_are_won_together_or_not_at_all() {
        let (a, b, c) = (Offer::new(), Offer::new(), Offer::new());
        c.decide(4).unwrap();
        assert_eq!(decide_all(&[(&a, 0), (&b, 1), (&c, 2)]), Err(2));
        assert!(
            !a.is_settled() && !b.is_settled(),
            "a failed decision changes nothing"
        );
        assert_eq!(
            decide_all(&[(&a, 0), (&a, 1)]),
            Err(1),
            "one choice, two branches"
        );
        assert!(!a.is_settled());
        assert_eq!(decide_all(&[(&b, 1), (&a, 0)]), Ok(()));
        assert_eq!(
            (a.winner(), b.winner()),
            (Some(Settled::Won(0)), Some(Settled::Won(1)))
        );
    }
}
