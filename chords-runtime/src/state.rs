//! A join's state, shared by all its handles: its channels and its chords.
//!
//! [`Join`] is defined here, beside the state it shares, because a chord's
//! body receives the `Join` it fired in; its API is in `join.rs`.

use crate::arrivals::Arrivals;
use crate::channel::{AsyncChannel, Channel};
use crate::channel_state::ChannelState;
use crate::executor::{Spawn, Unfinished};
use crate::firing::Firing;
use crate::search::Guard;
use crate::sync::Arc;
use crate::tables::TermSpec;

/// A set of channels and the chords over them, shared by all its clones.
///
/// Build one with [`Join::builder`]. Cloning a `Join` is cheap and every clone
/// sees the same queues; when the last clone goes (and no body is running),
/// every message still queued is dropped, once.
///
/// ```
/// use chords_runtime::Join;
///
/// // A buffer: `get() & put(item)` returns the item.
/// let mut b = Join::builder();
/// let put = b.asynchronous::<String>("put");
/// let get = b.synchronous::<(), String>("get");
/// b.when(get).and(put).named("deliver").then(|(((), reply), item)| reply.send(item));
/// let buffer = b.build().unwrap();
///
/// buffer.send(put, "hello".to_string());
/// assert_eq!(buffer.call(get, ()), "hello");
/// assert!(buffer.try_call(get, ()).is_err());
/// ```
#[derive(Clone)]
pub struct Join {
    pub(crate) state: Arc<State>,
}

// A panic in a body leaves the join consistent (its messages were consumed
// by the firing, every other caller was told), so a join may be used across
// `catch_unwind`, as crossbeam's channels may.
impl std::panic::UnwindSafe for Join {}
impl std::panic::RefUnwindSafe for Join {}

pub(crate) struct State {
    pub(crate) id: u64,
    pub(crate) channels: Box<[ChannelState]>,
    pub(crate) chords: Box<[Chord]>,
    /// Its asynchronous firings on the executor, not yet run.
    pub(crate) unfinished: Unfinished,
    /// Its own executor, if it has one (loom runs each job on a thread).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) spawn: Option<Box<dyn Spawn>>,
    /// What generated code keeps with the join: the index of a keyed
    /// object's per-key objects (`generated::Index`).
    pub(crate) extension: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// Its arrivals, counted for the callers that retry, if a guard reads
    /// a call's argument (`arrivals.rs`).
    pub(crate) arrivals: Option<Arrivals>,
}

/// One chord at run time.
pub(crate) struct Chord {
    pub(crate) name: String,
    /// The terms in pattern order.
    pub(crate) terms: Box<[TermSpec]>,
    /// How many messages of each channel it consumes, by channel index.
    pub(crate) needs: Box<[(u32, u32)]>,
    /// The channel of its first synchronous term: its caller runs the body.
    pub(crate) runner: Option<u32>,
    /// The chords declared before it that share a channel with it.
    pub(crate) earlier: Box<[u32]>,
    /// Its guard, if it has one: its firings search their messages.
    // Boxed: the chords of unguarded joins stay small.
    pub(crate) guard: Option<Box<Guard>>,
    pub(crate) body: Body,
}

/// A chord's body, as the builder wraps it: it takes its bindings from the
/// firing and runs.
pub(crate) type Body = Box<dyn Fn(&Join, &mut Firing<'_>) + Send + Sync>;

impl State {
    /// The index of `channel`.
    ///
    /// # Panics
    /// If `channel` belongs to another join.
    #[inline]
    pub(crate) fn check(&self, channel: &impl Channel) -> usize {
        assert!(
            channel.join_id() == self.id,
            "this channel belongs to another Join"
        );
        channel.index() as usize
    }

    /// Queues `msg` and counts it; returns its channel.
    #[inline]
    pub(crate) fn enqueue<T: Send + 'static>(
        &self,
        channel: AsyncChannel<T>,
        msg: T,
    ) -> &ChannelState {
        let channel = &self.channels[self.check(&channel)];
        channel.payloads::<T>().push(msg);
        channel.count.add_one();
        channel
    }

    /// A firing of `chord`, to take its reserved messages.
    pub(crate) fn firing(&self, chord: usize) -> Firing<'_> {
        Firing::new(&self.channels, &self.chords[chord], chord)
    }
}

/// Runs the body of the chord of `firing`, which takes its messages.
pub(crate) fn run(join: &Join, firing: &mut Firing<'_>) {
    (join.state.chords[firing.chord()].body)(join, firing);
}
