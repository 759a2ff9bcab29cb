//! Readers and writers with bounded concurrency (see
//! `bounded_readers_writers.rs`), after Chymyst: `--threads` threads take
//! turns at a resource, writing every `--write-every`-th time and reading
//! otherwise; at most `--readers` readers, or `--writers` writers, are inside
//! at once, never both. At the end: how many were inside at most, and
//! whether a reader ever met a writer.
//!
//! `cargo run --release --example bounded_readers_writers -- --readers 3 --writers 2`

#[allow(dead_code)]
mod bounded_readers_writers;

#[path = "../common/args.rs"]
mod args;

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use bounded_readers_writers::{Access, Limits};

const USAGE: &str = "\
usage: bounded_readers_writers [--readers R] [--writers W] [--threads T]
                               [--rounds N] [--write-every K]

  --readers R       readers inside at once, R >= 1 (default 3)
  --writers W       writers inside at once, W >= 1 (default 2)
  --threads T       threads, T >= 1 (default 8)
  --rounds N        visits per thread (default 200)
  --write-every K   every K-th visit writes, K >= 1 (default 4)
  --help            this text";

struct Options {
    limits: Limits,
    threads: usize,
    rounds: usize,
    write_every: usize,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options {
        limits: Limits {
            readers: 3,
            writers: 2,
        },
        threads: 8,
        rounds: 200,
        write_every: 4,
    };
    let at_least_one = "a whole number >= 1";
    let run = args::parse(args, |flag, value| {
        match flag {
            "--readers" => o.limits.readers = args::number(flag, &value()?, 1.., at_least_one)?,
            "--writers" => o.limits.writers = args::number(flag, &value()?, 1.., at_least_one)?,
            "--threads" => o.threads = args::number(flag, &value()?, 1.., at_least_one)?,
            "--rounds" => o.rounds = args::number(flag, &value()?, .., "a whole number >= 0")?,
            "--write-every" => o.write_every = args::number(flag, &value()?, 1.., at_least_one)?,
            _ => return args::unknown(flag),
        }
        Ok(())
    })?;
    Ok(run.then_some(o))
}

fn main() -> ExitCode {
    let Options {
        limits,
        threads,
        rounds,
        write_every,
    } = match args::options(USAGE, parse) {
        Ok(options) => options,
        Err(code) => return code,
    };

    let access = Access::new(limits);
    println!(
        "at most {} readers or {} writers at once; {threads} threads x {rounds} visits, \
         every {write_every}-th a write",
        limits.readers, limits.writers
    );
    let tally = bounded_readers_writers::crowd(&access, threads, rounds, write_every, &|| {
        thread::sleep(Duration::from_micros(50))
    });
    println!(
        "  {} reads, at most {} readers inside at once",
        tally.reads, tally.most_readers
    );
    println!(
        "  {} writes, at most {} writers inside at once",
        tally.writes, tally.most_writers
    );
    println!(
        "  a reader met a writer {} times{}",
        tally.mixed,
        if tally.mixed == 0 { "" } else { ": BROKEN" }
    );
    println!("at rest: access_now() = {:?}", access.access_now());
    println!("         {access:?}");
    ExitCode::SUCCESS
}
