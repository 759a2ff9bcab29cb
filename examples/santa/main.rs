//! Santa Claus (Trono, 1994): nine reindeer and ten elves (or as many as you
//! like), in groups of three.
//!
//! Santa sleeps until all nine reindeer are back from holiday, or until three
//! elves need help; when both are waiting, the reindeer come first. Each
//! worker waits, blocked, until Santa has finished with its whole team or
//! group. The whole synchronization is four chords, written twice:
//!
//! ```text
//! sleep(santa) & [reindeer_back(id); 9]  =>  deliver toys with the team
//! sleep(santa) & [elf_asks(id); 3]       =>  consult the group
//! reindeer_back(id) & closed()           =>  go home
//! elf_asks(id) & closed()                =>  go home
//! ```
//!
//! - `workshop.rs`, the default: a `#[chords]` object whose chord body, run on
//!   Santa's thread, is Santa's work with the team or group, and releases its
//!   members when it returns.
//! - `north_pole.rs` (`--runtime-api`): the same join built with the runtime
//!   API, whose chord hands Santa the members' replies to answer when he is
//!   done. With `--async`, Santa, the reindeer and the elves are tokio tasks
//!   awaiting this join's calls (`sleep_async`, `reindeer_back_async`,
//!   `elf_asks_async`) instead of threads blocked in them: a chord body
//!   cannot await, so an awaiting Santa needs his replies in hand.
//!
//! The story around them (the workers' lives, Santa's books, the log, the
//! summary) is written once, in `story.rs`.
//!
//! `cargo run --release --example santa -- --rounds 3 --seed 2026 --speed 1`
//! `cargo run --release --example santa -- --async --elves 10000 --speed 1e9`

#[allow(dead_code)]
mod north_pole;
#[allow(dead_code)]
mod workshop;

#[path = "../common/args.rs"]
mod args;

use std::process::ExitCode;
use std::time::Duration;

use north_pole::story::{self, Config, Event, Kind, Record, Report, Who};
use north_pole::NorthPole;
use workshop::{StorySanta, Workshop};

const USAGE: &str = "\
usage: santa [--rounds N] [--seed S] [--speed X] [--elves E] [--runtime-api] [--async]

  --rounds N   deliveries (Christmases) before Santa retires, N >= 1 (default 3)
  --seed S     seed of the reindeer's holidays and the elves' work (default 2026)
  --speed X    how much faster than the default pace, 0.01 to 1e9 (default 1: about
               4 seconds for 3 rounds; 2 = twice as fast; 1e9: no delays to speak of)
  --elves E    elves at the North Pole, still seen in groups of 3 (default 10)
  --runtime-api
               the North Pole built with the runtime API (north_pole.rs) instead
               of the #[chords] one (workshop.rs)
  --async      Santa and every worker as a tokio task on a multi-thread runtime,
               awaiting the join's calls, instead of a thread each (implies
               --runtime-api: a chord body cannot await Santa's work)
  --help       this text";

struct Options {
    rounds: usize,
    seed: u64,
    speed: f64,
    elves: usize,
    runtime_api: bool,
    tasks: bool,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options {
        rounds: 3,
        seed: 2026,
        speed: 1.0,
        elves: story::ELVES,
        runtime_api: false,
        tasks: false,
    };
    let run = args::parse(args, |flag, value| {
        match flag {
            "--rounds" => o.rounds = args::number(flag, &value()?, 1.., "a whole number >= 1")?,
            "--seed" => o.seed = args::number(flag, &value()?, .., "a whole number >= 0")?,
            "--speed" => {
                o.speed = args::number(flag, &value()?, 0.01..=1e9, "a number from 0.01 to 1e9")?
            }
            "--elves" => o.elves = args::number(flag, &value()?, .., "a whole number >= 0")?,
            "--runtime-api" => o.runtime_api = true,
            "--async" => o.tasks = true,
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
                n if *n >= story::GROUP => format!("; {n} elves wait: reindeer first"),
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
    let config = Config {
        elves: options.elves,
        ..Config::paced(options.rounds, options.seed, options.speed)
    };
    let version = if options.tasks {
        "runtime API (north_pole.rs), tokio tasks"
    } else if options.runtime_api {
        "runtime API (north_pole.rs)"
    } else {
        "#[chords] (workshop.rs)"
    };
    println!(
        "Santa Claus: {} reindeer, {} elves in groups of {}; {} Christmases (seed {}, speed {}); {version}\n",
        story::REINDEER,
        config.elves,
        story::GROUP,
        options.rounds,
        options.seed,
        options.speed,
    );
    let report: Report = if options.tasks {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(story::run_tasks::<NorthPole>(&config, &show))
    } else if options.runtime_api {
        story::run::<NorthPole>(&config, &show)
    } else {
        story::run::<Workshop<StorySanta>>(&config, &show)
    };
    println!(
        "{}  Santa retires; everyone goes home\n",
        stamp(report.summary.elapsed)
    );
    println!("Summary:\n{}", report.summary);
    ExitCode::SUCCESS
}
