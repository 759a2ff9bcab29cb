//! Mistakes in channel declarations, in names, and in the impl's head.

use super::{generated, item, method_names, reserved, spelling, wild_term, Ctx};
use crate::fuzz::model::{same, Channel, ChannelRaw, ItemKind, Method, Param, Ty};
use crate::fuzz::render::{pattern_text, Loc, Part};
use crate::fuzz::rng::Rng;

pub(super) fn async_return(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|c| !c.sync);
    let Some(&c) = rng.choose(&channels) else {
        return false;
    };
    cx.channel(c).ret = Some(
        rng.pick(&[Ty::U64, Ty::Unit, Ty::Raw("bool".into())])
            .clone(),
    );
    cx.claim(&[c]);
    cx.expect("returns nothing", &[item(c, Part::Ret)]);
    true
}

/// A new channel named `name`, of a random kind, valid in itself.
fn new_channel(rng: &mut Rng, name: String) -> Channel {
    let sync = rng.percent(50);
    Channel {
        name,
        sync,
        params: (0..rng.below(3))
            .map(|j| Param {
                name: format!("p{j}"),
                ty: Ty::U64,
            })
            .collect(),
        ret: (sync && rng.percent(50)).then_some(Ty::U64),
        vis: String::new(),
        doc: false,
        attrs: String::new(),
        raw: ChannelRaw::default(),
    }
}

pub(super) fn unused_channel(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let name = cx.fresh("zz");
    let at = rng.below(cx.block.items.len() + 1);
    let id = cx
        .block
        .insert(at, ItemKind::Channel(new_channel(rng, name)));
    cx.expect("in no chord", &[item(id, Part::Name)]);
    cx.expects.last_mut().expect("pushed").needs_resolved = true;
    true
}

pub(super) fn duplicate_channel(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(c) = cx.any_free_channel(rng) else {
        return false;
    };
    let name = spelling(rng, &cx.channel(c).name);
    let after = cx.block.index(c) + 1;
    let at = rng.between(after, cx.block.items.len());
    let id = cx
        .block
        .insert(at, ItemKind::Channel(new_channel(rng, name)));
    cx.claim(&[c]);
    cx.expect("declared above", &[item(id, Part::Name)]);
    true
}

pub(super) fn channel_clash(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(c) = cx.any_free_channel(rng) else {
        return false;
    };
    let others: Vec<usize> = cx
        .free_channels(|_| true)
        .into_iter()
        .filter(|&s| s != c)
        .collect();
    // (the new name, the other channel it clashes with)
    let (name, other) = if !others.is_empty() && rng.percent(75) {
        let s = *rng.pick(&others);
        let name = rng.pick(&generated(cx.channel(s))).clone();
        (name, Some(s))
    } else {
        (rng.pick(&reserved(&cx.block)).to_string(), None)
    };
    if cx.block.channel(&name).is_some() {
        // Two channels of one name would be another mistake.
        return false;
    }
    let old = std::mem::replace(&mut cx.channel(c).name, spelling(rng, &name));
    for item in &mut cx.block.items {
        if let ItemKind::Chord(chord) = &mut item.kind {
            for term in chord.terms.iter_mut().filter(|t| same(&t.channel, &old)) {
                term.channel = name.clone();
            }
        }
    }
    cx.claim(&[c]);
    // Reported at whichever of the two is declared second.
    let mut at = vec![item(c, Part::Name)];
    if let Some(s) = other {
        cx.claim(&[s]);
        at.push(item(s, Part::Name));
    }
    cx.expect("clashes", &at);
    true
}

pub(super) fn method_clash(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(c) = cx.any_free_channel(rng) else {
        return false;
    };
    let names = method_names(cx.channel(c));
    // Or the generated `waiting`, which a user's method cannot replace.
    let name = if rng.percent(20) {
        "waiting".to_string()
    } else {
        rng.pick(&names).clone()
    };
    let name = spelling(rng, &name);
    let (before, after) = *rng.pick(&[("fn ", "(&self) {}"), ("const ", ": u8 = 0;")]);
    let at = rng.below(cx.block.items.len() + 1);
    let id = cx.block.insert(
        at,
        ItemKind::Method(Method {
            before: before.into(),
            name,
            after: after.into(),
        }),
    );
    cx.claim(&[c]);
    cx.expect("clashes", &[item(id, Part::Name)]);
    true
}

pub(super) fn channel_receiver(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(c) = cx.any_free_channel(rng) else {
        return false;
    };
    let receiver = *rng.pick(&[
        "&mut self",
        "self",
        "mut self",
        "&'a self",
        "self: Box<Self>",
        "",
    ]);
    let channel = cx.channel(c);
    channel.raw.receiver = receiver.into();
    // Without a receiver, the error points at the first parameter, or at
    // the parentheses when there is none.
    let at = match (receiver, channel.params.is_empty()) {
        ("", false) => Part::Param(0),
        ("", true) => Part::Params,
        _ => Part::Receiver,
    };
    cx.claim(&[c]);
    cx.expect("&self", &[item(c, at)]);
    true
}

pub(super) fn channel_qualifier(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(c) = cx.any_free_channel(rng) else {
        return false;
    };
    let raw = &mut cx.channel(c).raw;
    match rng.below(3) {
        0 => raw.before_async = "const ".into(),
        1 => raw.after_async = "unsafe ".into(),
        _ => raw.after_async = "extern \"C\" ".into(),
    }
    cx.claim(&[c]);
    cx.expect("cannot be", &[item(c, Part::Qualifier)]);
    true
}

pub(super) fn channel_generics(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(c) = cx.any_free_channel(rng) else {
        return false;
    };
    cx.claim(&[c]);
    if rng.percent(70) {
        cx.channel(c).raw.generics = rng.pick(&["<T>", "<'a>", "<const N: usize>"]).to_string();
        cx.expect("generic parameters", &[item(c, Part::Generics)]);
    } else {
        cx.channel(c).raw.where_clause = "where u64: Copy".into();
        cx.expect("`where` clause", &[item(c, Part::Where)]);
    }
    true
}

pub(super) fn borrowed_type(cx: &mut Ctx, rng: &mut Rng) -> bool {
    // A result type changes only where it was not `()`: a chord that
    // answers `()` and writes no return type would then be missing one.
    let channels = cx.free_channels(|c| !c.params.is_empty() || c.ret == Some(Ty::U64));
    let Some(&c) = rng.choose(&channels) else {
        return false;
    };
    let channel = cx.channel(c);
    let (ty, says) = *rng.pick(&[
        ("&str", "'static"),
        ("&'_ str", "'static"),
        ("std::borrow::Cow<'_, str>", "'static"),
        ("Vec<&u8>", "'static"),
        ("impl Send", "`impl Trait`"),
    ]);
    let at = if channel.params.is_empty() || (channel.ret == Some(Ty::U64) && rng.percent(30)) {
        if says != "'static" {
            return false;
        }
        channel.ret = Some(Ty::Raw(ty.into()));
        Part::Ret
    } else {
        let p = rng.below(channel.params.len());
        channel.params[p].ty = Ty::Raw(ty.into());
        Part::ParamTy(p)
    };
    cx.claim(&[c]);
    cx.expect(says, &[item(c, at)]);
    true
}

pub(super) fn pattern_parameter(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|c| !c.params.is_empty());
    let Some(&c) = rng.choose(&channels) else {
        return false;
    };
    let channel = cx.channel(c);
    let p = rng.below(channel.params.len());
    let param = &mut channel.params[p];
    match rng.below(4) {
        0 => {
            param.name = "(a, b)".into();
            param.ty = Ty::Raw("(u64, u64)".into());
        }
        1 => param.name = format!("mut {}", param.name),
        2 => param.name = format!("ref {}", param.name),
        _ => param.name = "_".into(),
    }
    cx.claim(&[c]);
    cx.expect("plain name", &[item(c, Part::ParamPat(p))]);
    true
}

pub(super) fn chord_on_declaration(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some(c) = cx.any_free_channel(rng) else {
        return false;
    };
    let channel = cx.channel(c);
    let term = wild_term(channel);
    channel.raw.attr = format!("#[chord({})]", pattern_text(&[term]));
    cx.claim(&[c]);
    cx.expect("needs a body", &[item(c, Part::Attr)]);
    true
}

pub(super) fn attribute_arguments(cx: &mut Ctx, rng: &mut Rng) -> bool {
    if cx.head_claimed {
        return false;
    }
    cx.head_claimed = true;
    cx.block.args = rng
        .pick(&["x", "pub pub", "pub,", "=", "pub(crate) x"])
        .to_string();
    cx.expect("expected the visibility", &[Loc::Args]);
    true
}

pub(super) fn unsafe_impl(cx: &mut Ctx, _: &mut Rng) -> bool {
    if cx.block.head.unsafety {
        return false;
    }
    cx.block.head.unsafety = true;
    cx.expect("not `unsafe`", &[Loc::Unsafe]);
    true
}

/// A trait impl stops the macro at once: it is a case's only mistake.
pub(super) fn trait_impl(cx: &mut Ctx, _: &mut Rng) -> bool {
    if !cx.alone {
        return false;
    }
    cx.block.head.trait_for = Some("Clone".into());
    cx.expect("inherent impl", &[Loc::Trait]);
    true
}

/// A self type the macro cannot name stops it at once: it is a case's
/// only mistake.
pub(super) fn self_type(cx: &mut Ctx, rng: &mut Rng) -> bool {
    if !cx.alone {
        return false;
    }
    let wrong: &[&str] = if cx.block.generic.is_some() {
        &["<u8>", ""]
    } else {
        &["<u8>", "<T>"]
    };
    cx.block.head.self_args = Some(rng.pick(wrong).to_string());
    cx.expect("declares the struct", &[Loc::SelfTy]);
    true
}
