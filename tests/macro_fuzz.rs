//! The macro, fuzzed by running what it generates: random valid `#[chords]`
//! objects, each compiled beside the same join built with the runtime API
//! (the same channels and chords in the same order, the same bodies), are
//! run through random single-threaded histories — sends, `try_` calls, timed
//! calls, blocking calls where a chord can fire, calls from other threads —
//! which must give the same results, errors (with the arguments handed back)
//! and `Debug` waiting counts on both (`macro_fuzz/driver.rs`).
//! `chords-macros/src/fuzz/` fuzzes the macro's compile errors, in process.
//!
//! Each batch is one generated program, `target/tmp/macro_fuzz/batch_S.rs`,
//! compiled and run by trybuild (`TestCases::pass`).
//!
//! Environment:
//! - `CHORDS_FUZZ_BATCHES=N`: the batches to run (default 1);
//! - `CHORDS_FUZZ_SEED=S`: the first batch's seed (default 0), so the
//!   batches are `S..S+N`;
//! - `CHORDS_FUZZ_OBJECTS=K`: the objects in a batch (default 16);
//! - `CHORDS_FUZZ_STEPS=N`: the steps of each history (default 200).
//!
//! A failing program prints the object that failed, its source, the
//! history's seed and the history shrunk; this test prints each batch's
//! seed and file.

#[path = "macro_fuzz/driver.rs"]
#[allow(dead_code)] // The generated programs use the rest.
mod driver;
// The blocks' model, shared with the in-process fuzz tests, which use the
// rest of it.
#[path = "../chords-macros/src/fuzz/body.rs"]
mod body;
#[path = "../chords-macros/src/fuzz/generate.rs"]
mod generate;
#[path = "../chords-macros/src/fuzz/model.rs"]
#[allow(dead_code)]
mod model;
#[path = "macro_fuzz/pair.rs"]
mod pair;
#[path = "macro_fuzz/program.rs"]
mod program;
#[path = "../chords-macros/src/fuzz/render.rs"]
#[allow(dead_code)]
mod render;
#[allow(dead_code)]
#[path = "../chords-check/src/rng.rs"]
mod rng;
#[path = "macro_fuzz/rules.rs"]
mod rules;
#[path = "macro_fuzz/side.rs"]
mod side;
#[path = "macro_fuzz/steps.rs"]
mod steps;
#[path = "macro_fuzz/values.rs"]
#[allow(dead_code)] // The generated programs use it.
mod values;

use std::fs;
use std::path::Path;

use driver::compare;

/// A number from the environment.
fn var(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} is a number")))
        .unwrap_or(default)
}

#[test]
fn generated_objects_act_as_their_joins_built_by_hand() {
    let first = var("CHORDS_FUZZ_SEED", 0);
    let batches = var("CHORDS_FUZZ_BATCHES", 1);
    let objects = var("CHORDS_FUZZ_OBJECTS", 16) as usize;
    let steps = var("CHORDS_FUZZ_STEPS", 200) as usize;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("macro_fuzz");
    fs::create_dir_all(&dir).expect("a directory for the programs");
    let t = trybuild::TestCases::new();
    for seed in first..first + batches {
        let text = program::program(seed, objects, steps);
        let path = dir.join(format!("batch_{seed}.rs"));
        // Written only when it changed, so that cargo need not rebuild it.
        if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            fs::write(&path, &text).expect("the program is written");
        }
        eprintln!(
            "batch {seed}: {} (alone: CHORDS_FUZZ_SEED={seed} CHORDS_FUZZ_BATCHES=1)",
            path.display()
        );
        t.pass(&path);
    }
}

/// The driver passes two equal joins, through histories with calls from
/// other threads (the exchanger fires only with two of them).
#[test]
fn the_driver_passes_equal_joins() {
    for seed in 0..5 {
        match compare("pair", &pair::SHAPE, seed, 100, pair::plain, pair::plain) {
            Ok(tally) => assert!(tally.answered > 0 && tally.returned > 0, "{tally:?}"),
            Err(report) => panic!("{report}"),
        }
    }
}

/// The driver tells two joins apart when one answers differently, and
/// shrinks the history to a `put` and a `get`, in some order.
#[test]
fn the_driver_tells_a_different_join_apart() {
    let report = compare("pair", &pair::SHAPE, 1, 100, pair::plain, pair::adds_one)
        .expect_err("they differ");
    assert!(report.contains("they differ at step 1"), "{report}");
    assert!(
        report.contains("  1: ") && !report.contains("  2: "),
        "{report}"
    );
}

/// The driver tells two equal joins from the firing rules when both give
/// priority to a chord declared later in their shape.
#[test]
fn the_driver_holds_joins_to_the_firing_rules() {
    let report = compare("pair", &pair::SHAPE, 1, 100, pair::greedy, pair::greedy)
        .expect_err("they break the rules");
    assert!(report.contains("differ from the firing rules"), "{report}");
}
