//! Reusable barriers (see `barrier.rs`): threads run rounds of work, and none
//! starts round r + 1 before all have finished round r. First the four-party
//! `Barrier` (`[arrive(); 4]`), then a `CountingBarrier` for `--parties`
//! threads, a number known only at run time.
//!
//! `cargo run --release --example barrier -- --parties 7 --rounds 5`

#[allow(dead_code)]
mod barrier;

#[path = "../common/args.rs"]
mod args;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use barrier::{Barrier, CountingBarrier, PARTIES};

const USAGE: &str = "\
usage: barrier [--parties N] [--rounds R]

  --parties N   threads at the run-time barrier, N >= 1 (default 7)
  --rounds R    rounds each barrier runs (default 5)
  --help        this text";

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<(usize, usize)>, String> {
    let (mut parties, mut rounds) = (7, 5);
    let run = args::parse(args, |flag, value| {
        match flag {
            "--parties" => {
                parties = args::number(flag, &value()?, 1.., "a whole number >= 1")?;
            }
            "--rounds" => rounds = args::number(flag, &value()?, .., "a whole number >= 0")?,
            _ => return args::unknown(flag),
        }
        Ok(())
    })?;
    Ok(run.then_some((parties, rounds)))
}

/// Runs `rounds` rounds of `parties` threads through `arrive`, checking in
/// each thread, once it passes, that all `parties` arrived in that round.
fn run_rounds(parties: usize, rounds: usize, arrive: &(dyn Fn() + Sync)) {
    let arrived: Vec<AtomicUsize> = (0..rounds).map(|_| AtomicUsize::new(0)).collect();
    thread::scope(|s| {
        for id in 0..parties {
            let arrived = &arrived;
            s.spawn(move || {
                for (round, count) in arrived.iter().enumerate() {
                    count.fetch_add(1, SeqCst);
                    arrive();
                    // Everyone arrived in this round before anyone passed.
                    assert_eq!(count.load(SeqCst), parties, "passed before all arrived");
                    if id == 0 {
                        println!("  round {round}: all {parties} threads arrived, all pass");
                    }
                }
            });
        }
    });
}

fn main() -> ExitCode {
    let (parties, rounds) = match args::options(USAGE, parse) {
        Ok(options) => options,
        Err(code) => return code,
    };

    println!("Barrier, [arrive(); {PARTIES}]: {PARTIES} threads, {rounds} rounds");
    let fixed = Barrier::new();
    run_rounds(PARTIES, rounds, &|| fixed.arrive());
    println!("  at rest: {fixed:?}\n");

    println!("CountingBarrier::new({parties}): {parties} threads, {rounds} rounds");
    let counting = CountingBarrier::new(parties);
    run_rounds(parties, rounds, &|| counting.arrive());
    println!("  at rest: {counting:?}");
    ExitCode::SUCCESS
}
