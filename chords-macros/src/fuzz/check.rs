//! Runs the macro in process on a block's source text, and reads its errors
//! back with where they point.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};

/// One `compile_error!` of the macro's output.
#[derive(Debug)]
pub struct Reported {
    pub message: String,
    /// The bytes of the source text it points at, from its first token to
    /// its last; `None` when it points at no token of the source (the call
    /// site, or generated code).
    pub at: Option<Range<usize>>,
}

/// Expands `#[chords(ARGS)] impl ..` as the compiler would: `chords2` gets
/// the attribute's arguments and the impl block, each token spanned at its
/// place in `text`. The output must be Rust items (errors included).
pub fn expand(text: &str) -> Result<Vec<Reported>, String> {
    let tokens: Vec<TokenTree> = TokenStream::from_str(text)
        .map_err(|e| format!("the source does not lex: {e}"))?
        .into_iter()
        .collect();
    let attr = match tokens.get(1) {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket => g.stream(),
        _ => return Err("the source does not start with `#[chords..]`".into()),
    };
    let args = match attr.into_iter().nth(1) {
        Some(TokenTree::Group(g)) => g.stream(),
        _ => TokenStream::new(),
    };
    let input: TokenStream = tokens[2..].iter().cloned().collect();
    let output = catch_unwind(AssertUnwindSafe(|| crate::chords2(args, input))).map_err(|p| {
        let text = chords_runtime::panic_message(&*p).unwrap_or_default();
        format!("the macro panicked: {text}")
    })?;
    if let Err(e) = syn::parse2::<syn::File>(output.clone()) {
        return Err(format!("the output is not Rust items ({e}):\n{output}"));
    }
    let mut errors = Vec::new();
    collect(output, &mut errors);
    Ok(errors)
}

/// Finds each `compile_error! { "message" }`, spanned as syn spans it: the
/// name at the error's first token, the braces at its last.
fn collect(stream: TokenStream, errors: &mut Vec<Reported>) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                let Some(TokenTree::Group(group)) = tokens.get(i + 2) else {
                    continue;
                };
                let message = syn::parse2::<syn::LitStr>(group.stream())
                    .map(|lit| lit.value())
                    .unwrap_or_else(|_| group.stream().to_string());
                errors.push(Reported {
                    message,
                    at: bytes(ident.span(), group.span()),
                });
            }
            TokenTree::Group(group) => collect(group.stream(), errors),
            _ => {}
        }
    }
}

/// The bytes from `start` to `end`, if both are tokens of the source.
fn bytes(start: Span, end: Span) -> Option<Range<usize>> {
    start.source_text()?;
    end.source_text()?;
    Some(start.byte_range().start..end.byte_range().end)
}

/// `line:column` of a byte of `text`, both from 1.
pub fn line_column(text: &str, byte: usize) -> String {
    let before = &text[..byte.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{column}")
}

/// `text` with line numbers, for messages.
pub fn listing(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| format!("{:>3} | {line}\n", i + 1))
        .collect()
}
