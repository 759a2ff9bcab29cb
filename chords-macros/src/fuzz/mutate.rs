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

use super::model::{plain, respelt, same, Block, Channel, Chord, ItemKind, Term};
use super::render::{Loc, Part};
use super::rng::Rng;

mod chords;
mod declarations;
mod syntax;

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
            if apply(&mut cx, &mut rng) {
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

/// The names of the mistakes made.
pub fn names() -> impl Iterator<Item = &'static str> {
    MISTAKES.iter().map(|(name, _)| *name)
}

type Mistake = fn(&mut Ctx, &mut Rng) -> bool;

/// Every mistake, by name. Each returns `false`, changing nothing, when the
/// block has no place for it.
const MISTAKES: &[(&str, Mistake)] = &[
    ("undeclared channel", chords::undeclared_channel),
    ("binding count", chords::binding_count),
    ("binding twice", chords::binding_twice),
    ("repeat count of 0", chords::repeat_zero),
    ("repeat count not a literal", chords::repeat_not_literal),
    ("more than 12 terms", chords::too_many_terms),
    (
        "asynchronous channel with a return type",
        declarations::async_return,
    ),
    ("channel in no chord", declarations::unused_channel),
    ("shadowed chord", chords::shadowed_chord),
    ("duplicate channel", declarations::duplicate_channel),
    ("duplicate chord", chords::duplicate_chord),
    (
        "channel named like a generated method",
        declarations::channel_clash,
    ),
    ("method named like a channel", declarations::method_clash),
    ("chord named like a channel", chords::chord_clash),
    ("channel receiver", declarations::channel_receiver),
    ("channel qualifier", declarations::channel_qualifier),
    ("channel generics", declarations::channel_generics),
    ("borrowed or impl Trait type", declarations::borrowed_type),
    ("pattern parameter", declarations::pattern_parameter),
    (
        "#[chord] on a declaration",
        declarations::chord_on_declaration,
    ),
    ("second #[chord]", chords::second_chord_attr),
    ("#[chord] without a pattern", chords::chord_without_pattern),
    ("chord signature", chords::chord_signature),
    ("missing return type", chords::missing_return),
    ("pattern syntax", syntax::pattern_syntax),
    ("pattern ended early", syntax::pattern_ended_early),
    ("attribute arguments", declarations::attribute_arguments),
    ("unsafe impl", declarations::unsafe_impl),
    ("trait impl", declarations::trait_impl),
    ("self type", declarations::self_type),
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

    /// A channel no other mistake has touched, drawn at random.
    fn any_free_channel(&self, rng: &mut Rng) -> Option<usize> {
        rng.choose(&self.free_channels(|_| true)).copied()
    }

    /// A chord no other mistake has touched, drawn at random.
    fn any_free_chord(&self, rng: &mut Rng) -> Option<usize> {
        rng.choose(&self.free_chords(|_| true)).copied()
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
            .find(|i| matches!(&i.kind, ItemKind::Channel(c) if same(&c.name, name)))
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

/// `name`, or (sometimes) the same name spelt the other way, `r#` or not:
/// the macro compares names without their `r#`.
fn spelling(rng: &mut Rng, name: &str) -> String {
    match respelt(name) {
        Some(other) if rng.percent(30) => other,
        _ => name.to_string(),
    }
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

/// The names of the methods that `#[chords]` generates for every object:
/// `waiting`, and `new` unless the block writes its own.
fn reserved(block: &Block) -> Vec<&'static str> {
    let mut names = vec!["waiting"];
    if !block.user_new() {
        names.push("new");
    }
    names
}

/// The names a channel's methods take: its own, and those the macro
/// generates for it.
fn method_names(channel: &Channel) -> Vec<String> {
    let mut names = vec![channel.name.clone()];
    names.extend(generated(channel));
    names
}

/// The names a channel's methods take besides its own.
fn generated(channel: &Channel) -> Vec<String> {
    let kind = if channel.sync {
        crate::ast::Kind::Sync
    } else {
        crate::ast::Kind::Async
    };
    crate::valid::generated_method_names(kind, false, plain(&channel.name))
}
