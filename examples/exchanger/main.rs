//! An exchanger (see `exchanger.rs`): four threads swap values in pairs.
//!
//! `cargo run --release --example exchanger`

#[allow(dead_code)]
mod exchanger;

use std::thread;

use exchanger::Exchanger;

fn main() {
    let exchanger = Exchanger::new();
    thread::scope(|s| {
        for name in ["ann", "bob", "cat", "dan"] {
            let exchanger = &exchanger;
            s.spawn(move || {
                println!(
                    "{name} gave its card and got {}'s",
                    exchanger.exchange(name)
                )
            });
        }
    });
}
