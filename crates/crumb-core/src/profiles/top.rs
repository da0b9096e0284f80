//! An epoch's top topics: the five the site may use for the profile in
//! that epoch.
//!
//! As the Topics API: topics are ranked by the priority of their root, then
//! by how many pages the profile read about them in the epoch; when fewer
//! than five were read about, the rest are drawn uniformly at random from
//! the taxonomy (and marked as padding).
//!
//! **Root priority.** Chrome ranks with a list of prioritised roots
//! (`kBrowsingTopicsPrioritizedTopicsList`, default
//! `57,86,126,149,172,180,196,207,239,254,263,272,289,299,332`): topics under
//! those 15 roots come before topics under the other 7 (Arts &
//! Entertainment, Books & Literature, Business & Industrial, Internet &
//! Telecom, Jobs & Education, News, Online Communities), which are broad
//! and read by nearly everyone, so they say less about a person's
//! commercial interests. crumb uses the same list ([`PRIORITIZED_ROOTS`]),
//! so a profile's top topics match what the Topics API would compute from
//! the same history. Ties (same priority and count) are broken by the
//! keyed pseudorandom function, not by id, so no topic is favoured.

use std::collections::BTreeMap;

use serde::Serialize;

use super::keys::{below, below_u32, mix, Draw, ProfileKey, ProfileKeys};
use crate::interests::{Taxonomy, TopicId};

/// How many topics an epoch keeps.
pub const TOP_TOPICS: usize = 5;

/// The prioritised roots of taxonomy v2 (Chrome's default
/// `prioritized_topics_list`): Autos & Vehicles, Beauty & Fitness,
/// Computers & Electronics, Finance, Food & Drink, Games, Hobbies &
/// Leisure, Home & Garden, Law & Government, People & Society, Pets &
/// Animals, Real Estate, Shopping, Sports, Travel & Transportation.
pub const PRIORITIZED_ROOTS: [TopicId; 15] = [
    TopicId(57),
    TopicId(86),
    TopicId(126),
    TopicId(149),
    TopicId(172),
    TopicId(180),
    TopicId(196),
    TopicId(207),
    TopicId(239),
    TopicId(254),
    TopicId(263),
    TopicId(272),
    TopicId(289),
    TopicId(299),
    TopicId(332),
];

/// One of an epoch's top topics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EpochTopic {
    /// The topic.
    pub topic: TopicId,
    /// Pages read about it in the epoch (0 for padding).
    pub pages: u64,
    /// Drawn at random because fewer than [`TOP_TOPICS`] topics were read about.
    pub padding: bool,
}

/// The taxonomy's topics in an indexable list, for uniform draws.
#[derive(Debug)]
pub struct TopicPool {
    topics: Vec<TopicId>,
    prioritized: Vec<bool>,
}

impl TopicPool {
    /// The topics of `taxonomy`, each with whether its root is prioritised.
    pub fn new(taxonomy: &Taxonomy) -> Self {
        let topics: Vec<TopicId> = taxonomy.topics().map(|topic| topic.id).collect();
        let size = topics.last().map_or(0, |last| usize::from(last.0) + 1);
        let mut prioritized = vec![false; size];
        for topic in taxonomy.topics() {
            prioritized[usize::from(topic.id.0)] = PRIORITIZED_ROOTS.contains(&topic.root);
        }
        TopicPool { topics, prioritized }
    }

    /// Every topic, by id.
    pub fn topics(&self) -> &[TopicId] {
        &self.topics
    }

    /// Whether `topic` is in the taxonomy.
    pub fn contains(&self, topic: TopicId) -> bool {
        self.topics.binary_search(&topic).is_ok()
    }

    /// Whether `topic`'s root is prioritised.
    pub fn is_prioritized(&self, topic: TopicId) -> bool {
        self.prioritized.get(usize::from(topic.0)).copied().unwrap_or(false)
    }

    /// The topic at a uniformly drawn index (`word`: 64 random bits).
    pub(crate) fn draw(&self, word: u64) -> Option<TopicId> {
        (!self.topics.is_empty()).then(|| self.topics[below(word, self.topics.len())])
    }

    /// The topic at a uniformly drawn index (`bits`: 32 random bits).
    fn draw_u32(&self, bits: u32) -> Option<TopicId> {
        (!self.topics.is_empty()).then(|| self.topics[below_u32(bits, self.topics.len())])
    }
}

/// The top topics of `profile`'s `epoch`, from the pages read per topic
/// (topics outside the taxonomy and zero counts are ignored): up to
/// [`TOP_TOPICS`] read-about topics by root priority then count, padded to
/// [`TOP_TOPICS`] with distinct random topics. Deterministic: the same
/// profile, epoch and pages always give the same list.
pub fn top_topics(
    keys: &ProfileKeys,
    pool: &TopicPool,
    profile: ProfileKey,
    epoch: i64,
    pages: &BTreeMap<TopicId, u64>,
) -> Vec<EpochTopic> {
    // One block of the function: its first word orders ties, the other
    // three give six 32-bit padding draws (more blocks if repeats need them).
    let first = keys.words(Draw::Epoch, profile, epoch, "", 0);
    let ties = first[0];
    let mut read: Vec<(TopicId, u64)> =
        pages.iter().filter(|(topic, count)| **count > 0 && pool.contains(**topic)).map(|(t, c)| (*t, *c)).collect();
    read.sort_by_key(|(topic, count)| {
        (!pool.is_prioritized(*topic), std::cmp::Reverse(*count), mix(ties ^ u64::from(topic.0)))
    });
    let mut top: Vec<EpochTopic> =
        read.into_iter().take(TOP_TOPICS).map(|(topic, pages)| EpochTopic { topic, pages, padding: false }).collect();
    let wanted = TOP_TOPICS.min(pool.topics().len());
    let (mut words, mut block) = (first[1..].to_vec(), 0);
    while top.len() < wanted {
        for &word in &words {
            // The high and the low half of the word: two draws.
            for bits in [(word >> 32) as u32, word as u32] {
                match pool.draw_u32(bits) {
                    Some(topic) if top.len() < wanted && !top.iter().any(|t| t.topic == topic) => {
                        top.push(EpochTopic { topic, pages: 0, padding: true });
                    }
                    _ => {}
                }
            }
        }
        if top.len() < wanted {
            block += 1;
            words = keys.words(Draw::Epoch, profile, epoch, "", block).to_vec();
        }
    }
    top
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ProfileKeys {
        ProfileKeys::from_keyring(&crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[4; 32]).unwrap()))
    }

    fn pages(list: &[(u16, u64)]) -> BTreeMap<TopicId, u64> {
        list.iter().map(|(t, c)| (TopicId(*t), *c)).collect()
    }

    #[test]
    fn prioritized_roots_are_roots_of_the_taxonomy() {
        let taxonomy = Taxonomy::v2();
        for root in PRIORITIZED_ROOTS {
            assert!(taxonomy.get(root).is_some_and(|t| t.is_root()), "{root}");
        }
        let pool = TopicPool::new(taxonomy);
        assert!(pool.is_prioritized(TopicId(369)), "Bicycles & Accessories, under Autos & Vehicles");
        assert!(!pool.is_prioritized(TopicId(243)), "News");
        assert_eq!(pool.topics().len(), 469);
    }

    #[test]
    fn ranked_by_root_priority_then_count() {
        let (keys, pool) = (keys(), TopicPool::new(Taxonomy::v2()));
        // 243 News (not prioritised) read most; 1 Arts & Entertainment too.
        let read = pages(&[(243, 50), (1, 40), (369, 2), (57, 3), (299, 1), (172, 2), (999, 100), (86, 0)]);
        let top = top_topics(&keys, &pool, ProfileKey(1), 7, &read);
        let ids: Vec<u16> = top.iter().map(|t| t.topic.0).collect();
        assert_eq!(ids[0], 57, "prioritised, most read");
        assert_eq!(
            ids[1..3].iter().copied().collect::<std::collections::BTreeSet<_>>(),
            [172, 369].into(),
            "tied at 2"
        );
        assert_eq!(ids[3..], [299, 243], "then the last prioritised, then the most read of the others");
        assert!(top.iter().all(|t| !t.padding && t.pages > 0), "5 read about: no padding; 999 and 86 ignored");
        assert_eq!(top, top_topics(&keys, &pool, ProfileKey(1), 7, &read), "deterministic");
    }

    #[test]
    fn short_history_is_padded_with_distinct_random_topics() {
        let (keys, pool) = (keys(), TopicPool::new(Taxonomy::v2()));
        let read = pages(&[(369, 4)]);
        let top = top_topics(&keys, &pool, ProfileKey(2), 7, &read);
        assert_eq!(top.len(), TOP_TOPICS);
        assert_eq!(top[0], EpochTopic { topic: TopicId(369), pages: 4, padding: false });
        assert!(top[1..].iter().all(|t| t.padding && t.pages == 0 && pool.contains(t.topic)));
        let distinct: std::collections::BTreeSet<_> = top.iter().map(|t| t.topic).collect();
        assert_eq!(distinct.len(), TOP_TOPICS);
        assert_eq!(top, top_topics(&keys, &pool, ProfileKey(2), 7, &read), "the same padding for the epoch");
        assert_ne!(top, top_topics(&keys, &pool, ProfileKey(2), 8, &read), "other padding in another epoch");
        let empty = top_topics(&keys, &pool, ProfileKey(2), 7, &BTreeMap::new());
        assert!(empty.iter().all(|t| t.padding) && empty.len() == TOP_TOPICS);
    }
}
