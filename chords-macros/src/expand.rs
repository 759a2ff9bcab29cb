//! Code generation: the struct, its channel methods, and a constructor that
//! declares the channels and chords on the runtime's `JoinBuilder`.
//!
//! For `#[chords(pub)] impl<T: Send + 'static> Buffer<T> { .. }` with
//! `async fn put(&self, item: T)`, `fn get(&self) -> T` and
//! `#[chord(get() & put(item))] fn deliver(&self) -> T { item }`:
//!
//! ```text
//! pub struct Buffer<T: ..> { __join: Join, __ch_put: AsyncChannel<T>, __ch_get: SyncChannel<(), T>, __marker }
//! impl<T: ..> Buffer<T> {
//!     // The matcher's tables, derived as the builder derives them (`__private::tables`).
//!     const __members_put: &[Member] = &[Member { chord: 0, position: 0, needs: &[(0, 1), (1, 1)], besides_call: &[(1, 1)], earlier: &[] }];
//!     const __members_get: &[Member] = &[Member { chord: 0, position: 0, needs: &[(0, 1), (1, 1)], besides_call: &[(0, 1)], earlier: &[] }];
//!     fn __chords_new() -> Self {
//!         let mut __builder = Join::builder();
//!         let __ch_put = __builder.asynchronous::<T>("put");
//!         let __ch_get = __builder.synchronous::<(), T>("get");
//!         __builder.when(__ch_get).and(__ch_put).named("deliver").then_with(
//!             move |__join, ((_, __r0), __b1_0,)| {
//!                 // (a body that names `self` gets `&Self { __join: __join.clone(), .. }`)
//!                 let __out: T = chord_result::<_, T>(Self::__chord_deliver(__b1_0));
//!                 __r0.send(__out);
//!             });
//!         let __join = __builder.build()?;
//!         if cfg!(debug_assertions) { check_tables(&__join, __ch_put, Self::__members_put); } // and get
//!         Self { __join, __ch_put, __ch_get, __marker }
//!     }
//!     pub fn new() -> Self { Self::__chords_new() }
//!     pub fn put(&self, item: T) { send(&self.__join, self.__ch_put, item, Self::__members_put) }
//!     pub fn get(&self) -> T {
//!         // `__now_get`, retried a few times, then the call queues; if a
//!         // firing hands the queued call its chord, `__run_get` runs it.
//!         call(&self.__join, self.__ch_get, (), Patience::Forever, |m| self.__now_get(m), |r, m| self.__run_get(r, m)).unwrap()
//!     }
//!     pub fn try_get(&self) -> Result<T, TryCallError<()>> { .. }   // Patience::Now; and get_timeout, get_deadline
//!     // The static path: reserve a chord with the call and queued messages ...
//!     fn __now_get(&self, __msg: ()) -> Result<T, ()> {
//!         match reserve(&self.__join, self.__ch_get, Self::__members_get, &__msg) {
//!             None => Err(__msg),
//!             Some(__reserved) => Ok(self.__run_get(__reserved, __msg)),
//!         }
//!     }
//!     // ... and run a body whose only synchronous term is this call right here.
//!     fn __run_get(&self, __reserved: Reserved<'_, (), T>, __msg: ()) -> T {
//!         match __reserved.chord() {
//!             0 => { let (_, __b1_0,) = (__msg, __reserved.take(self.__ch_put)); Self::__chord_deliver(__b1_0) }
//!             _ => __reserved.run(__msg),
//!         }
//!     }
//!     fn __chord_deliver(item: T) -> T { item }                      // the user's body and spans
//! }
//! impl<T: ..> Buffer<T> { fn __chords_check() { assert_send_static::<T>(); } }
//! impl<T: ..> Buffer<T> {
//!     // (`Debug` prints through it.)
//!     pub fn waiting(&self) -> Waiting {
//!         FromIterator::from_iter([("put", self.__join.waiting(self.__ch_put)), ("get", self.__join.waiting(self.__ch_get))])
//!     }
//! }
//! ```
//!
//! Every path above but the user's types is under `::chords::__private`, the
//! runtime's one module for generated code.
//!
//! A message or result type that is not plainly `Send + 'static` (as a
//! primitive, or a type parameter declared so, is) adds a bound
//! `for<'__chords> Ty: Send + 'static` to that impl: it lets the impl
//! type-check even when the type is not `Send + 'static` (a higher-ranked
//! bound is never "trivially false"), so the only error is the one that
//! `__chords_check` reports at the type itself.
//!
//! Value patterns, guards and keys change the shape first (`route.rs`,
//! `keyed.rs`): [`expand`] generates the struct from the input *lowered*,
//! a split channel replaced by its sub-channels and a chord over it by one
//! declaration per sub-channel, and the keyed channels and chords moved to
//! a hidden object per key; the methods users call (`waiting`, `Debug`, a
//! split or keyed channel's own) come from the original input, and route
//! each message or call to where it goes.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{
    GenericParam, Ident, ImplItem, ReturnType, Type, TypeParamBound, Visibility, WherePredicate,
};

use chords_runtime::__private::tables;

use crate::ast::{unraw, Binding, Channel, Chord, Input, Kind, Term};
use crate::route::{Routes, Test};

fn field(channel: &Ident) -> Ident {
    format_ident!("__ch_{}", channel, span = channel.span())
}

fn string(ident: &Ident) -> syn::LitStr {
    syn::LitStr::new(&unraw(ident), ident.span())
}

/// `PhantomData` of the impl's lifetime and type parameters, so that every
/// parameter is used by the struct, whatever its channels' types.
fn marker_type(input: &Input) -> TokenStream {
    let parts = input.generics.params.iter().filter_map(|p| match p {
        GenericParam::Lifetime(l) => {
            let l = &l.lifetime;
            Some(quote!(&#l ()))
        }
        GenericParam::Type(t) => {
            let t = &t.ident;
            Some(quote!(::core::marker::PhantomData<#t>))
        }
        GenericParam::Const(_) => None,
    });
    quote!(::core::marker::PhantomData<fn() -> (#(#parts,)*)>)
}

/// The struct definition (the same for the real expansion and the stub).
fn struct_def(input: &Input, fields: TokenStream) -> TokenStream {
    let Input {
        vis,
        docs,
        generics,
        name,
        ..
    } = input;
    let params = &generics.params;
    let where_clause = &generics.where_clause;
    let marker = marker_type(input);
    quote! {
        #(#docs)*
        #vis struct #name <#params> #where_clause {
            __join: ::chords::Join,
            #fields
            __marker: #marker,
        }
    }
}

/// `where` clause of the impl holding the generated code: the user's own,
/// plus `for<'__chords> Ty: Send + 'static` for each message and result type.
fn bounded_where(input: &Input) -> TokenStream {
    let mut seen = HashSet::new();
    let mut bounds = Vec::new();
    for channel in &input.channels {
        let types = channel
            .params
            .iter()
            .map(|p| &p.ty)
            .chain(channel.ret.as_ref());
        for ty in types {
            if seen.insert(ty.to_token_stream().to_string()) && !obviously_send_static(ty, input) {
                bounds.push(quote! {
                    for<'__chords> #ty: ::core::marker::Send + 'static
                });
            }
        }
    }
    let predicates = input
        .generics
        .where_clause
        .as_ref()
        .map(|w| &w.predicates)
        .into_iter()
        .flatten();
    quote!(where #(#predicates,)* #(#bounds,)*)
}

/// Whether `ty` is `Send + 'static` by its look alone: primitives, `String`,
/// `&'static str`, a type parameter declared `Send + 'static`, and tuples and
/// arrays of those. Such types need no bound on the generated impl, which
/// keeps its `where` clause (and the docs) as the user wrote it.
fn obviously_send_static(ty: &Type, input: &Input) -> bool {
    match ty {
        Type::Paren(t) => obviously_send_static(&t.elem, input),
        Type::Group(t) => obviously_send_static(&t.elem, input),
        Type::Tuple(t) => t.elems.iter().all(|t| obviously_send_static(t, input)),
        Type::Array(t) => obviously_send_static(&t.elem, input),
        Type::Reference(r) => {
            r.mutability.is_none()
                && r.lifetime.as_ref().is_some_and(|l| l.ident == "static")
                && (matches!(&*r.elem, Type::Path(p) if p.qself.is_none() && p.path.is_ident("str"))
                    || obviously_send_static(&r.elem, input))
        }
        Type::Path(p) if p.qself.is_none() => {
            if let Some(ident) = p.path.get_ident() {
                const PLAIN: &[&str] = &[
                    "bool", "char", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32",
                    "u64", "u128", "usize", "f32", "f64", "String", "Duration", "Instant",
                ];
                return PLAIN.iter().any(|p| ident == p) || param_is_send_static(ident, input);
            }
            // Owning containers are `Send + 'static` when what they hold is.
            const CONTAINERS: &[&str] = &[
                "Vec", "VecDeque", "Option", "Box", "Result", "BTreeMap", "BTreeSet", "HashMap",
                "HashSet",
            ];
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                return false;
            };
            CONTAINERS.iter().any(|c| last.ident == c)
                && p.path.segments.iter().all(|s| {
                    std::ptr::eq(s, last) || matches!(s.arguments, syn::PathArguments::None)
                })
                && args.args.iter().all(|a| match a {
                    syn::GenericArgument::Type(t) => obviously_send_static(t, input),
                    _ => false,
                })
        }
        _ => false,
    }
}

/// Whether `ident` is a type parameter of the impl bounded by `Send` and
/// `'static`, in its declaration or in the `where` clause.
fn param_is_send_static(ident: &Ident, input: &Input) -> bool {
    let Some(param) = input.generics.type_params().find(|t| t.ident == *ident) else {
        return false;
    };
    let mut bounds: Vec<&TypeParamBound> = param.bounds.iter().collect();
    for predicate in input
        .generics
        .where_clause
        .iter()
        .flat_map(|w| &w.predicates)
    {
        if let WherePredicate::Type(t) = predicate {
            if matches!(&t.bounded_ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident(ident))
                && t.lifetimes.is_none()
            {
                bounds.extend(&t.bounds);
            }
        }
    }
    let send = bounds.iter().any(|b| match b {
        TypeParamBound::Trait(t) => {
            t.maybe.is_none()
                && t.lifetimes.is_none()
                && t.path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "Send" && s.arguments.is_none())
        }
        _ => false,
    });
    let is_static = bounds
        .iter()
        .any(|b| matches!(b, TypeParamBound::Lifetime(l) if l.ident == "static"));
    send && is_static
}

/// Compile-time checks that each message and result type is `Send + 'static`,
/// each spanned at the type (its first occurrence).
fn send_checks(input: &Input) -> TokenStream {
    let mut seen = HashSet::new();
    let checks = input
        .channels
        .iter()
        .flat_map(|channel| {
            channel
                .params
                .iter()
                .map(|p| &p.ty)
                .chain(channel.ret.as_ref())
        })
        .filter(|ty| seen.insert(ty.to_token_stream().to_string()))
        .map(|ty| {
            quote_spanned! {ty.span()=>
                ::chords::__private::assert_send_static::<#ty>();
            }
        });
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let name = &input.name;
    quote! {
        impl #impl_generics #name #ty_generics #where_clause {
            #[doc(hidden)]
            #[allow(dead_code)]
            fn __chords_check() {
                #(#checks)*
            }
        }
    }
}

/// The `Clone`, `Debug` and `Default` impls.
fn trait_impls(input: &Input, chord_names: &[String], real: bool) -> TokenStream {
    let name = &input.name;
    let name_str = string(name);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let (clone, fmt, default) = if real {
        let fields: Vec<Ident> = input.channels.iter().map(|c| field(&c.name)).collect();
        let chords = chord_names.iter();
        (
            quote! {
                Self {
                    __join: ::core::clone::Clone::clone(&self.__join),
                    #(#fields: self.#fields,)*
                    __marker: self.__marker,
                }
            },
            quote! {
                ::chords::__private::debug(f, #name_str, &self.waiting(), &[#(#chords),*])
            },
            quote!(Self::__chords_new()),
        )
    } else {
        let stub = quote!(::core::unreachable!());
        (stub.clone(), stub.clone(), stub)
    };
    let default_where = if real {
        bounded_where(input)
    } else {
        where_clause.to_token_stream()
    };
    // An object with state channels has no default: `new` takes their messages.
    let default_impl = input.states().next().is_none().then(|| {
        quote! {
            impl #impl_generics ::core::default::Default for #name #ty_generics #default_where {
                /// A new object with empty queues: no message is waiting.
                fn default() -> Self {
                    #default
                }
            }
        }
    });
    quote! {
        impl #impl_generics ::core::clone::Clone for #name #ty_generics #where_clause {
            fn clone(&self) -> Self {
                #clone
            }
        }

        impl #impl_generics ::core::fmt::Debug for #name #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #fmt
            }
        }

        #default_impl
    }
}

/// The name for an extra parameter (`timeout`, `deadline`) that no declared
/// parameter uses: `wanted`, else `call_wanted`, else `call_wanted2`, ...
pub fn fresh(channel: &Channel, wanted: &str) -> Ident {
    let taken = |name: &str| channel.params.iter().any(|p| unraw(&p.name) == name);
    let mut name = wanted.to_string();
    let mut n = 1;
    while taken(&name) {
        name = if n == 1 {
            format!("call_{wanted}")
        } else {
            format!("call_{wanted}{n}")
        };
        n += 1;
    }
    Ident::new(&name, Span::call_site())
}

fn members_name(channel: &Ident) -> Ident {
    format_ident!("__members_{}", channel)
}

/// The matcher's table of the chords that hold each channel, derived by the
/// runtime's own derivation (`chords_runtime::__private::tables`, which the
/// builder uses too) and written as hidden associated constants: for each
/// chord holding the channel, in declaration order, its index, the position
/// of a call of the channel among its messages of it, its needs ((channel,
/// count) in channel order), its needs besides that call, and the chords
/// declared before it that share a channel with it. Debug builds check them
/// against the built join once, in the constructor.
fn member_tables(input: &Input) -> TokenStream {
    let index = |name: &Ident| {
        let name = unraw(name);
        input.channels.iter().position(|c| unraw(&c.name) == name)
    };
    // Valid input only: every term names a channel, no count overflows.
    let needs: Vec<Vec<(u32, u32)>> = input
        .chords
        .iter()
        .map(|chord| {
            let terms = chord.pattern.as_deref().unwrap_or_default().iter();
            let terms = terms.filter_map(|t| Some((index(&t.channel)? as u32, t.count())));
            tables::needs(terms).map_or_else(|_| Vec::new(), |n| n.by_channel)
        })
        .collect();
    let list = |pairs: &[(u32, u32)]| {
        let pairs = pairs.iter().map(|(c, n)| quote!((#c, #n)));
        quote!(&[#(#pairs),*])
    };
    let derived = tables::derive(
        input.channels.len(),
        &needs,
        |c| crate::searched::guarded(input, &input.chords[c]),
        |c| input.channels[c as usize].kind == Kind::Sync,
    );
    let tables = input
        .channels
        .iter()
        .zip(&derived.members)
        .map(|(channel, members)| {
            let members = members.iter().map(|m| {
                let (chord, position, earlier, guarded, partners) =
                    (m.chord, m.position, &m.earlier, m.guarded, m.partners);
                let (needs, besides_call) = (list(&m.needs), list(&m.besides_call));
                quote! {
                    ::chords::__private::Member {
                        chord: #chord, position: #position, needs: #needs,
                        besides_call: #besides_call, earlier: &[#(#earlier),*],
                        guarded: #guarded, partners: #partners,
                    }
                }
            });
            let name = members_name(&channel.name);
            quote! {
                #[doc(hidden)]
                #[allow(non_upper_case_globals)]
                const #name: &'static [::chords::__private::Member] = &[#(#members),*];
            }
        });
    quote!(#(#tables)*)
}

fn now_name(channel: &Ident) -> Ident {
    format_ident!("__now_{}", channel)
}

fn run_name(channel: &Ident) -> Ident {
    format_ident!("__run_{}", channel)
}

fn static_name(channel: &Ident) -> Ident {
    format_ident!("__static_{}", channel)
}

/// The static fast path of a synchronous channel, as two hidden methods:
/// `__now_NAME` reserves a chord with the call and messages already queued,
/// if one can fire, and runs it; `__run_NAME` runs a chord reserved for the
/// call (by `__now_NAME`, or handed over to the queued call). The chords in
/// `static_paths` (index and code, each one whose only synchronous term is
/// this channel's) run their body right there; any other goes the general
/// way.
fn now_methods(channel: &Channel, static_paths: &[(usize, TokenStream)]) -> TokenStream {
    let now = now_name(&channel.name);
    let run = run_name(&channel.name);
    let static_path = static_name(&channel.name);
    let members = members_name(&channel.name);
    let field = field(&channel.name);
    let args = channel.message_type();
    let result = channel.result_type();
    let reserved = quote!(::chords::__private::Reserved<'__r, #args, #result>);
    let general = quote!(::core::result::Result::Err((__reserved, __msg)));
    let fired = if static_paths.is_empty() {
        general
    } else {
        let arms = static_paths.iter().map(|(index, code)| {
            let index = proc_macro2::Literal::usize_unsuffixed(*index);
            quote!(#index => ::core::result::Result::Ok({ #code }),)
        });
        quote! {
            match __reserved.chord() {
                #(#arms)*
                _ => #general,
            }
        }
    };
    quote! {
        #[doc(hidden)]
        #[inline]
        #[allow(clippy::type_complexity)]
        fn #now(&self, __msg: #args) -> ::core::result::Result<#result, #args> {
            match ::chords::__private::reserve(&self.__join, self.#field, Self::#members, &__msg) {
                ::core::option::Option::None => ::core::result::Result::Err(__msg),
                ::core::option::Option::Some(__reserved) => {
                    ::core::result::Result::Ok(self.#run(__reserved, __msg))
                }
            }
        }

        #[doc(hidden)]
        #[inline]
        #[allow(clippy::type_complexity)]
        fn #run(&self, __reserved: ::chords::__private::Reserved<'_, #args, #result>, __msg: #args) -> #result {
            match self.#static_path(__reserved, __msg) {
                ::core::result::Result::Ok(__result) => __result,
                ::core::result::Result::Err((__reserved, __msg)) => __reserved.run(__msg),
            }
        }

        #[doc(hidden)]
        #[inline(always)]
        #[allow(
            clippy::type_complexity,
            clippy::let_unit_value,
            clippy::unit_arg,
            clippy::result_large_err
        )]
        fn #static_path<'__r>(&'__r self, __reserved: #reserved, __msg: #args)
            -> ::chords::__private::StaticPath<'__r, #args, #result>
        {
            #fired
        }
    }
}

/// The methods of one channel: the declared one, and for a synchronous
/// channel its `try_`, `_timeout`, `_deadline`, `_async` and `_op` forms
/// (`_op` only if a call of it can be a branch of a choice, `choosable`: no
/// guard reads its argument). Stubs unless `real`.
fn channel_methods(channel: &Channel, real: bool, choosable: bool) -> Vec<(String, TokenStream)> {
    let Channel {
        attrs, vis, name, ..
    } = channel;
    let field = field(name);
    let (names, types) = (channel.param_names(), channel.param_types());
    let message = channel.message_expr();
    let body = |call: TokenStream| {
        if real {
            call
        } else {
            quote!(::core::unreachable!())
        }
    };
    let allow = if real {
        quote!()
    } else {
        quote!(#[allow(unused_variables)])
    };
    match channel.kind {
        Kind::Async if channel.state.is_some() => {
            let members = members_name(name);
            let send = body(
                quote!(::chords::__private::send(&self.__join, self.#field, #message, Self::#members)),
            );
            let name_str = unraw(name);
            let now_name = format_ident!("{}_now", name, span = name.span());
            let msg = channel.message_type();
            let read = body(quote!(self.__join.read(self.#field)));
            let now_doc = format!(
                " The message the state channel `{name_str}` holds now, cloned, not consumed: \
                 out of date as soon as a chord consumes it. Waits while a chord that \
                 consumed it runs (until it sends it again)."
            );
            vec![
                (
                    name_str.clone(),
                    quote! {
                        #(#attrs)*
                        #allow
                        #[allow(dead_code)]
                        fn #name(&self, #(#names: #types),*) {
                            #send
                        }
                    },
                ),
                (
                    format!("{name_str}_now"),
                    quote! {
                        #[doc = #now_doc]
                        #[allow(dead_code)]
                        #vis fn #now_name(&self) -> #msg
                        where
                            for<'__chords> #msg: ::core::clone::Clone,
                        {
                            #read
                        }
                    },
                ),
            ]
        }
        Kind::Async => {
            let members = members_name(name);
            let send = body(
                quote!(::chords::__private::send(&self.__join, self.#field, #message, Self::#members)),
            );
            let name_str = unraw(name);
            let all_name = format_ident!("{}_all", name, span = name.span());
            let msgs = fresh(channel, "msgs");
            let msg = channel.message_type();
            // A stub takes anything: the message type may be what is wrong.
            let (msgs_ty, send_all) = if real {
                (
                    quote!(impl ::core::iter::IntoIterator<Item = #msg>),
                    quote!(::chords::__private::send_all(&self.__join, self.#field, #msgs, Self::#members)),
                )
            } else {
                (
                    quote!(impl ::core::marker::Sized),
                    quote!(::core::unreachable!()),
                )
            };
            let all_doc = format!(
                " Sends every message of `{msgs}` on [`{name_str}`](Self::{name_str}), in \
                 order, as one batch: they arrive at one instant (counted in one atomic \
                 step), and every chord they enable fires, first declared first."
            );
            vec![
                (
                    name_str.clone(),
                    quote! {
                        #(#attrs)*
                        #allow
                        #vis fn #name(&self, #(#names: #types),*) {
                            #send
                        }
                    },
                ),
                (
                    format!("{name_str}_all"),
                    quote! {
                        #[doc = #all_doc]
                        #[allow(dead_code, unused_variables)]
                        #vis fn #all_name(&self, #msgs: #msgs_ty) {
                            #send_all
                        }
                    },
                ),
            ]
        }
        Kind::Sync => {
            let args = channel.message_type();
            let result = channel.result_type();
            let name_str = unraw(name);
            let try_name = format_ident!("try_{}", name, span = name.span());
            let timeout_name = format_ident!("{}_timeout", name, span = name.span());
            let deadline_name = format_ident!("{}_deadline", name, span = name.span());
            let timeout = fresh(channel, "timeout");
            let deadline = fresh(channel, "deadline");
            let ret = channel.ret.as_ref().map(|ty| quote!(-> #ty));
            // Each form tries to reserve a chord at once (`__now_NAME`); all
            // but `try_` retry a few times, then queue the call.
            let now = now_name(name);
            let run = run_name(name);
            let static_path = static_name(name);
            let members = members_name(name);
            let call = |patience: TokenStream| {
                quote! {
                    ::chords::__private::call(
                        &self.__join,
                        self.#field,
                        #message,
                        #patience,
                        |m| self.#now(m),
                        |r, m| self.#run(r, m),
                    )
                }
            };
            let forever = call(quote!(::chords::__private::Patience::Forever));
            let main_call = body(quote! {
                match #forever {
                    ::core::result::Result::Ok(result) => result,
                    ::core::result::Result::Err(_) => {
                        ::core::unreachable!("a call without deadline does not give up")
                    }
                }
            });
            let try_now = call(quote!(::chords::__private::Patience::Now));
            let try_call = body(quote!((#try_now).map_err(::chords::TryCallError)));
            let until = |patience: TokenStream| {
                let call = call(patience);
                body(quote!((#call).map_err(::chords::TimeoutError)))
            };
            let timeout_call = until(quote!(::chords::__private::Patience::within(#timeout)));
            let async_name = format_ident!("{}_async", name, span = name.span());
            let async_call = if real {
                quote! {
                    ::chords::__private::call_async(
                        &self.__join,
                        self.#field,
                        #message,
                        move |__msg: &_| {
                            ::chords::__private::reserve(&self.__join, self.#field, Self::#members, __msg)
                        },
                        move |r, m| self.#static_path(r, m),
                    )
                }
            } else {
                quote!(async { ::core::unreachable!() })
            };
            let deadline_call = until(quote!(::chords::__private::Patience::Until(#deadline)));
            let try_doc = format!(
                " Like [`{name_str}`](Self::{name_str}), but only if a chord can fire at once: \
                 otherwise nothing is queued and the arguments come back in the error."
            );
            let timeout_doc = format!(
                " Like [`{name_str}`](Self::{name_str}), waiting at most `{timeout}` for a \
                 chord: on timeout the call is withdrawn and the arguments come back in the \
                 error. A chord that took the call first gives its result, however long \
                 its body runs."
            );
            let deadline_doc = format!(
                " Like [`{name_str}`](Self::{name_str}), waiting for a chord until \
                 `{deadline}`, as [`{name_str}_timeout`](Self::{name_str}_timeout) does."
            );
            let async_doc = format!(
                " Like [`{name_str}`](Self::{name_str}), as a future for an async task: it \
                 waits without blocking the thread, in the same queue as blocked threads' \
                 calls, and a chord whose result goes to it runs in its `poll`. Dropping it \
                 withdraws the call, or gives back a chord handed to it and not yet run; only \
                 a chord that had already counted on the call keeps it, and drops its result. \
                 So a runtime's timeout around it loses no message: `object.{name_str}_async(..).await`."
            );
            let main = quote! {
                #(#attrs)*
                #allow
                #vis fn #name(&self, #(#names: #types),*) #ret {
                    #main_call
                }
            };
            let async_fn = quote! {
                #[doc = #async_doc]
                #[allow(dead_code, unused_variables, clippy::result_large_err)]
                #vis fn #async_name(&self, #(#names: #types),*)
                    -> impl ::core::future::Future<Output = #result> + ::core::marker::Send + '_
                {
                    #async_call
                }
            };
            let try_fn = quote! {
                #[doc = #try_doc]
                #[allow(dead_code, unused_variables)]
                #vis fn #try_name(&self, #(#names: #types),*)
                    -> ::core::result::Result<#result, ::chords::TryCallError<#args>>
                {
                    #try_call
                }
            };
            let timeout_fn = quote! {
                #[doc = #timeout_doc]
                #[allow(dead_code, unused_variables)]
                #vis fn #timeout_name(&self, #(#names: #types,)* #timeout: ::core::time::Duration)
                    -> ::core::result::Result<#result, ::chords::TimeoutError<#args>>
                {
                    #timeout_call
                }
            };
            let deadline_fn = quote! {
                #[doc = #deadline_doc]
                #[allow(dead_code, unused_variables)]
                #vis fn #deadline_name(&self, #(#names: #types,)* #deadline: ::std::time::Instant)
                    -> ::core::result::Result<#result, ::chords::TimeoutError<#args>>
                {
                    #deadline_call
                }
            };
            let mut methods = vec![
                (name_str.clone(), main),
                (format!("try_{name_str}"), try_fn),
                (format!("{name_str}_timeout"), timeout_fn),
                (format!("{name_str}_deadline"), deadline_fn),
                (format!("{name_str}_async"), async_fn),
            ];
            let op_name = format_ident!("{}_op", name, span = name.span());
            let (op_ty, op_call) = if real {
                (
                    quote! {
                        ::chords::Op<
                            '_,
                            #args,
                            #result,
                            fn(#result) -> #result,
                            impl ::core::ops::FnMut(#args) -> ::core::result::Result<#result, #args> + '_,
                        >
                    },
                    quote! {
                        ::chords::__private::op(
                            &self.__join,
                            self.#field,
                            #message,
                            move |__msg| self.#now(__msg),
                        )
                    },
                )
            } else {
                (
                    quote!(impl ::core::marker::Sized),
                    quote!(::core::unreachable!()),
                )
            };
            let op_doc = format!(
                " A call of [`{name_str}`](Self::{name_str}) not yet made: a branch for \
                 `chords::choose` or `chords::select!`, of which exactly one fires."
            );
            methods.extend(choosable.then(|| {
                (
                    format!("{name_str}_op"),
                    quote! {
                        #[doc = #op_doc]
                        #[allow(dead_code, unused_variables, clippy::type_complexity)]
                        #vis fn #op_name(&self, #(#names: #types),*) -> #op_ty {
                            #op_call
                        }
                    },
                )
            }));
            methods
        }
    }
}

/// The methods of a channel split by value patterns or guards (`route.rs`):
/// its send method (and `_all`, or `_now` for a state channel), which route
/// each message to the sub-channel of its tests' outcomes.
fn routed_methods(channel: &Channel, subs: &[(usize, Ident)], tests: &[Test]) -> TokenStream {
    let Channel { attrs, name, .. } = channel;
    let vis = if channel.state.is_some() {
        syn::Visibility::Inherited
    } else {
        channel.vis.clone()
    };
    let declared_vis = &channel.vis;
    let (names, types) = (channel.param_names(), channel.param_types());
    let message = channel.message_expr();
    let msg = channel.message_type();
    let send = format_ident!("__send_{}", name);
    let route = format_ident!("__route_{}", name);
    let bits = tests.iter().enumerate().map(|(i, test)| {
        let passes = test.passes(&quote!(__m));
        quote!(if #passes { __v |= 1 << #i; })
    });
    let arms = subs.iter().map(|(v, sub)| {
        let f = field(sub);
        let members = members_name(sub);
        quote!(#v => ::chords::__private::send(&self.__join, self.#f, __m, Self::#members),)
    });
    let name_str = unraw(name);
    let route_fn = quote! {
        /// Which sub-channel a message goes to: bit `i` set when test `i` holds.
        #[doc(hidden)]
        #[allow(unused_variables, unused_parens, clippy::match_like_matches_macro)]
        fn #route(__m: &#msg) -> usize {
            let mut __v = 0usize;
            #(#bits)*
            __v
        }
    };
    if channel.kind == Kind::Sync {
        return routed_calls(channel, subs, route_fn);
    }
    let extra = if channel.state.is_some() {
        let now = format_ident!("{}_now", name, span = name.span());
        let fields = subs.iter().map(|(_, sub)| field(sub));
        let doc = format!(
            " The message the state channel `{name_str}` holds now, cloned, not consumed: \
             out of date as soon as a chord consumes it. Waits while a chord that \
             consumed it runs (until it sends it again)."
        );
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            #declared_vis fn #now(&self) -> #msg
            where
                for<'__chords> #msg: ::core::clone::Clone,
            {
                ::chords::__private::read_any(&self.__join, &[#(self.#fields),*])
            }
        }
    } else {
        let all = format_ident!("{}_all", name, span = name.span());
        let doc = format!(
            " Sends every message of `msgs` on [`{name_str}`](Self::{name_str}), in \
             order, one by one (each goes where its value patterns send it)."
        );
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            #vis fn #all(&self, msgs: impl ::core::iter::IntoIterator<Item = #msg>) {
                for __m in msgs {
                    self.#send(__m);
                }
            }
        }
    };
    quote! {
        #(#attrs)*
        #[allow(dead_code)]
        #vis fn #name(&self, #(#names: #types),*) {
            self.#send(#message)
        }

        #extra

        #route_fn

        #[doc(hidden)]
        fn #send(&self, __m: #msg) {
            match Self::#route(&__m) {
                #(#arms)*
                _ => ::core::unreachable!("a message routed to no sub-channel"),
            }
        }
    }
}

/// One of the methods a synchronous channel `name` has: `name`, `try_name`,
/// `name_timeout`, `name_deadline`, `name_async`, `name_op`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Call,
    Try,
    Timeout,
    Deadline,
    Async,
    Op,
}

impl Form {
    const ALL: [Form; 6] = [
        Form::Call,
        Form::Try,
        Form::Timeout,
        Form::Deadline,
        Form::Async,
        Form::Op,
    ];

    /// This form's method for channel `name`.
    pub fn method(self, name: &Ident) -> Ident {
        let span = name.span();
        match self {
            Form::Call => name.clone(),
            Form::Try => format_ident!("try_{}", name, span = span),
            Form::Timeout => format_ident!("{}_timeout", name, span = span),
            Form::Deadline => format_ident!("{}_deadline", name, span = span),
            Form::Async => format_ident!("{}_async", name, span = span),
            Form::Op => format_ident!("{}_op", name, span = span),
        }
    }
}

/// The methods of a synchronous channel whose calls something else serves
/// (a sub-channel of the arguments' values, the object of their key):
/// each form's signature, with the body `body(form, args)` gives, where
/// `args` are the form's own arguments, ready to pass on.
pub fn served_calls(
    channel: &Channel,
    body: impl Fn(Form, TokenStream) -> TokenStream,
) -> TokenStream {
    let Channel {
        attrs, vis, name, ..
    } = channel;
    let (names, types) = (channel.param_names(), channel.param_types());
    let args = channel.message_type();
    let result = channel.result_type();
    let timeout = fresh(channel, "timeout");
    let deadline = fresh(channel, "deadline");
    let name_str = unraw(name);
    let doc = |what: &str| format!(" As [`{name_str}`](Self::{name_str}), {what}.");
    Form::ALL
        .into_iter()
        .map(|form| {
            let (extra, ret, doc) = match form {
                Form::Call => {
                    let ret = channel.ret.as_ref().map(|ty| quote!(-> #ty));
                    (quote!(), ret.unwrap_or_default(), None)
                }
                Form::Try => (
                    quote!(),
                    quote!(-> ::core::result::Result<#result, ::chords::TryCallError<#args>>),
                    Some(doc("only if a chord can fire at once")),
                ),
                Form::Timeout => (
                    quote!(#timeout: ::core::time::Duration),
                    quote!(-> ::core::result::Result<#result, ::chords::TimeoutError<#args>>),
                    Some(doc("waiting at most `timeout`")),
                ),
                Form::Deadline => (
                    quote!(#deadline: ::std::time::Instant),
                    quote!(-> ::core::result::Result<#result, ::chords::TimeoutError<#args>>),
                    Some(doc("waiting until `deadline`")),
                ),
                Form::Async => (
                    quote!(),
                    quote! {
                        -> impl ::core::future::Future<Output = #result> + ::core::marker::Send + '_
                    },
                    Some(doc("as a future for an async task")),
                ),
                Form::Op => (
                    quote!(),
                    quote! {
                        -> ::chords::Op<
                            '_,
                            #args,
                            #result,
                            fn(#result) -> #result,
                            impl ::core::ops::FnMut(#args) -> ::core::result::Result<#result, #args> + '_,
                        >
                    },
                    Some(doc(
                        "not yet made: a branch for `chords::choose` or `chords::select!`",
                    )),
                ),
            };
            let docs = match doc {
                None => quote!(#(#attrs)*),
                Some(doc) => quote!(#[doc = #doc]),
            };
            let passed = match form {
                Form::Timeout => quote!(#(#names,)* #timeout),
                Form::Deadline => quote!(#(#names,)* #deadline),
                _ => quote!(#(#names),*),
            };
            let method = form.method(name);
            let body = body(form, passed);
            quote! {
                #docs
                #[allow(dead_code, clippy::type_complexity)]
                #vis fn #method(&self, #(#names: #types,)* #extra) #ret {
                    #body
                }
            }
        })
        .collect()
}

/// The methods of a synchronous channel split by value patterns or guards:
/// each routes the call by its arguments to the same method of the
/// sub-channel of its tests' outcomes.
fn routed_calls(channel: &Channel, subs: &[(usize, Ident)], route_fn: TokenStream) -> TokenStream {
    let message = channel.message_expr();
    let route = format_ident!("__route_{}", channel.name);
    // The sub-channel of the arguments' values: its index `__v`.
    let routed = quote! {
        let __m = #message;
        let __v = Self::#route(&__m);
    };
    let calls = served_calls(channel, |form, args| {
        if form == Form::Op {
            // The op queues on the sub-channel, and fires at once through
            // that sub-channel's own static path.
            let fields = subs.iter().map(|(v, sub)| {
                let f = field(sub);
                quote!(#v => self.#f,)
            });
            let nows = subs.iter().map(|(v, sub)| {
                let now = now_name(sub);
                quote!(#v => self.#now(__msg),)
            });
            return quote! {
                #routed
                let __channel = match __v {
                    #(#fields)*
                    _ => ::core::unreachable!("a call routed to no sub-channel"),
                };
                ::chords::__private::op(&self.__join, __channel, __m, move |__msg| match __v {
                    #(#nows)*
                    _ => ::core::unreachable!("a call routed to no sub-channel"),
                })
            };
        }
        let awaited = (form == Form::Async).then(|| quote!(.await));
        let arms = subs.iter().map(|(v, sub)| {
            let method = form.method(sub);
            quote!(#v => self.#method(#args) #awaited,)
        });
        let dispatch = quote! {
            #routed
            let #message = __m;
            match __v {
                #(#arms)*
                _ => ::core::unreachable!("a call routed to no sub-channel"),
            }
        };
        if form == Form::Async {
            quote!(async move { #dispatch })
        } else {
            dispatch
        }
    });
    quote! {
        #calls
        #route_fn
    }
}

/// The parameters of `new`: each state channel's initial message, named
/// after the channel, in declaration order (a channel without parameters
/// needs none).
fn state_params(input: &Input) -> Vec<(Ident, TokenStream)> {
    input
        .states()
        .filter(|c| !c.params.is_empty())
        .map(|c| (c.name.clone(), c.message_type()))
        .collect()
}

/// The name of the generated constructor: `new`, or `from_state` for an
/// object with state channels whose impl has a `new` of its own.
fn constructor_name(input: &Input) -> &'static str {
    if input.user_new() && input.states().next().is_some() {
        "from_state"
    } else {
        "new"
    }
}

/// The generated `new`, unless the user wrote one. With state channels it
/// takes their initial messages; if the user wrote a `new`, it is the
/// private `from_state` for theirs to call.
fn new_fn(input: &Input, real: bool) -> TokenStream {
    let stateful = input.states().next().is_some();
    if input.user_new() && !stateful {
        return TokenStream::new();
    }
    let vis = if input.user_new() {
        Visibility::Inherited
    } else {
        input.vis.clone()
    };
    let name = format_ident!("{}", constructor_name(input));
    let doc = if stateful {
        let names: Vec<String> = input
            .states()
            .map(|c| format!("`{}`", unraw(&c.name)))
            .collect();
        format!(
            " A new `{}` whose state channels ({}) hold the messages given, in \
             declaration order; no other message is waiting.",
            unraw(&input.name),
            names.join(", ")
        )
    } else {
        format!(
            " A new `{}` with empty queues: no message is waiting.",
            unraw(&input.name)
        )
    };
    let states = state_params(input);
    let params = states.iter().map(|(n, ty)| quote!(#n: #ty));
    let args = states.iter().map(|(n, _)| n);
    let body = if real {
        quote!(Self::__chords_new(#(#args),*))
    } else {
        quote!(::core::unreachable!())
    };
    let allow = if real {
        quote!()
    } else {
        quote!(#[allow(unused_variables)])
    };
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #allow
        #vis fn #name(#(#params),*) -> Self {
            #body
        }
    }
}

/// The generated `waiting`, `wait_idle` and `wait_idle_timeout`, each with
/// its name, for an impl of their own under the user's `where` clause only
/// ([`object_impl`]), as `Debug` calls `waiting`.
fn object_methods(input: &Input, routes: &Routes, real: bool) -> Vec<(String, TokenStream)> {
    let name = &input.name;
    let vis = &input.vis;
    let doc = format!(
        " How many messages (or calls) wait on each channel of this `{}`, not yet \
         taken by a chord: a snapshot, in declaration order. `Debug` shows the same counts.",
        unraw(name)
    );
    let idle_doc = format!(
        " Blocks until no asynchronous chord of this `{}` waits for the executor or \
         runs there (see `Join::wait_idle`): for tests and an orderly exit.",
        unraw(name)
    );
    let (waiting, idle, idle_timeout) =
        if real {
            // A split channel's messages wait in its sub-channels (`route.rs`).
            let counts = input.channels.iter().map(|c| {
            let s = string(&c.name);
            if routes.keyed.as_ref().is_some_and(|k| k.key_of(&c.name).is_some()) {
                // A keyed channel's messages wait in the objects of their keys.
                return quote! {
                    (#s, self.__index().objects().iter().map(|o| o.waiting()[#s]).sum::<usize>())
                };
            }
            let fields = routes
                .subs(c)
                .map_or_else(
                    || vec![c.name.clone()],
                    |subs| subs.into_iter().map(|(_, n)| n).collect(),
                )
                .into_iter()
                .map(|name| field(&name));
            quote!((#s, 0 #(+ self.__join.waiting(self.#fields))*))
        });
            let (idle, idle_timeout) = if routes.keyed.is_some() {
                (
                    quote! {
                        self.__join.wait_idle();
                        self.__index().objects().iter().for_each(|o| o.wait_idle());
                    },
                    quote! {
                        self.__join.wait_idle_timeout(timeout)
                            && self.__index().objects().iter().all(|o| o.wait_idle_timeout(timeout))
                    },
                )
            } else {
                (
                    quote!(self.__join.wait_idle()),
                    quote!(self.__join.wait_idle_timeout(timeout)),
                )
            };
            (
                quote!(::core::iter::FromIterator::from_iter([#(#counts),*])),
                idle,
                idle_timeout,
            )
        } else {
            let stub = quote!(::core::unreachable!());
            (stub.clone(), stub.clone(), stub)
        };
    vec![
        (
            "waiting".into(),
            quote! {
                #[doc = #doc]
                #[allow(dead_code)]
                #vis fn waiting(&self) -> ::chords::Waiting {
                    #waiting
                }
            },
        ),
        (
            "wait_idle".into(),
            quote! {
                #[doc = #idle_doc]
                #[allow(dead_code)]
                #vis fn wait_idle(&self) {
                    #idle
                }
            },
        ),
        (
            "wait_idle_timeout".into(),
            quote! {
                /// As `wait_idle`, for at most `timeout`; whether no chord is left.
                #[allow(dead_code)]
                #vis fn wait_idle_timeout(&self, timeout: ::core::time::Duration) -> bool {
                    #idle_timeout
                }
            },
        ),
    ]
}

/// `methods` in an impl of their own, under the user's `where` clause only.
fn object_impl(input: &Input, methods: impl IntoIterator<Item = TokenStream>) -> TokenStream {
    let name = &input.name;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let methods = methods.into_iter();
    quote! {
        impl #impl_generics #name #ty_generics #where_clause {
            #(#methods)*
        }
    }
}

/// The stub emitted when the input has errors: the struct, and methods
/// with the declared signatures, so that uses of them raise no further error.
pub fn stub(input: &Input) -> TokenStream {
    let name = &input.name;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let attrs = &input.attrs;
    // Each name once, the user's own items first: a clash is reported by
    // the checks, and must not come back as "duplicate definitions".
    let mut taken: HashSet<String> = input
        .user_items
        .iter()
        .filter_map(|item| match item {
            ImplItem::Fn(f) => Some(unraw(&f.sig.ident)),
            _ => None,
        })
        .collect();
    let new = if taken.insert(constructor_name(input).into()) {
        new_fn(input, false)
    } else {
        TokenStream::new()
    };
    let generated = object_methods(input, &Routes::default(), false)
        .into_iter()
        .filter(|(name, _)| taken.insert(name.clone()))
        .map(|(_, method)| method);
    let waiting = object_impl(input, generated);
    let mut methods = Vec::new();
    for channel in &input.channels {
        if taken.contains(&unraw(&channel.name)) {
            continue;
        }
        for (name, method) in channel_methods(channel, false, true) {
            if taken.insert(name) {
                methods.push(method);
            }
        }
    }
    let user_items = &input.user_items;
    let def = struct_def(input, TokenStream::new());
    let names: Vec<String> = input.chords.iter().map(|c| unraw(&c.name)).collect();
    let impls = trait_impls(input, &names, false);
    quote! {
        #def
        #impls
        #waiting
        #(#attrs)*
        impl #impl_generics #name #ty_generics #where_clause {
            #new
            #(#methods)*
            #(#user_items)*
        }
    }
}

/// The variables a term's bindings are taken into, and what goes where.
struct TermCode {
    /// The closure-parameter pattern of the term's binding.
    pattern: TokenStream,
    /// The pattern of its messages alone (a synchronous term's without its
    /// replies), as the static path binds them.
    messages: TokenStream,
    /// The body's arguments: (binding, type, value), for each named binding.
    args: Vec<(TokenStream, TokenStream, TokenStream)>,
    /// For a synchronous term: its replies, its element of the result type,
    /// and that element's value when it is made of `()` only.
    replies: Option<(Replies, TokenStream, Option<TokenStream>)>,
    /// Statements that bind a value pattern's names, at the body's start.
    prologue: Vec<TokenStream>,
}

enum Replies {
    One(Ident),
    Many(Vec<Ident>),
}

fn term_code(t: usize, term: &Term, channel: &Channel) -> TermCode {
    let k = channel.params.len();
    let var = |j: usize| format_ident!("__b{}_{}", t, j);
    let elem = |j: usize, i: u32| format_ident!("__b{}_{}_{}", t, j, i);
    let named = |j: usize| {
        matches!(
            term.bindings.get(j),
            Some(Binding::Name { .. } | Binding::Pattern(_))
        )
    };
    // Pattern of one message: `_`, a variable, or a tuple of them.
    let message = |name: &dyn Fn(usize) -> Ident| -> TokenStream {
        let one = |j: usize| {
            if named(j) {
                name(j).to_token_stream()
            } else {
                quote!(_)
            }
        };
        match k {
            0 => quote!(_),
            1 => one(0),
            _ => {
                let parts = (0..k).map(one);
                quote!((#(#parts,)*))
            }
        }
    };
    let mut args = Vec::new();
    let mut prologue = Vec::new();
    let mut push_arg = |j: usize, ty: TokenStream, value: TokenStream| match term.bindings.get(j) {
        Some(Binding::Name { mutability, ident }) => {
            args.push((quote!(#mutability #ident), ty, value));
        }
        // A repeated term's value pattern binds nothing (`route.rs`); the
        // search tested each message (`searched.rs`).
        Some(Binding::Pattern(_)) if term.repeat.is_some() => {}
        // A value pattern: the body gets the value, and binds the
        // pattern's names from it; the value fits (`route.rs` sent it
        // to this chord's sub-channel).
        Some(Binding::Pattern(pat)) => {
            let p = format_ident!("__p{}_{}", t, j);
            prologue.push(quote! {
                #[allow(irrefutable_let_patterns, unused_parens)]
                let (#pat) = #p else {
                    ::core::unreachable!("a message that does not fit its value pattern")
                };
            });
            args.push((p.to_token_stream(), ty, value));
        }
        _ => {}
    };
    let is_sync = channel.kind == Kind::Sync;
    match term.repeat {
        None => {
            let msg = message(&var);
            for (j, p) in channel.params.iter().enumerate() {
                let v = var(j);
                push_arg(j, p.ty.to_token_stream(), quote!(#v));
            }
            if is_sync {
                let reply = format_ident!("__r{}", t);
                TermCode {
                    pattern: quote!((#msg, #reply)),
                    messages: msg,
                    args,
                    prologue,
                    replies: Some((
                        Replies::One(reply),
                        channel.result_type(),
                        channel.returns_unit().then(|| quote!(())),
                    )),
                }
            } else {
                TermCode {
                    pattern: msg.clone(),
                    messages: msg,
                    args,
                    prologue,
                    replies: None,
                }
            }
        }
        Some((n, _)) => {
            let count = proc_macro2::Literal::usize_unsuffixed(n as usize);
            if !is_sync && k == 1 {
                // The binding is the array itself.
                let v = var(0);
                let ty = &channel.params[0].ty;
                push_arg(0, quote!([#ty; #count]), quote!(#v));
                return TermCode {
                    pattern: message(&var),
                    messages: message(&var),
                    args,
                    prologue,
                    replies: None,
                };
            }
            let messages: Vec<TokenStream> = (0..n).map(|i| message(&|j| elem(j, i))).collect();
            for (j, p) in channel.params.iter().enumerate() {
                let ty = &p.ty;
                let elems = (0..n).map(|i| elem(j, i));
                push_arg(j, quote!([#ty; #count]), quote!([#(#elems),*]));
            }
            if is_sync {
                let replies: Vec<Ident> = (0..n).map(|i| format_ident!("__r{}_{}", t, i)).collect();
                let result = channel.result_type();
                TermCode {
                    pattern: quote!([#((#messages, #replies)),*]),
                    messages: quote!([#(#messages),*]),
                    args,
                    prologue,
                    replies: Some((
                        Replies::Many(replies),
                        quote!([#result; #count]),
                        channel.returns_unit().then(|| quote!([(); #count])),
                    )),
                }
            } else if k == 0 {
                TermCode {
                    pattern: quote!(_),
                    messages: quote!(_),
                    args,
                    prologue,
                    replies: None,
                }
            } else {
                TermCode {
                    pattern: quote!([#(#messages),*]),
                    messages: quote!([#(#messages),*]),
                    args,
                    prologue,
                    replies: None,
                }
            }
        }
    }
}

/// The chord's registration in the constructor, and its body as a hidden method.
/// What one chord generates.
struct ChordCode {
    /// Its registration in the constructor.
    register: TokenStream,
    /// Its body, as a hidden method.
    body_fn: TokenStream,
    /// When its only synchronous term is a single call of one channel: that
    /// channel, and the static path's code that takes the chord's messages
    /// from a `Reserved` and returns the body's value.
    static_path: Option<(Ident, TokenStream)>,
}

/// The chord's registration in the constructor, its body as a hidden method,
/// and its static path.
fn chord_code(input: &Input, chord: &Chord) -> ChordCode {
    let terms = chord.pattern.as_deref().unwrap_or_default();
    let mut codes = Vec::new();
    let mut handles = Vec::new();
    // The static path's value for each term, and its synchronous channels.
    let mut takes = Vec::new();
    let mut callers = Vec::new();
    // The call whose argument a searched guard reads (`searched.rs`).
    let read = crate::searched::read_call(input, chord);
    for (t, term) in terms.iter().enumerate() {
        let Some(channel) = input.channel(&term.channel) else {
            continue;
        };
        let f = field(&channel.name);
        handles.push(match term.repeat {
            Some((n, _)) => {
                let n = proc_macro2::Literal::usize_unsuffixed(n as usize);
                quote!(#f.times::<#n>())
            }
            None if read == Some(t) => quote!(#f.argument()),
            None => quote!(#f),
        });
        takes.push(match (channel.kind, term.repeat) {
            (Kind::Sync, _) => {
                callers.push((&channel.name, term.repeat.is_none()));
                quote!(__msg)
            }
            (Kind::Async, None) => quote!(__reserved.take(self.#f)),
            (Kind::Async, Some((n, _))) => {
                let n = proc_macro2::Literal::usize_unsuffixed(n as usize);
                quote!(__reserved.take_array::<_, #n>(self.#f))
            }
        });
        codes.push(term_code(t, term, channel));
    }
    // A chord declared once per expansion (`route.rs`) has a body each.
    let method = match chord.expansion {
        None => format_ident!("__chord_{}", chord.name, span = chord.name.span()),
        Some(e) => format_ident!("__chord_{}_{}", chord.name, e, span = chord.name.span()),
    };
    // A body that takes `&self` but never names it runs as an associated
    // function: the firing then need not build a handle (an `Arc` clone).
    let has_self = chord.has_self && mentions_self(chord.block.to_token_stream());
    let chord_str = string(&chord.name);

    // The hidden method: the user's body, with the bindings as parameters.
    let params = codes
        .iter()
        .flat_map(|c| &c.args)
        .map(|(binding, ty, _)| quote!(#binding: #ty));
    // The user's own `&self`, so that `self` in the body points at it.
    let receiver = has_self
        .then(|| chord.sig.inputs.first())
        .flatten()
        .map(|r| quote!(#r,));
    let attrs = &chord.attrs;
    let output = &chord.sig.output;
    let block = &chord.block;
    let mut prologue: Vec<TokenStream> = codes.iter().flat_map(|c| c.prologue.clone()).collect();
    // A binding the guard reads is used, as in a `match` guard.
    if let Some(guard) = &chord.guard {
        let read = crate::route::mentioned(guard);
        prologue.extend(
            terms
                .iter()
                .flat_map(|t| t.bindings.iter().flat_map(Binding::names))
                .filter(|name| read.contains(&unraw(name)))
                .map(|name| quote!(let _ = &#name;)),
        );
    }
    let (block, allow_braces) = if prologue.is_empty() {
        (block.to_token_stream(), None)
    } else {
        (
            quote!({ #(#prologue)* #block }),
            Some(quote!(#[allow(unused_braces)])),
        )
    };
    let fn_token = &chord.sig.fn_token;
    let body_fn = quote! {
        #(#attrs)*
        #[doc(hidden)]
        #[allow(clippy::too_many_arguments, clippy::type_complexity, clippy::unused_self)]
        #allow_braces
        #fn_token #method(#receiver #(#params),*) #output #block
    };

    // The registration.
    let patterns = codes.iter().map(|c| &c.pattern);
    let this = if has_self {
        let fields = input.channels.iter().map(|c| field(&c.name));
        quote! {
            let __this = Self {
                __join: ::core::clone::Clone::clone(__join),
                #(#fields,)*
                __marker: ::core::marker::PhantomData,
            };
        }
    } else {
        TokenStream::new()
    };
    let this_arg = has_self.then(|| quote!(&__this,));
    let sync: Vec<&(Replies, TokenStream, Option<TokenStream>)> =
        codes.iter().filter_map(|c| c.replies.as_ref()).collect();
    let expected = match sync.as_slice() {
        [] => quote!(()),
        [(_, ty, _)] => ty.clone(),
        many => {
            let tys = many.iter().map(|(_, ty, _)| ty);
            quote!((#(#tys,)*))
        }
    };
    // Made of `()` only (`()`, `[(); N]`, tuples of those): a body with no
    // return type answers with that value.
    let unit_value: Option<TokenStream> = match sync.as_slice() {
        [] => Some(quote!(())),
        [(_, _, unit)] => unit.clone(),
        many => many
            .iter()
            .map(|(_, _, unit)| unit.clone())
            .collect::<Option<Vec<_>>>()
            .map(|units| quote!((#(#units,)*))),
    };
    let send = |replies: &Replies, value: TokenStream| match replies {
        Replies::One(r) => quote!(#r.send(#value);),
        Replies::Many(rs) => quote!(::chords::__private::reply_each([#(#rs),*], #value);),
    };
    let sends = match sync.as_slice() {
        [] => TokenStream::new(),
        [(replies, _, _)] => send(replies, quote!(__out)),
        many => {
            let outs: Vec<Ident> = (0..many.len()).map(|i| format_ident!("__o{}", i)).collect();
            let each = many
                .iter()
                .zip(&outs)
                .map(|((r, _, _), o)| send(r, quote!(#o)));
            quote! {
                let (#(#outs,)*) = __out;
                #(#each)*
            }
        }
    };
    // Spanned at the user's return type (or the body when there is none), so
    // that a result that does not fit the synchronous terms is reported there.
    let check_span = match output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => chord.block.brace_token.span.open(),
    };
    // The body's value as the synchronous terms' result, the body called
    // with `this` as its receiver.
    let out = |this: Option<TokenStream>| {
        let values = codes
            .iter()
            .flat_map(|c| &c.args)
            .map(|(_, _, value)| value);
        let call = quote!(Self::#method(#this #(#values),*));
        match (output, &unit_value) {
            // No return type, and only `()` to answer: the body returns `()`.
            (ReturnType::Default, Some(unit)) if sync.is_empty() || unit.to_string() == "()" => {
                call
            }
            (ReturnType::Default, Some(unit)) => quote! {{
                let () = #call;
                #unit
            }},
            // A return type that must fit the synchronous terms. (With none
            // and a result to give, the checks have reported it already.)
            _ => {
                quote_spanned!(check_span=> ::chords::__private::chord_result::<_, #expected>(#call))
            }
        }
    };
    // A guarded chord's messages were picked by its search: it runs the
    // general way, whose terms take them from there.
    let static_path = match callers.as_slice() {
        [(caller, true)] if !crate::searched::searched(chord) => {
            let messages = codes.iter().map(|c| &c.messages);
            let this = has_self.then(|| quote!(self,));
            let out = out(this);
            Some((
                (*caller).clone(),
                quote! {
                    let (#(#messages,)*) = (#(#takes,)*);
                    let __out: #expected = #out;
                    __out
                },
            ))
        }
        _ => None,
    };
    let out = out(this_arg);
    let (first, rest) = match handles.split_first() {
        Some((first, rest)) => (first.clone(), rest.to_vec()),
        None => (quote!(), Vec::new()),
    };
    let guard = crate::searched::guard_call(input, chord);
    let register = quote! {
        __builder.when(#first) #(.and(#rest))* .named(#chord_str) #guard .then_with(
            move |__join: &::chords::Join, (#(#patterns,)*)| {
                #this
                let __out: #expected = #out;
                #sends
            },
        );
    };
    ChordCode {
        register,
        body_fn,
        static_path,
    }
}

/// Whether `tokens` name `self` anywhere, macro arguments included.
pub fn mentions_self(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == "self",
        proc_macro2::TokenTree::Group(group) => mentions_self(group.stream()),
        _ => false,
    })
}

pub fn expand(original: &Input, routes: &Routes) -> TokenStream {
    // Split channels become their sub-channels, and chords over them one
    // declaration per expansion (`route.rs`); the methods users call are
    // generated from the original.
    let lowered = routes.lower(original);
    let input = &lowered;
    let name = &input.name;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let bounded = bounded_where(input);
    let attrs = &input.attrs;

    let fields = input.channels.iter().map(|c| {
        let f = field(&c.name);
        let msg = c.message_type();
        match c.kind {
            Kind::Async => quote!(#f: ::chords::AsyncChannel<#msg>,),
            Kind::Sync => {
                let result = c.result_type();
                quote!(#f: ::chords::SyncChannel<#msg, #result>,)
            }
        }
    });
    let def = struct_def(input, quote!(#(#fields)*));
    let names: Vec<String> = original.chords.iter().map(|c| unraw(&c.name)).collect();
    let impls = trait_impls(input, &names, true);
    let waiting = object_impl(
        input,
        object_methods(original, routes, true)
            .into_iter()
            .map(|(_, m)| m),
    );
    let checks = send_checks(input);

    let declare = input.channels.iter().map(|c| {
        let f = field(&c.name);
        let s = string(&c.name);
        let msg = c.message_type();
        match c.kind {
            // A split state channel's sub-channels: slots, its message
            // routed to one of them once built.
            Kind::Async if c.state.is_some() && original.channel(&c.name).is_none() => {
                quote!(let #f = ::chords::__private::state_slot::<#msg>(&mut __builder, #s);)
            }
            Kind::Async if c.state.is_some() => {
                let initial = if c.params.is_empty() {
                    quote!(())
                } else {
                    c.name.to_token_stream()
                };
                quote!(let #f = __builder.state::<#msg>(#s, #initial);)
            }
            Kind::Async => quote!(let #f = __builder.asynchronous::<#msg>(#s);),
            Kind::Sync => {
                let result = c.result_type();
                quote!(let #f = __builder.synchronous::<#msg, #result>(#s);)
            }
        }
    });
    let chords: Vec<ChordCode> = input.chords.iter().map(|c| chord_code(input, c)).collect();
    let registers = chords.iter().map(|c| &c.register);
    let spawn = input
        .spawn
        .as_ref()
        .map(|spawn| quote_spanned!(spawn.span()=> __builder.spawn_with(#spawn);));
    let bodies = chords.iter().map(|c| &c.body_fn);
    let fields = input.channels.iter().map(|c| field(&c.name));
    let new = new_fn(original, true);
    let state_params = state_params(original)
        .into_iter()
        .map(|(n, ty)| quote!(#n: #ty));
    // An asynchronous sub-channel has no methods: its channel's routed ones
    // send to it. A synchronous one has its own, hidden, which its channel's
    // routed ones call.
    let methods = input
        .channels
        .iter()
        .filter(|c| original.channel(&c.name).is_some() || c.kind == Kind::Sync)
        .flat_map(|c| channel_methods(c, true, !crate::searched::retries(input, &c.name)))
        .map(|(_, method)| method);
    let routed = original.channels.iter().filter_map(|c| {
        let tests = routes.tests(&c.name)?;
        Some(routed_methods(c, &routes.subs(c)?, tests))
    });
    // The keyed part: an object per key, in an index the join keeps.
    let (keyed_items, keyed_index, keyed_methods) = match &routes.keyed {
        None => (TokenStream::new(), TokenStream::new(), Vec::new()),
        Some(keyed) => {
            let inner = keyed.inner(original);
            let inner_name = &inner.name;
            let inner_ty = quote!(#inner_name #ty_generics);
            let key = &keyed.key;
            let methods: Vec<TokenStream> = original
                .channels
                .iter()
                .filter_map(|c| Some(crate::keyed::methods(c, keyed.key_of(&c.name)?, &inner_ty)))
                .collect();
            (
                expand(&inner, &Routes::default()),
                quote! {
                    ::chords::__private::set_extension(
                        &mut __builder,
                        ::chords::__private::Index::<#key, #inner_ty>::new(<#inner_ty>::new),
                    );
                },
                std::iter::once(quote! {
                    /// The objects of the keyed chords, one per key.
                    #[doc(hidden)]
                    fn __index(&self) -> &::chords::__private::Index<#key, #inner_ty> {
                        ::chords::__private::extension(&self.__join)
                    }
                })
                .chain(methods)
                .collect(),
            )
        }
    };
    // A split state channel's initial message, routed once built.
    let route_initial = original
        .states()
        .filter(|c| routes.tests(&c.name).is_some())
        .map(|c| {
            let send = format_ident!("__send_{}", c.name);
            let initial = if c.params.is_empty() {
                quote!(())
            } else {
                c.name.to_token_stream()
            };
            quote!(__this.#send(#initial);)
        });
    let nows = input
        .channels
        .iter()
        .filter(|c| c.kind == Kind::Sync)
        .map(|channel| {
            let static_paths: Vec<(usize, TokenStream)> = chords
                .iter()
                .enumerate()
                .filter_map(|(index, chord)| match &chord.static_path {
                    Some((caller, code)) if *caller == channel.name => Some((index, code.clone())),
                    _ => None,
                })
                .collect();
            now_methods(channel, &static_paths)
        });
    let user_items = &input.user_items;
    let tables = member_tables(input);
    let checks_fields = input.channels.iter().map(|c| field(&c.name));
    let checks_members = input.channels.iter().map(|c| members_name(&c.name));

    quote! {
        #def
        #impls
        #waiting
        #checks
        #keyed_items

        #(#attrs)*
        impl #impl_generics #name #ty_generics #bounded {
            /// Declares the channels and chords on the runtime.
            #[doc(hidden)]
            fn __chords_new(#(#state_params),*) -> Self {
                let mut __builder = ::chords::Join::builder();
                #spawn
                #keyed_index
                #(#declare)*
                #(#registers)*
                let __join = match __builder.build() {
                    ::core::result::Result::Ok(join) => join,
                    ::core::result::Result::Err(error) => ::core::panic!("{}", error),
                };
                if ::core::cfg!(debug_assertions) {
                    #(::chords::__private::check_tables(&__join, #checks_fields, Self::#checks_members);)*
                }
                let __this = Self {
                    __join,
                    #(#fields,)*
                    __marker: ::core::marker::PhantomData,
                };
                #(#route_initial)*
                __this
            }

            #tables
            #new
            #(#methods)*
            #(#routed)*
            #(#keyed_methods)*
            #(#nows)*
            #(#bodies)*
            #(#user_items)*
        }
    }
}
