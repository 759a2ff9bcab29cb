//! What the bodies of generated chords compute with: each binding's worth,
//! mixed into one value.
//!
//! Compiled into `tests/macro_fuzz.rs` and pasted into the programs that
//! test generates, as their module `values`.

/// A binding's worth in a body's value.
pub trait Value {
    fn value(&self) -> u64;
}

impl Value for u64 {
    fn value(&self) -> u64 {
        *self
    }
}

impl Value for () {
    fn value(&self) -> u64 {
        0
    }
}

impl Value for std::num::Wrapping<u64> {
    fn value(&self) -> u64 {
        self.0
    }
}

impl Value for &'static str {
    fn value(&self) -> u64 {
        self.len() as u64
    }
}

/// A word for a `&'static str` parameter.
pub fn word(n: u64) -> &'static str {
    ["", "a", "bb", "ccc", "dddd"][(n % 5) as usize]
}

impl<T: Value, const N: usize> Value for [T; N] {
    /// Weighs each element by its place, so that the order counts.
    fn value(&self) -> u64 {
        self.iter().zip(1u64..).fold(0, |sum, (x, weight)| {
            sum.wrapping_add(weight.wrapping_mul(x.value()))
        })
    }
}

/// A binding's worth.
pub fn v<T: Value>(binding: &T) -> u64 {
    binding.value()
}

/// The bindings' worths mixed into one value.
pub fn mix(parts: &[u64]) -> u64 {
    parts
        .iter()
        .fold(17, |acc, p| acc.wrapping_mul(31).wrapping_add(*p))
}
