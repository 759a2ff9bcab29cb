//! Mistakes in chords: their patterns, names and signatures.

use super::{declared, item, method_names, reserved, spelling, wild_term, Ctx};
use crate::fuzz::model::{result_of, variable, Chord, ItemKind, Term};
use crate::fuzz::render::{pattern_text, Part};
use crate::fuzz::rng::Rng;

/// A free chord and one of its terms.
fn pick_term(
    cx: &Ctx,
    rng: &mut Rng,
    keep: impl Fn(&Ctx, &Term) -> bool,
) -> Option<(usize, usize)> {
    let mut choices = Vec::new();
    for id in cx.free_chords(|_| true) {
        let i = cx.block.index(id);
        if let ItemKind::Chord(c) = &cx.block.items[i].kind {
            for (t, term) in c.terms.iter().enumerate() {
                if keep(cx, term) {
                    choices.push((id, t));
                }
            }
        }
    }
    rng.choose(&choices).copied()
}

pub(super) fn undeclared_channel(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some((k, t)) = pick_term(cx, rng, |_, _| true) else {
        return false;
    };
    let typo = format!("{}x", cx.chord(k).terms[t].channel);
    let name = if rng.percent(50) && cx.block.channel(&typo).is_none() {
        typo
    } else {
        cx.fresh("zz")
    };
    cx.chord(k).terms[t].channel = name;
    cx.claim(&[k]);
    cx.unresolved = true;
    cx.expect("no channel named", &[item(k, Part::TermChannel(t))]);
    true
}

pub(super) fn binding_count(cx: &mut Ctx, rng: &mut Rng) -> bool {
    // The channel's own declaration must be free of mistakes: the macro
    // checks binding counts only against a channel it could read.
    let Some((k, t)) = pick_term(cx, rng, |cx, term| {
        cx.channel_id(&term.channel)
            .is_some_and(|c| !cx.claimed.contains(&c) && c < cx.originals)
    }) else {
        return false;
    };
    let term = &mut cx.chord(k).terms[t];
    let channel = term.channel.clone();
    if !term.bindings.is_empty() && rng.percent(50) {
        let at = rng.below(term.bindings.len());
        term.bindings.remove(at);
    } else {
        let at = rng.below(term.bindings.len() + 1);
        term.bindings.insert(at, None);
    }
    let c = cx.channel_id(&channel).expect("declared");
    cx.claim(&[k, c]);
    cx.expect("parameter", &[item(k, Part::TermParens(t))]);
    true
}

pub(super) fn binding_twice(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let named = |c: &Chord| -> Vec<(usize, usize)> {
        c.terms
            .iter()
            .enumerate()
            .flat_map(|(t, term)| {
                term.bindings
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.is_some())
                    .map(move |(b, _)| (t, b))
            })
            .collect()
    };
    let chords = cx.free_chords(|c| named(c).len() >= 2);
    let Some(&k) = rng.choose(&chords) else {
        return false;
    };
    let chord = cx.chord(k);
    let positions = named(chord);
    let first = rng.below(positions.len() - 1);
    let second = rng.between(first + 1, positions.len() - 1);
    let (t1, b1) = positions[first];
    let (t2, b2) = positions[second];
    let first = chord.terms[t1].bindings[b1].clone().expect("named");
    chord.terms[t2].bindings[b2] = Some(spelling(rng, variable(&first)));
    cx.claim(&[k]);
    // Reported at the later of the two, in pattern order.
    cx.expect("bound twice", &[item(k, Part::Binding(t2, b2))]);
    true
}

pub(super) fn repeat_zero(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some((k, t)) = pick_term(cx, rng, |_, _| true) else {
        return false;
    };
    cx.chord(k).terms[t].repeat = Some(0);
    cx.claim(&[k]);
    cx.unresolved = true;
    cx.expect("at least one message", &[item(k, Part::Count(t))]);
    true
}

pub(super) fn repeat_not_literal(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some((k, t)) = pick_term(cx, rng, |_, _| true) else {
        return false;
    };
    let (count, says) = *rng.pick(&[
        ("n", "integer literal"),
        ("1 + 1", "integer literal"),
        ("2u8", "integer literal"),
        ("-1", "integer literal"),
        ("N", "integer literal"),
        ("99999999999", "u32::MAX"),
    ]);
    cx.chord(k).terms[t].count = Some(count.into());
    cx.claim(&[k]);
    cx.unresolved = true;
    cx.expect(says, &[item(k, Part::Count(t))]);
    true
}

pub(super) fn too_many_terms(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(k) = cx.any_free_chord(rng) else {
        return false;
    };
    let channels = declared(cx, |_| true);
    let total = rng.between(13, 15);
    let chord = cx.chord(k);
    while chord.terms.len() < total {
        chord.terms.push(wild_term(rng.pick(&channels)));
    }
    cx.claim(&[k]);
    cx.unresolved = true;
    cx.expect_in(
        "at most 12 terms",
        vec![(item(k, Part::Term(12)), item(k, Part::Term(total - 1)))],
    );
    true
}

pub(super) fn shadowed_chord(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|c| c.terms.len() < 12);
    let Some(&k) = rng.choose(&chords) else {
        return false;
    };
    let asyncs = declared(cx, |c| !c.sync);
    let mut copy = cx.chord(k).clone();
    copy.name = cx.fresh("k");
    // The same pattern, or a bigger one: more asynchronous messages keep
    // the body's result type.
    if !asyncs.is_empty() && rng.percent(60) {
        for _ in 0..rng.between(1, 2) {
            if copy.terms.len() < 12 {
                copy.terms.push(wild_term(rng.pick(&asyncs)));
            }
        }
    }
    let after = cx.block.index(k) + 1;
    let at = rng.between(after, cx.block.items.len());
    let id = cx.block.insert(at, ItemKind::Chord(copy));
    cx.claim(&[k]);
    cx.expect("can never fire", &[item(id, Part::Attr)]);
    true
}

pub(super) fn duplicate_chord(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|_| true);
    if chords.len() < 2 {
        return false;
    }
    let first = rng.below(chords.len() - 1);
    let (j, k) = (
        chords[first],
        chords[rng.between(first + 1, chords.len() - 1)],
    );
    let name = spelling(rng, &cx.chord(j).name);
    cx.chord(k).name = name;
    cx.claim(&[j, k]);
    cx.expect("declared above", &[item(k, Part::Name)]);
    true
}

pub(super) fn chord_clash(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(k) = cx.any_free_chord(rng) else {
        return false;
    };
    let channels = cx.free_channels(|_| true);
    let name = if !channels.is_empty() && rng.percent(80) {
        let c = *rng.pick(&channels);
        cx.claim(&[c]);
        rng.pick(&method_names(cx.channel(c))).clone()
    } else {
        rng.pick(&reserved(&cx.block)).to_string()
    };
    cx.chord(k).name = spelling(rng, &name);
    cx.claim(&[k]);
    cx.expect("clashes", &[item(k, Part::Name)]);
    true
}

pub(super) fn second_chord_attr(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(k) = cx.any_free_chord(rng) else {
        return false;
    };
    let chord = cx.chord(k);
    chord.raw.extra_attr = format!("#[chord({})]", pattern_text(&chord.terms));
    cx.claim(&[k]);
    cx.expect("one `#[chord(..)]`", &[item(k, Part::ExtraAttr)]);
    true
}

pub(super) fn chord_without_pattern(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(k) = cx.any_free_chord(rng) else {
        return false;
    };
    cx.chord(k).raw.attr = Some(rng.pick(&["#[chord]", "#[chord = \"x\"]"]).to_string());
    cx.claim(&[k]);
    cx.unresolved = true;
    cx.expect("write the chord's pattern", &[item(k, Part::Attr)]);
    true
}

pub(super) fn chord_signature(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(k) = cx.any_free_chord(rng) else {
        return false;
    };
    let chord = cx.chord(k);
    let (says, part) = match rng.below(5) {
        0 => {
            chord.raw.extra_param = "x: u64".into();
            ("no parameters besides `&self`", Part::ExtraParam)
        }
        1 => {
            chord.raw.receiver = Some(rng.pick(&["&mut self", "self"]).to_string());
            ("&self", Part::Receiver)
        }
        2 => {
            chord.raw.generics = "<T>".into();
            ("generic parameters", Part::Generics)
        }
        _ => {
            chord.raw.qualifier = rng.pick(&["async ", "const ", "unsafe "]).to_string();
            ("cannot be", Part::Qualifier)
        }
    };
    cx.claim(&[k]);
    cx.expect(says, &[item(k, part)]);
    true
}

pub(super) fn missing_return(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let block = cx.block.clone();
    let answers = |c: &Chord| {
        c.terms.iter().any(|t| {
            block
                .channel(&t.channel)
                .is_some_and(|ch| ch.sync && !result_of(ch).is_unit())
        })
    };
    let chords = cx.free_chords(|c| c.ret.is_some() && answers(c));
    let Some(&k) = rng.choose(&chords) else {
        return false;
    };
    cx.chord(k).ret = None;
    cx.claim(&[k]);
    // At the closing parenthesis of the body's parameters.
    cx.expect("so it returns", &[item(k, Part::Params)]);
    true
}
