//! An awaited call allocates nothing per wait in steady state: its waiter
//! comes from a per-thread pool, its slot lives in the future, and the
//! queues recycle their nodes. Also when futures are dropped while queued or
//! after being handed a chord. A counting allocator counts every allocation
//! of this test binary, so each test runs alone, in one `#[test]`.
#![cfg(not(loom))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

mod joins;
use joins::buffer;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: it forwards every call to the system allocator unchanged, and only
// counts allocations besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, SeqCst);
        // SAFETY: the caller's contract is `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is `System.dealloc`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f`.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(SeqCst);
    f();
    ALLOCATIONS.load(SeqCst) - before
}

fn poll<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn awaited_calls_allocate_nothing_per_wait_in_steady_state() {
    let (join, put, get) = buffer();
    // A wait: the call queues, a put hands it the chord, the next poll runs it.
    let wait = |i: u32| {
        let mut future = std::pin::pin!(join.call_async(get, 1));
        assert!(poll(future.as_mut()).is_pending());
        join.send(put, i % 100);
        assert_eq!(poll(future.as_mut()), Poll::Ready(100 + i % 100));
    };
    // Dropped while queued: withdrawn.
    let withdrawn = || {
        let mut future = Box::pin(join.call_async(get, 2));
        assert!(poll(future.as_mut()).is_pending());
        drop(future);
    };
    // Dropped after being handed the chord: the put goes back.
    let handed = |i: u32| {
        let mut future = std::pin::pin!(join.call_async(get, 3));
        assert!(poll(future.as_mut()).is_pending());
        join.send(put, i % 100);
        // (`pin!` keeps the future in this frame: drop it in place.)
        future.set(join.call_async(get, 4));
        assert_eq!(poll(future.as_mut()), Poll::Ready(400 + i % 100));
    };
    // Warm up: the pools and queues reach their steady size.
    for i in 0..1_000 {
        wait(i);
        handed(i);
    }
    assert_eq!(allocations(|| (0..10_000).for_each(wait)), 0);
    assert_eq!(allocations(|| (0..10_000).for_each(handed)), 0);
    // A boxed future allocates its box, and nothing else.
    assert_eq!(
        allocations(|| (0..10_000).for_each(|_| withdrawn())),
        10_000
    );
    assert_eq!(join.waiting(get), 0);
    assert_eq!(join.waiting(put), 0);
}
