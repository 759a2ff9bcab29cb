//! Whether the macro's answer to an invalid block is right: an error for
//! each mistake, saying what it should at the tokens the mistake touched,
//! and no error elsewhere.

use std::ops::Range;

use super::check::{expand, line_column, listing, Reported};
use super::mutate::{Case, Expect};
use super::render::{render, Loc, Source};

/// How a case went wrong.
pub struct Failure {
    /// What went wrong, without places: a shrunk case must fail the same way.
    pub kind: String,
    /// The whole story, for the reader.
    pub detail: String,
}

/// Checks the macro's answer to `case`: an error for each mistake, saying
/// what it should at the tokens it touched, and no error elsewhere.
pub fn judge(case: &Case) -> Result<(), Failure> {
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
fn region(source: &Source, (from, to): &(Loc, Loc)) -> Range<usize> {
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
    let mut out = format!("{kind}\n\n{}\nexpected:\n", listing(&source.text));
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
