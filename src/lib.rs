//! Join patterns ("chords") for Rust.
//!
//! Re-exports the runtime; see [`chords_runtime`].

pub use chords_runtime::*;
