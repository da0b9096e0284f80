//! Campaigns by slot and topic, so that a choice among 10,000 campaigns
//! looks at the few that can match rather than at all of them.

use std::cmp::Reverse;
use std::collections::HashMap;

use crate::interests::{Taxonomy, TopicId};

use super::campaign::{Campaign, Schedule};

/// The slot bit that the 64th and later slot names share: a campaign or
/// request with it has its slot names compared.
const SHARED_SLOT_BIT: u64 = 1 << 63;

/// The campaigns of a declaration, indexed. A campaign's *position* is its
/// place in [`CampaignIndex::campaigns`]: what [`super::Served`] counts by.
#[derive(Debug, Default)]
pub struct CampaignIndex {
    campaigns: Vec<Campaign>,
    /// What a choice reads of each campaign, by position: kept apart from
    /// the campaigns (whose texts and creatives make each one large), so
    /// that a choice scanning hundreds of them reads little memory.
    briefs: Vec<Brief>,
    /// Topic → the campaigns that target it or a topic above it, highest
    /// priority first, then in position order, so that a choice can stop
    /// at the first campaign below one it can show.
    by_topic: HashMap<TopicId, Vec<Listed>>,
    /// The campaigns that target no topic (run of site), in the same order.
    untargeted: Vec<Listed>,
    /// Campaign id → position.
    by_id: HashMap<String, u32>,
    /// Slot name → its bit in [`Brief::slots`] (the 64th and later share one).
    slot_bits: HashMap<String, u64>,
}

/// A campaign in a topic's list: its priority and position, ordered
/// highest priority first, then by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Listed {
    priority: Reverse<u8>,
    /// Its position in the index.
    pub(super) position: u32,
}

impl Listed {
    /// Its priority.
    pub(super) fn priority(self) -> u8 {
        self.priority.0
    }
}

/// What a choice reads of a campaign (see [`CampaignIndex::brief`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Brief {
    pub(super) weight: u32,
    pub(super) schedule: Schedule,
    pub(super) daily_cap: Option<u32>,
    pub(super) frequency_cap: Option<u32>,
    /// The bits of the slots it may fill; every bit for any slot.
    slots: u64,
}

impl CampaignIndex {
    /// The index of `campaigns` (checked, so every topic is in `taxonomy`).
    pub fn new(campaigns: Vec<Campaign>, taxonomy: &Taxonomy) -> CampaignIndex {
        // Every topic under each topic (itself included), built once from
        // the parents rather than asked of every pair.
        let mut below: HashMap<TopicId, Vec<TopicId>> = HashMap::new();
        for topic in taxonomy.topics() {
            let mut current = Some(topic);
            while let Some(above) = current {
                below.entry(above.id).or_default().push(topic.id);
                current = above.parent.and_then(|parent| taxonomy.get(parent));
            }
        }
        let mut slot_bits: HashMap<String, u64> = HashMap::new();
        let mut by_topic: HashMap<TopicId, Vec<Listed>> = HashMap::new();
        let mut untargeted = Vec::new();
        let mut by_id = HashMap::with_capacity(campaigns.len());
        let mut briefs = Vec::with_capacity(campaigns.len());
        for (position, campaign) in campaigns.iter().enumerate() {
            // At most u32::MAX campaigns: a declaration holds far fewer.
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            by_id.insert(campaign.id.clone(), position);
            let mut slots = if campaign.slots.is_empty() { u64::MAX } else { 0 };
            for slot in &campaign.slots {
                let next = slot_bits.len();
                slots |= *slot_bits.entry(slot.clone()).or_insert(if next < 63 { 1 << next } else { SHARED_SLOT_BIT });
            }
            briefs.push(Brief {
                weight: campaign.weight,
                schedule: campaign.schedule,
                daily_cap: campaign.daily_cap,
                frequency_cap: campaign.frequency_cap,
                slots,
            });
            let listed = Listed { priority: Reverse(campaign.priority), position };
            if campaign.topics.is_empty() {
                untargeted.push(listed);
                continue;
            }
            for target in &campaign.topics {
                for &topic in below.get(target).into_iter().flatten() {
                    let list = by_topic.entry(topic).or_default();
                    // Two targets, one under the other: listed once (positions
                    // arrive in order, so a repeat is the last one).
                    if list.last() != Some(&listed) {
                        list.push(listed);
                    }
                }
            }
        }
        by_topic.values_mut().for_each(|list| list.sort_unstable());
        untargeted.sort_unstable();
        CampaignIndex { campaigns, briefs, by_topic, untargeted, by_id, slot_bits }
    }

    /// Every campaign, in declaration order.
    pub fn campaigns(&self) -> &[Campaign] {
        &self.campaigns
    }

    /// The campaign with this id.
    pub fn get(&self, id: &str) -> Option<&Campaign> {
        self.position(id).map(|i| &self.campaigns[i])
    }

    /// The position of the campaign with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|&i| i as usize)
    }

    /// The campaigns a visitor or page topic matches, highest priority
    /// first, then in position order.
    pub(super) fn for_topic(&self, topic: TopicId) -> &[Listed] {
        self.by_topic.get(&topic).map_or(&[], Vec::as_slice)
    }

    /// The campaigns that target no topic, in the same order.
    pub(super) fn untargeted(&self) -> &[Listed] {
        &self.untargeted
    }

    /// The campaign at `position`.
    pub(super) fn at(&self, position: u32) -> &Campaign {
        &self.campaigns[position as usize]
    }

    /// What a choice reads of the campaign at `position`.
    pub(super) fn brief(&self, position: u32) -> &Brief {
        &self.briefs[position as usize]
    }

    /// Whether `list` (one of those above) holds `listed`: a binary
    /// search, the list being in that order.
    pub(super) fn holds(list: &[Listed], listed: Listed) -> bool {
        list.binary_search(&listed).is_ok()
    }

    /// The bits of slot `slot` (none if no campaign names it).
    pub(super) fn slot_bit(&self, slot: &str) -> u64 {
        self.slot_bits.get(slot).copied().unwrap_or(0)
    }

    /// Whether the campaign at `position` may fill slot `slot`, whose bit
    /// is `bit`.
    pub(super) fn fills(&self, position: u32, slot: &str, bit: u64) -> bool {
        let slots = self.briefs[position as usize].slots;
        if slots == u64::MAX {
            return true; // names no slot: any
        }
        match slots & bit {
            0 => false,
            // The bit the 64th and later slot names share: compare names.
            SHARED_SLOT_BIT => self.at(position).slots.iter().any(|s| s == slot),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ads::campaign::{check_all, CampaignDraft};

    const BIKES: u16 = 369; // /Autos & Vehicles/Bicycles & Accessories

    fn draft(id: &str, topics: Vec<u16>, priority: u8) -> CampaignDraft {
        CampaignDraft { priority, ..crate::ads::decide::tests::campaign(id, topics) }
    }

    /// A topic lists the campaigns for it and for every topic above it,
    /// once each, highest priority first; nothing above it is listed.
    #[test]
    fn a_topic_lists_its_own_and_its_ancestors_campaigns_by_priority() {
        let t = Taxonomy::v2();
        let autos = t.get(TopicId(BIKES)).and_then(|b| b.parent).expect("a parent");
        let drafts = vec![
            draft("autos", vec![autos.0], 0),
            draft("both", vec![autos.0, BIKES], 1),
            draft("bikes", vec![BIKES], 2),
            draft("any", vec![], 0),
        ];
        let index = CampaignIndex::new(check_all(drafts, t).expect("checks"), t);
        let ids = |topic| index.for_topic(topic).iter().map(|l| index.at(l.position).id.as_str()).collect::<Vec<_>>();
        assert_eq!(ids(TopicId(BIKES)), ["bikes", "both", "autos"]);
        assert_eq!(ids(autos), ["both", "autos"]);
        assert_eq!(index.untargeted().iter().map(|l| l.position).collect::<Vec<_>>(), [3]);
        assert_eq!(index.position("bikes"), Some(2));
        let bikes = index.for_topic(TopicId(BIKES));
        for listed in bikes {
            assert!(CampaignIndex::holds(bikes, *listed));
            assert_eq!(listed.priority(), index.at(listed.position).priority);
        }
        assert!(!CampaignIndex::holds(index.for_topic(autos), bikes[0]), "bikes is not listed under autos");
    }

    /// Slots are bits; past 63 slot names they share one and are compared by name.
    #[test]
    fn a_campaign_fills_its_own_slots_and_a_slotless_one_any() {
        let t = Taxonomy::v2();
        let mut drafts: Vec<CampaignDraft> = (0..70)
            .map(|i| CampaignDraft { slots: vec![format!("slot{i}")], ..draft(&format!("c{i}"), vec![], 0) })
            .collect();
        drafts.push(draft("anywhere", vec![], 0));
        let index = CampaignIndex::new(check_all(drafts, t).expect("checks"), t);
        for (slot, expected) in [("slot1", [1, 70]), ("slot65", [65, 70]), ("slot69", [69, 70])] {
            let bit = index.slot_bit(slot);
            let filling: Vec<u32> = (0..71).filter(|&p| index.fills(p, slot, bit)).collect();
            assert_eq!(filling, expected, "{slot}");
        }
        let bit = index.slot_bit("unnamed");
        assert_eq!((0..71).filter(|&p| index.fills(p, "unnamed", bit)).collect::<Vec<_>>(), [70]);
    }
}
