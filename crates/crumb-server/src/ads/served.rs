//! The campaigns of the declaration and those managed on `/admin`,
//! indexed (rebuilt after every change on `/admin`, and reloaded from the
//! store every [`RELOAD_EVERY`] by `crumb serve` for changes made on other
//! nodes), and today's impressions per campaign for their daily caps (in
//! memory, per node).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crumb_core::ads::campaign::Campaign;
use crumb_core::ads::decide::Served;
use crumb_core::ads::CampaignIndex;
use crumb_core::config::Config;
use crumb_core::interests::Taxonomy;

/// Milliseconds in a day.
pub(super) const DAY_MILLIS: i64 = 86_400_000;

/// How often `crumb serve` reloads the stored campaigns, for changes made
/// on `/admin` of another node on the same store.
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The campaigns of the declaration and the stored ones, indexed, and
/// today's impressions per campaign (for daily caps; in memory, per node).
#[derive(Debug, Default)]
pub struct AdServer {
    /// The declared campaigns, which every index starts with.
    declared: Vec<Campaign>,
    /// The current index; a rebuild swaps it whole, so a request keeps the
    /// one it started with.
    index: RwLock<Arc<CampaignIndex>>,
    today: Mutex<(i64, HashMap<String, u32>)>,
}

impl AdServer {
    /// The campaigns `config` declares (the stored ones come with [`AdServer::replace_stored`]).
    pub fn new(config: &Config) -> AdServer {
        let index = CampaignIndex::new(config.campaigns.clone(), Taxonomy::v2());
        AdServer { declared: config.campaigns.clone(), index: RwLock::new(Arc::new(index)), today: Mutex::default() }
    }

    /// The indexed campaigns, as they are now.
    pub fn index(&self) -> Arc<CampaignIndex> {
        Arc::clone(&self.index.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Rebuilds the index from the declared campaigns and `stored` (those
    /// managed on `/admin`; one whose id is declared is left out).
    pub fn replace_stored(&self, stored: Vec<Campaign>) {
        let mut campaigns = self.declared.clone();
        campaigns.extend(stored.into_iter().filter(|c| !self.declared.iter().any(|d| d.id == c.id)));
        let index = Arc::new(CampaignIndex::new(campaigns, Taxonomy::v2()));
        *self.index.write().unwrap_or_else(std::sync::PoisonError::into_inner) = index;
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
