//! Shrinks a failing case: fewer mistakes, fewer items, fewer terms, as long
//! as the valid block stays valid and the case fails the same way.

use super::check::expand;
use super::model::{Block, ItemKind};
use super::render::render;

/// The most cases tried while shrinking.
const BUDGET: usize = 400;

/// The smallest (block, mistake seeds) found from `base` and `seeds` for
/// which `fails` still holds.
pub fn shrink(
    base: &Block,
    seeds: &[u64],
    fails: impl Fn(&Block, &[u64]) -> bool,
) -> (Block, Vec<u64>) {
    let mut best = (base.clone(), seeds.to_vec());
    let mut tried = 0;
    'smaller: loop {
        for (block, seeds) in candidates(&best.0, &best.1) {
            if tried == BUDGET {
                break 'smaller;
            }
            tried += 1;
            if valid(&block) && fails(&block, &seeds) {
                best = (block, seeds);
                continue 'smaller;
            }
        }
        break;
    }
    best
}

/// Whether the macro takes `block` without an error.
fn valid(block: &Block) -> bool {
    expand(&render(block).text).is_ok_and(|errors| errors.is_empty())
}

/// Each way to make the case one step smaller.
fn candidates(block: &Block, seeds: &[u64]) -> Vec<(Block, Vec<u64>)> {
    let mut out = Vec::new();
    if seeds.len() > 1 {
        for i in 0..seeds.len() {
            let mut fewer = seeds.to_vec();
            fewer.remove(i);
            out.push((block.clone(), fewer));
        }
    }
    for i in (0..block.items.len()).rev() {
        let mut smaller = block.clone();
        smaller.items.remove(i);
        out.push((without_orphans(smaller), seeds.to_vec()));
    }
    for (i, item) in block.items.iter().enumerate() {
        let ItemKind::Chord(chord) = &item.kind else {
            continue;
        };
        for t in 0..chord.terms.len() {
            if chord.terms.len() == 1 {
                break;
            }
            let mut smaller = block.clone();
            if let ItemKind::Chord(c) = &mut smaller.items[i].kind {
                c.terms.remove(t);
            }
            out.push((without_orphans(smaller), seeds.to_vec()));
        }
    }
    out
}

/// `block` without the channels that no chord's pattern names any more.
fn without_orphans(mut block: Block) -> Block {
    let used: Vec<String> = block
        .chords()
        .flat_map(|c| c.terms.iter().map(|t| t.channel.clone()))
        .collect();
    block
        .items
        .retain(|item| !matches!(&item.kind, ItemKind::Channel(c) if !used.contains(&c.name)));
    block
}
