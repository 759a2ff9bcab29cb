//! Guards across terms, searched at run time (docs/reference.md, *Guards and
//! value patterns*).
//!
//! A guard over the messages of several terms (`low(x) & high(y) if x < y`),
//! or over a repeated term's (`[bid(b); 2] if b[0] < b[1]`), cannot be
//! checked as one message is sent, nor routed: whether a message fits
//! depends on the others. The macro hands it to the runtime as the chord's
//! `.guard(..)`, which searches the queued messages of the chord's channels
//! for the oldest that pass. The guard sees each term as its bindings
//! written in the pattern, bound by reference: `&T` for a message, arrays of
//! those for a repeated term; a synchronous term's call is not seen, so a
//! guard across terms may not read a call's arguments.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Expr;

use crate::ast::{unraw, Binding, Chord, Input, Kind, Term};
use crate::keyed::key_terms;
use crate::route::mentioned;
use crate::Errors;

/// The terms of `terms` whose bindings `guard` reads, with the names read.
pub fn read_terms(terms: &[Term], guard: &Expr) -> Vec<(usize, String)> {
    let names = mentioned(guard);
    terms
        .iter()
        .enumerate()
        .flat_map(|(t, term)| {
            term.bindings
                .iter()
                .flat_map(Binding::names)
                .map(move |name| (t, unraw(&name)))
        })
        .filter(|(_, name)| names.contains(name))
        .collect()
}

/// Whether `chord` is searched at run time: its guard is
/// ([`guard_searched`]), or a repeated term has a value pattern.
pub fn searched(chord: &Chord) -> bool {
    guard_searched(chord) || chord.pattern.iter().flatten().any(repeated_pattern)
}

/// Whether `term` is repeated with a value pattern: each of its messages
/// must fit the pattern, which the search tests.
fn repeated_pattern(term: &Term) -> bool {
    term.repeat.is_some()
        && term
            .bindings
            .iter()
            .any(|b| matches!(b, Binding::Pattern(_)))
}

/// Whether `chord`'s guard is searched at run time: it reads several terms
/// (other than equal keys, which an index serves), or a repeated one.
pub fn guard_searched(chord: &Chord) -> bool {
    let (Some(guard), Some(terms)) = (&chord.guard, &chord.pattern) else {
        return false;
    };
    if key_terms(chord, guard).is_some() {
        return false;
    }
    let read: BTreeSet<usize> = read_terms(terms, guard)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    read.len() > 1 || read.iter().any(|&t| terms[t].repeat.is_some())
}

/// The term of `chord` whose call's argument its searched guard reads, if
/// any: that call is its caller's, who evaluates the guard (the runtime's
/// `Argument`).
pub fn read_call(input: &Input, chord: &Chord) -> Option<usize> {
    if !guard_searched(chord) {
        return None;
    }
    let (guard, terms) = (chord.guard.as_ref()?, chord.pattern.as_deref()?);
    read_terms(terms, guard)
        .into_iter()
        .map(|(t, _)| t)
        .find(|&t| {
            input
                .channel(&terms[t].channel)
                .is_some_and(|c| c.kind == Kind::Sync)
        })
}

/// Whether a guard reads the argument of `channel`'s calls: they retry as
/// messages arrive instead of queuing, and cannot be branches of a choice.
pub fn retries(input: &Input, channel: &syn::Ident) -> bool {
    input.chords.iter().any(|chord| {
        read_call(input, chord).is_some_and(|t| {
            chord
                .pattern
                .as_deref()
                .is_some_and(|terms| unraw(&terms[t].channel) == unraw(channel))
        })
    })
}

/// Whether the runtime's tables mark `chord` guarded: it is searched, or
/// holds a channel whose calls retry (an arrival on its channels wakes them).
pub fn guarded(input: &Input, chord: &Chord) -> bool {
    searched(chord)
        || chord
            .pattern
            .iter()
            .flatten()
            .any(|term| retries(input, &term.channel))
}

/// Why a searched guard of `chord` cannot be: it reads the arguments of
/// two calls, or a repeated call's, or a repeated term of several
/// parameters.
pub fn check(input: &Input, chord: &Chord, errors: &mut Errors) {
    let (Some(guard), Some(terms)) = (&chord.guard, &chord.pattern) else {
        return;
    };
    for (t, name) in read_terms(terms, guard) {
        let term = &terms[t];
        let Some(channel) = input.channel(&term.channel) else {
            continue;
        };
        let channel_name = unraw(&term.channel);
        let problem = if repeated_pattern(term) {
            format!(
                "this guard reads `{name}` of `{channel_name}`, a repeated term with a value \
                 pattern: the pattern tests each message, and the guard may not read them"
            )
        } else if channel.kind == Kind::Sync && term.repeat.is_some() {
            format!(
                "this guard reads `{name}`, an argument of the repeated call `{channel_name}`: \
                 a guard across terms reads the argument of one call, its caller's own"
            )
        } else if channel.kind == Kind::Sync && read_call(input, chord) != Some(t) {
            format!(
                "this guard reads `{name}`, an argument of a call of `{channel_name}`, and of \
                 another call: a guard across terms reads the argument of one call only, \
                 which its own caller evaluates"
            )
        } else if term.repeat.is_some() && channel.params.len() != 1 {
            format!(
                "this guard reads `{name}` of the repeated term `{channel_name}`, which has \
                 several parameters: a guard may read a repeated term of one parameter only \
                 (it sees an array of its messages)"
            )
        } else {
            continue;
        };
        errors.push(syn::Error::new_spanned(guard, problem));
        return;
    }
}

/// The `.guard(..)` that registers a searched guard of `chord`, if it has
/// one: a closure over the terms' views, matched against the bindings as
/// written (a value pattern that does not match fails the guard).
pub fn guard_call(input: &Input, chord: &Chord) -> Option<TokenStream> {
    if !searched(chord) {
        return None;
    }
    let terms = chord.pattern.as_deref()?;
    let mut tests = Vec::new();
    let read = read_call(input, chord);
    let views = terms.iter().enumerate().map(|(t, term)| {
        let Some(channel) = input
            .channel(&term.channel)
            .filter(|c| c.kind == Kind::Async || read == Some(t))
        else {
            return quote!(_);
        };
        let one = channel.params.len() == 1;
        if repeated_pattern(term) {
            // Each message fits the pattern; its other bindings are `_`.
            let each = Term {
                bindings: term
                    .bindings
                    .iter()
                    .map(|b| match b {
                        Binding::Pattern(_) => b.clone(),
                        _ => Binding::Wild,
                    })
                    .collect(),
                ..term.clone()
            }
            .message_pattern(one);
            let view = format_ident!("__repeated{}", t);
            tests.push(quote!(#view.iter().all(|__m| ::core::matches!(*__m, #each))));
            return view.to_token_stream();
        }
        // A repeated term's one binding is an array of its messages.
        term.message_pattern(one || term.repeat.is_some())
    });
    let views: Vec<TokenStream> = views.collect();
    // A guard over one term was routed at send time (`route.rs`).
    if let Some(guard) = chord.guard.as_ref().filter(|_| guard_searched(chord)) {
        tests.push(quote!((#guard)));
    }
    let span = chord
        .guard
        .as_ref()
        .map_or_else(|| chord.name.span(), |g| g.span());
    Some(quote_spanned! {span=>
        .guard(move |__views| {
            #[allow(unreachable_patterns, unused_variables)]
            match __views {
                (#(#views,)*) => #(#tests)&&*,
                _ => false,
            }
        })
    })
}
