//! One-thread costs of the two most common chords, beside the primitive a user
//! would pick instead, in the same run: a buffer's put+get round trip against
//! crossbeam-channel and std's mpsc, and an uncontended lock's acquire+release
//! against parking_lot's and std's `Mutex`.
//!
//! `cargo bench --bench roundtrip` prints ns/op (median of several runs), the
//! ratio chords/peer, and allocations per operation (a counting allocator).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chords::Join;

/// Counts allocations, so each line can say how many an operation makes.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const OPS: u32 = 1_000_000;
const RUNS: usize = 7;

/// A measurement: median ns per operation, and allocations per operation.
type Cost = (f64, f64);

/// Median ns per operation of `op` over `RUNS` runs of `OPS` operations.
fn measure(mut op: impl FnMut(u32)) -> Cost {
    for i in 0..OPS / 10 {
        op(i);
    }
    let allocs = ALLOCS.load(Ordering::Relaxed);
    let mut runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..OPS {
                op(i);
            }
            start.elapsed().as_nanos() as f64 / f64::from(OPS)
        })
        .collect();
    let allocs = (ALLOCS.load(Ordering::Relaxed) - allocs) as f64 / (RUNS as f64 * f64::from(OPS));
    runs.sort_by(f64::total_cmp);
    (runs[RUNS / 2], allocs)
}

fn report(title: &str, chords: Cost, peers: &[(&str, Cost)]) {
    println!("{title}");
    let line = |name: &str, (ns, allocs): Cost| {
        print!("  {name:<30} {ns:>7.1} ns/op {allocs:>7.3} allocs/op");
    };
    line("chords", chords);
    println!();
    for &(name, cost) in peers {
        line(name, cost);
        println!("   chords/peer = {:.2}", chords.0 / cost.0);
    }
}

fn round_trip() {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<(), u32>("get");
    b.when(get).and(put).then(|(((), reply), n)| reply.send(n));
    let buffer = b.build().unwrap();
    let chords = measure(|i| {
        buffer.send(put, i);
        black_box(buffer.call(get, ()));
    });

    let (tx, rx) = crossbeam_channel::unbounded();
    let crossbeam = measure(|i| {
        tx.send(i).unwrap();
        black_box(rx.recv().unwrap());
    });

    let (tx, rx) = std::sync::mpsc::channel();
    let mpsc = measure(|i| {
        tx.send(i).unwrap();
        black_box(rx.recv().unwrap());
    });
    report(
        "put + get round trip, one thread",
        chords,
        &[
            ("crossbeam_channel::unbounded", crossbeam),
            ("std::sync::mpsc", mpsc),
        ],
    );
}

fn lock() {
    let mut b = Join::builder();
    let acquire = b.synchronous::<(), ()>("acquire");
    let free = b.asynchronous::<()>("free");
    b.when(acquire)
        .and(free)
        .then(|(((), reply), ())| reply.send(()));
    let lock = b.build().unwrap();
    lock.send(free, ());
    let chords = measure(|_| {
        lock.call(acquire, ());
        lock.send(free, ());
    });

    let mutex = parking_lot::Mutex::new(0u32);
    let parking = measure(|i| *mutex.lock() = i);

    let mutex = std::sync::Mutex::new(0u32);
    let std = measure(|i| *mutex.lock().unwrap() = i);
    report(
        "uncontended lock acquire + release",
        chords,
        &[("parking_lot::Mutex", parking), ("std::sync::Mutex", std)],
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    round_trip();
    lock();
}
