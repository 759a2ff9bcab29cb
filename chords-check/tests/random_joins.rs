//! Random joins and schedules against the firing rules of docs/reference.md.
//!
//! Each test is a campaign of generated cases (see the `chords_check` crate
//! docs). The environment tunes them:
//!
//! - `CHORDS_CHECK_SEEDS=N`: N cases per test;
//! - `CHORDS_CHECK_SEED=S`: replay the case of seed S, as a failure prints it;
//! - `CHORDS_CHECK_SECS=T`: a campaign of T seconds per test;
//! - `CHORDS_CHECK_RUNS=R`: R runs (thread schedules) per case;
//! - `CHORDS_CHECK_SHRINK_SECS=T`: how long shrinking a failure may take.

use chords_check::campaign::{campaign, Mode, Settings};

fn check(mode: Mode, default_seeds: u64) {
    match campaign(mode, default_seeds, &Settings::from_env()) {
        Ok(stats) => println!("chords-check ({mode}): {stats}"),
        Err(report) => panic!("{report}"),
    }
}

/// Many threads at once: atomicity, conservation, calls, order, eagerness,
/// no hang.
#[test]
fn concurrent_runs_keep_the_firing_rules() {
    check(Mode::Concurrent, 120);
}

/// One thread, operation by operation against the model: priority,
/// eagerness and order exactly.
#[test]
fn sequential_histories_match_the_model() {
    check(Mode::Sequential, 300);
}

/// A few operations at once, many runs each: every run is explained by some
/// interleaving through the model.
#[test]
fn small_concurrent_histories_are_linearizable() {
    check(Mode::Linearizable, 120);
}
