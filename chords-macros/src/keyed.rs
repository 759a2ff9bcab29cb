//! Keyed chords: a guard that equates two terms' keys (docs/reference.md,
//! *Guards and value patterns*).
//!
//! `#[chord(take(k) & item(key, v) if *key == *k)]` fires with a `take`
//! call and an `item` message of the same key. The macro serves it with an
//! index, as a database joins on a key: the keyed channels and chords become
//! a hidden object of their own, one per key, made on first use and kept in
//! the object's join (`chords::__private::Index`); a keyed channel's methods
//! send or call into the object of their key. Within one key, the chord is
//! an ordinary chord: every firing rule holds, the oldest call with the
//! oldest message of its key.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::{BinOp, Expr, Ident};

use crate::ast::{unraw, Binding, Channel, Chord, Input, Kind};
use crate::Errors;

/// The keyed part of an object.
pub struct Keyed {
    /// The keyed chords, by index in the input.
    pub chords: Vec<usize>,
    /// The keyed channels, each with the index of its key parameter.
    pub channels: HashMap<String, usize>,
    /// The keys' type.
    pub key: syn::Type,
}

impl Keyed {
    /// The keyed channels and chords of `input`, checked; `None` if it has
    /// none (or they are in error).
    pub fn of(input: &Input, errors: &mut Errors) -> Option<Keyed> {
        let mut keyed = Keyed {
            chords: Vec::new(),
            channels: HashMap::new(),
            key: syn::parse_quote!(()),
        };
        let mut key_type: Option<syn::Type> = None;
        let mut ok = true;
        for (c, chord) in input.chords.iter().enumerate() {
            let Some(guard) = &chord.guard else { continue };
            let Some(keys) = key_terms(chord, guard) else {
                continue;
            };
            let terms = chord.pattern.as_deref().unwrap_or_default();
            let chord_name = unraw(&chord.name);
            let mut fail = |tokens: &dyn ToTokens, message: String| {
                errors.push(syn::Error::new_spanned(tokens, message));
                ok = false;
            };
            if terms.len() != 2 {
                fail(
                    &chord.attr,
                    format!(
                        "a keyed chord has two terms, whose keys its guard equates; `{chord_name}` \
                         has {}: keep the others in chords of their own",
                        terms.len()
                    ),
                );
                continue;
            }
            if chord.has_self && crate::expand::mentions_self(chord.block.to_token_stream()) {
                fail(
                    &chord.sig,
                    format!(
                        "the body of the keyed chord `{chord_name}` runs in the object of its \
                         key, not in this one: it cannot use `self`"
                    ),
                );
            }
            for &(t, p) in &keys {
                let term = &terms[t];
                let Some(channel) = input.channel(&term.channel) else {
                    continue;
                };
                let name = unraw(&channel.name);
                if term.repeat.is_some() || channel.state.is_some() {
                    fail(
                        &term.channel,
                        format!(
                            "`{name}` cannot be keyed here: a keyed term is neither repeated \
                             nor a state channel"
                        ),
                    );
                }
                if term
                    .bindings
                    .iter()
                    .any(|b| matches!(b, Binding::Pattern(_)))
                {
                    fail(
                        &term.channel,
                        "a keyed chord's terms have no value patterns".to_string(),
                    );
                }
                if keyed
                    .channels
                    .insert(name.clone(), p)
                    .is_some_and(|q| q != p)
                {
                    fail(
                        &term.channel,
                        format!(
                            "`{name}` is keyed by another parameter in an earlier chord: a \
                             channel has one key"
                        ),
                    );
                }
                let ty = &channel.params[p].ty;
                match &key_type {
                    None => key_type = Some(ty.clone()),
                    Some(k)
                        if k.to_token_stream().to_string() != ty.to_token_stream().to_string() =>
                    {
                        fail(
                            ty,
                            format!(
                                "the keys of an object's keyed chords have one type, `{}`",
                                k.to_token_stream()
                            ),
                        )
                    }
                    Some(_) => {}
                }
            }
            keyed.chords.push(c);
        }
        if keyed.chords.is_empty() {
            return None;
        }
        for (c, chord) in input.chords.iter().enumerate() {
            if keyed.chords.contains(&c) {
                continue;
            }
            for term in chord.pattern.iter().flatten() {
                if keyed.channels.contains_key(&unraw(&term.channel)) {
                    errors.push(syn::Error::new_spanned(
                        &term.channel,
                        format!(
                            "`{}` is keyed (a chord's guard equates its key with another \
                             term's): every chord over it is keyed the same way",
                            unraw(&term.channel)
                        ),
                    ));
                    ok = false;
                }
            }
        }
        keyed.key = key_type.expect("a keyed chord has a key");
        ok.then_some(keyed)
    }

    /// The key parameter of channel `name`, if it is keyed.
    pub fn key_of(&self, name: &Ident) -> Option<usize> {
        self.channels.get(&unraw(name)).copied()
    }
}

/// For a guard `a == b` (either side possibly dereferenced) naming a
/// binding of two different terms: each side's (term, parameter).
pub fn key_terms(chord: &Chord, guard: &Expr) -> Option<[(usize, usize); 2]> {
    fn strip(e: &Expr) -> &Expr {
        match e {
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip(&u.expr),
            Expr::Paren(p) => strip(&p.expr),
            Expr::Group(g) => strip(&g.expr),
            e => e,
        }
    }
    let Expr::Binary(eq) = strip(guard) else {
        return None;
    };
    if !matches!(eq.op, BinOp::Eq(_)) {
        return None;
    }
    let terms = chord.pattern.as_deref()?;
    let find = |side: &Expr| -> Option<(usize, usize)> {
        let Expr::Path(p) = strip(side) else {
            return None;
        };
        let ident = p.path.get_ident()?;
        terms.iter().enumerate().find_map(|(t, term)| {
            term.bindings
                .iter()
                .position(|b| match b {
                    Binding::Name { ident: name, .. } => unraw(name) == unraw(ident),
                    _ => false,
                })
                .map(|p| (t, p))
        })
    };
    let (a, b) = (find(&eq.left)?, find(&eq.right)?);
    (a.0 != b.0).then_some([a, b])
}

impl Keyed {
    /// The hidden object of one key: the keyed channels and chords of
    /// `input`, their guards dropped (within one key they hold).
    pub fn inner(&self, input: &Input) -> Input {
        let name = self.inner_name(input);
        Input {
            vis: syn::Visibility::Inherited,
            attrs: Vec::new(),
            docs: vec![syn::parse_quote!(
                #[doc = " The channels and chords of one key (see `keyed.rs`)."]
            )],
            name,
            channels: input
                .channels
                .iter()
                .filter(|c| self.key_of(&c.name).is_some())
                .cloned()
                .collect(),
            chords: self
                .chords
                .iter()
                .map(|&c| {
                    let chord = &input.chords[c];
                    // The guard read the keys; the body may not.
                    let mut attrs = chord.attrs.clone();
                    attrs.push(syn::parse_quote!(#[allow(unused_variables)]));
                    Chord {
                        guard: None,
                        attrs,
                        ..chord.clone()
                    }
                })
                .collect(),
            user_items: Vec::new(),
            ..input.clone()
        }
    }

    /// The object without its keyed channels and chords.
    pub fn outer(&self, input: &Input) -> Input {
        Input {
            channels: input
                .channels
                .iter()
                .filter(|c| self.key_of(&c.name).is_none())
                .cloned()
                .collect(),
            chords: input
                .chords
                .iter()
                .enumerate()
                .filter(|(c, _)| !self.chords.contains(c))
                .map(|(_, chord)| chord.clone())
                .collect(),
            ..input.clone()
        }
    }

    /// The hidden per-key object's name.
    pub fn inner_name(&self, input: &Input) -> Ident {
        format_ident!("__{}Keyed", input.name)
    }
}

/// The methods of keyed channel `channel`, whose parameter `key` is its
/// key: each sends or calls into the object of the key, `inner`.
pub fn methods(channel: &Channel, key: usize, inner: &TokenStream) -> TokenStream {
    let Channel {
        attrs, vis, name, ..
    } = channel;
    let (names, types) = (channel.param_names(), channel.param_types());
    let key = names[key];
    let object = quote!(self.__index().get(::core::clone::Clone::clone(&#key)));
    let name_str = unraw(name);
    match channel.kind {
        Kind::Async => {
            let all = format_ident!("{}_all", name, span = name.span());
            let msgs = crate::expand::fresh(channel, "msgs");
            let msg = channel.message_type();
            let unpack = channel.message_expr();
            let all_doc = format!(
                " Sends every message of `{msgs}` on [`{name_str}`](Self::{name_str}), in \
                 order, one by one (each to the object of its key)."
            );
            quote! {
                #(#attrs)*
                #[allow(dead_code)]
                #vis fn #name(&self, #(#names: #types),*) {
                    #object.#name(#(#names),*)
                }

                #[doc = #all_doc]
                #[allow(dead_code)]
                #vis fn #all(&self, #msgs: impl ::core::iter::IntoIterator<Item = #msg>) {
                    for #unpack in #msgs {
                        self.#name(#(#names),*);
                    }
                }
            }
        }
        Kind::Sync => crate::expand::served_calls(channel, |form, args| {
            let method = form.method(name);
            quote! {
                let __object: &#inner = #object;
                __object.#method(#args)
            }
        }),
    }
}
