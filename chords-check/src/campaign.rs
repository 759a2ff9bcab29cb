//! A campaign: many generated cases, each run and checked, the first failure
//! shrunk and reported with its seed.

use std::fmt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::check::{check_all, Failure};
use crate::generate::{self, Shape};
use crate::rng::{case_seed, Rng};
use crate::run::run;
use crate::shrink::shrink;
use crate::spec::Scenario;
use crate::{lin, sequential};

/// The kinds of case a campaign generates and how each is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// 2 to 8 threads at once on a random join: every run's checks
    /// ([`crate::check::CHECKS`]).
    Concurrent,
    /// Thread 0 alone, compared with the model after every operation.
    Sequential,
    /// A few operations at once on a small join, many runs each: the checks,
    /// and some interleaving must explain each run ([`crate::lin`]).
    Linearizable,
}

impl Mode {
    /// The shape of its cases.
    pub fn shape(self) -> &'static Shape {
        match self {
            Mode::Concurrent => &generate::CONCURRENT,
            Mode::Sequential => &generate::SEQUENTIAL,
            Mode::Linearizable => &generate::LINEARIZABLE,
        }
    }

    /// How many runs (thread schedules) each case gets by default.
    pub fn runs(self) -> usize {
        match self {
            Mode::Concurrent => 2,
            Mode::Sequential => 1,
            Mode::Linearizable => 16,
        }
    }

    /// Runs `scenario` once and checks it; how many firings it saw.
    pub fn check_once(self, scenario: &Scenario) -> Result<usize, Failure> {
        let observation = match self {
            Mode::Sequential => sequential::check(scenario)?,
            Mode::Concurrent | Mode::Linearizable => {
                let observation = run(scenario, None)?;
                check_all(scenario, &observation)?;
                if self == Mode::Linearizable {
                    lin::check(scenario, &observation)?;
                }
                observation
            }
        };
        Ok(observation.firings.len())
    }

    /// Whether this mode can check `scenario` (a sequential case has thread 0 only).
    fn fits(self, scenario: &Scenario) -> bool {
        self != Mode::Sequential || scenario.threads.is_empty()
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Concurrent => "concurrent",
            Mode::Sequential => "sequential",
            Mode::Linearizable => "linearizable",
        })
    }
}

/// How much a campaign does; see the crate docs for the environment variables.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// How many cases (`CHORDS_CHECK_SEEDS`).
    pub seeds: Option<u64>,
    /// Replay this one case (`CHORDS_CHECK_SEED`).
    pub seed: Option<u64>,
    /// Run cases for this long (`CHORDS_CHECK_SECS`).
    pub secs: Option<u64>,
    /// Runs per case instead of the mode's default (`CHORDS_CHECK_RUNS`).
    pub runs: Option<usize>,
    /// How long shrinking may take (`CHORDS_CHECK_SHRINK_SECS`, default 60).
    pub shrink_secs: Option<u64>,
}

impl Settings {
    /// The settings the environment asks for.
    ///
    /// # Panics
    /// If a variable is set but is not a number (decimal, or hex with `0x`).
    pub fn from_env() -> Settings {
        let var = |name: &str| -> Option<u64> {
            let text = std::env::var(name).ok()?;
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            Some(parsed.unwrap_or_else(|_| panic!("{name}={text} is not a number")))
        };
        Settings {
            seeds: var("CHORDS_CHECK_SEEDS"),
            seed: var("CHORDS_CHECK_SEED"),
            secs: var("CHORDS_CHECK_SECS"),
            runs: var("CHORDS_CHECK_RUNS").map(|r| r as usize),
            shrink_secs: var("CHORDS_CHECK_SHRINK_SECS"),
        }
    }
}

/// What a campaign checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Generated joins (cases).
    pub joins: u64,
    /// Client operations, over all runs.
    pub ops: u64,
    /// Runs (thread schedules).
    pub runs: u64,
    /// Firings of the generated chords, over all runs.
    pub firings: u64,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} joins, {} operations, {} runs checked ({} firings)",
            self.joins, self.ops, self.runs, self.firings
        )
    }
}

/// The base of the default campaign's seeds: the same cases every time.
const DEFAULT_BASE: u64 = 0x5EED_C40D;

/// Generates and checks `default_seeds` cases of `mode` (or what `settings`
/// say). On the first failure, shrinks it and returns the report: seed,
/// case, failure, minimal case.
pub fn campaign(mode: Mode, default_seeds: u64, settings: &Settings) -> Result<Stats, String> {
    let start = Instant::now();
    let base = match settings.secs {
        Some(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(DEFAULT_BASE, |d| d.as_nanos() as u64),
        None => DEFAULT_BASE,
    };
    let seeds = match (settings.seeds, settings.secs) {
        (None, Some(_)) => u64::MAX,
        (seeds, _) => seeds.unwrap_or(default_seeds),
    };
    let runs = settings.runs.unwrap_or(mode.runs());
    let mut stats = Stats::default();
    for i in 0..seeds {
        let seed = match settings.seed {
            Some(seed) if i == 0 => seed,
            Some(_) => break,
            // Each mode its own cases.
            None => case_seed(base.wrapping_add(mode as u64), i),
        };
        if settings
            .secs
            .is_some_and(|s| start.elapsed() >= Duration::from_secs(s))
        {
            break;
        }
        let scenario = generate::scenario(&mut Rng::new(seed), mode.shape());
        stats.joins += 1;
        if let Err(failure) = check_runs(mode, &scenario, runs, &mut stats) {
            let origin = format!(
                "seed {seed:#x} failed.\n-- replay: CHORDS_CHECK_SEED={seed:#x} \
                 cargo test -p chords-check --test random_joins {mode}"
            );
            return Err(report(mode, &origin, &scenario, failure, runs, settings));
        }
    }
    Ok(stats)
}

/// Runs `scenario` `runs` times (schedules) in `mode`, counting in `stats`;
/// the first failure.
fn check_runs(
    mode: Mode,
    scenario: &Scenario,
    runs: usize,
    stats: &mut Stats,
) -> Result<(), Failure> {
    for _ in 0..runs {
        stats.runs += 1;
        stats.ops += scenario.op_count() as u64;
        stats.firings += mode.check_once(scenario)? as u64;
    }
    Ok(())
}

/// Checks one given case (`name` in the report) `runs` times in `mode`
/// (`CHORDS_CHECK_RUNS` times, if set); a failure is shrunk and reported.
pub fn check_case(
    mode: Mode,
    name: &str,
    scenario: &Scenario,
    runs: usize,
    settings: &Settings,
) -> Result<Stats, String> {
    let runs = settings.runs.unwrap_or(runs);
    let mut stats = Stats {
        joins: 1,
        ..Stats::default()
    };
    match check_runs(mode, scenario, runs, &mut stats) {
        Ok(()) => Ok(stats),
        Err(failure) => {
            let origin = format!("the case `{name}` failed after {} runs.", stats.runs);
            Err(report(mode, &origin, scenario, failure, runs, settings))
        }
    }
}

/// Prints (to stderr, as it goes: shrinking takes a while) and returns the
/// report of a failure, with the minimal case shrinking found.
fn report(
    mode: Mode,
    origin: &str,
    scenario: &Scenario,
    failure: Failure,
    runs: usize,
    settings: &Settings,
) -> String {
    let text = format!("chords-check ({mode}): {origin}\n{failure}\n-- the case --\n{scenario}");
    let secs = settings.shrink_secs.unwrap_or(60);
    say(&format!(
        "chords-check ({mode}): check `{}` failed; shrinking the case (up to {secs} s)...",
        failure.check
    ));
    let deadline = Instant::now() + Duration::from_secs(secs);
    // A rare race needs many runs to show again: as many per candidate as
    // three times what the failing case itself needed.
    let again = Instant::now() + Duration::from_secs(secs / 3);
    let mut tried = 0;
    let reproduced = loop {
        tried += 1;
        if mode
            .check_once(scenario)
            .is_err_and(|f| f.check == failure.check)
        {
            break true;
        }
        if Instant::now() >= again {
            break false;
        }
    };
    let tries = match reproduced {
        true => (3 * tried).clamp(runs.max(4), 5000),
        false => runs.max(4),
    };
    let shrunk = shrink(scenario, failure, deadline, |candidate| {
        if !mode.fits(candidate) {
            return None;
        }
        (0..tries).find_map(|_| mode.check_once(candidate).err())
    });
    let again = match reproduced {
        true => format!("came back within {tried} more runs"),
        false => format!("did not come back in {tried} more runs"),
    };
    format!(
        "{text}-- the minimal case (the failure {again}; {} smaller cases tried, \
         each run up to {tries} times) --\n{}{}\n",
        shrunk.tried, shrunk.scenario, shrunk.failure
    )
}

/// Writes a line to the terminal at once, past the test harness's capture:
/// a campaign's figures, and word that a long shrink has begun.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
