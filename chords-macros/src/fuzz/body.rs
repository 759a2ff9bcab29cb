//! The bodies of generated chords: a value mixed from the bindings, sends,
//! and a result for each synchronous term. They call `crate::values::{mix,
//! v, word}`, which the programs of `tests/macro_fuzz.rs` define.

use std::fmt::Write;

use super::model::*;

/// A body's code: statements (each line indented and ended), and its value
/// for the synchronous terms.
pub struct BodyCode {
    pub statements: String,
    pub value: String,
}

/// The body of `chord`: a value mixed from all its bindings and its salt,
/// the sends (written by `send(channel, args)`), and one result per
/// synchronous term derived from that value. `t` is the block's type
/// parameter (`T`, or `u64` in the join built by hand).
pub fn body_code(
    channels: &[Channel],
    chord: &Chord,
    t: &str,
    send: &dyn Fn(&str, &[String]) -> String,
) -> BodyCode {
    let find = |name: &str| {
        channels
            .iter()
            .find(|c| same(&c.name, name))
            .expect("declared")
    };
    let parts: Vec<String> = chord
        .terms
        .iter()
        .flat_map(|t| t.bindings.iter().flatten())
        .map(|b| format!("crate::values::v(&{})", variable(b)))
        .collect();
    let mut statements = format!(
        "        let __v: u64 = crate::values::mix(&[{}]).wrapping_add({});\n",
        parts.join(", "),
        chord.salt
    );
    for (i, channel) in chord.sends.iter().enumerate() {
        let args: Vec<String> = find(channel)
            .params
            .iter()
            .map(|p| {
                let n = format!("(__v + {i}) % 97");
                match p.ty {
                    Ty::Unit => "()".to_string(),
                    Ty::T => format!("<{t}>::from({n})"),
                    _ => value(&p.ty, &n),
                }
            })
            .collect();
        let _ = writeln!(statements, "        {};", send(channel, &args));
    }
    let mut elements = Vec::new();
    for term in &chord.terms {
        let channel = find(&term.channel);
        if !channel.sync {
            continue;
        }
        let i = elements.len() as u64 * 10;
        let one = |r: u64| value(&result_of(channel), &format!("__v.wrapping_add({})", i + r));
        elements.push(match term.repeat {
            Some(n) => format!(
                "[{}]",
                (0..u64::from(n)).map(one).collect::<Vec<_>>().join(", ")
            ),
            None => one(0),
        });
    }
    let value = match elements.as_slice() {
        [] => {
            statements.push_str("        let _ = __v;\n");
            "()".to_string()
        }
        [one] => one.clone(),
        many => format!("({})", many.join(", ")),
    };
    BodyCode { statements, value }
}

/// A value of type `ty` made from the `u64` expression `n` (`ty` not `T`).
pub fn value(ty: &Ty, n: &str) -> String {
    match ty {
        Ty::Unit => "()".to_string(),
        Ty::Pair => format!("({n}, ())"),
        Ty::Wrapping => format!("std::num::Wrapping({n})"),
        Ty::Str => format!("crate::values::word({n})"),
        _ => n.to_string(),
    }
}
