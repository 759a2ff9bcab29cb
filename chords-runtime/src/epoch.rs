//! Epoch-based reclamation for the nodes of one lock-free structure.
//!
//! A thread that unlinks a node cannot free it at once: others may still be
//! reading it. The structure's [`Collector`] frees it once every thread that
//! could have reached it has finished its operation (Fraser's epochs, per
//! structure, with one counter per epoch instead of per-thread records).
//!
//! # Protocol
//!
//! - **Pin.** An operation [`pin`](Collector::pin)s before it reads any node,
//!   and unpins (drops its [`Guard`]) when it holds no pointer to one any
//!   more. To pin, it reads the epoch `e`, counts itself in `pinned[e % 4]`,
//!   and reads the epoch again: if it moved, it uncounts itself and retries.
//!   So a thread is pinned only in an epoch that was current after it counted
//!   itself.
//! - **Advance.** The epoch moves from `e` to `e + 1` only when no thread is
//!   pinned in `e - 1`, and only by a thread pinned in `e`. Hence pinned
//!   threads are in the current epoch or the one before, and the epoch cannot
//!   reach `e + 2` while a thread is pinned in `e`.
//! - **Retire.** A node that a thread pinned in `r` has unlinked (no shared
//!   pointer of the structure leads to it any more) goes to `limbo[r % 4]`.
//!   The threads that may still hold it pinned before it was unlinked, while
//!   the epoch was `r` or `r + 1`: so in `r - 1`, `r` or `r + 1`. Each of those
//!   epochs has been left by all its threads once the epoch reaches `r + 3`.
//!   The thread that moves the epoch from `r + 2` to `r + 3` frees
//!   `limbo[r % 4]`: it is pinned in `r + 2`, so no thread pinned in `r + 4`
//!   (the other epoch that uses that list) exists yet.
//! - **Progress.** Pinning and advancing take no lock and wait for no one. A
//!   thread stalled while pinned only delays the freeing of nodes (memory
//!   grows until it resumes); it never blocks an operation. Every operation
//!   that retires a node tries to advance once as it unpins, so nodes are
//!   freed within three epochs of operations that retire.
//!
//! A freed node's value is dropped and its memory kept, up to [`SPARES`]
//! nodes, for the next allocations: a structure in steady state allocates
//! nothing. Reusing a node is safe exactly where freeing it is.
//!
//! Under loom, a freed node is neither deallocated nor reused but poisoned,
//! and kept until the collector drops: every access to a node asserts that it
//! is not poisoned, so the models check that no node is used after it is freed.

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;

use crossbeam_utils::CachePadded;

use crate::sync::{loom_seq_cst, AtomicPtr, AtomicU64, Ordering};

/// A node that a [`Collector`] allocates, retires and frees.
///
/// # Safety
///
/// [`limbo`](Collect::limbo) returns the same link of this node every time,
/// and nothing but the collector uses that link.
pub(crate) unsafe trait Collect: Sized {
    /// The link that strings retired nodes together.
    fn limbo(&self) -> &AtomicPtr<Self>;

    /// Marks the node as freed (under loom, where it is not deallocated).
    #[cfg(loom)]
    fn poison(&self);
}

/// The nodes of one structure: allocated, retired and freed here.
pub(crate) struct Collector<T: Collect> {
    epoch: CachePadded<AtomicU64>,
    /// Threads pinned in each epoch, by epoch `% 4`.
    pinned: CachePadded<[AtomicU64; 4]>,
    /// Retired nodes, by the epoch `% 4` of the thread that retired them: each
    /// a stack linked through [`Collect::limbo`].
    limbo: [AtomicPtr<T>; 4],
    /// Nodes allocated and not yet freed.
    held: AtomicU64,
    /// Nodes taken from the memory allocator, spares aside.
    #[cfg(test)]
    allocated: AtomicU64,
    /// Freed nodes kept for reuse (their values dropped), or null. Whoever
    /// swaps one out owns it alone.
    spares: [AtomicPtr<T>; SPARES],
    /// Under loom, freed nodes, kept (poisoned) until the collector drops.
    #[cfg(loom)]
    freed: AtomicPtr<T>,
    /// The collector owns its nodes.
    _nodes: PhantomData<Box<T>>,
}

/// An operation's pin: while it lives, no node the operation can reach is freed.
pub(crate) struct Guard<'a, T: Collect> {
    collector: &'a Collector<T>,
    epoch: u64,
    /// Whether this operation retired a node: it then tries to advance.
    retired: Cell<bool>,
}

/// How many freed nodes a collector keeps for reuse.
const SPARES: usize = 4;

fn slot(epoch: u64) -> usize {
    (epoch % 4) as usize
}

impl<T: Collect> Collector<T> {
    pub(crate) fn new() -> Self {
        Collector {
            epoch: CachePadded::new(AtomicU64::new(0)),
            pinned: CachePadded::new(std::array::from_fn(|_| AtomicU64::new(0))),
            limbo: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            held: AtomicU64::new(0),
            #[cfg(test)]
            allocated: AtomicU64::new(0),
            spares: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            #[cfg(loom)]
            freed: AtomicPtr::new(ptr::null_mut()),
            _nodes: PhantomData,
        }
    }

    /// Allocates a node (a spare if there is one); the caller owns it until it
    /// publishes it.
    pub(crate) fn alloc(&self, node: T) -> *mut T {
        self.held.fetch_add(1, Ordering::Relaxed);
        for spare in &self.spares {
            if spare.load(Ordering::Relaxed).is_null() {
                continue;
            }
            // Acquire: pairs with the Release that kept it (`free`), after
            // which no thread touches it.
            let reused = spare.swap(ptr::null_mut(), Ordering::Acquire);
            if !reused.is_null() {
                // SAFETY: the swap made it ours alone; it came from `alloc`, so
                // it is valid for a `T`, whose old value `free` dropped.
                unsafe { reused.write(node) };
                return reused;
            }
        }
        #[cfg(test)]
        self.allocated.fetch_add(1, Ordering::Relaxed);
        Box::into_raw(Box::new(node))
    }

    /// How many nodes were taken from the memory allocator.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn allocated(&self) -> usize {
        self.allocated.load(Ordering::Relaxed) as usize
    }

    /// How many nodes are allocated and not freed: linked or awaiting reclamation.
    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed) as usize
    }

    /// Pins the current epoch.
    pub(crate) fn pin(&self) -> Guard<'_, T> {
        loop {
            let epoch = self.epoch.load(Ordering::SeqCst);
            let pinned = &self.pinned[slot(epoch)];
            pinned.fetch_add(1, Ordering::SeqCst);
            // Our count before the second look at the epoch, against an
            // advancer's look at the count before its CAS (`try_advance`):
            // either it sees us, or we see the epoch it moved to.
            loom_seq_cst();
            if self.epoch.load(Ordering::SeqCst) == epoch {
                return Guard {
                    collector: self,
                    epoch,
                    retired: Cell::new(false),
                };
            }
            pinned.fetch_sub(1, Ordering::Release);
        }
    }

    /// Moves the epoch from `epoch`, in which the caller is pinned, to the next
    /// if no thread is pinned in the one before, and frees the nodes that became
    /// unreachable to all.
    fn try_advance(&self, epoch: u64) {
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        // Against `pin`: a thread that counted itself in `epoch - 1` before our
        // look at the count saw the epoch still at `epoch - 1` after it, so
        // before the move to `epoch` that we saw (`SeqCst`; under loom, the
        // fences on both sides order it so).
        loom_seq_cst();
        if self.pinned[slot(epoch + 3)].load(Ordering::SeqCst) != 0 {
            return;
        }
        if self
            .epoch
            .compare_exchange(epoch, epoch + 1, Ordering::SeqCst, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        // Epoch `epoch + 1` = `r + 3` for the nodes retired in `r = epoch - 2`.
        // Acquire: their retirers' accesses (and their pushes) happen before.
        let mut node = self.limbo[slot(epoch + 2)].swap(ptr::null_mut(), Ordering::Acquire);
        while !node.is_null() {
            // SAFETY: retired in epoch `epoch - 2` (no thread pinned in
            // `epoch + 2` can have pushed to this list: we are pinned in `epoch`),
            // so unreachable to every pinned thread (see the module's protocol);
            // taking the list out of `limbo` made it ours alone.
            unsafe {
                let next = (*node).limbo().load(Ordering::Relaxed);
                self.free(node);
                node = next;
            }
        }
    }

    /// Frees a node.
    ///
    /// # Safety
    ///
    /// `node` came from [`alloc`](Collector::alloc), the caller owns it alone,
    /// and no thread will touch it again.
    pub(crate) unsafe fn free(&self, node: *mut T) {
        self.held.fetch_sub(1, Ordering::Relaxed);
        #[cfg(not(loom))]
        {
            // SAFETY: by the caller's contract; the value is dropped once, here.
            unsafe { ptr::drop_in_place(node) };
            for spare in &self.spares {
                // Release: our drop, and every access to the node before it,
                // happen before its reuse.
                if spare.load(Ordering::Relaxed).is_null()
                    && spare
                        .compare_exchange(
                            ptr::null_mut(),
                            node,
                            Ordering::Release,
                            Ordering::Relaxed,
                        )
                        .is_ok()
                {
                    return;
                }
            }
            // SAFETY: the node came from `alloc` (a `Box<T>`, laid out as a
            // `Box<MaybeUninit<T>>`), its value is dropped, and it was not kept.
            drop(unsafe { Box::from_raw(node.cast::<MaybeUninit<T>>()) });
        }
        #[cfg(loom)]
        // SAFETY: by the caller's contract, the node is ours; we keep it,
        // poisoned, on the `freed` stack.
        unsafe {
            (*node).poison();
            push(&self.freed, node);
        }
    }
}

/// Pushes `node` on a stack of nodes linked through their limbo links.
///
/// # Safety
///
/// `node` is live, and its limbo link is the caller's until the push is done
/// (it is on no stack).
unsafe fn push<T: Collect>(stack: &AtomicPtr<T>, node: *mut T) {
    let mut top = stack.load(Ordering::Relaxed);
    loop {
        // SAFETY: by the caller's contract.
        unsafe { (*node).limbo().store(top, Ordering::Relaxed) };
        // Release: whoever takes the stack sees the link, and what we did before.
        match stack.compare_exchange_weak(top, node, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => top = now,
        }
    }
}

impl<T: Collect> Guard<'_, T> {
    /// Hands over a node this operation unlinked, to be freed once no thread
    /// can hold it.
    ///
    /// # Safety
    ///
    /// `node` came from the collector's [`alloc`](Collector::alloc); it was
    /// unlinked while this guard was pinned, so that no shared pointer of the
    /// structure leads to it any more; and it is retired once.
    pub(crate) unsafe fn retire(&self, node: *mut T) {
        // SAFETY: a node is freed only after it is in a limbo list, and it is
        // on none before this push (the caller retires it once).
        unsafe { push(&self.collector.limbo[slot(self.epoch)], node) };
        self.retired.set(true);
    }
}

impl<T: Collect> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        if self.retired.get() {
            self.collector.try_advance(self.epoch);
        }
        // Release: our reads of nodes happen before a free that saw us gone.
        self.collector.pinned[slot(self.epoch)].fetch_sub(1, Ordering::Release);
    }
}

impl<T: Collect> Drop for Collector<T> {
    fn drop(&mut self) {
        #[cfg(loom)]
        let lists = self.limbo.iter().chain([&self.freed]);
        #[cfg(not(loom))]
        let lists = self.limbo.iter();
        for list in lists {
            let mut node = list.load(Ordering::Relaxed);
            while !node.is_null() {
                // SAFETY: `&mut self`: no operation is running, so every retired
                // node is ours alone; each is in one list, and freed once.
                unsafe {
                    let next = (*node).limbo().load(Ordering::Relaxed);
                    drop(Box::from_raw(node));
                    node = next;
                }
            }
        }
        for spare in &self.spares {
            let node = spare.load(Ordering::Relaxed);
            if !node.is_null() {
                // SAFETY: a spare is ours alone now; it came from `alloc`, and
                // its value was dropped when it was kept (`free`).
                drop(unsafe { Box::from_raw(node.cast::<MaybeUninit<T>>()) });
            }
        }
    }
}
