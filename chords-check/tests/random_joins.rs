//! Random joins and schedules against the firing rules of docs/reference.md.
//!
//! Each `*_campaign` test generates cases (see the `chords_check` crate
//! docs); `found_cases` replays small cases the campaigns found. The
//! environment tunes them:
//!
//! - `CHORDS_CHECK_SEEDS=N`: N cases per campaign;
//! - `CHORDS_CHECK_SEED=S`: replay the case of seed S, as a failure prints it;
//! - `CHORDS_CHECK_SECS=T`: campaigns of T seconds each;
//! - `CHORDS_CHECK_RUNS=R`: R runs (thread schedules) per case;
//! - `CHORDS_CHECK_SHRINK_SECS=T`: how long shrinking a failure may take.

use chords_check::campaign::{campaign, check_case, say, Mode, Settings};
use chords_check::spec::ChannelKind::{Msg, Sync, Unit};
use chords_check::spec::{ChordSpec, JoinSpec, Op, Scenario, Wait};

fn run_campaign(mode: Mode, default_seeds: u64) {
    match campaign(mode, default_seeds, &Settings::from_env()) {
        Ok(stats) => say(&format!("chords-check ({mode}): {stats}")),
        Err(report) => panic!("{report}"),
    }
}

/// Many threads at once: atomicity, conservation, calls, order, priority
/// of shadowed chords, eagerness, no hang.
#[test]
fn concurrent_campaign() {
    run_campaign(Mode::Concurrent, 120);
}

/// One thread, operation by operation against the model: priority,
/// eagerness and order exactly.
#[test]
fn sequential_campaign() {
    run_campaign(Mode::Sequential, 300);
}

/// A few operations at once, many runs each: every run is explained by some
/// interleaving through the model.
#[test]
fn linearizable_campaign() {
    run_campaign(Mode::Linearizable, 160);
}

/// Small cases the campaigns found, each run many times.
#[test]
fn found_cases() {
    let settings = Settings::from_env();
    let mut reports = Vec::new();
    for (name, mode, scenario, runs) in found() {
        match check_case(mode, name, &scenario, runs, &settings) {
            Ok(stats) => say(&format!("chords-check ({mode}) `{name}`: {stats}")),
            Err(report) => reports.push(report),
        }
    }
    assert!(reports.is_empty(), "{}", reports.join("\n"));
}

fn found() -> Vec<(&'static str, Mode, Scenario, usize)> {
    let chord = ChordSpec::new;
    vec![
        (
            // `c & e` then `a & c`, an `e` queued, `a` and `c` sent at once:
            // `c & e` fires whichever arrives first.
            "two arrivals race to an earlier and a later chord",
            Mode::Linearizable,
            Scenario {
                join: JoinSpec {
                    channels: vec![Msg, Msg, Msg],
                    chords: vec![chord(&[(0, 1), (1, 1)], &[]), chord(&[(2, 1), (0, 1)], &[])],
                },
                init: vec![Op::Send(1)],
                threads: vec![vec![Op::Send(0)], vec![Op::Send(2)]],
                emit_budget: 0,
            },
            3000,
        ),
        (
            // `[c0; 2]` declared before `c0`, two sends of c0 at once: one
            // at a time each fires `c0`; overlapping, they may fire the pair
            // (docs/reference.md, "Progress"). Nothing else.
            "two overlapping sends take effect together",
            Mode::Linearizable,
            Scenario {
                join: JoinSpec {
                    channels: vec![Msg],
                    chords: vec![chord(&[(0, 2)], &[]), chord(&[(0, 1)], &[])],
                },
                init: vec![],
                threads: vec![vec![Op::Send(0)], vec![Op::Send(0)]],
                emit_budget: 0,
            },
            2000,
        ),
        (
            // k1 has k0's pattern: it never fires. The bodies of k0 send
            // on, from executor threads, at once.
            "bodies race to a chord and its twin",
            Mode::Concurrent,
            Scenario {
                join: JoinSpec {
                    channels: vec![Msg],
                    chords: vec![
                        chord(&[(0, 2)], &[0, 0]),
                        chord(&[(0, 1), (0, 1)], &[]),
                        chord(&[(0, 1), (0, 1), (0, 1)], &[]),
                    ],
                },
                init: vec![Op::Send(0); 4],
                threads: vec![],
                emit_budget: 48,
            },
            300,
        ),
        (
            // k2 has k1's pattern; a timed call and a send race to complete it.
            "a call and a message race to a chord and its twin",
            Mode::Linearizable,
            Scenario {
                join: JoinSpec {
                    channels: vec![Sync, Unit, Sync],
                    chords: vec![
                        chord(&[(2, 1), (2, 1), (1, 1)], &[]),
                        chord(&[(1, 1), (1, 1), (0, 1)], &[]),
                        chord(&[(1, 1), (1, 1), (0, 1)], &[]),
                    ],
                },
                init: vec![Op::Send(1)],
                threads: vec![
                    vec![Op::Call(0, Wait::Try), Op::Send(1)],
                    vec![Op::Call(0, Wait::Timed(3))],
                ],
                emit_budget: 0,
            },
            2000,
        ),
    ]
}
