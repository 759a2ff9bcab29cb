//! Valid random blocks: channels, patterns in an order where each chord can
//! fire, bodies, and the other items of an impl.

use super::body::body_code;
use super::model::*;
use super::rng::Rng;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Blocks whose single-threaded histories are deterministic (for
    /// `tests/macro_fuzz.rs`): a chord with no synchronous term shares no
    /// channel with one that has some (its body runs on the executor, so the
    /// messages it takes could otherwise race with the next step's), and a
    /// body sends at most one message (two could fire two chords that race
    /// for one channel's messages), and only from a chord with a
    /// synchronous term.
    pub runnable: bool,
}

/// A valid block named `name`: 1 to 6 channels, 1 to 6 chords.
pub fn generate(rng: &mut Rng, name: &str, profile: Profile) -> Block {
    loop {
        if let Some(block) = try_generate(rng, name, profile) {
            return block;
        }
    }
}

/// A channel's group: the chords it may be in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    /// Any chord.
    Any,
    /// Chords with a synchronous term (a runnable profile's synchronous
    /// channels and the asynchronous channels they share).
    Answered,
    /// Chords without one (a runnable profile's other asynchronous channels).
    Quiet,
}

struct Draft {
    group: Group,
    terms: Vec<Term>,
}

fn try_generate(rng: &mut Rng, name: &str, profile: Profile) -> Option<Block> {
    let generic = match rng.below(8) {
        0 => Some(Bounds::Inline),
        1 => Some(Bounds::Where),
        _ => None,
    };
    let mut channels: Vec<Channel> = (0..rng.between(1, 6))
        .map(|i| channel(rng, i, generic.is_some()))
        .collect();
    let groups = groups(rng, &mut channels, profile);
    let drafts = priority_order(drafts(rng, &channels, &groups)?)?;
    let chords: Vec<Chord> = drafts
        .into_iter()
        .enumerate()
        .map(|(k, draft)| chord(rng, &channels, k, draft.terms, profile))
        .collect();
    let mut block = Block {
        name: name.to_string(),
        args: rng
            .pick(&["", "", "pub", "pub(crate)", "pub(super)"])
            .to_string(),
        generic,
        head: Head::default(),
        items: Vec::new(),
        next_id: 0,
    };
    for kind in items(rng, &block.args, channels, chords) {
        let at = block.items.len();
        block.insert(at, kind);
    }
    Some(block)
}

/// The channel `c{i}` (or a raw name), of a random kind, with 0 to 3
/// parameters; `generic` when the impl has a type parameter `T`.
fn channel(rng: &mut Rng, i: usize, generic: bool) -> Channel {
    let sync = rng.percent(45);
    // Parameter names as the generated `_timeout` and `_deadline` methods
    // name their own last parameter, sometimes.
    let mut names = vec!["timeout", "deadline", "call_timeout"];
    let params = (0..*rng.pick(&[0, 1, 1, 1, 2, 2, 3]))
        .map(|j| Param {
            name: if rng.percent(10) {
                names.remove(rng.below(names.len())).to_string()
            } else {
                format!("p{j}")
            },
            ty: match rng.pick(&[
                Ty::U64,
                Ty::U64,
                Ty::U64,
                Ty::U64,
                Ty::Unit,
                Ty::Unit,
                Ty::Wrapping,
                Ty::Str,
                Ty::T,
            ]) {
                Ty::T if !generic => Ty::U64,
                ty => ty.clone(),
            },
        })
        .collect();
    let results = [
        None,
        Some(Ty::Unit),
        Some(Ty::U64),
        Some(Ty::U64),
        Some(Ty::Pair),
        Some(Ty::Wrapping),
    ];
    // Raw identifiers, keywords among them, sometimes.
    const KEYWORDS: &[&str] = &["r#type", "r#loop", "r#match", "r#move", "r#in", "r#ref"];
    Channel {
        name: match rng.below(100) {
            0..8 => KEYWORDS[i].to_string(),
            8..12 => format!("r#c{i}"),
            _ => format!("c{i}"),
        },
        sync,
        params,
        ret: if sync {
            rng.pick(&results).clone()
        } else {
            None
        },
        vis: rng
            .pick(&["", "", "pub ", "pub(crate) ", "pub(super) "])
            .to_string(),
        doc: rng.percent(30),
        attrs: match rng.below(10) {
            0 => "#[inline]\n    ".into(),
            1 if sync => "#[must_use]\n    ".into(),
            _ => String::new(),
        },
        raw: ChannelRaw::default(),
    }
}

/// Each channel's group (see [`Profile::runnable`]).
fn groups(rng: &mut Rng, channels: &mut [Channel], profile: Profile) -> Vec<Group> {
    if !profile.runnable {
        return vec![Group::Any; channels.len()];
    }
    // Mostly objects with calls to answer.
    if !channels.iter().any(|c| c.sync) && rng.percent(80) {
        channels[0].sync = true;
        channels[0].ret = Some(Ty::U64);
    }
    let any_sync = channels.iter().any(|c| c.sync);
    channels
        .iter()
        .map(|c| {
            if c.sync || (any_sync && rng.percent(70)) {
                Group::Answered
            } else {
                Group::Quiet
            }
        })
        .collect()
}

/// 1 to 6 patterns, each over the channels of one group, with every
/// channel in some pattern and a synchronous term in each pattern of the
/// answered group; `None` if a channel fits no pattern.
fn drafts(rng: &mut Rng, channels: &[Channel], groups: &[Group]) -> Option<Vec<Draft>> {
    let pool = |group: Group| -> Vec<usize> {
        (0..channels.len())
            .filter(|&i| group == Group::Any || groups[i] == group)
            .collect()
    };
    let mut kinds: Vec<Group> = groups.to_vec();
    kinds.sort_by_key(|g| *g as u8);
    kinds.dedup();
    let mut drafts: Vec<Draft> = (0..rng.between(1, 6))
        .map(|_| {
            let group = *rng.pick(&kinds);
            let pool = pool(group);
            let len = if rng.percent(5) {
                rng.between(5, 8)
            } else {
                rng.between(1, 4)
            };
            let terms = (0..len)
                .map(|_| {
                    let c = *rng.pick(&pool);
                    term(rng, &channels[c])
                })
                .collect();
            Draft { group, terms }
        })
        .collect();
    let syncs: Vec<usize> = (0..channels.len()).filter(|&i| channels[i].sync).collect();
    for draft in &mut drafts {
        let has_sync = draft
            .terms
            .iter()
            .any(|t| channels.iter().any(|c| same(&c.name, &t.channel) && c.sync));
        if draft.group == Group::Answered && !has_sync {
            let at = rng.below(draft.terms.len());
            let c = *rng.pick(&syncs);
            draft.terms[at] = term(rng, &channels[c]);
        }
    }
    for (channel, group) in channels.iter().zip(groups) {
        if drafts
            .iter()
            .any(|d| d.terms.iter().any(|t| same(&t.channel, &channel.name)))
        {
            continue;
        }
        let fits: Vec<usize> = (0..drafts.len())
            .filter(|&d| drafts[d].group == *group && drafts[d].terms.len() < 12)
            .collect();
        let d = *rng.choose(&fits)?;
        let at = rng.below(drafts[d].terms.len() + 1);
        drafts[d].terms.insert(at, term(rng, channel));
    }
    Some(drafts)
}

/// The items in declaration order: channels first, or (sometimes)
/// interleaved with the chords, and sometimes a `new` of the user's and a
/// helper method.
fn items(rng: &mut Rng, args: &str, channels: Vec<Channel>, chords: Vec<Chord>) -> Vec<ItemKind> {
    let mut kinds: Vec<ItemKind> = Vec::new();
    let (mut channels, mut chords) = (channels.into_iter(), chords.into_iter());
    let interleave = rng.percent(25);
    loop {
        let next = if interleave && rng.percent(50) {
            chords.next().map(ItemKind::Chord)
        } else {
            None
        };
        match next
            .or_else(|| channels.next().map(ItemKind::Channel))
            .or_else(|| chords.next().map(ItemKind::Chord))
        {
            Some(kind) => kinds.push(kind),
            None => break,
        }
    }
    if rng.percent(15) {
        let vis = if args.is_empty() {
            String::new()
        } else {
            format!("{args} ")
        };
        let at = rng.below(kinds.len() + 1);
        kinds.insert(
            at,
            ItemKind::Method(Method {
                before: format!("{vis}fn "),
                name: "new".into(),
                after: "() -> Self { Self::default() }".into(),
            }),
        );
    }
    if rng.percent(20) {
        let at = rng.below(kinds.len() + 1);
        kinds.insert(
            at,
            ItemKind::Method(Method {
                before: "fn ".into(),
                name: "m0".into(),
                after: "(&self) -> u64 { 7 }".into(),
            }),
        );
    }
    kinds
}

/// A term of `channel`, sometimes repeated, binding each parameter to a
/// fresh name or `_`.
fn term(rng: &mut Rng, channel: &Channel) -> Term {
    // Sometimes spelt the other way: `r#c0` names `c0`.
    let name = match respelt(&channel.name) {
        Some(other) if rng.percent(10) => other,
        _ => channel.name.clone(),
    };
    Term {
        channel: name,
        bindings: channel
            .params
            .iter()
            .map(|_| rng.percent(75).then(String::new))
            .collect(),
        repeat: rng.percent(20).then(|| rng.between(2, 3) as u32),
        count: None,
    }
}

/// The drafts in an order where no chord's pattern contains an earlier
/// one's (docs/reference.md, "Priority"): repeatedly the first draft that no
/// other remaining draft strictly contains. `None` if two patterns are equal.
fn priority_order(mut drafts: Vec<Draft>) -> Option<Vec<Draft>> {
    for (i, a) in drafts.iter().enumerate() {
        if drafts[..i]
            .iter()
            .any(|b| needs(&a.terms) == needs(&b.terms))
        {
            return None;
        }
    }
    let mut ordered = Vec::new();
    while !drafts.is_empty() {
        let first = (0..drafts.len())
            .find(|&i| {
                let mine = needs(&drafts[i].terms);
                !drafts.iter().any(|other| {
                    contained(&mine, &needs(&other.terms)) && needs(&other.terms) != mine
                })
            })
            .expect("a finite partial order has a maximal element");
        ordered.push(drafts.remove(first));
    }
    Some(ordered)
}

/// The chord `k{k}` over `terms`: names its bindings, and picks its return
/// type, its sends and its body.
fn chord(
    rng: &mut Rng,
    channels: &[Channel],
    k: usize,
    mut terms: Vec<Term>,
    profile: Profile,
) -> Chord {
    let mut names = 0;
    for term in &mut terms {
        for binding in term.bindings.iter_mut().flatten() {
            let raw = if rng.percent(5) { "r#" } else { "" };
            let mutability = if rng.percent(10) { "mut " } else { "" };
            *binding = format!("{mutability}{raw}b{names}");
            names += 1;
        }
    }
    let find = |name: &str| {
        channels
            .iter()
            .find(|c| same(&c.name, name))
            .expect("declared")
    };
    let sync: Vec<(&Channel, Option<u32>)> = terms
        .iter()
        .map(|t| (find(&t.channel), t.repeat))
        .filter(|(c, _)| c.sync)
        .collect();
    let expected = result_type(&sync);
    let all_unit = sync.iter().all(|(c, _)| result_of(c).is_unit());
    // A body that answers only `()` needs no return type; sometimes it
    // writes one anyway.
    let ret = if all_unit {
        rng.percent(15).then_some(expected)
    } else {
        Some(expected)
    };
    let asyncs: Vec<&Channel> = channels.iter().filter(|c| !c.sync).collect();
    let sends: Vec<String> = if asyncs.is_empty() {
        Vec::new()
    } else if profile.runnable {
        if !sync.is_empty() && rng.percent(40) {
            vec![rng.pick(&asyncs).name.clone()]
        } else {
            Vec::new()
        }
    } else {
        (0..*rng.pick(&[0, 0, 1, 2]))
            .map(|_| rng.pick(&asyncs).name.clone())
            .collect()
    };
    // An asynchronous-only chord that sends again every message it took
    // would fire forever, a compile error (docs/reference.md, *State
    // channels*): such a chord sends nothing.
    let mut sends = sends;
    let resends_all = terms.iter().all(|t| {
        let sent = sends.iter().filter(|s| same(s, &t.channel)).count();
        let taken: u32 = terms
            .iter()
            .filter(|u| same(&u.channel, &t.channel))
            .map(|u| u.repeat.unwrap_or(1))
            .sum();
        sent as u32 >= taken
    });
    if sync.is_empty() && resends_all {
        sends.clear();
    }
    let attrs = match rng.below(10) {
        0 | 1 => format!("/// The chord `k{k}`.\n    "),
        2 => "#[inline]\n    ".to_string(),
        _ => String::new(),
    };
    let mut chord = Chord {
        name: format!("k{k}"),
        attrs,
        has_self: !sends.is_empty() || rng.percent(30),
        terms,
        ret,
        sends,
        salt: rng.below(1000) as u64,
        body: String::new(),
        raw: ChordRaw::default(),
    };
    let body = body_code(channels, &chord, "T", &|channel, args| {
        format!("self.{channel}({})", args.join(", "))
    });
    chord.body = match &chord.ret {
        Some(_) => format!("{{\n{}        {}\n    }}", body.statements, body.value),
        None => format!("{{\n{}    }}", body.statements),
    };
    chord
}
