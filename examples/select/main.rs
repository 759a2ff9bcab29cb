//! A select over three channels (see `select.rs`): a consumer selects while
//! producers send numbers, words and ticks; every case gets its turn.
//!
//! `cargo run --release --example select`

#[allow(dead_code)]
mod select;

use std::thread;

use select::{Case, Select};

fn main() {
    let select = Select::new();
    // All three cases ready at once: the selects take them in turn.
    for i in 0..3 {
        select.number(i);
        select.word(format!("w{i}"));
        select.tick();
    }
    for _ in 0..9 {
        println!("ready cases: took {:?}", select.select());
    }
    // No case ready: select waits for whichever comes.
    thread::scope(|s| {
        s.spawn(|| {
            select.word("late".into());
        });
        let case = select.select();
        assert_eq!(case, Case::Word("late".into()));
        println!("waited, then took {case:?}");
    });
}
