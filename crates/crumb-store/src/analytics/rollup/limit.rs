//! The bound on distinct values: at most [`ValueLimit::per_day`] values of
//! each dimension are kept per UTC day; the rest are counted under
//! [`OTHER`].
//!
//! Values come from visitors (paths, referrers, UTM fields, event names and
//! properties), so without a bound one visitor sending events whose values
//! all differ makes a rollup row of each, for good. Which values are kept is
//! decided from the day's raw events by the rollup, whichever node runs it,
//! so the bound holds however many nodes share the store: the values with
//! the most traffic are kept (ties by value), the others fold. A raw tail
//! read after today's provisional rollup keeps the values that rollup
//! stored, and admits new ones only while the day has room.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::Dimension;
use crate::UnixMillis;

/// The value the values beyond the limit are counted under.
pub const OTHER: &str = "(other)";

/// The distinct values kept per dimension and day unless configured otherwise.
pub const DEFAULT_MAX_VALUES_PER_DAY: usize = 1000;

/// Whether a dimension's values are bounded: all but the site's total and
/// the funnel steps (whose values come from `crumb.toml`, not from visitors).
pub fn is_bounded(dimension: Dimension) -> bool {
    !matches!(dimension, Dimension::Total | Dimension::Funnel)
}

/// How many distinct values of each dimension a day keeps, and the values
/// a stored rollup of the day already keeps (for a raw tail after it).
#[derive(Clone, Debug)]
pub struct ValueLimit {
    per_day: usize,
    stored: HashMap<(UnixMillis, Dimension), HashSet<String>>,
}

impl ValueLimit {
    /// At most `per_day` values of each bounded dimension per UTC day
    /// (besides [`OTHER`]).
    pub fn new(per_day: usize) -> Self {
        ValueLimit { per_day, stored: HashMap::new() }
    }

    /// The distinct values kept per dimension and day.
    pub fn per_day(&self) -> usize {
        self.per_day
    }

    /// Records that a stored rollup of the UTC day starting at `day` has a
    /// row of `value`: a rollup of more events of that day keeps it first.
    pub fn keep_stored(&mut self, day: UnixMillis, dimension: Dimension, value: String) {
        if is_bounded(dimension) && value != OTHER {
            self.stored.entry((day, dimension)).or_default().insert(value);
        }
    }
}

/// How much traffic each value of each (day, dimension) had, for choosing
/// the values kept.
pub(super) type Tally<'a> = HashMap<(UnixMillis, Dimension), HashMap<Cow<'a, str>, u64>>;

/// The values kept, for the (day, dimension) pairs that have more than the
/// limit; every value of any other pair is kept.
#[derive(Debug, Default)]
pub(super) struct Kept {
    kept: HashMap<(UnixMillis, Dimension), HashSet<String>>,
}

impl Kept {
    /// Chooses, for each (day, dimension) of `tally` with more distinct
    /// values than the limit (counting those a stored rollup keeps), the
    /// values kept: the stored ones, then the most counted (ties by value)
    /// up to the limit.
    pub(super) fn choose(limit: &ValueLimit, tally: Tally<'_>) -> Kept {
        let mut kept = HashMap::new();
        for (key, counts) in tally {
            if !is_bounded(key.1) {
                continue;
            }
            let stored = limit.stored.get(&key);
            let is_stored = |value: &str| stored.is_some_and(|s| s.contains(value));
            let mut new: Vec<(Cow<'_, str>, u64)> =
                counts.into_iter().filter(|(value, _)| value != OTHER && !is_stored(value)).collect();
            let already = stored.map_or(0, HashSet::len);
            if already + new.len() <= limit.per_day {
                continue;
            }
            new.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let room = limit.per_day.saturating_sub(already);
            let mut values: HashSet<String> = stored.cloned().unwrap_or_default();
            values.extend(new.into_iter().take(room).map(|(value, _)| value.into_owned()));
            kept.insert(key, values);
        }
        Kept { kept }
    }

    /// Whether no value folds.
    pub(super) fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Whether `value` of `dimension` is kept on the day starting at `day`
    /// (else it counts as [`OTHER`]).
    pub(super) fn keeps(&self, day: UnixMillis, dimension: Dimension, value: &str) -> bool {
        match self.kept.get(&(day, dimension)) {
            Some(values) => value == OTHER || values.contains(value),
            None => true,
        }
    }

    /// `value`, or [`OTHER`] when it is not kept.
    pub(super) fn fold<'a>(&self, day: UnixMillis, dimension: Dimension, value: Cow<'a, str>) -> Cow<'a, str> {
        if self.keeps(day, dimension, &value) {
            value
        } else {
            Cow::Borrowed(OTHER)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(values: &[(&'static str, u64)]) -> Tally<'static> {
        let counts = values.iter().map(|(v, n)| (Cow::Borrowed(*v), *n)).collect();
        HashMap::from([((0, Dimension::Page), counts)])
    }

    #[test]
    fn the_most_counted_values_are_kept_and_ties_go_by_value() {
        let kept = Kept::choose(&ValueLimit::new(2), tally(&[("/a", 1), ("/b", 5), ("/c", 1), ("/d", 3)]));
        let kept_values: Vec<&str> =
            ["/a", "/b", "/c", "/d"].into_iter().filter(|v| kept.keeps(0, Dimension::Page, v)).collect();
        assert_eq!(kept_values, ["/b", "/d"]);
        assert!(kept.keeps(0, Dimension::Page, OTHER), "(other) is never folded");
        assert!(kept.keeps(1, Dimension::Page, "/a"), "another day is not bounded by this one");
        assert!(kept.keeps(0, Dimension::Source, "/a"), "nor another dimension");
        assert_eq!(kept.fold(0, Dimension::Page, Cow::Borrowed("/c")), OTHER);
    }

    #[test]
    fn up_to_the_limit_nothing_folds_and_other_does_not_count() {
        let kept = Kept::choose(&ValueLimit::new(2), tally(&[("/a", 1), ("/b", 1), (OTHER, 9)]));
        assert!(kept.is_empty());
    }

    #[test]
    fn values_a_stored_rollup_keeps_stay_and_new_ones_fill_the_room_left() {
        let mut limit = ValueLimit::new(3);
        limit.keep_stored(0, Dimension::Page, "/old".into());
        limit.keep_stored(0, Dimension::Page, OTHER.into());
        let kept = Kept::choose(&limit, tally(&[("/old", 1), ("/x", 9), ("/y", 8), ("/z", 7)]));
        let kept_values: Vec<&str> =
            ["/old", "/x", "/y", "/z"].into_iter().filter(|v| kept.keeps(0, Dimension::Page, v)).collect();
        assert_eq!(kept_values, ["/old", "/x", "/y"]);
    }

    #[test]
    fn the_total_and_funnels_are_not_bounded() {
        let counts: HashMap<Cow<'static, str>, u64> = (0..5).map(|i| (Cow::Owned(format!("f{i}")), 1)).collect();
        let kept = Kept::choose(&ValueLimit::new(1), HashMap::from([((0, Dimension::Funnel), counts)]));
        assert!(kept.is_empty());
        assert!(!is_bounded(Dimension::Total));
        assert!(is_bounded(Dimension::Property));
    }
}
