//! The firing rules on the static path of `#[chords]` objects: a synchronous
//! call whose chord can fire at once with messages already queued reserves it
//! (`__private::reserve`) and, when the call is the chord's only synchronous
//! term, takes the queued messages itself and runs the body in place
//! (`Reserved::take`, `Reserved::take_array`). tests/rules.rs, tests/drops.rs and
//! tests/panics.rs check the same rules on the general path, through the
//! run-time API.
//!
//! Each single-threaded test queues the messages first and then calls, so the
//! call finds its chord complete and takes the static path. The multi-threaded
//! tests mix both paths under contention and check invariants.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use chords::{chords, TimeoutError, TryCallError};

mod common;
use common::tracker::{Counted, Tracker};
use common::{sorted, wait_until, within};

// ---------------------------------------------------------------------------
// Priority: the first declared chord that can fire, fires.

/// `first` is declared before `second`; `needs_c`, declared before both, is
/// enabled only with a `c`. An unrelated chord comes first, so that the
/// chords of `get` are not chords 0, 1, 2 of the object.
#[chords]
impl FirstWins {
    fn get(&self) -> &'static str;
    async fn a(&self);
    async fn b(&self);
    async fn c(&self);
    fn other(&self) -> &'static str;
    async fn o(&self);

    #[chord(other() & o())]
    fn unrelated() -> &'static str {
        "unrelated"
    }

    #[chord(get() & a() & c())]
    fn needs_c() -> &'static str {
        "needs_c"
    }

    #[chord(get() & a())]
    fn first() -> &'static str {
        "first"
    }

    #[chord(get() & b())]
    fn second() -> &'static str {
        "second"
    }
}

/// The same chords of `get`, `second` declared before `first`.
#[chords]
impl SecondWins {
    fn get(&self) -> &'static str;
    async fn a(&self);
    async fn b(&self);
    fn other(&self) -> &'static str;
    async fn o(&self);

    #[chord(other() & o())]
    fn unrelated() -> &'static str {
        "unrelated"
    }

    #[chord(get() & b())]
    fn second() -> &'static str {
        "second"
    }

    #[chord(get() & a())]
    fn first() -> &'static str {
        "first"
    }
}

#[test]
fn priority_first_declared_enabled_chord_fires() {
    let f = FirstWins::new();
    for _ in 0..50 {
        f.a();
        f.b();
        f.o();
        assert_eq!(f.get(), "first");
        assert_eq!((f.waiting()["a"], f.waiting()["b"]), (0, 1));
        assert_eq!(f.get(), "second");
        assert_eq!((f.waiting()["a"], f.waiting()["b"]), (0, 0));
        assert_eq!(f.try_get(), Err(TryCallError(())));
        assert_eq!(f.other(), "unrelated");

        // `needs_c`, declared first, is skipped while there is no `c`...
        f.b();
        f.a();
        assert_eq!(f.get(), "first");
        // ... and fires, taking its `a` and `c`, once there is one.
        f.a();
        f.c();
        assert_eq!(f.get(), "needs_c");
        assert_eq!(
            (f.waiting()["a"], f.waiting()["b"], f.waiting()["c"]),
            (0, 1, 0)
        );
        assert_eq!(f.get(), "second");
        // A `c` alone enables nothing.
        f.c();
        assert!(f.try_get().is_err());
        f.a();
        assert_eq!(f.get(), "needs_c");
        assert_eq!(f.waiting()["get"], 0);
    }
}

#[test]
fn priority_reverse_declaration_reverses_the_winner() {
    let s = SecondWins::new();
    for _ in 0..50 {
        s.a();
        s.b();
        assert_eq!(s.get(), "second");
        assert_eq!((s.waiting()["a"], s.waiting()["b"]), (1, 0));
        s.o();
        assert_eq!(s.other(), "unrelated");
        assert_eq!(s.get(), "first");
        assert!(s.try_get().is_err());
    }
}

/// `together` needs a second synchronous caller, so it runs the general way
/// (`Reserved::run`) even when `get` finds it complete; `alone` would run on
/// the static path. Both hold `get`.
#[chords]
impl TogetherFirst {
    fn get(&self) -> &'static str;
    fn partner(&self) -> &'static str;
    async fn a(&self);
    async fn b(&self);

    #[chord(get() & partner() & a())]
    fn together() -> (&'static str, &'static str) {
        ("together", "released by get")
    }

    #[chord(get() & b())]
    fn alone() -> &'static str {
        "alone"
    }
}

/// The same chords, the static-path one declared first.
#[chords]
impl AloneFirst {
    fn get(&self) -> &'static str;
    fn partner(&self) -> &'static str;
    async fn a(&self);
    async fn b(&self);

    #[chord(get() & b())]
    fn alone() -> &'static str {
        "alone"
    }

    #[chord(get() & partner() & a())]
    fn together() -> (&'static str, &'static str) {
        ("together", "released by get")
    }
}

#[test]
fn priority_holds_across_the_static_and_general_paths() {
    for _ in 0..20 {
        // The general-path chord, declared first, wins over the static one.
        let t = TogetherFirst::new();
        let partner = {
            let t = t.clone();
            thread::spawn(move || t.partner())
        };
        wait_until("partner is queued", || t.waiting()["partner"] == 1);
        t.a();
        t.b();
        assert_eq!(t.get(), "together");
        assert_eq!(partner.join().unwrap(), "released by get");
        assert_eq!(
            (t.waiting()["a"], t.waiting()["b"], t.waiting()["partner"]),
            (0, 1, 0)
        );
        assert_eq!(t.get(), "alone");
        assert!(t.try_get().is_err());

        // Declared first, the static-path chord wins; the partner waits on.
        let s = AloneFirst::new();
        let partner = {
            let s = s.clone();
            thread::spawn(move || s.partner())
        };
        wait_until("partner is queued", || s.waiting()["partner"] == 1);
        s.a();
        s.b();
        assert_eq!(s.get(), "alone");
        assert_eq!(
            (s.waiting()["a"], s.waiting()["b"], s.waiting()["partner"]),
            (1, 0, 1)
        );
        assert_eq!(s.get(), "together");
        assert_eq!(partner.join().unwrap(), "released by get");
        assert!(s.try_get().is_err());
        assert_eq!(s.waiting()["a"], 0);
    }
}

// ---------------------------------------------------------------------------
// Order: oldest messages first, in term order.

#[chords]
impl Sequence {
    async fn put(&self, n: u32);
    fn get(&self) -> u32;
    fn take(&self) -> [u32; 3];
    fn pair(&self) -> (u32, u32);
    fn mixed(&self) -> (u32, [u32; 2], u32);

    #[chord(get() & put(n))]
    fn one() -> u32 {
        n
    }

    #[chord(take() & [put(x); 3])]
    fn three() -> [u32; 3] {
        x
    }

    #[chord(pair() & put(a) & put(b))]
    fn two() -> (u32, u32) {
        (a, b)
    }

    /// A single term, a repeated term and a single term of one channel.
    #[chord(put(a) & mixed() & [put(bs); 2] & put(c))]
    fn interleaved() -> (u32, [u32; 2], u32) {
        (a, bs, c)
    }
}

#[test]
fn order_buffer_returns_messages_oldest_first() {
    let s = Sequence::new();
    for n in 0..1000 {
        s.put(n);
    }
    let got: Vec<u32> = (0..1000).map(|_| s.get()).collect();
    assert_eq!(got, (0..1000).collect::<Vec<_>>());
    assert!(s.try_get().is_err());

    // Puts and gets interleaved, against a model queue.
    let mut model = std::collections::VecDeque::new();
    for n in 0..1000 {
        for m in [2 * n, 2 * n + 1] {
            s.put(m);
            model.push_back(m);
        }
        assert_eq!(Some(s.get()), model.pop_front());
    }
    let rest: Vec<u32> = (0..model.len()).map(|_| s.get()).collect();
    assert_eq!(rest, Vec::from(model));
    assert!(s.try_get().is_err());
}

#[test]
fn order_repeated_and_separate_terms_take_oldest_in_term_order() {
    let s = Sequence::new();
    for n in 0..300 {
        s.put(n);
    }
    for batch in 0..100 {
        let b = batch * 3;
        assert_eq!(s.take(), [b, b + 1, b + 2]);
    }
    assert!(s.try_take().is_err());

    for n in 0..200 {
        s.put(n);
    }
    for k in 0..100 {
        assert_eq!(s.pair(), (2 * k, 2 * k + 1));
    }
    assert!(s.try_pair().is_err());

    for n in 0..400 {
        s.put(n);
    }
    for k in 0..100 {
        let b = 4 * k;
        assert_eq!(s.mixed(), (b, [b + 1, b + 2], b + 3));
    }
    assert!(s.try_mixed().is_err());

    // Two left: not enough for `take`, nothing consumed; `pair` takes both.
    s.put(7);
    s.put(8);
    assert!(s.try_take().is_err());
    assert!(s.try_mixed().is_err());
    assert_eq!(s.waiting()["put"], 2);
    assert_eq!(s.pair(), (7, 8));
    assert_eq!(s.waiting()["put"], 0);
}

// ---------------------------------------------------------------------------
// Messages of several parameters, a synchronous call with arguments among
// asynchronous terms, and bodies that post back through `self`.

#[chords]
impl Account {
    /// Adds `n` on behalf of `who`: returns `who` and the new balance.
    fn add(&self, who: usize, n: u64) -> (usize, u64);
    /// The balance and the number of additions.
    fn read(&self) -> (u64, u32);
    async fn state(&self, balance: u64, count: u32);
    async fn left(&self, tag: char, n: u32);
    async fn right(&self, n: u32, tag: char);
    fn combine(&self, k: u32) -> (char, u32, char);

    pub fn new() -> Self {
        let a = Self::default();
        a.state(0, 0);
        a
    }

    #[chord(add(who, n) & state(balance, count))]
    fn added(&self) -> (usize, u64) {
        self.state(balance + n, count + 1);
        (who, balance + n)
    }

    #[chord(read() & state(balance, count))]
    fn peek(&self) -> (u64, u32) {
        self.state(balance, count);
        (balance, count)
    }

    /// The synchronous term in the middle of the pattern.
    #[chord(left(lt, ln) & combine(k) & right(rn, rt))]
    fn combined() -> (char, u32, char) {
        (lt, ln * 100 + k * 10 + rn, rt)
    }
}

#[test]
fn several_parameters_and_bodies_through_self_conserve_state() {
    let a = Account::new();
    for i in 0..1000u64 {
        assert_eq!(a.add(i as usize, i), (i as usize, i * (i + 1) / 2));
    }
    assert_eq!(a.read(), (999 * 1000 / 2, 1000));
    assert_eq!(a.waiting()["state"], 1);

    for i in 0..9 {
        a.left(char::from(b'a' + i as u8), i);
        a.right(9 - i, char::from(b'A' + i as u8));
    }
    for i in 0..9u32 {
        let (lt, n, rt) = a.combine(i);
        assert_eq!(lt, char::from(b'a' + i as u8));
        assert_eq!(rt, char::from(b'A' + i as u8));
        assert_eq!(n, i * 100 + i * 10 + (9 - i));
    }
    assert!(a.try_combine(0).is_err());

    // Under contention, the two paths together lose no addition.
    const THREADS: usize = 4;
    const PER: u64 = 1000;
    let before = a.read();
    within("concurrent additions", {
        let a = a.clone();
        move || {
            thread::scope(|s| {
                for t in 0..THREADS {
                    let a = &a;
                    s.spawn(move || {
                        for _ in 0..PER {
                            assert_eq!(a.add(t, 1).0, t);
                        }
                    });
                }
            })
        }
    });
    assert_eq!(
        a.read(),
        (
            before.0 + THREADS as u64 * PER,
            before.1 + (THREADS as u64 * PER) as u32
        )
    );
    assert_eq!(a.waiting()["state"], 1);
}

/// The one-place cell of the Polyphonic C# paper, generic, with state in
/// messages: `put` waits for `empty()`, `get` for `contains(v)`.
#[chords]
impl<T: Send + 'static> Cell<T> {
    fn put(&self, v: T);
    fn get(&self) -> T;
    async fn empty(&self);
    async fn contains(&self, v: T);

    pub fn new() -> Self {
        let c = Self::default();
        c.empty();
        c
    }

    #[chord(put(v) & empty())]
    fn fill(&self) {
        self.contains(v);
    }

    #[chord(get() & contains(v))]
    fn drain(&self) -> T {
        self.empty();
        v
    }
}

#[test]
fn one_place_cell_alternates_and_conserves_its_state() {
    let c: Cell<(u32, String)> = Cell::new();
    for i in 0..1000 {
        c.put((i, i.to_string()));
        assert_eq!(
            (c.waiting()["empty"], c.waiting()["contains"]),
            (0, 1),
            "full"
        );
        assert!(c.try_put((0, String::new())).is_err(), "the cell is full");
        assert_eq!(c.get(), (i, i.to_string()));
        assert_eq!(
            (c.waiting()["empty"], c.waiting()["contains"]),
            (1, 0),
            "empty"
        );
        assert!(c.try_get().is_err(), "the cell is empty");
    }

    // A writer and a reader on two threads: every value, in order.
    const N: u32 = 2000;
    let got = within("cell between two threads", {
        let c = c.clone();
        move || {
            let writer = {
                let c = c.clone();
                thread::spawn(move || (0..N).for_each(|i| c.put((i, String::new()))))
            };
            let got: Vec<u32> = (0..N).map(|_| c.get().0).collect();
            writer.join().unwrap();
            got
        }
    });
    assert_eq!(got, (0..N).collect::<Vec<_>>());
    assert_eq!((c.waiting()["empty"], c.waiting()["contains"]), (1, 0));
}

// ---------------------------------------------------------------------------
// try_x and x_timeout take the static path too.

#[test]
fn try_and_timeout_forms_on_the_static_path() {
    let s = Sequence::new();
    assert_eq!(s.try_get(), Err(TryCallError(())));
    assert_eq!(s.waiting()["get"], 0, "a failed try leaves no call queued");
    s.put(1);
    s.put(2);
    s.put(3);
    assert_eq!(s.try_get(), Ok(1));
    assert_eq!(s.get_timeout(Duration::from_secs(3600)), Ok(2));
    assert_eq!(s.try_pair(), Err(TryCallError(())), "only one left");
    assert_eq!(s.waiting()["put"], 1, "a failed try consumes nothing");
    assert_eq!(s.get_timeout(Duration::ZERO), Ok(3));
    assert_eq!(s.get_timeout(Duration::ZERO), Err(TimeoutError(())));
    assert_eq!(s.waiting()["get"], 0, "a timed-out call is withdrawn");
    s.put(4);
    s.put(5);
    assert_eq!(s.pair_timeout(Duration::from_secs(3600)), Ok((4, 5)));

    // With arguments: they come back in the error, and the call is not queued.
    let a = Account::new();
    assert_eq!(a.try_add(1, 10), Ok((1, 10)));
    a.left('x', 1);
    assert_eq!(a.try_combine(7), Err(TryCallError(7)));
    assert_eq!(a.combine_timeout(8, Duration::ZERO), Err(TimeoutError(8)));
    assert_eq!(a.waiting()["combine"], 0);
    a.right(2, 'y');
    assert_eq!(a.try_combine(3), Ok(('x', 132, 'y')));
    assert_eq!((a.waiting()["left"], a.waiting()["right"]), (0, 0));
}

// ---------------------------------------------------------------------------
// Drops: each value dropped exactly once.

#[chords]
impl Bin {
    async fn put(&self, item: Counted);
    /// Hands the item to the caller.
    fn get(&self) -> Counted;
    /// The body drops the item and returns its id.
    fn eat(&self) -> usize;
    /// The pattern drops the item (`_`).
    fn skip(&self);
    /// The body drops three items.
    fn eat_three(&self) -> [usize; 3];
    /// The pattern drops two items (`[put(_); 2]`).
    fn skip_two(&self);
    /// The body drops the argument and the item, and returns the sum of ids.
    fn swallow(&self, extra: Counted) -> usize;
    /// The pattern drops the argument; the body returns the item.
    fn swap(&self, extra: Counted) -> Counted;
    async fn pair(&self, left: Counted, right: Counted);
    /// The pattern drops the right of two pairs, the body the left.
    fn lefts(&self) -> [usize; 2];
    /// The pattern drops the left of a pair; the body returns the right.
    fn right(&self) -> Counted;

    #[chord(get() & put(item))]
    fn given() -> Counted {
        item
    }

    #[chord(eat() & put(item))]
    fn eaten() -> usize {
        item.id
    }

    #[chord(skip() & put(_))]
    fn skipped() {}

    #[chord(eat_three() & [put(items); 3])]
    fn three_eaten() -> [usize; 3] {
        items.each_ref().map(|c| c.id)
    }

    #[chord(skip_two() & [put(_); 2])]
    fn two_skipped() {}

    #[chord(swallow(extra) & put(item))]
    fn swallowed() -> usize {
        extra.id + item.id
    }

    #[chord(swap(_) & put(item))]
    fn swapped() -> Counted {
        item
    }

    #[chord(lefts() & [pair(ls, _); 2])]
    fn two_lefts() -> [usize; 2] {
        ls.each_ref().map(|c| c.id)
    }

    #[chord(right() & pair(_, r))]
    fn one_right() -> Counted {
        r
    }
}

#[test]
fn drops_each_value_consumed_on_the_static_path_once() {
    let tracker = Tracker::new(200);
    let bin = Bin::new();
    for _ in 0..30 {
        bin.put(tracker.make()); // ids 0..30
    }

    let got = bin.get();
    assert_eq!(got.id, 0);
    assert_eq!(tracker.total(), 0, "the caller holds it");
    drop(got);
    assert_eq!(tracker.dropped(0), 1);

    assert_eq!(bin.eat(), 1);
    assert_eq!(tracker.dropped(1), 1, "dropped by the body");
    bin.skip();
    assert_eq!(tracker.dropped(2), 1, "dropped by the pattern's `_`");
    assert_eq!(bin.eat_three(), [3, 4, 5]);
    bin.skip_two();
    assert_eq!((6..8).map(|id| tracker.dropped(id)).sum::<usize>(), 2);
    assert_eq!(tracker.total(), 8);

    let extra = tracker.make(); // id 30
    assert_eq!(bin.swallow(extra), 30 + 8);
    assert_eq!((tracker.dropped(30), tracker.dropped(8)), (1, 1));
    let extra = tracker.make(); // id 31
    let got = bin.swap(extra);
    assert_eq!(got.id, 9);
    assert_eq!(tracker.dropped(31), 1, "dropped by the pattern's `_`");
    assert_eq!(tracker.dropped(9), 0);
    drop(got);
    assert_eq!(tracker.total(), 12);

    // Pairs: two values a message, some bound, some `_`.
    for _ in 0..4 {
        bin.pair(tracker.make(), tracker.make()); // ids 32..40
    }
    assert_eq!(bin.lefts(), [32, 34]);
    assert_eq!((32..36).map(|id| tracker.dropped(id)).sum::<usize>(), 4);
    let got = bin.right();
    assert_eq!(got.id, 37);
    assert_eq!((tracker.dropped(36), tracker.dropped(37)), (1, 0));
    drop(got);
    assert_eq!(tracker.total(), 18);

    // A failed try hands the argument back, undropped.
    let empty = Bin::new();
    let extra = tracker.make(); // id 40
    let back = empty.try_swallow(extra).unwrap_err().0;
    assert_eq!(back.id, 40);
    assert_eq!(tracker.dropped(40), 0);
    drop(back);
    drop(empty);
    assert_eq!(tracker.total(), 19);

    // Twenty items (10..30) and one pair (38, 39) are left queued: dropped once,
    // with the last clone.
    let clone = bin.clone();
    drop(bin);
    assert_eq!(tracker.total(), 19, "a clone still holds them");
    assert_eq!((clone.waiting()["put"], clone.waiting()["pair"]), (20, 1));
    drop(clone);
    assert_eq!(tracker.total(), tracker.created());
    assert_eq!(tracker.created(), 41);
}

/// A zero-sized payload with a drop: its channel keeps only a count.
struct Token;

static TOKENS_DROPPED: AtomicUsize = AtomicUsize::new(0);

impl Drop for Token {
    fn drop(&mut self) {
        TOKENS_DROPPED.fetch_add(1, SeqCst);
    }
}

#[chords]
impl Tokens {
    async fn token(&self, t: Token);
    fn use_one(&self);
    fn use_two(&self) -> usize;
    fn keep(&self) -> Token;
    fn ignore_two(&self);

    #[chord(use_one() & token(_))]
    fn used() {}

    #[chord(use_two() & [token(ts); 2])]
    fn two_used() -> usize {
        ts.len()
    }

    #[chord(keep() & token(t))]
    fn kept() -> Token {
        t
    }

    #[chord(ignore_two() & [token(_); 2])]
    fn two_ignored() {}
}

#[test]
fn drops_zero_sized_payloads_once() {
    let dropped = || TOKENS_DROPPED.load(SeqCst);
    let tokens = Tokens::new();
    for _ in 0..20 {
        tokens.token(Token);
    }
    assert_eq!(dropped(), 0);
    tokens.use_one();
    assert_eq!(dropped(), 1);
    assert_eq!(tokens.use_two(), 2);
    assert_eq!(dropped(), 3);
    tokens.ignore_two();
    assert_eq!(dropped(), 5);
    let kept = tokens.keep();
    assert_eq!(dropped(), 5, "the caller holds it");
    drop(kept);
    assert_eq!(dropped(), 6);
    assert_eq!(tokens.waiting()["token"], 14);

    let clone = tokens.clone();
    drop(tokens);
    assert_eq!(dropped(), 6, "a clone still holds them");
    drop(clone);
    assert_eq!(dropped(), 20);
}

// ---------------------------------------------------------------------------
// Panics: the caller unwinds with the body's payload; the object goes on.

/// A panic payload that is not a string, to see it come back unchanged.
#[derive(Debug, PartialEq)]
struct Boom(usize);

#[chords]
impl Fragile {
    async fn put(&self, item: Counted);
    /// Returns the oldest item's id, or panics with `Boom(id)` if `fail`.
    fn take(&self, fail: bool) -> usize;
    /// Returns three items' ids, or panics with a message if `fail`.
    fn take_three(&self, fail: bool) -> [usize; 3];
    /// Puts the item back, then panics with `Boom(id)` if `fail`.
    fn peek(&self, fail: bool) -> usize;

    #[chord(take(fail) & put(item))]
    fn taken() -> usize {
        if fail {
            panic::panic_any(Boom(item.id));
        }
        item.id
    }

    #[chord(take_three(fail) & [put(items); 3])]
    fn three_taken() -> [usize; 3] {
        assert!(!fail, "three taken: {}", items[0].id);
        items.each_ref().map(|c| c.id)
    }

    #[chord(peek(fail) & put(item))]
    fn peeked(&self) -> usize {
        let id = item.id;
        self.put(item);
        if fail {
            panic::panic_any(Boom(id));
        }
        id
    }
}

fn caught<R>(f: impl FnOnce() -> R) -> Box<dyn Any + Send> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("the call returned instead of panicking"),
        Err(payload) => payload,
    }
}

#[test]
fn panics_unwind_the_caller_and_drop_consumed_messages_once() {
    let tracker = Tracker::new(100);
    let f = Fragile::new();
    for _ in 0..10 {
        f.put(tracker.make()); // ids 0..10
    }

    let payload = caught(|| f.take(true));
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(0)));
    assert_eq!(tracker.dropped(0), 1, "the consumed item is dropped once");
    assert_eq!(tracker.total(), 1);
    assert_eq!(f.waiting()["take"], 0);
    assert_eq!(f.waiting()["put"], 9);
    assert_eq!(f.take(false), 1, "still usable, nothing else lost");
    assert_eq!(tracker.total(), 2);

    let payload = caught(|| f.take_three(true));
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("three taken: 2")
    );
    assert_eq!((2..5).map(|id| tracker.dropped(id)).sum::<usize>(), 3);
    assert_eq!(tracker.total(), 5);
    assert_eq!(f.take_three(false), [5, 6, 7]);
    assert_eq!(tracker.total(), 8);

    // A body that put its item back before panicking: the item survives.
    let payload = caught(|| f.peek(true));
    assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(8)));
    assert_eq!(tracker.total(), 8);
    assert_eq!(f.waiting()["put"], 2);
    assert_eq!(f.take(false), 9);
    assert_eq!(f.peek(false), 8);
    assert_eq!(f.take(false), 8);
    assert!(f.try_take(false).is_err());

    // Over and over: the object stays usable and nothing leaks.
    for _ in 0..40 {
        let (older, newer) = (tracker.make(), tracker.make());
        let (older_id, newer_id) = (older.id, newer.id);
        f.put(older);
        f.put(newer);
        let payload = caught(|| f.take(true));
        assert_eq!(payload.downcast_ref::<Boom>(), Some(&Boom(older_id)));
        assert_eq!(f.take(false), newer_id);
        assert_eq!(tracker.total(), tracker.created());
    }
    drop(f);
    assert_eq!(tracker.total(), tracker.created());
}

// ---------------------------------------------------------------------------
// Under contention: both paths together, every message consumed once.

#[chords]
impl Lock {
    fn acquire(&self);
    async fn free(&self);

    pub fn new() -> Self {
        let l = Self::default();
        l.free();
        l
    }

    #[chord(acquire() & free())]
    fn entered() {}
}

#[test]
fn concurrent_lock_excludes_and_loses_no_update() {
    const THREADS: u64 = 4;
    const OPS: u64 = 2000;
    let lock = Lock::new();
    let counter = Arc::new(AtomicU64::new(0));
    within("lock", {
        let (lock, counter) = (lock.clone(), Arc::clone(&counter));
        move || {
            thread::scope(|s| {
                for _ in 0..THREADS {
                    s.spawn(|| {
                        for _ in 0..OPS {
                            lock.acquire();
                            // Not a fetch_add: two holders at once lose an update.
                            let v = counter.load(SeqCst);
                            counter.store(v + 1, SeqCst);
                            lock.free();
                        }
                    });
                }
            })
        }
    });
    assert_eq!(counter.load(SeqCst), THREADS * OPS);
    assert_eq!(lock.waiting()["free"], 1);
    assert_eq!(lock.waiting()["acquire"], 0);
    lock.acquire();
    assert!(lock.try_acquire().is_err());
}

#[chords]
impl Semaphore {
    fn acquire(&self);
    async fn release(&self);

    pub fn new(permits: usize) -> Self {
        let s = Self::default();
        (0..permits).for_each(|_| s.release());
        s
    }

    #[chord(acquire() & release())]
    fn granted() {}
}

#[test]
fn concurrent_semaphore_never_exceeds_its_permits() {
    const PERMITS: usize = 3;
    const THREADS: usize = 6;
    const OPS: usize = 1500;
    let sem = Semaphore::new(PERMITS);
    let current = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    within("semaphore", {
        let (sem, current, most) = (sem.clone(), Arc::clone(&current), Arc::clone(&most));
        move || {
            thread::scope(|s| {
                for _ in 0..THREADS {
                    s.spawn(|| {
                        for _ in 0..OPS {
                            sem.acquire();
                            let now = current.fetch_add(1, SeqCst) + 1;
                            most.fetch_max(now, SeqCst);
                            current.fetch_sub(1, SeqCst);
                            sem.release();
                        }
                    });
                }
            })
        }
    });
    let most = most.load(SeqCst);
    assert!((1..=PERMITS).contains(&most), "{most} holders at once");
    assert_eq!(sem.waiting()["release"], PERMITS);
    assert_eq!(sem.waiting()["acquire"], 0);
    let granted = (0..PERMITS + 2)
        .filter(|_| sem.try_acquire().is_ok())
        .count();
    assert_eq!(granted, PERMITS);
}

#[chords]
impl<T: Send + 'static> Buffer<T> {
    async fn put(&self, item: T);
    fn get(&self) -> T;
    fn get_two(&self) -> [T; 2];

    #[chord(get() & put(item))]
    fn one() -> T {
        item
    }

    #[chord(get_two() & [put(items); 2])]
    fn two() -> [T; 2] {
        items
    }
}

#[test]
fn concurrent_producers_and_consumers_receive_each_value_once() {
    const PRODUCERS: u64 = 3;
    const PER: u64 = 2000;
    const TOTAL: usize = (PRODUCERS * PER) as usize;
    let tracker = Tracker::new(TOTAL);
    // Made up front: the ids are the values.
    let values: Vec<Vec<Counted>> = (0..PRODUCERS)
        .map(|_| (0..PER).map(|_| tracker.make()).collect())
        .collect();
    let buffer: Buffer<Counted> = Buffer::new();
    let per_consumer: Vec<Vec<usize>> = within("producers and consumers", {
        let buffer = buffer.clone();
        move || {
            thread::scope(|s| {
                for batch in values {
                    let buffer = &buffer;
                    s.spawn(move || batch.into_iter().for_each(|v| buffer.put(v)));
                }
                // TOTAL values: 2000 singles, 1000 pairs, 1000 singles and 500 pairs.
                let consumers = [(TOTAL / 3, 0), (0, TOTAL / 6), (TOTAL / 6, TOTAL / 12)]
                    .into_iter()
                    .map(|(singles, pairs)| {
                        let buffer = &buffer;
                        s.spawn(move || {
                            let mut got = Vec::new();
                            for i in 0..singles.max(pairs) {
                                if i < singles {
                                    got.push(buffer.get().id);
                                }
                                if i < pairs {
                                    let [a, b] = buffer.get_two();
                                    got.extend([a.id, b.id]);
                                }
                            }
                            got
                        })
                    })
                    .collect::<Vec<_>>();
                consumers.into_iter().map(|c| c.join().unwrap()).collect()
            })
        }
    });

    // Each consumer sees each producer's values in the order they were sent.
    for got in &per_consumer {
        for p in 0..PRODUCERS as usize {
            let from_p: Vec<usize> = got
                .iter()
                .copied()
                .filter(|&v| v / PER as usize == p)
                .collect();
            assert!(
                from_p.windows(2).all(|w| w[0] < w[1]),
                "out of order: {from_p:?}"
            );
        }
    }
    let all = sorted(per_consumer.into_iter().flatten().collect());
    assert_eq!(all, (0..TOTAL).collect::<Vec<_>>());
    assert_eq!(tracker.total(), TOTAL, "each value dropped once");
    assert!(buffer.try_get().is_err());
    assert_eq!(buffer.waiting()["put"], 0);
}

// ---------------------------------------------------------------------------
// A call that queued and is then handed its chord runs it on its own thread.

/// `ask(x) & answer(y)`: the body says who ran it, and panics on `answer(0)`.
#[chords]
impl Desk {
    fn ask(&self, x: u64) -> (u64, thread::ThreadId);
    async fn answer(&self, y: u64);

    #[chord(ask(x) & answer(y))]
    fn reply() -> (u64, thread::ThreadId) {
        assert!(y != 0, "answer zero");
        (x * 1000 + y, thread::current().id())
    }
}

#[test]
fn a_queued_call_handed_its_chord_runs_the_body_with_its_own_argument() {
    within("queued callers", || {
        let desk = Desk::new();
        for round in 1..=50u64 {
            let asker = {
                let desk = desk.clone();
                thread::spawn(move || (desk.ask(round), thread::current().id()))
            };
            wait_until("the call queues", || desk.waiting()["ask"] == 1);
            desk.answer(round);
            let ((value, ran_on), asker_id) = asker.join().unwrap();
            assert_eq!(value, round * 1000 + round, "round {round}");
            assert_eq!(ran_on, asker_id, "the body runs on the caller's thread");
            assert_eq!(desk.waiting()["answer"], 0);
        }
        // A panicking body unwinds the queued caller, and the desk stays usable.
        let asker = {
            let desk = desk.clone();
            thread::spawn(move || panic::catch_unwind(AssertUnwindSafe(|| desk.ask(7))))
        };
        wait_until("the call queues", || desk.waiting()["ask"] == 1);
        desk.answer(0);
        let payload = asker.join().unwrap().expect_err("the body panicked");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"answer zero"));
        assert_eq!((desk.waiting()["ask"], desk.waiting()["answer"]), (0, 0));
        desk.answer(5);
        assert_eq!(desk.ask(2).0, 2005);
    });
}
