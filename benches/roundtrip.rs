//! One-thread costs of the two most common chords, beside the primitive a user
//! would pick instead, in the same run: a buffer's put+get round trip against
//! crossbeam-channel and std's mpsc, and an uncontended lock's acquire+release
//! against parking_lot's and std's `Mutex`.
//!
//! `cargo bench --bench roundtrip` prints ns/op (median of several runs) and
//! the ratio chords/peer.

use std::hint::black_box;
use std::time::Instant;

use chords::Join;

const OPS: u32 = 1_000_000;
const RUNS: usize = 7;

/// Median ns per operation of `op` over `RUNS` runs of `OPS` operations.
fn measure(mut op: impl FnMut(u32)) -> f64 {
    for i in 0..OPS / 10 {
        op(i);
    }
    let mut runs: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..OPS {
                op(i);
            }
            start.elapsed().as_nanos() as f64 / f64::from(OPS)
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[RUNS / 2]
}

fn report(title: &str, chords: f64, peers: &[(&str, f64)]) {
    println!("{title}");
    println!("  {:<24} {chords:>8.1} ns/op", "chords");
    for (name, ns) in peers {
        println!("  {name:<24} {ns:>8.1} ns/op   chords/peer = {:.2}", chords / ns);
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
        &[("crossbeam_channel::unbounded", crossbeam), ("std::sync::mpsc", mpsc)],
    );
}

fn lock() {
    let mut b = Join::builder();
    let acquire = b.synchronous::<(), ()>("acquire");
    let free = b.asynchronous::<()>("free");
    b.when(acquire).and(free).then(|(((), reply), ())| reply.send(()));
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
