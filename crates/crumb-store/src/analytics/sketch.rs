//! Distinct-visitor counts that can be merged across hours, days and rows.
//!
//! A rollup row cannot hold the visitors it counted (that would keep
//! per-visitor data for good), and daily unique counts cannot be added up
//! over a range (a visitor seen on two days would count twice). A
//! [`VisitorSketch`] is Cloudflare's `cardinality-estimator`: exact-in-practice
//! for small sets (a sparse list of 25-bit hash slots, up to a few hundred
//! visitors), HyperLogLog above: 4,096 registers (≈1.6 % standard error)
//! for the site's totals ([`Precision::Fine`]), 1,024 (≈3.3 %) for rows of
//! pages, sources and the other dimensions ([`Precision::Coarse`]), which a
//! report merges by the thousand. It stores hashes of already-keyed visitor
//! ids, never ids.

use cardinality_estimator::CardinalityEstimator;
use wyhash::WyHash;

use crate::StoreError;

/// How many HyperLogLog registers a sketch has once it is large.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// 4,096 registers: site totals.
    Fine,
    /// 1,024 registers: dimension rows.
    Coarse,
}

#[derive(Clone, Debug)]
enum Estimator {
    Fine(CardinalityEstimator<u64, WyHash, 12, 6>),
    Coarse(CardinalityEstimator<u64, WyHash, 10, 6>),
}

/// A mergeable set-cardinality sketch of visitor keys.
///
/// All rows of one dimension share a precision, so merged sketches always
/// match; an empty sketch (the start of a merge) takes the precision of
/// the first sketch merged into it.
#[derive(Clone, Debug)]
pub struct VisitorSketch {
    estimator: Estimator,
}

impl Default for VisitorSketch {
    fn default() -> Self {
        Self::with_precision(Precision::Fine)
    }
}

const FINE_TAG: u8 = 12;
const COARSE_TAG: u8 = 10;

impl VisitorSketch {
    /// An empty sketch (fine precision).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty sketch of the given precision.
    pub fn with_precision(precision: Precision) -> Self {
        let estimator = match precision {
            Precision::Fine => Estimator::Fine(CardinalityEstimator::new()),
            Precision::Coarse => Estimator::Coarse(CardinalityEstimator::new()),
        };
        VisitorSketch { estimator }
    }

    /// The precision.
    pub fn precision(&self) -> Precision {
        match self.estimator {
            Estimator::Fine(_) => Precision::Fine,
            Estimator::Coarse(_) => Precision::Coarse,
        }
    }

    /// Adds one visitor key (a keyed hash: already uniformly distributed).
    pub fn insert(&mut self, visitor: i64) {
        // A bit-for-bit reinterpretation: the key is a hash, its sign means nothing.
        let hash = u64::from_ne_bytes(visitor.to_ne_bytes());
        match &mut self.estimator {
            Estimator::Fine(e) => e.insert_hash(hash),
            Estimator::Coarse(e) => e.insert_hash(hash),
        }
    }

    /// Adds every visitor of `other`. Sketches of different precision do
    /// not merge (rows of one dimension never differ); an empty sketch
    /// takes `other`'s precision.
    pub fn merge(&mut self, other: &VisitorSketch) {
        if self.precision() != other.precision() {
            if self.count() == 0 {
                *self = other.clone();
            }
            debug_assert!(
                other.count() == 0 || self.precision() == other.precision(),
                "merging sketches of different precision"
            );
            return;
        }
        match (&mut self.estimator, &other.estimator) {
            (Estimator::Fine(a), Estimator::Fine(b)) => a.merge(b),
            (Estimator::Coarse(a), Estimator::Coarse(b)) => a.merge(b),
            _ => {}
        }
    }

    /// The estimated number of distinct visitors.
    pub fn count(&self) -> u64 {
        let estimate = match &self.estimator {
            Estimator::Fine(e) => e.estimate(),
            Estimator::Coarse(e) => e.estimate(),
        };
        u64::try_from(estimate).unwrap_or(u64::MAX)
    }

    /// The sketch as bytes, for a rollup row: a precision tag, then the estimator.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising a `(usize, Option<Vec<u32>>)` tuple into a Vec cannot fail.
        let (tag, body) = match &self.estimator {
            Estimator::Fine(e) => (FINE_TAG, postcard::to_allocvec(e).unwrap_or_default()),
            Estimator::Coarse(e) => (COARSE_TAG, postcard::to_allocvec(e).unwrap_or_default()),
        };
        let mut bytes = Vec::with_capacity(body.len() + 1);
        bytes.push(tag);
        bytes.extend_from_slice(&body);
        bytes
    }

    /// A sketch read back from [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let corrupt = |e: postcard::Error| StoreError::Corrupt { detail: format!("visitor sketch: {e}") };
        let estimator = match bytes.split_first() {
            None => return Ok(Self::new()),
            Some((&FINE_TAG, body)) => Estimator::Fine(postcard::from_bytes(body).map_err(corrupt)?),
            Some((&COARSE_TAG, body)) => Estimator::Coarse(postcard::from_bytes(body).map_err(corrupt)?),
            Some((tag, _)) => {
                return Err(StoreError::Corrupt { detail: format!("visitor sketch: precision tag {tag}") })
            }
        };
        Ok(VisitorSketch { estimator })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> i64 {
        // splitmix64, so test keys look like keyed hashes
        let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        i64::from_ne_bytes((z ^ (z >> 31)).to_ne_bytes())
    }

    #[test]
    fn small_sets_are_exact_and_duplicates_count_once() {
        let mut sketch = VisitorSketch::new();
        for i in 0..40 {
            sketch.insert(key(i));
            sketch.insert(key(i));
        }
        assert_eq!(sketch.count(), 40);
    }

    #[test]
    fn merging_counts_the_union() {
        let (mut a, mut b) = (VisitorSketch::new(), VisitorSketch::new());
        (0..30).for_each(|i| a.insert(key(i)));
        (20..50).for_each(|i| b.insert(key(i)));
        a.merge(&b);
        assert_eq!(a.count(), 50);
    }

    #[test]
    fn round_trips_through_bytes_small_and_large() {
        for n in [0u64, 1, 2, 9, 300, 50_000] {
            let mut sketch = VisitorSketch::new();
            (0..n).for_each(|i| sketch.insert(key(i)));
            let back = VisitorSketch::from_bytes(&sketch.to_bytes()).unwrap();
            assert_eq!(back.count(), sketch.count(), "n = {n}");
        }
    }

    #[test]
    fn large_sets_are_within_five_percent() {
        let mut sketch = VisitorSketch::new();
        (0..100_000).for_each(|i| sketch.insert(key(i)));
        let count = sketch.count() as f64;
        assert!((count - 100_000.0).abs() / 100_000.0 < 0.05, "{count}");
    }

    #[test]
    fn garbage_bytes_are_an_error_not_a_panic() {
        assert!(VisitorSketch::from_bytes(&[0xff; 7]).is_err());
        assert!(VisitorSketch::from_bytes(&[12, 0xff, 0xff]).is_err());
    }

    #[test]
    fn coarse_sketches_round_trip_merge_and_stay_within_ten_percent() {
        let mut a = VisitorSketch::with_precision(Precision::Coarse);
        (0..60_000).for_each(|i| a.insert(key(i)));
        let back = VisitorSketch::from_bytes(&a.to_bytes()).unwrap();
        assert_eq!(back.precision(), Precision::Coarse);
        assert_eq!(back.count(), a.count());
        let mut b = VisitorSketch::with_precision(Precision::Coarse);
        (40_000..100_000).for_each(|i| b.insert(key(i)));
        let mut merged = VisitorSketch::new();
        merged.merge(&a);
        merged.merge(&b);
        assert_eq!(merged.precision(), Precision::Coarse, "an empty sketch takes the first one's precision");
        let count = merged.count() as f64;
        assert!((count - 100_000.0).abs() / 100_000.0 < 0.1, "{count}");
        let mut small = VisitorSketch::with_precision(Precision::Coarse);
        (0..30).for_each(|i| small.insert(key(i)));
        assert_eq!(small.count(), 30, "small sets stay exact");
    }
}
