//! What answering reads of a profile ([`AnswerInputs`]: paused, topics
//! removed, the pages of its complete epochs), kept by this node for the
//! profile's current epoch, so that a consenting visitor's `GET /api/ad`
//! reads nothing from the store once it has been read in the epoch.
//!
//! None of it changes during an epoch, except:
//! - **The visitor changes their choices** (removes a topic, pauses or
//!   resumes, erases). On this node the handler forgets the profile after
//!   the store has the change ([`ProfileCache::forget`]); every change is
//!   also noted in the store, and each report (about once a second,
//!   [`super::served::REPORT_EVERY`]) forgets the profiles changed on any
//!   node since the last one. So another node may answer from the old
//!   choices for about a second; without marketing consent nothing is
//!   answered at all, so a withdrawal holds at once everywhere.
//! - **Pages of the epoch that just ended reach the store late** (another
//!   node's batch, about a second later). Nothing read in the first
//!   [`SETTLE_MILLIS`] of an epoch is kept, and a batch this node writes
//!   with pages of an epoch a kept entry already counts as complete makes
//!   it forget that profile.
//!
//! With the inputs, each kept profile holds the topics it answered for
//! each placement ([`KeptProfile::topics_for`]): the same inputs give the
//! same answer all epoch (the choice is a keyed function of the profile,
//! the epoch and the placement), so it is worked out once per placement.
//!
//! A read that started before a profile was forgotten does not put the
//! old state back: an entry is kept only if nothing was forgotten while it
//! was read (a generation count). At most [`MAX_PROFILES`] are kept; when
//! full, all are dropped and the cache fills again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crumb_core::interests::TopicId;
use crumb_core::profiles::service::AnswerInputs;

/// How long into an epoch its reads are not kept (a node's batch is
/// written about a second after the pages are read; ten allows for a slow
/// store).
pub const SETTLE_MILLIS: i64 = 10_000;

/// The most profiles kept (each a few hundred bytes, and up to about
/// 800 more for the answers it holds, [`MAX_PLACEMENTS`]).
pub const MAX_PROFILES: usize = 200_000;

/// The most placements a kept profile holds answers for (a site has a
/// few slots; a request may name any, and beyond these it is answered
/// from the inputs each time).
pub const MAX_PLACEMENTS: usize = 8;

/// What a node keeps of a profile for one epoch.
#[derive(Debug, Default)]
pub struct KeptProfile {
    /// What answering reads.
    pub inputs: AnswerInputs,
    /// The topics answered from `inputs`, by placement.
    answered: Mutex<Vec<(Box<str>, Vec<TopicId>)>>,
}

impl KeptProfile {
    /// Keeps `inputs`, with no answer yet.
    pub fn new(inputs: AnswerInputs) -> Self {
        KeptProfile { inputs, answered: Mutex::new(Vec::new()) }
    }

    /// The topics for `placement`: as answered before from these inputs,
    /// else `answer(inputs)`, then held (for up to [`MAX_PLACEMENTS`]).
    /// Only for an answer that reads nothing but the inputs.
    pub fn topics_for(&self, placement: &str, answer: impl FnOnce(&AnswerInputs) -> Vec<TopicId>) -> Vec<TopicId> {
        let held = |answered: &Vec<(Box<str>, Vec<TopicId>)>| {
            answered.iter().find(|(p, _)| &**p == placement).map(|(_, topics)| topics.clone())
        };
        if let Some(topics) = held(&self.answered.lock().unwrap_or_else(PoisonError::into_inner)) {
            return topics;
        }
        let topics = answer(&self.inputs);
        let mut answered = self.answered.lock().unwrap_or_else(PoisonError::into_inner);
        if answered.len() < MAX_PLACEMENTS && held(&answered).is_none() {
            answered.push((placement.into(), topics.clone()));
        }
        topics
    }
}

/// The kept profiles ([`KeptProfile`]), with the epoch each is for.
#[derive(Debug, Default)]
pub struct ProfileCache {
    inner: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    entries: HashMap<i64, (i64, Arc<KeptProfile>)>,
    /// Counts forgettings: a read keeps its result only if this did not
    /// change while it read.
    generation: u64,
}

/// A miss: what [`ProfileCache::keep`] needs to keep the read's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Miss {
    generation: u64,
}

impl ProfileCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept inputs of `profile` for its epoch `epoch`, or a [`Miss`] to
    /// keep the store's with.
    pub fn get(&self, profile: i64, epoch: i64) -> Result<Arc<KeptProfile>, Miss> {
        let kept = self.lock();
        match kept.entries.get(&profile) {
            Some((kept_epoch, inputs)) if *kept_epoch == epoch => Ok(Arc::clone(inputs)),
            _ => Err(Miss { generation: kept.generation }),
        }
    }

    /// Keeps `inputs`, read from the store after `miss`, for `profile`'s
    /// epoch `epoch`, unless a profile was forgotten since.
    pub fn keep(&self, profile: i64, epoch: i64, miss: Miss, inputs: Arc<KeptProfile>) {
        let mut kept = self.lock();
        if kept.generation != miss.generation {
            return;
        }
        if kept.entries.len() >= MAX_PROFILES && !kept.entries.contains_key(&profile) {
            kept.entries.clear();
        }
        kept.entries.insert(profile, (epoch, inputs));
    }

    /// Forgets `profiles` (their choices changed).
    pub fn forget(&self, profiles: &[i64]) {
        let mut kept = self.lock();
        kept.generation += 1;
        for profile in profiles {
            kept.entries.remove(profile);
        }
    }

    /// Forgets `profile` if what is kept for it counts `epoch` as complete
    /// (pages of that epoch were just written).
    pub fn forget_if_past(&self, profile: i64, epoch: i64) {
        let mut kept = self.lock();
        if kept.entries.get(&profile).is_some_and(|(kept_epoch, _)| *kept_epoch > epoch) {
            kept.generation += 1;
            kept.entries.remove(&profile);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(paused: bool) -> Arc<KeptProfile> {
        Arc::new(KeptProfile::new(AnswerInputs { paused, ..AnswerInputs::default() }))
    }

    #[test]
    fn an_answer_is_worked_out_once_per_placement() {
        let kept = inputs(false);
        let mut worked = 0;
        for _ in 0..3 {
            let topics = kept.topics_for("sidebar", |_| {
                worked += 1;
                vec![TopicId(369)]
            });
            assert_eq!(topics, [TopicId(369)]);
        }
        assert_eq!(worked, 1);
        assert_eq!(kept.topics_for("footer", |_| vec![TopicId(1)]), [TopicId(1)], "each placement its own");
        // Beyond MAX_PLACEMENTS, answered each time.
        for n in 0..MAX_PLACEMENTS {
            kept.topics_for(&format!("slot-{n}"), |_| Vec::new());
        }
        let mut again = 0;
        for _ in 0..2 {
            kept.topics_for("one-too-many", |_| {
                again += 1;
                Vec::new()
            });
        }
        assert_eq!(again, 2);
        assert_eq!(kept.topics_for("sidebar", |_| Vec::new()), [TopicId(369)], "held ones stay");
    }

    #[test]
    fn kept_for_its_epoch_only() {
        let cache = ProfileCache::default();
        let miss = cache.get(1, 10).unwrap_err();
        cache.keep(1, 10, miss, inputs(true));
        assert!(cache.get(1, 10).unwrap().inputs.paused);
        assert!(cache.get(1, 11).is_err(), "a new epoch reads again");
        assert!(cache.get(2, 10).is_err(), "another profile");
    }

    #[test]
    fn a_read_from_before_a_forgetting_is_not_kept() {
        let cache = ProfileCache::default();
        let miss = cache.get(1, 10).unwrap_err();
        cache.forget(&[2]);
        cache.keep(1, 10, miss, inputs(false));
        assert!(cache.get(1, 10).is_err(), "read before the change: not kept");
        let miss = cache.get(1, 10).unwrap_err();
        cache.keep(1, 10, miss, inputs(false));
        assert!(cache.get(1, 10).is_ok());
        cache.forget(&[1]);
        assert!(cache.get(1, 10).is_err(), "forgotten");
    }

    #[test]
    fn pages_of_a_counted_epoch_forget_the_profile() {
        let cache = ProfileCache::default();
        let miss = cache.get(1, 10).unwrap_err();
        cache.keep(1, 10, miss, inputs(false));
        cache.forget_if_past(1, 10);
        assert!(cache.get(1, 10).is_ok(), "pages of the current epoch: not counted by the entry");
        cache.forget_if_past(1, 9);
        assert!(cache.get(1, 10).is_err(), "pages of a complete epoch: read again");
    }

    #[test]
    fn a_full_cache_starts_again() {
        let cache = ProfileCache::default();
        for profile in 0..MAX_PROFILES as i64 {
            let miss = cache.get(profile, 1).unwrap_err();
            cache.keep(profile, 1, miss, inputs(false));
        }
        assert!(cache.get(0, 1).is_ok());
        let miss = cache.get(-1, 1).unwrap_err();
        cache.keep(-1, 1, miss, inputs(false));
        assert!(cache.get(-1, 1).is_ok());
        assert!(cache.get(0, 1).is_err(), "dropped to make room");
        assert_eq!(cache.lock().entries.len(), 1);
    }
}
