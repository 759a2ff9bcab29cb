//! The `#[chords]` impl block as a small typed model: channels, chords, terms
//! and bindings, each keeping the user's tokens for spans.
//!
//! Parsing is forgiving: a declaration it cannot use is reported to the
//! [`Errors`] and left out (or kept in a neutral form), so that every mistake
//! in one input is reported in one go.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, FnArg, Generics, Ident, ImplItem, ImplItemFn, ItemImpl, Lit, Meta, Pat,
    ReceiverKind, ReturnType, Safety, Signature, Token, Type, Visibility,
};

use crate::Errors;

/// The whole input: the attribute's visibility and the impl block.
#[derive(Clone)]
pub struct Input {
    /// Visibility of the generated struct (and of `new`).
    pub vis: Visibility,
    /// `spawn = EXPR` of the attribute: the executor of the object's
    /// asynchronous bodies, evaluated for each object built.
    pub spawn: Option<syn::Expr>,
    /// The impl's outer attributes other than doc comments.
    pub attrs: Vec<Attribute>,
    /// The impl's doc comments: they go onto the struct.
    pub docs: Vec<Attribute>,
    pub generics: Generics,
    /// The struct's name, spanned at the impl's self type.
    pub name: Ident,
    pub channels: Vec<Channel>,
    pub chords: Vec<Chord>,
    /// Items without `#[chord]`, passed through unchanged.
    pub user_items: Vec<ImplItem>,
}

/// `async fn name(&self, a: A);` or `fn name(&self, a: A) -> R;`
#[derive(Clone)]
pub struct Channel {
    /// All of the declaration's attributes (docs included).
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub kind: Kind,
    pub params: Vec<Param>,
    /// The result type of a synchronous channel, `None` for `()`.
    pub ret: Option<Type>,
    /// `#[state]`: the channel always holds exactly one message.
    pub state: Option<Attribute>,
    /// Whether the declaration is free of errors (those found are reported).
    pub ok: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Async,
    Sync,
}

#[derive(Clone)]
pub struct Param {
    pub name: Ident,
    pub ty: Type,
}

/// A method with a body and `#[chord(PATTERN)]`.
#[derive(Clone)]
pub struct Chord {
    /// The method's attributes, less `#[chord]`.
    pub attrs: Vec<Attribute>,
    pub name: Ident,
    /// Whether the body takes `&self`.
    pub has_self: bool,
    /// The user's signature (checked: no parameters besides `&self`).
    pub sig: Signature,
    pub block: syn::Block,
    /// `None` when the pattern did not parse (the error is reported).
    pub pattern: Option<Vec<Term>>,
    /// `if EXPR` after the pattern: the chord fires only with messages for
    /// which it holds.
    pub guard: Option<Expr>,
    /// Which declaration of the chord this is, when the chord is declared
    /// once per sub-channel of a split channel (see `route.rs`).
    pub expansion: Option<usize>,
    /// The `#[chord(...)]` attribute, for errors about the chord as a whole.
    pub attr: Attribute,
}

/// `chan(x, y)` or `[chan(x, y); N]`.
#[derive(Clone)]
pub struct Term {
    pub channel: Ident,
    pub bindings: Vec<Binding>,
    /// The span of the parenthesized bindings.
    pub parens: Span,
    /// `N` of `[chan(..); N]`, and the count's span.
    pub repeat: Option<(u32, Span)>,
    /// The first and the last token of the term.
    pub span: (Span, Span),
}

impl Term {
    pub fn count(&self) -> u32 {
        self.repeat.map_or(1, |(n, _)| n)
    }

    /// The bindings as one pattern over a message: the binding itself when
    /// it is `one` (the channel has one parameter), a tuple otherwise.
    pub fn message_pattern(&self, one: bool) -> TokenStream {
        let parts: Vec<TokenStream> = self
            .bindings
            .iter()
            .map(|b| match b {
                Binding::Name { ident, .. } => ident.to_token_stream(),
                Binding::Wild => quote::quote!(_),
                Binding::Pattern(pat) => pat.to_token_stream(),
            })
            .collect();
        match parts.as_slice() {
            [part] if one => part.clone(),
            _ => quote::quote!((#(#parts,)*)),
        }
    }
}

/// One binding of a term: a name, `mut name`, `_`, or a value pattern
/// (`0`, `true`, `Some(x)`, `Phase::Idle`) that a message must fit.
#[derive(Clone)]
pub enum Binding {
    Name {
        mutability: Option<Token![mut]>,
        ident: Ident,
    },
    Wild,
    Pattern(Box<Pat>),
}

impl Binding {
    /// The names it binds, in order.
    pub fn names(&self) -> Vec<Ident> {
        struct Names(Vec<Ident>);
        impl<'ast> syn::visit::Visit<'ast> for Names {
            fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
                self.0.push(p.ident.clone());
                syn::visit::visit_pat_ident(self, p);
            }
            // Every alternative binds the same names (Rust's rule).
            fn visit_pat_or(&mut self, p: &'ast syn::PatOr) {
                if let Some(first) = p.cases.first() {
                    self.visit_pat(first);
                }
            }
            fn visit_expr(&mut self, _: &'ast Expr) {}
        }
        match self {
            Binding::Name { ident, .. } => vec![ident.clone()],
            Binding::Wild => Vec::new(),
            Binding::Pattern(pat) => {
                let mut names = Names(Vec::new());
                syn::visit::Visit::visit_pat(&mut names, pat);
                names.0
            }
        }
    }
}

/// The name of an identifier without its `r#`.
pub fn unraw(ident: &Ident) -> String {
    ident.unraw().to_string()
}

fn is_chord_attr(attr: &Attribute) -> bool {
    let path = attr.path();
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [one] => one == "chord",
        [krate, one] => krate == "chords" && one == "chord",
        _ => false,
    }
}

fn is_state_attr(attr: &Attribute) -> bool {
    attr.path().is_ident("state") && matches!(attr.meta, Meta::Path(_))
}

fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

/// The attribute's arguments: the generated struct's visibility, if any,
/// then `spawn = EXPR`, if any.
pub struct Args {
    pub vis: Visibility,
    pub spawn: Option<syn::Expr>,
}

/// Parses the attribute's arguments: nothing, a visibility, `spawn = EXPR`,
/// or both, separated by a comma.
pub fn parse_args(args: TokenStream, errors: &mut Errors) -> Args {
    const EXPECTED: &str = "expected the visibility of the generated struct, `spawn = EXPR` \
                            (the executor of its asynchronous bodies), or both, as in \
                            `#[chords]`, `#[chords(pub)]` or \
                            `#[chords(pub(crate), spawn = my_executor())]`";
    let parser = |input: ParseStream| -> syn::Result<Args> {
        let vis: Visibility = input.parse()?;
        if !matches!(vis, Visibility::Inherited) && !input.is_empty() {
            let comma: syn::Token![,] = input.parse()?;
            if input.is_empty() {
                return Err(syn::Error::new(comma.span, EXPECTED));
            }
        }
        let mut spawn = None;
        if !input.is_empty() {
            let key: syn::Ident = input.parse()?;
            if key != "spawn" {
                return Err(syn::Error::new(key.span(), EXPECTED));
            }
            input.parse::<syn::Token![=]>()?;
            spawn = Some(input.parse()?);
            if !input.is_empty() {
                return Err(input.error(EXPECTED));
            }
        }
        Ok(Args { vis, spawn })
    };
    match parser.parse2(args) {
        Ok(args) => args,
        Err(e) => {
            errors.push(syn::Error::new(e.span(), EXPECTED));
            Args {
                vis: Visibility::Inherited,
                spawn: None,
            }
        }
    }
}

impl Input {
    pub fn from_syn(args: Args, item: ItemImpl, errors: &mut Errors) -> Option<Input> {
        if let Some((path, _)) = &item.trait_ {
            errors.push(syn::Error::new_spanned(
                path,
                "`#[chords]` goes on an inherent impl block, `impl Name { ... }`, \
                 not on a trait impl",
            ));
            return None;
        }
        if let Some(unsafety) = &item.unsafety {
            errors.push(syn::Error::new_spanned(
                unsafety,
                "a `#[chords]` impl block is not `unsafe`: remove `unsafe`",
            ));
        }
        if let Some(default) = &item.modifiers.defaultness {
            errors.push(syn::Error::new_spanned(
                default,
                "a `#[chords]` impl block cannot be `default`",
            ));
        }
        let name = self_name(&item.self_ty, &item.generics, errors)?;

        let (docs, attrs) = item.attrs.into_iter().partition(is_doc);
        let mut input = Input {
            vis: args.vis,
            spawn: args.spawn,
            attrs,
            docs,
            generics: item.generics,
            name,
            channels: Vec::new(),
            chords: Vec::new(),
            user_items: Vec::new(),
        };
        for impl_item in item.items {
            match impl_item {
                ImplItem::Fn(f) if f.attrs.iter().any(is_chord_attr) => {
                    if let Some(chord) = Chord::from_syn(f, errors) {
                        input.chords.push(chord);
                    }
                }
                ImplItem::Verbatim(tokens) => match parse_declaration.parse2(tokens.clone()) {
                    Ok(decl) => input.channels.push(Channel::from_decl(decl, errors)),
                    Err(_) => input.user_items.push(ImplItem::Verbatim(tokens)),
                },
                other => input.user_items.push(other),
            }
        }
        Some(input)
    }

    pub fn channel(&self, name: &Ident) -> Option<&Channel> {
        let name = unraw(name);
        self.channels.iter().find(|c| unraw(&c.name) == name)
    }

    /// The state channels, in declaration order.
    pub fn states(&self) -> impl Iterator<Item = &Channel> {
        self.channels.iter().filter(|c| c.state.is_some())
    }

    /// Whether the user wrote a `new` of their own.
    pub fn user_new(&self) -> bool {
        self.user_items.iter().any(|item| match item {
            ImplItem::Fn(f) => unraw(&f.sig.ident) == "new",
            _ => false,
        })
    }
}

/// The struct's name from the impl's self type, which must be `Name` followed
/// by the impl's own generic parameters, in order.
fn self_name(self_ty: &Type, generics: &Generics, errors: &mut Errors) -> Option<Ident> {
    let wrong = |errors: &mut Errors| {
        let expected = if generics.params.is_empty() {
            "`impl Name { ... }`".to_string()
        } else {
            let names: Vec<String> = generics
                .params
                .iter()
                .map(|p| match p {
                    syn::GenericParam::Lifetime(l) => l.lifetime.to_string(),
                    syn::GenericParam::Type(t) => t.ident.to_string(),
                    syn::GenericParam::Const(c) => c.ident.to_string(),
                })
                .collect();
            format!("`impl<..> Name<{}> {{ ... }}`", names.join(", "))
        };
        errors.push(syn::Error::new_spanned(
            self_ty,
            format!(
                "`#[chords]` declares the struct it is on: write its name followed by the \
                 impl's generic parameters in order, as in {expected}"
            ),
        ));
        None
    };
    let Type::Path(path) = self_ty else {
        return wrong(errors);
    };
    if path.qself.is_some() || path.path.leading_colon.is_some() || path.path.segments.len() != 1 {
        return wrong(errors);
    }
    let segment = &path.path.segments[0];
    if ["self", "Self", "super", "crate"].contains(&segment.ident.to_string().as_str()) {
        return wrong(errors);
    }
    let args: Vec<String> = match &segment.arguments {
        syn::PathArguments::None => Vec::new(),
        syn::PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .map(|a| a.to_token_stream().to_string())
            .collect(),
        syn::PathArguments::Parenthesized(_) => return wrong(errors),
    };
    let params: Vec<String> = generics
        .params
        .iter()
        .map(|p| match p {
            syn::GenericParam::Lifetime(l) => l.lifetime.to_token_stream().to_string(),
            syn::GenericParam::Type(t) => t.ident.to_token_stream().to_string(),
            syn::GenericParam::Const(c) => c.ident.to_token_stream().to_string(),
        })
        .collect();
    if args != params {
        return wrong(errors);
    }
    Some(segment.ident.clone())
}

/// A bodiless method, as syn hands it over: `ImplItem::Verbatim`.
struct Declaration {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
}

fn parse_declaration(input: ParseStream) -> syn::Result<Declaration> {
    let attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    let _: Option<Token![default]> = input.parse()?;
    let sig: Signature = input.parse()?;
    let _: Token![;] = input.parse()?;
    if !input.is_empty() {
        return Err(input.error("unexpected tokens after a declaration"));
    }
    Ok(Declaration { attrs, vis, sig })
}

/// Reports `&self` mistakes; `Ok(true)` for `&self`, `Ok(false)` for none.
fn receiver(sig: &Signature, what: &str, errors: &mut Errors) -> Result<bool, ()> {
    let Some(FnArg::Receiver(receiver)) = sig.inputs.first() else {
        return Ok(false);
    };
    let problem = match &receiver.kind {
        ReceiverKind::Reference(_, None, None) if receiver.mutability.is_none() => return Ok(true),
        ReceiverKind::Reference(_, _, Some(_)) => format!(
            "{what} takes `&self`, not `&mut self`: a chord object is shared between threads \
             and its clones, so its state lives in messages; write `&self`"
        ),
        ReceiverKind::Reference(_, Some(_), None) => {
            format!("{what} takes `&self` without a lifetime: write `&self`")
        }
        _ => format!("{what} takes `&self`, not `self` by value or a typed `self`: write `&self`"),
    };
    errors.push(syn::Error::new_spanned(receiver, problem));
    Err(())
}

/// Reports `const`, `async`, `unsafe`, `extern`, `...` on a signature.
fn qualifiers(sig: &Signature, what: &str, allow_async: bool, errors: &mut Errors) -> bool {
    let mut ok = true;
    let mut bad = |tokens: &dyn ToTokens, word: &str| {
        errors.push(syn::Error::new_spanned(
            tokens,
            format!("{what} cannot be `{word}`: remove `{word}`"),
        ));
        ok = false;
    };
    if let Some(t) = &sig.constness {
        bad(t, "const");
    }
    if !allow_async {
        if let Some(t) = &sig.asyncness {
            bad(t, "async");
        }
    }
    match &sig.safety {
        Safety::Unsafe(t) => bad(t, "unsafe"),
        Safety::Safe(t) => bad(t, "safe"),
        _ => {}
    }
    if let Some(t) = &sig.abi {
        bad(t, "extern");
    }
    if let Some(t) = &sig.variadic {
        bad(t, "variadic");
    }
    ok
}

/// A message type must be `'static`: reports borrowed types with an elided
/// or anonymous lifetime (`&str`, `Cow<'_, str>`), whose struct field would
/// not compile, and `impl Trait`, which would be a generic parameter.
fn check_type(ty: &Type, errors: &mut Errors) -> bool {
    struct Visit<'e> {
        errors: &'e mut Errors,
        ok: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Visit<'_> {
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            if r.lifetime.is_none() {
                self.errors.push(syn::Error::new_spanned(
                    r,
                    "messages and results outlive the call, so they must be `'static`: \
                     borrow for `'static` (`&'static str`) or use an owned type (`String`)",
                ));
                self.ok = false;
            }
            syn::visit::visit_type_reference(self, r);
        }
        fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
            if l.ident == "_" {
                self.errors.push(syn::Error::new_spanned(
                    l,
                    "messages and results outlive the call, so they must be `'static`: \
                     write `'static` or use an owned type",
                ));
                self.ok = false;
            }
        }
        fn visit_type_impl_trait(&mut self, t: &'ast syn::TypeImplTrait) {
            self.errors.push(syn::Error::new_spanned(
                t,
                "a channel cannot have generic parameters, and `impl Trait` is one: \
                 give the impl a type parameter (`impl<F: Trait> Name<F>`) and use it here",
            ));
            self.ok = false;
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_expr(&mut self, _: &'ast Expr) {}
    }
    let mut v = Visit { errors, ok: true };
    syn::visit::Visit::visit_type(&mut v, ty);
    v.ok
}

impl Channel {
    fn from_decl(decl: Declaration, errors: &mut Errors) -> Channel {
        let Declaration { attrs, vis, sig } = decl;
        let mut ok = true;
        let (chord_attrs, attrs): (Vec<Attribute>, Vec<Attribute>) =
            attrs.into_iter().partition(is_chord_attr);
        if let Some(attr) = chord_attrs.first() {
            errors.push(syn::Error::new_spanned(
                attr,
                "a chord needs a body: `#[chord(..)] fn name(&self) { ... }`; a method \
                 without a body declares a channel",
            ));
            ok = false;
        }
        let (mut states, attrs): (Vec<Attribute>, Vec<Attribute>) =
            attrs.into_iter().partition(is_state_attr);
        for extra in states.iter().skip(1) {
            errors.push(syn::Error::new_spanned(extra, "`#[state]` once is enough"));
        }
        let mut state = states.drain(..).next();
        if let (Some(attr), None) = (&state, &sig.asyncness) {
            errors.push(syn::Error::new_spanned(
                attr,
                format!(
                    "a state channel is asynchronous: it holds one message, and nobody waits \
                     on it. Write `#[state] async fn {}(&self, ..);`",
                    sig.ident
                ),
            ));
            ok = false;
            state = None;
        }
        ok &= qualifiers(&sig, "a channel", true, errors);
        if !sig.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(
                &sig.generics,
                "a channel cannot have generic parameters: give them to the impl instead, \
                 as in `impl<T: Send + 'static> Name<T>`",
            ));
            ok = false;
        }
        if let Some(w) = &sig.generics.where_clause {
            errors.push(syn::Error::new_spanned(
                w,
                "a channel cannot have a `where` clause: put it on the impl block",
            ));
            ok = false;
        }
        match receiver(&sig, "a channel", errors) {
            Ok(true) => {}
            Ok(false) => {
                let at = match sig.inputs.first() {
                    Some(first) => first.span(),
                    None => sig.paren_token.span.join(),
                };
                errors.push(syn::Error::new(
                    at,
                    format!(
                        "a channel takes `&self` as its first parameter: `{}{}(&self, ...)`",
                        if sig.asyncness.is_some() {
                            "async fn "
                        } else {
                            "fn "
                        },
                        sig.ident
                    ),
                ));
                ok = false;
            }
            Err(()) => ok = false,
        }
        let mut params = Vec::new();
        for arg in sig.inputs.iter().skip(1) {
            let FnArg::Typed(pt) = arg else {
                errors.push(syn::Error::new_spanned(arg, "`self` can only come first"));
                ok = false;
                continue;
            };
            ok &= check_type(&pt.ty, errors);
            match &*pt.pat {
                Pat::Ident(pi)
                    if pi.by_ref.is_none() && pi.mutability.is_none() && pi.subpat.is_none() =>
                {
                    params.push(Param {
                        name: pi.ident.clone(),
                        ty: (*pt.ty).clone(),
                    });
                }
                pat => {
                    errors.push(syn::Error::new_spanned(
                        pat,
                        "a channel's parameter is a plain name with a type, as in \
                         `item: T`: patterns are not allowed here (destructure in the chord body)",
                    ));
                    ok = false;
                }
            }
        }
        let kind = if sig.asyncness.is_some() {
            Kind::Async
        } else {
            Kind::Sync
        };
        let ret = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(arrow, ty) => {
                if kind == Kind::Async {
                    let tokens = quote::quote!(#arrow #ty);
                    errors.push(syn::Error::new_spanned(
                        tokens,
                        format!(
                            "an asynchronous channel returns nothing: its callers do not wait \
                             for a chord. Remove the return type, or remove `async` to make \
                             `{}` a synchronous channel whose callers wait for its result",
                            sig.ident
                        ),
                    ));
                    ok = false;
                    None
                } else {
                    ok &= check_type(ty, errors);
                    Some((**ty).clone())
                }
            }
        };
        Channel {
            attrs,
            vis,
            name: sig.ident.clone(),
            kind,
            params,
            ret,
            state,
            ok,
        }
    }

    /// Its parameters' names, in order.
    pub fn param_names(&self) -> Vec<&Ident> {
        self.params.iter().map(|p| &p.name).collect()
    }

    /// Its parameters' types, in order.
    pub fn param_types(&self) -> Vec<&Type> {
        self.params.iter().map(|p| &p.ty).collect()
    }

    /// The message (async) or argument (sync) made of its parameters, or
    /// the pattern that unpacks one into them: `()`, `x` or `(a, b)`.
    pub fn message_expr(&self) -> TokenStream {
        match self.param_names().as_slice() {
            [one] => one.to_token_stream(),
            names => quote::quote!((#(#names,)*)),
        }
    }

    /// The message type (async) or argument type (sync): `()`, `T` or `(A, B)`.
    pub fn message_type(&self) -> TokenStream {
        match self.params.as_slice() {
            [one] => one.ty.to_token_stream(),
            params => {
                let tys = params.iter().map(|p| &p.ty);
                quote::quote!((#(#tys,)*))
            }
        }
    }

    /// Whether a synchronous channel returns `()`.
    pub fn returns_unit(&self) -> bool {
        match &self.ret {
            None => true,
            Some(Type::Tuple(t)) => t.elems.is_empty(),
            Some(_) => false,
        }
    }

    /// The result type of a synchronous channel.
    pub fn result_type(&self) -> TokenStream {
        match &self.ret {
            Some(ty) => ty.to_token_stream(),
            None => quote::quote!(()),
        }
    }
}

impl Chord {
    fn from_syn(f: ImplItemFn, errors: &mut Errors) -> Option<Chord> {
        let ImplItemFn {
            attrs, sig, block, ..
        } = f;
        let (chord_attrs, attrs): (Vec<Attribute>, Vec<Attribute>) =
            attrs.into_iter().partition(is_chord_attr);
        let first = chord_attrs.first()?.clone();
        for state in attrs.iter().filter(|a| is_state_attr(a)) {
            errors.push(syn::Error::new_spanned(
                state,
                "`#[state]` goes on an asynchronous channel's declaration, \
                 `#[state] async fn count(&self, n: u32);`, not on a chord",
            ));
        }
        let attrs = attrs.into_iter().filter(|a| !is_state_attr(a)).collect();
        for extra in &chord_attrs[1..] {
            errors.push(syn::Error::new_spanned(
                extra,
                "a body has one `#[chord(..)]`: to fire the same code on another pattern, \
                 write a second chord that calls a shared helper method",
            ));
        }
        let mut guard = None;
        let pattern = match &first.meta {
            Meta::List(list) => match list.parse_args_with(parse_pattern) {
                Ok((terms, g)) => {
                    guard = g;
                    Some(terms)
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            meta => {
                errors.push(syn::Error::new_spanned(
                    meta,
                    "write the chord's pattern: `#[chord(get() & put(item))]`",
                ));
                None
            }
        };
        let pattern = pattern.and_then(|terms| check_counts(terms, errors));

        qualifiers(&sig, "a chord body", false, errors);
        if !sig.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(
                &sig.generics,
                "a chord body cannot have generic parameters: give them to the impl instead",
            ));
        }
        let has_self = receiver(&sig, "a chord body", errors).unwrap_or(false);
        for arg in sig.inputs.iter().skip(usize::from(has_self)) {
            let msg = match arg {
                FnArg::Receiver(_) => "`self` can only come first".to_string(),
                FnArg::Typed(_) => format!(
                    "a chord body takes no parameters besides `&self`: its inputs are the \
                     bindings of its pattern, in scope in the body. Bind this value in \
                     `#[chord(..)]`, e.g. `#[chord(put(item))] fn {}(&self) {{ ... }}`",
                    sig.ident
                ),
            };
            errors.push(syn::Error::new_spanned(arg, msg));
        }
        Some(Chord {
            attrs,
            name: sig.ident.clone(),
            has_self,
            sig,
            block,
            pattern,
            guard,
            expansion: None,
            attr: first,
        })
    }
}

/// Reports repeat counts of 0 and patterns whose terms are not usable.
fn check_counts(terms: Vec<Term>, errors: &mut Errors) -> Option<Vec<Term>> {
    let mut ok = true;
    for term in &terms {
        if let Some((0, span)) = term.repeat {
            errors.push(syn::Error::new(
                span,
                "a repeated term needs at least one message: write a count of 1 or more, \
                 or remove the term",
            ));
            ok = false;
        }
    }
    ok.then_some(terms)
}

/// The terms of a pattern, and its guard (`if EXPR`), if any.
fn parse_pattern(input: ParseStream) -> syn::Result<(Vec<Term>, Option<Expr>)> {
    if input.is_empty() {
        return Err(input.error("a pattern needs at least one term: `#[chord(get() & put(item))]`"));
    }
    let mut terms = vec![parse_term(input)?];
    while !input.is_empty() {
        if input.peek(Token![if]) {
            let _: Token![if] = input.parse()?;
            if input.is_empty() {
                return Err(input.error(
                    "expected a condition after `if`: `#[chord(take() & item(n) if *n > 0)]`",
                ));
            }
            let guard: Expr = input.parse()?;
            if !input.is_empty() {
                return Err(input.error("expected the end of the pattern after its guard"));
            }
            return Ok((terms, Some(guard)));
        }
        if !input.peek(Token![&]) || input.peek(Token![&&]) {
            return Err(input.error(
                "expected `&` between terms: a pattern is `chan(x) & other(y) & [many(z); 3]`",
            ));
        }
        let _: Token![&] = input.parse()?;
        terms.push(parse_term(input)?);
    }
    Ok((terms, None))
}

fn parse_term(input: ParseStream) -> syn::Result<Term> {
    let begin = input.span();
    if input.peek(syn::token::Bracket) {
        let content;
        let brackets = syn::bracketed!(content in input);
        let (channel, bindings, parens) = parse_call(&content)?;
        let _: Token![;] = content
            .parse()
            .map_err(|_| content.error("expected `;` and a count: `[chan(x); 3]`"))?;
        let count: Expr = content.parse()?;
        if !content.is_empty() {
            return Err(content.error("expected `]` after the repeat count"));
        }
        let repeat = match &count {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(int), ..
            }) if int.suffix().is_empty() || int.suffix() == "usize" => {
                let n = int.base10_parse::<u32>().map_err(|_| {
                    syn::Error::new_spanned(int, "a repeat count must be at most u32::MAX")
                })?;
                (n, int.span())
            }
            other => {
                return Err(syn::Error::new_spanned(
                    other,
                    "a repeat count is an integer literal, as in `[chan(x); 3]`: \
                     for a count known only at run time, build the join with \
                     `chords::Join::builder()`",
                ))
            }
        };
        Ok(Term {
            channel,
            bindings,
            parens,
            repeat: Some(repeat),
            span: (brackets.span.open(), brackets.span.close()),
        })
    } else {
        let (channel, bindings, parens) = parse_call(input)?;
        Ok(Term {
            span: (begin, parens),
            channel,
            bindings,
            parens,
            repeat: None,
        })
    }
}

fn parse_call(input: ParseStream) -> syn::Result<(Ident, Vec<Binding>, Span)> {
    let channel: Ident = input.parse().map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a term: a channel with its bindings, `chan(x, _)`, or \
             `[chan(x); N]` for N messages",
        )
    })?;
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(
            input.span(),
            format!(
                "expected `(` after `{channel}`: a term binds the channel's parameters, as in \
                 `{channel}(x)`, or `{channel}()` for a channel without parameters"
            ),
        ));
    }
    let content;
    let parens = syn::parenthesized!(content in input);
    let mut bindings = Vec::new();
    while !content.is_empty() {
        let pat = Pat::parse_multi(&content).map_err(|e| {
            syn::Error::new(
                e.span(),
                "a binding is a name, `mut name`, `_` to drop the value, or a value pattern \
                 the message must fit (`0`, `true`, `Some(x)`, `Phase::Idle`)",
            )
        })?;
        let binding = match pat {
            Pat::Wild(_) => Binding::Wild,
            Pat::Ident(pi) if pi.ident == "self" => {
                return Err(syn::Error::new_spanned(
                    pi,
                    "a binding is a name, `mut name`, `_` or a value pattern; `self` is the \
                     object, not a binding",
                ))
            }
            // A capitalized name is a constant or a unit variant (`None`,
            // `MAX`), as Rust's own naming makes it: a pattern, not a name.
            Pat::Ident(pi)
                if pi.by_ref.is_none()
                    && pi.subpat.is_none()
                    && !unraw(&pi.ident).starts_with(char::is_uppercase) =>
            {
                Binding::Name {
                    mutability: pi.mutability,
                    ident: pi.ident,
                }
            }
            pat => Binding::Pattern(Box::new(pat)),
        };
        bindings.push(binding);
        if content.is_empty() {
            break;
        }
        let _: Token![,] = content.parse()?;
    }
    Ok((channel, bindings, parens.span.join()))
}
