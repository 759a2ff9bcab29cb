//! Go's `select`, or Stackless Python's, across objects: a [`Mailroom`] of
//! three queues (numbers, words, ticks), each its own chord object, and a
//! quit [`Latch`]. [`Mailroom::select`] waits for whichever has something
//! first, with `chords::select!`, and takes exactly one message.
//!
//! ```text
//! select! {
//!     () = quit.wait() => Case::Quit,
//!     n = numbers.take() => Case::Number(n),
//!     w = words.take() => Case::Word(w),
//!     () = ticks.take() => Case::Tick,
//! }
//! ```
//!
//! When several branches are ready, the first listed fires. Quit is always
//! listed first; to choose fairly among the ready queues, [`Mailroom::select`]
//! lists them in three rotated orders in turn (per thread), so a queue that
//! stays ready is taken at least once every three selects of a thread. This
//! module is shared with `tests/example_select.rs`.

use std::cell::Cell;

use chords::chords;

/// Which case a select took, with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Case {
    /// A number was sent.
    Number(u32),
    /// A word was sent.
    Word(String),
    /// A tick was sent.
    Tick,
    /// The mailroom was closed.
    Quit,
}

/// A queue of `T`: `put` never waits, `take` waits for the oldest item.
#[chords(pub)]
impl<T: Send + 'static> Queue<T> {
    /// Queues an item; returns at once.
    pub async fn put(&self, item: T);
    /// Takes the oldest item, waiting for one.
    pub fn take(&self) -> T;

    #[chord(take() & put(item))]
    fn deliver(&self) -> T {
        item
    }
}

/// A latch: once opened, it stays open, and every `wait` returns.
#[chords(pub)]
impl Latch {
    /// Opens the latch (again: no effect but one more `open` message).
    pub async fn open(&self);
    /// Waits until the latch is open.
    pub fn wait(&self);

    #[chord(wait() & open())]
    fn pass(&self) {
        // Still open for the next waiter.
        self.open();
    }
}

/// Three queues and a quit latch, selected over together.
#[derive(Clone, Default)]
pub struct Mailroom {
    /// Numbers to take.
    pub numbers: Queue<u32>,
    /// Words to take.
    pub words: Queue<String>,
    /// Ticks to take.
    pub ticks: Queue<()>,
    /// Closes the mailroom.
    pub quit: Latch,
}

thread_local! {
    /// Which order of the queues this thread's next select lists.
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

impl Mailroom {
    /// An open mailroom with empty queues.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until a queue has an item, or the mailroom is closed, and takes
    /// one item (fairly among the ready queues), or reports the close.
    pub fn select(&self) -> Case {
        let (quit, numbers, words, ticks) = (&self.quit, &self.numbers, &self.words, &self.ticks);
        match next_turn() {
            0 => chords::select! {
                () = quit.wait() => Case::Quit,
                n = numbers.take() => Case::Number(n),
                w = words.take() => Case::Word(w),
                () = ticks.take() => Case::Tick,
            },
            1 => chords::select! {
                () = quit.wait() => Case::Quit,
                w = words.take() => Case::Word(w),
                () = ticks.take() => Case::Tick,
                n = numbers.take() => Case::Number(n),
            },
            _ => chords::select! {
                () = quit.wait() => Case::Quit,
                () = ticks.take() => Case::Tick,
                n = numbers.take() => Case::Number(n),
                w = words.take() => Case::Word(w),
            },
        }
    }

    /// Takes a ready item, or reports the close, without waiting; `None`
    /// if nothing is ready (and then nothing was queued).
    pub fn try_select(&self) -> Option<Case> {
        chords::select! {
            () = self.quit.wait() => Some(Case::Quit),
            n = self.numbers.take() => Some(Case::Number(n)),
            w = self.words.take() => Some(Case::Word(w)),
            () = self.ticks.take() => Some(Case::Tick),
            default => None,
        }
    }
}
