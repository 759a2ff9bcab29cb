//! A future (see `future.rs`): readers wait for a value that one thread sets.
//!
//! `cargo run --release --example future`

#[allow(dead_code)]
mod future;

use std::thread;
use std::time::Duration;

use future::Future;

fn main() {
    let answer = Future::new();
    thread::scope(|s| {
        for reader in 0..3 {
            let answer = &answer;
            s.spawn(move || println!("reader {reader} got {}", answer.get()));
        }
        thread::sleep(Duration::from_millis(20));
        println!("setting the value");
        answer.set(42).unwrap();
        println!("setting it again: {:?}", answer.set(7));
    });
    println!("a late reader gets {}", answer.get());
}
