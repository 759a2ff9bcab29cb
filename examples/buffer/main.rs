//! The Polyphonic C# buffer: `get() & async put(s)` (see `buffer.rs`).
//!
//! Three producers put four items each while two consumers get them; every
//! item is delivered exactly once, and each producer's items in the order it
//! put them.
//!
//! `cargo run --release --example buffer`

#[allow(dead_code)]
mod buffer;

use std::collections::BTreeSet;
use std::sync::Mutex;

use buffer::{Buffer, Item};

const PRODUCERS: usize = 3;
const PER_PRODUCER: usize = 4;
const CONSUMERS: usize = 2;

fn main() {
    // The chord, by itself.
    let words = Buffer::new();
    words.put("hello");
    words.put("world");
    println!(
        "put \"hello\", put \"world\"; get -> {:?}, get -> {:?}",
        words.get(),
        words.get()
    );
    println!(
        "get on an empty buffer would wait: try_get -> {:?}\n",
        words.try_get()
    );

    println!("{PRODUCERS} producers x {PER_PRODUCER} items, {CONSUMERS} consumers:");
    let buffer = Buffer::new();
    let log = Mutex::new(());
    let got = buffer::produce_consume(&buffer, PRODUCERS, PER_PRODUCER, CONSUMERS, &|c, item| {
        let _line = log.lock().unwrap();
        println!(
            "  consumer {} got item {} of producer {}",
            (b'A' + c as u8) as char,
            item.seq,
            item.producer
        );
    });

    let all: Vec<Item> = got.iter().flatten().copied().collect();
    let distinct: BTreeSet<Item> = all.iter().copied().collect();
    let in_order = got.iter().all(|seen| {
        (0..PRODUCERS).all(|p| {
            let seqs: Vec<usize> = seen
                .iter()
                .filter(|i| i.producer == p)
                .map(|i| i.seq)
                .collect();
            seqs.windows(2).all(|w| w[0] < w[1])
        })
    });
    println!(
        "\n{} items put, {} got, {} distinct; each consumer saw each producer's items in order: {}",
        PRODUCERS * PER_PRODUCER,
        all.len(),
        distinct.len(),
        if in_order { "yes" } else { "NO" }
    );
    println!("left in the buffer: {buffer:?}");
}
