//! The North Pole in the language: Santa, nine reindeer and any number of
//! elves as one `#[chords]` object (Trono's problem). This is the example's
//! default; `north_pole.rs` builds the same join with the runtime API.
//!
//! ```text
//! sleep(santa) & [reindeer_back(id); 9]  =>  Santa delivers toys with the team
//! sleep(santa) & [elf_asks(id); 3]       =>  Santa consults the group
//! reindeer_back(id) & closed()           =>  the reindeer goes home
//! elf_asks(id) & closed()                =>  the elf goes home
//! ```
//!
//! Santa, every reindeer and every elf is a synchronous caller. A chord with
//! synchronous terms runs its body on the thread of the oldest caller of its
//! first synchronous term (docs/reference.md, *What runs where*): `sleep`
//! comes first, so the body that wakes Santa runs on Santa's thread. It *is*
//! Santa's job: he harnesses the team and delivers the toys (or consults the
//! group) inside the body, and only when it returns does each member get its
//! element of the result (*Where the result goes*), so no reindeer or elf is
//! released before Santa has finished with its whole team or group. The
//! reindeer's chord is declared first, so when a full team and a full group
//! both wait, the reindeer win (*Priority*).
//!
//! What Santa does with a team or a group is a [`Santa`], a value that goes
//! into `sleep` and comes back out: his books travel with him (*state as
//! messages*, docs/reference.md, *`&self` in bodies*). The story's Santa
//! ([`StorySanta`]) logs and works; the tests' records what woke him.
//!
//! A body is synchronous: it cannot await. With tokio tasks, Santa's work
//! would block the thread that polls his `sleep_async`, so the demo's
//! `--async` plays the runtime-API version, whose Santa awaits his work while
//! he holds the helpers' replies.

use std::sync::Arc;
use std::thread;

use chords::chords;

use super::north_pole::story::{Books, Kind, Playable, Pole, Release, Story, Waits, Who};
use super::north_pole::{GROUP, REINDEER};

/// What Santa does with the team or group that woke him, while its members
/// wait: the chord's body calls it on Santa's thread, and releases the
/// members with the wakeup number it returns.
pub trait Santa: Send + 'static {
    /// Harnesses `team` (reindeer ids, oldest first) and delivers the toys;
    /// `elves_waiting` elves were waiting too.
    fn deliver_toys(&mut self, team: [usize; REINDEER], elves_waiting: usize) -> u64;
    /// Consults `group` (elf ids, oldest first); `reindeer_waiting` reindeer
    /// were back and waiting.
    fn consult(&mut self, group: [usize; GROUP], reindeer_waiting: usize) -> u64;
}

/// Santa's workshop: the North Pole's channels and chords.
#[chords(pub)]
impl<S: Santa> Workshop<S> {
    /// Santa sleeps until a team or a group needs him, handles it, and
    /// comes back.
    pub fn sleep(&self, santa: S) -> S;
    /// Reindeer `id` is back from holiday: returns when Santa has finished
    /// with its team, or the workshop has closed.
    pub fn reindeer_back(&self, id: usize) -> Release;
    /// Elf `id` asks for help: returns when Santa has finished with its
    /// group, or the workshop has closed.
    pub fn elf_asks(&self, id: usize) -> Release;
    /// The workshop has closed: a token every chord that takes it puts back.
    async fn closed(&self);

    /// Closes the workshop: every worker waiting now or calling later goes
    /// home with [`Release::Closed`]. Call it once, when Santa no longer sleeps.
    pub fn close(&self) {
        self.closed();
    }

    // Declared first: when a full team and a full group both wait, the
    // reindeer are the ones Santa wakes up for.
    #[chord(sleep(santa) & [reindeer_back(team); 9])]
    fn harness_team(&self) -> (S, [Release; 9]) {
        let mut santa = santa;
        let wake = santa.deliver_toys(team, self.waiting()["elf_asks"]);
        (santa, [Release::Served(wake); 9])
    }

    #[chord(sleep(santa) & [elf_asks(group); 3])]
    fn consult_group(&self) -> (S, [Release; 3]) {
        let mut santa = santa;
        let wake = santa.consult(group, self.waiting()["reindeer_back"]);
        (santa, [Release::Served(wake); 3])
    }

    #[chord(reindeer_back(_) & closed())]
    fn reindeer_home(&self) -> Release {
        self.closed();
        Release::Closed
    }

    #[chord(elf_asks(_) & closed())]
    fn elf_home(&self) -> Release {
        self.closed();
        Release::Closed
    }
}

/// The story's Santa: his books and the story he logs to. His work is a
/// blocking sleep, inside the chord's body (see the module docs).
pub struct StorySanta {
    story: Arc<Story>,
    books: Books,
}

impl StorySanta {
    /// Logs the wakeup, works, logs that he is done; returns its number.
    fn handle(&mut self, kind: Kind, members: Vec<Who>, others_waiting: usize) -> u64 {
        let job = self
            .story
            .woke(&mut self.books, kind, members, others_waiting);
        if !job.work.is_zero() {
            thread::sleep(job.work);
        }
        self.story.finished(&job);
        job.wake
    }
}

impl Santa for StorySanta {
    fn deliver_toys(&mut self, team: [usize; REINDEER], elves_waiting: usize) -> u64 {
        let team = team.map(Who::Reindeer).into();
        self.handle(Kind::Delivery, team, elves_waiting)
    }

    fn consult(&mut self, group: [usize; GROUP], reindeer_waiting: usize) -> u64 {
        let group = group.map(Who::Elf).into();
        self.handle(Kind::Consultation, group, reindeer_waiting)
    }
}

/// The workers' side: a call of `reindeer_back` or `elf_asks`.
impl<S: Santa> Pole for Workshop<S> {
    async fn arrive<W: Waits>(&self, who: Who) -> Release {
        match (who, W::AWAITS) {
            (Who::Reindeer(id), false) => self.reindeer_back(id),
            (Who::Reindeer(id), true) => self.reindeer_back_async(id).await,
            (Who::Elf(id), false) => self.elf_asks(id),
            (Who::Elf(id), true) => self.elf_asks_async(id).await,
        }
    }

    fn close(&self) {
        Workshop::close(self);
    }

    fn waiting(&self) -> (usize, usize) {
        let waiting = self.waiting();
        (waiting["reindeer_back"], waiting["elf_asks"])
    }
}

/// Santa's side: he goes to sleep with his books and comes back with them,
/// each wakeup handled inside the chord that woke him.
impl Playable for Workshop<StorySanta> {
    async fn santa<W: Waits>(&self, story: &Arc<Story>) {
        let mut santa = StorySanta {
            story: Arc::clone(story),
            books: Books::default(),
        };
        while story.on_duty(&santa.books) {
            santa = if W::AWAITS {
                self.sleep_async(santa).await
            } else {
                self.sleep(santa)
            };
        }
    }
}
