//! The checks that read chord bodies (docs/reference.md, *State channels*):
//! a state channel is sent again exactly once on every path of each chord
//! that consumes it, and by nothing else; and an asynchronous-only chord
//! does not send again every message it consumed (it would fire forever).
//!
//! Both rest on [`crate::paths`], which counts the sends on each way out
//! of a body.

use proc_macro2::Span;
use syn::ImplItem;

use crate::ast::{unraw, Chord, Input, Kind};
use crate::paths::{self, Sends};
use crate::{error_range, Errors};

pub fn check(input: &Input, chords: &[(&Chord, Vec<(u32, u32)>)], errors: &mut Errors) {
    for state in input.states() {
        let name = unraw(&state.name);
        for chord in &input.chords {
            state_in_chord(&name, chord, errors);
        }
        for item in &input.user_items {
            if let ImplItem::Fn(f) = item {
                for span in paths::sends(&f.block, &name).all {
                    errors.push(syn::Error::new(
                        span,
                        format!(
                            "only a chord that consumes the state channel `{name}` sends it \
                             again: it always holds exactly one message, given to `new`. \
                             Read it with `self.{name}_now()`, or change it in a chord \
                             that consumes it"
                        ),
                    ));
                }
            }
        }
    }
    for (chord, needs) in chords {
        livelock(input, chord, needs, errors);
    }
}

/// One chord against one state channel `name`.
fn state_in_chord(name: &str, chord: &Chord, errors: &mut Errors) {
    if chord.pattern.is_none() {
        return; // its error is reported; what it consumes is unknown
    }
    let terms: Vec<_> = chord
        .pattern
        .iter()
        .flatten()
        .filter(|t| unraw(&t.channel) == name)
        .collect();
    let sends = paths::sends(&chord.block, name);
    let chord_name = unraw(&chord.name);
    let Some(term) = terms.first() else {
        for span in sends.all {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`{chord_name}` sends the state channel `{name}`, which it does not \
                     consume: it holds exactly one message, and only a chord that consumed \
                     it sends it again. Add `{name}(..)` to the pattern, or remove this send"
                ),
            ));
        }
        return;
    };
    let at = |message: String| error_range(term.span.0, term.span.1, message);
    if terms.iter().map(|t| t.count()).sum::<u32>() > 1 {
        errors.push(at(format!(
            "the chord `{chord_name}` can never fire: it needs more than one message of the \
             state channel `{name}`, which holds exactly one. Take it once"
        )));
        return;
    }
    for span in &sends.reads {
        errors.push(syn::Error::new(
            *span,
            format!(
                "`{chord_name}` consumed `{name}`, so reading it here would wait for its own \
                 send: use the value its pattern binds"
            ),
        ));
    }
    if sends.all.is_empty() {
        errors.push(at(format!(
            "`{chord_name}` consumes the state channel `{name}` but never sends it again, so \
             the object would lose its state: send `self.{name}(..)` exactly once on every \
             path of the body"
        )));
        return;
    }
    let mut report = |span: Span, message: String| errors.push(syn::Error::new(span, message));
    for (span, inside) in &sends.repeated {
        report(
            *span,
            format!(
                "`{name}` is a state channel, sent again exactly once per firing, and this send \
                 is inside {inside}, which may run it any number of times: compute the new \
                 value there and send it once, after"
            ),
        );
    }
    for span in &sends.twice {
        report(
            *span,
            format!(
                "`{name}` is sent a second time on this path: a state channel holds exactly \
                 one message, so `{chord_name}` sends it again once"
            ),
        );
    }
    for span in &sends.uneven {
        report(
            *span,
            format!(
                "this branch does not send the state channel `{name}` again, and another \
                 does: `{chord_name}` must send it exactly once on every path (send it after \
                 the branches, or in each)"
            ),
        );
    }
    for exit in sends.exits.iter().filter(|e| e.sends.max == 0) {
        report(
            exit.span,
            format!(
                "`{what}` may leave `{chord_name}` before it sends the state channel `{name}` \
                 again, and the object would lose its state: send it before this point{or}",
                what = exit.what,
                or = if exit.what == "?" {
                    ", or handle the error here"
                } else {
                    ""
                },
            ),
        );
    }
    if sends.uneven.is_empty() && sends.repeated.is_empty() && sends.end.is_some_and(|r| r.max == 0)
    {
        report(
            chord.block.brace_token.span.close(),
            format!(
                "the end of `{chord_name}` is reached without sending the state channel \
                 `{name}` again: send it exactly once on every path"
            ),
        );
    }
}

/// An asynchronous-only chord whose body sends again, on every path, at
/// least the messages it consumed fires forever once enabled.
fn livelock(input: &Input, chord: &Chord, needs: &[(u32, u32)], errors: &mut Errors) {
    let asynchronous =
        |&(c, _): &(u32, u32)| input.channels.get(c as usize).map(|c| c.kind) == Some(Kind::Async);
    if !needs.iter().all(asynchronous) {
        return;
    }
    let resent = |&(c, n): &(u32, u32)| {
        let name = unraw(&input.channels[c as usize].name);
        let sends: Sends = paths::sends(&chord.block, &name);
        sends.fewest().is_some_and(|fewest| fewest >= n)
    };
    if needs.iter().all(resent) {
        let consumed: Vec<String> = needs
            .iter()
            .map(|&(c, _)| format!("`{}`", unraw(&input.channels[c as usize].name)))
            .collect();
        errors.push(syn::Error::new_spanned(
            &chord.attr,
            format!(
                "the chord `{}` fires forever once enabled: it is asynchronous only, and its \
                 body always sends again what it consumed ({}), so it is enabled again as soon \
                 as it fires. Send one of them only under a condition, or add a synchronous \
                 term that a caller must bring",
                unraw(&chord.name),
                consumed.join(", ")
            ),
        ));
    }
}
