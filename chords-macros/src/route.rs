//! Value patterns and guards, routed at send time (docs/reference.md,
//! *Guards and value patterns*).
//!
//! A term with a value pattern (`count(0)`, `reply(Some(x))`) or a guard
//! over its own bindings (`pot(n) if *n > 0`) takes only the messages that
//! fit it. The macro sees every such *test* of a channel, so the channel's
//! send method evaluates them on each message, once, as it is sent, and
//! queues the message in a hidden sub-channel: one per combination of the
//! tests' outcomes (bit `i` set when test `i` holds). A term then joins the
//! sub-channels it fits: a tested term those whose bit is set, an untested
//! one all of them; and a chord over split channels is declared once per
//! combination of its terms' sub-channels, in order ([`Routes::lower`]).
//! The runtime's matcher is unchanged, and so is every channel with no
//! test: it pays nothing.

use std::collections::{HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Expr, Ident};

use crate::ast::{unraw, Binding, Channel, Chord, Input, Kind, Term};
use crate::keyed::{key_terms, Keyed};
use crate::searched;
use crate::Errors;

/// The most tests a channel may have: `2^4` sub-channels.
pub const MAX_TESTS: usize = 4;

/// The most tests a channel may have when no message can pass two of them
/// (see [`disjoint`]): one sub-channel each, and one for none.
pub const MAX_DISJOINT_TESTS: usize = 16;

/// One test of a channel's messages: a pattern over its parameters, and a
/// guard over the pattern's names.
#[derive(Clone)]
pub struct Test {
    /// The pattern over the message (a tuple for several parameters).
    pub pattern: TokenStream,
    /// The pattern as syn parsed it, per parameter.
    parts: Vec<Option<syn::Pat>>,
    pub guard: Option<Expr>,
}

impl Test {
    /// Tests are the same when their tokens are.
    fn key(&self) -> String {
        let guard = self.guard.as_ref().map(|g| g.to_token_stream().to_string());
        format!("{} if {:?}", self.pattern, guard)
    }

    /// Whether `message` (an expression of type `&Message`) passes.
    pub fn passes(&self, message: &TokenStream) -> TokenStream {
        let pattern = &self.pattern;
        let guard = self.guard.as_ref().map(|g| quote!(if #g));
        quote! {
            match #message {
                #pattern #guard => true,
                _ => false,
            }
        }
    }
}

/// The channels that are split, by name, with their tests; and the keyed
/// part of the object, if any (`keyed.rs`).
#[derive(Default)]
pub struct Routes {
    splits: HashMap<String, Vec<Test>>,
    pub keyed: Option<Keyed>,
}

impl Routes {
    /// The tests of every term and guard of `input`, checked; errors for
    /// what cannot be routed.
    pub fn of(input: &Input, errors: &mut Errors) -> Routes {
        let mut routes = Routes {
            keyed: Keyed::of(input, errors),
            ..Routes::default()
        };
        for chord in &input.chords {
            for (term, test) in chord_tests(input, chord, errors) {
                let Some(test) = test else { continue };
                let tests = routes.splits.entry(unraw(&term.channel)).or_default();
                if tests.iter().all(|t| t.key() != test.key()) {
                    tests.push(test);
                    let (n, max) = (tests.len(), max_tests(tests));
                    if n > max {
                        tests.pop();
                        errors.push(syn::Error::new(
                            term.parens,
                            format!(
                                "`{}` would have more than {max} different value patterns or \
                                 guards, the most a channel may have (each doubles its \
                                 hidden sub-channels, unless no value fits two of them): \
                                 match fewer kinds of values, or split the channel",
                                unraw(&term.channel)
                            ),
                        ));
                    }
                }
            }
        }
        routes
    }

    /// The tests of channel `name`, if it is split.
    pub fn tests(&self, name: &Ident) -> Option<&[Test]> {
        self.splits.get(&unraw(name)).map(Vec::as_slice)
    }

    /// The sub-channels of a split channel, one per possible outcome.
    pub fn subs(&self, channel: &Channel) -> Option<Vec<(usize, Ident)>> {
        let tests = self.tests(&channel.name)?;
        Some(
            outcomes(tests)
                .into_iter()
                .map(|v| (v, sub_name(&channel.name, v)))
                .collect(),
        )
    }

    /// Each declaration of `chord`: for each term, the sub-channel it takes
    /// from (`None` for a channel that is not split), in order.
    pub fn expansions(&self, input: &Input, chord: &Chord) -> Vec<Vec<Option<usize>>> {
        let mut out = vec![Vec::new()];
        for (term, test) in terms_with_tests(input, chord) {
            let choices: Vec<Option<usize>> = match self.tests(&term.channel) {
                None => vec![None],
                Some(tests) => {
                    // (A test left out, reported as one too many, is none.)
                    let bit = test.and_then(|t| tests.iter().position(|u| u.key() == t.key()));
                    outcomes(tests)
                        .into_iter()
                        .filter(|v| bit.is_none_or(|b| v & (1 << b) != 0))
                        .map(Some)
                        .collect()
                }
            };
            out = out
                .into_iter()
                .flat_map(|prefix| {
                    choices.iter().map(move |&c| {
                        let mut next = prefix.clone();
                        next.push(c);
                        next
                    })
                })
                .collect();
        }
        out
    }

    /// `input` with each split channel replaced by its sub-channels, and
    /// each chord over split channels by its declarations, one per
    /// expansion (numbered, for their bodies' names).
    pub fn lower(&self, input: &Input) -> Input {
        let outer;
        let input = match &self.keyed {
            Some(keyed) => {
                outer = keyed.outer(input);
                &outer
            }
            None => input,
        };
        let mut channels = Vec::new();
        for channel in &input.channels {
            match self.subs(channel) {
                None => channels.push(channel.clone()),
                Some(subs) => channels.extend(subs.into_iter().map(|(_, name)| Channel {
                    attrs: vec![
                        syn::parse_quote!(#[doc(hidden)]),
                        syn::parse_quote!(#[allow(dead_code)]),
                    ],
                    vis: syn::Visibility::Inherited,
                    name,
                    ..channel.clone()
                })),
            }
        }
        let mut chords = Vec::new();
        for chord in &input.chords {
            let expansions = self.expansions(input, chord);
            let numbered = expansions.len() > 1;
            for (e, expansion) in expansions.into_iter().enumerate() {
                let mut lowered = chord.clone();
                lowered.expansion = numbered.then_some(e);
                if let Some(terms) = &mut lowered.pattern {
                    for (term, sub) in terms.iter_mut().zip(expansion) {
                        if let Some(v) = sub {
                            term.channel = sub_name(&term.channel, v);
                        }
                    }
                }
                chords.push(lowered);
            }
        }
        Input {
            channels,
            chords,
            ..input.clone()
        }
    }
}

/// The name of sub-channel `v` of `channel`.
fn sub_name(channel: &Ident, v: usize) -> Ident {
    Ident::new(&format!("{}_sub{}", unraw(channel), v), channel.span())
}

/// The outcomes a message may have, as bit sets of the tests it passes:
/// every combination, or, when no message can pass two tests, none or one.
fn outcomes(tests: &[Test]) -> Vec<usize> {
    if pairwise_disjoint(tests) {
        std::iter::once(0)
            .chain((0..tests.len()).map(|i| 1 << i))
            .collect()
    } else {
        (0..1usize << tests.len()).collect()
    }
}

fn max_tests(tests: &[Test]) -> usize {
    if pairwise_disjoint(tests) {
        MAX_DISJOINT_TESTS
    } else {
        MAX_TESTS
    }
}

fn pairwise_disjoint(tests: &[Test]) -> bool {
    tests
        .iter()
        .enumerate()
        .all(|(i, a)| tests[i + 1..].iter().all(|b| disjoint(a, b)))
}

/// Whether no message can pass both tests, as far as their patterns show:
/// some parameter has two different literals, or two different paths
/// (enum variants, constants) at its head.
fn disjoint(a: &Test, b: &Test) -> bool {
    fn head(p: &syn::Pat) -> Option<String> {
        match p {
            syn::Pat::Lit(l) => Some(l.to_token_stream().to_string()),
            syn::Pat::Path(p) => Some(p.path.to_token_stream().to_string()),
            syn::Pat::TupleStruct(t) => Some(t.path.to_token_stream().to_string()),
            syn::Pat::Struct(s) => Some(s.path.to_token_stream().to_string()),
            syn::Pat::Ident(i)
                if i.subpat.is_none() && unraw(&i.ident).starts_with(char::is_uppercase) =>
            {
                Some(unraw(&i.ident))
            }
            syn::Pat::Paren(p) => head(&p.pat),
            _ => None,
        }
    }
    a.parts.iter().zip(&b.parts).any(|(x, y)| {
        match (x.as_ref().and_then(head), y.as_ref().and_then(head)) {
            (Some(x), Some(y)) => x != y,
            _ => false,
        }
    })
}

/// Each term of `chord` with the test it puts on its messages, if any.
fn terms_with_tests<'a>(input: &Input, chord: &'a Chord) -> Vec<(&'a Term, Option<Test>)> {
    let mut ignore = Errors::default();
    chord_tests(input, chord, &mut ignore)
}

/// The test of each term of `chord`; reports what cannot be routed.
fn chord_tests<'a>(
    input: &Input,
    chord: &'a Chord,
    errors: &mut Errors,
) -> Vec<(&'a Term, Option<Test>)> {
    let Some(terms) = &chord.pattern else {
        return Vec::new();
    };
    let guarded = chord
        .guard
        .as_ref()
        .and_then(|guard| guarded_term(input, chord, terms, guard, errors));
    terms
        .iter()
        .enumerate()
        .map(|(t, term)| {
            let patterned = term
                .bindings
                .iter()
                .any(|b| matches!(b, Binding::Pattern(_)));
            let guard = (guarded == Some(t)).then(|| chord.guard.clone()).flatten();
            if !patterned && guard.is_none() {
                return (term, None);
            }
            let channel = input.channel(&term.channel);
            let problem = match (channel.map(|c| c.kind), term.repeat) {
                (None, _) => return (term, None),
                // A repeated message's pattern is searched (`searched.rs`).
                (Some(Kind::Async), Some(_))
                    if term.bindings.iter().all(|b| match b {
                        Binding::Pattern(_) => b.names().is_empty(),
                        _ => true,
                    }) =>
                {
                    return (term, None)
                }
                (Some(Kind::Async), Some(_)) => Some(
                    "a value pattern on a repeated term may not bind names: it tests each \
                     message (`[item(1, v); 2]`); write the term once per message to bind \
                     inside it, `item(Some(a)) & item(Some(b))`",
                ),
                (Some(Kind::Sync), Some(_)) => Some(
                    "a value pattern on a repeated synchronous term is not supported: write \
                     the term once per call, `ask(0) & ask(0)`",
                ),
                _ => None,
            };
            if let Some(problem) = problem {
                errors.push(syn::Error::new(term.parens, problem));
                return (term, None);
            }
            let channel = channel.expect("checked");
            let pattern = term.message_pattern(channel.params.len() == 1);
            let parts = term
                .bindings
                .iter()
                .map(|b| match b {
                    Binding::Pattern(pat) => Some((**pat).clone()),
                    _ => None,
                })
                .collect();
            (
                term,
                Some(Test {
                    pattern,
                    parts,
                    guard,
                }),
            )
        })
        .collect()
}

/// The one term whose bindings `guard` reads, routed at send time; `None`
/// for a guard searched at run time (`searched.rs`) or served by an index
/// (`keyed.rs`). Reports a guard that reads none, or cannot be searched.
fn guarded_term(
    input: &Input,
    chord: &Chord,
    terms: &[Term],
    guard: &Expr,
    errors: &mut Errors,
) -> Option<usize> {
    let names = mentioned(guard);
    if names.contains("self") {
        errors.push(syn::Error::new_spanned(
            guard,
            "a guard reads the pattern's bindings only: it runs without the object (as \
             each message is sent, or while messages wait), so it cannot use `self`",
        ));
        return None;
    }
    let read = searched::read_terms(terms, guard);
    let terms_read: HashSet<usize> = read.iter().map(|(t, _)| *t).collect();
    let chord_name = unraw(&chord.name);
    if key_terms(chord, guard).is_some() {
        // Equal keys of two terms: an index serves it (`keyed.rs`).
        return None;
    }
    if searched::guard_searched(chord) {
        searched::check(input, chord, errors);
        return None;
    }
    if terms_read.len() == 1 {
        return Some(read[0].0);
    }
    let message = if is_false(guard) {
        format!(
            "the chord `{chord_name}` can never fire: its guard is always `false`. \
             Remove the chord, or write the condition it should test"
        )
    } else if is_true(guard) {
        return None;
    } else {
        "this guard reads none of the pattern's bindings: a guard tests the messages of the \
         pattern, as in `if *n > 0` for `count(n)`; test anything else in the body"
            .to_string()
    };
    errors.push(syn::Error::new_spanned(guard, message));
    None
}

/// The single names an expression mentions (paths of one segment, and
/// identifiers inside macro calls).
pub fn mentioned(expr: &Expr) -> HashSet<String> {
    struct Names(HashSet<String>);
    impl<'ast> syn::visit::Visit<'ast> for Names {
        fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
            if let Some(ident) = p.path.get_ident() {
                self.0.insert(unraw(ident));
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            fn idents(tokens: TokenStream, out: &mut HashSet<String>) {
                for token in tokens {
                    match token {
                        proc_macro2::TokenTree::Ident(i) => {
                            out.insert(unraw(&i));
                        }
                        proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
                        _ => {}
                    }
                }
            }
            idents(m.tokens.clone(), &mut self.0);
        }
    }
    let mut names = Names(HashSet::new());
    syn::visit::Visit::visit_expr(&mut names, expr);
    names.0
}

fn literal_bool(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Bool(b),
            ..
        }) => Some(b.value),
        Expr::Paren(p) => literal_bool(&p.expr),
        Expr::Group(g) => literal_bool(&g.expr),
        _ => None,
    }
}

fn is_false(expr: &Expr) -> bool {
    literal_bool(expr) == Some(false)
}

fn is_true(expr: &Expr) -> bool {
    literal_bool(expr) == Some(true)
}
