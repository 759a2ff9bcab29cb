//! The shape of what `#[chords]` generates (docs/reference.md, *The generated
//! API*): generics and where-clauses, doc comments, visibility, a user `new`,
//! `Send + Sync`, and hygiene — the expansion compiles in a
//! `#![no_implicit_prelude]` module beside user types named like the
//! prelude's, and adds no warnings (this file denies them, and `missing_docs`
//! for the generated public API).

#![deny(warnings, missing_docs)]

use std::sync::Arc;
use std::thread;
use std::time::Duration;

mod shapes {
    use chords::chords;

    /// A keyed store: `put` pairs wait for a `take` of their key's kind.
    ///
    /// Generic over the key and the value, with bounds both in the
    /// parameter list and in a where-clause, and a const parameter.
    #[chords(pub(crate))]
    impl<K: Clone + Send + 'static, V, const LIMIT: usize> Store<K, V, LIMIT>
    where
        V: Send + 'static + core::fmt::Debug,
    {
        /// Offers `value` under `key`.
        pub(crate) async fn put(&self, key: K, value: V);
        /// Takes the oldest offer.
        pub(crate) fn take(&self) -> (K, V);
        /// Takes the two oldest offers at once.
        pub(crate) fn take_two(&self) -> [(K, V); 2];

        #[chord(take() & put(key, value))]
        fn one(&self) -> (K, V) {
            (key, value)
        }

        #[chord(take_two() & [put(keys, values); 2])]
        fn two(&self) -> [(K, V); 2] {
            let [k0, k1] = keys;
            let [v0, v1] = values;
            [(k0, v0), (k1, v1)]
        }

        /// The user's own constructor: only `Default` is generated beside it.
        pub(crate) fn new(initial: impl IntoIterator<Item = (K, V)>) -> Self {
            let store = Self::default();
            store.put_all(initial);
            store
        }

        /// The const parameter, to show it is in scope.
        pub(crate) fn limit(&self) -> usize {
            LIMIT
        }
    }

    /// A lifetime parameter that no message uses.
    #[chords(pub)]
    impl<'a> Borrowless<'a> {
        /// A signal.
        pub async fn ping(&self);
        /// Waits for a signal.
        pub fn wait(&self);

        #[chord(wait() & ping())]
        fn pinged() {}

        /// Whatever `'a` is, the object holds no borrow.
        pub fn with(_: &'a str) -> Self {
            Self::new()
        }
    }
}

use shapes::{Borrowless, Store};

#[test]
fn generics_where_clauses_const_params_and_a_user_new() {
    let store: Store<&'static str, u32, 7> = Store::new([("a", 1), ("b", 2), ("c", 3)]);
    assert_eq!(store.limit(), 7);
    assert_eq!(store.take(), ("a", 1));
    assert_eq!(store.take_two(), [("b", 2), ("c", 3)]);
    assert_eq!(store.try_take(), Err(chords::TryCallError(())));
    let empty: Store<String, (), 0> = Default::default();
    assert!(empty.take_timeout(Duration::ZERO).is_err());

    let text = String::from("borrowed");
    let b = Borrowless::with(&text);
    b.ping();
    b.wait();
}

fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}

#[test]
fn the_generated_struct_is_send_sync_and_clone() {
    assert_send_sync::<Store<String, Vec<u8>, 1>>();
    assert_send_sync::<Borrowless<'static>>();
    assert_send_sync::<hygiene::Cell>();
    // Even when the messages are Send but not Sync.
    assert_send_sync::<Store<std::cell::Cell<u8>, std::sync::mpsc::Sender<u8>, 1>>();
}

/// A module without the prelude, with types named like the prelude's and
/// std's: the expansion names everything by absolute path.
#[allow(dead_code)]
pub mod hygiene {
    #![no_implicit_prelude]

    use ::chords::chords;

    /// Not `core::result::Result`.
    pub struct Result;
    /// Not `core::option::Option`.
    pub struct Option;
    /// Not `std::boxed::Box`.
    pub struct Box;
    /// Not `std::sync::Arc`.
    pub struct Arc;
    /// Not `core::marker::Send`.
    pub struct Send;
    /// Not `core::clone::Clone`.
    pub struct Clone;
    /// Not `core::default::Default`.
    pub struct Default;
    /// Not `chords::Join`.
    pub struct Join;
    /// Not `core::marker::PhantomData`.
    pub struct PhantomData;
    /// Not `std::time::Duration`.
    pub struct Duration;

    /// A cell of a `u32`, written in a module without a prelude.
    #[chords(pub)]
    impl Cell {
        /// Takes the value.
        pub fn get(&self) -> u32;
        /// Puts a value.
        pub async fn put(&self, n: u32);
        /// Swaps two values by a rendezvous.
        pub fn swap(&self, mine: u32) -> u32;

        #[chord(get() & put(n))]
        fn got(&self) -> u32 {
            n
        }

        #[chord([swap(values); 2])]
        fn swapped() -> [u32; 2] {
            [values[1], values[0]]
        }
    }
}

#[test]
fn expands_without_the_prelude_beside_shadowing_types() {
    let cell = hygiene::Cell::new();
    cell.put(3);
    assert_eq!(cell.get(), 3);
    assert!(cell.try_get().is_err());
    assert!(cell.get_timeout(Duration::ZERO).is_err());
    let _ = (
        hygiene::Result,
        hygiene::Option,
        hygiene::Box,
        hygiene::Arc,
        hygiene::Send,
        hygiene::Clone,
        hygiene::Default,
        hygiene::Join,
        hygiene::PhantomData,
        hygiene::Duration,
    );

    let cell = Arc::new(cell);
    let other = {
        let cell = Arc::clone(&cell);
        thread::spawn(move || cell.swap(1))
    };
    assert_eq!(cell.swap(2), 1);
    assert_eq!(other.join().unwrap(), 2);
}

mod edges {
    use chords::chords;

    /// No channel at all.
    #[chords(pub)]
    impl Empty {}

    /// Raw identifiers, and parameters named like the generated ones.
    #[chords(pub)]
    impl r#Raw {
        /// Adds.
        pub fn r#match(&self, r#type: u8, timeout: u8, deadline: u8) -> u8;
        /// A value.
        pub async fn r#loop(&self, r#in: u8);

        #[chord(r#match(r#t, timeout, _) & r#loop(v))]
        fn r#fn() -> u8 {
            r#t + timeout + v
        }
    }

    /// Chords with no synchronous term, all-`_` bindings and zero-parameter
    /// repeated terms.
    #[chords(pub)]
    impl Signals {
        /// A pair to forget.
        pub async fn pair(&self, x: u32, y: String);
        /// A tick.
        pub async fn tick(&self);
        /// Sent by the chords.
        pub async fn fired(&self, which: &'static str);
        /// Waits for a firing.
        pub fn next(&self) -> &'static str;

        #[chord(pair(_, _) & tick())]
        fn forget(&self) {
            self.fired("forget");
        }

        #[chord([tick(); 2])]
        fn two_ticks(&self) {
            self.fired("two_ticks");
        }

        #[chord(next() & fired(which))]
        fn report() -> &'static str {
            which
        }
    }
}

#[test]
fn raw_identifiers_empty_objects_and_unit_terms() {
    let _ = edges::Empty::new();
    assert_eq!(
        format!("{:?}", edges::Empty::default()),
        "Empty { channels: {}, chords: [] }"
    );

    let r = edges::Raw::new();
    r.r#loop(1);
    assert_eq!(r.r#match(10, 20, 30), 31);
    // The extra parameter of `_timeout` gets a name no declared one has.
    let err = r.match_timeout(1, 2, 3, Duration::ZERO).unwrap_err();
    assert_eq!(err.into_inner(), (1, 2, 3));
    assert!(format!("{r:?}").starts_with(r#"Raw { channels: {"match": 0, "loop": 0}"#));
    // `waiting()` names the channels without their `r#`, as `Debug` does.
    r.r#loop(5);
    let waiting = r.waiting();
    assert_eq!((waiting["match"], waiting["loop"]), (0, 1));
    assert_eq!(
        waiting.iter().collect::<Vec<_>>(),
        [("match", 0), ("loop", 1)]
    );
    assert_eq!(edges::Empty::new().waiting().iter().len(), 0);

    let s = edges::Signals::new();
    s.pair(1, "one".into());
    s.tick();
    assert_eq!(s.next(), "forget");
    s.tick();
    s.tick();
    assert_eq!(s.next(), "two_ticks");
}

#[test]
fn wait_idle_waits_for_the_objects_asynchronous_chords() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    static RAN: AtomicUsize = AtomicUsize::new(0);

    #[chords::chords]
    impl Jobs {
        async fn job(&self, n: u32);

        #[chord(job(n))]
        fn run(&self) {
            thread::sleep(Duration::from_millis(u64::from(n % 3)));
            RAN.fetch_add(1, SeqCst);
        }
    }

    let jobs = Jobs::new();
    jobs.job_all(0..50);
    jobs.wait_idle();
    assert_eq!(RAN.load(SeqCst), 50);
    assert!(jobs.wait_idle_timeout(Duration::ZERO));
}

#[test]
fn spawn_in_the_attribute_runs_the_objects_asynchronous_bodies() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    static SPAWNED: AtomicUsize = AtomicUsize::new(0);
    static RAN: AtomicUsize = AtomicUsize::new(0);

    fn thread_per_body(job: chords::Job) {
        SPAWNED.fetch_add(1, SeqCst);
        thread::spawn(move || job.run());
    }

    #[chords::chords(pub(crate), spawn = thread_per_body)]
    impl Tasks {
        async fn task(&self, n: u32);

        #[chord(task(n))]
        fn run(&self) {
            assert_ne!(thread::current().name(), Some("chords-executor"));
            RAN.fetch_add(n as usize, SeqCst);
        }
    }

    let tasks = Tasks::new();
    tasks.task_all(1..=10);
    tasks.wait_idle();
    assert_eq!((SPAWNED.load(SeqCst), RAN.load(SeqCst)), (10, 55));
}
