//! Errors, each handing the caller's values back.

use std::error::Error;
use std::fmt;

/// [`Join::try_call`](crate::Join::try_call) found no chord that could fire at once.
///
/// Nothing was queued; [`into_inner`](TryCallError::into_inner) gives the argument back.
///
/// ```
/// let mut b = chords_runtime::Join::builder();
/// let get = b.synchronous::<String, ()>("get");
/// let put = b.asynchronous::<()>("put");
/// b.when(get).and(put).then(|((_, r), ())| r.send(()));
/// let join = b.build().unwrap();
/// let err = join.try_call(get, "mine".to_string()).unwrap_err();
/// assert_eq!(err.to_string(), "no chord could fire at once");
/// assert_eq!(err.into_inner(), "mine");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TryCallError<A>(pub A);

/// A timed call ([`Join::call_timeout`](crate::Join::call_timeout),
/// [`Join::call_deadline`](crate::Join::call_deadline)) gave up.
///
/// The call was withdrawn as if never made;
/// [`into_inner`](TimeoutError::into_inner) gives the argument back.
///
/// ```
/// use std::time::Duration;
///
/// let mut b = chords_runtime::Join::builder();
/// let get = b.synchronous::<u32, ()>("get");
/// let put = b.asynchronous::<()>("put");
/// b.when(get).and(put).then(|((_, r), ())| r.send(()));
/// let join = b.build().unwrap();
/// let err = join.call_timeout(get, 5, Duration::ZERO).unwrap_err();
/// assert_eq!(err.to_string(), "timed out waiting for a chord");
/// assert_eq!(err.into_inner(), 5);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TimeoutError<A>(pub A);

macro_rules! call_error {
    ($name:ident, $text:literal) => {
        impl<A> $name<A> {
            /// The call's argument, handed back.
            pub fn into_inner(self) -> A {
                self.0
            }
        }

        impl<A> fmt::Debug for $name<A> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(..)"))
            }
        }

        impl<A> fmt::Display for $name<A> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($text)
            }
        }

        impl<A> Error for $name<A> {}
    };
}

call_error!(TryCallError, "no chord could fire at once");
call_error!(TimeoutError, "timed out waiting for a chord");

/// [`JoinBuilder::build`](crate::JoinBuilder::build) found a declaration it cannot run.
///
/// ```
/// use chords_runtime::{BuildError, Join};
///
/// let mut other = Join::builder();
/// let foreign = other.asynchronous::<()>("foreign");
/// let mut b = Join::builder();
/// b.when(foreign).named("stolen").then(|((),)| ());
/// assert_eq!(b.build().unwrap_err(), BuildError::ForeignChannel { chord: "stolen".into() });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// A chord's pattern holds a channel of another builder.
    ForeignChannel {
        /// The chord's name.
        chord: String,
    },
    /// A chord's pattern needs more than `u32::MAX` messages of one channel.
    TooManyMessages {
        /// The chord's name.
        chord: String,
    },
    /// A chord's pattern takes no message at all (its only terms are
    /// [`All`](crate::pattern::All) of empty slices): it could fire forever.
    NoTerms {
        /// The chord's name.
        chord: String,
    },
    /// A chord's guard reads the arguments of calls of two channels
    /// ([`Argument`](crate::Argument)), or of a repeated one: only a call's
    /// own caller can read its argument, so a guard reads one call's.
    TwoArguments {
        /// The chord's name.
        chord: String,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::ForeignChannel { chord } => {
                write!(
                    f,
                    "chord `{chord}` uses a channel declared on another builder"
                )
            }
            BuildError::TooManyMessages { chord } => {
                write!(
                    f,
                    "chord `{chord}` needs more than u32::MAX messages of one channel"
                )
            }
            BuildError::NoTerms { chord } => {
                write!(f, "chord `{chord}` takes no message (its terms are empty)")
            }
            BuildError::TwoArguments { chord } => {
                write!(
                    f,
                    "the guard of chord `{chord}` reads the arguments of more than one call: \
                     only a call's own caller can read its argument"
                )
            }
        }
    }
}

impl Error for BuildError {}
