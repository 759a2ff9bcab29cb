//! Small joins that several test files build: the loom models, the memory
//! tests here, and the root crate's regression tests (by `#[path]`).

#![allow(dead_code)] // each test file uses some of them

use chords_runtime::{AsyncChannel, Join, SyncChannel};

/// A buffer `get(arg) & put(v)` answering `arg * 100 + v`.
pub fn buffer() -> (Join, AsyncChannel<u32>, SyncChannel<u32, u32>) {
    let mut b = Join::builder();
    let put = b.asynchronous::<u32>("put");
    let get = b.synchronous::<u32, u32>("get");
    b.when(get)
        .and(put)
        .named("deliver")
        .then(|((arg, r), v)| r.send(arg * 100 + v));
    (b.build().unwrap(), put, get)
}

/// A guarded buffer `get(arg) & low(x) & high(y) if x < y` answering
/// `arg * 100 + x * 10 + y`: its channels `low` and `high` are searched.
pub fn guarded() -> (
    Join,
    AsyncChannel<u32>,
    AsyncChannel<u32>,
    SyncChannel<u32, u32>,
) {
    let mut b = Join::builder();
    let low = b.asynchronous::<u32>("low");
    let high = b.asynchronous::<u32>("high");
    let get = b.synchronous::<u32, u32>("get");
    b.when(get)
        .and(low)
        .and(high)
        .guard(|((), x, y): ((), &u32, &u32)| x < y)
        .named("pair")
        .then(|((arg, r), x, y)| r.send(arg * 100 + x * 10 + y));
    (b.build().unwrap(), low, high, get)
}

/// "The oldest job of at least this size", a guard that reads its
/// caller's argument: `take(min) & job(size) if size >= min` (calls of
/// `take` retry as messages arrive).
pub fn jobs() -> (Join, AsyncChannel<u32>, SyncChannel<u32, u32>) {
    let mut b = Join::builder();
    let job = b.asynchronous::<u32>("job");
    let take = b.synchronous::<u32, u32>("take");
    b.when(take.argument())
        .and(job)
        .guard(|(min, size): (&u32, &u32)| size >= min)
        .then(|((_, r), size)| r.send(size));
    (b.build().unwrap(), job, take)
}

/// The channels of [`claim_race`].
pub struct ClaimRace {
    pub p: AsyncChannel<()>,
    pub q: AsyncChannel<()>,
    pub t: SyncChannel<(), ()>,
    pub u: SyncChannel<(), ()>,
    pub v: SyncChannel<(), ()>,
}

/// Chords `t & p`, `u & p & q`, `v & q`, one `p` queued, and every body that
/// takes `p` sends it back: while `u`'s match holds `p` claimed and then rolls
/// it back (because `v` took `q`), a `try_call(t)` must not fail.
pub fn claim_race() -> (Join, ClaimRace) {
    let mut b = Join::builder();
    let p = b.asynchronous::<()>("p");
    let q = b.asynchronous::<()>("q");
    let t = b.synchronous::<(), ()>("t");
    let u = b.synchronous::<(), ()>("u");
    let v = b.synchronous::<(), ()>("v");
    b.when(t).and(p).then_with(move |j, (((), r), ())| {
        j.send(p, ());
        r.send(())
    });
    b.when(u)
        .and(p)
        .and(q)
        .then_with(move |j, (((), r), (), ())| {
            j.send(p, ());
            r.send(())
        });
    b.when(v).and(q).then(|(((), r), ())| r.send(()));
    let join = b.build().unwrap();
    join.send(p, ());
    (join, ClaimRace { p, q, t, u, v })
}

/// Chords `c & e` first, `a & c` second (asynchronous, empty bodies), with
/// one `e` queued: the join and its channels `[c, e, a]`. Whichever of an
/// `a` and a `c` sent at once comes first, `c & e` fires and `a` stays.
pub fn earlier_and_later() -> (Join, [AsyncChannel<()>; 3]) {
    let mut b = Join::builder();
    let c = b.asynchronous::<()>("c");
    let e = b.asynchronous::<()>("e");
    let a = b.asynchronous::<()>("a");
    b.when(c).and(e).named("ce").then(|_| {});
    b.when(a).and(c).named("ac").then(|_| {});
    let join = b.build().unwrap();
    join.send(e, ());
    (join, [c, e, a])
}

/// A rendezvous `left(l) & right(r)` named `swap`: each caller gets the
/// other's argument.
pub fn rendezvous<L: Send + 'static, R: Send + 'static>(
) -> (Join, SyncChannel<L, R>, SyncChannel<R, L>) {
    let mut b = Join::builder();
    let left = b.synchronous::<L, R>("left");
    let right = b.synchronous::<R, L>("right");
    b.when(left)
        .and(right)
        .named("swap")
        .then(|((l, rl), (r, rr))| {
            rl.send(r);
            rr.send(l);
        });
    (b.build().unwrap(), left, right)
}

/// A [`rendezvous`] of `u32`s.
pub type Exchanger = (Join, SyncChannel<u32, u32>, SyncChannel<u32, u32>);

/// Checks how a choice between the `right(1)` of exchanger `x` and the
/// `right(2)` of `y` ended, `chose` tagged `'x'` or `'y'`, while a `left`
/// caller on each, sending 10 and 20, raced for them: exactly one branch
/// fired, with its partner's value; a later `right(7)` meets the other
/// `left`; `partners` joins the two `left` callers, which got 1 and 7, or 7
/// and 2; and no call is left queued.
pub fn one_met(
    x: &Exchanger,
    y: &Exchanger,
    chose: (char, u32),
    partners: impl FnOnce() -> (u32, u32),
) {
    match chose {
        ('x', 10) => assert_eq!(y.0.call(y.2, 7), 20),
        ('y', 20) => assert_eq!(x.0.call(x.2, 7), 10),
        other => panic!("{other:?}"),
    }
    let got = partners();
    assert!(
        matches!((chose.0, got), ('x', (1, 7)) | ('y', (7, 2))),
        "{got:?}"
    );
    for (join, left, right) in [x, y] {
        assert_eq!([join.waiting(*left), join.waiting(*right)], [0, 0]);
    }
}

/// A lock `acquire() & free()`, free.
pub fn lock() -> (Join, AsyncChannel<()>, SyncChannel<(), ()>) {
    let mut b = Join::builder();
    let free = b.asynchronous::<()>("free");
    let acquire = b.synchronous::<(), ()>("acquire");
    b.when(acquire).and(free).then(|(((), r), ())| r.send(()));
    let join = b.build().unwrap();
    join.send(free, ());
    (join, free, acquire)
}
