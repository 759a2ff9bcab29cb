//! The macro, fuzzed in process: random valid `#[chords]` blocks expand
//! without an error; random invalid ones (a valid block with one or more
//! mistakes of docs/reference.md's "Compile-time errors") make the macro
//! report each mistake, at the tokens the mistake touched, without
//! panicking; and blocks with random token edits make it point each error
//! at the user's tokens. (`tests/macro_fuzz.rs` compiles and runs valid
//! blocks.)
//!
//! Environment:
//! - `CHORDS_FUZZ_SEEDS=N`: the cases each test runs (default 400);
//! - `CHORDS_FUZZ_SEED=S`: the first seed (default 0), so the seeds are
//!   `S..S+N`;
//!
//! A failure names the failing seeds and prints the first one shrunk:
//! the source with line numbers, the errors expected and those reported.

mod body;
mod chaos;
mod check;
mod generate;
mod judge;
mod model;
mod mutate;
mod render;
#[allow(dead_code)]
#[path = "../../../chords-check/src/rng.rs"]
mod rng;
mod shrink;

use std::collections::BTreeMap;
use std::ops::Range;

use check::{expand, listing};
use generate::{generate, Profile};
use judge::judge;
use model::Block;
use mutate::mutate;
use render::render;
use rng::Rng;

/// The seeds to run, from the environment.
fn seeds() -> Range<u64> {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} is a number")))
            .unwrap_or(default)
    };
    let first = var("CHORDS_FUZZ_SEED", 0);
    first..first + var("CHORDS_FUZZ_SEEDS", 400)
}

/// A valid block, and one seed per mistake to make in it.
fn plan(seed: u64) -> (Block, Vec<u64>) {
    let mut rng = Rng::new(seed);
    let profile = Profile {
        runnable: rng.percent(30),
    };
    let block = generate(&mut Rng::new(rng.fork()), "Fuzz", profile);
    let mistakes = *rng.pick(&[1, 1, 1, 2, 2, 3, 4]);
    let seeds = (0..mistakes).map(|_| rng.fork()).collect();
    (block, seeds)
}

#[test]
fn valid_blocks_expand_without_errors() {
    for seed in seeds() {
        for runnable in [false, true] {
            let block = generate(&mut Rng::new(seed), "Fuzz", Profile { runnable });
            let source = render(&block);
            match expand(&source.text) {
                Ok(errors) if errors.is_empty() => {}
                Ok(errors) => panic!(
                    "seed {seed} (runnable: {runnable}): a valid block has errors {errors:#?}\n{}",
                    listing(&source.text)
                ),
                Err(e) => panic!(
                    "seed {seed} (runnable: {runnable}): {e}\n{}",
                    listing(&source.text)
                ),
            }
        }
    }
}

#[test]
fn invalid_blocks_report_each_mistake_at_its_tokens() {
    // The first failing seed of each kind of failure.
    let mut failures: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    let mut runs = 0;
    let mut mistakes: BTreeMap<&str, usize> = BTreeMap::new();
    for seed in seeds() {
        let (base, seeds) = plan(seed);
        let case = mutate(&base, &seeds);
        for e in &case.expects {
            *mistakes.entry(e.mistake).or_default() += 1;
        }
        runs += 1;
        if let Err(failure) = judge(&case) {
            failures.entry(failure.kind).or_insert((seed, 0)).1 += 1;
        }
    }
    let Some((kind, &(seed, _))) = failures.iter().next() else {
        let missed: Vec<&str> = mutate::names()
            .filter(|name| !mistakes.contains_key(name))
            .collect();
        assert!(
            runs < 200 || missed.is_empty(),
            "{runs} cases made no {missed:?}"
        );
        return;
    };
    let (base, seeds) = plan(seed);
    let fails =
        |block: &Block, seeds: &[u64]| judge(&mutate(block, seeds)).is_err_and(|f| f.kind == *kind);
    let (base, seeds) = shrink::shrink(&base, &seeds, fails);
    let shrunk = judge(&mutate(&base, &seeds)).expect_err("still fails");
    let summary: Vec<String> = failures
        .iter()
        .map(|(kind, (seed, n))| format!("  {n} seeds, first {seed}: {kind}"))
        .collect();
    panic!(
        "{} failures in {runs} cases:\n{}\n\nseed {seed}, shrunk (rerun it alone with \
         CHORDS_FUZZ_SEED={seed} CHORDS_FUZZ_SEEDS=1):\n{}",
        failures.values().map(|(_, n)| n).sum::<usize>(),
        summary.join("\n"),
        shrunk.detail
    );
}

#[test]
fn edited_blocks_report_errors_at_the_users_tokens() {
    let mut edited = 0;
    for seed in seeds() {
        let mut rng = Rng::new(seed);
        let block = generate(
            &mut Rng::new(rng.fork()),
            "Fuzz",
            Profile { runnable: false },
        );
        // Most edits leave no item: try a few.
        let source = render(&block).text;
        let Some(text) = (0..8).find_map(|_| chaos::edit(&mut rng, &source)) else {
            continue;
        };
        edited += 1;
        let listing = listing(&text);
        let errors = expand(&text).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{listing}"));
        for error in errors {
            assert!(
                error.at.is_some(),
                "seed {seed} (rerun it alone with CHORDS_FUZZ_SEED={seed} CHORDS_FUZZ_SEEDS=1): \
                 \"{}\" points at no token of the input:\n{listing}",
                error.message
            );
        }
    }
    assert!(
        edited * 2 >= seeds().count(),
        "only {edited} edits made items"
    );
}
