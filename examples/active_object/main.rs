//! An active object (see `logger.rs`): two senders post requests, which the
//! object processes one at a time, each sender's in the order it sent them.
//!
//! `cargo run --release --example active_object`

#[allow(dead_code)]
mod logger;

use std::thread;

use logger::Logger;

fn main() {
    let logger = Logger::new();
    thread::scope(|s| {
        for sender in ["ann", "bob"] {
            let logger = &logger;
            s.spawn(move || {
                for i in 0..5 {
                    logger.log(format!("{sender} {i}"));
                }
            });
        }
    });
    let lines = loop {
        let lines = logger.lines();
        if lines.len() == 10 {
            break lines;
        }
        thread::yield_now();
    };
    for line in &lines {
        println!("{line}");
    }
}
