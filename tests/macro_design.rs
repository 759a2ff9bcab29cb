//! The language of docs/reference.md, from *A first chord object* to *The
//! generated API*, through the `#[chords]` macro: each example and rule, with
//! a test that checks what it says.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Barrier};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use chords::{chords, TimeoutError, TryCallError};

mod common;
use common::wait_until;

// ---------------------------------------------------------------------------
// *A first chord object*: the buffer, as the reference writes it.

/// An unbounded FIFO buffer.
#[chords(pub)]
impl<T: Send + 'static> Buffer<T> {
    /// Queues `item` and returns at once.
    pub async fn put(&self, item: T);
    /// Blocks until some `put` is there, and returns its item.
    pub fn get(&self) -> T;

    #[chord(get() & put(item))]
    fn deliver(&self) -> T {
        item
    }
}

#[test]
fn buffer_put_then_get() {
    let b = Buffer::new();
    b.put(1);
    assert_eq!(b.get(), 1);
}

#[test]
fn buffer_is_fifo_and_get_waits_for_put() {
    let b = Buffer::new();
    for i in 0..5 {
        b.put(i);
    }
    assert_eq!((0..5).map(|_| b.get()).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(b.try_get(), Err(TryCallError(())));

    let getter = {
        let b = b.clone();
        thread::spawn(move || b.get())
    };
    wait_until("get is queued", || b.waiting()["get"] == 1);
    b.put(42);
    assert_eq!(getter.join().unwrap(), 42);
}

#[test]
fn buffer_conserves_items_across_threads() {
    const PRODUCERS: usize = 4;
    const PER: usize = 500;
    let b: Buffer<usize> = Buffer::new();
    let consumers: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let b = b.clone();
            thread::spawn(move || (0..PER).map(|_| b.get()).collect::<Vec<_>>())
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let b = b.clone();
            thread::spawn(move || (0..PER).for_each(|i| b.put(p * PER + i)))
        })
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    let mut got: Vec<usize> = consumers
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, (0..PRODUCERS * PER).collect::<Vec<_>>());
    assert!(b.try_get().is_err());
}

// ---------------------------------------------------------------------------
// *Channels*. Several parameters make a tuple message; a synchronous
// channel without `-> R` returns `()`.

#[chords]
impl Pairs {
    async fn pair(&self, name: String, n: u32);
    fn take(&self) -> (String, u32);
    fn wait_done(&self);
    async fn done(&self);

    #[chord(take() & pair(name, n))]
    fn taken(&self) -> (String, u32) {
        (name, n)
    }

    #[chord(wait_done() & done())]
    fn finished() {}
}

#[test]
fn several_parameters_and_unit_results() {
    let p = Pairs::new();
    p.pair("a".into(), 1);
    p.pair("b".into(), 2);
    assert_eq!(p.take(), ("a".to_string(), 1));
    assert_eq!(p.take(), ("b".to_string(), 2));
    p.done();
    let () = p.wait_done();
    assert!(p.try_wait_done().is_err());
}

// ---------------------------------------------------------------------------
// *Chords*.

/// Repeated terms bind arrays, oldest first; `_` drops a value; several
/// parameters of a repeated term make one array per parameter.
#[chords]
impl Batches {
    async fn item(&self, n: u32);
    async fn tagged(&self, tag: char, n: u32);
    fn three(&self) -> [u32; 3];
    fn two_tagged(&self) -> ([char; 2], [u32; 2]);
    fn tags_only(&self) -> [char; 2];

    #[chord(three() & [item(xs); 3])]
    fn batch(&self) -> [u32; 3] {
        xs
    }

    #[chord(two_tagged() & [tagged(tags, ns); 2])]
    fn both(&self) -> ([char; 2], [u32; 2]) {
        (tags, ns)
    }

    #[chord(tags_only() & [tagged(tags, _); 2])]
    fn only_tags(&self) -> [char; 2] {
        tags
    }
}

#[test]
fn repeated_terms_bind_arrays_oldest_first() {
    let b = Batches::new();
    for n in 1..=7 {
        b.item(n);
    }
    assert_eq!(b.three(), [1, 2, 3]);
    assert_eq!(b.three(), [4, 5, 6]);
    assert!(b.try_three().is_err(), "only one item is left");
    b.tagged('a', 1);
    b.tagged('b', 2);
    b.tagged('c', 3);
    assert_eq!(b.two_tagged(), (['a', 'b'], [1, 2]));
    b.tagged('d', 4);
    assert_eq!(b.tags_only(), ['c', 'd']);
}

/// A channel in several chords, and twice in one chord: separate terms of
/// one channel take its oldest messages in term order.
#[chords]
impl Twice {
    async fn x(&self, n: u8);
    fn first_two(&self) -> (u8, u8);
    fn one(&self) -> u8;

    #[chord(first_two() & x(a) & x(b))]
    fn pair(&self) -> (u8, u8) {
        (a, b)
    }

    #[chord(one() & x(a))]
    fn single(&self) -> u8 {
        a
    }
}

#[test]
fn separate_terms_of_one_channel_take_oldest_in_term_order() {
    let t = Twice::new();
    t.x(1);
    t.x(2);
    t.x(3);
    assert_eq!(t.first_two(), (1, 2));
    assert_eq!(t.one(), 3);
    assert!(t.try_one().is_err());
}

/// A body with `&self` posts messages: the one-place cell of the Polyphonic
/// C# paper, with state in messages, and a user `new` that starts it empty.
#[chords(pub)]
impl OnePlaceBuffer {
    /// Fills the cell, waiting while it is full.
    pub fn put(&self, n: i32);
    /// Empties the cell, waiting while it is empty.
    pub fn get(&self) -> i32;
    async fn empty(&self);
    async fn contains(&self, n: i32);

    /// Starts empty.
    pub fn new() -> Self {
        let cell = Self::default();
        cell.empty();
        cell
    }

    #[chord(put(n) & empty())]
    fn fill(&self) {
        self.contains(n);
    }

    #[chord(get() & contains(n))]
    fn drain(&self) -> i32 {
        self.empty();
        n
    }
}

#[test]
fn bodies_post_messages_through_self() {
    let cell = OnePlaceBuffer::new();
    cell.put(1);
    assert!(cell.try_put(2).is_err(), "the cell is full");
    assert_eq!(cell.get(), 1);
    cell.put(3);
    assert_eq!(cell.get(), 3);
    assert!(cell.try_get().is_err(), "the cell is empty");
}

#[test]
fn one_place_buffer_alternates_under_contention() {
    const N: i32 = 300;
    let cell = OnePlaceBuffer::new();
    let writer = {
        let cell = cell.clone();
        thread::spawn(move || (0..N).for_each(|i| cell.put(i)))
    };
    let got: Vec<i32> = (0..N).map(|_| cell.get()).collect();
    writer.join().unwrap();
    assert_eq!(got, (0..N).collect::<Vec<_>>());
}

/// Where bodies run: with no synchronous term on the executor, never on
/// the sender's thread; with one synchronous term on that caller's thread.
#[chords]
impl Where {
    async fn ping(&self, from: ThreadId, back: mpsc::Sender<(ThreadId, ThreadId)>);
    fn here(&self) -> ThreadId;
    async fn token(&self);

    #[chord(ping(from, back))]
    fn pong() {
        back.send((from, thread::current().id())).unwrap();
    }

    #[chord(here() & token())]
    fn on_caller() -> ThreadId {
        thread::current().id()
    }
}

#[test]
fn async_bodies_run_off_the_sender_and_sync_bodies_on_the_caller() {
    let w = Where::new();
    let (tx, rx) = mpsc::channel();
    w.ping(thread::current().id(), tx);
    let (from, ran_on) = rx.recv().unwrap();
    assert_eq!(from, thread::current().id());
    assert_ne!(
        ran_on, from,
        "an asynchronous body never runs on the sender's thread"
    );

    w.token();
    assert_eq!(w.here(), thread::current().id());
}

/// A rendezvous: several synchronous terms, a tuple of results in pattern
/// order; a repeated synchronous term alone returns an array.
#[chords]
impl Exchanger {
    fn left(&self, v: i32) -> i32;
    fn right(&self, v: i32) -> i32;
    fn meet(&self, id: usize) -> usize;

    #[chord(left(a) & right(b))]
    fn swap() -> (i32, i32) {
        (b, a)
    }

    /// Each of three callers gets the id of the next one.
    #[chord([meet(ids); 3])]
    fn rotate() -> [usize; 3] {
        [ids[1], ids[2], ids[0]]
    }
}

#[test]
fn rendezvous_answers_each_caller_with_its_element() {
    let x = Arc::new(Exchanger::new());
    let l = {
        let x = Arc::clone(&x);
        thread::spawn(move || x.left(1))
    };
    assert_eq!(x.right(2), 1);
    assert_eq!(l.join().unwrap(), 2);
}

#[test]
fn repeated_sync_term_answers_element_wise() {
    let x = Exchanger::new();
    let barrier = Arc::new(Barrier::new(3));
    let callers: Vec<_> = (0..3)
        .map(|id| {
            let x = x.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                (id, x.meet(id))
            })
        })
        .collect();
    let answers: HashMap<usize, usize> = callers.into_iter().map(|c| c.join().unwrap()).collect();
    // Whatever the order of arrival, the answers form one 3-cycle over the ids.
    assert_eq!(answers.len(), 3);
    let mut cycle = vec![0];
    let mut next = answers[&0];
    while next != 0 {
        assert!(
            cycle.len() < 3,
            "the answers form a single cycle: {answers:?}"
        );
        cycle.push(next);
        next = answers[&next];
    }
    assert_eq!(
        cycle.len(),
        3,
        "the answers form a single cycle: {answers:?}"
    );
}

/// A method with a body and no `#[chord]` passes through.
#[chords]
impl Counter {
    async fn count(&self, n: u64);
    fn add(&self, k: u64) -> u64;

    #[chord(add(k) & count(n))]
    fn added(&self) -> u64 {
        self.count(n + k);
        n + k
    }

    fn starting_at(n: u64) -> Self {
        let c = Self::new();
        c.count(n);
        c
    }

    fn twice(&self, k: u64) -> u64 {
        self.add(k);
        self.add(k)
    }
}

#[test]
fn methods_without_chord_pass_through() {
    let c = Counter::starting_at(10);
    assert_eq!(c.twice(5), 20);
    assert_eq!(c.add(1), 21);
}

// ---------------------------------------------------------------------------
// *Firing rules*, *Priority*: the chord declared first fires.

#[chords]
impl Priority {
    fn take(&self) -> &'static str;
    async fn a(&self);
    async fn b(&self);

    #[chord(take() & a())]
    fn first() -> &'static str {
        "first"
    }

    #[chord(take() & b())]
    fn second() -> &'static str {
        "second"
    }
}

#[test]
fn the_chord_declared_first_fires() {
    let p = Priority::new();
    p.b();
    p.a();
    assert_eq!(p.take(), "first");
    assert_eq!(p.take(), "second");
}

// ---------------------------------------------------------------------------
// *The generated API*.

#[chords]
impl Timed {
    fn get(&self, id: u32, label: &'static str) -> u32;
    fn none(&self) -> u32;
    async fn put(&self, n: u32);

    #[chord(get(id, _label) & put(n))]
    fn got(&self) -> u32 {
        id + n
    }

    #[chord(none() & put(n))]
    fn got_none(&self) -> u32 {
        n
    }
}

#[test]
fn try_timeout_and_deadline_hand_arguments_back() {
    let t = Timed::new();
    let err = t.try_get(1, "one").unwrap_err();
    assert_eq!(err.into_inner(), (1, "one"));
    let err: TimeoutError<(u32, &str)> = t.get_timeout(2, "two", Duration::ZERO).unwrap_err();
    assert_eq!(err.into_inner(), (2, "two"));
    assert_eq!(err.to_string(), "timed out waiting for a chord");
    let err = t.get_deadline(3, "three", Instant::now()).unwrap_err();
    assert_eq!(err.into_inner(), (3, "three"));
    let err: TryCallError<()> = t.try_none().unwrap_err();
    assert_eq!(err.into_inner(), ());
    assert_eq!(
        (t.waiting()["get"], t.waiting()["none"]),
        (0, 0),
        "nothing was left queued"
    );

    t.put(10);
    assert_eq!(t.try_get(1, "one"), Ok(11));
    t.put(20);
    assert_eq!(t.get_timeout(2, "two", Duration::from_secs(60)), Ok(22));
    t.put(30);
    assert_eq!(
        t.none_deadline(Instant::now() + Duration::from_secs(60)),
        Ok(30)
    );
}

#[test]
fn a_timed_call_gets_the_result_when_a_put_arrives_in_time() {
    let t = Timed::new();
    let caller = {
        let t = t.clone();
        thread::spawn(move || t.none_timeout(Duration::from_secs(60)))
    };
    wait_until("none is queued", || t.waiting()["none"] == 1);
    t.put(5);
    assert_eq!(caller.join().unwrap(), Ok(5));
}

#[test]
fn debug_shows_name_channels_waiting_and_chords() {
    let t = Timed::new();
    t.put(1);
    t.put(2);
    assert_eq!(
        format!("{t:?}"),
        r#"Timed { channels: {"get": 0, "none": 0, "put": 2}, chords: ["got", "got_none"] }"#
    );
}

#[test]
fn clones_share_queues_and_default_is_new() {
    let t = Timed::default();
    let u = t.clone();
    t.put(7);
    assert_eq!(u.none(), 7);
    let fresh = Buffer::<u8>::default();
    assert!(fresh.try_get().is_err());
}

/// Dropping the last handle drops every queued message exactly once.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[chords]
impl Holder {
    async fn hold(&self, c: Counted);
    fn take(&self) -> Counted;
    async fn discard(&self, c: Counted);
    async fn go(&self);

    #[chord(take() & hold(c))]
    fn taken(&self) -> Counted {
        c
    }

    #[chord(go() & discard(_))]
    fn dropped() {}
}

#[test]
fn queued_messages_are_dropped_once_with_the_last_handle() {
    let drops = Arc::new(AtomicUsize::new(0));
    let h = Holder::new();
    let h2 = h.clone();
    for _ in 0..3 {
        h.hold(Counted(Arc::clone(&drops)));
    }
    drop(h.take());
    assert_eq!(drops.load(SeqCst), 1);
    drop(h);
    assert_eq!(drops.load(SeqCst), 1, "a clone still holds the queues");
    drop(h2);
    assert_eq!(drops.load(SeqCst), 3);
}

#[test]
fn wildcard_bindings_drop_their_value() {
    let drops = Arc::new(AtomicUsize::new(0));
    let h = Holder::new();
    h.discard(Counted(Arc::clone(&drops)));
    h.go();
    wait_until("the discarded message is dropped", || {
        drops.load(SeqCst) == 1
    });
    assert_eq!(h.waiting()["discard"], 0);
}

// ---------------------------------------------------------------------------
// *Panics*: a panic reaches the synchronous callers; the object stays usable.

#[chords]
impl Fragile {
    fn divide(&self, by: u32) -> u32;
    async fn value(&self, v: u32);

    #[chord(divide(by) & value(v))]
    fn divided(&self) -> u32 {
        self.value(v);
        if by == 0 {
            panic!("division by zero");
        }
        v / by
    }
}

#[test]
fn a_sync_body_panic_reaches_the_caller_and_the_object_stays_usable() {
    let f = Fragile::new();
    f.value(12);
    let f2 = f.clone();
    let panicked = thread::spawn(move || f2.divide(0)).join();
    assert!(panicked.is_err());
    assert_eq!(f.divide(4), 3);
}

/// A body without a return type answers synchronous channels that return
/// `()`, repeated ones included: a barrier of three.
#[chords]
impl Barrier3 {
    fn arrive(&self, id: usize);
    async fn log(&self, ids: [usize; 3]);
    fn rounds(&self) -> [usize; 3];

    #[chord([arrive(ids); 3])]
    fn release(&self) {
        self.log(ids);
    }

    #[chord(rounds() & log(ids))]
    fn logged() -> [usize; 3] {
        ids
    }
}

#[test]
fn unit_results_need_no_return_type() {
    let b = Barrier3::new();
    let arrivals: Vec<_> = (0..3)
        .map(|id| {
            let b = b.clone();
            thread::spawn(move || b.arrive(id))
        })
        .collect();
    arrivals.into_iter().for_each(|a| a.join().unwrap());
    let mut ids = b.rounds();
    ids.sort_unstable();
    assert_eq!(ids, [0, 1, 2]);
}
