//! Patterns that do not parse.

use std::ops::Range;

use super::{item, Ctx};
use crate::fuzz::model::Term;
use crate::fuzz::render::{pattern_source, pattern_text, Loc, Part};
use crate::fuzz::rng::Rng;

/// `text` with the bytes `range` replaced by `replacement`, as a raw
/// pattern: the replacement marked as the mistake when `bad`.
fn splice(text: &str, range: Range<usize>, replacement: &str, bad: bool) -> Vec<(String, bool)> {
    vec![
        (text[..range.start].to_string(), false),
        (replacement.to_string(), bad),
        (text[range.end..].to_string(), false),
    ]
}

/// A raw pattern with a syntax mistake: its pieces, what the error says,
/// and whether the error points at the bad piece (else anywhere in the
/// attribute will do).
type RawPattern = (Vec<(String, bool)>, &'static str, bool);

pub(super) fn pattern_syntax(cx: &mut Ctx, rng: &mut Rng) -> bool {
    raw_pattern(cx, rng, syntax_mistake)
}

pub(super) fn pattern_ended_early(cx: &mut Ctx, rng: &mut Rng) -> bool {
    raw_pattern(cx, rng, early_end)
}

/// Replaces a free chord's pattern with what `make` writes for its terms.
fn raw_pattern(
    cx: &mut Ctx,
    rng: &mut Rng,
    make: fn(&[Term], &mut Rng) -> Option<RawPattern>,
) -> bool {
    let chords = cx.free_chords(|_| true);
    let Some(&k) = rng.choose(&chords) else {
        return false;
    };
    let Some((pieces, says, at_bad)) = make(&cx.chord(k).terms.clone(), rng) else {
        return false;
    };
    cx.chord(k).raw.pattern = Some(pieces);
    cx.claim(&[k]);
    cx.unresolved = true;
    let at = if at_bad { Part::Bad } else { Part::Attr };
    cx.expect(says, &[item(k, at)]);
    true
}

/// `&&`, a missing `&`, a binding that is not a name, a repeat without
/// `;`, or without a count.
fn syntax_mistake(terms: &[Term], rng: &mut Rng) -> Option<RawPattern> {
    let source = pattern_source(terms);
    let text = source.text.as_str();
    let at = |part| source.range(&Loc::Item(0, part)).expect("rendered");
    let with_binding = terms.iter().position(|t| !t.bindings.is_empty());
    let repeated = terms.iter().position(|t| t.repeat.is_some());
    Some(match rng.below(5) {
        0 if terms.len() >= 2 => (
            splice(
                text,
                at(Part::Term(0)).end..at(Part::Term(1)).start,
                " && ",
                true,
            ),
            "expected `&` between terms",
            true,
        ),
        1 if terms.len() >= 2 => {
            let second = &text[at(Part::Term(1))];
            (
                splice(
                    text,
                    at(Part::Term(0)).end..at(Part::Term(1)).end,
                    &format!(" {second}"),
                    true,
                ),
                "expected `&` between terms",
                true,
            )
        }
        2 if with_binding.is_some() => {
            let t = with_binding.expect("checked");
            (
                // Not a pattern (a value pattern such as `1` is valid).
                splice(text, at(Part::Binding(t, 0)), "+", true),
                "a binding is a name",
                true,
            )
        }
        3 if repeated.is_some() => {
            // `[chan(x) 2]`
            let t = repeated.expect("checked");
            let count = &text[at(Part::Count(t))];
            (
                splice(
                    text,
                    at(Part::TermParens(t)).end..at(Part::Count(t)).end,
                    &format!(" {count}"),
                    true,
                ),
                "expected `;`",
                true,
            )
        }
        4 => {
            // `[chan(x)]`
            let mut term = terms[0].clone();
            term.repeat = None;
            let bracketed = format!("[{}]", pattern_text(&[term]));
            (
                splice(text, at(Part::Term(0)), &bracketed, true),
                "expected `;`",
                true,
            )
        }
        _ => return None,
    })
}

/// A pattern that ends where a term should follow: after `&`, with no term
/// at all, or after a channel's name.
fn early_end(terms: &[Term], rng: &mut Rng) -> Option<RawPattern> {
    let source = pattern_source(terms);
    let text = source.text.as_str();
    let last = terms.len() - 1;
    let at = |part| source.range(&Loc::Item(0, part)).expect("rendered");
    Some(match rng.below(3) {
        0 => (
            vec![(text.to_string(), false), (" &".to_string(), true)],
            "expected a term",
            false,
        ),
        1 => (Vec::new(), "at least one term", false),
        _ => (
            splice(text, at(Part::Term(last)), &terms[last].channel, true),
            "expected `(`",
            false,
        ),
    })
}
