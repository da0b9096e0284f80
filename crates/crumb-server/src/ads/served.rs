//! The campaigns of the declaration and those managed on `/admin`,
//! indexed (rebuilt after every change on `/admin`, and reloaded from the
//! store every [`RELOAD_EVERY`] by `crumb serve` for changes made on other
//! nodes), and the counts the choice reads: today's ads served per
//! campaign (for daily caps) and the serve ids whose impression this node
//! already counted.
//!
//! Daily caps hold across nodes: every serve is counted in the store
//! (`crumb_store::ads`), reported by its node about once a second
//! ([`REPORT_EVERY`]), and each report reads back the day's counts of
//! every node. The node keeps, per campaign, the highest count it knows
//! (the store's, or its own serves since), and chooses and counts under
//! one lock of it: two requests of one node never both take a campaign's
//! last impression, and no request waits for the store. Across nodes a cap
//! may overshoot by what the other nodes served in about two seconds (one
//! report interval each way).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

use crumb_store::ads::AdEventKey;
use crumb_store::{Store, StoreError};

use crumb_core::ads::campaign::Campaign;
use crumb_core::ads::decide::{decide, AdRequest, Basis, Served};
use crumb_core::ads::CampaignIndex;
use crumb_core::config::Config;
use crumb_core::interests::{Taxonomy, TopicId};

/// Milliseconds in a day.
pub(super) const DAY_MILLIS: i64 = 86_400_000;

/// How often a node reports the serves it counted to the store.
pub const REPORT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How often `crumb serve` reloads the stored campaigns, for changes made
/// on `/admin` of another node on the same store.
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The serve ids counted and until when (Unix seconds) their tokens are
/// valid, and when to next forget the expired ones.
#[derive(Debug, Default)]
struct SeenIds {
    ids: HashMap<u64, i64>,
    next_purge: i64,
}

/// The campaigns of the declaration and the stored ones, indexed, and
/// today's counts.
#[derive(Debug, Default)]
pub struct AdServer {
    /// The declared campaigns, which every index starts with.
    declared: Vec<Campaign>,
    /// The current index; a rebuild swaps it whole, so a request keeps the
    /// one it started with.
    index: RwLock<Arc<CampaignIndex>>,
    /// Whether any campaign has a daily cap (else the store is not asked).
    capped: AtomicBool,
    /// The Unix day and the highest count known per campaign that day.
    today: Mutex<(i64, HashMap<String, u64>)>,
    /// Serve ids whose impression this node counted, until their token expires.
    seen: Mutex<SeenIds>,
    /// Serves counted here and not yet reported to the store.
    unreported: Mutex<HashMap<AdEventKey, u64>>,
    /// The task that reports them, started by the first serve.
    reporter: OnceLock<()>,
    /// Held by the report under way: one at a time, so that a report reads
    /// back the day's counts only after the one before it wrote.
    reporting: tokio::sync::Mutex<()>,
}

/// What the choice picked.
pub(super) struct Chosen {
    pub(super) campaign: Campaign,
    pub(super) basis: Basis,
    pub(super) topic: Option<TopicId>,
}

impl AdServer {
    /// The campaigns `config` declares (the stored ones come with [`AdServer::replace_stored`]).
    pub fn new(config: &Config) -> AdServer {
        let index = CampaignIndex::new(config.campaigns.clone(), Taxonomy::v2());
        let capped = AtomicBool::new(index.campaigns().iter().any(|c| c.daily_cap.is_some()));
        AdServer {
            declared: config.campaigns.clone(),
            index: RwLock::new(Arc::new(index)),
            capped,
            today: Mutex::default(),
            seen: Mutex::default(),
            unreported: Mutex::default(),
            reporter: OnceLock::new(),
            reporting: tokio::sync::Mutex::new(()),
        }
    }

    /// The indexed campaigns, as they are now.
    pub fn index(&self) -> Arc<CampaignIndex> {
        Arc::clone(&self.index.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Rebuilds the index from the declared campaigns and `stored` (those
    /// managed on `/admin`; one whose id is declared is left out).
    pub fn replace_stored(&self, stored: Vec<Campaign>) {
        let mut campaigns = self.declared.clone();
        campaigns.extend(stored.into_iter().filter(|c| !self.declared.iter().any(|d| d.id == c.id)));
        let index = Arc::new(CampaignIndex::new(campaigns, Taxonomy::v2()));
        self.capped.store(index.campaigns().iter().any(|c| c.daily_cap.is_some()), Ordering::Relaxed);
        *self.index.write().unwrap_or_else(PoisonError::into_inner) = index;
    }

    /// Whether a daily cap binds any campaign: only then are the store's
    /// counts read.
    pub(super) fn has_daily_caps(&self) -> bool {
        self.capped.load(Ordering::Relaxed)
    }

    /// Chooses for `request` and counts the serve, under one lock:
    /// `stored` is the store's count of today's serves per campaign (every
    /// node's), `visitor` the ads shown to this visitor today.
    pub(super) fn choose(
        &self,
        request: &AdRequest<'_>,
        stored: &[(String, u64)],
        visitor: &HashMap<String, u32>,
    ) -> Option<Chosen> {
        let mut today = self.today.lock().unwrap_or_else(PoisonError::into_inner);
        if today.0 != request.day {
            *today = (request.day, HashMap::new());
        }
        for (campaign, count) in stored {
            let known = today.1.entry(campaign.clone()).or_default();
            *known = (*known).max(*count);
        }
        let index = self.index();
        let chosen = decide(&index, request, &Counts { today: &today.1, visitor }).map(|d| Chosen {
            campaign: d.campaign.clone(),
            basis: d.basis,
            topic: d.topic,
        })?;
        *today.1.entry(chosen.campaign.id.clone()).or_default() += 1;
        Some(chosen)
    }

    /// Counts a serve of `key` (not shown to a profile: those are written
    /// at once, with their log row): gathered here and reported to `store`
    /// about once a second ([`REPORT_EVERY`]) in one transaction, so that a
    /// serve costs no write of its own. A crash loses at most the last
    /// second's serve counts; impressions and clicks are written at once.
    pub(super) fn count_served(self: &Arc<Self>, key: AdEventKey, store: &Arc<dyn Store>, site: &str) {
        *self.unreported.lock().unwrap_or_else(PoisonError::into_inner).entry(key).or_default() += 1;
        self.reporter.get_or_init(|| {
            let (server, store, site) = (Arc::downgrade(self), Arc::clone(store), site.to_owned());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(REPORT_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    // The state is gone (a test's server, a reload): so is the task.
                    let Some(server) = server.upgrade() else { return };
                    if let Err(error) = server.report(store.as_ref(), &site).await {
                        tracing::warn!(%error, "ad serve counts not reported; kept for the next report");
                    }
                }
            });
        });
    }

    /// Reports the serves gathered since the last report to `store` (kept
    /// for the next report if the store fails), then, when a campaign has
    /// a daily cap, reads back every node's count of the day: the choice
    /// reads these, so that no request waits for the store.
    pub async fn report(&self, store: &dyn Store, site: &str) -> Result<(), StoreError> {
        let _one_at_a_time = self.reporting.lock().await;
        let gathered: Vec<(AdEventKey, u64)> =
            std::mem::take(&mut *self.unreported.lock().unwrap_or_else(PoisonError::into_inner)).into_iter().collect();
        if !gathered.is_empty() {
            if let Err(error) = store.add_ads_served(site, &gathered).await {
                let mut unreported = self.unreported.lock().unwrap_or_else(PoisonError::into_inner);
                for (key, n) in gathered {
                    *unreported.entry(key).or_default() += n;
                }
                return Err(error);
            }
        }
        if !self.has_daily_caps() {
            return Ok(());
        }
        let day = self.today.lock().unwrap_or_else(PoisonError::into_inner).0;
        let stored = store.ads_served_on(site, day).await?;
        let mut today = self.today.lock().unwrap_or_else(PoisonError::into_inner);
        if today.0 == day {
            for (campaign, count) in stored {
                let known = today.1.entry(campaign).or_default();
                *known = (*known).max(count);
            }
        }
        Ok(())
    }

    /// Whether serve id `serve` (whose token is valid until `expires`, Unix
    /// seconds) is seen for the first time on this node; forgets the ids
    /// whose tokens expired before `now`.
    pub(super) fn first_sighting(&self, serve: u64, expires: i64, now: i64) -> bool {
        let mut seen: MutexGuard<'_, SeenIds> = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if now >= seen.next_purge {
            seen.ids.retain(|_, until| *until >= now);
            seen.next_purge = now + 60;
        }
        seen.ids.insert(serve, expires).is_none()
    }

    /// Forgets serve id `serve` (its impression could not be counted, so a
    /// retry may count it).
    pub(super) fn forget_sighting(&self, serve: u64) {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).ids.remove(&serve);
    }
}

/// The counts as the choice reads them.
struct Counts<'a> {
    today: &'a HashMap<String, u64>,
    visitor: &'a HashMap<String, u32>,
}

impl Served for Counts<'_> {
    fn today(&self, campaign: &Campaign) -> u32 {
        u32::try_from(self.today.get(&campaign.id).copied().unwrap_or(0)).unwrap_or(u32::MAX)
    }
    fn to_visitor_today(&self, campaign: &Campaign) -> u32 {
        self.visitor.get(&campaign.id).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(cap: u32) -> AdServer {
        let text = format!(
            "{}\n[[campaign]]\nid = \"capped\"\nadvertiser = \"A\"\nlink = \"https://a.example/\"\ntext = \"t\"\ndaily_cap = {cap}\n",
            // The demo's declaration without its own campaigns.
            crumb_core::config::demo_toml_without_campaigns()
        );
        AdServer::new(&crumb_core::config::parse(&text, "crumb.toml").expect("a declaration"))
    }

    fn request(day: i64, random: u64) -> AdRequest<'static> {
        AdRequest { slot: "s", day, interests: &[], page_topics: &[], random }
    }

    /// Requests racing on several threads never take more than the cap
    /// between them: the choice and its count are under one lock.
    #[test]
    fn concurrent_choices_keep_the_daily_cap() {
        let server = std::sync::Arc::new(server(50));
        assert!(server.has_daily_caps());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let server = std::sync::Arc::clone(&server);
                std::thread::spawn(move || {
                    (0..40u64)
                        .filter(|i| server.choose(&request(7, t * 100 + i), &[], &HashMap::new()).is_some())
                        .count()
                })
            })
            .collect();
        let chosen: usize = threads.into_iter().map(|t| t.join().expect("a thread")).sum();
        assert_eq!(chosen, 50);
    }

    /// The store's count (other nodes' serves) counts, the node's own
    /// serves since count on top of a stale store count, and a new day
    /// starts again.
    #[test]
    fn the_store_count_and_the_nodes_own_serves_both_bind() {
        let server = server(3);
        let stored = [("capped".to_owned(), 2u64)];
        assert!(server.choose(&request(7, 1), &stored, &HashMap::new()).is_some());
        assert!(server.choose(&request(7, 1), &stored, &HashMap::new()).is_none(), "2 elsewhere + 1 here");
        assert!(server.choose(&request(8, 1), &[], &HashMap::new()).is_some(), "a new day");
        assert!(server.choose(&request(8, 1), &[("capped".to_owned(), 3)], &HashMap::new()).is_none());
    }

    #[test]
    fn a_serve_id_is_first_seen_once_until_forgotten() {
        let server = server(3);
        assert!(server.first_sighting(9, 100, 10));
        assert!(!server.first_sighting(9, 100, 20));
        server.forget_sighting(9);
        assert!(server.first_sighting(9, 100, 30));
    }
}
