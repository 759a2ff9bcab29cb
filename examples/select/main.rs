//! A select across objects (see `select.rs`): a consumer selects over three
//! queues and a quit latch while producers send numbers, words and ticks;
//! every ready queue gets its turn, and quit ends the loop.
//!
//! `cargo run --release --example select`

#[allow(dead_code)]
mod select;

use std::thread;
use std::time::Duration;

use select::{Case, Mailroom};

fn main() {
    let mailroom = Mailroom::new();
    // All three queues ready at once: the selects take them in turn.
    for i in 0..3 {
        mailroom.numbers.put(i);
        mailroom.words.put(format!("w{i}"));
        mailroom.ticks.put(());
    }
    for _ in 0..9 {
        println!("ready queues: took {:?}", mailroom.select());
    }
    // Nothing ready: select waits for whichever comes, then quit ends it.
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(20));
            mailroom.words.put("late".into());
            thread::sleep(Duration::from_millis(20));
            mailroom.quit.open();
        });
        loop {
            match mailroom.select() {
                Case::Quit => break println!("quit"),
                case => println!("waited, then took {case:?}"),
            }
        }
    });
}
