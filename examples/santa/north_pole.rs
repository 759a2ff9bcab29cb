//! The North Pole built with the runtime API: Santa, nine reindeer and any
//! number of elves as one [`Join`] (Trono's problem). The example's default
//! is the same North Pole in the language, `#[chords]` (`workshop.rs`); this
//! version is the one whose Santa can *await* his work while he holds a team
//! (`--async`), which a chord body cannot, and the one the benchmark suite
//! measures (`benches/suite/santa.rs` includes this file on its own).
//!
//! Santa sleeps in a synchronous call, `sleep`, that fires only together with
//! nine reindeer calls or with three elf calls:
//!
//! ```text
//! sleep() & reindeer(id) * 9  =>  Wake::Reindeer   (declared first: reindeer win)
//! sleep() & elf(id) * 3       =>  Wake::Elves
//! ```
//!
//! Every reindeer and elf is itself a blocked synchronous call. The chord hands
//! Santa their [`Reply`]s, so a worker is released only when Santa answers it,
//! after he has finished with its whole team or group. Closing the North Pole
//! is one more pair of chords: `reindeer(id) & closed` and `elf(id) & closed`
//! send every worker that is (or will be) waiting home.
//!
//! The same join serves threads and async tasks: every call has an awaited
//! form (`sleep_async`, `reindeer_back_async`, `elf_asks_async`, each a
//! [`Join::call_async`]), waiting in the same queues under the same chords.
//!
//! The story played on it (the workers' lives, Santa's books, the log) is
//! [`story`], shared with `workshop.rs`; it is this file's child module only
//! so that the benchmark suite, which includes this file alone, gets the
//! names it uses too.

use std::future::Future;
use std::sync::Arc;

use chords::{AsyncChannel, Join, Reply, SyncChannel};

#[path = "story.rs"]
pub mod story;

// The names the benchmark suite takes from this module.
#[allow(unused_imports)]
pub use story::{Kind, Release, ELVES, GROUP, REINDEER};
use story::{Playable, Pole, Story, Waits, Who};

/// A member of a team or group: its id and the reply that releases it.
pub type Member = (usize, Reply<Release>);

/// What wakes Santa, members oldest first.
pub enum Wake {
    /// All nine reindeer are back; `elves_waiting` elves were queued and not taken.
    Reindeer {
        team: [Member; REINDEER],
        elves_waiting: usize,
    },
    /// Three elves need help; `reindeer_waiting` reindeer were back and queued.
    Elves {
        group: [Member; GROUP],
        reindeer_waiting: usize,
    },
}

/// The join: Santa's, the reindeer's and the elves' channels and chords.
#[derive(Clone, Debug)]
pub struct NorthPole {
    join: Join,
    sleep: SyncChannel<(), Wake>,
    reindeer: SyncChannel<usize, Release>,
    elf: SyncChannel<usize, Release>,
    closed: AsyncChannel<()>,
}

impl Default for NorthPole {
    fn default() -> Self {
        Self::new()
    }
}

impl NorthPole {
    /// Builds the join.
    pub fn new() -> Self {
        let mut b = Join::builder();
        let sleep = b.synchronous::<(), Wake>("sleep");
        let reindeer = b.synchronous::<usize, Release>("reindeer");
        let elf = b.synchronous::<usize, Release>("elf");
        let closed = b.asynchronous::<()>("closed");
        // Declared first: when a full team and a full group both wait, the
        // reindeer are the ones Santa wakes up for.
        b.when(sleep)
            .and(reindeer.times::<REINDEER>())
            .named("harness_team")
            .then_with(move |join, (((), santa), team)| {
                let elves_waiting = join.waiting(elf);
                santa.send(Wake::Reindeer {
                    team,
                    elves_waiting,
                })
            });
        b.when(sleep)
            .and(elf.times::<GROUP>())
            .named("consult_group")
            .then_with(move |join, (((), santa), group)| {
                let reindeer_waiting = join.waiting(reindeer);
                santa.send(Wake::Elves {
                    group,
                    reindeer_waiting,
                })
            });
        // Once closed, every worker's call is answered at once, and the token
        // goes back for the next one.
        for (worker, name) in [(reindeer, "reindeer_home"), (elf, "elf_home")] {
            b.when(worker)
                .and(closed)
                .named(name)
                .then_with(move |join, ((_, reply), ())| {
                    join.send(closed, ());
                    reply.send(Release::Closed);
                });
        }
        let join = b.build().expect("valid chords");
        NorthPole {
            join,
            sleep,
            reindeer,
            elf,
            closed,
        }
    }

    /// Santa sleeps until a team or a group wakes him.
    pub fn sleep(&self) -> Wake {
        self.join.call(self.sleep, ())
    }

    /// Santa wakes only if a team or a group waits now.
    pub fn try_sleep(&self) -> Option<Wake> {
        self.join.try_call(self.sleep, ()).ok()
    }

    /// Reindeer `id` is back from holiday: blocks until Santa releases it.
    pub fn reindeer_back(&self, id: usize) -> Release {
        self.join.call(self.reindeer, id)
    }

    /// Elf `id` asks for help: blocks until Santa releases it.
    pub fn elf_asks(&self, id: usize) -> Release {
        self.join.call(self.elf, id)
    }

    /// [`sleep`](Self::sleep), awaited: the task waits, not its thread.
    pub fn sleep_async(&self) -> impl Future<Output = Wake> + Send + '_ {
        self.join.call_async(self.sleep, ())
    }

    /// [`reindeer_back`](Self::reindeer_back), awaited.
    pub fn reindeer_back_async(&self, id: usize) -> impl Future<Output = Release> + Send + '_ {
        self.join.call_async(self.reindeer, id)
    }

    /// [`elf_asks`](Self::elf_asks), awaited.
    pub fn elf_asks_async(&self, id: usize) -> impl Future<Output = Release> + Send + '_ {
        self.join.call_async(self.elf, id)
    }

    /// Closes the North Pole: every worker waiting now or calling later is
    /// sent home with [`Release::Closed`]. Call it once, when Santa no longer sleeps.
    pub fn close(&self) {
        self.join.send(self.closed, ());
    }

    /// Reindeer back and waiting, not yet taken by a chord.
    pub fn reindeer_waiting(&self) -> usize {
        self.join.waiting(self.reindeer)
    }

    /// Elves waiting for help, not yet taken by a chord.
    pub fn elves_waiting(&self) -> usize {
        self.join.waiting(self.elf)
    }

    /// The join itself (for its `Debug`).
    pub fn join(&self) -> &Join {
        &self.join
    }
}

/// The workers' side: a call on the reindeer's or the elves' channel.
impl Pole for NorthPole {
    async fn arrive<W: Waits>(&self, who: Who) -> Release {
        let (channel, id) = match who {
            Who::Reindeer(id) => (self.reindeer, id),
            Who::Elf(id) => (self.elf, id),
        };
        if W::AWAITS {
            self.join.call_async(channel, id).await
        } else {
            self.join.call(channel, id)
        }
    }

    fn close(&self) {
        NorthPole::close(self);
    }

    fn waiting(&self) -> (usize, usize) {
        (self.reindeer_waiting(), self.elves_waiting())
    }
}

/// Santa's side: he takes the team's or group's replies, works (awaiting
/// with [`story::Tasks`]), and answers them.
impl Playable for NorthPole {
    async fn santa<W: Waits>(&self, story: &Arc<Story>) {
        let mut books = story::Books::default();
        while story.on_duty(&books) {
            let wake = if W::AWAITS {
                self.sleep_async().await
            } else {
                self.sleep()
            };
            let (kind, members, others_waiting) = match wake {
                Wake::Reindeer {
                    team,
                    elves_waiting,
                } => (Kind::Delivery, Vec::from(team), elves_waiting),
                Wake::Elves {
                    group,
                    reindeer_waiting,
                } => (Kind::Consultation, Vec::from(group), reindeer_waiting),
            };
            let (ids, replies): (Vec<usize>, Vec<Reply<Release>>) = members.into_iter().unzip();
            let who = ids.into_iter().map(|id| match kind {
                Kind::Delivery => Who::Reindeer(id),
                Kind::Consultation => Who::Elf(id),
            });
            let job = story.woke(&mut books, kind, who.collect(), others_waiting);
            if !job.work.is_zero() {
                W::work(job.work).await;
            }
            story.finished(&job);
            for reply in replies {
                reply.send(Release::Served(job.wake));
            }
        }
    }
}
