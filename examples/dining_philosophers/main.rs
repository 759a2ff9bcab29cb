//! Dining philosophers, with the table built at run time: `n` chopstick
//! channels and one chord per philosopher (see `table.rs`),
//!
//! ```text
//! eat_i() & chopstick_i & chopstick_{i+1 mod n}  =>  return
//! ```
//!
//! Each philosopher takes both chopsticks at once or none, so none holds one
//! chopstick while waiting for the other, and the table never deadlocks.
//!
//! `cargo run --release --example dining_philosophers -- --n 5 --meals 1000`

#[allow(dead_code)]
mod table;

#[path = "../common/args.rs"]
mod args;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::Instant;

use table::Table;

const USAGE: &str = "\
usage: dining_philosophers [--n N] [--meals M]

  --n N       philosophers (and chopsticks) at the table, N >= 2 (default 5)
  --meals M   meals each philosopher eats (default 1000)
  --help      this text";

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<(usize, usize)>, String> {
    let (mut n, mut meals) = (5, 1000);
    let run = args::parse(args, |flag, value| {
        match flag {
            "--n" => n = args::number(flag, &value()?, 2.., "a whole number >= 2")?,
            "--meals" => meals = args::number(flag, &value()?, .., "a whole number >= 0")?,
            _ => return args::unknown(flag),
        }
        Ok(())
    })?;
    Ok(run.then_some((n, meals)))
}

fn main() -> ExitCode {
    let (n, meals) = match args::options(USAGE, parse) {
        Ok(options) => options,
        Err(code) => return code,
    };
    println!("{n} philosophers, {meals} meals each, {n} chopsticks; one chord per philosopher\n");

    let table = Table::new(n);
    let eating: Vec<AtomicBool> = (0..n).map(|_| AtomicBool::new(false)).collect();
    let clashes = AtomicUsize::new(0);
    let start = Instant::now();
    let eaten = table::dine(&table, meals, &|i, _meal| {
        // Sit down to eat: no neighbour may be eating now.
        eating[i].store(true, SeqCst);
        let (left, right) = table.neighbours(i);
        if eating[left].load(SeqCst) || eating[right].load(SeqCst) {
            clashes.fetch_add(1, SeqCst);
        }
        std::thread::yield_now();
        eating[i].store(false, SeqCst);
    });
    let elapsed = start.elapsed();

    println!("meals per philosopher:");
    for (i, meals) in eaten.iter().enumerate() {
        println!("  philosopher {i:>3}: {meals}");
    }
    let total: usize = eaten.iter().sum();
    let on_table: usize = (0..n).map(|c| table.on_table(c)).sum();
    let clashes = clashes.load(SeqCst);
    println!(
        "\n{total} meals in {:.3} s ({:.0} meals/s)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "neighbours eating at once: {clashes}; chopsticks back on the table: {on_table} of {n}"
    );
    if clashes == 0 && on_table == n && eaten.iter().all(|&m| m == meals) {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: the table's invariants did not hold");
        ExitCode::FAILURE
    }
}
