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
//! - `CHORDS_FUZZ_KNOWN_BUGS=1`: also tests the macro's known bugs
//!   (`known.rs`), which then fail.
//!
//! A failure names the failing seeds and prints the first one shrunk:
//! the source with line numbers, the errors expected and those reported.

mod body;
mod chaos;
mod check;
mod generate;
mod known;
mod model;
mod mutate;
mod render;
mod rng;
mod shrink;

use std::collections::BTreeMap;
use std::ops::Range;

use check::{expand, line_column, Reported};
use generate::{generate, Profile};
use model::Block;
use mutate::{listing, mutate, Case, Expect};
use render::{render, Source};
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

/// How a case went wrong.
struct Failure {
    /// What went wrong, without places: a shrunk case must fail the same way.
    kind: String,
    /// The whole story, for the reader.
    detail: String,
}

/// Checks the macro's answer to `case`: an error for each mistake, saying
/// what it should at the tokens it touched, and no error elsewhere.
fn judge(case: &Case) -> Result<(), Failure> {
    let source = render(&case.block);
    let story = |kind: String, errors: &[Reported]| Failure {
        detail: describe(&source, case, errors, &kind),
        kind,
    };
    let errors = expand(&source.text).map_err(|e| story(e, &[]))?;
    let regions =
        |e: &Expect| -> Vec<Range<usize>> { e.at.iter().map(|r| region(&source, r)).collect() };
    let inside = |at: &Range<usize>, e: &Expect| {
        regions(e)
            .iter()
            .any(|r| r.start <= at.start && at.end <= r.end)
    };
    for expect in case.required() {
        let found = errors.iter().any(|error| {
            error.message.contains(expect.says)
                && error.at.as_ref().is_some_and(|at| inside(at, expect))
        });
        if !found {
            let kind = format!("no error for: {} (\"{}\")", expect.mistake, expect.says);
            return Err(story(kind, &errors));
        }
    }
    for error in &errors {
        let kind = match &error.at {
            None => "an error not on the user's tokens",
            Some(at) if !case.expects.iter().any(|e| inside(at, e)) => {
                "an error outside the mistakes' tokens"
            }
            Some(_) => continue,
        };
        return Err(story(
            format!("{kind}: {}", without_names(&error.message)),
            &errors,
        ));
    }
    Ok(())
}

/// The bytes of `region`.
fn region(source: &Source, (from, to): &(render::Loc, render::Loc)) -> Range<usize> {
    let start = source
        .range(from)
        .unwrap_or_else(|| panic!("the source has {from:?}"));
    let end = source
        .range(to)
        .unwrap_or_else(|| panic!("the source has {to:?}"));
    start.start..end.end
}

/// `message` with each name in backticks blanked, so that it reads the same
/// for another block.
fn without_names(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "_" } else { part })
        .collect::<Vec<_>>()
        .join("`")
}

fn describe(source: &Source, case: &Case, errors: &[Reported], kind: &str) -> String {
    let place = |at: &Range<usize>| {
        format!(
            "{} `{}`",
            line_column(&source.text, at.start),
            &source.text[at.clone()]
        )
    };
    let mut out = format!("{kind}\n\n{}\nexpected:\n", listing(&case.block));
    for expect in &case.expects {
        let at: Vec<String> = expect
            .at
            .iter()
            .map(|r| place(&region(source, r)))
            .collect();
        let when = if expect.needs_resolved && case.unresolved {
            " (not required: a pattern has an error)"
        } else {
            ""
        };
        out += &format!(
            "  {}: \"{}\" at {}{when}\n",
            expect.mistake,
            expect.says,
            at.join(" or ")
        );
    }
    out += "reported:\n";
    for error in errors {
        let at = error.at.as_ref().map_or("the call site".to_string(), place);
        out += &format!("  \"{}\" at {at}\n", error.message);
    }
    out
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
                    listing(&block)
                ),
                Err(e) => panic!(
                    "seed {seed} (runnable: {runnable}): {e}\n{}",
                    listing(&block)
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
        let listing: String = text
            .lines()
            .enumerate()
            .map(|(i, line)| format!("{:>3} | {line}\n", i + 1))
            .collect();
        let errors = expand(&text).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{listing}"));
        for error in errors {
            assert!(
                error.at.is_some() || known::excused(&error.message),
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
