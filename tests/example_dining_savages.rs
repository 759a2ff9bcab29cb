//! The dining savages (`examples/dining_savages`), after Chymyst: no
//! serving is eaten from an empty pot, the cook refills only an empty pot,
//! every serving the cook put in is eaten once or is still in the pot, and
//! every savage eats as often as it asked; a savage waits at an empty pot, a
//! cook at one that is not.

#[allow(dead_code)]
#[path = "../examples/dining_savages/dining_savages.rs"]
mod dining_savages;

mod common;

use std::thread;

use chords::Waiting;
use common::{wait_until, within};
use dining_savages::Pot;

/// The pot at rest: its one state message, and no one waiting.
fn assert_at_rest(pot: &Pot) {
    let rest: Waiting = [("pot", 1), ("eat", 0), ("refill", 0), ("retire", 0)]
        .into_iter()
        .collect();
    assert_eq!(pot.waiting(), rest);
}

/// Runs a tribe of `savages` savages, `meals` meals each, and a cook, at a pot
/// of `capacity` servings; checks every invariant of the dinner.
fn dinner(savages: usize, capacity: u32, meals: usize, chew: fn()) {
    let pot = Pot::new(capacity);
    let (refills, dinners) = dining_savages::dinner(&pot, savages, meals, chew);
    let what = format!("{savages} savages x {meals} meals, pot of {capacity}");

    // Every savage ate as often as it asked, and never from an empty pot:
    // a serving's number is the servings there were, `capacity` down to 1.
    for (i, d) in dinners.iter().enumerate() {
        assert_eq!(d.len(), meals, "{what}: savage {i} ate {} times", d.len());
        assert!(
            d.iter().all(|&n| (1..=capacity).contains(&n)),
            "{what}: savage {i} got servings {d:?}"
        );
    }
    // The cook refilled only an empty pot: each time, a whole pot's worth.
    assert!(
        refills.iter().all(|&put| put == capacity),
        "{what}: refills put in {refills:?}"
    );
    let r = refills.len() as u32;
    let (left, cap) = pot.pot_now();
    assert_eq!(cap, capacity);
    assert!(left <= capacity);
    // Conservation: eaten = refills x capacity + (capacity - left).
    let eaten = dinners.iter().map(Vec::len).sum::<usize>() as u32;
    assert_eq!(
        eaten,
        r * capacity + (capacity - left),
        "{what}: {r} refills, {left} left"
    );
    // And serving by serving: from each of the 1 + r pots, serving v was
    // eaten once, except the `left` servings 1..=left of the last pot.
    let mut taken = vec![0u32; capacity as usize + 1];
    for &n in dinners.iter().flatten() {
        taken[n as usize] += 1;
    }
    for v in 1..=capacity {
        let expected = 1 + r - u32::from(v <= left);
        assert_eq!(taken[v as usize], expected, "{what}: serving #{v}");
    }
    assert_at_rest(&pot);
}

#[test]
fn a_hungry_tribe_never_eats_from_an_empty_pot_and_the_books_balance() {
    within("dining savages", || {
        for (savages, capacity, meals) in [(4, 7, 300), (8, 1, 100), (3, 5, 301), (16, 64, 50)] {
            dinner(savages, capacity, meals, || {});
        }
    });
}

#[test]
fn savages_that_yield_between_servings_balance_the_books_too() {
    within("dining savages, yielding", || {
        for round in 0..20 {
            dinner(2 + round % 5, 1 + round as u32 % 4, 40, thread::yield_now);
        }
    });
}

#[test]
fn a_savage_waits_at_an_empty_pot_until_the_cook_fills_it() {
    within("a savage at an empty pot", || {
        let pot = Pot::new(2);
        assert_eq!(pot.eat(), 2);
        assert_eq!(pot.eat(), 1);
        assert_eq!(pot.pot_now(), (0, 2));
        assert!(pot.try_eat().is_err(), "ate from an empty pot");
        let savage = {
            let pot = pot.clone();
            thread::spawn(move || pot.eat())
        };
        wait_until("the savage waits", || pot.waiting()["eat"] == 1);
        assert_eq!(pot.pot_now(), (0, 2), "the waiting savage took nothing");
        assert_eq!(pot.refill(), Some(2));
        assert_eq!(
            savage.join().unwrap(),
            2,
            "the first serving of the new pot"
        );
        assert_eq!(pot.pot_now(), (1, 2));
        assert_at_rest(&pot);
    });
}

#[test]
fn the_cook_waits_until_the_pot_is_empty() {
    within("a cook at a pot with servings", || {
        let pot = Pot::new(3);
        assert!(pot.try_refill().is_err(), "refilled a full pot");
        assert_eq!(pot.eat(), 3);
        assert_eq!(pot.eat(), 2);
        assert!(pot.try_refill().is_err(), "refilled a pot with one serving");
        let cook = {
            let pot = pot.clone();
            thread::spawn(move || pot.refill())
        };
        wait_until("the cook waits", || pot.waiting()["refill"] == 1);
        assert_eq!(pot.pot_now(), (1, 3), "the waiting cook put nothing in");
        assert_eq!(pot.eat(), 1);
        assert_eq!(cook.join().unwrap(), Some(3));
        assert_eq!(pot.pot_now(), (3, 3));
        assert_at_rest(&pot);
    });
}

#[test]
fn a_retiring_cook_first_fills_an_empty_pot() {
    within("the cook retires", || {
        // A full pot: the waiting cook goes home.
        let pot = Pot::new(1);
        let cook = {
            let pot = pot.clone();
            thread::spawn(move || dining_savages::cook(&pot))
        };
        wait_until("the cook waits", || pot.waiting()["refill"] == 1);
        pot.retire();
        assert_eq!(cook.join().unwrap(), Vec::<u32>::new());
        assert_eq!(pot.pot_now(), (1, 1));
        assert_at_rest(&pot);

        // An empty pot and the order to retire, both there: the pot first.
        assert_eq!(pot.eat(), 1);
        pot.retire();
        assert_eq!(pot.refill(), Some(1));
        assert_eq!(pot.refill(), None);
        assert_eq!(pot.pot_now(), (1, 1));
        assert_at_rest(&pot);
    });
}
