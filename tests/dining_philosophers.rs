//! Dining philosophers (`examples/dining_philosophers`): a table of `n` seats
//! built at run time; no two neighbours eat at once, everyone eats, no deadlock.

#[allow(dead_code)]
#[path = "../examples/dining_philosophers/table.rs"]
mod table;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use table::Table;

mod common;
use common::within;

/// `n` philosophers eat `meals` each; every meal checks, on entry, that
/// neither neighbour is eating, and that each of its chopsticks is held by
/// this philosopher only.
fn dinner(n: usize, meals: usize) {
    within(&format!("{n} philosophers"), move || {
        let table = Table::new(n);
        assert_eq!(table.seats(), n);
        let eating: Vec<AtomicBool> = (0..n).map(|_| AtomicBool::new(false)).collect();
        let holder: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(usize::MAX)).collect();
        let served: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
        let eaten = table::dine(&table, meals, &|i, meal| {
            assert_eq!(served[i].fetch_add(1, SeqCst), meal, "meals in order");
            eating[i].store(true, SeqCst);
            let (left, right) = table.neighbours(i);
            assert!(
                !eating[left].load(SeqCst) && !eating[right].load(SeqCst),
                "philosopher {i} eats beside a neighbour ({left} or {right})"
            );
            for c in [table.chopsticks_of(i).0, table.chopsticks_of(i).1] {
                let before = holder[c].swap(i, SeqCst);
                assert_eq!(before, usize::MAX, "chopstick {c} held by {before} and {i}");
            }
            thread::yield_now();
            for c in [table.chopsticks_of(i).0, table.chopsticks_of(i).1] {
                assert_eq!(holder[c].swap(usize::MAX, SeqCst), i);
            }
            eating[i].store(false, SeqCst);
        });
        assert_eq!(eaten, vec![meals; n], "everyone eats every meal");
        let served: Vec<usize> = served.iter().map(|s| s.load(SeqCst)).collect();
        assert_eq!(served, vec![meals; n]);
        // Every chopstick is back, once; nobody is left hungry.
        for c in 0..n {
            assert_eq!(table.on_table(c), 1, "chopstick {c}");
            assert_eq!(table.hungry(c), 0);
        }
    });
}

#[test]
fn two_philosophers_share_both_chopsticks() {
    dinner(2, 10_000);
}

#[test]
fn three_philosophers() {
    dinner(3, 6000);
}

#[test]
fn five_philosophers() {
    dinner(5, 4000);
}

#[test]
fn seventeen_philosophers() {
    dinner(17, 1000);
}

#[test]
fn a_hundred_philosophers() {
    dinner(100, 200);
}

#[test]
fn a_philosopher_eating_blocks_exactly_its_two_neighbours() {
    let table = Table::new(5);
    let zero = table.try_pick_up(0).expect("a free table");
    assert_eq!((table.on_table(0), table.on_table(1)), (0, 0));
    assert!(table.try_pick_up(1).is_none(), "right neighbour");
    assert!(
        table.try_pick_up(4).is_none(),
        "left neighbour, across the wrap"
    );
    let two = table.try_pick_up(2).expect("not a neighbour");
    assert!(table.try_pick_up(3).is_none(), "2 holds chopstick 3");
    drop(zero);
    assert!(table.try_pick_up(1).is_none(), "2 still holds chopstick 2");
    let four = table.try_pick_up(4).expect("chopsticks 4 and 0 are free");
    drop(two);
    drop(four);
    assert!((0..5).all(|c| table.on_table(c) == 1));
    assert!(
        (0..5).all(|i| table.hungry(i) == 0),
        "try_pick_up queues nothing"
    );
}

#[test]
fn a_hungry_philosopher_eats_as_soon_as_its_neighbour_is_done() {
    within("the hand-over test", || {
        let table = Table::new(3);
        let zero = table.try_pick_up(0).expect("a free table");
        thread::scope(|scope| {
            let hungry = scope.spawn(|| {
                let _chopsticks = table.pick_up(1);
                table.on_table(1) + table.on_table(2)
            });
            for _ in 0..20_000 {
                if table.hungry(1) == 1 {
                    break;
                }
                thread::sleep(Duration::from_millis(1));
            }
            assert_eq!(table.hungry(1), 1, "philosopher 1 waits for chopstick 1");
            // It holds no chopstick while it waits: chopstick 2 stays on the table.
            assert_eq!(table.on_table(2), 1);
            assert!(!hungry.is_finished());
            drop(zero);
            assert_eq!(hungry.join().unwrap(), 0, "it ate holding 1 and 2");
        });
        assert!((0..3).all(|c| table.on_table(c) == 1));
    });
}

#[test]
fn two_philosophers_use_the_same_two_chopsticks_in_either_order() {
    let table = Table::new(2);
    assert_eq!(table.neighbours(0), (1, 1));
    assert_eq!(table.chopsticks_of(1), (1, 0));
    let one = table.try_pick_up(1).expect("a free table");
    assert!(table.try_pick_up(0).is_none());
    drop(one);
    assert!(table.try_pick_up(0).is_some());
}

#[test]
#[should_panic(expected = "at least 2 philosophers")]
fn a_lone_philosopher_has_no_table() {
    let _ = Table::new(1);
}
