//! Invalid blocks: a valid block with one or more mistakes of
//! docs/reference.md's "Compile-time errors" (and the other checks of
//! `ast.rs` and `valid.rs`), each with the error it must raise and the
//! tokens that error must point at.
//!
//! Mistakes must not hide one another, so each claims the items it reads or
//! changes, and a later mistake picks among the unclaimed items of the valid
//! block. The one interplay the macro defines is kept: with a pattern in
//! error, no channel is reported as in no chord (`valid::check`).

use std::collections::HashSet;
use std::ops::Range;

use super::model::{
    pattern_source, pattern_text, plain, render, Block, Channel, ChannelRaw, Chord, ItemKind, Loc,
    Method, Param, Part, Term, Ty,
};
use super::rng::Rng;

/// An error the macro must report.
#[derive(Clone, Debug)]
pub struct Expect {
    /// The mistake that calls for it.
    pub mistake: &'static str,
    /// What its message says.
    pub says: &'static str,
    /// Where it may point: any of these regions, each from the start of its
    /// first part to the end of its second.
    pub at: Vec<(Loc, Loc)>,
    /// Reported only when every pattern resolves (`valid::check` reports no
    /// channel as in no chord when a pattern has an error).
    pub needs_resolved: bool,
}

/// A block with mistakes, and the errors they call for.
pub struct Case {
    pub block: Block,
    pub expects: Vec<Expect>,
    /// Whether some chord's pattern has an error.
    pub unresolved: bool,
}

impl Case {
    /// The errors the macro must report.
    pub fn required(&self) -> impl Iterator<Item = &Expect> {
        self.expects
            .iter()
            .filter(|e| !(e.needs_resolved && self.unresolved))
    }
}

/// Applies one mistake per seed to `base`, in order.
pub fn mutate(base: &Block, seeds: &[u64]) -> Case {
    let mut cx = Ctx {
        block: base.clone(),
        originals: base.next_id,
        claimed: HashSet::new(),
        head_claimed: false,
        alone: seeds.len() == 1,
        expects: Vec::new(),
        unresolved: false,
        fresh: 0,
        mistake: "",
    };
    for &seed in seeds {
        let mut rng = Rng::new(seed);
        // Not every mistake fits every block: draw until one does.
        for _ in 0..64 {
            let (name, apply) = *rng.pick(MISTAKES);
            cx.mistake = name;
            if enabled(name) && apply(&mut cx, &mut rng) {
                break;
            }
        }
    }
    Case {
        block: cx.block,
        expects: cx.expects,
        unresolved: cx.unresolved,
    }
}

/// Mistakes the macro reports at the wrong place today (see the reply of
/// the fuzzing task): left out unless `CHORDS_FUZZ_KNOWN_BUGS=1`.
///
/// - "pattern ended early": `#[chord(get() &)]`, `#[chord()]` and
///   `#[chord(other)]` are reported at `Span::call_site()`, the `#[chords]`
///   attribute, not at the `#[chord(..)]` (`ast.rs` parses the pattern with
///   `Parser::parse2`, whose end of input is the call site).
const KNOWN_BUGS: &[&str] = &["pattern ended early"];

/// Whether the mistake `name` is made.
fn enabled(name: &str) -> bool {
    !KNOWN_BUGS.contains(&name) || std::env::var("CHORDS_FUZZ_KNOWN_BUGS").is_ok_and(|v| v == "1")
}

/// The names of the mistakes made.
pub fn names() -> impl Iterator<Item = &'static str> {
    MISTAKES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| enabled(name))
}

type Mistake = fn(&mut Ctx, &mut Rng) -> bool;

/// Every mistake, by name. Each returns `false`, changing nothing, when the
/// block has no place for it.
const MISTAKES: &[(&str, Mistake)] = &[
    ("undeclared channel", undeclared_channel),
    ("binding count", binding_count),
    ("binding twice", binding_twice),
    ("repeat count of 0", repeat_zero),
    ("repeat count not a literal", repeat_not_literal),
    ("more than 12 terms", too_many_terms),
    ("asynchronous channel with a return type", async_return),
    ("channel in no chord", unused_channel),
    ("shadowed chord", shadowed_chord),
    ("duplicate channel", duplicate_channel),
    ("duplicate chord", duplicate_chord),
    ("channel named like a generated method", channel_clash),
    ("method named like a channel", method_clash),
    ("chord named like a channel", chord_clash),
    ("channel receiver", channel_receiver),
    ("channel qualifier", channel_qualifier),
    ("channel generics", channel_generics),
    ("borrowed or impl Trait type", borrowed_type),
    ("pattern parameter", pattern_parameter),
    ("#[chord] on a declaration", chord_on_declaration),
    ("second #[chord]", second_chord_attr),
    ("#[chord] without a pattern", chord_without_pattern),
    ("chord signature", chord_signature),
    ("missing return type", missing_return),
    ("pattern syntax", pattern_syntax),
    ("pattern ended early", pattern_ended_early),
    ("attribute arguments", attribute_arguments),
    ("unsafe impl", unsafe_impl),
    ("trait impl", trait_impl),
    ("self type", self_type),
];

struct Ctx {
    block: Block,
    /// Items with an id below this are the valid block's.
    originals: usize,
    /// Items that a mistake reads or changes.
    claimed: HashSet<usize>,
    head_claimed: bool,
    /// Whether this is the case's only mistake.
    alone: bool,
    expects: Vec<Expect>,
    unresolved: bool,
    fresh: usize,
    /// The name of the mistake being applied.
    mistake: &'static str,
}

impl Ctx {
    /// A name that nothing in the block has.
    fn fresh(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}z{}", self.fresh)
    }

    /// The ids of the valid block's unclaimed items that `keep` accepts.
    fn free(&self, keep: impl Fn(&ItemKind) -> bool) -> Vec<usize> {
        self.block
            .items
            .iter()
            .filter(|i| i.id < self.originals && !self.claimed.contains(&i.id) && keep(&i.kind))
            .map(|i| i.id)
            .collect()
    }

    fn free_channels(&self, keep: impl Fn(&Channel) -> bool) -> Vec<usize> {
        self.free(|k| matches!(k, ItemKind::Channel(c) if keep(c)))
    }

    fn free_chords(&self, keep: impl Fn(&Chord) -> bool) -> Vec<usize> {
        self.free(|k| matches!(k, ItemKind::Chord(c) if keep(c)))
    }

    fn channel(&mut self, id: usize) -> &mut Channel {
        let i = self.block.index(id);
        match &mut self.block.items[i].kind {
            ItemKind::Channel(c) => c,
            _ => unreachable!("item {id} is a channel"),
        }
    }

    fn chord(&mut self, id: usize) -> &mut Chord {
        let i = self.block.index(id);
        match &mut self.block.items[i].kind {
            ItemKind::Chord(c) => c,
            _ => unreachable!("item {id} is a chord"),
        }
    }

    /// The id of the first channel named `name`.
    fn channel_id(&self, name: &str) -> Option<usize> {
        self.block
            .items
            .iter()
            .find(|i| matches!(&i.kind, ItemKind::Channel(c) if c.name == name))
            .map(|i| i.id)
    }

    fn claim(&mut self, ids: &[usize]) {
        self.claimed.extend(ids);
    }

    /// Expects an error saying `says` at one of `at` (each a single part).
    fn expect(&mut self, says: &'static str, at: &[Loc]) {
        let at = at.iter().map(|l| (l.clone(), l.clone())).collect();
        self.expect_in(says, at);
    }

    fn expect_in(&mut self, says: &'static str, at: Vec<(Loc, Loc)>) {
        self.expects.push(Expect {
            mistake: self.mistake,
            says,
            at,
            needs_resolved: false,
        });
    }
}

fn item(id: usize, part: Part) -> Loc {
    Loc::Item(id, part)
}

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
    (!choices.is_empty()).then(|| *rng.pick(&choices))
}

fn undeclared_channel(cx: &mut Ctx, rng: &mut Rng) -> bool {
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

fn binding_count(cx: &mut Ctx, rng: &mut Rng) -> bool {
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

fn binding_twice(cx: &mut Ctx, rng: &mut Rng) -> bool {
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
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
        return false;
    };
    let chord = cx.chord(k);
    let positions = named(chord);
    let first = rng.below(positions.len() - 1);
    let second = rng.between(first + 1, positions.len() - 1);
    let (t1, b1) = positions[first];
    let (t2, b2) = positions[second];
    let name = chord.terms[t1].bindings[b1].clone();
    chord.terms[t2].bindings[b2] = name;
    cx.claim(&[k]);
    // Reported at the later of the two, in pattern order.
    cx.expect("bound twice", &[item(k, Part::Binding(t2, b2))]);
    true
}

fn repeat_zero(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let Some((k, t)) = pick_term(cx, rng, |_, _| true) else {
        return false;
    };
    cx.chord(k).terms[t].repeat = Some(0);
    cx.claim(&[k]);
    cx.unresolved = true;
    cx.expect("at least one message", &[item(k, Part::Count(t))]);
    true
}

fn repeat_not_literal(cx: &mut Ctx, rng: &mut Rng) -> bool {
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

/// The valid block's channels that `keep` accepts, each as the macro looks
/// it up (the first declared of its name). Channels that mistakes added are
/// left out: a term of an unused channel would make it used.
fn declared(cx: &Ctx, keep: impl Fn(&Channel) -> bool) -> Vec<Channel> {
    let block = &cx.block;
    block
        .items
        .iter()
        .filter(|item| item.id < cx.originals)
        .filter_map(|item| match &item.kind {
            ItemKind::Channel(c) => Some(c),
            _ => None,
        })
        .filter(|c| {
            block
                .channel(&c.name)
                .is_some_and(|first| std::ptr::eq(first, *c))
        })
        .filter(|c| keep(c))
        .cloned()
        .collect()
}

/// A term of `channel` that binds each parameter to `_`.
fn wild_term(channel: &Channel) -> Term {
    Term {
        channel: channel.name.clone(),
        bindings: vec![None; channel.params.len()],
        repeat: None,
        count: None,
    }
}

fn too_many_terms(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|_| true);
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
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

fn async_return(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|c| !c.sync);
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
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

fn unused_channel(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let name = cx.fresh("zz");
    let at = rng.below(cx.block.items.len() + 1);
    let id = cx
        .block
        .insert(at, ItemKind::Channel(new_channel(rng, name)));
    cx.expect("in no chord", &[item(id, Part::Name)]);
    cx.expects.last_mut().expect("pushed").needs_resolved = true;
    true
}

fn shadowed_chord(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|c| c.terms.len() < 12);
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
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

fn duplicate_channel(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|_| true);
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
        return false;
    };
    let name = cx.channel(c).name.clone();
    let after = cx.block.index(c) + 1;
    let at = rng.between(after, cx.block.items.len());
    let id = cx
        .block
        .insert(at, ItemKind::Channel(new_channel(rng, name)));
    cx.claim(&[c]);
    cx.expect("declared above", &[item(id, Part::Name)]);
    true
}

fn duplicate_chord(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|_| true);
    if chords.len() < 2 {
        return false;
    }
    let first = rng.below(chords.len() - 1);
    let (j, k) = (
        chords[first],
        chords[rng.between(first + 1, chords.len() - 1)],
    );
    let name = cx.chord(j).name.clone();
    cx.chord(k).name = name;
    cx.claim(&[j, k]);
    cx.expect("declared above", &[item(k, Part::Name)]);
    true
}

/// The names a synchronous channel's methods take besides its own.
fn generated(name: &str) -> [String; 3] {
    let name = plain(name);
    [
        format!("try_{name}"),
        format!("{name}_timeout"),
        format!("{name}_deadline"),
    ]
}

fn channel_clash(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|_| true);
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
        return false;
    };
    let syncs: Vec<usize> = cx
        .free_channels(|s| s.sync)
        .into_iter()
        .filter(|&s| s != c)
        .collect();
    let user_new = cx.block.user_new();
    // (the new name, the other channel it clashes with)
    let (name, other) = if !syncs.is_empty() && (user_new || rng.percent(75)) {
        let s = *rng.pick(&syncs);
        let name = rng.pick(&generated(&cx.channel(s).name)).clone();
        (name, Some(s))
    } else if !user_new {
        ("new".to_string(), None)
    } else {
        return false;
    };
    if cx.block.channel(&name).is_some() {
        // Two channels of one name would be another mistake.
        return false;
    }
    let old = std::mem::replace(&mut cx.channel(c).name, name.clone());
    for item in &mut cx.block.items {
        if let ItemKind::Chord(chord) = &mut item.kind {
            for term in chord.terms.iter_mut().filter(|t| t.channel == old) {
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

fn method_clash(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|_| true);
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
        return false;
    };
    let channel = cx.channel(c);
    let mut names = vec![channel.name.clone()];
    if channel.sync {
        names.extend(generated(&channel.name));
    }
    let name = rng.pick(&names).clone();
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

fn chord_clash(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|_| true);
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
        return false;
    };
    let channels = cx.free_channels(|_| true);
    let name = if !channels.is_empty() && (cx.block.user_new() || rng.percent(80)) {
        let c = *rng.pick(&channels);
        cx.claim(&[c]);
        let channel = cx.channel(c);
        let mut names = vec![channel.name.clone()];
        if channel.sync {
            names.extend(generated(&channel.name));
        }
        rng.pick(&names).clone()
    } else if !cx.block.user_new() {
        "new".to_string()
    } else {
        return false;
    };
    cx.chord(k).name = name;
    cx.claim(&[k]);
    cx.expect("clashes", &[item(k, Part::Name)]);
    true
}

fn channel_receiver(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|_| true);
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
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

fn channel_qualifier(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|_| true);
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
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

fn channel_generics(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|_| true);
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
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

fn borrowed_type(cx: &mut Ctx, rng: &mut Rng) -> bool {
    // A result type changes only where it was not `()`: a chord that
    // answers `()` and writes no return type would then be missing one.
    let channels = cx.free_channels(|c| !c.params.is_empty() || c.ret == Some(Ty::U64));
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
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

fn pattern_parameter(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|c| !c.params.is_empty());
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
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

fn chord_on_declaration(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let channels = cx.free_channels(|_| true);
    let Some(&c) = (!channels.is_empty()).then(|| rng.pick(&channels)) else {
        return false;
    };
    let channel = cx.channel(c);
    let term = wild_term(channel);
    channel.raw.attr = format!("#[chord({})]", pattern_text(&[term]));
    cx.claim(&[c]);
    cx.expect("needs a body", &[item(c, Part::Attr)]);
    true
}

fn second_chord_attr(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|_| true);
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
        return false;
    };
    let chord = cx.chord(k);
    chord.raw.extra_attr = format!("#[chord({})]", pattern_text(&chord.terms));
    cx.claim(&[k]);
    cx.expect("one `#[chord(..)]`", &[item(k, Part::ExtraAttr)]);
    true
}

fn chord_without_pattern(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|_| true);
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
        return false;
    };
    cx.chord(k).raw.attr = Some(rng.pick(&["#[chord]", "#[chord = \"x\"]"]).to_string());
    cx.claim(&[k]);
    cx.unresolved = true;
    cx.expect("write the chord's pattern", &[item(k, Part::Attr)]);
    true
}

fn chord_signature(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let chords = cx.free_chords(|_| true);
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
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

fn missing_return(cx: &mut Ctx, rng: &mut Rng) -> bool {
    let block = cx.block.clone();
    let answers = |c: &Chord| {
        c.terms.iter().any(|t| {
            block
                .channel(&t.channel)
                .is_some_and(|ch| ch.sync && !super::model::result_of(ch).is_unit())
        })
    };
    let chords = cx.free_chords(|c| c.ret.is_some() && answers(c));
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
        return false;
    };
    cx.chord(k).ret = None;
    cx.claim(&[k]);
    // At the closing parenthesis of the body's parameters.
    cx.expect("so it returns", &[item(k, Part::Params)]);
    true
}

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

fn pattern_syntax(cx: &mut Ctx, rng: &mut Rng) -> bool {
    raw_pattern(cx, rng, syntax_mistake)
}

fn pattern_ended_early(cx: &mut Ctx, rng: &mut Rng) -> bool {
    raw_pattern(cx, rng, early_end)
}

/// Replaces a free chord's pattern with what `make` writes for its terms.
fn raw_pattern(
    cx: &mut Ctx,
    rng: &mut Rng,
    make: fn(&[Term], &mut Rng) -> Option<RawPattern>,
) -> bool {
    let chords = cx.free_chords(|_| true);
    let Some(&k) = (!chords.is_empty()).then(|| rng.pick(&chords)) else {
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
                splice(text, at(Part::Binding(t, 0)), "1", true),
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

fn attribute_arguments(cx: &mut Ctx, rng: &mut Rng) -> bool {
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

fn unsafe_impl(cx: &mut Ctx, _: &mut Rng) -> bool {
    if cx.block.head.unsafety {
        return false;
    }
    cx.block.head.unsafety = true;
    cx.expect("not `unsafe`", &[Loc::Unsafe]);
    true
}

/// A trait impl stops the macro at once: it is a case's only mistake.
fn trait_impl(cx: &mut Ctx, _: &mut Rng) -> bool {
    if !cx.alone {
        return false;
    }
    cx.block.head.trait_for = Some("Clone".into());
    cx.expect("inherent impl", &[Loc::Trait]);
    true
}

/// A self type the macro cannot name stops it at once: it is a case's
/// only mistake.
fn self_type(cx: &mut Ctx, rng: &mut Rng) -> bool {
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

/// The source of a case, for messages: the text with line numbers.
pub fn listing(block: &Block) -> String {
    render(block)
        .text
        .lines()
        .enumerate()
        .map(|(i, line)| format!("{:>3} | {line}\n", i + 1))
        .collect()
}
