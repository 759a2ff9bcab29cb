//! A join built by hand for the driver's own tests: a buffer
//! (`get() & put(n)`) and an exchanger (`[swap(x); 2]`), in three versions:
//! as its [`SHAPE`] says, answering one more from `get`, and giving priority
//! to `get() & [put(n); 2]` (declared last in the shape, so it never fires
//! there).

use chords::{AsyncChannel, Join, SyncChannel};

use crate::driver::{answer, timed, tried, Chan, Form, Shape, Under, SHORT};

#[derive(Clone)]
pub struct Pair {
    join: Join,
    put: AsyncChannel<u64>,
    get: SyncChannel<(), u64>,
    swap: SyncChannel<u64, u64>,
}

pub static SHAPE: Shape = Shape {
    channels: &[
        Chan {
            name: "put",
            sync: false,
            params: 1,
        },
        Chan {
            name: "get",
            sync: true,
            params: 0,
        },
        Chan {
            name: "swap",
            sync: true,
            params: 1,
        },
    ],
    chords: &[&[(0, 1), (1, 1)], &[(2, 2)], &[(0, 2), (1, 1)]],
    sends: &[&[], &[], &[]],
};

/// As [`SHAPE`] says.
pub fn plain() -> Pair {
    pair(0, false)
}

/// `get` answers one more.
pub fn adds_one() -> Pair {
    pair(1, false)
}

/// `get() & [put(n); 2]` comes first.
pub fn greedy() -> Pair {
    pair(0, true)
}

fn pair(add: u64, greedy: bool) -> Pair {
    let mut b = Join::builder();
    let put = b.asynchronous::<u64>("put");
    let get = b.synchronous::<(), u64>("get");
    let swap = b.synchronous::<u64, u64>("swap");
    let two = |b: &mut chords::JoinBuilder| {
        b.when(get)
            .and(put.times::<2>())
            .then(|(((), r), [x, y])| r.send(x + y));
    };
    if greedy {
        two(&mut b);
    }
    b.when(get)
        .and(put)
        .then(move |(((), r), n)| r.send(n + add));
    b.when(swap.times::<2>()).then(|([(x, rx), (y, ry)],)| {
        rx.send(y);
        ry.send(x);
    });
    if !greedy {
        two(&mut b);
    }
    let join = b.build().expect("the join builds");
    Pair {
        join,
        put,
        get,
        swap,
    }
}

impl Under for Pair {
    fn send(&self, _: usize, a: &[u64]) {
        self.join.send(self.put, a[0]);
    }

    fn call(&self, channel: usize, form: Form, a: &[u64]) -> String {
        let deadline = || std::time::Instant::now() + SHORT;
        match (channel, form) {
            (1, Form::Block) => answer(self.join.call(self.get, ())),
            (1, Form::Try) => tried(self.join.try_call(self.get, ())),
            (1, Form::Timeout) => timed(self.join.call_timeout(self.get, (), SHORT)),
            (1, Form::Deadline) => timed(self.join.call_deadline(self.get, (), deadline())),
            (_, Form::Block) => answer(self.join.call(self.swap, a[0])),
            (_, Form::Try) => tried(self.join.try_call(self.swap, a[0])),
            (_, Form::Timeout) => timed(self.join.call_timeout(self.swap, a[0], SHORT)),
            (_, Form::Deadline) => timed(self.join.call_deadline(self.swap, a[0], deadline())),
        }
    }

    fn debug(&self) -> String {
        format!("{:?}", self.join)
    }
}
