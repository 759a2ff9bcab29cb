//! Santa Claus (Trono, 1994): nine reindeer and ten elves, in groups of three.
//!
//! Santa sleeps until all nine reindeer are back from holiday, or until three
//! elves need help; when both are waiting, the reindeer come first. Each
//! worker waits, blocked, until Santa has finished with its whole team or
//! group. The whole synchronization is four chords (see `north_pole.rs`):
//!
//! ```text
//! sleep() & reindeer(id) * 9  =>  deliver toys with the team
//! sleep() & elf(id) * 3       =>  consult the group
//! reindeer(id) & closed       =>  go home
//! elf(id) & closed            =>  go home
//! ```
//!
//! `cargo run --release --example santa -- --rounds 3 --seed 2026 --speed 1`

#[allow(dead_code)]
mod north_pole;

#[path = "../common/args.rs"]
mod args;

use std::process::ExitCode;
use std::time::Duration;

use north_pole::{Config, Event, Kind, Record, Who};

const USAGE: &str = "\
usage: santa [--rounds N] [--seed S] [--speed X]

  --rounds N   deliveries (Christmases) before Santa retires, N >= 1 (default 3)
  --seed S     seed of the reindeer's holidays and the elves' work (default 2026)
  --speed X    how much faster than the default pace, 0.01 to 1e9 (default 1: about
               4 seconds for 3 rounds; 2 = twice as fast)
  --help       this text";

struct Options {
    rounds: usize,
    seed: u64,
    speed: f64,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options {
        rounds: 3,
        seed: 2026,
        speed: 1.0,
    };
    let run = args::parse(args, |flag, value| {
        match flag {
            "--rounds" => o.rounds = args::number(flag, &value()?, 1.., "a whole number >= 1")?,
            "--seed" => o.seed = args::number(flag, &value()?, .., "a whole number >= 0")?,
            "--speed" => {
                o.speed = args::number(flag, &value()?, 0.01..=1e9, "a number from 0.01 to 1e9")?
            }
            _ => return args::unknown(flag),
        }
        Ok(())
    })?;
    Ok(run.then_some(o))
}

fn names(members: &[Who]) -> String {
    let names: Vec<String> = members.iter().map(Who::to_string).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

fn stamp(at: Duration) -> String {
    format!("{:>7.3}s", at.as_secs_f64())
}

/// The live log: Santa's side of the story.
fn show(record: &Record) {
    let at = stamp(record.at);
    match &record.event {
        Event::Woke {
            kind: Kind::Delivery,
            round,
            members,
            others_waiting,
            ..
        } => {
            let last = members.last().map(Who::to_string).unwrap_or_default();
            let elves = match others_waiting {
                0 => String::new(),
                1 => "; 1 elf waits".into(),
                n if *n >= north_pole::GROUP => format!("; {n} elves wait: reindeer first"),
                n => format!("; {n} elves wait"),
            };
            println!("{at}  Santa wakes: all nine reindeer are back, {last} last{elves}");
            println!(
                "{at}  Christmas {round}: Santa harnesses {}",
                names(members)
            );
        }
        Event::Finished {
            kind: Kind::Delivery,
            round,
            ..
        } => println!("{at}  Christmas {round}: toys delivered; the team is unharnessed"),
        Event::Woke {
            kind: Kind::Consultation,
            round,
            members,
            others_waiting,
            ..
        } => {
            let reindeer = match others_waiting {
                0 => String::new(),
                1 => " (1 reindeer back)".into(),
                n => format!(" ({n} reindeer back)"),
            };
            println!(
                "{at}  Santa wakes: {} need help; consultation {round}{reindeer}",
                names(members)
            );
        }
        Event::Finished {
            kind: Kind::Consultation,
            ..
        } => {}
        Event::Arrived(_) | Event::Released { .. } | Event::Home { .. } => {}
    }
}

fn main() -> ExitCode {
    let options = match args::options(USAGE, parse) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let config = Config::paced(options.rounds, options.seed, options.speed);
    println!(
        "Santa Claus: {} reindeer, {} elves in groups of {}; {} Christmases (seed {}, speed {})\n",
        north_pole::REINDEER,
        north_pole::ELVES,
        north_pole::GROUP,
        options.rounds,
        options.seed,
        options.speed
    );
    let report = north_pole::run(&config, &show);
    println!(
        "{}  Santa retires; everyone goes home\n",
        stamp(report.summary.elapsed)
    );
    println!("Summary:\n{}", report.summary);
    ExitCode::SUCCESS
}
