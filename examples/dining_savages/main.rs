//! The dining savages (see `dining_savages.rs`), after Chymyst: a tribe
//! eats from one pot of `--capacity` servings, each savage `--meals` times;
//! a cook refills the pot each time it is empty. At the end: who ate what,
//! how often the cook refilled, and the books balanced (every serving the
//! cook put in was eaten or is still in the pot).
//!
//! `cargo run --release --example dining_savages -- --savages 4 --capacity 7 --meals 20`

#[allow(dead_code)]
mod dining_savages;

#[path = "../common/args.rs"]
mod args;

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use dining_savages::Pot;

const USAGE: &str = "\
usage: dining_savages [--savages N] [--capacity M] [--meals K]

  --savages N    savages in the tribe, N >= 1 (default 4)
  --capacity M   servings in a full pot, M >= 1 (default 7)
  --meals K      servings each savage eats (default 20)
  --help         this text";

/// Chymyst's savages; more are numbered.
const NAMES: [&str; 4] = ["Anita", "Patrick", "Ivan", "Manfred"];

struct Options {
    savages: usize,
    capacity: u32,
    meals: usize,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options {
        savages: 4,
        capacity: 7,
        meals: 20,
    };
    let run = args::parse(args, |flag, value| {
        match flag {
            "--savages" => o.savages = args::number(flag, &value()?, 1.., "a whole number >= 1")?,
            "--capacity" => {
                o.capacity = args::number(flag, &value()?, 1.., "a whole number >= 1")?;
            }
            "--meals" => o.meals = args::number(flag, &value()?, .., "a whole number >= 0")?,
            _ => return args::unknown(flag),
        }
        Ok(())
    })?;
    Ok(run.then_some(o))
}

/// Between two servings, a savage chews a while: the others get a turn.
fn chew() {
    thread::sleep(Duration::from_micros(200));
}

fn name(i: usize) -> String {
    NAMES
        .get(i)
        .map_or_else(|| format!("savage {}", i + 1), |n| n.to_string())
}

fn main() -> ExitCode {
    let Options {
        savages,
        capacity,
        meals,
    } = match args::options(USAGE, parse) {
        Ok(options) => options,
        Err(code) => return code,
    };

    let pot = Pot::new(capacity);
    println!("{savages} savages, {meals} meals each, a pot of {capacity} servings (full)");
    let (refills, dinners) = dining_savages::dinner(&pot, savages, meals, chew);

    for (i, servings) in dinners.iter().enumerate() {
        let shown: Vec<String> = servings.iter().take(12).map(u32::to_string).collect();
        let more = if servings.len() > 12 { ", ..." } else { "" };
        println!(
            "  {:<10} ate {:>3} servings: #{}{more}",
            name(i),
            servings.len(),
            shown.join(", #")
        );
    }
    let eaten: u64 = dinners.iter().map(|d| d.len() as u64).sum();
    let (left, _) = pot.pot_now();
    let always_empty = refills.iter().all(|&put| put == capacity);
    let put_in: u64 = refills.iter().map(|&put| u64::from(put)).sum::<u64>() + u64::from(capacity);
    let refills = refills.len();
    println!(
        "the cook refilled the pot {refills} times, {}; {left} servings left",
        if always_empty {
            "always empty"
        } else {
            "NOT ALWAYS EMPTY"
        }
    );
    println!(
        "eaten {eaten} = {capacity} (the first pot) + {refills} x {capacity} - {left} (left): {}",
        if eaten + u64::from(left) == put_in {
            "the books balance"
        } else {
            "MISMATCH"
        }
    );
    println!("at rest: {pot:?}");
    ExitCode::SUCCESS
}
