// The crate docs are the language reference, in docs/reference.md; its
// examples run as doc tests (`cargo test --doc -p join-chords`).
#![doc = include_str!("../docs/reference.md")]

pub use chords_runtime::*;

mod waiting;
pub use waiting::Waiting;

/// The README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use chords_macros::{chord, chords, select, select_async};

/// What the code that `#[chords]` generates calls; not a public API (it
/// changes with every version: this crate pins the macro and runtime
/// versions that go together).
#[doc(hidden)]
pub use chords_runtime::__private;
