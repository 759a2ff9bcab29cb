//! Join patterns ("chords") for Rust.
//!
//! Re-exports the runtime; see [`chords_runtime`].

pub use chords_runtime::*;

/// The README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
