//! The engine behind [chords](https://docs.rs/chords): join patterns for Rust.
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
//!   [executor](set_panic_handler), never on the sender's thread; a chord with
//!   synchronous terms runs on the thread of the oldest caller of its first
//!   synchronous term, and answers every caller through its [`Reply`].
//! - **Panics**: the caller running a body unwinds as usual; every other caller
//!   of that firing panics with a message naming the chord; panics in
//!   asynchronous bodies go to the [panic handler](set_panic_handler). The join
//!   stays usable either way.
//!
//! The matching protocol is described in the `matcher` module's source; it takes
//! no lock on the paths of sending, calling, matching or firing.

#![warn(missing_docs)]

mod builder;
mod calls;
mod channel;
mod direct;
mod epoch;
mod error;
mod executor;
mod fifo;
mod join;
mod matcher;
mod queue;
mod sync;
mod waiter;

pub use builder::{Append, JoinBuilder, Pattern, When};
pub use channel::{AsyncChannel, Channel, Repeat, SyncChannel, Term};
#[doc(hidden)]
pub use direct::Direct;
pub use error::{BuildError, TimeoutError, TryCallError};
pub use executor::{set_panic_handler, KEEP_ALIVE};
pub use join::Join;
#[doc(hidden)]
pub use join::{Firing, TermSpec};
#[doc(hidden)]
pub use matcher::Member;
pub use waiter::Reply;
