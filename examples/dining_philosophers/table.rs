//! The table: `n` philosophers and `n` chopsticks, as a join built at run time.
//!
//! Chopstick `i` lies between philosophers `i - 1` and `i`; philosopher `i`
//! eats with chopsticks `i` and `i + 1 (mod n)`. Each chopstick is an
//! asynchronous channel holding one `()` while it lies on the table, and each
//! philosopher has one chord, declared in a loop since `n` is known only at
//! run time:
//!
//! ```text
//! eat_i() & chopstick_i & chopstick_{i+1 mod n}  =>  return
//! ```
//!
//! A call of `eat_i` takes both chopsticks at once or waits, holding neither:
//! no philosopher ever sits with one chopstick, so the table cannot deadlock.
//!
//! This module is the example's logic and is shared with
//! `tests/dining_philosophers.rs`.

use std::thread;

use chords::{AsyncChannel, Join, SyncChannel};

/// The join: one chopstick channel and one `eat` chord per seat.
#[derive(Clone, Debug)]
pub struct Table {
    join: Join,
    eat: Vec<SyncChannel<(), ()>>,
    chopsticks: Vec<AsyncChannel<()>>,
}

impl Table {
    /// Lays a table for `n` philosophers, every chopstick on it.
    ///
    /// # Panics
    /// If `n < 2`: a lone philosopher would need the one chopstick twice.
    pub fn new(n: usize) -> Table {
        assert!(n >= 2, "a table needs at least 2 philosophers, not {n}");
        let mut b = Join::builder();
        let chopsticks: Vec<_> = (0..n)
            .map(|i| b.asynchronous::<()>(format!("chopstick{i}")))
            .collect();
        let eat: Vec<_> = (0..n)
            .map(|i| b.synchronous::<(), ()>(format!("eat{i}")))
            .collect();
        for i in 0..n {
            b.when(eat[i])
                .and(chopsticks[i])
                .and(chopsticks[(i + 1) % n])
                .named(format!("philosopher{i}"))
                .then(|(((), reply), (), ())| reply.send(()));
        }
        let join = b.build().expect("valid chords");
        for &chopstick in &chopsticks {
            join.send(chopstick, ());
        }
        Table {
            join,
            eat,
            chopsticks,
        }
    }

    /// The number of seats.
    pub fn seats(&self) -> usize {
        self.eat.len()
    }

    /// Philosopher `i`'s neighbours: left and right.
    pub fn neighbours(&self, i: usize) -> (usize, usize) {
        let n = self.seats();
        ((i + n - 1) % n, (i + 1) % n)
    }

    /// The chopsticks philosopher `i` eats with.
    pub fn chopsticks_of(&self, i: usize) -> (usize, usize) {
        (i, (i + 1) % self.seats())
    }

    /// Philosopher `i` takes both chopsticks, waiting until they are free;
    /// they go back on the table when the returned guard drops.
    pub fn pick_up(&self, i: usize) -> Chopsticks<'_> {
        self.join.call(self.eat[i], ());
        Chopsticks {
            table: self,
            philosopher: i,
        }
    }

    /// Philosopher `i` takes both chopsticks if they are free now.
    pub fn try_pick_up(&self, i: usize) -> Option<Chopsticks<'_>> {
        self.join.try_call(self.eat[i], ()).ok()?;
        Some(Chopsticks {
            table: self,
            philosopher: i,
        })
    }

    /// Whether chopstick `c` lies on the table (0 or 1, if all is well).
    pub fn on_table(&self, c: usize) -> usize {
        self.join.waiting(self.chopsticks[c])
    }

    /// How many calls of philosopher `i` wait for chopsticks.
    pub fn hungry(&self, i: usize) -> usize {
        self.join.waiting(self.eat[i])
    }
}

/// Both chopsticks of a philosopher, back on the table when dropped.
#[derive(Debug)]
pub struct Chopsticks<'a> {
    table: &'a Table,
    philosopher: usize,
}

impl Drop for Chopsticks<'_> {
    fn drop(&mut self) {
        let (left, right) = self.table.chopsticks_of(self.philosopher);
        self.table.join.send(self.table.chopsticks[left], ());
        self.table.join.send(self.table.chopsticks[right], ());
    }
}

/// Seats a philosopher on a thread at each place, each eating `meals` times:
/// pick up, `while_eating(philosopher, meal)`, put down. Returns the meals
/// each one ate.
pub fn dine(
    table: &Table,
    meals: usize,
    while_eating: &(dyn Fn(usize, usize) + Sync),
) -> Vec<usize> {
    thread::scope(|scope| {
        let diners: Vec<_> = (0..table.seats())
            .map(|i| {
                scope.spawn(move || {
                    let mut eaten = 0;
                    for meal in 0..meals {
                        let _chopsticks = table.pick_up(i);
                        while_eating(i, meal);
                        eaten += 1;
                    }
                    eaten
                })
            })
            .collect();
        diners
            .into_iter()
            .map(|diner| diner.join().expect("a philosopher panicked"))
            .collect()
    })
}
