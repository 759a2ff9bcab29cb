//! Paths through a chord body: how many times each path sends a channel.
//!
//! The checks of state channels and of livelocks (docs/reference.md, *State
//! channels*) ask one question of a body: on each way out of it (its end, a
//! `return`, a `?`), how many times has `self.name(..)` been called? The
//! answer is a [`Range`] per way out, the least and the most over the paths
//! that reach it, with what breaks a count on the way: a send in a loop or a
//! closure (it may run any number of times), branches that send differently,
//! a send on a path that has sent already.
//!
//! Only what the macro sees counts: a send written in the body, as a method
//! call on `self`. A send inside another macro's arguments, or in a helper
//! method the body calls, is not seen.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Block, Expr, Stmt};

use crate::ast::unraw;

/// The least and the most sends over the paths to one point.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Range {
    pub min: u32,
    pub max: u32,
}

impl Range {
    const NONE: Range = Range { min: 0, max: 0 };

    fn plus_one(self) -> Range {
        Range {
            min: self.min.saturating_add(1),
            max: self.max.saturating_add(1),
        }
    }
}

/// A way out of a body before its end.
pub struct Exit {
    /// The `return` expression, or the `?`.
    pub span: Span,
    /// `"return"` or `"?"`.
    pub what: &'static str,
    pub sends: Range,
}

/// What a body does with one channel: [`sends`] computes it.
#[derive(Default)]
pub struct Sends {
    /// The sends of the paths that fall off the body's end; `None` if none does.
    pub end: Option<Range>,
    pub exits: Vec<Exit>,
    /// Every send, in source order.
    pub all: Vec<Span>,
    /// Sends that may run any number of times, and where: `"a loop"`,
    /// `"a closure"`, `"an async block"`.
    pub repeated: Vec<(Span, &'static str)>,
    /// Sends on a path that has sent already.
    pub twice: Vec<Span>,
    /// Branches that send fewer times than another branch of the same
    /// `if`, `match`, `&&` or `||` (an `if` without `else`: the `if`).
    pub uneven: Vec<Span>,
    /// Reads of the channel (`self.name_now()`).
    pub reads: Vec<Span>,
}

impl Sends {
    /// The fewest sends of any way out of the body, counting only sends
    /// that run once where they stand; `None` if no path leaves the body.
    pub fn fewest(&self) -> Option<u32> {
        self.exits
            .iter()
            .map(|e| e.sends.min)
            .chain(self.end.map(|r| r.min))
            .min()
    }
}

/// How `block` sends `channel`.
pub fn sends(block: &Block, channel: &str) -> Sends {
    let mut walk = Walk {
        channel,
        read: format!("{channel}_now"),
        inside: None,
        exits_count: true,
        out: Sends::default(),
    };
    walk.out.end = walk.block(block, Range::NONE);
    walk.out
}

struct Walk<'a> {
    channel: &'a str,
    read: String,
    /// What encloses the current expression that may run it many times.
    inside: Option<&'static str>,
    /// Whether a `return` or `?` here leaves the body (not inside a closure).
    exits_count: bool,
    out: Sends,
}

impl Walk<'_> {
    fn block(&mut self, block: &Block, mut at: Range) -> Option<Range> {
        for stmt in &block.stmts {
            at = match stmt {
                Stmt::Local(local) => match &local.init {
                    None => at,
                    Some(init) => {
                        let after = self.expr(&init.expr, at)?;
                        if let Some((_, diverge)) = &init.diverge {
                            // `let .. else { .. }`: the `else` leaves by itself.
                            let _ = self.expr(diverge, after);
                        }
                        after
                    }
                },
                Stmt::Expr(expr, _) => self.expr(expr, at)?,
                Stmt::Item(_) | Stmt::Macro(_) => at,
            };
        }
        Some(at)
    }

    /// The sends after `expr`, from `at` before it; `None` if it never
    /// completes (it returns).
    fn expr(&mut self, expr: &Expr, at: Range) -> Option<Range> {
        match expr {
            Expr::Block(b) => self.block(&b.block, at),
            Expr::Unsafe(b) => self.block(&b.block, at),
            Expr::If(e) => {
                let at = self.expr(&e.cond, at)?;
                let then = self.block(&e.then_branch, at);
                let (other, other_span) = match &e.else_branch {
                    Some((_, other)) => (self.expr(other, at), other.span()),
                    None => (Some(at), e.if_token.span),
                };
                self.merge(&[(e.then_branch.span(), then), (other_span, other)])
            }
            Expr::Match(e) => {
                let at = self.expr(&e.expr, at)?;
                let arms: Vec<(Span, Option<Range>)> = e
                    .arms
                    .iter()
                    .map(|arm| {
                        let at = match &arm.pat {
                            syn::Pat::Guard(g) => self.expr(&g.guard, at),
                            _ => Some(at),
                        };
                        (arm.body.span(), at.and_then(|at| self.expr(&arm.body, at)))
                    })
                    .collect();
                self.merge(&arms)
            }
            Expr::Binary(e) if matches!(e.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                let at = self.expr(&e.left, at)?;
                let right = self.expr(&e.right, at);
                self.merge(&[(e.right.span(), right), (e.left.span(), Some(at))])
            }
            Expr::Return(e) => {
                let at = match &e.expr {
                    Some(value) => self.expr(value, at)?,
                    None => at,
                };
                self.exit(expr.span(), "return", at);
                None
            }
            Expr::Try(e) => {
                let at = self.expr(&e.expr, at)?;
                self.exit(e.question_token.span, "?", at);
                Some(at)
            }
            Expr::Closure(e) => {
                self.nested("a closure", false, |w| w.expr(&e.body, at));
                Some(at)
            }
            Expr::Async(e) => {
                self.nested("an async block", false, |w| w.block(&e.block, at));
                Some(at)
            }
            Expr::ForLoop(e) => {
                let at = self.expr(&e.expr, at)?;
                self.nested("a loop", true, |w| w.block(&e.body, at));
                Some(at)
            }
            Expr::While(e) => {
                self.nested("a loop", true, |w| {
                    let at = w.expr(&e.cond, at)?;
                    w.block(&e.body, at)
                });
                Some(at)
            }
            Expr::Loop(e) => {
                self.nested("a loop", true, |w| w.block(&e.body, at));
                Some(at)
            }
            Expr::MethodCall(e) => {
                let mut at = self.expr(&e.receiver, at)?;
                for arg in &e.args {
                    at = self.expr(arg, at)?;
                }
                let on_self = matches!(&*e.receiver, Expr::Path(p) if p.path.is_ident("self"));
                let method = unraw(&e.method);
                if on_self && method == self.channel {
                    return Some(self.send(e.method.span(), at));
                }
                if on_self && method == self.read {
                    self.out.reads.push(e.method.span());
                }
                Some(at)
            }
            _ => self.children(expr, at),
        }
    }

    /// The sub-expressions of `expr`, in the order they run.
    fn children(&mut self, expr: &Expr, at: Range) -> Option<Range> {
        match expr {
            Expr::Array(e) => self.seq(&e.elems, at),
            Expr::Tuple(e) => self.seq(&e.elems, at),
            Expr::Call(e) => self.seq(std::iter::once(&*e.func).chain(&e.args), at),
            Expr::Assign(e) => self.seq([&*e.right, &*e.left], at),
            Expr::Binary(e) => self.seq([&*e.left, &*e.right], at),
            Expr::Index(e) => self.seq([&*e.expr, &*e.index], at),
            Expr::Repeat(e) => self.seq([&*e.expr, &*e.len], at),
            Expr::Range(e) => self.seq(e.start.iter().chain(&e.end).map(|e| &**e), at),
            Expr::Struct(e) => self.seq(
                e.fields.iter().map(|f| &f.expr).chain(e.rest.as_deref()),
                at,
            ),
            Expr::Break(e) => self.seq(e.expr.iter().map(|e| &**e), at),
            Expr::Await(e) => self.expr(&e.base, at),
            Expr::Cast(e) => self.expr(&e.expr, at),
            Expr::Field(e) => self.expr(&e.base, at),
            Expr::Group(e) => self.expr(&e.expr, at),
            Expr::Paren(e) => self.expr(&e.expr, at),
            Expr::Reference(e) => self.expr(&e.expr, at),
            Expr::Unary(e) => self.expr(&e.expr, at),
            Expr::Let(e) => self.expr(&e.expr, at),
            _ => Some(at),
        }
    }

    /// Expressions that run one after another.
    fn seq<'e>(
        &mut self,
        exprs: impl IntoIterator<Item = &'e Expr>,
        mut at: Range,
    ) -> Option<Range> {
        for e in exprs {
            at = self.expr(e, at)?;
        }
        Some(at)
    }

    fn send(&mut self, span: Span, at: Range) -> Range {
        self.out.all.push(span);
        if let Some(inside) = self.inside {
            self.out.repeated.push((span, inside));
            return at;
        }
        if at.min >= 1 {
            self.out.twice.push(span);
        }
        at.plus_one()
    }

    fn exit(&mut self, span: Span, what: &'static str, sends: Range) {
        if self.exits_count {
            self.out.exits.push(Exit { span, what, sends });
        }
    }

    /// Walks code that may run any number of times; `exits` tells whether
    /// a `return` or `?` there leaves the body.
    fn nested(
        &mut self,
        inside: &'static str,
        exits: bool,
        f: impl FnOnce(&mut Self) -> Option<Range>,
    ) {
        let outer = (self.inside, self.exits_count);
        self.inside = Some(self.inside.unwrap_or(inside));
        self.exits_count &= exits;
        let _ = f(self);
        (self.inside, self.exits_count) = outer;
    }

    /// The sends after branches of which one runs; records the branches
    /// that send fewer times than another.
    fn merge(&mut self, branches: &[(Span, Option<Range>)]) -> Option<Range> {
        let live = branches.iter().filter_map(|(_, r)| *r);
        let min = live.clone().map(|r| r.min).min()?;
        let max = live.map(|r| r.max).max()?;
        for (span, range) in branches {
            if matches!(range, Some(r) if r.max < max) {
                self.out.uneven.push(*span);
            }
        }
        Some(Range { min, max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(body: &str) -> Sends {
        let block: Block = syn::parse_str(body).unwrap();
        sends(&block, "count")
    }

    #[test]
    fn a_straight_send_is_one_on_the_only_path() {
        let s = of("{ let m = n + 1; self.count(m); m }");
        assert_eq!(s.end, Some(Range { min: 1, max: 1 }));
        assert!(s.exits.is_empty() && s.twice.is_empty() && s.uneven.is_empty());
    }

    #[test]
    fn branches_that_differ_are_uneven() {
        let s = of("{ if n > 0 { self.count(n - 1); } else { other(); } }");
        assert_eq!(s.end, Some(Range { min: 0, max: 1 }));
        assert_eq!(s.uneven.len(), 1);
        let s = of("{ match n { 0 => self.count(1), _ => self.count(n) } }");
        assert_eq!(s.end, Some(Range { min: 1, max: 1 }));
        assert!(s.uneven.is_empty());
        let s = of("{ if n > 0 { self.count(n) } }");
        assert_eq!(s.uneven.len(), 1, "an `if` without `else`");
    }

    #[test]
    fn returns_and_questions_marks_are_ways_out() {
        let s = of("{ if n == 0 { return false; } let x = f()?; self.count(n); true }");
        let exits: Vec<(&str, u32)> = s.exits.iter().map(|e| (e.what, e.sends.max)).collect();
        assert_eq!(exits, [("return", 0), ("?", 0)]);
        assert_eq!(s.end, Some(Range { min: 1, max: 1 }));
        assert_eq!(s.fewest(), Some(0));
        let s = of("{ self.count(n); f()?; return true; }");
        assert_eq!(s.end, None, "nothing falls off the end");
        assert_eq!(s.fewest(), Some(1));
    }

    #[test]
    fn loops_closures_and_second_sends_are_found() {
        let s = of("{ for i in 0..n { self.count(i); } self.count(n); self.count(n) }");
        assert_eq!(s.repeated.len(), 1);
        assert_eq!(s.repeated[0].1, "a loop");
        assert_eq!(s.twice.len(), 1);
        assert_eq!(s.end, Some(Range { min: 2, max: 2 }));
        let s = of("{ let f = || { return self.count(1); }; f(); }");
        assert_eq!(s.repeated[0].1, "a closure");
        assert!(
            s.exits.is_empty(),
            "a closure's `return` leaves the closure only"
        );
        assert_eq!(s.all.len(), 1);
    }

    #[test]
    fn short_circuits_are_branches_and_reads_are_seen() {
        let s = of("{ ok && { self.count(1); true }; let v = self.count_now(); }");
        assert_eq!(s.uneven.len(), 1);
        assert_eq!(s.reads.len(), 1);
        assert_eq!(s.fewest(), Some(0));
    }
}
