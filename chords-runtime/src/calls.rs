//! Where the calls of one synchronous channel wait: a FIFO whose withdrawn
//! calls are unlinked, wherever they are.
//!
//! A queued call is an [`Call`] in a node of a singly linked list, oldest
//! first. It is *waiting* until a firing takes it or its caller withdraws it
//! (both by a CAS on the caller's [`Waiter`]); then it is *dead*, for good,
//! but for two detours: a call *handed* a chord to run stays in its place
//! until its caller claims the chord (then it is dead), and a robber may put
//! it back to waiting first ([`Calls::rob`]); a call *claimed* by a firing
//! as a partner stays in its place until that firing takes it, or puts it
//! back to waiting (`partners.rs`). Handed and claimed calls are not
//! unlinked. Dead nodes are unlinked by whoever walks past them: a firing
//! looking for the oldest waiting call ([`Calls::claim_reserved`]) or a
//! claimed one ([`Calls::take_claimed`]), or a caller that withdrew
//! its call, which walks to its own node ([`Calls::unlink_withdrawn`]). So the
//! list holds the waiting calls, plus dead nodes that a walk will unlink: the
//! last node, which stays until a call queues behind it, and the calls taken
//! since the last walk. Unlinked nodes are freed (kept for reuse) by the
//! epochs of [`crate::epoch`] once no walk can be on them.
//!
//! # The algorithm
//!
//! A Michael–Scott queue (Michael & Scott, PODC 1996) whose nodes are removed
//! as in Harris's list (Harris, DISC 2001), with these rules:
//!
//! - **Push.** A node is appended by a CAS of the last node's `next` from
//!   null, then the tail moves to it. The tail is the last node or the one
//!   before (a pusher whose tail has a next moves the tail on first).
//! - **Unlink.** Only a dead node that is not the last is unlinked, in three
//!   steps: its `next` is *frozen* (marked, so that it never changes again),
//!   the tail is moved off it if it is there, and the link to it (the
//!   predecessor's `next`, or `first`) is CAS'd to its successor. A frozen
//!   link fails that CAS, so a node is never unlinked through a predecessor
//!   that is itself being unlinked, and links only ever lead to nodes still
//!   in the list. The one whose CAS succeeds retires the node: no link and
//!   not the tail leads to it any more (the tail never moves back: it is at
//!   or past the node's successor).
//! - **Walk.** A walk starts at `first` and restarts from there when an
//!   unlink CAS fails. A node is judged dead, handed, claimed or waiting
//!   when the walk reaches it; a dead node never waits again, and nodes are
//!   only appended, so when a walk reaches a waiting node, every node before
//!   it was dead, handed or claimed when the walk passed it: it is the
//!   oldest waiting call. (A handed call robbed back to waiting, or a claimed
//!   one put back, after a walk passed it is older than the call that walk
//!   took: it was being served when the walk looked.)
//!
//! Every step is a CAS that fails only when another thread made progress:
//! no operation waits for another.

use crossbeam_utils::CachePadded;

use crate::epoch::{Collect, Collector, Guard};
use crate::sync::{AtomicPtr, AtomicUsize, Backoff, Ordering};
use crate::waiter::{Call, Standing, TakenCall, Waiter};

/// In a `next` link: the node that holds it is being unlinked.
const MARK: usize = 1;

fn is_marked(link: *mut Node) -> bool {
    link.addr() & MARK != 0
}

fn marked(link: *mut Node) -> *mut Node {
    link.map_addr(|a| a | MARK)
}

fn unmarked(link: *mut Node) -> *mut Node {
    link.map_addr(|a| a & !MARK)
}

/// A queued call.
pub(crate) struct Node {
    /// The next node (null for the last), marked once this node is being
    /// unlinked.
    next: AtomicPtr<Node>,
    call: Call,
    /// For the collector's lists of retired nodes.
    limbo: AtomicPtr<Node>,
    /// Under loom: freed (see [`crate::epoch`]). A std atomic: loom runs its
    /// threads one at a time, and this only checks the collector.
    #[cfg(loom)]
    freed: std::sync::atomic::AtomicBool,
}

impl Node {
    fn new(call: Call) -> Self {
        Node {
            next: AtomicPtr::new(std::ptr::null_mut()),
            call,
            limbo: AtomicPtr::new(std::ptr::null_mut()),
            #[cfg(loom)]
            freed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn next(&self) -> &AtomicPtr<Node> {
        self.check();
        &self.next
    }

    fn call(&self) -> &Call {
        self.check();
        &self.call
    }

    /// Under loom, fails if the node was freed.
    #[inline(always)]
    fn check(&self) {
        #[cfg(loom)]
        assert!(
            !self.freed.load(std::sync::atomic::Ordering::SeqCst),
            "a queued call's node used after it was freed"
        );
    }
}

// SAFETY: `limbo` is a field of the node, used by nothing but the collector.
unsafe impl Collect for Node {
    fn limbo(&self) -> &AtomicPtr<Self> {
        &self.limbo
    }

    #[cfg(loom)]
    fn poison(&self) {
        self.freed.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The queued calls of one synchronous channel.
pub(crate) struct Calls {
    /// The link to the oldest node; never marked. Null before the first push.
    first: CachePadded<AtomicPtr<Node>>,
    /// The last node or the one before it. Null before the first push.
    tail: CachePadded<AtomicPtr<Node>>,
    nodes: Collector<Node>,
    /// How many orphaned calls (see [`crate::waiter`]) may be queued: raised
    /// before a call is orphaned, lowered when one ends. A hint, which a walk
    /// confirms.
    orphans: AtomicUsize,
}

impl Calls {
    pub(crate) fn new() -> Self {
        Calls {
            first: CachePadded::new(AtomicPtr::new(std::ptr::null_mut())),
            tail: CachePadded::new(AtomicPtr::new(std::ptr::null_mut())),
            nodes: Collector::new(),
            orphans: AtomicUsize::new(0),
        }
    }

    /// A call is about to be orphaned: counts it (before, so that its end,
    /// which uncounts it, always comes after).
    pub(crate) fn count_orphan(&self) {
        self.orphans.fetch_add(1, Ordering::SeqCst);
    }

    /// Uncounts an orphan that ended, or a call that was not orphaned after all.
    pub(crate) fn uncount_orphan(&self) {
        self.orphans.fetch_sub(1, Ordering::SeqCst);
    }

    /// Whether an orphaned call may be queued.
    pub(crate) fn has_orphans(&self) -> bool {
        self.orphans.load(Ordering::SeqCst) > 0
    }

    /// Queues a call behind every other.
    pub(crate) fn push(&self, call: Call) {
        let new = self.nodes.alloc(Node::new(call));
        let _guard = self.nodes.pin();
        let backoff = Backoff::new();
        loop {
            let tail = self.tail.load(Ordering::Acquire);
            if tail.is_null() {
                // The first push links the first node, then sets the tail.
                // Until then no node can be appended, nor the first unlinked
                // (it is the last), so `first` leads to the first node.
                match self.first.compare_exchange(
                    std::ptr::null_mut(),
                    new,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        let _ = self.tail.compare_exchange(
                            std::ptr::null_mut(),
                            new,
                            Ordering::AcqRel,
                            Ordering::Relaxed,
                        );
                        return;
                    }
                    Err(first) => {
                        let _ = self.tail.compare_exchange(
                            std::ptr::null_mut(),
                            first,
                            Ordering::AcqRel,
                            Ordering::Relaxed,
                        );
                        continue;
                    }
                }
            }
            // SAFETY: we are pinned and read `tail` after pinning; a node is
            // retired only once the tail has left it for good (see the
            // module's rules), so it is freed only after we unpin.
            let last = unsafe { &*tail };
            let next = last.next().load(Ordering::Acquire);
            if !unmarked(next).is_null() {
                // The tail lags behind the last node: move it on, and retry.
                let _ = self.tail.compare_exchange(
                    tail,
                    unmarked(next),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
                continue;
            }
            // Release: whoever reaches the node through this link sees it whole.
            if last
                .next()
                .compare_exchange(next, new, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                let _ = self
                    .tail
                    .compare_exchange(tail, new, Ordering::AcqRel, Ordering::Relaxed);
                return;
            }
            // Another call was appended first.
            backoff.spin();
        }
    }

    /// Claims the oldest waiting call, tentatively (see [`Call::claim`]),
    /// for a firing that reserved one (see [`crate::matcher`]), so there is
    /// one; another firing may take it first, or its caller withdraw it,
    /// and then the next is tried. A firing claims all its partner calls
    /// before it takes any message (`partners.rs`).
    pub(crate) fn claim_reserved(&self) -> TakenCall {
        self.take_oldest(Call::claim)
    }

    /// Hands `chord`, which a firing reserved with one of this channel's
    /// calls, to the oldest waiting call's caller (see
    /// [`TakenCall::hand_over`]); the call keeps its place until its caller
    /// claims the chord. `false` if that call's future was dropped.
    pub(crate) fn hand_over(&self, chord: usize) -> bool {
        self.take_oldest(|call| call.take(true)).hand_over(chord)
    }

    fn take_oldest(&self, take: impl Fn(Call) -> Option<TakenCall>) -> TakenCall {
        loop {
            if let Some(taken) = take(self.oldest_waiting()) {
                if taken.is_orphan() {
                    self.uncount_orphan();
                }
                return taken;
            }
        }
    }

    /// Robs the chord handed to the oldest call still standing, if its
    /// caller (a thread) has not claimed it yet: that call waits again in
    /// its place, not counted (the robber counts it again). Returns the
    /// chord, for the robber to run with its own call in the robbed one's
    /// stead.
    pub(crate) fn rob(&self) -> Option<usize> {
        let guard = self.nodes.pin();
        let robbed = std::cell::Cell::new(None);
        self.find(&guard, |call, standing| {
            if standing == Standing::Handed {
                robbed.set(call.rob());
            }
            standing != Standing::Dead
        });
        robbed.get()
    }

    /// The oldest waiting call, when a reservation promises one.
    fn oldest_waiting(&self) -> Call {
        let guard = self.nodes.pin();
        self.find(&guard, |_, standing| standing == Standing::Waiting)
            .expect("a reserved call is queued (matcher invariant 1)")
            .clone()
    }

    /// Takes the oldest call that a firing claimed for good as a partner
    /// (`partners.rs`), for that firing, which counts on one.
    pub(crate) fn take_claimed(&self) -> TakenCall {
        let guard = self.nodes.pin();
        let taken = std::cell::Cell::new(None);
        // A call claimed for good after the walk passed it (it was claimed
        // tentatively then) may make the walk miss the last one: walk again.
        loop {
            let found = self.find(&guard, |call, standing| {
                let took = (standing == Standing::Claimed)
                    .then(|| call.take_claimed())
                    .flatten();
                let found = took.is_some();
                taken.set(took);
                found
            });
            if found.is_some() {
                return taken.take().expect("the call taken");
            }
        }
    }

    /// Withdraws the oldest orphaned call (its future dropped while a firing
    /// counted on it), if any: `true` if it did.
    pub(crate) fn withdraw_orphan(&self) -> bool {
        if !self.has_orphans() {
            return false;
        }
        let guard = self.nodes.pin();
        let withdrawn = self
            .find(&guard, |call, standing| {
                standing == Standing::Waiting && call.withdraw_orphan()
            })
            .is_some();
        if withdrawn {
            self.uncount_orphan();
        }
        withdrawn
    }

    /// Unlinks the withdrawn call `generation` of `waiter`, and every dead node before
    /// it; leaves it linked only if it is the last node.
    pub(crate) fn unlink_withdrawn(&self, waiter: &Waiter, generation: u64) {
        let guard = self.nodes.pin();
        self.find(&guard, |call, _| call.is(waiter, generation));
    }

    /// How many nodes the queue holds, linked or awaiting reclamation.
    pub(crate) fn held(&self) -> usize {
        self.nodes.held()
    }

    /// Walks the list from `first`, unlinking every dead node it reaches but
    /// the last, until `stop` holds of a node's call (and how the call
    /// stands): returns that call. `None` at the end of the list.
    fn find<'g>(
        &'g self,
        guard: &'g Guard<'_, Node>,
        stop: impl Fn(&Call, Standing) -> bool,
    ) -> Option<&'g Call> {
        'walk: loop {
            let mut link: &'g AtomicPtr<Node> = &self.first;
            let mut current = link.load(Ordering::Acquire);
            while !current.is_null() {
                // SAFETY: we are pinned, and read `current` after pinning from
                // a link of the list: `first`, or the `next` of a node reached
                // the same way. A node is retired only once no link leads to
                // it, so every node a walk reaches is freed only after it
                // unpins (see `crate::epoch`).
                let node: &'g Node = unsafe { &*current };
                // Status first, then `next`: a node dead at the look may have
                // been the last at an earlier read of `next`, and a call
                // appended behind it since; read after, `next` shows it.
                let standing = node.call().standing();
                let next = node.next().load(Ordering::Acquire);
                let standing = if is_marked(next) {
                    Standing::Dead
                } else {
                    standing
                };
                if standing == Standing::Dead && !unmarked(next).is_null() {
                    match self.unlink(guard, link, current, next) {
                        Some(successor) => {
                            if stop(node.call(), Standing::Dead) {
                                return Some(node.call());
                            }
                            current = successor;
                        }
                        // The link changed: start again from `first`.
                        None => continue 'walk,
                    }
                } else {
                    if stop(node.call(), standing) {
                        return Some(node.call());
                    }
                    // Not marked: a standing node is never frozen, and a dead
                    // one gets here only as the last.
                    link = node.next();
                    current = next;
                }
            }
            return None;
        }
    }

    /// Unlinks the dead node `node` (`next` is its `next` link as last read,
    /// not null) from `link`, and retires it. Returns its successor, or `None`
    /// if `link` no longer leads to it unmarked (another thread unlinked it,
    /// or is unlinking the node that holds `link`).
    fn unlink(
        &self,
        guard: &Guard<'_, Node>,
        link: &AtomicPtr<Node>,
        node: *mut Node,
        mut next: *mut Node,
    ) -> Option<*mut Node> {
        // SAFETY: the caller reached `node` while pinned (see `find`).
        let dead = unsafe { &*node };
        // Freeze its `next`. It may change meanwhile only by the unlinking of
        // its successor, to the successor's successor: never back to null.
        while !is_marked(next) {
            match dead.next().compare_exchange(
                next,
                marked(next),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => next = now,
            }
        }
        let successor = unmarked(next);
        // The tail is `node` or past it (it is the last node or the one before,
        // and `node` is not the last); move it past for good. (Acquire: the
        // pusher of `successor` saw the tail at `node` before linking it, which
        // we read; so this load sees that or later.)
        if self.tail.load(Ordering::Acquire) == node {
            let _ =
                self.tail
                    .compare_exchange(node, successor, Ordering::AcqRel, Ordering::Relaxed);
        }
        link.compare_exchange(node, successor, Ordering::AcqRel, Ordering::Relaxed)
            .ok()?;
        // SAFETY: our CAS unlinked it: `link` was not frozen, so it is `first`
        // or the `next` of a node still in the list; no other link leads to
        // `node` (its one predecessor's now leads past it) and the tail has
        // left it. It came from `alloc`, and only the winner of this CAS
        // retires it.
        unsafe { guard.retire(node) };
        Some(successor)
    }
}

impl Drop for Calls {
    fn drop(&mut self) {
        let mut node = self.first.load(Ordering::Relaxed);
        while !node.is_null() {
            // SAFETY: `&mut self`: no operation runs, so the linked nodes are
            // ours alone; each is linked once and freed once (retired nodes
            // are not linked; the collector frees them).
            unsafe {
                let next = unmarked((*node).next.load(Ordering::Relaxed));
                self.nodes.free(node);
                node = next;
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::Arc;
    use crate::waiter::{Caller, Slot};

    /// Queues a call of `caller` and returns its generation.
    fn queue(calls: &Calls, caller: &Caller, slot: &Slot<(), ()>) -> u64 {
        let (call, generation) = caller.publish(slot, None);
        calls.push(call);
        generation
    }

    /// Withdraws the call `generation` of `caller`, as a caller that timed out does.
    fn withdraw(calls: &Calls, caller: &Caller, generation: u64) {
        assert!(caller.waiter().withdraw(generation));
        calls.unlink_withdrawn(caller.waiter(), generation);
    }

    #[test]
    fn steady_state_reuses_nodes() {
        let calls = Calls::new();
        let (caller, slot) = (Caller::new(), Slot::new(()));
        for _ in 0..1000 {
            let generation = queue(&calls, &caller, &slot);
            withdraw(&calls, &caller, generation);
            // The last node, and the nodes of three epochs awaiting reclamation.
            assert!(calls.held() <= 4, "{} nodes held", calls.held());
        }
        // Those, and the spare they pass through.
        assert!(calls.nodes.allocated() <= 5, "{}", calls.nodes.allocated());
    }

    #[test]
    fn dropping_the_queue_drops_every_entry_once() {
        let calls = Calls::new();
        let callers: Vec<Caller> = (0..3).map(|_| Caller::new()).collect();
        let slot = Slot::new(());
        // One withdrawn and unlinked (retired), one withdrawn and still linked,
        // one waiting; and a few more cycles, so that some nodes are spares.
        for _ in 0..10 {
            let generation = queue(&calls, &callers[0], &slot);
            withdraw(&calls, &callers[0], generation);
        }
        let generation = queue(&calls, &callers[1], &slot);
        queue(&calls, &callers[2], &slot);
        assert!(callers[1].waiter().withdraw(generation));
        drop(calls);
        for caller in &callers {
            assert_eq!(Arc::strong_count(caller.waiter()), 1);
        }
    }
}

#[cfg(all(test, loom))]
mod tests {
    use super::*;
    use crate::sync::{thread, Arc};
    use crate::waiter::{Caller, Slot};

    /// Takes the oldest waiting call, as a firing does.
    fn take(calls: &Calls) {
        calls.claim_reserved().confirm();
        drop(calls.take_claimed());
    }

    /// A caller whose call is queued.
    struct Queued {
        caller: Caller,
        generation: u64,
        /// The call's argument and result, which no model touches.
        _slot: Box<Slot<(), ()>>,
    }

    impl Queued {
        fn queue(calls: &Calls) -> Queued {
            let slot = Box::new(Slot::new(()));
            let caller = Caller::new();
            let (call, generation) = caller.publish(&slot, None);
            calls.push(call);
            Queued {
                caller,
                generation,
                _slot: slot,
            }
        }

        /// Withdraws the call as a caller that timed out does (the matcher's
        /// count aside); `false` if a firing took it first.
        fn withdraw(&self, calls: &Calls) -> bool {
            let waiter = self.caller.waiter();
            let withdrawn = waiter.withdraw(self.generation);
            if withdrawn {
                calls.unlink_withdrawn(waiter, self.generation);
            }
            withdrawn
        }

        fn waiting(&self) -> bool {
            self.caller.waiter().is_waiting(self.generation)
        }
    }

    /// The nodes linked, dead or waiting (no operation may run).
    fn linked(calls: &Calls) -> usize {
        let mut n = 0;
        let mut node = calls.first.load(Ordering::Relaxed);
        while !node.is_null() {
            n += 1;
            // SAFETY: no operation runs, so the linked nodes are live.
            node = unmarked(unsafe { (*node).next().load(Ordering::Relaxed) });
        }
        n
    }

    /// A withdrawal races a firing for the oldest call while a third call
    /// queues behind: the firing takes the oldest call still waiting, the
    /// withdrawn one is unlinked, and the later call keeps waiting.
    #[test]
    fn loom_calls_withdrawal_races_a_pop_and_a_push() {
        loom::model(|| {
            let calls = Arc::new(Calls::new());
            let a = Queued::queue(&calls);
            let b = Queued::queue(&calls);
            let withdrawer = {
                let calls = calls.clone();
                thread::spawn(move || (a.withdraw(&calls), a))
            };
            let firing = {
                let calls = calls.clone();
                thread::spawn(move || take(&calls))
            };
            let c = Queued::queue(&calls);
            let (withdrawn, a) = withdrawer.join().unwrap();
            firing.join().unwrap();
            assert!(!a.waiting());
            // If `a` was withdrawn, the firing took `b`; else it took `a`.
            assert_eq!(b.waiting(), !withdrawn);
            assert!(c.waiting());
            // A walk to the oldest waiting call leaves no dead node before it.
            drop(calls.oldest_waiting());
            assert_eq!(linked(&calls), if withdrawn { 1 } else { 2 });
        });
    }

    /// Two neighbouring calls withdraw at once while a third queues behind
    /// them: each is unlinked (the last one, once a walk passes it), and the
    /// unlinked nodes are freed only when no walk can still be on them (a
    /// freed node is poisoned under loom: touching it fails the model).
    #[test]
    fn loom_calls_neighbours_withdraw_at_once() {
        loom::model(|| {
            let calls = Arc::new(Calls::new());
            let withdrawers: Vec<_> = (0..2)
                .map(|_| {
                    let caller = Queued::queue(&calls);
                    let calls = calls.clone();
                    thread::spawn(move || assert!(caller.withdraw(&calls)))
                })
                .collect();
            let c = Queued::queue(&calls);
            withdrawers.into_iter().for_each(|t| t.join().unwrap());
            drop(calls.oldest_waiting());
            assert_eq!(linked(&calls), 1);
            assert!(c.waiting());
        });
    }

    /// A firing walks past a withdrawn call while its caller unlinks it, then
    /// queues and withdraws again, moving the epochs on: the node the firing
    /// stands on is not freed under it, and the firing takes the waiting call.
    #[test]
    fn loom_calls_walk_outlives_reclamation() {
        loom::model(|| {
            let calls = Arc::new(Calls::new());
            let dead = Queued::queue(&calls);
            let live = Queued::queue(&calls);
            // Withdrawn, not yet unlinked.
            assert!(dead.caller.waiter().withdraw(dead.generation));
            let churn = {
                let calls = calls.clone();
                thread::spawn(move || {
                    calls.unlink_withdrawn(dead.caller.waiter(), dead.generation);
                    for _ in 0..3 {
                        assert!(Queued::queue(&calls).withdraw(&calls));
                    }
                })
            };
            take(&calls);
            churn.join().unwrap();
            assert!(!live.waiting());
        });
    }

    /// Three threads: a firing walks to the waiting call while two others
    /// unlink withdrawn calls before it and after it, one walk and two walks,
    /// so that the epoch moves on while walks are on nodes that others unlink.
    /// No node is freed while a walk can be on it: if one were (say, a node
    /// retired in epoch `r` freed at `r + 2`), the firing, pinned in `r + 1` on
    /// a node that a walk pinned in `r` unlinks, would touch it poisoned.
    #[test]
    fn loom_calls_reclamation_waits_for_every_walk() {
        loom::model(|| {
            let calls = Arc::new(Calls::new());
            let withdrawn = |calls: &Calls| {
                let caller = Queued::queue(calls);
                assert!(caller.caller.waiter().withdraw(caller.generation));
                caller
            };
            let [_x1, x2, x3] = [(); 3].map(|()| withdrawn(&calls));
            let live = Queued::queue(&calls);
            // The last node stays linked: `y2` only keeps `y1` unlinkable.
            let [y1, _y2] = [(); 2].map(|()| withdrawn(&calls));
            let unlinker = |mine: Vec<Queued>| {
                let calls = calls.clone();
                thread::spawn(move || {
                    for caller in &mine {
                        calls.unlink_withdrawn(caller.caller.waiter(), caller.generation);
                    }
                })
            };
            let unlinkers = [unlinker(vec![x3]), unlinker(vec![x2, y1])];
            take(&calls);
            unlinkers.into_iter().for_each(|t| t.join().unwrap());
            assert!(!live.waiting());
        });
    }
}
