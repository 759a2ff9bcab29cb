//! The unbounded buffer of Polyphonic C#, and a run of producers and consumers.
//!
//! ```text
//! public string Get() & public async Put(string s) { return s; }
//! ```
//!
//! One chord: a `get` call and a `put` message meet, and the call returns the
//! message. `put` never waits; `get` waits until some `put` is there.
//!
//! This module is the example's logic and is shared with
//! `tests/example_buffer.rs`.

use std::thread;

use chords::chords;

/// An unbounded FIFO buffer.
#[chords(pub)]
impl<T: Send + 'static> Buffer<T> {
    /// Queues `item` and returns at once.
    pub async fn put(&self, item: T);
    /// Waits until some `put` is there, and returns its item (oldest first).
    pub fn get(&self) -> T;

    #[chord(get() & put(item))]
    fn deliver(&self) -> T {
        item
    }
}

/// An item of [`produce_consume`]: which producer put it, and its number
/// among that producer's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Item {
    /// The producer, `0..producers`.
    pub producer: usize,
    /// The item's number, `0..per_producer`, in the order it was put.
    pub seq: usize,
}

/// `producers` threads each put `per_producer` items into `buffer` while
/// `consumers` threads get them (the gets shared out as evenly as possible),
/// calling `on_get(consumer, item)` after each get. Returns what each
/// consumer got, in the order it got it.
pub fn produce_consume(
    buffer: &Buffer<Item>,
    producers: usize,
    per_producer: usize,
    consumers: usize,
    on_get: &(dyn Fn(usize, Item) + Sync),
) -> Vec<Vec<Item>> {
    assert!(consumers > 0 || producers * per_producer == 0);
    let total = producers * per_producer;
    thread::scope(|s| {
        let gets: Vec<_> = (0..consumers)
            .map(|c| {
                // Consumer `c` takes its share of the total, the first ones one more.
                let share = total / consumers + usize::from(c < total % consumers);
                s.spawn(move || {
                    (0..share)
                        .map(|_| {
                            let item = buffer.get();
                            on_get(c, item);
                            item
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for producer in 0..producers {
            s.spawn(move || {
                for seq in 0..per_producer {
                    buffer.put(Item { producer, seq });
                }
            });
        }
        gets.into_iter().map(|g| g.join().unwrap()).collect()
    })
}
