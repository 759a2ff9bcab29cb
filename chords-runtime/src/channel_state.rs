//! One channel at run time: its counter, the queue where its messages or
//! calls wait, and the chords an arrival on it tries.

use std::any::TypeId;

use crossbeam_utils::CachePadded;

use crate::calls::Calls;
use crate::count::Count;
use crate::payloads::{Payloads, Store};
use crate::tables::OwnedMember;

/// One channel at run time.
pub(crate) struct ChannelState {
    pub(crate) name: String,
    /// Its messages present and not consumed (see [`Count`]).
    pub(crate) count: CachePadded<Count>,
    /// The chords whose pattern holds this channel, in declaration order.
    pub(crate) members: Box<[OwnedMember]>,
    /// Whether a call of it may be a branch of a choice: in every chord
    /// that holds it, it is the runner, once.
    pub(crate) choosable: bool,
    /// Whether a guard reads its calls' argument: they retry as messages
    /// arrive instead of queuing (`arrivals.rs`).
    pub(crate) retries: bool,
    queue: Queue,
}

/// Where a channel's messages wait.
pub(crate) enum Queue {
    /// An asynchronous channel's: a `Payloads<T>` (a FIFO, or a state
    /// channel's slot), and `T`'s type id.
    Messages(Box<dyn Store>, TypeId),
    /// A synchronous channel's.
    Calls(Box<Calls>),
}

impl Queue {
    /// The queue of an asynchronous channel of `T`.
    pub(crate) fn messages<T: Send + 'static>() -> Self {
        Queue::Messages(Box::new(Payloads::<T>::new()), TypeId::of::<T>())
    }

    /// The slot of a state channel of `T`.
    pub(crate) fn state<T: Send + 'static>() -> Self {
        Queue::Messages(Box::new(Payloads::<T>::state()), TypeId::of::<T>())
    }

    /// The queue of a synchronous channel.
    pub(crate) fn calls() -> Self {
        Queue::Calls(Box::new(Calls::new()))
    }

    pub(crate) fn is_calls(&self) -> bool {
        matches!(self, Queue::Calls(_))
    }
}

impl ChannelState {
    pub(crate) fn new(
        name: String,
        queue: Queue,
        members: Vec<OwnedMember>,
        choosable: bool,
    ) -> Self {
        ChannelState {
            name,
            count: CachePadded::new(Count::new()),
            members: members.into(),
            choosable,
            retries: false,
            queue,
        }
    }

    /// The messages of an asynchronous channel of `T`.
    ///
    /// # Panics
    /// If the channel is synchronous or carries another type.
    #[inline]
    pub(crate) fn payloads<T: 'static>(&self) -> &Payloads<T> {
        match &self.queue {
            Queue::Messages(store, payload) => {
                assert!(*payload == TypeId::of::<T>(), "channel type mismatch");
                // SAFETY: the store is a `Payloads` of the type whose id it was
                // built with (`Queue::messages`), and that is `T`. (`Any`'s
                // downcast does the same, behind two virtual calls.)
                unsafe { &*(&**store as *const dyn Store as *const Payloads<T>) }
            }
            Queue::Calls(_) => unreachable!("an asynchronous term on a synchronous channel"),
        }
    }

    /// An asynchronous channel's messages, without their type.
    ///
    /// # Panics
    /// If the channel is synchronous.
    pub(crate) fn store(&self) -> &dyn Store {
        match &self.queue {
            Queue::Messages(store, _) => &**store,
            Queue::Calls(_) => unreachable!("a synchronous channel has no messages"),
        }
    }

    /// Makes an asynchronous channel's queue searchable, for a guarded
    /// chord (see [`crate::search`]); before any message is sent.
    pub(crate) fn make_searched(&mut self) {
        if let Queue::Messages(store, _) = &mut self.queue {
            *store = store.searched();
        }
    }

    /// Whether the channel is synchronous.
    pub(crate) fn queue_is_calls(&self) -> bool {
        self.queue.is_calls()
    }

    /// The queued calls of a synchronous channel.
    ///
    /// # Panics
    /// If the channel is asynchronous.
    #[inline]
    pub(crate) fn calls(&self) -> &Calls {
        match &self.queue {
            Queue::Calls(calls) => calls,
            Queue::Messages(..) => unreachable!("a synchronous term on an asynchronous channel"),
        }
    }
}

impl Drop for ChannelState {
    fn drop(&mut self) {
        if let Queue::Messages(store, _) = &self.queue {
            store.discard_counted(self.count.available() as usize);
        }
    }
}
