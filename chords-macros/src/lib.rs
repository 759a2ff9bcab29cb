//! Procedural macros for [chords](https://docs.rs/chords).
//!
//! The `#[chords]` attribute lands here; this crate is the home of its parser,
//! checker and code generator.
