//! A randomized concurrent tester for the chords runtime, in the style of
//! lincheck and JCStress.
//!
//! It generates joins ([`spec::JoinSpec`]: 1–6 channels of `u64` messages,
//! `()` messages or synchronous calls; 1–6 chords of 1–5 terms, with repeated
//! terms, several terms of one channel, rendezvous, shared channels and
//! overlapping patterns, bodies that send messages on), builds them through
//! the runtime API ([`build`]), runs client threads on them ([`run`]) and
//! checks every run against the firing rules of `docs/reference.md`
//! ([`check`], [`sequential`], [`lin`]). A failure prints its seed and case,
//! then is shrunk ([`shrink`]) to a small case printed as Rust-like text.
//!
//! Three kinds of campaign ([`campaign::Mode`]):
//!
//! - **concurrent**: 2–8 threads of sends, blocking-style calls (a bounded
//!   `call_timeout`), `try_call`s and short timed calls; every run checked for
//!   messages consumed once, firings matching their patterns, calls answered
//!   by exactly one firing (or handing their argument back), no message lost,
//!   per-channel order, a chord shadowed by an earlier one never firing
//!   (priority), eagerness at quiescence, and no hang (a watchdog reports
//!   each thread's last action);
//! - **sequential**: one thread, compared with the [`model`] operation by
//!   operation: the same chord fires with the same messages and the same call
//!   outcome (priority, eagerness and order, exactly);
//! - **linearizable**: a few operations at once on a small join, each case
//!   run many times; some interleaving through the model must explain each
//!   run (this is how priority under concurrency is checked).
//!
//! # Running
//!
//! `cargo test -p chords-check` runs a few hundred cases of each kind, and
//! replays small cases earlier campaigns found (`tests/random_joins.rs`). The
//! environment tunes it:
//!
//! - `CHORDS_CHECK_SEEDS=N`: N cases per kind;
//! - `CHORDS_CHECK_SEED=S`: replay the case of seed S (decimal or `0x..`), as
//!   a failure prints it;
//! - `CHORDS_CHECK_SECS=T`: a campaign of T seconds per kind, from a seed
//!   base drawn from the clock;
//! - `CHORDS_CHECK_RUNS=R`: R runs (thread schedules) per case;
//! - `CHORDS_CHECK_SHRINK_SECS=T`: how long shrinking may take (60 s).
//!
//! Each campaign prints how many joins, operations and runs it checked.

pub mod build;
pub mod campaign;
pub mod check;
pub mod client;
pub mod generate;
pub mod lin;
pub mod model;
pub mod record;
pub mod rng;
pub mod run;
pub mod sequential;
pub mod shrink;
pub mod spec;
