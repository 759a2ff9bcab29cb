//! From a [`JoinSpec`] to a `chords_runtime::Join`, through the runtime API.
//!
//! The typed builder has static arity (`b.when(t1).and(t2).then(|(x1, x2)| ..)`),
//! so a generated pattern uses one term type for every channel kind and
//! repeat count, [`DynTerm`], and a `match` on the term count.
//!
//! Every chord's body logs its firing in the run's [`Recorder`], sends the
//! messages of its `emits` list while the budget lasts, and answers each
//! call it took with its firing id. After the spec's chords, one drain chord
//! per asynchronous channel `c` is declared, `drain_c & c`, last (lowest
//! priority): `drain_c` is called only after a run, to empty `c`.

use std::sync::Arc;

use chords_runtime::pattern::{Firing, TermSpec};
use chords_runtime::{AsyncChannel, Join, JoinBuilder, Repeat, Reply, SyncChannel, Term};

use crate::record::{emit_id, Bound, FiringRecord, Recorder};
use crate::spec::{ChannelKind, ChordSpec, JoinSpec, PatternTerm};

/// A channel of a built join.
#[derive(Clone, Copy, Debug)]
pub enum Handle {
    /// An asynchronous channel of message ids.
    Msg(AsyncChannel<u64>),
    /// An asynchronous zero-sized channel.
    Unit(AsyncChannel<()>),
    /// A synchronous channel: call id in, firing id out.
    Sync(SyncChannel<u64, u64>),
}

/// A built join, its channels, and the drain channel of each asynchronous one.
pub struct Built {
    /// The join.
    pub join: Join,
    /// The spec's channels, by index.
    pub channels: Vec<Handle>,
    /// `drains[c]`: the drain channel of asynchronous channel `c`.
    pub drains: Vec<Option<SyncChannel<u64, u64>>>,
}

/// What a [`DynTerm`] binds, whatever its channel and count.
#[derive(Debug)]
pub enum Binding {
    /// Message ids, oldest first.
    Msgs(Vec<u64>),
    /// A number of `()` messages.
    Units(usize),
    /// Calls: argument and reply.
    Calls(Vec<(u64, Reply<u64>)>),
}

/// A value a term binds, made into a [`Binding`].
trait Bind {
    fn bind(self) -> Binding;
}

impl Bind for u64 {
    fn bind(self) -> Binding {
        Binding::Msgs(vec![self])
    }
}

impl<const N: usize> Bind for [u64; N] {
    fn bind(self) -> Binding {
        Binding::Msgs(self.to_vec())
    }
}

impl Bind for () {
    fn bind(self) -> Binding {
        Binding::Units(1)
    }
}

impl<const N: usize> Bind for [(); N] {
    fn bind(self) -> Binding {
        Binding::Units(N)
    }
}

impl Bind for (u64, Reply<u64>) {
    fn bind(self) -> Binding {
        Binding::Calls(vec![self])
    }
}

impl<const N: usize> Bind for [(u64, Reply<u64>); N] {
    fn bind(self) -> Binding {
        Binding::Calls(self.into())
    }
}

macro_rules! dyn_term {
    ($($variant:ident($ty:ty)),+ $(,)?) => {
        /// A term of any channel kind and repeat count (1 to 3), delegating
        /// to the runtime's own term types.
        pub enum DynTerm {
            $(
                #[allow(missing_docs)]
                $variant($ty),
            )+
        }

        impl Term for DynTerm {
            type Binding = Binding;

            fn specs(&self, specs: &mut Vec<TermSpec>) {
                match self {
                    $(DynTerm::$variant(t) => t.specs(specs),)+
                }
            }

            fn take(&self, firing: &mut Firing<'_>) -> Binding {
                match self {
                    $(DynTerm::$variant(t) => t.take(firing).bind(),)+
                }
            }
        }
    };
}

dyn_term!(
    Msg(AsyncChannel<u64>),
    Msg2(Repeat<AsyncChannel<u64>, 2>),
    Msg3(Repeat<AsyncChannel<u64>, 3>),
    Unit(AsyncChannel<()>),
    Unit2(Repeat<AsyncChannel<()>, 2>),
    Unit3(Repeat<AsyncChannel<()>, 3>),
    Call(SyncChannel<u64, u64>),
    Call2(Repeat<SyncChannel<u64, u64>, 2>),
    Call3(Repeat<SyncChannel<u64, u64>, 3>),
);

impl DynTerm {
    /// `times` messages of `channel` (1 to 3).
    pub fn new(channel: Handle, times: usize) -> DynTerm {
        match (channel, times) {
            (Handle::Msg(c), 1) => DynTerm::Msg(c),
            (Handle::Msg(c), 2) => DynTerm::Msg2(c.times()),
            (Handle::Msg(c), 3) => DynTerm::Msg3(c.times()),
            (Handle::Unit(c), 1) => DynTerm::Unit(c),
            (Handle::Unit(c), 2) => DynTerm::Unit2(c.times()),
            (Handle::Unit(c), 3) => DynTerm::Unit3(c.times()),
            (Handle::Sync(c), 1) => DynTerm::Call(c),
            (Handle::Sync(c), 2) => DynTerm::Call2(c.times()),
            (Handle::Sync(c), 3) => DynTerm::Call3(c.times()),
            (_, n) => panic!("a generated term repeats 1 to 3 times, not {n}"),
        }
    }
}

/// The body of a generated chord.
struct Body {
    chord: usize,
    /// (channel index, handle) of each message the body sends.
    emits: Vec<(usize, Handle)>,
    recorder: Arc<Recorder>,
}

impl Body {
    fn fire(&self, join: &Join, bindings: Vec<Binding>) {
        let id = self.recorder.start();
        let mut terms = Vec::with_capacity(bindings.len());
        let mut replies = Vec::new();
        for binding in bindings {
            terms.push(match binding {
                Binding::Msgs(ids) => Bound::Msgs(ids),
                Binding::Units(n) => Bound::Units(n),
                Binding::Calls(calls) => {
                    let (ids, r): (Vec<u64>, Vec<Reply<u64>>) = calls.into_iter().unzip();
                    replies.extend(r);
                    Bound::Calls(ids)
                }
            });
        }
        let mut emits = Vec::new();
        for (k, &(channel, handle)) in self.emits.iter().enumerate() {
            if !self.recorder.take_emit() {
                break;
            }
            let message = emit_id(id, k);
            match handle {
                Handle::Msg(c) => join.send(c, message),
                Handle::Unit(c) => join.send(c, ()),
                Handle::Sync(_) => unreachable!("bodies send on asynchronous channels only"),
            }
            emits.push((channel, message));
        }
        self.recorder.finish(FiringRecord {
            id,
            chord: self.chord,
            terms,
            emits,
        });
        for reply in replies {
            reply.send(id);
        }
    }
}

/// Builds `spec`, its bodies logging to `recorder`.
pub fn build(spec: &JoinSpec, recorder: &Arc<Recorder>) -> Built {
    let mut b = Join::builder();
    let channels: Vec<Handle> = spec
        .channels
        .iter()
        .enumerate()
        .map(|(i, kind)| match kind {
            ChannelKind::Msg => Handle::Msg(b.asynchronous(format!("c{i}"))),
            ChannelKind::Unit => Handle::Unit(b.asynchronous(format!("c{i}"))),
            ChannelKind::Sync => Handle::Sync(b.synchronous(format!("c{i}"))),
        })
        .collect();
    let drains: Vec<Option<SyncChannel<u64, u64>>> = spec
        .channels
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            kind.is_async()
                .then(|| b.synchronous(format!("drain_c{i}")))
        })
        .collect();
    for (k, chord) in spec.chords.iter().enumerate() {
        let body = Body {
            chord: k,
            emits: chord.emits.iter().map(|&c| (c, channels[c])).collect(),
            recorder: Arc::clone(recorder),
        };
        add_chord(&mut b, k, chord, &channels, body);
    }
    for (i, drain) in drains.iter().enumerate() {
        let Some(drain) = *drain else { continue };
        let name = format!("drain_c{i}");
        match channels[i] {
            Handle::Msg(c) => b
                .when(drain)
                .and(c)
                .named(name)
                .then(|((_, reply), id)| reply.send(id)),
            Handle::Unit(c) => b
                .when(drain)
                .and(c)
                .named(name)
                .then(|((_, reply), ())| reply.send(0)),
            Handle::Sync(_) => unreachable!("only asynchronous channels are drained"),
        }
    }
    let join = b.build().expect("a generated join builds");
    Built {
        join,
        channels,
        drains,
    }
}

/// Adds chord `k`: a `match` on its term count gives the typed builder the
/// tuple pattern it needs.
fn add_chord(b: &mut JoinBuilder, k: usize, chord: &ChordSpec, channels: &[Handle], body: Body) {
    let mut terms = chord
        .terms
        .iter()
        .map(|&PatternTerm { channel, times }| DynTerm::new(channels[channel], times));
    let mut t = || terms.next().expect("the term count was matched");
    let name = format!("k{k}");
    match chord.terms.len() {
        1 => b
            .when(t())
            .named(name)
            .then_with(move |j, (x0,)| body.fire(j, vec![x0])),
        2 => b
            .when(t())
            .and(t())
            .named(name)
            .then_with(move |j, (x0, x1)| body.fire(j, vec![x0, x1])),
        3 => b
            .when(t())
            .and(t())
            .and(t())
            .named(name)
            .then_with(move |j, (x0, x1, x2)| body.fire(j, vec![x0, x1, x2])),
        4 => b
            .when(t())
            .and(t())
            .and(t())
            .and(t())
            .named(name)
            .then_with(move |j, (x0, x1, x2, x3)| body.fire(j, vec![x0, x1, x2, x3])),
        5 => b
            .when(t())
            .and(t())
            .and(t())
            .and(t())
            .and(t())
            .named(name)
            .then_with(move |j, (x0, x1, x2, x3, x4)| body.fire(j, vec![x0, x1, x2, x3, x4])),
        n => panic!("a generated chord has 1 to 5 terms, not {n}"),
    }
}
