//! Random `#[chords]` impl blocks, in the language of `docs/reference.md`: a
//! model of the macro's input, a generator of valid blocks, and a renderer
//! to source text that records where each part of a block lands.
//!
//! Shared (std only) by the macro's fuzz tests in `chords-macros/src/fuzz/`,
//! which mutate valid blocks into invalid ones, and by `tests/macro_fuzz.rs`,
//! which compiles valid blocks beside the same joins built by hand. The
//! bodies of generated chords call `crate::driver::{mix, v}`, which the
//! compiled programs define.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::ops::Range;

use super::rng::Rng;

/// `#[chords(ARGS)] impl NAME { ITEMS }`.
#[derive(Clone, Debug)]
pub struct Block {
    pub name: String,
    /// The attribute's arguments: empty, `pub` or `pub(crate)` when valid.
    pub args: String,
    /// A type parameter `T` (`u64` when run), bounded on the impl's
    /// parameter list, or in a `where` clause.
    pub generic: Option<Bounds>,
    /// The impl's head, as mutations change it.
    pub head: Head,
    /// Channels, chords and other methods, in declaration order.
    pub items: Vec<Item>,
    /// The id the next new item gets.
    pub next_id: usize,
}

/// Where `impl<T> NAME<T>` bounds its type parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bounds {
    Inline,
    Where,
}

/// The bounds of `T`: what a message needs (`Send + 'static`), what a body
/// needs to mix it into its value, and to send one.
pub const T_BOUNDS: &str = "Send + 'static + crate::driver::Value + From<u64>";

/// What mutations change in `impl NAME`: all empty in a valid block.
#[derive(Clone, Debug, Default)]
pub struct Head {
    pub unsafety: bool,
    /// `impl TRAIT for NAME`.
    pub trait_for: Option<String>,
    /// Replaces what follows the self type's name (`<T>` or nothing), as
    /// `<u8>`.
    pub self_args: Option<String>,
}

/// An item of the impl block, with an id that stays when items are inserted.
#[derive(Clone, Debug)]
pub struct Item {
    pub id: usize,
    pub kind: ItemKind,
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    Channel(Channel),
    Chord(Chord),
    /// A method or constant that passes through unchanged.
    Method(Method),
}

/// `async fn name(&self, a: A);` or `fn name(&self, a: A) -> R;`
#[derive(Clone, Debug)]
pub struct Channel {
    pub name: String,
    pub sync: bool,
    pub params: Vec<Param>,
    /// `-> TYPE`, or `None` for no arrow.
    pub ret: Option<Ty>,
    /// `pub ` or `pub(crate) ` or empty.
    pub vis: String,
    pub doc: bool,
    /// Attributes before the declaration, as `#[inline]`.
    pub attrs: String,
    /// Text that mutations add or replace; valid by default.
    pub raw: ChannelRaw,
}

#[derive(Clone, Debug)]
pub struct ChannelRaw {
    /// An attribute before the declaration (`#[chord(..)]`).
    pub attr: String,
    /// A qualifier before `async` (`const `).
    pub before_async: String,
    /// A qualifier after `async` (`unsafe `, `extern "C" `).
    pub after_async: String,
    pub generics: String,
    /// `&self` when valid; empty for none.
    pub receiver: String,
    pub where_clause: String,
}

impl Default for ChannelRaw {
    fn default() -> Self {
        ChannelRaw {
            attr: String::new(),
            before_async: String::new(),
            after_async: String::new(),
            generics: String::new(),
            receiver: "&self".into(),
            where_clause: String::new(),
        }
    }
}

/// `name: ty`; a mutation may make `name` a pattern.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    U64,
    Unit,
    /// `(u64, ())`, a result.
    Pair,
    /// `std::num::Wrapping<u64>`: a type the macro cannot see is `Send`.
    Wrapping,
    /// `&'static str`, a parameter.
    Str,
    /// The impl's type parameter `T`, a parameter.
    T,
    /// Any text, as mutations write it.
    Raw(String),
}

impl Ty {
    pub fn text(&self) -> &str {
        match self {
            Ty::U64 => "u64",
            Ty::Unit => "()",
            Ty::Pair => "(u64, ())",
            Ty::Wrapping => "std::num::Wrapping<u64>",
            Ty::Str => "&'static str",
            Ty::T => "T",
            Ty::Raw(text) => text,
        }
    }

    pub fn is_unit(&self) -> bool {
        *self == Ty::Unit
    }
}

/// `#[chord(TERMS)] fn name(&self) -> RET { BODY }`
#[derive(Clone, Debug)]
pub struct Chord {
    pub name: String,
    pub has_self: bool,
    pub terms: Vec<Term>,
    /// The return type's text, or `None` for no arrow.
    pub ret: Option<String>,
    /// Doc comments and attributes before `#[chord(..)]`.
    pub attrs: String,
    /// The asynchronous channels the body sends a message to, through `&self`.
    pub sends: Vec<String>,
    /// Mixed into the body's value, so that chords answer differently.
    pub salt: u64,
    /// The body as the macro sees it, braces included.
    pub body: String,
    pub raw: ChordRaw,
}

/// Text that mutations add or replace in a chord; valid by default.
#[derive(Clone, Debug, Default)]
pub struct ChordRaw {
    /// Replaces `#[chord(TERMS)]`.
    pub attr: Option<String>,
    /// Replaces the pattern between `#[chord(` and `)]`; pieces marked `true`
    /// are the mistake.
    pub pattern: Option<Vec<(String, bool)>>,
    /// An attribute after `#[chord(..)]`.
    pub extra_attr: String,
    /// `async `, `const `, `unsafe `.
    pub qualifier: String,
    pub generics: String,
    /// Replaces `&self` (or its absence).
    pub receiver: Option<String>,
    /// A parameter after the receiver.
    pub extra_param: String,
}

/// `chan(x, _)` or `[chan(x, _); N]`.
#[derive(Clone, Debug)]
pub struct Term {
    pub channel: String,
    /// A binding (`x`, `mut x`, `r#x`), or `None` for `_`.
    pub bindings: Vec<Option<String>>,
    pub repeat: Option<u32>,
    /// Replaces the repeat count's text.
    pub count: Option<String>,
}

impl Term {
    pub fn count(&self) -> u32 {
        self.repeat.unwrap_or(1)
    }
}

/// The variable a binding names: `x` of `mut x`.
pub fn variable(binding: &str) -> &str {
    binding.strip_prefix("mut ").unwrap_or(binding)
}

/// A name without its `r#`, as the macro compares names and the runtime
/// shows them.
pub fn plain(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// An item that passes through: `BEFORE NAME AFTER`.
#[derive(Clone, Debug)]
pub struct Method {
    pub before: String,
    pub name: String,
    pub after: String,
}

impl Block {
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Channel(c) => Some(c),
            _ => None,
        })
    }

    pub fn chords(&self) -> impl Iterator<Item = &Chord> {
        self.items.iter().filter_map(|item| match &item.kind {
            ItemKind::Chord(c) => Some(c),
            _ => None,
        })
    }

    /// The first channel named `name`, as the macro looks channels up.
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels().find(|c| plain(&c.name) == plain(name))
    }

    /// Whether the block writes its own `new`.
    pub fn user_new(&self) -> bool {
        self.items
            .iter()
            .any(|item| matches!(&item.kind, ItemKind::Method(m) if m.name == "new"))
    }

    /// Inserts `kind` at `index`; returns its id.
    pub fn insert(&mut self, index: usize, kind: ItemKind) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        self.items.insert(index, Item { id, kind });
        id
    }

    /// The index of the item with `id`.
    pub fn index(&self, id: usize) -> usize {
        self.items
            .iter()
            .position(|item| item.id == id)
            .expect("an item of this block")
    }
}

/// The messages a pattern needs of each channel, by name.
pub fn needs(terms: &[Term]) -> BTreeMap<&str, u32> {
    let mut needs = BTreeMap::new();
    for term in terms {
        *needs.entry(term.channel.as_str()).or_default() += term.count();
    }
    needs
}

/// Whether every channel's count in `small` is at most its count in `big`.
pub fn contained(small: &BTreeMap<&str, u32>, big: &BTreeMap<&str, u32>) -> bool {
    small
        .iter()
        .all(|(channel, n)| big.get(channel).is_some_and(|m| m >= n))
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Blocks whose single-threaded histories are deterministic (for
    /// `tests/macro_fuzz.rs`): a chord with no synchronous term shares no
    /// channel with one that has some (its body runs on the executor, so the
    /// messages it takes could otherwise race with the next step's), and a
    /// body sends at most one message (two could fire two chords that race
    /// for one channel's messages), and only from a chord with a
    /// synchronous term.
    pub runnable: bool,
}

/// A valid block named `name`: 1 to 6 channels, 1 to 6 chords.
pub fn generate(rng: &mut Rng, name: &str, profile: Profile) -> Block {
    loop {
        if let Some(block) = try_generate(rng, name, profile) {
            return block;
        }
    }
}

/// A channel's group: the chords it may be in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    /// Any chord.
    Any,
    /// Chords with a synchronous term (a runnable profile's synchronous
    /// channels and the asynchronous channels they share).
    Answered,
    /// Chords without one (a runnable profile's other asynchronous channels).
    Quiet,
}

struct Draft {
    group: Group,
    terms: Vec<Term>,
}

fn try_generate(rng: &mut Rng, name: &str, profile: Profile) -> Option<Block> {
    let generic = match rng.below(8) {
        0 => Some(Bounds::Inline),
        1 => Some(Bounds::Where),
        _ => None,
    };
    let mut channels: Vec<(Channel, Group)> = (0..rng.between(1, 6))
        .map(|i| {
            let sync = rng.percent(45);
            // Parameter names as the generated `_timeout` and `_deadline`
            // methods name their own last parameter, sometimes.
            let mut names = vec!["timeout", "deadline", "call_timeout"];
            let params = (0..*rng.pick(&[0, 1, 1, 1, 2, 2, 3]))
                .map(|j| Param {
                    name: if rng.percent(10) {
                        names.remove(rng.below(names.len())).to_string()
                    } else {
                        format!("p{j}")
                    },
                    ty: match rng.pick(&[
                        Ty::U64,
                        Ty::U64,
                        Ty::U64,
                        Ty::U64,
                        Ty::Unit,
                        Ty::Unit,
                        Ty::Wrapping,
                        Ty::Str,
                        Ty::T,
                    ]) {
                        Ty::T if generic.is_none() => Ty::U64,
                        ty => ty.clone(),
                    },
                })
                .collect();
            let ret = if sync {
                rng.pick(&[
                    None,
                    Some(Ty::Unit),
                    Some(Ty::U64),
                    Some(Ty::U64),
                    Some(Ty::Pair),
                    Some(Ty::Wrapping),
                ])
                .clone()
            } else {
                None
            };
            // Raw identifiers, keywords among them, sometimes.
            const KEYWORDS: &[&str] = &["r#type", "r#loop", "r#match", "r#move", "r#in", "r#ref"];
            let name = match rng.below(100) {
                0..8 => KEYWORDS[i].to_string(),
                8..12 => format!("r#c{i}"),
                _ => format!("c{i}"),
            };
            let channel = Channel {
                name,
                sync,
                params,
                ret,
                vis: rng
                    .pick(&["", "", "pub ", "pub(crate) ", "pub(super) "])
                    .to_string(),
                doc: rng.percent(30),
                attrs: match rng.below(10) {
                    0 => "#[inline]\n    ".into(),
                    1 if sync => "#[must_use]\n    ".into(),
                    _ => String::new(),
                },
                raw: ChannelRaw::default(),
            };
            (channel, Group::Any)
        })
        .collect();
    if profile.runnable {
        // Mostly objects with calls to answer.
        if !channels.iter().any(|(c, _)| c.sync) && rng.percent(80) {
            let first = &mut channels[0].0;
            first.sync = true;
            first.ret = Some(Ty::U64);
        }
        let any_sync = channels.iter().any(|(c, _)| c.sync);
        for (channel, group) in &mut channels {
            *group = if channel.sync || (any_sync && rng.percent(70)) {
                Group::Answered
            } else {
                Group::Quiet
            };
        }
    }
    let pool = |group: Group| -> Vec<usize> {
        (0..channels.len())
            .filter(|&i| group == Group::Any || channels[i].1 == group)
            .collect()
    };
    let groups: Vec<Group> = if profile.runnable {
        [Group::Answered, Group::Quiet]
            .into_iter()
            .filter(|g| !pool(*g).is_empty())
            .collect()
    } else {
        vec![Group::Any]
    };
    let mut drafts: Vec<Draft> = (0..rng.between(1, 6))
        .map(|_| {
            let group = *rng.pick(&groups);
            let pool = pool(group);
            let len = if rng.percent(5) {
                rng.between(5, 8)
            } else {
                rng.between(1, 4)
            };
            let terms = (0..len)
                .map(|_| {
                    let c = *rng.pick(&pool);
                    term(rng, &channels[c].0)
                })
                .collect();
            Draft { group, terms }
        })
        .collect();
    // A chord of the answered group has a synchronous term.
    let syncs: Vec<usize> = (0..channels.len())
        .filter(|&i| channels[i].0.sync)
        .collect();
    for draft in &mut drafts {
        let has_sync = draft
            .terms
            .iter()
            .any(|t| channels.iter().any(|(c, _)| c.name == t.channel && c.sync));
        if draft.group == Group::Answered && !has_sync {
            let at = rng.below(draft.terms.len());
            let c = *rng.pick(&syncs);
            draft.terms[at] = term(rng, &channels[c].0);
        }
    }
    // Every channel in some chord of its group.
    for (channel, group) in &channels {
        if drafts
            .iter()
            .any(|d| d.terms.iter().any(|t| t.channel == channel.name))
        {
            continue;
        }
        let fits: Vec<usize> = (0..drafts.len())
            .filter(|&d| {
                (drafts[d].group == *group || *group == Group::Any) && drafts[d].terms.len() < 12
            })
            .collect();
        if fits.is_empty() {
            return None;
        }
        let d = *rng.pick(&fits);
        let at = rng.below(drafts[d].terms.len() + 1);
        drafts[d].terms.insert(at, term(rng, channel));
    }
    let drafts = priority_order(drafts)?;

    let mut block = Block {
        name: name.to_string(),
        args: rng
            .pick(&["", "", "pub", "pub(crate)", "pub(super)"])
            .to_string(),
        generic,
        head: Head::default(),
        items: Vec::new(),
        next_id: 0,
    };
    let channels: Vec<Channel> = channels.into_iter().map(|(c, _)| c).collect();
    let chords: Vec<Chord> = drafts
        .into_iter()
        .enumerate()
        .map(|(k, draft)| chord(rng, &channels, k, draft.terms, profile))
        .collect();
    // Channels first, or (sometimes) interleaved with the chords.
    let mut kinds: Vec<ItemKind> = Vec::new();
    let (mut channels, mut chords) = (channels.into_iter(), chords.into_iter());
    let interleave = rng.percent(25);
    loop {
        let next = if interleave && rng.percent(50) {
            chords.next().map(ItemKind::Chord)
        } else {
            None
        };
        match next
            .or_else(|| channels.next().map(ItemKind::Channel))
            .or_else(|| chords.next().map(ItemKind::Chord))
        {
            Some(kind) => kinds.push(kind),
            None => break,
        }
    }
    if rng.percent(15) {
        let at = rng.below(kinds.len() + 1);
        kinds.insert(
            at,
            ItemKind::Method(Method {
                before: format!("{}fn ", block.args_vis()),
                name: "new".into(),
                after: "() -> Self { Self::default() }".into(),
            }),
        );
    }
    if rng.percent(20) {
        let at = rng.below(kinds.len() + 1);
        kinds.insert(
            at,
            ItemKind::Method(Method {
                before: "fn ".into(),
                name: "m0".into(),
                after: "(&self) -> u64 { 7 }".into(),
            }),
        );
    }
    for kind in kinds {
        let at = block.items.len();
        block.insert(at, kind);
    }
    Some(block)
}

impl Block {
    /// The attribute's visibility with a space, for a user `new`.
    fn args_vis(&self) -> String {
        if self.args.is_empty() {
            String::new()
        } else {
            format!("{} ", self.args)
        }
    }
}

/// A term of `channel`, sometimes repeated, binding each parameter to a
/// fresh name or `_`.
fn term(rng: &mut Rng, channel: &Channel) -> Term {
    Term {
        channel: channel.name.clone(),
        bindings: channel
            .params
            .iter()
            .map(|_| rng.percent(75).then(String::new))
            .collect(),
        repeat: rng.percent(20).then(|| rng.between(2, 3) as u32),
        count: None,
    }
}

/// The drafts in an order where no chord's pattern contains an earlier
/// one's (docs/reference.md, "Priority"): repeatedly the first draft that no
/// other remaining draft strictly contains. `None` if two patterns are equal.
fn priority_order(mut drafts: Vec<Draft>) -> Option<Vec<Draft>> {
    for (i, a) in drafts.iter().enumerate() {
        if drafts[..i]
            .iter()
            .any(|b| needs(&a.terms) == needs(&b.terms))
        {
            return None;
        }
    }
    let mut ordered = Vec::new();
    while !drafts.is_empty() {
        let first = (0..drafts.len())
            .find(|&i| {
                let mine = needs(&drafts[i].terms);
                !drafts.iter().any(|other| {
                    contained(&mine, &needs(&other.terms)) && needs(&other.terms) != mine
                })
            })
            .expect("a finite partial order has a maximal element");
        ordered.push(drafts.remove(first));
    }
    Some(ordered)
}

/// The chord `k{k}` over `terms`: names its bindings, and picks its return
/// type, its sends and its body.
fn chord(
    rng: &mut Rng,
    channels: &[Channel],
    k: usize,
    mut terms: Vec<Term>,
    profile: Profile,
) -> Chord {
    let mut names = 0;
    for term in &mut terms {
        for binding in term.bindings.iter_mut().flatten() {
            let raw = if rng.percent(5) { "r#" } else { "" };
            let mutability = if rng.percent(10) { "mut " } else { "" };
            *binding = format!("{mutability}{raw}b{names}");
            names += 1;
        }
    }
    let find = |name: &str| channels.iter().find(|c| c.name == name).expect("declared");
    let sync: Vec<(&Channel, Option<u32>)> = terms
        .iter()
        .map(|t| (find(&t.channel), t.repeat))
        .filter(|(c, _)| c.sync)
        .collect();
    let expected = result_type(&sync);
    let all_unit = sync.iter().all(|(c, _)| result_of(c).is_unit());
    // A body that answers only `()` needs no return type; sometimes it
    // writes one anyway.
    let ret = if all_unit {
        rng.percent(15).then_some(expected)
    } else {
        Some(expected)
    };
    let asyncs: Vec<&Channel> = channels.iter().filter(|c| !c.sync).collect();
    let sends: Vec<String> = if asyncs.is_empty() {
        Vec::new()
    } else if profile.runnable {
        if !sync.is_empty() && rng.percent(40) {
            vec![rng.pick(&asyncs).name.clone()]
        } else {
            Vec::new()
        }
    } else {
        (0..*rng.pick(&[0, 0, 1, 2]))
            .map(|_| rng.pick(&asyncs).name.clone())
            .collect()
    };
    let attrs = match rng.below(10) {
        0 | 1 => format!("/// The chord `k{k}`.\n    "),
        2 => "#[inline]\n    ".to_string(),
        _ => String::new(),
    };
    let mut chord = Chord {
        name: format!("k{k}"),
        attrs,
        has_self: !sends.is_empty() || rng.percent(30),
        terms,
        ret,
        sends,
        salt: rng.below(1000) as u64,
        body: String::new(),
        raw: ChordRaw::default(),
    };
    let body = body_code(channels, &chord, "T", &|channel, args| {
        format!("self.{channel}({})", args.join(", "))
    });
    chord.body = match &chord.ret {
        Some(_) => format!("{{\n{}        {}\n    }}", body.statements, body.value),
        None => format!("{{\n{}    }}", body.statements),
    };
    chord
}

/// The result of a synchronous channel.
pub fn result_of(channel: &Channel) -> Ty {
    channel.ret.clone().unwrap_or(Ty::Unit)
}

/// What a body returns for its synchronous terms (docs/reference.md, "Where
/// the result goes"): `()` for none, the one term's result (`[R; N]` when
/// repeated), or a tuple of them.
pub fn result_type(sync: &[(&Channel, Option<u32>)]) -> String {
    let element = |(channel, repeat): &(&Channel, Option<u32>)| {
        let ty = result_of(channel);
        match repeat {
            Some(n) => format!("[{}; {n}]", ty.text()),
            None => ty.text().to_string(),
        }
    };
    match sync {
        [] => "()".into(),
        [one] => element(one),
        many => format!(
            "({})",
            many.iter().map(element).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A body's code: statements (each line indented and ended), and its value
/// for the synchronous terms.
pub struct BodyCode {
    pub statements: String,
    pub value: String,
}

/// The body of `chord`: a value mixed from all its bindings and its salt,
/// the sends (written by `send(channel, args)`), and one result per
/// synchronous term derived from that value. `t` is the block's type
/// parameter (`T`, or `u64` in the join built by hand).
pub fn body_code(
    channels: &[Channel],
    chord: &Chord,
    t: &str,
    send: &dyn Fn(&str, &[String]) -> String,
) -> BodyCode {
    let find = |name: &str| channels.iter().find(|c| c.name == name).expect("declared");
    let parts: Vec<String> = chord
        .terms
        .iter()
        .flat_map(|t| t.bindings.iter().flatten())
        .map(|b| format!("crate::driver::v(&{})", variable(b)))
        .collect();
    let mut statements = format!(
        "        let __v: u64 = crate::driver::mix(&[{}]).wrapping_add({});\n",
        parts.join(", "),
        chord.salt
    );
    for (i, channel) in chord.sends.iter().enumerate() {
        let args: Vec<String> = find(channel)
            .params
            .iter()
            .map(|p| {
                let n = format!("(__v + {i}) % 97");
                match p.ty {
                    Ty::Unit => "()".to_string(),
                    Ty::T => format!("<{t}>::from({n})"),
                    _ => value(&p.ty, &n),
                }
            })
            .collect();
        let _ = writeln!(statements, "        {};", send(channel, &args));
    }
    let mut elements = Vec::new();
    for term in &chord.terms {
        let channel = find(&term.channel);
        if !channel.sync {
            continue;
        }
        let i = elements.len() as u64 * 10;
        let one = |r: u64| value(&result_of(channel), &format!("__v.wrapping_add({})", i + r));
        elements.push(match term.repeat {
            Some(n) => format!(
                "[{}]",
                (0..u64::from(n)).map(one).collect::<Vec<_>>().join(", ")
            ),
            None => one(0),
        });
    }
    let value = match elements.as_slice() {
        [] => {
            statements.push_str("        let _ = __v;\n");
            "()".to_string()
        }
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    };
    BodyCode { statements, value }
}

/// A value of type `ty` made from the `u64` expression `n` (`ty` not `T`).
pub fn value(ty: &Ty, n: &str) -> String {
    match ty {
        Ty::Unit => "()".to_string(),
        Ty::Pair => format!("({n}, ())"),
        Ty::Wrapping => format!("std::num::Wrapping({n})"),
        Ty::Str => format!("crate::driver::word({n})"),
        _ => n.to_string(),
    }
}

/// Where a part of the block is in its source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Loc {
    /// The attribute's arguments, between `#[chords(` and `)]`.
    Args,
    Unsafe,
    /// The trait of `impl TRAIT for NAME`.
    Trait,
    /// The self type, `NAME<ARGS>`.
    SelfTy,
    /// A part of the item with this id.
    Item(usize, Part),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// The whole item.
    Whole,
    Name,
    /// A channel's added attribute, or a chord's `#[chord(..)]`.
    Attr,
    /// A chord's second attribute.
    ExtraAttr,
    Qualifier,
    Generics,
    Receiver,
    /// The parenthesized parameters.
    Params,
    /// `name: ty` of a channel's parameter.
    Param(usize),
    ParamPat(usize),
    ParamTy(usize),
    /// A chord's added parameter.
    ExtraParam,
    /// `-> TYPE`.
    Ret,
    Where,
    /// The piece of a raw pattern marked as the mistake.
    Bad,
    Term(usize),
    TermChannel(usize),
    /// The parenthesized bindings of a term.
    TermParens(usize),
    Binding(usize, usize),
    Count(usize),
}

/// A block's source text, and where each part of it is.
pub struct Source {
    pub text: String,
    marks: Vec<(Loc, Range<usize>)>,
}

impl Source {
    /// The bytes of `loc`, if the text has it.
    pub fn range(&self, loc: &Loc) -> Option<Range<usize>> {
        self.marks
            .iter()
            .find(|(l, _)| l == loc)
            .map(|(_, r)| r.clone())
    }
}

/// Text being written, with the parts marked.
struct Writer {
    text: String,
    marks: Vec<(Loc, Range<usize>)>,
}

impl Writer {
    fn put(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Writes what `f` writes, and marks it as `loc` (trimmed of spaces).
    fn mark(&mut self, loc: Loc, f: impl FnOnce(&mut Self)) {
        let start = self.text.len();
        f(self);
        let written = &self.text[start..];
        let lead = written.len() - written.trim_start().len();
        let end = start + written.trim_end().len();
        self.marks.push((loc, (start + lead).min(end)..end));
    }
}

/// The block's source text, `#[chords(..)]` included.
pub fn render(block: &Block) -> Source {
    let mut w = Writer {
        text: String::new(),
        marks: Vec::new(),
    };
    if block.args.is_empty() {
        w.put("#[chords]\n");
    } else {
        w.put("#[chords(");
        w.mark(Loc::Args, |w| w.put(&block.args));
        w.put(")]\n");
    }
    if block.head.unsafety {
        w.mark(Loc::Unsafe, |w| w.put("unsafe"));
        w.put(" ");
    }
    w.put("impl");
    if block.generic == Some(Bounds::Inline) {
        w.put(&format!("<T: {T_BOUNDS}>"));
    } else if block.generic.is_some() {
        w.put("<T>");
    }
    w.put(" ");
    if let Some(t) = &block.head.trait_for {
        w.mark(Loc::Trait, |w| w.put(t));
        w.put(" for ");
    }
    w.mark(Loc::SelfTy, |w| {
        w.put(&block.name);
        match &block.head.self_args {
            Some(args) => w.put(args),
            None if block.generic.is_some() => w.put("<T>"),
            None => {}
        }
    });
    if block.generic == Some(Bounds::Where) {
        w.put(&format!("\nwhere\n    T: {T_BOUNDS},\n"));
    }
    w.put(" {\n");
    for item in &block.items {
        w.mark(Loc::Item(item.id, Part::Whole), |w| match &item.kind {
            ItemKind::Channel(c) => render_channel(w, item.id, c),
            ItemKind::Chord(c) => render_chord(w, item.id, c),
            ItemKind::Method(m) => {
                w.put("    ");
                w.put(&m.before);
                w.mark(Loc::Item(item.id, Part::Name), |w| w.put(&m.name));
                w.put(&m.after);
                w.put("\n");
            }
        });
    }
    w.put("}\n");
    Source {
        text: w.text,
        marks: w.marks,
    }
}

fn render_channel(w: &mut Writer, id: usize, c: &Channel) {
    let at = |part| Loc::Item(id, part);
    if c.doc {
        let _ = writeln!(w.text, "    /// The channel `{}`.", c.name);
    }
    w.put("    ");
    w.put(&c.attrs);
    if !c.raw.attr.is_empty() {
        w.mark(at(Part::Attr), |w| w.put(&c.raw.attr));
        w.put(" ");
    }
    w.put(&c.vis);
    w.mark(at(Part::Qualifier), |w| {
        w.put(&c.raw.before_async);
        if !c.sync {
            w.put("async ");
        }
        w.put(&c.raw.after_async);
    });
    w.put("fn ");
    w.mark(at(Part::Name), |w| w.put(&c.name));
    w.mark(at(Part::Generics), |w| w.put(&c.raw.generics));
    w.mark(at(Part::Params), |w| {
        w.put("(");
        w.mark(at(Part::Receiver), |w| w.put(&c.raw.receiver));
        for (i, p) in c.params.iter().enumerate() {
            if i > 0 || !c.raw.receiver.is_empty() {
                w.put(", ");
            }
            w.mark(at(Part::Param(i)), |w| {
                w.mark(at(Part::ParamPat(i)), |w| w.put(&p.name));
                w.put(": ");
                w.mark(at(Part::ParamTy(i)), |w| w.put(p.ty.text()));
            });
        }
        w.put(")");
    });
    if let Some(ret) = &c.ret {
        w.put(" ");
        w.mark(at(Part::Ret), |w| {
            w.put("-> ");
            w.put(ret.text());
        });
    }
    if !c.raw.where_clause.is_empty() {
        w.put(" ");
        w.mark(at(Part::Where), |w| w.put(&c.raw.where_clause));
    }
    w.put(";\n");
}

/// A pattern's text as the renderer writes it.
pub fn pattern_text(terms: &[Term]) -> String {
    pattern_source(terms).text
}

/// A pattern's text, its parts marked as those of the item with id 0.
pub fn pattern_source(terms: &[Term]) -> Source {
    let mut w = Writer {
        text: String::new(),
        marks: Vec::new(),
    };
    render_terms(&mut w, 0, terms);
    Source {
        text: w.text,
        marks: w.marks,
    }
}

fn render_terms(w: &mut Writer, id: usize, terms: &[Term]) {
    let at = |part| Loc::Item(id, part);
    for (t, term) in terms.iter().enumerate() {
        if t > 0 {
            w.put(" & ");
        }
        w.mark(at(Part::Term(t)), |w| {
            let repeated = term.repeat.is_some() || term.count.is_some();
            if repeated {
                w.put("[");
            }
            w.mark(at(Part::TermChannel(t)), |w| w.put(&term.channel));
            w.mark(at(Part::TermParens(t)), |w| {
                w.put("(");
                for (b, binding) in term.bindings.iter().enumerate() {
                    if b > 0 {
                        w.put(", ");
                    }
                    w.mark(at(Part::Binding(t, b)), |w| {
                        w.put(binding.as_deref().unwrap_or("_"));
                    });
                }
                w.put(")");
            });
            if repeated {
                w.put("; ");
                w.mark(at(Part::Count(t)), |w| match &term.count {
                    Some(text) => w.put(text),
                    None => w.put(&term.count().to_string()),
                });
                w.put("]");
            }
        });
    }
}

fn render_chord(w: &mut Writer, id: usize, c: &Chord) {
    let at = |part| Loc::Item(id, part);
    w.put("    ");
    w.put(&c.attrs);
    w.mark(at(Part::Attr), |w| match &c.raw.attr {
        Some(attr) => w.put(attr),
        None => {
            w.put("#[chord(");
            match &c.raw.pattern {
                Some(pieces) => {
                    for (text, bad) in pieces {
                        if *bad {
                            w.mark(at(Part::Bad), |w| w.put(text));
                        } else {
                            w.put(text);
                        }
                    }
                }
                None => render_terms(w, id, &c.terms),
            }
            w.put(")]");
        }
    });
    w.put("\n    ");
    if !c.raw.extra_attr.is_empty() {
        w.mark(at(Part::ExtraAttr), |w| w.put(&c.raw.extra_attr));
        w.put("\n    ");
    }
    w.mark(at(Part::Qualifier), |w| w.put(&c.raw.qualifier));
    w.put("fn ");
    w.mark(at(Part::Name), |w| w.put(&c.name));
    w.mark(at(Part::Generics), |w| w.put(&c.raw.generics));
    w.mark(at(Part::Params), |w| {
        w.put("(");
        let receiver = match &c.raw.receiver {
            Some(r) => r.as_str(),
            None if c.has_self => "&self",
            None => "",
        };
        w.mark(at(Part::Receiver), |w| w.put(receiver));
        if !c.raw.extra_param.is_empty() {
            if !receiver.is_empty() {
                w.put(", ");
            }
            w.mark(at(Part::ExtraParam), |w| w.put(&c.raw.extra_param));
        }
        w.put(")");
    });
    if let Some(ret) = &c.ret {
        w.put(" ");
        w.mark(at(Part::Ret), |w| {
            w.put("-> ");
            w.put(ret);
        });
    }
    w.put(" ");
    w.put(&c.body);
    w.put("\n");
}
