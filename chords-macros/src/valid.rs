//! The checks of docs/reference.md's *Compile-time errors* that need the whole
//! model: names, patterns against their channels, channels in no chord, and
//! chords that can never fire because an earlier chord's pattern is contained
//! in theirs.

use std::collections::{HashMap, HashSet};

use chords_runtime::__private::tables;

use syn::{ImplItem, ReturnType};

use crate::ast::{unraw, Binding, Chord, Input, Kind};
use crate::route::Routes;
use crate::searched::searched;
use crate::{error_range, Errors};

/// The most terms a pattern may have: the runtime's patterns are tuples of 1 to 12.
pub const MAX_TERMS: usize = 12;

/// Checks `input`; returns the routes of its value patterns and guards.
pub fn check(input: &Input, errors: &mut Errors) -> Routes {
    names(input, errors);
    let routes = Routes::of(input, errors);
    let mut resolved = Vec::new();
    for chord in &input.chords {
        if let Some(needs) = pattern(input, chord, errors) {
            return_type(input, chord, errors);
            resolved.push((chord, needs));
        }
    }
    // With a pattern in error (a misspelt channel, say), a channel may look
    // unused only because of that error: report that one alone.
    if resolved.len() == input.chords.len() {
        coverage(input, errors);
    }
    shadowing(input, &routes, &resolved, errors);
    crate::bodies::check(input, &resolved, errors);
    routes
}

/// Channels, the methods they generate, `new`, `waiting`, the user's own
/// methods and chords must not share a name.
fn names(input: &Input, errors: &mut Errors) {
    // Each name taken so far, with what took it.
    let mut taken: HashMap<String, String> = HashMap::new();
    taken.insert(
        "waiting".into(),
        "the method `waiting` that `#[chords]` generates (it returns the queue lengths, \
         and cannot be replaced)"
            .into(),
    );
    for idle in ["wait_idle", "wait_idle_timeout"] {
        taken.insert(
            idle.into(),
            format!(
                "the method `{idle}` that `#[chords]` generates (it waits for the \
                 asynchronous chords on the executor, and cannot be replaced)"
            ),
        );
    }
    if input.states().next().is_some() && input.user_new() {
        taken.insert(
            "from_state".into(),
            "the constructor `from_state` that `#[chords]` generates for an object with \
             state channels and a `new` of its own (it takes their initial messages)"
                .into(),
        );
    } else if !input.user_new() {
        taken.insert(
            "new".into(),
            "the constructor `new` that `#[chords]` generates (write your own `new` to \
             replace it)"
                .into(),
        );
    }
    for channel in &input.channels {
        let name = unraw(&channel.name);
        if let Some(what) = taken.get(&name) {
            let message = if *what == format!("the channel `{name}`") {
                format!(
                    "a channel named `{name}` is declared above: give each channel its own name"
                )
            } else {
                format!("the channel `{name}` clashes with {what}: rename this channel")
            };
            errors.push(syn::Error::new_spanned(&channel.name, message));
            // Its generated names clash as it does: one error is enough.
            continue;
        }
        taken.insert(name.clone(), format!("the channel `{name}`"));
        let kind = match channel.kind {
            Kind::Sync => "synchronous",
            Kind::Async => "asynchronous",
        };
        for generated in generated_method_names(channel.kind, channel.state.is_some(), &name) {
            if let Some(what) = taken.get(&generated) {
                errors.push(syn::Error::new_spanned(
                    &channel.name,
                    format!(
                        "the {kind} channel `{name}` generates a method `{generated}`, \
                         which clashes with {what}: rename one of them"
                    ),
                ));
            } else {
                taken.insert(
                    generated.clone(),
                    format!("the method `{generated}` generated for the {kind} channel `{name}`"),
                );
            }
        }
    }
    for item in &input.user_items {
        let ident = match item {
            ImplItem::Fn(f) => &f.sig.ident,
            ImplItem::Const(c) => &c.ident,
            _ => continue,
        };
        let name = unraw(ident);
        if let Some(what) = taken.get(&name) {
            errors.push(syn::Error::new_spanned(
                ident,
                format!("`{name}` clashes with {what}: rename this item"),
            ));
        }
    }
    let mut chords: HashSet<String> = HashSet::new();
    for chord in &input.chords {
        let name = unraw(&chord.name);
        if let Some(what) = taken.get(&name) {
            errors.push(syn::Error::new_spanned(
                &chord.name,
                format!(
                    "the chord `{name}` clashes with {what}: rename the chord (its name \
                     labels it in `Debug` output and panic messages; it is not a method)"
                ),
            ));
        } else if !chords.insert(name.clone()) {
            errors.push(syn::Error::new_spanned(
                &chord.name,
                format!("a chord named `{name}` is declared above: give each chord its own name"),
            ));
        }
    }
}

/// The methods a channel `name` of `kind` (a state channel or not)
/// generates besides `name`.
pub fn generated_method_names(kind: Kind, state: bool, name: &str) -> Vec<String> {
    if state {
        return vec![format!("{name}_now")];
    }
    match kind {
        Kind::Sync => vec![
            format!("try_{name}"),
            format!("{name}_timeout"),
            format!("{name}_deadline"),
            format!("{name}_async"),
            format!("{name}_op"),
        ],
        Kind::Async => vec![format!("{name}_all")],
    }
}

/// Checks one chord's pattern against the channels; returns the messages it
/// needs of each channel ((channel index, count) in channel order, as the
/// runtime's tables count them) when every term names a channel.
fn pattern(input: &Input, chord: &Chord, errors: &mut Errors) -> Option<Vec<(u32, u32)>> {
    let terms = chord.pattern.as_ref()?;
    let mut resolved = true;
    if terms.len() > MAX_TERMS {
        let extra = &terms[MAX_TERMS];
        errors.push(error_range(
            extra.span.0,
            terms[terms.len() - 1].span.1,
            format!(
                "a pattern has at most {MAX_TERMS} terms: join the terms of one channel into \
                 `[chan(x); N]`, or split the state into fewer channels"
            ),
        ));
        resolved = false;
    }
    let mut bound: HashSet<String> = HashSet::new();
    let mut counted: Vec<(u32, u32)> = Vec::new();
    for term in terms {
        for ident in term.bindings.iter().flat_map(Binding::names) {
            {
                let name = unraw(&ident);
                if !bound.insert(name.clone()) {
                    errors.push(syn::Error::new_spanned(
                        &ident,
                        format!(
                            "`{name}` is bound twice in this pattern: give each binding its own \
                             name, or write `_` to drop a value"
                        ),
                    ));
                }
            }
        }
        let Some(channel) = input.channel(&term.channel) else {
            let declared: Vec<String> = input
                .channels
                .iter()
                .map(|c| format!("`{}`", unraw(&c.name)))
                .collect();
            let name = unraw(&term.channel);
            let message = match closest(&name, input) {
                Some(close) => format!(
                    "no channel named `{name}` in this `#[chords]` impl: did you mean `{close}`?"
                ),
                None => format!(
                    "no channel named `{name}` in this `#[chords]` impl ({}): declare it as \
                     `async fn {name}(&self, ...);` or `fn {name}(&self, ...) -> R;`",
                    if declared.is_empty() {
                        "it declares none".to_string()
                    } else {
                        format!("its channels are {}", declared.join(", "))
                    }
                ),
            };
            errors.push(syn::Error::new_spanned(&term.channel, message));
            resolved = false;
            continue;
        };
        let index = input.channels.iter().position(|c| std::ptr::eq(c, channel));
        counted.push((index.expect("a declared channel") as u32, term.count()));
        if channel.ok && term.bindings.len() != channel.params.len() {
            let n = channel.params.len();
            let params: Vec<String> = channel
                .params
                .iter()
                .map(|p| {
                    let ty = &p.ty;
                    format!("{}: {}", p.name, quote::quote!(#ty))
                })
                .collect();
            let example: Vec<String> = channel.params.iter().map(|p| p.name.to_string()).collect();
            errors.push(syn::Error::new(
                term.parens,
                format!(
                    "`{name}` has {n} parameter{s}{list}, but this term binds {b}: write one \
                     binding per parameter, `{name}({example})`, with `_` for a value to drop",
                    name = unraw(&channel.name),
                    s = if n == 1 { "" } else { "s" },
                    list = if n == 0 {
                        String::new()
                    } else {
                        format!(" ({})", params.join(", "))
                    },
                    b = term.bindings.len(),
                    example = example.join(", "),
                ),
            ));
        }
    }
    match tables::needs(counted) {
        Ok(needs) => resolved.then_some(needs.by_channel),
        Err(channel) => {
            errors.push(syn::Error::new_spanned(
                &chord.attr,
                format!(
                    "this pattern needs more than u32::MAX messages of `{}`",
                    unraw(&input.channels[channel as usize].name)
                ),
            ));
            None
        }
    }
}

/// The declared channel whose name is nearest to `name`, if it is near.
fn closest(name: &str, input: &Input) -> Option<String> {
    input
        .channels
        .iter()
        .map(|c| unraw(&c.name))
        .map(|c| (distance(name, &c), c))
        .filter(|(d, c)| *d <= 1 + c.len().min(name.len()) / 4)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A chord that answers synchronous callers with something else than `()`
/// declares what it returns (a body without `-> R` would return `()`).
fn return_type(input: &Input, chord: &Chord, errors: &mut Errors) {
    if !matches!(chord.sig.output, ReturnType::Default) {
        return;
    }
    // (type, made of `()` only, term) for each synchronous term.
    let mut sync = Vec::new();
    for term in chord.pattern.iter().flatten() {
        let Some(channel) = input.channel(&term.channel) else {
            return;
        };
        if channel.kind != Kind::Sync {
            continue;
        }
        let result = pretty(&channel.result_type().to_string());
        let name = unraw(&channel.name);
        sync.push(match term.repeat {
            Some((n, _)) => (
                format!("[{result}; {n}]"),
                channel.returns_unit(),
                format!("[{name}; {n}]"),
            ),
            None => (result, channel.returns_unit(), name),
        });
    }
    if sync.iter().all(|(_, unit, _)| *unit) {
        return;
    }
    let (expected, why) = match sync.as_slice() {
        [(ty, _, term)] => (ty.clone(), format!("its synchronous term `{term}`")),
        many => {
            let types: Vec<&str> = many.iter().map(|(ty, _, _)| ty.as_str()).collect();
            let terms: Vec<String> = many.iter().map(|(_, _, t)| format!("`{t}`")).collect();
            (
                format!("({})", types.join(", ")),
                format!(
                    "its synchronous terms {} (one result each, in pattern order)",
                    terms.join(", ")
                ),
            )
        }
    };
    let name = unraw(&chord.name);
    let receiver = if chord.has_self { "&self" } else { "" };
    errors.push(syn::Error::new(
        chord.sig.paren_token.span.close(),
        format!(
            "the chord `{name}` answers {why}, so it returns `{expected}`: \
             write `fn {name}({receiver}) -> {expected}`"
        ),
    ));
}

/// A type's tokens as a person writes them.
fn pretty(tokens: &str) -> String {
    let mut s = tokens.to_string();
    for (from, to) in [
        (" ,", ","),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        (" ;", ";"),
        ("& ", "&"),
        (" :: ", "::"),
        (":: ", "::"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// Every channel must be in some chord's pattern.
fn coverage(input: &Input, errors: &mut Errors) {
    let used: HashSet<String> = input
        .chords
        .iter()
        .filter_map(|c| c.pattern.as_ref())
        .flatten()
        .map(|t| unraw(&t.channel))
        .collect();
    for channel in &input.channels {
        let name = unraw(&channel.name);
        if !used.contains(&name) {
            let why = match channel.kind {
                Kind::Async if channel.state.is_some() => {
                    "its one message would never be used (a state channel is for chords to \
                     consume and send again)"
                }
                Kind::Async => "its messages would never be consumed (they would stay queued until the object is dropped)",
                Kind::Sync => "its callers would wait forever",
            };
            errors.push(syn::Error::new_spanned(
                &channel.name,
                format!(
                    "the channel `{name}` is in no chord's pattern, so {why}: add it to a \
                     chord, as in `#[chord({name}(..) & ...)]`, or remove it \
                     (sending to it from a body does not count)"
                ),
            ));
        }
    }
}

/// A chord whose pattern contains an earlier chord's pattern (as multisets
/// of channels) can never fire: the earlier chord takes priority and fires
/// as soon as its own messages are there. With value patterns and guards,
/// a chord is shadowed when each of its declarations (one per sub-channel
/// it may take from, see `route.rs`) is: an earlier `count(0) & wait()`
/// does not shadow a later `count(n) & wait()`, but an earlier
/// `count(n) & wait()` shadows a later `count(0) & wait()`; a chord whose
/// guard is searched (`searched.rs`) shadows none.
fn shadowing(
    input: &Input,
    routes: &Routes,
    chords: &[(&Chord, Vec<(u32, u32)>)],
    errors: &mut Errors,
) {
    // Each declaration's needs, a split channel's sub-channels counted apart.
    let declared: Vec<Vec<Vec<(u32, u32)>>> = chords
        .iter()
        .map(|(chord, _)| {
            routes
                .expansions(input, chord)
                .into_iter()
                .map(|subs| {
                    let counted = chord.pattern.iter().flatten().zip(subs).map(|(term, sub)| {
                        let c = input
                            .channels
                            .iter()
                            .position(|c| unraw(&c.name) == unraw(&term.channel))
                            .expect("a resolved pattern") as u32;
                        (c * 17 + sub.map_or(0, |v| v as u32 + 1), term.count())
                    });
                    tables::needs(counted).map_or_else(|_| Vec::new(), |n| n.by_channel)
                })
                .collect()
        })
        .collect();
    for (j, (later, later_needs)) in chords.iter().enumerate() {
        // A guard searched at run time may be false: it shadows nothing.
        let earlier = (0..j).filter(|&i| !searched(chords[i].0)).find(|&i| {
            declared[j]
                .iter()
                .all(|l| declared[i].iter().any(|e| tables::contains(l, e)))
        });
        if let Some(i) = earlier {
            let (earlier, needs) = &chords[i];
            let what = if later.guard.is_some()
                || earlier.guard.is_some()
                || declared[i].len() > 1
                || declared[j].len() > 1
            {
                format!(
                    "matches every set of messages that `{}` matches (with `{}`)",
                    written(later),
                    written(earlier)
                )
            } else if needs == later_needs {
                format!("needs the same messages (`{}`)", describe(earlier))
            } else {
                format!(
                    "needs only some of its messages (`{}`, of `{}`)",
                    describe(earlier),
                    describe(later)
                )
            };
            errors.push(syn::Error::new_spanned(
                &later.attr,
                format!(
                    "the chord `{l}` can never fire: the chord `{e}`, declared before it, \
                     {what} and takes priority, so it fires whenever they are there. Declare \
                     `{l}` before `{e}`, or change one of the patterns",
                    l = unraw(&later.name),
                    e = unraw(&earlier.name),
                ),
            ));
        }
    }
}

/// A pattern as written, with its bindings and guard.
fn written(chord: &Chord) -> String {
    let terms: Vec<String> = chord
        .pattern
        .iter()
        .flatten()
        .map(|term| {
            let bindings: Vec<String> = term
                .bindings
                .iter()
                .map(|b| match b {
                    Binding::Name { ident, .. } => unraw(ident),
                    Binding::Wild => "_".into(),
                    Binding::Pattern(p) => pretty(&quote::quote!(#p).to_string()),
                })
                .collect();
            let call = format!("{}({})", unraw(&term.channel), bindings.join(", "));
            match term.repeat {
                Some((n, _)) => format!("[{call}; {n}]"),
                None => call,
            }
        })
        .collect();
    let guard = chord
        .guard
        .as_ref()
        .map(|g| format!(" if {}", quote::quote!(#g)))
        .unwrap_or_default();
    format!("{}{guard}", terms.join(" & "))
}

/// A pattern's channels in order of first appearance, `[c; n]` for `n` messages of `c`.
fn describe(chord: &Chord) -> String {
    let mut order: Vec<(String, u64)> = Vec::new();
    for term in chord.pattern.iter().flatten() {
        let name = unraw(&term.channel);
        match order.iter_mut().find(|(c, _)| *c == name) {
            Some((_, n)) => *n += u64::from(term.count()),
            None => order.push((name, u64::from(term.count()))),
        }
    }
    order
        .iter()
        .map(|(c, n)| {
            if *n == 1 {
                c.clone()
            } else {
                format!("[{c}; {n}]")
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
}
