//! Blocks with random token edits, for the properties that hold whatever
//! the input: the macro does not panic, outputs Rust items, and points each
//! error at the user's tokens.

use std::ops::Range;
use std::str::FromStr;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use super::rng::Rng;

/// What may take a token's place.
const WORDS: &[&str] = &[
    "_", "&", "&&", "self", "Self", "mut", "async", "fn", "const", "pub", "impl", ";", ",", ":",
    "::", "0", "2u8", "x", "r#x", "#", "->", "<", ">", "=", "'a", "\"s\"", "chord", "new",
    "waiting",
];

/// `text` with 1 to 3 tokens after its `#[chords..]` deleted, doubled or
/// replaced; `None` if that is not an item (the compiler parses the item an
/// attribute is on before it calls the attribute).
pub fn edit(rng: &mut Rng, text: &str) -> Option<String> {
    let mut text = text.to_string();
    for _ in 0..rng.between(1, 3) {
        let leaves = leaves(&text)?;
        let at = rng.pick(&leaves).clone();
        let token = text[at.clone()].to_string();
        let with = match rng.below(3) {
            0 => String::new(),
            1 => format!("{token} {token}"),
            _ => rng.pick(WORDS).to_string(),
        };
        text.replace_range(at, &with);
    }
    let item: TokenStream = TokenStream::from_str(&text)
        .ok()?
        .into_iter()
        .skip(2)
        .collect();
    syn::parse2::<syn::Item>(item).ok().map(|_| text)
}

/// The bytes of each identifier, punctuation and literal of `text` after
/// its first two token trees (`#` and `[chords..]`), but those in the
/// bodies of methods and chords (where an edit seldom leaves an item);
/// `None` if it does not lex.
fn leaves(text: &str) -> Option<Vec<Range<usize>>> {
    /// `in_impl`: inside the impl's braces, where braces hold bodies.
    fn walk(stream: TokenStream, in_impl: bool, out: &mut Vec<Range<usize>>) {
        for tree in stream {
            match tree {
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                    if !in_impl {
                        walk(g.stream(), true, out);
                    }
                }
                TokenTree::Group(g) => walk(g.stream(), in_impl, out),
                leaf => out.push(leaf.span().byte_range()),
            }
        }
    }
    let mut out = Vec::new();
    let stream = TokenStream::from_str(text).ok()?;
    walk(stream.into_iter().skip(2).collect(), false, &mut out);
    (!out.is_empty()).then_some(out)
}
