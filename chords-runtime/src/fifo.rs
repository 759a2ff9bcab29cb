//! An unbounded multi-producer multi-consumer FIFO that recycles its blocks.
//!
//! Adapted from crossbeam-queue 0.3.14's `SegQueue`
//! (<https://github.com/crossbeam-rs/crossbeam>, Copyright (c) 2019 The
//! Crossbeam Project Developers, licensed MIT OR Apache-2.0 like this crate).
//! Changes: a block whose last element has been read is kept as one of the
//! queue's spares and reused for a next block instead of being freed, so a queue in
//! steady state allocates nothing; atomics and cells come from [`crate::sync`]
//! so loom checks the queue; blocks hold two slots under loom; no `len`,
//! `is_empty`, iterator or `&mut` fast paths.
//!
//! # The algorithm (as in `SegQueue`)
//!
//! Elements live in a linked list of blocks of [`BLOCK_CAP`] slots. The head
//! and the tail are each an index and a block pointer. Indices count slots in
//! steps of `1 << SHIFT` (bit 0 of the head index is `HAS_NEXT`, a hint that
//! the head block is not the last); each block covers one lap of [`LAP`]
//! indices, the last of which names no slot but the move to the next block.
//!
//! A pusher claims a slot by a CAS on the tail index, then writes the value
//! and sets the slot's `WRITE` bit. The pusher that claims a block's last slot
//! installs the next block (tail block, tail index, then the old block's
//! `next`), which it obtained before its CAS. A popper claims a slot by a CAS
//! on the head index, waits for `WRITE`, reads the value and sets `READ`; the
//! popper of a block's last slot moves the head to the next block.
//!
//! A block is done with once all its slots have been read. The popper of the
//! last slot starts its destruction: it walks the other slots and, at the first
//! one still being read (no `READ`), sets `DESTROY` there and leaves; that
//! slot's popper sees `DESTROY` when it sets `READ` and carries on from the
//! next slot. Whoever reaches the end owns the block alone.
//!
//! # Recycling
//!
//! Where `SegQueue` frees that block, we reset it (every slot state 0, `next`
//! null) and put it in an empty one of [`SPARES`] spare places; where
//! `SegQueue` allocates a block, we take a spare first. A producer and a
//! consumer in step thus pass two blocks back and forth and never allocate,
//! and a queue whose length swings by up to `SPARES` blocks allocates
//! nothing once it reached its longest. Reuse is safe exactly where
//! freeing was: no thread dereferences a block pointer unless it won the CAS
//! on the index that proves the block still live (an index is never reused: a
//! `u64` counting slots does not wrap), so a stale pointer to a recycled block
//! is only ever compared, never followed. See the `SAFETY` comments of
//! [`Fifo::destroy`] and [`Fifo::new_block`].

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;

use crossbeam_utils::CachePadded;

use crate::sync::{fence, AtomicPtr, AtomicU32, AtomicU64, Backoff, Ordering, UnsafeCell};

// Bits of a slot's state:
// * `WRITE`: a value has been written into the slot.
// * `READ`: the value has been read from the slot.
// * `DESTROY`: the block is being destroyed; the slot's reader finishes that.
const WRITE: u32 = 1;
const READ: u32 = 2;
const DESTROY: u32 = 4;

/// The number of values a block holds. Tiny under loom, so that models cross
/// blocks and recycle them within a few operations.
#[cfg(not(loom))]
const BLOCK_CAP: usize = 31;
/// The number of values a block holds. Tiny under loom, so that models cross
/// blocks and recycle them within a few operations.
#[cfg(loom)]
const BLOCK_CAP: usize = 2;

/// How many finished blocks a queue keeps for reuse.
const SPARES: usize = 2;

/// Each block covers one lap of indices: its slots, then one index that stands
/// for the move to the next block.
const LAP: u64 = BLOCK_CAP as u64 + 1;
/// How many low bits of an index hold metadata.
const SHIFT: u32 = 1;
/// In the head index: the head block is not the last one.
const HAS_NEXT: u64 = 1;

/// A slot in a block.
struct Slot<T> {
    /// The value, initialised between the `WRITE` and the `READ` of `state`.
    value: UnsafeCell<MaybeUninit<T>>,
    /// `WRITE | READ | DESTROY` bits.
    state: AtomicU32,
}

impl<T> Slot<T> {
    /// Waits until a value is written into the slot.
    fn wait_write(&self) {
        let backoff = Backoff::new();
        while self.state.load(Ordering::Acquire) & WRITE == 0 {
            backoff.snooze();
        }
    }
}

/// A block in the linked list, holding up to `BLOCK_CAP` values.
struct Block<T> {
    /// The next block, null until the pusher of the last slot installs it.
    next: AtomicPtr<Block<T>>,
    /// Slots for values.
    slots: [Slot<T>; BLOCK_CAP],
}

impl<T> Block<T> {
    /// Allocates an empty block: `next` null, every slot state 0.
    fn alloc() -> *mut Block<T> {
        #[cfg(all(test, not(loom)))]
        tests::ALLOCATED.with(|n| n.set(n.get() + 1));
        let mut block = Box::<Block<T>>::new_uninit();
        let raw = block.as_mut_ptr();
        // SAFETY: `raw` points to an allocation of one `Block<T>` that we own
        // alone. We initialise every field in place, each through a raw pointer
        // to it (no reference to uninitialised memory is made): `next`, then for
        // each slot its value cell (a `MaybeUninit`, which needs no content) and
        // its state. The slots are an array, so slot `i` is at `first.add(i)`
        // for `i < BLOCK_CAP`, inside the allocation.
        unsafe {
            ptr::addr_of_mut!((*raw).next).write(AtomicPtr::new(ptr::null_mut()));
            let first = ptr::addr_of_mut!((*raw).slots).cast::<Slot<T>>();
            for i in 0..BLOCK_CAP {
                let slot = first.add(i);
                ptr::addr_of_mut!((*slot).value).write(UnsafeCell::new(MaybeUninit::uninit()));
                ptr::addr_of_mut!((*slot).state).write(AtomicU32::new(0));
            }
        }
        // SAFETY: every field was initialised above.
        Box::into_raw(unsafe { block.assume_init() })
    }

    /// Frees a block (not the values in it).
    ///
    /// # Safety
    ///
    /// `this` came from [`Block::alloc`], and no other thread uses it or will.
    unsafe fn free(this: *mut Block<T>) {
        // SAFETY: by the caller's contract; `Block` drops no `T` (its values are
        // `MaybeUninit`), so this only frees the memory.
        drop(unsafe { Box::from_raw(this) });
    }

    /// Waits until the next pointer is set.
    fn wait_next(&self) -> *mut Block<T> {
        let backoff = Backoff::new();
        loop {
            let next = self.next.load(Ordering::Acquire);
            if !next.is_null() {
                return next;
            }
            backoff.snooze();
        }
    }
}

/// A position in the queue: an index and the block it falls in.
struct Position<T> {
    index: AtomicU64,
    block: AtomicPtr<Block<T>>,
}

impl<T> Position<T> {
    fn new() -> Self {
        Position {
            index: AtomicU64::new(0),
            block: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// An unbounded MPMC FIFO that allocates nothing in steady state.
pub(crate) struct Fifo<T> {
    head: CachePadded<Position<T>>,
    tail: CachePadded<Position<T>>,
    /// Reset blocks kept for the next blocks the tail needs, or nulls.
    /// Whoever swaps one out owns the block alone.
    spares: [AtomicPtr<Block<T>>; SPARES],
    /// Dropping a `Fifo<T>` may drop values of type `T`.
    _marker: PhantomData<T>,
}

// SAFETY: a `Fifo<T>` hands each value from the thread that pushed it to the
// one that pops it (or drops it in `Drop`), so `T: Send` suffices, as for
// `SegQueue`. Blocks are shared only through the atomic protocol above.
unsafe impl<T: Send> Send for Fifo<T> {}
// SAFETY: as for `Send`: `&Fifo<T>` only moves values of `T` between threads.
unsafe impl<T: Send> Sync for Fifo<T> {}

impl<T> Fifo<T> {
    pub(crate) fn new() -> Self {
        Fifo {
            head: CachePadded::new(Position::new()),
            tail: CachePadded::new(Position::new()),
            spares: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            _marker: PhantomData,
        }
    }

    /// An empty block owned by the caller alone: a spare if there is one,
    /// else a new allocation.
    fn new_block(&self) -> *mut Block<T> {
        for place in &self.spares {
            if place.load(Ordering::Relaxed).is_null() {
                continue;
            }
            // Acquire: pairs with the Release that published the spare, so its
            // reset (and every access before its recycling) happens before our use.
            let spare = place.swap(ptr::null_mut(), Ordering::Acquire);
            if !spare.is_null() {
                // Ours alone: the swap took the pointer out of its place
                // atomically, so no other thread can take it too, and a spare
                // block is reachable from nowhere else (see `recycle`).
                return spare;
            }
        }
        Block::alloc()
    }

    /// Keeps a block that no thread uses, reset, as a spare; frees it if
    /// every spare place is taken.
    ///
    /// # Safety
    ///
    /// `block` came from [`Block::alloc`] and the caller owns it alone: no other
    /// thread holds a pointer to it that it may still follow, and none will get
    /// one except by taking it out of a spare place.
    unsafe fn recycle(&self, block: *mut Block<T>) {
        let free = |place: &AtomicPtr<Block<T>>| place.load(Ordering::Relaxed).is_null();
        if !self.spares.iter().any(free) {
            // SAFETY: the caller owns `block` alone.
            unsafe { Block::free(block) };
            return;
        }
        // SAFETY: the caller owns `block` alone, so it may reset it; the stores
        // need no ordering of their own, the Release below publishes them.
        unsafe {
            (*block).next.store(ptr::null_mut(), Ordering::Relaxed);
            for slot in &(*block).slots {
                slot.state.store(0, Ordering::Relaxed);
            }
        }
        // Release: whoever takes the spare (Acquire) sees the reset, and every
        // access to the block that happened before ours.
        let kept = self.spares.iter().any(|place| {
            place
                .compare_exchange(ptr::null_mut(), block, Ordering::Release, Ordering::Relaxed)
                .is_ok()
        });
        if !kept {
            // SAFETY: every CAS failed, so the block was not published: still ours.
            unsafe { Block::free(block) };
        }
    }

    /// Sets `DESTROY` in the slots from `start` that are still being read, and
    /// recycles the block if none is.
    ///
    /// # Safety
    ///
    /// `block` is a live block of this queue, every slot of which has been
    /// claimed by a popper; the caller is the popper of its last slot (with
    /// `start == 0`) or of slot `start - 1` and saw `DESTROY` there, and has
    /// finished reading its own slot.
    unsafe fn destroy(&self, block: *mut Block<T>, start: usize) {
        // The last slot needs no `DESTROY`: its popper is the one that began.
        for i in start..BLOCK_CAP - 1 {
            // SAFETY: only the thread that finishes this walk recycles the
            // block, and that is us until we hand the walk over (below, after
            // which we return without touching the block): it is live.
            // `i < BLOCK_CAP`.
            let slot = unsafe { (*block).slots.get_unchecked(i) };
            // Acquire (either way): the popper's read of the slot happens before
            // what we do next, and in the end before the block's reuse.
            if slot.state.load(Ordering::Acquire) & READ == 0
                && slot.state.fetch_or(DESTROY, Ordering::AcqRel) & READ == 0
            {
                // That popper is still reading; it will see `DESTROY` and carry
                // on from slot `i + 1`. We must not touch the block again.
                return;
            }
        }
        // SAFETY: every slot has been claimed and read, each read happening
        // before this point (Acquire above, or the AcqRel `fetch_or(READ)` that
        // showed us `DESTROY`, which also orders the work of the popper that set
        // it). Pushers are done too: each wrote its slot (and the last one
        // `next`) before its Release `WRITE`, acquired by the slot's popper.
        // The previous block's last popper read our `next` (for `HAS_NEXT`)
        // before its Release store of the head index, which every popper of
        // this block acquired before claiming its slot.
        // Pointers to the block that may remain: copies of `head.block` or
        // `tail.block` in other threads, followed only after winning a CAS on
        // the index loaded before them, which fails since both indices have left
        // this block's lap for good (a `u64` index never wraps); and the previous
        // block's `next`, read only by that block's last popper before the head
        // entered this block. So no thread will touch the block: freeing it was
        // safe in `SegQueue`, and handing it to `recycle` is too.
        unsafe { self.recycle(block) };
    }

    /// Pushes an element to the tail.
    pub(crate) fn push(&self, value: T) {
        let backoff = Backoff::new();
        let mut tail = self.tail.index.load(Ordering::Acquire);
        let mut block = self.tail.block.load(Ordering::Acquire);
        // A block for the tail after ours, owned by us alone until installed.
        let mut next_block: *mut Block<T> = ptr::null_mut();

        loop {
            let offset = ((tail >> SHIFT) % LAP) as usize;

            // At the end of the block: wait until the next one is installed.
            if offset == BLOCK_CAP {
                backoff.snooze();
                tail = self.tail.index.load(Ordering::Acquire);
                block = self.tail.block.load(Ordering::Acquire);
                continue;
            }

            // If we are to install the next block, get it before claiming the
            // slot, so that other threads wait for us as little as possible.
            if offset + 1 == BLOCK_CAP && next_block.is_null() {
                next_block = self.new_block();
            }

            // The first push installs the first block.
            if block.is_null() {
                let new = self.new_block();
                if self
                    .tail
                    .block
                    .compare_exchange(block, new, Ordering::Release, Ordering::Relaxed)
                    .is_ok()
                {
                    self.head.block.store(new, Ordering::Release);
                    block = new;
                } else {
                    if next_block.is_null() {
                        next_block = new;
                    } else {
                        // SAFETY: `new` was never published: ours alone.
                        unsafe { self.recycle(new) };
                    }
                    tail = self.tail.index.load(Ordering::Acquire);
                    block = self.tail.block.load(Ordering::Acquire);
                    continue;
                }
            }

            let new_tail = tail + (1 << SHIFT);

            match self.tail.index.compare_exchange_weak(
                tail,
                new_tail,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // We hold slot `offset` of `block`. `block` is the block of
                    // index `tail`: it was stored in `tail.block` before the tail
                    // index entered its lap, we loaded the index (Acquire) before
                    // the pointer, and a later block would have come with a later
                    // index, failing our CAS. It is live: our slot is unwritten,
                    // so its popper cannot have read it and the block cannot have
                    // been destroyed (recycled).
                    if offset + 1 == BLOCK_CAP {
                        let next_index = new_tail.wrapping_add(1 << SHIFT);
                        self.tail.block.store(next_block, Ordering::Release);
                        self.tail.index.store(next_index, Ordering::Release);
                        // SAFETY: `block` is live (above).
                        unsafe { (*block).next.store(next_block, Ordering::Release) };
                        next_block = ptr::null_mut();
                    }

                    // SAFETY: `block` is live and `offset < BLOCK_CAP`; the slot
                    // is ours alone until we set `WRITE` (its popper waits for
                    // that), so writing the value races with nothing. A
                    // recycled block's slot was read (and the value moved out)
                    // before its reuse, so nothing is overwritten.
                    unsafe {
                        let slot = (*block).slots.get_unchecked(offset);
                        slot.value
                            .with_mut(|cell| cell.write(MaybeUninit::new(value)));
                        slot.state.fetch_or(WRITE, Ordering::Release);
                    }

                    if !next_block.is_null() {
                        // SAFETY: we took it and never published it.
                        unsafe { self.recycle(next_block) };
                    }
                    return;
                }
                Err(t) => {
                    tail = t;
                    block = self.tail.block.load(Ordering::Acquire);
                    backoff.spin();
                }
            }
        }
    }

    /// Pops the head element, or returns `None` if the queue looks empty.
    pub(crate) fn pop(&self) -> Option<T> {
        let backoff = Backoff::new();
        let mut head = self.head.index.load(Ordering::Acquire);
        let mut block = self.head.block.load(Ordering::Acquire);

        loop {
            let offset = ((head >> SHIFT) % LAP) as usize;

            // At the end of the block: wait until the next one is installed.
            if offset == BLOCK_CAP {
                backoff.snooze();
                head = self.head.index.load(Ordering::Acquire);
                block = self.head.block.load(Ordering::Acquire);
                continue;
            }

            let mut new_head = head + (1 << SHIFT);

            if new_head & HAS_NEXT == 0 {
                fence(Ordering::SeqCst);
                let tail = self.tail.index.load(Ordering::Relaxed);

                // The tail equals the head: the queue is empty.
                if head >> SHIFT == tail >> SHIFT {
                    return None;
                }

                // Head and tail in different blocks: set `HAS_NEXT` in the head.
                if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP {
                    new_head |= HAS_NEXT;
                }
            }

            // The block is null only while the first push is installing it.
            if block.is_null() {
                backoff.snooze();
                head = self.head.index.load(Ordering::Acquire);
                block = self.head.block.load(Ordering::Acquire);
                continue;
            }

            match self.head.index.compare_exchange_weak(
                head,
                new_head,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // We hold slot `offset` of `block`, which is the block of
                    // index `head` (as in `push`) and live: our slot is unread,
                    // so the block cannot have been destroyed (recycled).
                    if offset + 1 == BLOCK_CAP {
                        // SAFETY: `block` is live. `next` is installed before
                        // the pusher of our slot writes it; it is the tail's
                        // block or older, not yet entered by the head, so not
                        // destroyed either: it is live too.
                        unsafe {
                            let next = (*block).wait_next();
                            let mut next_index = (new_head & !HAS_NEXT).wrapping_add(1 << SHIFT);
                            if !(*next).next.load(Ordering::Relaxed).is_null() {
                                next_index |= HAS_NEXT;
                            }
                            self.head.block.store(next, Ordering::Release);
                            self.head.index.store(next_index, Ordering::Release);
                        }
                    }

                    // SAFETY: `block` is live and `offset < BLOCK_CAP`. Once
                    // `WRITE` is set (Acquire) the value is initialised and its
                    // pusher is done with the cell; we are its only popper (we
                    // won the index), so we move the value out exactly once.
                    let value = unsafe {
                        let slot = (*block).slots.get_unchecked(offset);
                        slot.wait_write();
                        slot.value.with_mut(|cell| cell.read().assume_init())
                    };

                    // Destroy the block if ours was its last slot, or if another
                    // popper wanted to but found us still reading.
                    if offset + 1 == BLOCK_CAP {
                        // SAFETY: we popped the last slot and are done reading.
                        unsafe { self.destroy(block, 0) };
                    } else {
                        // SAFETY: `block` is live until we set `READ`: after
                        // that we touch it only if we saw `DESTROY`, in which
                        // case its destroyer left it to us.
                        unsafe {
                            let slot = (*block).slots.get_unchecked(offset);
                            if slot.state.fetch_or(READ, Ordering::AcqRel) & DESTROY != 0 {
                                self.destroy(block, offset + 1);
                            }
                        }
                    }

                    return Some(value);
                }
                Err(h) => {
                    head = h;
                    block = self.head.block.load(Ordering::Acquire);
                    backoff.spin();
                }
            }
        }
    }

    /// Pops the oldest element. The caller holds a reservation for it, so it is
    /// there or being written; never returns empty-handed.
    pub(crate) fn pop_reserved(&self) -> T {
        let backoff = Backoff::new();
        loop {
            if let Some(value) = self.pop() {
                return value;
            }
            backoff.snooze();
        }
    }
}

impl<T> Drop for Fifo<T> {
    fn drop(&mut self) {
        // `&mut self`: every push and pop happened before, so the loads below
        // see their last values.
        let mut head = self.head.index.load(Ordering::Relaxed) & !((1 << SHIFT) - 1);
        let tail = self.tail.index.load(Ordering::Relaxed) & !((1 << SHIFT) - 1);
        let mut block = self.head.block.load(Ordering::Relaxed);

        // SAFETY: we own the queue alone. Between head and tail every slot holds
        // an initialised value (each push finished, no pop took it), which we
        // drop once; blocks from the head block on are live and linked through
        // `next` (the last one, `tail.block`, may be null before any push), and
        // each is freed once. The spares are owned by the queue alone.
        unsafe {
            while head != tail {
                let offset = ((head >> SHIFT) % LAP) as usize;
                if offset < BLOCK_CAP {
                    let slot = (*block).slots.get_unchecked(offset);
                    slot.value.with_mut(|cell| (*cell).assume_init_drop());
                } else {
                    let next = (*block).next.load(Ordering::Relaxed);
                    Block::free(block);
                    block = next;
                }
                head = head.wrapping_add(1 << SHIFT);
            }
            if !block.is_null() {
                Block::free(block);
            }
            for place in &self.spares {
                let spare = place.load(Ordering::Relaxed);
                if !spare.is_null() {
                    Block::free(spare);
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn fifo_order_across_blocks() {
        let q = Fifo::new();
        for round in 0..5 {
            for i in 0..100 {
                q.push(round * 1000 + i);
            }
            for i in 0..100 {
                assert_eq!(q.pop(), Some(round * 1000 + i));
            }
            assert_eq!(q.pop(), None);
        }
    }

    /// The spare blocks a queue keeps.
    fn spares<T>(q: &Fifo<T>) -> Vec<*mut Block<T>> {
        let spares = q.spares.iter().map(|p| p.load(Ordering::Relaxed));
        spares.filter(|p| !p.is_null()).collect()
    }

    std::thread_local! {
        /// The blocks this thread allocated.
        pub(super) static ALLOCATED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    #[test]
    fn a_queue_swinging_by_two_blocks_allocates_only_at_first() {
        let q = Fifo::new();
        for round in 0..4 {
            let before = ALLOCATED.with(|n| n.get());
            for i in 0..2 * BLOCK_CAP + 1 {
                q.push(i);
            }
            for i in 0..2 * BLOCK_CAP + 1 {
                assert_eq!(q.pop(), Some(i));
            }
            let allocated = ALLOCATED.with(|n| n.get()) - before;
            assert_eq!(allocated, if round == 0 { 3 } else { 0 }, "round {round}");
        }
    }

    #[test]
    fn finished_blocks_are_reused() {
        let q = Fifo::new();
        // Fill the first block: its last push installs a second block.
        for i in 0..BLOCK_CAP {
            q.push(i);
        }
        let first = q.head.block.load(Ordering::Relaxed);
        for i in 0..BLOCK_CAP {
            assert_eq!(q.pop(), Some(i));
        }
        assert_eq!(spares(&q), [first], "first block kept");
        // Fill the second block: its last push takes the spare.
        for i in 0..BLOCK_CAP {
            q.push(i);
        }
        assert!(spares(&q).is_empty());
        assert_eq!(
            q.tail.block.load(Ordering::Relaxed),
            first,
            "first block reused"
        );
        for i in 0..BLOCK_CAP {
            assert_eq!(q.pop(), Some(i));
        }
        // Ping-pong between the two blocks, in order.
        for i in 0..10 * BLOCK_CAP {
            q.push(i);
            assert_eq!(q.pop(), Some(i));
        }
    }

    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn drop_drops_remaining_values_once() {
        for (pushed, popped) in [(0, 0), (1, 0), (5, 5), (100, 0), (100, 37), (62, 31)] {
            let drops = Arc::new(AtomicUsize::new(0));
            let q = Fifo::new();
            for _ in 0..pushed {
                q.push(Counted(drops.clone()));
            }
            for _ in 0..popped {
                drop(q.pop().unwrap());
            }
            assert_eq!(drops.load(Ordering::Relaxed), popped);
            drop(q);
            assert_eq!(
                drops.load(Ordering::Relaxed),
                pushed,
                "{pushed} pushed, {popped} popped"
            );
        }
    }

    #[test]
    fn mpmc_conserves_and_orders() {
        const PRODUCERS: usize = 4;
        const CONSUMERS: usize = 4;
        const EACH: usize = if cfg!(miri) { 300 } else { 20_000 };
        let q = Arc::new(Fifo::<(usize, usize)>::new());
        let popped = Arc::new(AtomicUsize::new(0));
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let q = q.clone();
                thread::spawn(move || (0..EACH).for_each(|i| q.push((p, i))))
            })
            .collect();
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let q = q.clone();
                let popped = popped.clone();
                thread::spawn(move || {
                    let mut got = Vec::new();
                    while popped.load(Ordering::Relaxed) < PRODUCERS * EACH {
                        match q.pop() {
                            Some(v) => {
                                popped.fetch_add(1, Ordering::Relaxed);
                                got.push(v);
                            }
                            None => thread::yield_now(),
                        }
                    }
                    got
                })
            })
            .collect();
        producers.into_iter().for_each(|t| t.join().unwrap());
        let mut seen = vec![vec![false; EACH]; PRODUCERS];
        for consumer in consumers {
            let got = consumer.join().unwrap();
            let mut last = [None; PRODUCERS];
            for (p, i) in got {
                assert!(last[p] < Some(i), "producer {p}: {i} after {:?}", last[p]);
                last[p] = Some(i);
                assert!(!seen[p][i], "({p}, {i}) popped twice");
                seen[p][i] = true;
            }
        }
        assert!(seen.iter().flatten().all(|&s| s), "a value was lost");
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn pop_reserved_waits_for_a_reserved_push() {
        // A counter stands for the matcher's reservation: consumers reserve
        // before popping, producers count after pushing.
        const EACH: usize = if cfg!(miri) { 300 } else { 20_000 };
        let q = Arc::new(Fifo::<usize>::new());
        let available = Arc::new(AtomicUsize::new(0));
        let producers: Vec<_> = (0..2)
            .map(|_| {
                let (q, available) = (q.clone(), available.clone());
                thread::spawn(move || {
                    for i in 0..EACH {
                        q.push(i);
                        available.fetch_add(1, Ordering::Release);
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let (q, available) = (q.clone(), available.clone());
                thread::spawn(move || {
                    let mut sum = 0;
                    for _ in 0..EACH {
                        let mut n = available.load(Ordering::Relaxed);
                        loop {
                            if n == 0 {
                                thread::yield_now();
                                n = available.load(Ordering::Relaxed);
                            } else {
                                match available.compare_exchange_weak(
                                    n,
                                    n - 1,
                                    Ordering::Acquire,
                                    Ordering::Relaxed,
                                ) {
                                    Ok(_) => break,
                                    Err(m) => n = m,
                                }
                            }
                        }
                        sum += q.pop_reserved();
                    }
                    sum
                })
            })
            .collect();
        producers.into_iter().for_each(|t| t.join().unwrap());
        let sum: usize = consumers.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(sum, 2 * (EACH * (EACH - 1) / 2));
        assert_eq!(q.pop(), None);
    }
}

#[cfg(all(test, loom))]
mod tests {
    use super::*;
    use crate::sync::{thread, Arc};

    /// A queue with the matcher's discipline: a push is counted once it has
    /// finished, and a pop first reserves a counted element, so `pop_reserved`
    /// never finds the queue empty (it may wait for a slot still being written).
    struct Reserved {
        fifo: Fifo<u32>,
        pushed: AtomicU32,
    }

    impl Reserved {
        fn new() -> Arc<Self> {
            Arc::new(Reserved {
                fifo: Fifo::new(),
                pushed: AtomicU32::new(0),
            })
        }

        fn push(&self, value: u32) {
            self.fifo.push(value);
            self.pushed.fetch_add(1, Ordering::Release);
        }

        /// Pops the `(taken + 1)`-th element; for a single popper.
        fn pop(&self, taken: u32) -> u32 {
            while self.pushed.load(Ordering::Acquire) <= taken {
                thread::yield_now();
            }
            self.fifo.pop_reserved()
        }
    }

    /// Leaves the queue with its first block done and kept as the spare, and
    /// the tail at the start of the second block.
    fn with_spare(q: &Fifo<u32>) {
        for v in 0..BLOCK_CAP as u32 {
            q.push(100 + v);
        }
        for v in 0..BLOCK_CAP as u32 {
            assert_eq!(q.pop(), Some(100 + v));
        }
        assert!(q
            .spares
            .iter()
            .any(|p| !p.load(Ordering::Relaxed).is_null()));
    }

    /// Two pushers race for the two slots of a block; the one that gets the
    /// last slot takes the spare (the first block, recycled) and installs it,
    /// the other may wait for that. The main thread pops each element as soon
    /// as it is counted, possibly waiting for a slot still being written or
    /// for the next block, and finishing the block recycles it while the
    /// spare may still be out.
    #[test]
    fn loom_fifo_two_pushers_one_popper() {
        loom::model(|| {
            let q = Reserved::new();
            with_spare(&q.fifo);
            let pushers: Vec<_> = [0, 10]
                .into_iter()
                .map(|v| {
                    let q = q.clone();
                    thread::spawn(move || q.push(v))
                })
                .collect();
            let mut got = [q.pop(0), q.pop(1)];
            pushers.into_iter().for_each(|t| t.join().unwrap());
            got.sort_unstable();
            assert_eq!(got, [0, 10]);
            assert_eq!(q.fifo.pop(), None);
        });
    }

    /// One pusher, one popper, in step across two block transitions, the
    /// second into the recycled first block: elements come out once each and
    /// in order.
    #[test]
    fn loom_fifo_pusher_and_popper_in_order() {
        loom::model(|| {
            let q = Reserved::new();
            with_spare(&q.fifo);
            let pusher = {
                let q = q.clone();
                thread::spawn(move || (0..5).for_each(|v| q.push(v)))
            };
            let got: Vec<u32> = (0..5).map(|taken| q.pop(taken)).collect();
            pusher.join().unwrap();
            assert_eq!(got, [0, 1, 2, 3, 4]);
            assert_eq!(q.fifo.pop(), None);
        });
    }

    /// With the first block full, two poppers race
    /// over it while the main thread pushes into the second and installs a
    /// third. One popper may finish the block while the other is still
    /// reading, which hands the destruction (and the recycling) to the reader;
    /// the pusher may take the recycled block, or allocate if it comes first.
    #[test]
    fn loom_fifo_recycles_under_racing_poppers() {
        loom::model(|| {
            let q = Arc::new(Fifo::new());
            // The first block holds [0, 1]; pushing 1 installed the second.
            q.push(0);
            q.push(1);
            let poppers: Vec<_> = (0..2)
                .map(|_| {
                    let q = q.clone();
                    thread::spawn(move || q.pop_reserved())
                })
                .collect();
            // Into the second block; pushing 3 installs a third: the first,
            // recycled, if the poppers are done with it, into which 4 goes.
            q.push(2);
            q.push(3);
            q.push(4);
            let mut got: Vec<u32> = poppers.into_iter().map(|t| t.join().unwrap()).collect();
            got.sort_unstable();
            assert_eq!(got, [0, 1]);
            assert_eq!(
                [q.pop_reserved(), q.pop_reserved(), q.pop_reserved()],
                [2, 3, 4]
            );
            assert_eq!(q.pop(), None);
        });
    }

    struct Counted(Arc<AtomicU32>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A popper and a pusher race over a block transition; what is left is
    /// dropped with the queue. Every value is dropped exactly once.
    #[test]
    fn loom_fifo_drops_each_value_once() {
        loom::model(|| {
            let drops = Arc::new(AtomicU32::new(0));
            let q = Arc::new(Fifo::new());
            q.push(Counted(drops.clone()));
            let popper = {
                let q = q.clone();
                thread::spawn(move || {
                    let mut popped = 0;
                    for _ in 0..2 {
                        if let Some(v) = q.pop() {
                            drop(v);
                            popped += 1;
                        }
                    }
                    popped
                })
            };
            q.push(Counted(drops.clone()));
            q.push(Counted(drops.clone()));
            let popped = popper.join().unwrap();
            assert_eq!(drops.load(Ordering::Relaxed), popped);
            // The popper's handle is gone with its thread: this drops the queue.
            drop(q);
            assert_eq!(drops.load(Ordering::Relaxed), 3);
        });
    }
}
