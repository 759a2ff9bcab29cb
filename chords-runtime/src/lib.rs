//! The engine behind [chords](https://docs.rs/join-chords): join patterns for Rust.
//!
//! A [`Join`] holds typed channels — asynchronous ones that queue messages,
//! synchronous ones whose callers block for a result — and chords: patterns of
//! channels with a body that runs when all of a pattern's messages are there,
//! consuming them at once. This crate is the runtime the `#[chords]` macro
//! expands to, and a library in its own right for joins built at run time.
//!
//! ```
//! use chords_runtime::Join;
//!
//! // Polyphonic C#: `public string Get() & public async Put(string s) { return s; }`
//! let mut b = Join::builder();
//! let put = b.asynchronous::<&str>("put");
//! let get = b.synchronous::<(), &str>("get");
//! b.when(get).and(put).then(|(((), reply), s)| reply.send(s));
//! let buffer = b.build().unwrap();
//!
//! let producer = {
//!     let buffer = buffer.clone();
//!     std::thread::spawn(move || buffer.send(put, "hello"))
//! };
//! assert_eq!(buffer.call(get, ()), "hello");
//! producer.join().unwrap();
//! ```
//!
//! # Firing rules
//!
//! - **Atomic**: a chord consumes all its messages at once, or none.
//! - **Eager**: when a message arrives and a chord holding its channel can fire,
//!   a chord fires; a message waits only while none of its chords can.
//! - **Priority**: when one arrival enables several chords, the first declared fires.
//! - **Per-channel order**: a chord takes the oldest messages of each channel
//!   that no concurrent firing has taken. A firing reserves *how many* messages
//!   of each channel it consumes atomically, and takes *which* ones as its body
//!   starts: the oldest still there. So firings that overlap in time may
//!   interleave their messages (`[x; 2]` firing twice at once may bind `(1, 3)`
//!   and `(2, 4)`), each firing's messages still in order; firings that do not
//!   overlap take consecutive messages.
//! - **Where bodies run**: a chord with no synchronous term runs on the
//!   executor (a pool bounded by [`set_max_workers`], or the [`Spawn`] its
//!   join was given), never on the sender's thread; a chord with
//!   synchronous terms runs on the thread of the oldest caller of its first
//!   synchronous term, and answers every caller through its [`Reply`].
//! - **Panics**: the caller running a body unwinds as usual; every other caller
//!   of that firing panics with a message naming the chord; panics in
//!   asynchronous bodies go to the [panic handler](set_panic_handler). The join
//!   stays usable either way.
//!
//! # How the engine is built
//!
//! The words the source uses, each for one thing:
//!
//! - **message**: what an asynchronous channel queues; a **call**: what a
//!   synchronous one queues, an argument whose caller waits for a result.
//!   Either is an **arrival** on its channel once counted there.
//! - **reserve**: the matcher takes, atomically, the count of messages a
//!   chord needs from each of its channels (claim them, then commit or roll
//!   back). A committed reservation is a **firing**.
//! - **hand over**: a firing goes to where its body runs: the executor (no
//!   synchronous term), or the oldest queued call of its first synchronous
//!   term, whose caller runs it (the **runner**). A caller that reserves a
//!   chord with its own call, not queued, keeps it.
//! - To **pass** (or rob): a caller that has not queued takes a chord handed
//!   to a queued caller that has not claimed it yet, and runs it with its own
//!   call; the robbed call waits again in its place.
//! - **run**: the body **takes** its messages (the oldest ones still there),
//!   computes, and **replies** to each call.
//! - To **fire** a chord is all three.
//! - The parts of one call: its **slot** (argument and result, on the
//!   caller's stack or in its future), its **waiter** (the word the caller
//!   waits on, waking a parked thread or a task; reused call after call under
//!   a new **generation**), its **caller** (the calling side), the **call** a
//!   queue holds, the **taken call** a firing owns, and the [`Reply`] a body
//!   sends. An **orphan** is a call whose future was dropped after a firing
//!   counted on it: the firing keeps its argument and drops its result.
//! - An **own call** is a thread's call that runs its chord's body itself
//!   (reserved at once, or claimed when handed over): it needs no waiter,
//!   and its reply writes straight to its stack.
//!
//! Modules call only downward, in these layers (top first):
//!
//! ```text
//!  join            the public API of a Join         generated   what #[chords] code calls
//!  builder         declaring channels and chords    pattern     terms and patterns
//!  ─────────────────────────────────────────────────────────────────────────────────
//!  call            a synchronous call, start to end: reserve now, retry, or queue
//!  awaited         the same as a future: poll, and undo by state when dropped
//!  choice          a choice among calls: exactly one fires (awaited_choice: as a future)
//!  reserved        a chord reserved with a caller's own call, run on its thread
//!  queued          a queued call: wait, withdraw, or be handed a chord
//!  resolve         an arrival: reserve what it enabled, hand each firing over
//!  executor        where firings without a caller run: the bounded pool, or a Spawn
//!  ─────────────────────────────────────────────────────────────────────────────────
//!  matcher         reserving: functions over the state that return what they reserved
//!  ─────────────────────────────────────────────────────────────────────────────────
//!  state           the Join and its shared state: channels, chords, bodies
//!  firing          taking a firing's messages
//!  search          a guarded chord's search of its queued messages
//!  arrivals        the count of arrivals that retrying callers wait on
//!  channel_state   one channel: counter, queue, members
//!  tables          the chord tables, derived once (also for the macro)
//!  ─────────────────────────────────────────────────────────────────────────────────
//!  count  calls  waiter  own_call  atomic_waker  the lock-free pieces
//!  stats                                         counting, in a counting build
//!  payloads  fifo  slot  epoch
//!  channel  error  sync                          handles, errors, std or loom
//! ```
//!
//! No import goes back up. One would by necessity: a chord's body receives
//! the [`Join`] it fired in, so the state holds bodies that take a `Join`,
//! and the executor and a runner hand them one. That is why `Join` is
//! defined in `state`, with the state it shares, and only its methods in
//! `join`.
//!
//! The matching protocol, its invariants and why no message is lost are in
//! the `matcher` module's source; it takes no lock on the paths of sending,
//! calling, matching or firing. A chord with a guard across terms is the
//! one exception: the channels its guard reads keep their messages under a
//! lock, which its search holds (the `search` module).

mod arrivals;
mod atomic_waker;
mod awaited;
mod awaited_choice;
mod builder;
mod call;
mod calls;
mod channel;
mod channel_state;
mod choice;
mod count;
mod epoch;
mod error;
mod executor;
mod fifo;
mod firing;
mod generated;
mod join;
mod matcher;
mod offer;
mod own_call;
mod partners;
pub mod pattern;
mod payloads;
mod queued;
mod reserved;
mod resolve;
mod search;
mod slot;
mod state;
pub mod stats;
mod sync;
mod tables;
mod waiter;

pub use awaited_choice::ChoiceFuture;
pub use builder::{JoinBuilder, When};
pub use channel::{Argument, AsyncChannel, Channel, Repeat, SyncChannel};
pub use choice::{choose, Choice, Choices, Keep, Kept, Op, Value, WithRest};
pub use error::{BuildError, TimeoutError, TryCallError};
pub use executor::{
    panic_message, set_max_workers, set_panic_handler, set_spawn, Job, Spawn, DEFAULT_MAX_WORKERS,
    KEEP_ALIVE,
};
pub use pattern::{All, Append, Messages, Pattern, Term, Visible};
pub use state::Join;
pub use waiter::Reply;

/// What code generated by `#[chords]` calls; not a public API (see the
/// `generated` module's source).
#[doc(hidden)]
pub mod __private {
    pub use crate::generated::*;
}
