//! [`Waiting`]: the queue lengths of a chord object, as its `waiting()`
//! method returns them.

use core::fmt;
use core::ops::Index;

/// How many messages (or calls) wait on each channel of a chord object, not
/// yet taken by a chord: a snapshot, in the channels' declaration order.
///
/// The `waiting()` method that `#[chords]` generates returns one. Other
/// threads may send, call and fire at any time, so each count is a snapshot
/// of its own channel: the counts of two channels are not read at one
/// instant. The object's `Debug` output shows the same counts.
///
/// ```
/// use chords::{chords, Waiting};
///
/// #[chords]
/// impl Buffer {
///     async fn put(&self, item: u32);
///     fn get(&self) -> u32;
///
///     #[chord(get() & put(item))]
///     fn deliver() -> u32 {
///         item
///     }
/// }
///
/// let b = Buffer::new();
/// b.put(1);
/// b.put(2);
/// assert_eq!(b.waiting()["put"], 2);
/// assert_eq!(b.get(), 1);
/// assert_eq!(b.waiting().get("put"), Some(1));
/// assert_eq!(b.waiting().get("take"), None);
/// let expected: Waiting = [("put", 1), ("get", 0)].into_iter().collect();
/// assert_eq!(b.waiting(), expected);
/// assert_eq!(format!("{expected:?}"), r#"{"put": 1, "get": 0}"#);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Each channel's name and count, in declaration order.
    channels: Vec<(&'static str, usize)>,
}

impl Waiting {
    /// The count of the channel `name` (without `r#`), or `None` if the
    /// object has no channel of that name.
    pub fn get(&self, name: &str) -> Option<usize> {
        self.count(name).copied()
    }

    /// Each channel's name and count, in declaration order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&'static str, usize)> + '_ {
        self.channels.iter().copied()
    }

    /// The count of the channel `name`, where it is stored.
    fn count(&self, name: &str) -> Option<&usize> {
        self.channels
            .iter()
            .find(|(channel, _)| *channel == name)
            .map(|(_, count)| count)
    }
}

impl Index<&str> for Waiting {
    type Output = usize;

    /// The count of the channel `name` (without `r#`).
    ///
    /// # Panics
    ///
    /// If the object has no channel of that name.
    fn index(&self, name: &str) -> &usize {
        match self.count(name) {
            Some(count) => count,
            None => {
                let names: Vec<String> = self
                    .channels
                    .iter()
                    .map(|(channel, _)| format!("`{channel}`"))
                    .collect();
                let declared = if names.is_empty() {
                    "it has none".to_string()
                } else {
                    format!("its channels are {}", names.join(", "))
                };
                panic!("no channel named `{name}` in this chord object ({declared})")
            }
        }
    }
}

/// Builds a snapshot from (name, count) pairs, in order: the way to write
/// the counts a test expects, and the way `waiting()` makes its own.
impl FromIterator<(&'static str, usize)> for Waiting {
    fn from_iter<I: IntoIterator<Item = (&'static str, usize)>>(pairs: I) -> Self {
        Waiting {
            channels: pairs.into_iter().collect(),
        }
    }
}

/// A map from each channel's name to its count: `{"put": 1, "get": 0}`.
impl fmt::Debug for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Waiting;

    fn buffer() -> Waiting {
        [("put", 3), ("get", 0)].into_iter().collect()
    }

    #[test]
    fn looks_up_by_name() {
        let w = buffer();
        assert_eq!((w["put"], w["get"]), (3, 0));
        assert_eq!((w.get("put"), w.get("take")), (Some(3), None));
        assert_eq!(w.iter().collect::<Vec<_>>(), [("put", 3), ("get", 0)]);
        assert_eq!(w.iter().len(), 2);
    }

    #[test]
    fn order_and_counts_make_equality() {
        let reordered: Waiting = [("get", 0), ("put", 3)].into_iter().collect();
        let other: Waiting = [("put", 2), ("get", 0)].into_iter().collect();
        assert_eq!(buffer(), buffer().clone());
        assert_ne!(buffer(), reordered);
        assert_ne!(buffer(), other);
    }

    #[test]
    fn debug_is_a_map() {
        assert_eq!(format!("{:?}", buffer()), r#"{"put": 3, "get": 0}"#);
        let none: Waiting = std::iter::empty().collect();
        assert_eq!(format!("{none:?}"), "{}");
    }

    #[test]
    #[should_panic(
        expected = "no channel named `take` in this chord object (its channels are \
                               `put`, `get`)"
    )]
    fn an_unknown_name_panics_with_the_channels() {
        let _ = buffer()["take"];
    }

    #[test]
    #[should_panic(expected = "no channel named `put` in this chord object (it has none)")]
    fn an_object_without_channels_says_so() {
        let none: Waiting = std::iter::empty().collect();
        let _ = none["put"];
    }
}
