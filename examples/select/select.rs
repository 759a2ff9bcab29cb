//! Go's `select`, or Stackless Python's, over three channels: a synchronous
//! wait joined with each channel, returning which case fired and its value.
//!
//! ```text
//! #[chord(wait() & number(n))]  =>  Case::Number(n)
//! #[chord(wait() & word(w))]    =>  Case::Word(w)
//! #[chord(wait() & tick())]     =>  Case::Tick
//! ```
//!
//! When several cases are ready as a wait arrives, the first chord declared
//! fires (chords' priority rule), so one wait channel would always pick the
//! first ready case. To choose fairly among ready cases, there are three wait
//! channels, each trying the cases in a rotated order, and [`Select::select`]
//! uses them in turn (per thread): a case that stays ready is chosen at least
//! once every three selects of a thread. This module is shared with `tests/example_select.rs`.

use std::cell::Cell;

use chords::chords;

/// Which case a select took, with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Case {
    /// A `number` was sent.
    Number(u32),
    /// A `word` was sent.
    Word(String),
    /// A `tick` was sent.
    Tick,
}

thread_local! {
    /// Which order of the cases this thread's next select tries.
    static TURN: Cell<usize> = const { Cell::new(0) };
}

/// The next of the three orders, in turn, for this thread.
fn next_turn() -> usize {
    TURN.with(|turn| {
        let now = turn.get();
        turn.set((now + 1) % 3);
        now
    })
}

/// Three channels and a select over them.
#[chords(pub)]
impl Select {
    /// Sends on the number case; returns at once.
    pub async fn number(&self, n: u32);
    /// Sends on the word case; returns at once.
    pub async fn word(&self, w: String);
    /// Sends on the tick case; returns at once.
    pub async fn tick(&self);
    /// Waits for a case, trying number, word, tick in that order.
    fn wait_nwt(&self) -> Case;
    /// Waits for a case, trying word, tick, number in that order.
    fn wait_wtn(&self) -> Case;
    /// Waits for a case, trying tick, number, word in that order.
    fn wait_tnw(&self) -> Case;

    /// Waits until some case has a message, and takes one, fairly among
    /// the ready cases.
    pub fn select(&self) -> Case {
        match next_turn() {
            0 => self.wait_nwt(),
            1 => self.wait_wtn(),
            _ => self.wait_tnw(),
        }
    }

    /// Takes a ready case, if any, without waiting.
    pub fn try_select(&self) -> Option<Case> {
        match next_turn() {
            0 => self.try_wait_nwt(),
            1 => self.try_wait_wtn(),
            _ => self.try_wait_tnw(),
        }
        .ok()
    }

    #[chord(wait_nwt() & number(n))]
    fn nwt_number(&self) -> Case {
        Case::Number(n)
    }

    #[chord(wait_nwt() & word(w))]
    fn nwt_word(&self) -> Case {
        Case::Word(w)
    }

    #[chord(wait_nwt() & tick())]
    fn nwt_tick(&self) -> Case {
        Case::Tick
    }

    #[chord(wait_wtn() & word(w))]
    fn wtn_word(&self) -> Case {
        Case::Word(w)
    }

    #[chord(wait_wtn() & tick())]
    fn wtn_tick(&self) -> Case {
        Case::Tick
    }

    #[chord(wait_wtn() & number(n))]
    fn wtn_number(&self) -> Case {
        Case::Number(n)
    }

    #[chord(wait_tnw() & tick())]
    fn tnw_tick(&self) -> Case {
        Case::Tick
    }

    #[chord(wait_tnw() & number(n))]
    fn tnw_number(&self) -> Case {
        Case::Number(n)
    }

    #[chord(wait_tnw() & word(w))]
    fn tnw_word(&self) -> Case {
        Case::Word(w)
    }
}
