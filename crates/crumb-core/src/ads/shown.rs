//! What a visitor may see about the ads shown to them: the log of ads
//! shown on the interests basis (kept four weeks, erased with the
//! profile), with each campaign's name and advertiser and the topic that
//! matched, for the visitor's own `/interests` page ("because you read
//! about …").

use crumb_store::StoreError;
use serde::Serialize;

use crate::interests::{Taxonomy, TopicId};
use crate::profiles::{ProfileKey, RETENTION_MILLIS};
use crate::site::Site;

use super::decide::Basis;
use super::index::CampaignIndex;

/// An ad shown to the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShownAd {
    /// The campaign's id.
    pub campaign: String,
    /// The campaign's name (its id, for a campaign no longer running).
    pub name: String,
    /// Who paid for it ("" for a campaign no longer running).
    pub advertiser: String,
    /// Why it was shown.
    pub basis: Basis,
    /// The topic that matched.
    pub topic: Option<TopicId>,
    /// The topic's name (English, as the taxonomy has it).
    pub topic_name: Option<&'static str>,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// The ads shown to `profile` over the last four weeks, newest first.
pub async fn recent(site: &Site, index: &CampaignIndex, profile: ProfileKey) -> Result<Vec<ShownAd>, StoreError> {
    let since = site.now_millis() - RETENTION_MILLIS;
    let logged = site.store.ads_shown_to(&site.config.site_name, profile.0, since).await?;
    Ok(logged
        .into_iter()
        .map(|shown| {
            let campaign = index.get(&shown.campaign);
            let topic = shown.topic.map(TopicId);
            ShownAd {
                name: campaign.map_or_else(|| shown.campaign.clone(), |c| c.name.clone()),
                advertiser: campaign.map(|c| c.advertiser.clone()).unwrap_or_default(),
                basis: Basis::parse(&shown.basis).unwrap_or(Basis::Interests),
                topic,
                topic_name: topic.and_then(|t| Taxonomy::v2().get(t)).map(|t| t.name),
                at: shown.at,
                campaign: shown.campaign,
            }
        })
        .collect())
}
