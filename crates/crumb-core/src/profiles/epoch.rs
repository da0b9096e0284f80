//! Weekly epochs, each profile on its own schedule.
//!
//! As in the Topics API, interests are computed per epoch of one week. A
//! profile's epochs start at its own offset into the week (a keyed hash of
//! its key, uniform over the week's milliseconds), so profiles do not all
//! roll over at the same instant, and nobody without the site's key can
//! tell when a given profile's week turns. Epoch `n` of a profile with
//! offset `o` covers Unix milliseconds `[o + n·week, o + (n+1)·week)`.

use super::keys::{below, ProfileKey, ProfileKeys};

/// One epoch: a week, in milliseconds.
pub const EPOCH_MILLIS: i64 = 7 * 24 * 60 * 60 * 1000;

/// How long an epoch is kept after it began: four weeks (the Topics API's
/// retention). The current epoch and the three before it, which answers
/// read, always began less than four weeks ago.
pub const RETENTION_MILLIS: i64 = 4 * EPOCH_MILLIS;

/// One profile's epoch schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochClock {
    offset: i64,
}

impl EpochClock {
    /// The schedule of `profile`: its offset into the week comes from the
    /// keyed hash, so it is stable for the profile and uniform over profiles.
    pub fn for_profile(keys: &ProfileKeys, profile: ProfileKey) -> Self {
        // `below` returns less than the week's length, which fits an i64.
        let offset = i64::try_from(below(keys.schedule_word(profile), EPOCH_MILLIS as usize)).unwrap_or(0);
        EpochClock { offset }
    }

    /// A schedule with this offset into the week (reduced modulo a week).
    pub fn with_offset(offset: i64) -> Self {
        EpochClock { offset: offset.rem_euclid(EPOCH_MILLIS) }
    }

    /// Where the profile's weeks begin, in milliseconds after the Unix
    /// epoch's week boundary (0 ≤ offset < [`EPOCH_MILLIS`]).
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The epoch that contains the instant `at` (Unix milliseconds).
    pub fn epoch_at(&self, at: i64) -> i64 {
        (at - self.offset).div_euclid(EPOCH_MILLIS)
    }

    /// When `epoch` begins (Unix milliseconds).
    pub fn start_of(&self, epoch: i64) -> i64 {
        epoch.saturating_mul(EPOCH_MILLIS).saturating_add(self.offset)
    }

    /// When `epoch` ends: the next one's start (exclusive).
    pub fn end_of(&self, epoch: i64) -> i64 {
        self.start_of(epoch.saturating_add(1))
    }
}

/// The retention job's cut-off at `now`: epochs that began at or before it
/// are deleted.
pub fn retention_cutoff(now: i64) -> i64 {
    now - RETENTION_MILLIS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ProfileKeys {
        ProfileKeys::from_keyring(&crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[3; 32]).unwrap()))
    }

    #[test]
    fn boundaries_fall_at_the_offset() {
        let clock = EpochClock::with_offset(1000);
        assert_eq!(clock.offset(), 1000);
        assert_eq!(clock.epoch_at(999), -1, "before the first boundary");
        assert_eq!(clock.epoch_at(1000), 0, "a boundary belongs to the epoch it starts");
        assert_eq!(clock.epoch_at(1000 + EPOCH_MILLIS - 1), 0);
        assert_eq!(clock.epoch_at(1000 + EPOCH_MILLIS), 1);
        assert_eq!((clock.start_of(1), clock.end_of(1)), (1000 + EPOCH_MILLIS, 1000 + 2 * EPOCH_MILLIS));
        for at in [-5 * EPOCH_MILLIS - 7, 0, 1_765_000_000_000, 1_765_000_000_000 + 12_345] {
            let epoch = clock.epoch_at(at);
            assert!(clock.start_of(epoch) <= at && at < clock.end_of(epoch), "{at} in its epoch");
        }
        assert_eq!(EpochClock::with_offset(-1).offset(), EPOCH_MILLIS - 1, "reduced into the week");
    }

    #[test]
    fn offsets_are_stable_and_uniform_over_the_week() {
        let keys = keys();
        assert_eq!(
            EpochClock::for_profile(&keys, ProfileKey(9)),
            EpochClock::for_profile(&keys, ProfileKey(9)),
            "stable for a profile"
        );
        // 70,000 profiles over the week's 7 days: each day gets 10,000 ± 4σ (σ ≈ 92.6).
        let mut per_day = [0u32; 7];
        for profile in 0..70_000 {
            let offset = EpochClock::for_profile(&keys, ProfileKey(profile)).offset();
            assert!((0..EPOCH_MILLIS).contains(&offset));
            per_day[usize::try_from(offset / (EPOCH_MILLIS / 7)).unwrap()] += 1;
        }
        for count in per_day {
            assert!((9_630..=10_370).contains(&count), "{per_day:?}");
        }
    }

    #[test]
    fn retention_keeps_the_current_epoch_and_the_three_before() {
        for offset in [0, 1, EPOCH_MILLIS / 2, EPOCH_MILLIS - 1] {
            let clock = EpochClock::with_offset(offset);
            for now in [1_765_000_000_000, 1_765_000_000_000 + 86_400_000 * 3 + 17] {
                let current = clock.epoch_at(now);
                let cutoff = retention_cutoff(now);
                assert!(clock.start_of(current - 3) > cutoff, "the oldest epoch answered is kept");
                assert!(clock.start_of(current - 4) <= cutoff, "the one before goes");
            }
        }
    }
}
