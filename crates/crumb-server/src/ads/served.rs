//! The campaigns of the declaration, indexed once, and today's impressions
//! per campaign for their daily caps (in memory, per node).

use std::collections::HashMap;
use std::sync::Mutex;

use crumb_core::ads::campaign::Campaign;
use crumb_core::ads::decide::Served;
use crumb_core::ads::CampaignIndex;
use crumb_core::config::Config;
use crumb_core::interests::Taxonomy;

/// Milliseconds in a day.
pub(super) const DAY_MILLIS: i64 = 86_400_000;

/// The campaigns of the declaration, indexed once, and today's impressions
/// per campaign (for daily caps; in memory, per node).
#[derive(Debug, Default)]
pub struct AdServer {
    index: CampaignIndex,
    today: Mutex<(i64, HashMap<String, u32>)>,
}

impl AdServer {
    /// The campaigns `config` declares.
    pub fn new(config: &Config) -> AdServer {
        AdServer { index: CampaignIndex::new(config.campaigns.clone(), Taxonomy::v2()), today: Mutex::default() }
    }

    /// The indexed campaigns.
    pub fn index(&self) -> &CampaignIndex {
        &self.index
    }

    /// Today's counts (with the day they are for).
    pub(super) fn today(&self) -> std::sync::MutexGuard<'_, (i64, HashMap<String, u32>)> {
        self.today.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts one impression of `campaign` on Unix day `day`.
    pub(super) fn count(&self, campaign: &str, day: i64) {
        let mut today = self.today.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if today.0 != day {
            *today = (day, HashMap::new());
        }
        *today.1.entry(campaign.to_owned()).or_default() += 1;
    }
}

/// Today's counts as the choice reads them.
pub(super) struct Counts<'a>(pub(super) &'a HashMap<String, u32>);

impl Served for Counts<'_> {
    fn today(&self, campaign: &Campaign) -> u32 {
        self.0.get(&campaign.id).copied().unwrap_or(0)
    }
    fn to_visitor_today(&self, _: &Campaign) -> u32 {
        // Only asked on the interests basis, which this slice never uses.
        0
    }
}
