//! `select!` and `select_async!`: parses their arms, checks them, and
//! expands them into a `chords::choose` over the branches' `_op` forms,
//! made with `.wait()` (or `.try_now()`, `.wait_timeout(..)` for a default
//! branch), or `.await` for `select_async!`.
//!
//! ```text
//! select! {
//!     v = a.get() => v + 1,
//!     w = b.take(k) => { .. }
//!     default => ..,            // or default(timeout) => ..
//! }
//! ```
//!
//! becomes, with a local enum to tell the branches apart:
//!
//! ```text
//! match ::chords::choose((a.get_op().map(B::B0), b.take_op(k).map(B::B1))).wait() {
//!     B::B0(v) => v + 1,
//!     B::B1(w) => { .. }
//! }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, Ident, Pat, Token};

use crate::ast::unraw;

/// The most branches a `select!` takes (`chords::choose` takes tuples up to
/// this size).
const MAX_BRANCHES: usize = 8;

/// A parsed `select!`.
pub struct Select {
    branches: Vec<Branch>,
    default: Option<Default>,
}

/// `pattern = object.channel(args) => body`.
struct Branch {
    pat: Pat,
    call: Expr,
    body: Expr,
}

/// `default => body` or `default(timeout) => body`.
struct Default {
    keyword: Ident,
    timeout: Option<Expr>,
    body: Expr,
}

impl Parse for Select {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut branches = Vec::new();
        let mut default: Option<Default> = None;
        let mut errors: Option<syn::Error> = None;
        let mut push = |e: syn::Error| match &mut errors {
            Some(all) => all.combine(e),
            None => errors = Some(e),
        };
        while !input.is_empty() {
            let is_default = input.fork().parse::<Ident>().is_ok_and(|i| i == "default")
                && (input.peek2(Token![=>]) || input.peek2(syn::token::Paren));
            if is_default {
                let keyword: Ident = input.parse()?;
                let timeout = if input.peek(syn::token::Paren) {
                    let inner;
                    syn::parenthesized!(inner in input);
                    Some(inner.parse::<Expr>()?)
                } else {
                    None
                };
                input.parse::<Token![=>]>()?;
                let body = body(input)?;
                if default.is_some() {
                    push(syn::Error::new(
                        keyword.span(),
                        "a `select!` has at most one `default` branch",
                    ));
                }
                default = Some(Default {
                    keyword,
                    timeout,
                    body,
                });
                continue;
            }
            let pat = Pat::parse_single(input)?;
            input.parse::<Token![=]>()?;
            let call: Expr = input.parse()?;
            input.parse::<Token![=>]>()?;
            let body = body(input)?;
            if let Err(e) = check_call(&call) {
                push(e);
            }
            branches.push(Branch { pat, call, body });
        }
        if branches.is_empty() {
            push(syn::Error::new(
                Span::call_site(),
                "a `select!` needs at least one branch `pattern = object.channel(args) => body`",
            ));
        } else if branches.len() > MAX_BRANCHES {
            push(syn::Error::new_spanned(
                &branches[MAX_BRANCHES].call,
                format!(
                    "a `select!` has at most {MAX_BRANCHES} branches: choose among more with \
                     `chords::choose` over a `Vec` of ops"
                ),
            ));
        }
        match errors {
            Some(errors) => Err(errors),
            None => Ok(Select { branches, default }),
        }
    }
}

/// A branch's body, and the comma after it (optional after a block).
fn body(input: ParseStream) -> syn::Result<Expr> {
    let body: Expr = input.parse()?;
    let is_block = matches!(body, Expr::Block(_));
    if input.is_empty() {
        return Ok(body);
    }
    if is_block {
        let _ = input.parse::<Option<Token![,]>>()?;
    } else {
        input.parse::<Token![,]>()?;
    }
    Ok(body)
}

/// A branch must call a channel by name: `object.channel(args)`.
fn check_call(call: &Expr) -> syn::Result<()> {
    match call {
        Expr::MethodCall(m) if m.turbofish.is_none() => Ok(()),
        Expr::MethodCall(m) => Err(syn::Error::new_spanned(
            &m.turbofish,
            "a `select!` branch calls a synchronous channel, which takes no generic arguments",
        )),
        _ => Err(syn::Error::new_spanned(
            call,
            "a `select!` branch is a call of a synchronous channel of a chord object: \
             `pattern = object.channel(args) => body`",
        )),
    }
}

/// Which macro: `select!` blocks its thread, `select_async!` is awaited.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Blocking,
    Async,
}

impl Select {
    /// The code: a `choose` over the branches' ops, and a `match` on which
    /// fired.
    pub fn expand(self, mode: Mode) -> TokenStream {
        if let (
            Mode::Async,
            Some(Default {
                keyword,
                timeout: Some(_),
                ..
            }),
        ) = (mode, &self.default)
        {
            return syn::Error::new(
                keyword.span(),
                "`select_async!` has no `default(timeout)`: wrap it in your runtime's timeout \
                 (such as `tokio::time::timeout`), which drops it without a trace",
            )
            .to_compile_error();
        }
        let n = self.branches.len();
        let enum_name = Ident::new("__ChordsSelected", Span::mixed_site());
        let variants: Vec<Ident> = (0..n).map(|i| format_ident!("B{}", i)).collect();
        let params: Vec<Ident> = (0..n).map(|i| format_ident!("T{}", i)).collect();
        let ops = self.branches.iter().zip(&variants).map(|(b, v)| {
            let Expr::MethodCall(call) = &b.call else {
                unreachable!("checked by the parser")
            };
            let receiver = &call.receiver;
            let op = format_ident!("{}_op", unraw(&call.method), span = call.method.span());
            let args = call.args.iter();
            quote_spanned! {b.call.span()=>
                (#receiver).#op(#(#args),*).map(#enum_name::#v)
            }
        });
        let arms = self.branches.iter().zip(&variants).map(|(b, v)| {
            let (pat, body) = (&b.pat, &b.body);
            quote!(#enum_name::#v(#pat) => #body,)
        });
        let choice = quote!(::chords::choose((#(#ops,)*)));
        let made = match (&self.default, mode) {
            (None, Mode::Blocking) => quote! {
                match #choice.wait() {
                    #(#arms)*
                }
            },
            (None, Mode::Async) => quote! {
                match #choice.await {
                    #(#arms)*
                }
            },
            (Some(default), _) => {
                let body = &default.body;
                let made = match &default.timeout {
                    None => quote_spanned!(default.keyword.span()=> #choice.try_now()),
                    Some(timeout) => {
                        quote_spanned!(default.keyword.span()=> #choice.wait_timeout(#timeout))
                    }
                };
                let arms = self.branches.iter().zip(&variants).map(|(b, v)| {
                    let (pat, body) = (&b.pat, &b.body);
                    quote!(::core::result::Result::Ok(#enum_name::#v(#pat)) => #body,)
                });
                quote! {
                    match #made {
                        #(#arms)*
                        ::core::result::Result::Err(_) => #body,
                    }
                }
            }
        };
        quote! {{
            #[allow(non_camel_case_types, dead_code)]
            enum #enum_name<#(#params),*> { #(#variants(#params)),* }
            #made
        }}
    }
}
