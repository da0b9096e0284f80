//! Which topics a placement gets for a profile: the Topics API's answer,
//! computed on the server.
//!
//! For each of the last three complete epochs that has observations, one
//! of the epoch's five top topics is picked by the keyed pseudorandom
//! function of (profile, epoch, placement) — the same for the whole epoch —
//! except that with probability [`NOISE_RATE`] (also drawn by the function,
//! so stable for the epoch and placement) a topic drawn uniformly from the
//! whole taxonomy is returned instead, flagged as noise. The answer holds
//! each topic once, in an order drawn by the function.
//!
//! **Caller filtering.** In the Topics API a caller only receives a topic
//! (other than noise) if it observed the user on a page about that topic in
//! the last three epochs. On one site the caller is the site: its placements
//! are its own, and crumb observes every page it classifies. So the filter
//! is kept with the site as the one caller: a picked topic that is not
//! noise is returned only if the profile read a page about it in one of the
//! three epochs answered. Its effect is that padding — topics drawn at
//! random for a short history — is never presented as an interest, while
//! noise still is, which is what gives every visitor deniability.
//!
//! Topics the visitor removed (for good, or from that epoch) are left out,
//! not replaced; a paused profile, or a visitor without marketing consent,
//! gets an empty list (the callers check before asking: see
//! [`super::service`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::keys::{below, Draw, ProfileKey, ProfileKeys};
use super::top::{top_topics, EpochTopic, TopicPool};
use crate::interests::TopicId;

/// The chance that an epoch's pick is a uniformly random topic: 5%.
pub const NOISE_RATE: f64 = 0.05;

/// Complete epochs an answer draws from: the last three.
pub const EPOCHS_ANSWERED: i64 = 3;

/// A pick is noise when its word is below this: ⌊2⁶⁴ / 20⌋, i.e. 5%.
const NOISE_BELOW: u64 = u64::MAX / 20;

/// One topic of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReturnedTopic {
    /// The topic.
    pub topic: TopicId,
    /// The profile's epoch it was picked from.
    pub epoch: i64,
    /// A uniformly random topic, not one of the epoch's top topics.
    pub noise: bool,
}

/// A profile's pages per epoch and topic (the epochs kept).
pub type History = BTreeMap<i64, BTreeMap<TopicId, u64>>;

/// Topics the visitor removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// From every epoch.
    pub for_good: BTreeSet<TopicId>,
    /// From one epoch: (epoch, topic).
    pub from_epoch: BTreeSet<(i64, TopicId)>,
}

impl Removed {
    /// Whether `topic` is removed from `epoch`.
    pub fn hides(&self, epoch: i64, topic: TopicId) -> bool {
        self.for_good.contains(&topic) || self.from_epoch.contains(&(epoch, topic))
    }
}

/// What one epoch's pick for a placement was, before filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// The topic.
    pub topic: TopicId,
    /// Drawn from the whole taxonomy rather than the top topics.
    pub noise: bool,
}

/// The pick of `epoch` for `placement`: one of `top` (the epoch's top
/// topics) or, with probability [`NOISE_RATE`], a uniformly random topic.
/// `None` when `top` is empty.
pub fn pick(
    keys: &ProfileKeys,
    pool: &TopicPool,
    profile: ProfileKey,
    epoch: i64,
    placement: &str,
    top: &[TopicId],
) -> Option<Pick> {
    if top.is_empty() {
        return None;
    }
    let [noise, random_topic, which, _] = keys.words(Draw::Pick, profile, epoch, placement, 0);
    if noise < NOISE_BELOW {
        if let Some(topic) = pool.draw(random_topic) {
            return Some(Pick { topic, noise: true });
        }
    }
    Some(Pick { topic: top[below(which, top.len())], noise: false })
}

/// One answered epoch's working: its top topics and its pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochPick {
    /// The epoch.
    pub epoch: i64,
    /// Its top topics.
    pub top: Vec<EpochTopic>,
    /// Its pick for the placement, before the filters.
    pub pick: Pick,
}

/// An answer with its working.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explained {
    /// The answer: see [`answer`].
    pub topics: Vec<ReturnedTopic>,
    /// Each epoch with observations among the last three, newest first.
    pub picks: Vec<EpochPick>,
}

/// The answer for `placement` to `profile` whose current epoch is
/// `current`: up to [`EPOCHS_ANSWERED`] topics, one per complete epoch
/// with observations, filtered and deduplicated, in pseudorandom order.
pub fn answer(
    keys: &ProfileKeys,
    pool: &TopicPool,
    profile: ProfileKey,
    current: i64,
    placement: &str,
    history: &History,
    removed: &Removed,
) -> Vec<ReturnedTopic> {
    explain(keys, pool, profile, current, placement, history, removed).topics
}

/// [`answer`], with each epoch's top topics and pick.
pub fn explain(
    keys: &ProfileKeys,
    pool: &TopicPool,
    profile: ProfileKey,
    current: i64,
    placement: &str,
    history: &History,
    removed: &Removed,
) -> Explained {
    let epochs: Vec<i64> = (1..=EPOCHS_ANSWERED).map(|back| current - back).collect();
    let read_recently: BTreeSet<TopicId> = epochs
        .iter()
        .filter_map(|epoch| history.get(epoch))
        .flat_map(|pages| pages.iter().filter(|(_, count)| **count > 0).map(|(topic, _)| *topic))
        .collect();
    let mut topics: Vec<ReturnedTopic> = Vec::with_capacity(epochs.len());
    let mut picks = Vec::with_capacity(epochs.len());
    for &epoch in &epochs {
        let Some(pages) = history.get(&epoch).filter(|pages| pages.values().any(|count| *count > 0)) else {
            continue;
        };
        let top = top_topics(keys, pool, profile, epoch, pages);
        let ids: Vec<TopicId> = top.iter().map(|t| t.topic).collect();
        let Some(pick) = pick(keys, pool, profile, epoch, placement, &ids) else { continue };
        picks.push(EpochPick { epoch, top, pick });
        let filtered_out = !pick.noise && !read_recently.contains(&pick.topic);
        if filtered_out || removed.hides(epoch, pick.topic) || topics.iter().any(|t| t.topic == pick.topic) {
            continue;
        }
        topics.push(ReturnedTopic { topic: pick.topic, epoch, noise: pick.noise });
    }
    // Fisher–Yates with the function's words (at most three topics: one block).
    if topics.len() > 1 {
        let order = keys.words(Draw::Order, profile, current, placement, 0);
        for i in (1..topics.len()).rev() {
            topics.swap(i, below(order[i], i + 1));
        }
    }
    Explained { topics, picks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interests::Taxonomy;

    fn keys() -> ProfileKeys {
        ProfileKeys::from_keyring(&crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[5; 32]).unwrap()))
    }

    fn history(epochs: &[(i64, &[(u16, u64)])]) -> History {
        epochs.iter().map(|(e, pages)| (*e, pages.iter().map(|(t, c)| (TopicId(*t), *c)).collect())).collect()
    }

    #[test]
    fn one_topic_per_complete_epoch_from_its_top_five_or_noise() {
        let (keys, pool) = (keys(), TopicPool::new(Taxonomy::v2()));
        let read = [(369u16, 3u64), (57, 2), (172, 9), (299, 1), (86, 4), (126, 5)];
        let history = history(&[(6, &read), (7, &read), (8, &read), (9, &read), (10, &read)]);
        let mut noisy = 0;
        for profile in 0..200 {
            let profile = ProfileKey(profile);
            let answer = answer(&keys, &pool, profile, 10, "slot", &history, &Removed::default());
            assert!(!answer.is_empty() && answer.len() <= 3);
            let epochs: BTreeSet<i64> = answer.iter().map(|t| t.epoch).collect();
            assert_eq!(epochs.len(), answer.len(), "one per epoch");
            assert!(epochs.iter().all(|e| (7..=9).contains(e)), "the last three complete epochs: {epochs:?}");
            for returned in &answer {
                let top: Vec<TopicId> = top_topics(&keys, &pool, profile, returned.epoch, &history[&returned.epoch])
                    .iter()
                    .map(|t| t.topic)
                    .collect();
                assert!(returned.noise || top.contains(&returned.topic), "{returned:?}");
                noisy += usize::from(returned.noise);
            }
            assert_eq!(answer, super::answer(&keys, &pool, profile, 10, "slot", &history, &Removed::default()));
        }
        assert!(noisy < 100, "noise is rare: {noisy}");
    }

    #[test]
    fn empty_epochs_give_nothing_and_padding_is_filtered() {
        let (keys, pool) = (keys(), TopicPool::new(Taxonomy::v2()));
        let nothing = history(&[(9, &[]), (8, &[(369, 0)]), (10, &[(369, 5)])]);
        for profile in 0..100 {
            assert!(answer(&keys, &pool, ProfileKey(profile), 10, "s", &nothing, &Removed::default()).is_empty());
        }
        // One topic read in epoch 9: the four padded ones are never returned, noise may be.
        let short = history(&[(9, &[(369, 1)])]);
        for profile in 0..300 {
            for returned in answer(&keys, &pool, ProfileKey(profile), 10, "s", &short, &Removed::default()) {
                assert!(returned.noise || returned.topic == TopicId(369), "{returned:?}");
            }
        }
    }

    #[test]
    fn removed_topics_are_left_out_not_replaced() {
        let (keys, pool) = (keys(), TopicPool::new(Taxonomy::v2()));
        let only = history(&[(9, &[(369, 1)]), (8, &[(369, 2)])]);
        let profile = (0..)
            .map(ProfileKey)
            .find(|p| {
                let a = answer(&keys, &pool, *p, 10, "s", &only, &Removed::default());
                a.len() == 1 && !a[0].noise
            })
            .unwrap();
        let mut removed = Removed::default();
        removed.from_epoch.insert((9, TopicId(369)));
        let answer_without_9 = answer(&keys, &pool, profile, 10, "s", &only, &removed);
        assert!(answer_without_9.iter().all(|t| t.epoch != 9 || t.topic != TopicId(369)));
        removed.for_good.insert(TopicId(369));
        let gone = answer(&keys, &pool, profile, 10, "s", &only, &removed);
        assert!(gone.iter().all(|t| t.topic != TopicId(369)), "{gone:?}");
    }

    #[test]
    fn placements_pick_independently() {
        let (keys, pool) = (keys(), TopicPool::new(Taxonomy::v2()));
        let read = [(369u16, 3u64), (57, 2), (172, 9), (299, 1), (86, 4)];
        let history = history(&[(9, &read)]);
        let picks: BTreeSet<TopicId> = (0..50)
            .flat_map(|slot| {
                answer(&keys, &pool, ProfileKey(1), 10, &format!("slot-{slot}"), &history, &Removed::default())
            })
            .map(|t| t.topic)
            .collect();
        assert!(picks.len() >= 4, "different placements get different picks of the five: {picks:?}");
    }
}
