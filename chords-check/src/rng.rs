//! A small seeded generator (SplitMix64): the same seed, the same test case,
//! on every machine, so a failing seed replays.
//!
//! One generator for all the project's randomized tests: this crate's, the
//! macro's fuzz tests (`chords-macros/src/fuzz/`, by `#[path]`), and the
//! programs `tests/macro_fuzz.rs` generates (which paste this file in); and
//! for the seeded delays of the Santa example (`examples/santa/story.rs`,
//! by `#[path]`).

/// SplitMix64 (Steele, Lea & Flood): one `u64` of state, good enough to draw
/// test cases, and reproducible from its seed on every platform.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator that starts from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0)");
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    /// `true` with probability `percent` in 100.
    pub fn percent(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One of `items`, if any.
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| self.pick(items))
    }

    /// A seed for a generator of its own, for one part of the work: the
    /// parts then stay the same when another part draws more or fewer numbers.
    pub fn fork(&mut self) -> u64 {
        self.next_u64()
    }
}

/// The seed of the `index`-th case of a campaign that starts from `base`:
/// well spread, so that neighbouring cases share nothing.
pub fn case_seed(base: u64, index: u64) -> u64 {
    Rng::new(base ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_numbers() {
        let draw = |seed| {
            let mut r = Rng::new(seed);
            (0..8).map(|_| r.between(3, 9)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert!(draw(7).iter().all(|n| (3..=9).contains(n)));
    }
}
