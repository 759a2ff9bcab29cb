//! The Polyphonic C# buffer (`examples/buffer`): every item delivered exactly
//! once, and FIFO for each producer.

#[allow(dead_code)]
#[path = "../examples/buffer/buffer.rs"]
mod buffer;

use std::thread;
use std::time::Duration;

use buffer::{Buffer, Item};
use chords::TryCallError;

mod common;
use common::within;

/// Every item put, sorted: the multiset the consumers must get.
fn all_items(producers: usize, per: usize) -> Vec<Item> {
    (0..producers)
        .flat_map(|producer| (0..per).map(move |seq| Item { producer, seq }))
        .collect()
}

/// Asserts that each consumer saw each producer's items in increasing order.
fn assert_fifo_per_producer(got: &[Vec<Item>], producers: usize) {
    for (c, seen) in got.iter().enumerate() {
        for p in 0..producers {
            let seqs: Vec<usize> = seen
                .iter()
                .filter(|i| i.producer == p)
                .map(|i| i.seq)
                .collect();
            assert!(
                seqs.windows(2).all(|w| w[0] < w[1]),
                "consumer {c} got producer {p}'s items out of order: {seqs:?}"
            );
        }
    }
}

#[test]
fn one_producer_one_consumer_is_fifo() {
    let got = within("1 x 1", || {
        buffer::produce_consume(&Buffer::new(), 1, 2000, 1, &|_, _| {})
    });
    assert_eq!(got, vec![all_items(1, 2000)]);
}

#[test]
fn items_put_before_any_get_come_out_in_order() {
    let b = Buffer::new();
    for i in 0..100 {
        b.put(i);
    }
    let got: Vec<i32> = (0..100).map(|_| b.get()).collect();
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    assert_eq!(b.try_get(), Err(TryCallError(())), "nothing is left");
}

#[test]
fn get_waits_for_a_put() {
    let b: Buffer<&str> = Buffer::new();
    let getter = {
        let b = b.clone();
        thread::spawn(move || b.get())
    };
    // Bounded wait until the getter is queued; a hang would fail, not pass.
    for _ in 0..20_000 {
        if b.waiting()["get"] == 1 {
            break;
        }
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(b.waiting()["get"], 1, "the get waits: {b:?}");
    b.put("late");
    assert_eq!(getter.join().unwrap(), "late");
}

#[test]
fn many_producers_and_consumers_deliver_every_item_exactly_once() {
    const PRODUCERS: usize = 4;
    const PER: usize = 1000;
    const CONSUMERS: usize = 3;
    let b = Buffer::new();
    let got = within("4 x 3", {
        let b = b.clone();
        move || buffer::produce_consume(&b, PRODUCERS, PER, CONSUMERS, &|_, _| {})
    });
    assert_eq!(got.len(), CONSUMERS);
    let mut all: Vec<Item> = got.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        all_items(PRODUCERS, PER),
        "every item once, none lost or duplicated"
    );
    assert_fifo_per_producer(&got, PRODUCERS);
    assert!(b.try_get().is_err(), "nothing is left in the buffer");
    assert_eq!(b.waiting()["put"], 0, "{b:?}");
}

#[test]
fn one_producer_many_consumers_each_see_fifo() {
    const PER: usize = 3000;
    let got = within("1 x 4", || {
        buffer::produce_consume(&Buffer::new(), 1, PER, 4, &|_, _| {})
    });
    let mut all: Vec<Item> = got.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, all_items(1, PER));
    assert_fifo_per_producer(&got, 1);
}

#[test]
fn on_get_sees_every_delivery() {
    use std::sync::Mutex;
    let seen = Mutex::new(Vec::new());
    let got = buffer::produce_consume(&Buffer::new(), 2, 50, 2, &|c, item| {
        seen.lock().unwrap().push((c, item))
    });
    let mut seen = seen.into_inner().unwrap();
    seen.sort_unstable();
    let mut expected: Vec<(usize, Item)> = got
        .iter()
        .enumerate()
        .flat_map(|(c, items)| items.iter().map(move |&i| (c, i)))
        .collect();
    expected.sort_unstable();
    assert_eq!(seen, expected);
    assert_eq!(got[0].len() + got[1].len(), 100);
}
