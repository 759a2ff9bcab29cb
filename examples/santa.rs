//! Santa Claus (Trono): 9 reindeer, 10 elves in groups of 3; Santa sleeps until
//! all 9 reindeer are back (they come first) or 3 elves need help.
//!
//! Santa's wake-up is one synchronous call joined with either 9 reindeer or 3
//! elves. Each reindeer and elf is itself a synchronous call, blocked until
//! Santa sends its `Reply`: so none is released before Santa is done with it.
//!
//! `cargo run --release --example santa -- --rounds 5 --seed 7 --speed 1.0`

use std::thread;
use std::time::Duration;

use chords::{Join, Reply};

/// What woke Santa: a team or a group, each member with the reply that releases it.
enum Wake {
    Reindeer(Vec<(usize, Reply<()>)>),
    Elves(Vec<(usize, Reply<()>)>),
}

struct Options {
    rounds: usize,
    seed: u64,
    speed: f64,
}

fn options() -> Options {
    let mut o = Options { rounds: 4, seed: 2026, speed: 1.0 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{arg} needs a value")));
        match arg.as_str() {
            "--rounds" => o.rounds = value().parse().unwrap_or_else(|_| usage("bad --rounds")),
            "--seed" => o.seed = value().parse().unwrap_or_else(|_| usage("bad --seed")),
            "--speed" => o.speed = value().parse().unwrap_or_else(|_| usage("bad --speed")),
            "--help" | "-h" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    o
}

fn usage(error: &str) -> ! {
    if !error.is_empty() {
        eprintln!("error: {error}");
    }
    eprintln!("usage: santa [--rounds N (deliveries, default 4)] [--seed S] [--speed X (2 = twice as fast)]");
    std::process::exit(if error.is_empty() { 0 } else { 2 })
}

/// A small xorshift generator: each worker's own, seeded from `--seed`.
struct Rng(u64);

impl Rng {
    fn pause(&mut self, max_ms: u64, speed: f64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_secs_f64((self.0 % max_ms) as f64 / 1000.0 / speed)
    }
}

fn main() {
    let o = options();
    let mut b = Join::builder();
    let santa = b.synchronous::<(), Wake>("santa");
    let reindeer = b.synchronous::<usize, ()>("reindeer");
    let elf = b.synchronous::<usize, ()>("elf");
    // Declared first, so the reindeer win when a team and a group both wait.
    b.when(santa)
        .and(reindeer.times::<9>())
        .named("deliver_toys")
        .then(|(((), santa), team)| santa.send(Wake::Reindeer(team.into())));
    b.when(santa)
        .and(elf.times::<3>())
        .named("consult")
        .then(|(((), santa), group)| santa.send(Wake::Elves(group.into())));
    let north_pole = b.build().expect("valid chords");

    for id in 1..=9 {
        let (j, speed, mut rng) = (north_pole.clone(), o.speed, Rng(o.seed ^ (id as u64) << 8 | 1));
        thread::spawn(move || loop {
            thread::sleep(rng.pause(400, speed));
            j.call(reindeer, id);
        });
    }
    for id in 1..=10 {
        let (j, speed, mut rng) = (north_pole.clone(), o.speed, Rng(o.seed ^ (id as u64) << 16 | 3));
        thread::spawn(move || loop {
            thread::sleep(rng.pause(150, speed));
            j.call(elf, id);
        });
    }

    let (mut deliveries, mut consultations) = (0, 0);
    while deliveries < o.rounds {
        match north_pole.call(santa, ()) {
            Wake::Reindeer(team) => {
                deliveries += 1;
                let ids: Vec<_> = team.iter().map(|m| m.0).collect();
                println!("Santa: ho ho ho, delivering toys with reindeer {ids:?}");
                thread::sleep(Duration::from_secs_f64(0.05 / o.speed));
                team.into_iter().for_each(|(_, r)| r.send(()));
            }
            Wake::Elves(group) => {
                consultations += 1;
                let ids: Vec<_> = group.iter().map(|m| m.0).collect();
                println!("Santa: consulting with elves {ids:?}");
                thread::sleep(Duration::from_secs_f64(0.02 / o.speed));
                group.into_iter().for_each(|(_, r)| r.send(()));
            }
        }
    }
    println!("{deliveries} deliveries, {consultations} consultations");
}
