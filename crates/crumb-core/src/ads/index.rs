//! Campaigns by slot and topic, so that a choice among 10,000 campaigns
//! looks at the few that can match rather than at all of them.

use std::collections::HashMap;

use crate::interests::{Taxonomy, TopicId};

use super::campaign::Campaign;

/// The campaigns of a declaration, indexed.
#[derive(Debug, Default)]
pub struct CampaignIndex {
    campaigns: Vec<Campaign>,
    /// Topic → the campaigns that target it or a topic above it, by index.
    by_topic: HashMap<TopicId, Vec<u32>>,
    /// The campaigns that target no topic (run of site).
    untargeted: Vec<u32>,
    /// Campaign id → index.
    by_id: HashMap<String, u32>,
}

impl CampaignIndex {
    /// The index of `campaigns` (checked, so every topic is in `taxonomy`).
    pub fn new(campaigns: Vec<Campaign>, taxonomy: &Taxonomy) -> CampaignIndex {
        let mut by_topic: HashMap<TopicId, Vec<u32>> = HashMap::new();
        let mut untargeted = Vec::new();
        let mut by_id = HashMap::with_capacity(campaigns.len());
        for (position, campaign) in campaigns.iter().enumerate() {
            // At most u32::MAX campaigns: a declaration holds far fewer.
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            by_id.insert(campaign.id.clone(), position);
            if campaign.topics.is_empty() {
                untargeted.push(position);
                continue;
            }
            for topic in taxonomy.topics() {
                if campaign.topics.iter().any(|&target| taxonomy.is_within(topic.id, target)) {
                    by_topic.entry(topic.id).or_default().push(position);
                }
            }
        }
        CampaignIndex { campaigns, by_topic, untargeted, by_id }
    }

    /// Every campaign, in declaration order.
    pub fn campaigns(&self) -> &[Campaign] {
        &self.campaigns
    }

    /// The campaign with this id.
    pub fn get(&self, id: &str) -> Option<&Campaign> {
        self.by_id.get(id).map(|&i| &self.campaigns[i as usize])
    }

    /// The campaigns a visitor or page topic matches.
    pub(super) fn for_topic(&self, topic: TopicId) -> impl Iterator<Item = &Campaign> {
        self.by_topic.get(&topic).into_iter().flatten().map(|&i| &self.campaigns[i as usize])
    }

    /// The campaigns that target no topic.
    pub(super) fn untargeted(&self) -> impl Iterator<Item = &Campaign> {
        self.untargeted.iter().map(|&i| &self.campaigns[i as usize])
    }
}
