//! The Polyphonic C# one-place buffer, its state one `#[state]` channel
//! matched by value: `put(x) & cell(None)` and `get() & cell(Some(x))` (see
//! `cell.rs`).
//!
//! Two producers put words into one cell while two consumers take them out;
//! the cell's history shows that puts and gets strictly alternate.
//!
//! `cargo run --release --example one_place_buffer`

#[allow(dead_code)]
mod cell;

use std::thread;

use cell::{Move, OnePlaceBuffer};

const WORDS: [&[&str]; 2] = [
    &["twas", "brillig", "and", "the", "slithy", "toves"],
    &["did", "gyre", "and", "gimble", "in", "the", "wabe"],
];

fn main() {
    let demo = OnePlaceBuffer::new();
    demo.put("hello");
    println!(
        "put \"hello\"; cell_now -> {:?}; a second put would wait: try_put(\"again\") -> {:?}",
        demo.cell_now(),
        demo.try_put("again").map_err(|e| e.into_inner())
    );
    println!("get -> {:?}; cell_now -> {:?}", demo.get(), demo.cell_now());
    println!(
        "a get on the empty cell would wait: try_get -> {:?}",
        demo.try_get().map_err(|e| e.into_inner())
    );
    println!("its history: {:?}\n", demo.history());

    let cell = OnePlaceBuffer::new();

    let total: usize = WORDS.iter().map(|w| w.len()).sum();
    let got = thread::scope(|s| {
        for (p, words) in WORDS.iter().enumerate() {
            let cell = &cell;
            s.spawn(move || {
                for w in *words {
                    cell.put(format!("{w}.{p}"));
                }
            });
        }
        let consumers: Vec<_> = (0..2)
            .map(|c| {
                let cell = &cell;
                let share = total / 2 + usize::from(c < total % 2);
                s.spawn(move || (0..share).map(|_| cell.get()).collect::<Vec<_>>())
            })
            .collect();
        consumers
            .into_iter()
            .map(|c| c.join().unwrap())
            .collect::<Vec<_>>()
    });

    println!("the cell's history ({total} words from 2 producers, 2 consumers):");
    let history = cell.history();
    let mut alternates = true;
    for (k, m) in history.iter().enumerate() {
        let expect_put = k % 2 == 0;
        match m {
            Move::Put(w) => {
                alternates &= expect_put;
                println!("  {:>2}. put {w}", k + 1)
            }
            Move::Got(w) => {
                alternates &= !expect_put && history[k - 1] == Move::Put(w.clone());
                println!("  {:>2}.         got {w}", k + 1)
            }
        }
    }
    println!(
        "\n{} moves; puts and gets alternate, each get taking the word just put: {}",
        history.len(),
        if alternates { "yes" } else { "NO" }
    );
    println!(
        "consumer A got {} words, consumer B {}",
        got[0].len(),
        got[1].len()
    );
}
