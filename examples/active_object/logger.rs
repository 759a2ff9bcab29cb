//! An active object: requests are asynchronous messages, and one state message
//! makes them run one at a time, in the order they were sent.
//!
//! ```text
//! #[chord(log(line) & idle(lines))]   =>  append, then idle(lines) again
//! #[chord(lines() & idle(lines))]     =>  a copy of the lines, then idle(lines)
//! ```
//!
//! The state lives in the one `idle` message, so no two bodies run at once, and
//! each firing takes the oldest `log` still queued. `idle` is a state channel
//! (docs/reference.md, *State channels*): the macro checks that each chord
//! sends it back exactly once, and `new` gives it its first message. This
//! module is shared with `tests/example_active_object.rs`.

use chords::chords;

/// A log that appends the lines it is sent, in order, on the runtime's executor.
#[chords(pub)]
impl Logger {
    /// Asks for `line` to be appended; returns at once.
    pub async fn log(&self, line: String);
    /// The lines appended so far.
    pub fn lines(&self) -> Vec<String>;
    /// The object's state, between two requests.
    #[state]
    async fn idle(&self, lines: Vec<String>);

    /// A new, empty log.
    pub fn new() -> Self {
        Self::from_state(Vec::new())
    }

    #[chord(log(line) & idle(lines))]
    fn append(&self) {
        let mut lines = lines;
        lines.push(line);
        self.idle(lines);
    }

    #[chord(lines() & idle(lines))]
    fn read(&self) -> Vec<String> {
        self.idle(lines.clone());
        lines
    }
}
