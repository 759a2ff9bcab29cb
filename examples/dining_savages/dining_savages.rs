//! The dining savages, ported from Chymyst (Sergei Winitzki's chemical
//! machine for Scala, github.com/Chymyst/chymyst-core):
//!
//! - the problem, `docs/chymyst07.md`, *Finite resource with refill ("Dining
//!   savages")*:
//!   <https://github.com/Chymyst/chymyst-core/blob/master/docs/chymyst07.md>;
//! - the program, whose savages eat on
//!   `savage(name) + availableIngredientsInPot(n) if n > 0` and whose cook
//!   starts on `Cook(n) + availableIngredientsInPot(0) if n > 0`,
//!   `docs/chymyst08.md`, *Dining savages*:
//!   <https://github.com/Chymyst/chymyst-core/blob/master/docs/chymyst08.md>,
//!   and its test, "implement dining savages" in
//!   `core/src/test/scala/io/chymyst/test/Patterns02Spec.scala`.
//!
//! A tribe eats from one pot that holds `capacity` servings. A savage takes a
//! serving when the pot has one, and waits while it is empty; the cook waits
//! until the pot is empty, and only then fills it again. The pot is one
//! state channel (docs/reference.md, *State channels*), and a guard and a
//! value pattern (docs/reference.md, *Guards and value patterns*) say which
//! chord may take it:
//!
//! ```text
//! eat()    & pot(n, capacity) if *n > 0      =>  pot(n - 1, capacity); the savage gets serving n
//! refill() & pot(found @ 0, capacity)        =>  pot(capacity, capacity); the cook put in
//!                                                capacity - found servings (all of them)
//! refill() & retire()                        =>  the cook gets `None`, and goes home
//! ```
//!
//! While the pot holds servings, a waiting cook's `refill()` fits no chord;
//! while it is empty, a waiting savage's `eat()` fits none. Chymyst's cook
//! counts its ingredients down to end the simulation; here the story tells
//! the cook to retire once the savages are fed.
//!
//! This module is shared with `tests/example_dining_savages.rs`.

use chords::chords;

/// A pot of servings, a tribe of savages that eats from it, and a cook who
/// refills it when it is empty.
#[chords(pub)]
impl Pot {
    /// State: `servings` left, of the `capacity` a full pot holds.
    /// `pot_now()` reads it.
    #[state]
    pub async fn pot(&self, servings: u32, capacity: u32);
    /// A savage: waits until the pot holds a serving, takes it, and returns
    /// its number, the servings there were before (`capacity` down to 1).
    pub fn eat(&self) -> u32;
    /// The cook: waits until the pot is empty and fills it, returning the
    /// servings it put in (`Some(capacity)`), or until told to retire
    /// (`None`).
    pub fn refill(&self) -> Option<u32>;
    /// Tells the cook to go home: its next `refill()` (or the one waiting)
    /// returns `None`, once the pot, if it is empty, has been filled.
    pub async fn retire(&self);

    /// A full pot of `capacity` servings (at least one).
    pub fn new(capacity: u32) -> Self {
        assert!(capacity >= 1, "a pot holds at least one serving");
        Self::from_state((capacity, capacity))
    }

    #[chord(eat() & pot(n, capacity) if *n > 0)]
    fn serve(&self) -> u32 {
        self.pot(n - 1, capacity);
        n
    }

    // Declared before `go_home`: an empty pot is filled before the cook
    // leaves.
    // `found @ 0`: the pot must be empty, and `found` names what was in it.
    #[chord(refill() & pot(found @ 0, capacity))]
    fn fill(&self) -> Option<u32> {
        self.pot(capacity, capacity);
        Some(capacity - found)
    }

    #[chord(refill() & retire())]
    fn go_home(&self) -> Option<u32> {
        None
    }
}

/// The cook's loop: refills the pot each time it is empty, until told to
/// retire; returns the servings put in at each refill, in order.
pub fn cook(pot: &Pot) -> Vec<u32> {
    std::iter::from_fn(|| pot.refill()).collect()
}

/// A savage's dinner: eats `meals` servings, calling `chew()` after each;
/// returns the number of each serving, in order.
pub fn savage(pot: &Pot, meals: usize, chew: impl Fn()) -> Vec<u32> {
    (0..meals)
        .map(|_| {
            let serving = pot.eat();
            chew();
            serving
        })
        .collect()
}

/// A whole dinner at `pot`: a cook and `savages` savages of `meals` meals
/// each, on threads, the cook retired once every savage has eaten. Returns
/// the cook's refills and each savage's servings.
pub fn dinner(pot: &Pot, savages: usize, meals: usize, chew: fn()) -> (Vec<u32>, Vec<Vec<u32>>) {
    std::thread::scope(|s| {
        let cook = s.spawn(|| cook(pot));
        let tribe: Vec<_> = (0..savages)
            .map(|_| s.spawn(|| savage(pot, meals, chew)))
            .collect();
        let dinners: Vec<Vec<u32>> = tribe.into_iter().map(|t| t.join().unwrap()).collect();
        pot.retire();
        (cook.join().unwrap(), dinners)
    })
}
