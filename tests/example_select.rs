//! The select across objects (`examples/select`): each ready queue gets
//! chosen, a select with no ready queue waits for one and leaves no call
//! behind, and quit wins over ready queues.

#[allow(dead_code)]
#[path = "../examples/select/select.rs"]
mod select;

mod common;

use std::thread;

use common::{sorted, wait_until, within};
use select::{Case, Mailroom};

#[test]
fn every_ready_case_is_chosen() {
    let s = Mailroom::new();
    for i in 0..100 {
        s.numbers.put(i);
        s.words.put(format!("w{i}"));
        s.ticks.put(());
    }
    let (mut numbers, mut words, mut ticks) = (Vec::new(), Vec::new(), 0);
    // While all three stay ready, the selects take each case in turn.
    for _ in 0..150 {
        match s.select() {
            Case::Number(n) => numbers.push(n),
            Case::Word(w) => words.push(w),
            Case::Tick => ticks += 1,
            Case::Quit => panic!("nobody closed the mailroom"),
        }
    }
    assert!(
        numbers.len() == 50 && words.len() == 50 && ticks == 50,
        "{} {} {ticks}",
        numbers.len(),
        words.len()
    );
    // Each case's messages come oldest first.
    assert_eq!(numbers, (0..numbers.len() as u32).collect::<Vec<_>>());
    let expected: Vec<String> = (0..words.len()).map(|i| format!("w{i}")).collect();
    assert_eq!(words, expected);
}

#[test]
fn every_message_is_taken_exactly_once() {
    let s = Mailroom::new();
    for i in 0..50 {
        s.numbers.put(i);
        s.ticks.put(());
    }
    let mut taken = Vec::new();
    while let Some(case) = s.try_select() {
        taken.push(case);
    }
    assert_eq!(taken.iter().filter(|c| **c == Case::Tick).count(), 50);
    let mut numbers: Vec<u32> = taken
        .iter()
        .filter_map(|c| {
            if let Case::Number(n) = c {
                Some(*n)
            } else {
                None
            }
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..50).collect::<Vec<_>>());
}

#[test]
fn a_select_with_no_ready_case_waits_for_one() {
    within("select waits", || {
        let s = Mailroom::new();
        assert_eq!(s.try_select(), None);
        let waiter = {
            let s = s.clone();
            thread::spawn(move || s.select())
        };
        wait_until("the select waits on every object", || {
            s.numbers.waiting()["take"] == 1
                && s.words.waiting()["take"] == 1
                && s.ticks.waiting()["take"] == 1
                && s.quit.waiting()["wait"] == 1
        });
        assert!(!waiter.is_finished());
        s.ticks.put(());
        assert_eq!(waiter.join().unwrap(), Case::Tick);
        // The other branches left no call behind.
        assert_eq!(s.numbers.waiting()["take"], 0);
        assert_eq!(s.words.waiting()["take"], 0);
        assert_eq!(s.quit.waiting()["wait"], 0);
    });
}

#[test]
fn concurrent_selects_take_every_message_exactly_once() {
    within("concurrent selects", || {
        const EACH: u32 = 300;
        let s = Mailroom::new();
        let taken: Vec<Case> = thread::scope(|scope| {
            // Three selectors, as many selects in all as messages sent.
            let selectors: Vec<_> = (0..3)
                .map(|_| {
                    let s = &s;
                    scope.spawn(move || (0..EACH).map(|_| s.select()).collect::<Vec<_>>())
                })
                .collect();
            let s = &s;
            scope.spawn(move || (0..EACH).for_each(|i| s.numbers.put(i)));
            scope.spawn(move || (0..EACH).for_each(|i| s.words.put(format!("w{i}"))));
            scope.spawn(move || (0..EACH).for_each(|_| s.ticks.put(())));
            selectors
                .into_iter()
                .flat_map(|t| t.join().unwrap())
                .collect()
        });
        let numbers: Vec<u32> = taken
            .iter()
            .filter_map(|c| match c {
                Case::Number(n) => Some(*n),
                _ => None,
            })
            .collect();
        let words: Vec<String> = taken
            .iter()
            .filter_map(|c| match c {
                Case::Word(w) => Some(w.clone()),
                _ => None,
            })
            .collect();
        let ticks = taken.iter().filter(|c| **c == Case::Tick).count();
        assert_eq!(sorted(numbers), (0..EACH).collect::<Vec<_>>());
        assert_eq!(
            sorted(words),
            sorted((0..EACH).map(|i| format!("w{i}")).collect())
        );
        assert_eq!(ticks, EACH as usize);
        assert_eq!(s.try_select(), None, "nothing left over");
    });
}

#[test]
fn quit_wins_over_ready_queues_and_stays() {
    let s = Mailroom::new();
    s.numbers.put(1);
    s.quit.open();
    assert_eq!(s.select(), Case::Quit);
    assert_eq!(s.select(), Case::Quit, "the latch stays open");
    assert_eq!(s.numbers.waiting()["put"], 1, "the number is still there");
}
