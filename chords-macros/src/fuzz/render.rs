//! A block's source text, and where each of its parts is in it: the
//! places that the errors of an invalid block must point at.

use std::fmt::Write;
use std::ops::Range;

use super::model::*;

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
