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
//! (the store's, or its own serves since) in an atomic counter beside the
//! index, and a serve of a capped campaign takes its place in that count
//! only while the count is below the cap: two requests of one node never
//! both take a campaign's last serve (the second chooses again), no
//! request waits for another's choice, and none waits for the store.
//! Across nodes a cap may overshoot by what the other nodes served in
//! about two seconds (one report interval each way).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock};

use crumb_store::ads::AdEventKey;
use crumb_store::{Store, StoreError};

use crumb_core::ads::campaign::Campaign;
use crumb_core::ads::decide::{decide, AdRequest, Basis, Served};
use crumb_core::ads::CampaignIndex;
use crumb_core::config::Config;
use crumb_core::interests::{Taxonomy, TopicId};

use super::gathered::Gathered;
use super::profile_cache::ProfileCache;
use crumb_core::Clock;

/// The site's clock (Unix milliseconds), which the notes of changes use.
struct SiteClock(Clock);

impl std::fmt::Debug for SiteClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteClock")
    }
}

/// How far back of its last look a node asks which profiles changed: more
/// than nodes' clocks differ, and than a change takes to commit.
pub const CHANGES_OVERLAP_MILLIS: i64 = 10_000;

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

/// An index and one day's serves per campaign, by position in it: replaced
/// whole when the index is rebuilt (the counts carried over by campaign id)
/// or a new day starts (from zero), so a request keeps the one it started
/// with.
#[derive(Debug)]
struct Live {
    index: Arc<CampaignIndex>,
    /// The Unix day the counts are for.
    day: i64,
    /// The highest count known per campaign that day, by position.
    counts: Vec<AtomicU64>,
}

impl Live {
    fn new(index: Arc<CampaignIndex>, day: i64) -> Live {
        let counts = index.campaigns().iter().map(|_| AtomicU64::new(0)).collect();
        Live { index, day, counts }
    }

    /// Raises campaign `id`'s count to `count` if that is higher.
    fn raise(&self, id: &str, count: u64) {
        if let Some(position) = self.index.position(id) {
            self.counts[position].fetch_max(count, Ordering::Relaxed);
        }
    }
}

/// The campaigns of the declaration and the stored ones, indexed, and
/// today's counts.
#[derive(Debug)]
pub struct AdServer {
    /// The declared campaigns, which every index starts with.
    declared: Vec<Campaign>,
    /// The current index and the day's counts.
    live: RwLock<Arc<Live>>,
    /// Whether any campaign has a daily cap (else the store is not asked).
    capped: AtomicBool,
    /// Whether any campaign has a per-visitor frequency cap (else a
    /// visitor's ads shown today are not read).
    frequency_capped: AtomicBool,
    /// Serve ids whose impression this node counted, until their token expires.
    seen: Mutex<SeenIds>,
    /// Serves counted here and not yet reported to the store.
    unreported: Mutex<HashMap<AdEventKey, u64>>,
    /// Pages and ads shown on the interests basis, not yet written.
    pub gathered: Gathered,
    /// Held shared by a request that reads a profile (its gathered rows,
    /// then the store's), and exclusively while gathered rows are taken
    /// and written: so that a request counts each row once, from one
    /// place or the other, never from neither or both.
    pub(super) writing_gathered: tokio::sync::RwLock<()>,
    /// What answering read of profiles, for their current epoch.
    pub kept_profiles: ProfileCache,
    /// When the last report asked the store which profiles changed (the
    /// site's clock); at first, when the node started (nothing is kept
    /// from before).
    changes_read_at: Mutex<i64>,
    /// The site's clock.
    clock: SiteClock,
    /// The task that reports them, started by the first serve.
    reporter: OnceLock<()>,
    /// Held by the report under way: one at a time, so that a report reads
    /// back the day's counts only after the one before it wrote.
    reporting: tokio::sync::Mutex<()>,
}

/// What the choice picked: the campaign (in the index it was chosen
/// from, held as long as the request needs it), why, and through which topic.
pub(super) struct Chosen {
    live: Arc<Live>,
    position: usize,
    pub(super) basis: Basis,
    pub(super) topic: Option<TopicId>,
}

impl Chosen {
    /// The chosen campaign.
    pub(super) fn campaign(&self) -> &Campaign {
        &self.live.index.campaigns()[self.position]
    }
}

impl AdServer {
    /// The campaigns `config` declares (the stored ones come with [`AdServer::replace_stored`]).
    pub fn new(config: &Config, clock: Clock) -> AdServer {
        let index = CampaignIndex::new(config.campaigns.clone(), Taxonomy::v2());
        let capped = AtomicBool::new(index.campaigns().iter().any(|c| c.daily_cap.is_some()));
        let frequency_capped = AtomicBool::new(index.campaigns().iter().any(|c| c.frequency_cap.is_some()));
        AdServer {
            declared: config.campaigns.clone(),
            live: RwLock::new(Arc::new(Live::new(Arc::new(index), i64::MIN))),
            capped,
            frequency_capped,
            seen: Mutex::default(),
            unreported: Mutex::default(),
            gathered: Gathered::default(),
            writing_gathered: tokio::sync::RwLock::new(()),
            kept_profiles: ProfileCache::default(),
            changes_read_at: Mutex::new(clock()),
            clock: SiteClock(clock),
            reporter: OnceLock::new(),
            reporting: tokio::sync::Mutex::new(()),
        }
    }

    fn live(&self) -> Arc<Live> {
        Arc::clone(&self.live.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The index with the counts of `day`: a new day starts from zero.
    fn live_on(&self, day: i64) -> Arc<Live> {
        let live = self.live();
        if live.day == day {
            return live;
        }
        let mut current = self.live.write().unwrap_or_else(PoisonError::into_inner);
        if current.day != day {
            *current = Arc::new(Live::new(Arc::clone(&current.index), day));
        }
        Arc::clone(&current)
    }

    /// The indexed campaigns, as they are now.
    pub fn index(&self) -> Arc<CampaignIndex> {
        Arc::clone(&self.live().index)
    }

    /// Rebuilds the index from the declared campaigns and `stored` (those
    /// managed on `/admin`; one whose id is declared is left out). The
    /// day's counts go with each campaign's id into the new index.
    pub fn replace_stored(&self, stored: Vec<Campaign>) {
        let mut campaigns = self.declared.clone();
        campaigns.extend(stored.into_iter().filter(|c| !self.declared.iter().any(|d| d.id == c.id)));
        let index = Arc::new(CampaignIndex::new(campaigns, Taxonomy::v2()));
        self.capped.store(index.campaigns().iter().any(|c| c.daily_cap.is_some()), Ordering::Relaxed);
        self.frequency_capped.store(index.campaigns().iter().any(|c| c.frequency_cap.is_some()), Ordering::Relaxed);
        let mut current = self.live.write().unwrap_or_else(PoisonError::into_inner);
        let next = Live::new(index, current.day);
        for (campaign, count) in current.index.campaigns().iter().zip(&current.counts) {
            next.raise(&campaign.id, count.load(Ordering::Relaxed));
        }
        *current = Arc::new(next);
    }

    /// Whether a daily cap binds any campaign: only then are the store's
    /// counts read.
    pub(super) fn has_daily_caps(&self) -> bool {
        self.capped.load(Ordering::Relaxed)
    }

    /// Whether a per-visitor frequency cap binds any campaign: only then
    /// are a visitor's ads shown today read before the choice.
    pub(super) fn has_frequency_caps(&self) -> bool {
        self.frequency_capped.load(Ordering::Relaxed)
    }

    /// Chooses for `request` and counts the serve in the day's counts
    /// (`visitor`: the ads shown to this visitor today). A capped campaign
    /// is taken only while its count is below the cap; when another
    /// request took its last serve between this one's choice and count, the
    /// choice is made again, and that campaign is now at its cap.
    pub(super) fn choose(&self, request: &AdRequest<'_>, visitor: &HashMap<String, u32>) -> Option<Chosen> {
        let live = self.live_on(request.day);
        loop {
            let decision = decide(&live.index, request, &Counts { counts: &live.counts, visitor })?;
            let count = &live.counts[decision.position];
            let taken = match decision.campaign.daily_cap {
                None => {
                    count.fetch_add(1, Ordering::Relaxed);
                    true
                }
                Some(cap) => count
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < u64::from(cap)).then_some(n + 1))
                    .is_ok(),
            };
            if taken {
                let (position, basis, topic) = (decision.position, decision.basis, decision.topic);
                return Some(Chosen { live, position, basis, topic });
            }
        }
    }

    /// Counts a serve of `key` (not shown to a profile: those are written
    /// at once, with their log row): gathered here and reported to `store`
    /// about once a second ([`REPORT_EVERY`]) in one transaction, so that a
    /// serve costs no write of its own. A crash loses at most the last
    /// second's serve counts; impressions and clicks are written at once.
    pub(super) fn count_served(self: &Arc<Self>, key: AdEventKey, store: &Arc<dyn Store>, site: &str) {
        *self.unreported.lock().unwrap_or_else(PoisonError::into_inner).entry(key).or_default() += 1;
        self.start_reporter(store, site);
    }

    /// Makes this node report only when [`AdServer::report`] is called: no
    /// task is started. For a program that reports on its own schedule,
    /// and for tests that say exactly when a node reports.
    pub fn report_by_hand(&self) {
        // Set, the task is never started (`start_reporter` starts it only
        // when unset); already set, it runs already: nothing to change.
        let _ = self.reporter.set(());
    }

    /// Starts the task that reports about once a second, unless it runs.
    pub(super) fn start_reporter(self: &Arc<Self>, store: &Arc<dyn Store>, site: &str) {
        self.reporter.get_or_init(|| {
            let (server, store, site) = (Arc::downgrade(self), Arc::clone(store), site.to_owned());
            tokio::spawn(async move {
                // The first report a period after the start, not at once:
                // what started the task has just been gathered.
                let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + REPORT_EVERY, REPORT_EVERY);
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

    /// Writes the pages and ads shown gathered on the interests basis
    /// ([`super::gathered`]); kept for the next write if the store fails.
    pub async fn write_gathered(&self, store: &dyn Store, site: &str) -> Result<(), StoreError> {
        let _no_reader = self.writing_gathered.write().await;
        let batch = self.gathered.take();
        if batch.is_empty() {
            return Ok(());
        }
        let written = store.write_profile_batch(site, &batch).await;
        match written {
            Ok(()) => {
                for page in &batch.observations {
                    self.kept_profiles.forget_if_past(page.profile, page.pages.epoch);
                }
            }
            Err(_) => self.gathered.put_back(batch),
        }
        written
    }

    /// Forgets the kept profiles whose choices changed on any node since
    /// the last time this was asked (less [`CHANGES_OVERLAP_MILLIS`], for
    /// nodes whose clocks differ a little).
    pub async fn forget_changed_profiles(&self, store: &dyn Store, site: &str) -> Result<(), StoreError> {
        let now = (self.clock.0)();
        let last = *self.changes_read_at.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = store.profiles_changed_since(site, last - CHANGES_OVERLAP_MILLIS).await?;
        if !changed.is_empty() {
            self.kept_profiles.forget(&changed);
        }
        *self.changes_read_at.lock().unwrap_or_else(PoisonError::into_inner) = now;
        Ok(())
    }

    /// Reports what was gathered since the last report to `store` (kept
    /// for the next report if the store fails): the pages and ads shown on
    /// the interests basis, and the serves; then, when a campaign has a
    /// daily cap, reads back every node's count of the day: the choice
    /// reads these, so that no request waits for the store.
    pub async fn report(&self, store: &dyn Store, site: &str) -> Result<(), StoreError> {
        let _one_at_a_time = self.reporting.lock().await;
        let profiles = self.write_gathered(store, site).await;
        let changes = self.forget_changed_profiles(store, site).await;
        let counts = self.report_counts(store, site).await;
        profiles.and(changes).and(counts)
    }

    /// The serve counts' part of [`AdServer::report`].
    async fn report_counts(&self, store: &dyn Store, site: &str) -> Result<(), StoreError> {
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
        let day = self.live().day;
        let stored = store.ads_served_on(site, day).await?;
        self.absorb(day, &stored);
        Ok(())
    }

    /// Raises the counts of `day` to the store's (every node's serves),
    /// where they are higher; counts of another day are dropped.
    fn absorb(&self, day: i64, stored: &[(String, u64)]) {
        let live = self.live();
        if live.day == day {
            for (campaign, count) in stored {
                live.raise(campaign, *count);
            }
        }
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
    counts: &'a [AtomicU64],
    visitor: &'a HashMap<String, u32>,
}

impl Served for Counts<'_> {
    fn today(&self, position: usize, _: &Campaign) -> u32 {
        u32::try_from(self.counts[position].load(Ordering::Relaxed)).unwrap_or(u32::MAX)
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
        AdServer::new(&crumb_core::config::parse(&text, "crumb.toml").expect("a declaration"), Arc::new(|| 0))
    }

    fn request(day: i64, random: u64) -> AdRequest<'static> {
        AdRequest { slot: "s", day, interests: &[], page_topics: &[], random }
    }

    /// Requests racing on several threads never take more than the cap
    /// between them: a serve takes its place in the count only below the cap.
    #[test]
    fn concurrent_choices_keep_the_daily_cap() {
        let server = std::sync::Arc::new(server(50));
        assert!(server.has_daily_caps());
        assert!(!server.has_frequency_caps(), "no campaign caps a visitor: their ads shown are not read");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let server = std::sync::Arc::clone(&server);
                std::thread::spawn(move || {
                    (0..40u64).filter(|i| server.choose(&request(7, t * 100 + i), &HashMap::new()).is_some()).count()
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
        let none = HashMap::new();
        assert!(server.choose(&request(7, 1), &none).is_some(), "the day's live counts start");
        server.absorb(7, &[("capped".to_owned(), 2)]);
        assert!(server.choose(&request(7, 1), &none).is_some());
        assert!(server.choose(&request(7, 1), &none).is_none(), "2 known to the store, 1 served here since");
        server.absorb(7, &[("capped".to_owned(), 1)]);
        assert!(server.choose(&request(7, 1), &none).is_none(), "a lower stored count does not lower it");
        assert!(server.choose(&request(8, 1), &none).is_some(), "a new day");
        server.absorb(7, &[("capped".to_owned(), 0)]);
        server.absorb(8, &[("capped".to_owned(), 3)]);
        assert!(server.choose(&request(8, 1), &none).is_none());
    }

    /// A rebuilt index (a campaign added on `/admin`) keeps the day's counts.
    #[test]
    fn a_rebuilt_index_keeps_the_days_counts() {
        let server = server(2);
        let none = HashMap::new();
        assert!(server.choose(&request(7, 1), &none).is_some());
        assert!(server.choose(&request(7, 1), &none).is_some());
        server.replace_stored(Vec::new());
        assert!(server.choose(&request(7, 1), &none).is_none(), "still at its cap");
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
