//! The macro, fuzzed by running what it generates: random valid `#[chords]`
//! objects, each compiled beside the same join built with the runtime API
//! (the same channels and chords in the same order, the same bodies), are
//! run through random single-threaded histories — sends, `try_` calls, timed
//! calls, blocking calls where a chord can fire, calls from other threads —
//! which must give the same results, errors (with the arguments handed back)
//! and `Debug` waiting counts on both (`macro_fuzz/driver.rs`).
//! `chords-macros/src/fuzz/` fuzzes the macro's compile errors, in process.
//!
//! Each batch is one generated program, `target/tmp/macro_fuzz/batch_S.rs`,
//! compiled and run by trybuild (`TestCases::pass`).
//!
//! Environment:
//! - `CHORDS_FUZZ_BATCHES=N`: the batches to run (default 1);
//! - `CHORDS_FUZZ_SEED=S`: the first batch's seed (default 0), so the
//!   batches are `S..S+N`;
//! - `CHORDS_FUZZ_OBJECTS=K`: the objects in a batch (default 12);
//! - `CHORDS_FUZZ_STEPS=N`: the steps of each history (default 150).
//!
//! A failing program prints the object that failed, its source, the
//! history's seed and the history shrunk; this test prints each batch's
//! seed and file.

#[path = "macro_fuzz/driver.rs"]
#[allow(dead_code)] // The generated programs use the rest.
mod driver;
#[path = "../chords-macros/src/fuzz/model.rs"]
#[allow(dead_code)] // The in-process fuzz tests use the rest.
mod model;
#[path = "macro_fuzz/program.rs"]
mod program;
#[path = "../chords-macros/src/fuzz/rng.rs"]
mod rng;

use std::fs;
use std::path::Path;

use chords::{AsyncChannel, Join, SyncChannel};
use driver::{answer, compare, timed, tried, Chan, Form, Shape, Under, SHORT};

/// A number from the environment.
fn var(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} is a number")))
        .unwrap_or(default)
}

#[test]
fn generated_objects_act_as_their_joins_built_by_hand() {
    let first = var("CHORDS_FUZZ_SEED", 0);
    let batches = var("CHORDS_FUZZ_BATCHES", 1);
    let objects = var("CHORDS_FUZZ_OBJECTS", 12) as usize;
    let steps = var("CHORDS_FUZZ_STEPS", 150) as usize;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("macro_fuzz");
    fs::create_dir_all(&dir).expect("a directory for the programs");
    let t = trybuild::TestCases::new();
    for seed in first..first + batches {
        let text = program::program(seed, objects, steps);
        let path = dir.join(format!("batch_{seed}.rs"));
        // Written only when it changed, so that cargo need not rebuild it.
        if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            fs::write(&path, &text).expect("the program is written");
        }
        eprintln!(
            "batch {seed}: {} (alone: CHORDS_FUZZ_SEED={seed} CHORDS_FUZZ_BATCHES=1)",
            path.display()
        );
        t.pass(&path);
    }
}

/// A buffer (`get() & put(n)`) and an exchanger (`[swap(x); 2]`), by hand;
/// `add` is added to what `get` returns.
#[derive(Clone)]
struct Pair {
    join: Join,
    put: AsyncChannel<u64>,
    get: SyncChannel<(), u64>,
    swap: SyncChannel<u64, u64>,
}

static PAIR: Shape = Shape {
    channels: &[
        Chan {
            name: "put",
            sync: false,
            params: 1,
        },
        Chan {
            name: "get",
            sync: true,
            params: 0,
        },
        Chan {
            name: "swap",
            sync: true,
            params: 1,
        },
    ],
    chords: &[&[(0, 1), (1, 1)], &[(2, 2)]],
};

fn pair(add: u64) -> Pair {
    let mut b = Join::builder();
    let put = b.asynchronous::<u64>("put");
    let get = b.synchronous::<(), u64>("get");
    let swap = b.synchronous::<u64, u64>("swap");
    b.when(get)
        .and(put)
        .then(move |(((), r), n)| r.send(n + add));
    b.when(swap.times::<2>()).then(|([(x, rx), (y, ry)],)| {
        rx.send(y);
        ry.send(x);
    });
    let join = b.build().expect("the join builds");
    Pair {
        join,
        put,
        get,
        swap,
    }
}

impl Under for Pair {
    fn send(&self, _: usize, a: &[u64]) {
        self.join.send(self.put, a[0]);
    }

    fn call(&self, channel: usize, form: Form, a: &[u64]) -> String {
        let deadline = || std::time::Instant::now() + SHORT;
        match (channel, form) {
            (1, Form::Block) => answer(self.join.call(self.get, ())),
            (1, Form::Try) => tried(self.join.try_call(self.get, ())),
            (1, Form::Timeout) => timed(self.join.call_timeout(self.get, (), SHORT)),
            (1, Form::Deadline) => timed(self.join.call_deadline(self.get, (), deadline())),
            (_, Form::Block) => answer(self.join.call(self.swap, a[0])),
            (_, Form::Try) => tried(self.join.try_call(self.swap, a[0])),
            (_, Form::Timeout) => timed(self.join.call_timeout(self.swap, a[0], SHORT)),
            (_, Form::Deadline) => timed(self.join.call_deadline(self.swap, a[0], deadline())),
        }
    }

    fn debug(&self) -> String {
        format!("{:?}", self.join)
    }
}

/// The driver passes two equal joins, through histories with calls from
/// other threads (the exchanger fires only with one of them).
#[test]
fn the_driver_passes_equal_joins() {
    for seed in 0..5 {
        match compare("pair", &PAIR, seed, 100, || pair(0), || pair(0)) {
            Ok(tally) => assert!(tally.answered > 0 && tally.returned > 0, "{tally:?}"),
            Err(report) => panic!("{report}"),
        }
    }
}

/// The driver tells two joins apart when one answers differently, and
/// shrinks the history to a `put` and a `get`, in some order.
#[test]
fn the_driver_tells_a_different_join_apart() {
    let report = compare("pair", &PAIR, 1, 100, || pair(0), || pair(1)).expect_err("they differ");
    assert!(report.contains("they differ at step 1"), "{report}");
    assert!(
        report.contains("  1: ") && !report.contains("  2: "),
        "{report}"
    );
}
