//! Procedural macros for [chords](https://docs.rs/join-chords): the `#[chords]`
//! attribute, which turns an impl block of channel declarations and chord
//! bodies into a struct backed by the chords runtime.
//!
//! The work is split in three, in the manner of dtolnay's macro crates:
//! `ast` parses the attribute and the impl block into a small typed model,
//! `valid` checks it, and `expand` generates code. Every mistake found is
//! reported at the user's tokens, all of them in one go; on error the macro
//! still emits a stub of the struct and its methods so that only the real
//! errors show. Use the macro through the `chords` crate, which documents it.
//!
//! Beside them: `paths` counts a body's sends on each way out, for `bodies`,
//! the checks that read bodies (state channels, livelocks); `route` and
//! `keyed` turn value patterns, guards and keys into hidden sub-channels
//! and per-key objects; `searched` hands the other guards across terms to
//! the runtime's search; `select` is `select!`.

mod ast;
mod bodies;
mod expand;
#[cfg(test)]
mod fuzz;
mod keyed;
mod paths;
mod route;
mod searched;
mod select;
mod valid;

use proc_macro::TokenStream;
use proc_macro2::{Punct, Spacing, Span, TokenTree};
use quote::ToTokens;

/// Declares a chord object: see the `chords` crate's documentation.
#[proc_macro_attribute]
pub fn chords(args: TokenStream, input: TokenStream) -> TokenStream {
    chords2(args.into(), input.into()).into()
}

/// Waits for whichever of several synchronous calls, on any chord objects,
/// can fire first, and fires only it: see the `chords` crate's
/// documentation.
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    select_with(input, select::Mode::Blocking)
}

/// `select!` for an async task: a future to await; see the `chords` crate's
/// documentation.
#[proc_macro]
pub fn select_async(input: TokenStream) -> TokenStream {
    select_with(input, select::Mode::Async)
}

fn select_with(input: TokenStream, mode: select::Mode) -> TokenStream {
    match syn::parse::<select::Select>(input) {
        Ok(select) => select.expand(mode).into(),
        Err(errors) => {
            // A block, so that several errors stand where an expression does.
            let errors = errors.to_compile_error();
            quote::quote!({ #errors }).into()
        }
    }
}

/// Marks a chord body inside a `#[chords]` impl block.
///
/// `#[chords]` reads and removes these attributes itself; this one only runs
/// when a `#[chord]` is outside any `#[chords]` block, and reports that.
#[proc_macro_attribute]
pub fn chord(_args: TokenStream, input: TokenStream) -> TokenStream {
    let mut out = proc_macro2::TokenStream::from(input);
    out.extend(
        syn::Error::new(
            Span::call_site(),
            "`#[chord]` works only inside a `#[chords]` impl block: \
             add `#[chords]` (from `use chords::chords;`) on the enclosing `impl`",
        )
        .into_compile_error(),
    );
    out.into()
}

fn chords2(
    args: proc_macro2::TokenStream,
    input: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let mut errors = Errors::default();
    let args = ast::parse_args(args, &mut errors);
    let item = match syn::parse2::<syn::Item>(input.clone()) {
        Ok(syn::Item::Impl(item)) => item,
        Ok(other) => {
            errors.push(syn::Error::new_spanned(
                leading(&other),
                "`#[chords]` goes on an impl block: `#[chords] impl Name { ... }`, \
                 with channel declarations and chord bodies inside",
            ));
            let mut out = input;
            out.extend(errors.into_compile_errors());
            return out;
        }
        Err(e) => {
            errors.push(e);
            return errors.into_compile_errors();
        }
    };
    let Some(model) = ast::Input::from_syn(args, item, &mut errors) else {
        return errors.into_compile_errors();
    };
    let routes = valid::check(&model, &mut errors);
    if errors.is_empty() {
        expand::expand(&model, &routes)
    } else {
        let mut out = expand::stub(&model);
        out.extend(errors.into_compile_errors());
        out
    }
}

/// The first tokens of an item, up to its name, for errors about the item.
fn leading(item: &syn::Item) -> proc_macro2::TokenStream {
    let tokens = item.to_token_stream();
    tokens.into_iter().take(3).collect()
}

/// The errors found so far, combined into one `syn::Error`.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    fn into_compile_errors(self) -> proc_macro2::TokenStream {
        self.0
            .map(syn::Error::into_compile_error)
            .unwrap_or_default()
    }
}

/// An error spanning from `start` to `end` (syn spans an error by its first
/// and last token).
pub(crate) fn error_range(start: Span, end: Span, message: impl std::fmt::Display) -> syn::Error {
    let mut first = Punct::new('<', Spacing::Alone);
    first.set_span(start);
    let mut last = Punct::new('>', Spacing::Alone);
    last.set_span(end);
    let tokens: proc_macro2::TokenStream = [TokenTree::Punct(first), TokenTree::Punct(last)]
        .into_iter()
        .collect();
    syn::Error::new_spanned(tokens, message)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proc_macro2::TokenStream;

    use super::chords2;

    /// Inputs written with a space between tokens, so that removing or
    /// changing one word removes or changes one token.
    const SAMPLES: &[(&str, &str)] = &[
        (
            "pub",
            "/// Docs. \n impl < T : Send + 'static > Buffer < T > where T : Clone { \
             pub async fn put ( & self , item : T ) ; \
             pub fn get ( & self ) -> T ; \
             fn pair ( & self , a : u8 , b : u8 ) -> ( u8 , u8 ) ; \
             # [ chord ( get ( ) & put ( item ) ) ] fn deliver ( & self ) -> T { item } \
             # [ chord ( pair ( a , _ ) & [ put ( xs ) ; 2 ] ) ] fn two ( ) -> ( u8 , u8 ) { ( a , 0 ) } \
             fn new ( ) -> Self { Self :: default ( ) } }",
        ),
        (
            "",
            "impl Cell { fn swap ( & self , v : i32 ) -> i32 ; async fn s ( & self ) ; \
             # [ chord ( [ swap ( vs ) ; 2 ] & s ( ) ) ] fn swapped ( & self ) -> [ i32 ; 2 ] \
             { [ vs [ 1 ] , vs [ 0 ] ] } }",
        ),
    ];

    const REPLACEMENTS: &[&str] = &[
        "_", "&", "self", "mut", "async", "fn", ";", ",", "0", "x", "(", ")", "[", "]", "#",
    ];

    /// Runs the macro; its output must be Rust items, whatever the input.
    fn run(args: &str, input: &str) -> Option<String> {
        let args = TokenStream::from_str(args).ok()?;
        let input = TokenStream::from_str(input).ok()?;
        let out = chords2(args, input.clone());
        if let Err(e) = syn::parse2::<syn::File>(out.clone()) {
            panic!("output is not Rust items ({e}) for input {input}:\n{out}");
        }
        Some(out.to_string())
    }

    #[test]
    fn samples_expand_without_errors() {
        for (args, input) in SAMPLES {
            let out = run(args, input).expect("the sample lexes");
            assert!(!out.contains("compile_error"), "{out}");
        }
    }

    /// No input makes the macro panic: every sample with one word removed,
    /// doubled or replaced expands to items (errors included).
    #[test]
    fn mutated_inputs_never_panic() {
        let mut runs = 0;
        for (args, input) in SAMPLES {
            let words: Vec<&str> = input.split(' ').collect();
            for i in 0..words.len() {
                let mut variants = Vec::new();
                let mut removed = words.clone();
                removed.remove(i);
                variants.push(removed);
                let mut doubled = words.clone();
                doubled.insert(i, words[i]);
                variants.push(doubled);
                for r in REPLACEMENTS {
                    let mut replaced = words.clone();
                    replaced[i] = r;
                    variants.push(replaced);
                }
                for variant in variants {
                    runs += usize::from(run(args, &variant.join(" ")).is_some());
                }
            }
            for bad_args in [
                "pub ( crate )",
                "pub ( super )",
                "crate",
                "x",
                "pub pub",
                "=",
                "pub ,",
            ] {
                run(bad_args, input);
            }
        }
        assert!(runs > 500, "only {runs} variants lexed");
    }

    #[test]
    fn errors_are_compile_errors_beside_a_stub() {
        let out = run("", "impl B { async fn put ( & self , x : u8 ) -> u8 ; }").unwrap();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("struct B"), "the stub keeps the struct: {out}");
        assert!(out.contains("fn put"), "the stub keeps the channel: {out}");
    }
}
