//! The one-place buffer (`examples/one_place_buffer`): puts and gets strictly
//! alternate, and values come out in the order they went in.

#[allow(dead_code)]
#[path = "../examples/one_place_buffer/cell.rs"]
mod cell;

use std::thread;

use cell::{Move, OnePlaceBuffer};

mod common;
use common::{wait_until, within};

/// The cell's state, after checking that it is exactly one message (call it
/// when no chord runs: a running chord holds the message).
fn state<T: Clone + Send + 'static>(cell: &OnePlaceBuffer<T>) -> Option<T> {
    let waiting = cell.waiting();
    assert_eq!(waiting["cell"], 1, "cell in {waiting:?}");
    cell.cell_now()
}

/// Asserts that `history` is put, got, put, got, … with each got taking the
/// value of the put just before it; returns the values in that order.
fn assert_alternates(history: &[Move<u32>]) -> Vec<u32> {
    assert_eq!(history.len() % 2, 0, "as many gets as puts: {history:?}");
    history
        .chunks(2)
        .enumerate()
        .map(|(k, pair)| match pair {
            [Move::Put(a), Move::Got(b)] if a == b => *a,
            _ => panic!(
                "moves {} and {} are {pair:?}, not a put and the get of its value",
                2 * k + 1,
                2 * k + 2
            ),
        })
        .collect()
}

/// `producers` threads put `per` values each (producer p puts p * per + i),
/// `consumers` threads get them; returns the history and what each consumer got.
fn contend(producers: u32, per: u32, consumers: u32) -> (Vec<Move<u32>>, Vec<Vec<u32>>) {
    within("contention", move || {
        let cell = OnePlaceBuffer::new();
        let total = producers * per;
        let got = thread::scope(|s| {
            for p in 0..producers {
                let cell = &cell;
                s.spawn(move || (0..per).for_each(|i| cell.put(p * per + i)));
            }
            let takers: Vec<_> = (0..consumers)
                .map(|c| {
                    let cell = &cell;
                    let share = total / consumers + u32::from(c < total % consumers);
                    s.spawn(move || (0..share).map(|_| cell.get()).collect::<Vec<_>>())
                })
                .collect();
            takers
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect::<Vec<_>>()
        });
        assert_eq!(state(&cell), None, "the cell ends empty");
        (cell.history(), got)
    })
}

#[test]
fn put_waits_for_empty_and_get_waits_for_contains() {
    let cell = OnePlaceBuffer::new();
    assert_eq!(state(&cell), None);
    assert!(cell.try_get().is_err(), "an empty cell has nothing to get");
    cell.put(1);
    assert_eq!(state(&cell), Some(1));
    assert_eq!(
        cell.try_put(2).map_err(|e| e.into_inner()),
        Err(2),
        "a full cell takes no put, and hands the value back"
    );
    assert_eq!(cell.get(), 1);
    assert_eq!(state(&cell), None);
    assert_eq!(cell.history(), [Move::Put(1), Move::Got(1)]);
}

#[test]
fn a_second_put_blocks_until_a_get() {
    let cell = OnePlaceBuffer::new();
    cell.put(1);
    let second = {
        let cell = cell.clone();
        thread::spawn(move || cell.put(2))
    };
    wait_until("the second put waits", || cell.waiting()["put"] == 1);
    assert!(!second.is_finished());
    assert_eq!(state(&cell), Some(1), "still holding the first value");
    assert_eq!(cell.get(), 1);
    second.join().unwrap();
    assert_eq!(cell.get(), 2);
    assert_eq!(
        cell.history(),
        [Move::Put(1), Move::Got(1), Move::Put(2), Move::Got(2)]
    );
}

#[test]
fn one_producer_one_consumer_alternate_in_order() {
    const N: u32 = 1000;
    let (history, got) = contend(1, N, 1);
    let values = assert_alternates(&history);
    assert_eq!(values, (0..N).collect::<Vec<_>>(), "values in put order");
    assert_eq!(got, vec![(0..N).collect::<Vec<_>>()]);
}

#[test]
fn many_producers_and_consumers_strictly_alternate() {
    const PRODUCERS: u32 = 3;
    const PER: u32 = 300;
    let (history, got) = contend(PRODUCERS, PER, 3);
    let values = assert_alternates(&history);
    assert_eq!(history.len() as u32, 2 * PRODUCERS * PER);

    // Every value exactly once, in the history and in what the consumers got.
    let mut sorted = values.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..PRODUCERS * PER).collect::<Vec<_>>());
    let mut received: Vec<u32> = got.into_iter().flatten().collect();
    received.sort_unstable();
    assert_eq!(received, sorted);

    // Each producer's values went in (and so came out) in its order.
    for p in 0..PRODUCERS {
        let mine: Vec<u32> = values.iter().copied().filter(|v| v / PER == p).collect();
        assert_eq!(mine, (p * PER..(p + 1) * PER).collect::<Vec<_>>());
    }
}

#[test]
fn one_producer_many_consumers_get_values_in_order() {
    const N: u32 = 600;
    let (history, got) = contend(1, N, 3);
    assert_eq!(assert_alternates(&history), (0..N).collect::<Vec<_>>());
    for (c, seen) in got.iter().enumerate() {
        assert!(
            seen.windows(2).all(|w| w[0] < w[1]),
            "consumer {c} got values out of order"
        );
    }
}
