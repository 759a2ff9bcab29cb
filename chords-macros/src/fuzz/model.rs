//! Random `#[chords]` impl blocks, in the language of `docs/reference.md`:
//! a model of the macro's input. `generate` makes valid blocks, `render`
//! writes them out, and `body` writes their chords' bodies.
//!
//! Shared (std only) by the macro's fuzz tests in `chords-macros/src/fuzz/`,
//! which mutate valid blocks into invalid ones, and by `tests/macro_fuzz.rs`,
//! which compiles valid blocks beside the same joins built by hand.

use std::collections::BTreeMap;

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
pub const T_BOUNDS: &str = "Send + 'static + crate::values::Value + From<u64>";

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

/// Whether two names are one, `r#` or not.
pub fn same(a: &str, b: &str) -> bool {
    plain(a) == plain(b)
}

/// `name` spelt the other way, `r#` or not, where both spell an identifier
/// (a keyword has only its raw spelling).
pub fn respelt(name: &str) -> Option<String> {
    match name.strip_prefix("r#") {
        Some(bare)
            if bare.starts_with(['c', 'b', 'k'])
                && bare[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(bare.to_string())
        }
        Some(_) => None,
        None => Some(format!("r#{name}")),
    }
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
        self.channels().find(|c| same(&c.name, name))
    }

    /// Whether the block writes its own `new`.
    pub fn user_new(&self) -> bool {
        self.items
            .iter()
            .any(|item| matches!(&item.kind, ItemKind::Method(m) if same(&m.name, "new")))
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
        *needs.entry(plain(&term.channel)).or_default() += term.count();
    }
    needs
}

/// Whether every channel's count in `small` is at most its count in `big`.
pub fn contained(small: &BTreeMap<&str, u32>, big: &BTreeMap<&str, u32>) -> bool {
    small
        .iter()
        .all(|(channel, n)| big.get(channel).is_some_and(|m| m >= n))
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
