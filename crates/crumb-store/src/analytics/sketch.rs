//! Distinct-visitor counts that can be merged across hours, days and rows.
//!
//! A rollup row cannot hold the visitors it counted (that would keep
//! per-visitor data for good), and daily unique counts cannot be added up
//! over a range (a visitor seen on two days would count twice). A
//! [`VisitorSketch`] is exact up to [`EXACT_LIMIT`] visitors: it holds their
//! 64-bit keys (already keyed hashes, never ids) as a sorted vector, so
//! counts are exact and unions are a linear merge; one key more and it
//! becomes Cloudflare's `cardinality-estimator`, a HyperLogLog of 4,096
//! registers for the site's totals ([`Precision::Fine`], ≈1.6 % standard
//! error) or 1,024 for a row of pages, sources and the other dimensions
//! ([`Precision::Coarse`], ≈3.3 %), which a report merges by the thousand.
//!
//! # Stored form
//!
//! Rollup rows are kept for good, so the bytes are versioned:
//!
//! - version 2 ([`EXACT_VERSION`], an exact set): [`FORMAT_MAGIC`], 2, a
//!   precision tag, then the keys in strictly ascending order, 8 bytes each,
//!   little-endian (random 64-bit keys would take 10 bytes as varints, and
//!   the gaps between a few thousand sorted ones still about 8).
//! - version 1 ([`ESTIMATE_VERSION`], an estimate): [`FORMAT_MAGIC`], 1,
//!   a precision tag (12: fine, 10: coarse), then the estimator as
//!   `postcard` encodes `cardinality-estimator` 1.x's serde form, a
//!   `(usize, Option<Vec<u32>>)` tuple. When a vector follows, the `usize`
//!   is reduced to its two representation bits: the estimator serialises a
//!   heap address there, which no reader uses and the database need not keep.
//!   Rows of a dimension rolled up before they were exact sets are in this
//!   form even when small (the estimator's list of 25-bit hash slots, exact
//!   in practice up to 128 visitors).
//! - unversioned (written before version 1): the precision tag and the
//!   same tuple, address included. Its first byte is a precision tag, never
//!   [`FORMAT_MAGIC`], so [`VisitorSketch::from_bytes`] reads both.
//!
//! A change of estimator crate, or of its serde layout, needs a new version
//! (and a reader of the old ones).

use cardinality_estimator::CardinalityEstimator;

use crate::StoreError;

/// The estimator's hasher, which never runs: visitor keys are already keyed
/// hashes and go in with `insert_hash`. (Its type is part of the estimator's
/// type only; the stored form does not depend on it.)
type Unused = std::hash::DefaultHasher;

/// The first byte of a versioned sketch (no precision tag has this value).
pub const FORMAT_MAGIC: u8 = 0xC5;

/// The version [`VisitorSketch::to_bytes`] writes for an estimate (and
/// the only one before exact sets: such sketches may hold small sets as the
/// estimator's own exact-in-practice list of 25-bit slots).
pub const ESTIMATE_VERSION: u8 = 1;

/// The version [`VisitorSketch::to_bytes`] writes for an exact set.
pub const EXACT_VERSION: u8 = 2;

/// The most visitors a sketch counts exactly, by their keys; one more and it
/// becomes a HyperLogLog estimate with a margin. At 8 bytes a key, an exact
/// sketch is at most 32 KiB.
pub const EXACT_LIMIT: usize = 4096;

/// The two low bits of the estimator's `usize`: which representation it is.
const REPRESENTATION_BITS: usize = 0b11;

/// The representation bits of a HyperLogLog estimator.
const HYPERLOGLOG: usize = 0b11;

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
    Fine(CardinalityEstimator<u64, Unused, 12, 6>),
    Coarse(CardinalityEstimator<u64, Unused, 10, 6>),
}

/// What a sketch holds: the keys themselves while they are few, else an
/// estimator.
#[derive(Clone, Debug)]
enum Tier {
    /// At most [`EXACT_LIMIT`] keys, strictly ascending; the precision is
    /// the estimator's to be.
    Exact(Precision, Vec<u64>),
    /// A HyperLogLog (or, read from version 1, the estimator's small list).
    Estimated(Estimator),
}

/// A mergeable set-cardinality sketch of visitor keys.
///
/// All rows of one dimension share a precision, so merged sketches always
/// match; an empty sketch (the start of a merge) takes the precision of
/// the first sketch merged into it.
#[derive(Clone, Debug)]
pub struct VisitorSketch {
    tier: Tier,
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

    /// An empty sketch of the given precision: an exact set of keys until
    /// it holds more than [`EXACT_LIMIT`], then an estimator of that
    /// precision.
    pub fn with_precision(precision: Precision) -> Self {
        VisitorSketch { tier: Tier::Exact(precision, Vec::new()) }
    }

    /// The precision.
    pub fn precision(&self) -> Precision {
        match &self.tier {
            Tier::Exact(precision, _) => *precision,
            Tier::Estimated(Estimator::Fine(_)) => Precision::Fine,
            Tier::Estimated(Estimator::Coarse(_)) => Precision::Coarse,
        }
    }

    /// Adds one visitor key (a keyed hash: already uniformly distributed).
    pub fn insert(&mut self, visitor: i64) {
        // A bit-for-bit reinterpretation: the key is a hash, its sign means nothing.
        let hash = u64::from_ne_bytes(visitor.to_ne_bytes());
        match &mut self.tier {
            Tier::Exact(_, keys) => {
                // Keys often come in ascending order (events are read by
                // visitor): then this is a push.
                if keys.last().is_none_or(|last| *last < hash) {
                    keys.push(hash);
                } else if let Err(at) = keys.binary_search(&hash) {
                    keys.insert(at, hash);
                }
                self.estimate_if_too_many();
            }
            Tier::Estimated(estimator) => estimator.insert(hash),
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
        match (&mut self.tier, &other.tier) {
            (Tier::Exact(_, keys), Tier::Exact(_, more)) => {
                union_in_place(keys, more);
                self.estimate_if_too_many();
            }
            (Tier::Estimated(estimator), Tier::Exact(_, more)) => more.iter().for_each(|&k| estimator.insert(k)),
            (Tier::Exact(precision, keys), Tier::Estimated(theirs)) => {
                let mut estimator = theirs.clone();
                keys.iter().for_each(|&k| estimator.insert(k));
                debug_assert_eq!(*precision, other.precision());
                self.tier = Tier::Estimated(estimator);
            }
            (Tier::Estimated(mine), Tier::Estimated(theirs)) => mine.merge(theirs),
        }
    }

    /// One key over [`EXACT_LIMIT`]: the keys go into an estimator.
    fn estimate_if_too_many(&mut self) {
        if let Tier::Exact(precision, keys) = &self.tier {
            if keys.len() > EXACT_LIMIT {
                let mut estimator = Estimator::empty(*precision);
                keys.iter().for_each(|&k| estimator.insert(k));
                self.tier = Tier::Estimated(estimator);
            }
        }
    }

    /// The number of distinct visitors: exact up to [`EXACT_LIMIT`], an estimate above.
    pub fn count(&self) -> u64 {
        match &self.tier {
            // At most EXACT_LIMIT + 1 keys: far below u64::MAX.
            Tier::Exact(_, keys) => keys.len() as u64,
            Tier::Estimated(estimator) => u64::try_from(estimator.estimate()).unwrap_or(u64::MAX),
        }
    }

    /// Whether [`count`](Self::count) is exact: the sketch holds the keys
    /// (at most [`EXACT_LIMIT`]), or — read from version 1 — the
    /// estimator still holds a list of hash slots (at most 128 visitors)
    /// rather than HyperLogLog registers.
    pub fn is_exact(&self) -> bool {
        let estimator = match &self.tier {
            Tier::Exact(..) => return true,
            Tier::Estimated(estimator) => estimator,
        };
        // The estimator's serde form starts with its `usize`, whose two low
        // bits are the representation (0: small, 1: array, 3: HyperLogLog);
        // a form that does not decode is taken for an estimate.
        match estimator
            .serde_form()
            .ok()
            .and_then(|bytes| postcard::from_bytes::<(usize, Option<Vec<u32>>)>(&bytes).ok())
        {
            Some((data, _)) => data & REPRESENTATION_BITS != HYPERLOGLOG,
            None => false,
        }
    }

    /// For an estimate, the margin of `count`: about twice the
    /// HyperLogLog's standard error (1.04 / √registers: ±3.3 % fine, ±6.5 %
    /// coarse), so the true count is within `count ± margin` 19 times in 20;
    /// `None` when the count is exact.
    pub fn margin(&self) -> Option<u64> {
        if self.is_exact() {
            return None;
        }
        let registers: f64 = match self.precision() {
            Precision::Fine => 4096.0,
            Precision::Coarse => 1024.0,
        };
        let margin = (self.count() as f64 * 2.0 * 1.04 / registers.sqrt()).ceil();
        // A count is far below 2^53: the float holds it exactly.
        Some(margin as u64)
    }

    /// The sketch as bytes, for a rollup row: version 2 for an exact set,
    /// version 1 for an estimate (see the [module docs](self)).
    pub fn to_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let encoding = |e: postcard::Error| StoreError::Corrupt { detail: format!("encoding a visitor sketch: {e}") };
        let tag = match self.precision() {
            Precision::Fine => FINE_TAG,
            Precision::Coarse => COARSE_TAG,
        };
        let estimator = match &self.tier {
            Tier::Exact(_, keys) => {
                // The keys are kept sorted: equal sets store equal bytes.
                let mut bytes = Vec::with_capacity(3 + 8 * keys.len());
                bytes.extend_from_slice(&[FORMAT_MAGIC, EXACT_VERSION, tag]);
                keys.iter().for_each(|key| bytes.extend_from_slice(&key.to_le_bytes()));
                return Ok(bytes);
            }
            Tier::Estimated(estimator) => estimator.serde_form(),
        };
        let (data, vector): (usize, Option<Vec<u32>>) =
            postcard::from_bytes(&estimator.map_err(encoding)?).map_err(encoding)?;
        let data = if vector.is_some() { data & REPRESENTATION_BITS } else { data };
        postcard::to_extend(&(data, vector), vec![FORMAT_MAGIC, ESTIMATE_VERSION, tag]).map_err(encoding)
    }

    /// A sketch read back from [`to_bytes`](Self::to_bytes), or from the
    /// unversioned form written before it. Empty bytes are an empty sketch.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        match bytes {
            [] => Ok(Self::new()),
            [FORMAT_MAGIC, EXACT_VERSION, tagged @ ..] => Self::exact_from_tagged(tagged),
            [FORMAT_MAGIC, ESTIMATE_VERSION, tagged @ ..] => Self::from_tagged(tagged),
            [FORMAT_MAGIC, version, ..] => Err(StoreError::Corrupt {
                detail: format!("visitor sketch: format version {version} is not known to this build"),
            }),
            [FORMAT_MAGIC] => Err(StoreError::Corrupt { detail: "visitor sketch: no format version".into() }),
            unversioned => Self::from_tagged(unversioned),
        }
    }

    /// A precision tag and the sorted keys (version 2).
    fn exact_from_tagged(bytes: &[u8]) -> Result<Self, StoreError> {
        let (precision, body) = match bytes.split_first() {
            None => return Err(StoreError::Corrupt { detail: "visitor sketch: no precision tag".into() }),
            Some((&FINE_TAG, body)) => (Precision::Fine, body),
            Some((&COARSE_TAG, body)) => (Precision::Coarse, body),
            Some((tag, _)) => {
                return Err(StoreError::Corrupt { detail: format!("visitor sketch: precision tag {tag}") })
            }
        };
        let keys = body.chunks_exact(8);
        if !keys.remainder().is_empty() {
            return Err(StoreError::Corrupt { detail: format!("visitor sketch: {} bytes of keys", body.len()) });
        }
        if keys.len() > EXACT_LIMIT {
            return Err(StoreError::Corrupt {
                detail: format!("visitor sketch: {} keys in an exact set of at most {EXACT_LIMIT}", keys.len()),
            });
        }
        let keys: Vec<u64> = keys
            .map(|key| {
                let mut bytes = [0; 8];
                bytes.copy_from_slice(key);
                u64::from_le_bytes(bytes)
            })
            .collect();
        // Written sorted and without duplicates: anything else was not written by `to_bytes`.
        if let Some(at) = keys.windows(2).position(|pair| pair[0] >= pair[1]) {
            return Err(StoreError::Corrupt {
                detail: format!("visitor sketch: key {} is not above the one before it", at + 1),
            });
        }
        Ok(VisitorSketch { tier: Tier::Exact(precision, keys) })
    }

    /// A precision tag and the estimator (version 1 and the unversioned form).
    fn from_tagged(bytes: &[u8]) -> Result<Self, StoreError> {
        let corrupt = |e: postcard::Error| StoreError::Corrupt { detail: format!("visitor sketch: {e}") };
        let estimator = match bytes.split_first() {
            None => return Err(StoreError::Corrupt { detail: "visitor sketch: no precision tag".into() }),
            Some((&FINE_TAG, body)) => Estimator::Fine(postcard::from_bytes(body).map_err(corrupt)?),
            Some((&COARSE_TAG, body)) => Estimator::Coarse(postcard::from_bytes(body).map_err(corrupt)?),
            Some((tag, _)) => {
                return Err(StoreError::Corrupt { detail: format!("visitor sketch: precision tag {tag}") })
            }
        };
        Ok(VisitorSketch { tier: Tier::Estimated(estimator) })
    }
}

/// Adds the keys of `more` to `keys`, both strictly ascending, keeping them
/// so: a merge from the back into the grown vector (no second buffer), then
/// the keys both held are dropped once.
fn union_in_place(keys: &mut Vec<u64>, more: &[u64]) {
    if more.is_empty() {
        return;
    }
    if keys.last().is_none_or(|last| *last < more[0]) {
        keys.extend_from_slice(more);
        return;
    }
    let (mut mine, mut theirs) = (keys.len(), more.len());
    keys.resize(mine + theirs, 0);
    let mut at = keys.len();
    while theirs > 0 {
        at -= 1;
        if mine > 0 && keys[mine - 1] > more[theirs - 1] {
            keys[at] = keys[mine - 1];
            mine -= 1;
        } else {
            keys[at] = more[theirs - 1];
            theirs -= 1;
        }
    }
    // `keys[..mine]` was already in place; equal keys are now neighbours.
    keys.dedup();
}

impl Estimator {
    fn empty(precision: Precision) -> Estimator {
        match precision {
            Precision::Fine => Estimator::Fine(CardinalityEstimator::new()),
            Precision::Coarse => Estimator::Coarse(CardinalityEstimator::new()),
        }
    }

    fn insert(&mut self, hash: u64) {
        match self {
            Estimator::Fine(e) => e.insert_hash(hash),
            Estimator::Coarse(e) => e.insert_hash(hash),
        }
    }

    fn merge(&mut self, other: &Estimator) {
        match (self, other) {
            (Estimator::Fine(a), Estimator::Fine(b)) => a.merge(b),
            (Estimator::Coarse(a), Estimator::Coarse(b)) => a.merge(b),
            _ => {}
        }
    }

    fn estimate(&self) -> usize {
        match self {
            Estimator::Fine(e) => e.estimate(),
            Estimator::Coarse(e) => e.estimate(),
        }
    }

    /// The estimator as `postcard` encodes its serde form.
    fn serde_form(&self) -> Result<Vec<u8>, postcard::Error> {
        match self {
            Estimator::Fine(e) => postcard::to_allocvec(e),
            Estimator::Coarse(e) => postcard::to_allocvec(e),
        }
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
    fn small_sets_are_exact_and_large_ones_have_a_margin() {
        let mut s = VisitorSketch::new();
        (0..100).for_each(|i| s.insert(key(i)));
        assert!(s.is_exact() && s.margin().is_none(), "100 visitors are counted exactly");
        (100..10_000).for_each(|i| s.insert(key(i)));
        assert!(!s.is_exact());
        let margin = s.margin().unwrap();
        assert!((300..=400).contains(&margin), "±3.3 % of about 10,000: {margin}");
        assert!(s.count().abs_diff(10_000) <= margin, "{} ± {margin}", s.count());
        let mut coarse = VisitorSketch::with_precision(Precision::Coarse);
        (0..10_000).for_each(|i| coarse.insert(key(i)));
        assert!(coarse.margin().unwrap() > margin, "fewer registers, a wider margin");
    }

    #[test]
    fn sets_up_to_the_limit_are_exact_and_one_more_is_an_estimate() {
        // The site's totals and a row of a dimension alike.
        for precision in [Precision::Fine, Precision::Coarse] {
            let mut sketch = VisitorSketch::with_precision(precision);
            (0..EXACT_LIMIT as u64).for_each(|i| sketch.insert(key(i)));
            (0..EXACT_LIMIT as u64).for_each(|i| sketch.insert(key(i)));
            assert_eq!((sketch.count(), sketch.is_exact()), (EXACT_LIMIT as u64, true), "{precision:?}");
            assert_eq!(sketch.margin(), None, "{precision:?}");
            let back = VisitorSketch::from_bytes(&sketch.to_bytes().unwrap()).unwrap();
            assert_eq!((back.count(), back.is_exact(), back.precision()), (EXACT_LIMIT as u64, true, precision));
            sketch.insert(key(EXACT_LIMIT as u64));
            assert!(!sketch.is_exact() && sketch.margin().is_some(), "{precision:?}");
            assert_eq!(sketch.precision(), precision);
            let margin = sketch.margin().unwrap();
            assert!(sketch.count().abs_diff(EXACT_LIMIT as u64 + 1) <= margin, "{} ± {margin}", sketch.count());
        }
    }

    #[test]
    fn rows_merged_over_days_stay_exact_until_the_limit() {
        // 30 daily rows of 300 visitors each, overlapping by 200 with the
        // next day's: 6,100 in all, exact until the union passes 4,096.
        let day = |d: u64| {
            let mut row = VisitorSketch::with_precision(Precision::Coarse);
            (d * 200..d * 200 + 300).for_each(|i| row.insert(key(i)));
            VisitorSketch::from_bytes(&row.to_bytes().unwrap()).unwrap()
        };
        let mut merged = VisitorSketch::new();
        for d in 0..30 {
            merged.merge(&day(d));
            let expected = d * 200 + 300;
            if expected <= EXACT_LIMIT as u64 {
                assert_eq!((merged.count(), merged.margin()), (expected, None), "day {d}");
            } else {
                let margin = merged.margin().unwrap();
                assert!(merged.count().abs_diff(expected) <= margin, "day {d}: {} ± {margin}", merged.count());
            }
        }
        assert_eq!(merged.precision(), Precision::Coarse);
    }

    #[test]
    fn unions_in_place_equal_set_unions() {
        use std::collections::BTreeSet;
        // Interleaved, disjoint, nested, equal, empty and one-sided inputs.
        let ranges: [(std::ops::Range<u64>, u64); 7] =
            [(0..50, 1), (25..75, 2), (100..110, 1), (0..0, 1), (0..200, 3), (40..45, 1), (300..301, 1)];
        for (a, step_a) in ranges.clone() {
            for (b, step_b) in ranges.clone() {
                let left: BTreeSet<u64> = a.clone().step_by(step_a as usize).map(|i| i * 7).collect();
                let right: BTreeSet<u64> = b.clone().step_by(step_b as usize).map(|i| i * 7).collect();
                let mut keys: Vec<u64> = left.iter().copied().collect();
                union_in_place(&mut keys, &right.iter().copied().collect::<Vec<_>>());
                let expected: Vec<u64> = left.union(&right).copied().collect();
                assert_eq!(keys, expected, "{a:?}/{step_a} ∪ {b:?}/{step_b}");
            }
        }
    }

    #[test]
    fn insertion_in_any_order_keeps_the_keys_sorted() {
        let mut sketch = VisitorSketch::with_precision(Precision::Coarse);
        // 500 down, 500 again, then 250..750 by threes: 83 of them are new.
        for i in (0..500u64).rev().chain(0..500).chain((250..750).step_by(3)) {
            sketch.insert(key(i));
        }
        assert_eq!(sketch.count(), 583);
        let bytes = sketch.to_bytes().unwrap();
        assert_eq!(bytes[..3], [FORMAT_MAGIC, EXACT_VERSION, COARSE_TAG]);
        assert_eq!(VisitorSketch::from_bytes(&bytes).unwrap().count(), 583, "stored in ascending order");
    }

    #[test]
    fn exact_unions_stay_exact_until_the_limit() {
        let (mut a, mut b) = (VisitorSketch::new(), VisitorSketch::new());
        (0..3_000).for_each(|i| a.insert(key(i)));
        (2_000..4_000).for_each(|i| b.insert(key(i)));
        let mut union = a.clone();
        union.merge(&b);
        assert_eq!((union.count(), union.is_exact()), (4_000, true), "1,000 in both count once");
        let mut c = VisitorSketch::new();
        (3_500..5_000).for_each(|i| c.insert(key(i)));
        union.merge(&c);
        assert!(!union.is_exact(), "5,000 visitors are over the limit");
        let margin = union.margin().unwrap();
        assert!(union.count().abs_diff(5_000) <= margin, "{} ± {margin}", union.count());
        // An estimate merged with an exact set, either way round, counts the union.
        let mut big = VisitorSketch::new();
        (0..20_000).for_each(|i| big.insert(key(i)));
        let mut small = VisitorSketch::new();
        (19_000..21_000).for_each(|i| small.insert(key(i)));
        let (mut one, mut other) = (big.clone(), small.clone());
        one.merge(&small);
        other.merge(&big);
        assert_eq!(one.count(), other.count());
        assert!(one.count().abs_diff(21_000) <= one.margin().unwrap(), "{}", one.count());
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
            let back = VisitorSketch::from_bytes(&sketch.to_bytes().unwrap()).unwrap();
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
        assert!(VisitorSketch::from_bytes(&[FORMAT_MAGIC, ESTIMATE_VERSION, 12, 0xff, 0xff]).is_err());
        assert!(VisitorSketch::from_bytes(&[FORMAT_MAGIC, ESTIMATE_VERSION]).is_err(), "no precision tag");
        assert!(VisitorSketch::from_bytes(&[FORMAT_MAGIC, EXACT_VERSION]).is_err(), "no precision tag");
        assert!(VisitorSketch::from_bytes(&[FORMAT_MAGIC, EXACT_VERSION, 12, 0xff]).is_err(), "a cut-off length");
        let keys_of = |keys: &[u64]| {
            let mut bytes = vec![FORMAT_MAGIC, EXACT_VERSION, COARSE_TAG];
            keys.iter().for_each(|key| bytes.extend_from_slice(&key.to_le_bytes()));
            bytes
        };
        assert_eq!(VisitorSketch::from_bytes(&keys_of(&[1, 5, 9])).unwrap().count(), 3);
        assert!(VisitorSketch::from_bytes(&keys_of(&[1, 9, 5])).is_err(), "keys out of order");
        assert!(VisitorSketch::from_bytes(&keys_of(&[1, 5, 5])).is_err(), "a key twice");
        let mut too_many = vec![FORMAT_MAGIC, EXACT_VERSION, 12];
        (0..=EXACT_LIMIT as u64).for_each(|key| too_many.extend_from_slice(&key.to_le_bytes()));
        assert!(VisitorSketch::from_bytes(&too_many).is_err(), "more keys than an exact set holds");
        assert!(VisitorSketch::from_bytes(&[FORMAT_MAGIC]).is_err(), "no version");
    }

    #[test]
    fn the_stored_form_is_versioned_and_an_unknown_version_is_refused() {
        let mut sketch = VisitorSketch::with_precision(Precision::Fine);
        (0..5).for_each(|i| sketch.insert(key(i)));
        let bytes = sketch.to_bytes().unwrap();
        assert_eq!(bytes[..3], [FORMAT_MAGIC, EXACT_VERSION, FINE_TAG]);
        (5..10_000).for_each(|i| sketch.insert(key(i)));
        assert_eq!(sketch.to_bytes().unwrap()[..3], [FORMAT_MAGIC, ESTIMATE_VERSION, FINE_TAG]);
        let mut row = VisitorSketch::with_precision(Precision::Coarse);
        (0..5).for_each(|i| row.insert(key(i)));
        assert_eq!(row.to_bytes().unwrap()[..3], [FORMAT_MAGIC, EXACT_VERSION, COARSE_TAG], "rows: exact sets too");
        (5..10_000).for_each(|i| row.insert(key(i)));
        assert_eq!(row.to_bytes().unwrap()[..3], [FORMAT_MAGIC, ESTIMATE_VERSION, COARSE_TAG]);
        let mut newer = bytes.clone();
        newer[1] = EXACT_VERSION + 1;
        match VisitorSketch::from_bytes(&newer) {
            Err(StoreError::Corrupt { detail }) => assert!(detail.contains("version 3"), "{detail}"),
            other => panic!("a newer version must be refused, got {other:?}"),
        }
        assert!(![FINE_TAG, COARSE_TAG].contains(&FORMAT_MAGIC), "the magic byte is never a precision tag");
    }

    #[test]
    fn equal_sketches_store_equal_bytes() {
        // The estimator serialises a heap address, different for each sketch;
        // version 1 keeps only its representation bits.
        for n in [0u64, 1, 3, 40, 5_000, 50_000] {
            for precision in [Precision::Fine, Precision::Coarse] {
                let build = || {
                    let mut sketch = VisitorSketch::with_precision(precision);
                    (0..n).for_each(|i| sketch.insert(key(i)));
                    sketch
                };
                let (a, b) = (build(), build());
                assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap(), "n = {n}, {precision:?}");
            }
        }
    }

    /// Sketches as the unversioned encoder (before version 1) stored them:
    /// precision, distinct keys inserted (`key(0..n)`), estimate, bytes.
    /// Produced by that encoder on x86-64, its heap addresses included.
    const UNVERSIONED: [(Precision, u64, u64, &str); 6] = [
        (Precision::Fine, 0, 0, "0c0000"),
        (Precision::Fine, 1, 1, "0c84deb6ee1100"),
        (Precision::Fine, 3, 3, "0c818cf1b7edae9580030103c1d7cdbb04c2e0dc840482e7d6ae02"),
        (Precision::Coarse, 5, 5, "0ae19b80c0d2e19f80050105c3d7cdbb04c4e0dc840482e7d6ae02c3f68f830481e58a67"),
        (Precision::Fine, 40, 40, LEGACY_FINE_40),
        (Precision::Coarse, 5_000, 4_897, LEGACY_COARSE_5000),
    ];

    const LEGACY_FINE_40: &str = concat!(
        "0ca19e8080fefc9f80280128c1d7cdbb04c2e0dc840482e7d6ae02c1f68f830481e58a6781adc393068180e0df07c1eb",
        "8de404839bb6aa0681b2e0e00181e5afb001c3ceb08006c1818fbd07c1ff8adb02819fe6b707c282d0ea07c28392ef01",
        "c4b1f3c6038699f0ab0582a29a860581c6812dc1e3a5d00781858eac0381eb81830482a29ed002c384b78f0381edcdaa",
        "0581c586820682b694be0281b8cf0381e78de40181f5eabf06c180a49c0582d49844c186a4a907c3adb0d506c38dbac9",
        "04c183a99b0284d8fee80282f6de9907",
    );

    const LEGACY_COARSE_5000: &str = concat!(
        "0a83b18080fefc1f01c30108f0abe998048482c1b00c80918c86038c8882a101c88191880cb0e08486039884844382c2",
        "d010a0988c84028c86c5a201c2c0a0b80890a984840190848162c583a118b19888860184868364c6e2e0a808d0988c88",
        "08988cc4a101c2e1c0b004b1989088049488c5c101c3c3a0b00cc0909886018882c362c381e19008b0a88886058c8684",
        "63c2e2a02081999086038886848301c9a0c09004b290888c02b08884810186e191900cd0a8908c04908ec1820181a2b0",
        "9808c0a0848601948ec461c4c1b0880cf09888840390888202c5e2b018c1988488068c8285810186e1a09808c190848a",
        "028c92c462c681b19808d098908806888a8202c2a1b1a008f1989084049886c38201c581c19804b1888c8605888c8581",
        "01c182d1880cb0b0888603a48683c101c3c4c0a004a0908888029082c76182c2a1a008d0988c86048086c342c1c1c0a8",
        "04b1a0848a04a884c18102c4c3d1a00cc0988c86038886c4e2018382d120d1a09884049086c362c2e0c020b188988205",
        "8086c242c4c0d1a00c90908c86038c88c6e00184e2e0980ca0a0848404848883c20189e0c0b80ca0b08884038882c2a3",
        "01c3a1d0b00cb0a08c88038c8881a2018381e1b004a0a0888208908883a20186c3b020b1988c8601888ec3820183c190",
        "9808e0888c84039086c86184e1d020a188908a029c88c6810181c2c09804a1a09486028c84c34184a1b1a008a1908c86",
        "0390868524c6c3c0a00490a0888802849883228282a1900ca188848403948487810184e1c0900cc09890880588848461",
        "868391a90cc0a09086059490c28001c5e080a108d0908c92049882c4e201c3e2c018b1a09486018c88866383e2a09004",
        "c1988886058884c22186c4c0880cb0988888038886c522c4a3c0900cb0d098840298868421c484a1980cb090a0820184",
        "86c58201c6e190980ce0988c84038c8884418181f19804a0989084028884c2408a81b0980cb0a0848806888ac343c1c0",
        "b1a004b1989486068c88c64285c2a0199198988605848a84a101c8c1e018e190908202a884c46180a1e13891988c8605",
        "8c848381018481c110c190988403908683c10182e2d020b2b0988807888c8562c384e118c1b0888603888684418182d1",
        "880881998c88019c8a81a201c480d1a004a090908402a082c161c28091a804a1a09c86028c84838201c2a1c0b80ca0a0",
        "888404948a814284e2e0a00cc090988806a086c4428483a1a00c80918888049086c381018582b19808c0a09082038488",
        "c361c4e2d0900cc0b09084069486c24000",
    );

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn sketches_stored_before_versioning_still_decode_to_the_same_estimate() {
        for (precision, n, estimate, stored) in UNVERSIONED {
            let old = VisitorSketch::from_bytes(&hex(stored)).unwrap();
            assert_eq!((old.precision(), old.count()), (precision, estimate), "n = {n}");
            // Today's sketch of the same keys has the same estimate, and merges with the old one.
            let mut today = VisitorSketch::with_precision(precision);
            (0..n).for_each(|i| today.insert(key(i)));
            assert_eq!(today.count(), estimate, "n = {n}");
            let mut merged = old.clone();
            merged.merge(&today);
            assert_eq!(merged.count(), estimate, "the same keys: n = {n}");
            // Rewritten in version 1, it reads back the same.
            let again = VisitorSketch::from_bytes(&old.to_bytes().unwrap()).unwrap();
            assert_eq!(again.count(), estimate, "n = {n}");
        }
    }

    #[test]
    fn coarse_sketches_round_trip_merge_and_stay_within_ten_percent() {
        let mut a = VisitorSketch::with_precision(Precision::Coarse);
        (0..60_000).for_each(|i| a.insert(key(i)));
        let back = VisitorSketch::from_bytes(&a.to_bytes().unwrap()).unwrap();
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
