// The crate docs are the language reference, in docs/reference.md; its
// examples run as doc tests (`cargo test --doc -p chords`).
#![doc = include_str!("../docs/reference.md")]

pub use chords_runtime::*;

mod waiting;
pub use waiting::Waiting;

/// The README's examples, run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use chords_macros::{chord, chords};

/// What the code that `#[chords]` generates calls; not a public API.
#[doc(hidden)]
pub mod __private {
    use core::fmt;

    use chords_runtime::Reply;

    use crate::Waiting;

    /// What a message or a result must be: `Send + 'static`.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be a message or a result of a chord object: it is not \
                   `Send + 'static`",
        label = "not `Send + 'static`",
        note = "messages and results move between threads and outlive the call: use a type \
                that is `Send + 'static` (`Arc` rather than `Rc`, an owned value rather than \
                a borrow), or bound the impl's type parameter with `Send + 'static`"
    )]
    pub trait Message {}

    impl<T: ?Sized + Send + 'static> Message for T {}

    /// Fails to compile, spanned at `T`, unless `T` may be a message or a
    /// result.
    pub const fn assert_send_static<T: ?Sized + Message>() {}

    /// A chord body's result, as its synchronous terms need it.
    #[diagnostic::on_unimplemented(
        message = "this chord's body returns `{Self}`, but its synchronous terms expect `{T}`",
        label = "expected `{T}` for the synchronous terms of this pattern",
        note = "a chord returns `()` when its pattern has no synchronous term, the result of its \
                synchronous term when it has one (`[R; N]` for `[s(x); N]`), and a tuple with \
                one element per synchronous term, in pattern order, when it has several"
    )]
    pub trait ChordResult<T> {
        /// The result itself.
        fn into_result(self) -> T;
    }

    impl<T> ChordResult<T> for T {
        #[inline]
        fn into_result(self) -> T {
            self
        }
    }

    /// The result a chord's body returned, checked against what its
    /// synchronous terms expect.
    #[inline]
    pub fn chord_result<B: ChordResult<T>, T>(body: B) -> T {
        body.into_result()
    }

    /// Answers each caller of a repeated synchronous term with its element.
    #[inline]
    pub fn reply_each<R, const N: usize>(replies: [Reply<R>; N], results: [R; N]) {
        for (reply, result) in replies.into_iter().zip(results) {
            reply.send(result);
        }
    }

    /// `Debug` of a generated chord object: its name, each channel with its
    /// waiting messages, and its chords.
    pub fn debug(
        f: &mut fmt::Formatter<'_>,
        name: &str,
        channels: &Waiting,
        chords: &[&str],
    ) -> fmt::Result {
        f.debug_struct(name)
            .field("channels", channels)
            .field("chords", &chords)
            .finish()
    }
}
