//! Procedural macros for [chords](https://docs.rs/chords): the `#[chords]`
//! attribute, which turns an impl block of channel declarations and chord
//! bodies into a struct backed by the chords runtime.
//!
//! The work is split in three, in the manner of dtolnay's macro crates:
//! [`ast`] parses the attribute and the impl block into a small typed model,
//! [`valid`] checks it, and [`expand`] generates code. Every mistake found is
//! reported at the user's tokens, all of them in one go; on error the macro
//! still emits a stub of the struct and its methods so that only the real
//! errors show. Use the macro through the `chords` crate, which documents it.

mod ast;
mod expand;
mod valid;

use proc_macro::TokenStream;
use proc_macro2::{Punct, Spacing, Span, TokenTree};
use quote::ToTokens;

/// Declares a chord object: see the `chords` crate's documentation.
#[proc_macro_attribute]
pub fn chords(args: TokenStream, input: TokenStream) -> TokenStream {
    chords2(args.into(), input.into()).into()
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
    let vis = ast::parse_args(args, &mut errors);
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
    let Some(model) = ast::Input::from_syn(vis, item, &mut errors) else {
        return errors.into_compile_errors();
    };
    valid::check(&model, &mut errors);
    if errors.is_empty() {
        expand::expand(&model)
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
