//! What `GET /api/ad` learns about interest profiles on this node — the
//! pages a consenting visitor read and the ads shown to them on the
//! interests basis — gathered in memory and written to the store with the
//! node's next report ([`super::served::REPORT_EVERY`]), all in one
//! transaction ([`ProfileStore::write_profile_batch`]), rather than with
//! two writes of its own per request.
//!
//! What this changes for a visitor, and why it is safe:
//! - **Answers** on this node count its gathered pages with the stored
//!   ones ([`Gathered::history_of`]). Answers read only complete epochs
//!   (`crumb_core::profiles::select`), so on another node a page not yet
//!   written changes no answer, except in the second an epoch ends.
//!   A request that reads the store reads the gathered rows and then the
//!   store's while no batch is being written (`AdServer::writing_gathered`),
//!   so it counts each row once. A request answered from the profile this
//!   node keeps (`super::profile_cache`) reads no store and waits for no
//!   write: a kept profile is never from its epoch's first ten seconds, so
//!   the rows gathered for it are of its current epoch, which no answer
//!   reads (unless a failed write put older ones back: those are counted).
//! - **Frequency caps** count the ads this node gathered for the visitor
//!   as well as the stored ones ([`Gathered::add_shown_since`]); across
//!   nodes a cap may overshoot by what another node showed the same
//!   visitor in its last second.
//! - **Erasure** (withdrawal of marketing consent, erase-all) notes its
//!   time in the store; the batch write leaves out every page and ad of
//!   the profile from before it, whichever node gathered them, so a batch
//!   written after the erasure brings nothing back; the erasing node drops
//!   its own at once ([`Gathered::forget`]). Pausing the profile or
//!   removing a topic for good likewise holds for pages gathered before.
//! - **The visitor's own view** (`/interests`, `GET /api/interests`, the
//!   account export) writes this node's gathered rows first.
//! - **Durability:** a crash loses at most the last second's pages and
//!   log rows (as it loses the serve counts, [`super::served`]); `crumb
//!   serve` writes them when it stops. A failed write keeps them for the
//!   next report. At most [`MAX_GATHERED`] rows wait: beyond that, a
//!   request writes its own at once, as before.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use crumb_core::interests::TopicId;
use crumb_core::profiles::select::History;
use crumb_core::profiles::service::PageRead;
use crumb_store::profiles::{GatheredObservation, GatheredShown, InterestObservation, ProfileBatch};

/// The most rows (pages per profile, epoch and topic; ads shown) that wait
/// for a write: about 20 MB at most, and a minute of a busy node's requests.
pub const MAX_GATHERED: usize = 100_000;

/// The pages and ads gathered since the last write.
#[derive(Debug, Default)]
pub struct Gathered {
    batch: Mutex<Batch>,
}

/// Pages by profile and (epoch, topic), and ads shown by profile.
#[derive(Debug, Default)]
struct Batch {
    pages: HashMap<i64, HashMap<(i64, u16), InterestObservation>>,
    page_rows: usize,
    shown: HashMap<i64, Vec<GatheredShown>>,
    shown_rows: usize,
}

impl Batch {
    fn rows(&self) -> usize {
        self.page_rows + self.shown_rows
    }

    fn add_pages(&mut self, profile: i64, pages: InterestObservation) {
        match self.pages.entry(profile).or_default().entry((pages.epoch, pages.topic)) {
            Entry::Occupied(mut row) => {
                let row = row.get_mut();
                row.count += pages.count;
                row.first_seen = row.first_seen.min(pages.first_seen);
                row.last_seen = row.last_seen.max(pages.last_seen);
            }
            Entry::Vacant(row) => {
                row.insert(pages);
                self.page_rows += 1;
            }
        }
    }

    fn add_shown(&mut self, ad: GatheredShown) {
        self.shown.entry(ad.profile).or_default().push(ad);
        self.shown_rows += 1;
    }
}

impl Gathered {
    fn lock(&self) -> std::sync::MutexGuard<'_, Batch> {
        self.batch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gathers a page read; `false` (nothing gathered) when
    /// [`MAX_GATHERED`] rows already wait.
    pub fn page(&self, read: &PageRead) -> bool {
        let mut batch = self.lock();
        if batch.rows() + read.topics.len() > MAX_GATHERED {
            return false;
        }
        for &topic in &read.topics {
            let (epoch, epoch_start, at) = (read.epoch, read.epoch_start, read.at);
            let page = InterestObservation { epoch, epoch_start, topic, count: 1, first_seen: at, last_seen: at };
            batch.add_pages(read.profile.0, page);
        }
        true
    }

    /// Gathers an ad shown to a profile; gives it back when
    /// [`MAX_GATHERED`] rows already wait.
    pub fn shown(&self, ad: GatheredShown) -> Result<(), GatheredShown> {
        let mut batch = self.lock();
        if batch.rows() >= MAX_GATHERED {
            return Err(ad);
        }
        batch.add_shown(ad);
        Ok(())
    }

    /// Adds the ads gathered for `profile` at or after `since` to
    /// `counts`, per campaign.
    pub fn add_shown_since(&self, profile: i64, since: i64, counts: &mut HashMap<String, u32>) {
        let batch = self.lock();
        for ad in batch.shown.get(&profile).into_iter().flatten().filter(|ad| ad.at >= since) {
            *counts.entry(ad.campaign.clone()).or_default() += 1;
        }
    }

    /// The pages gathered for `profile`, by epoch and topic.
    pub fn history_of(&self, profile: i64) -> History {
        self.history_in(profile, i64::MIN..i64::MAX)
    }

    /// The pages gathered for `profile` in `epochs` (an answer reads its
    /// last complete epochs: pages of those are rarely still waiting, so
    /// this is mostly empty and allocates nothing).
    pub fn history_in(&self, profile: i64, epochs: Range<i64>) -> History {
        let batch = self.lock();
        let mut history = History::new();
        let gathered = batch.pages.get(&profile).into_iter().flat_map(HashMap::values);
        for pages in gathered.filter(|pages| epochs.contains(&pages.epoch)) {
            history.entry(pages.epoch).or_default().insert(TopicId(pages.topic), pages.count);
        }
        history
    }

    /// Drops what was gathered about `profile` (it is being erased).
    pub fn forget(&self, profile: i64) {
        let mut batch = self.lock();
        if let Some(pages) = batch.pages.remove(&profile) {
            batch.page_rows -= pages.len();
        }
        if let Some(shown) = batch.shown.remove(&profile) {
            batch.shown_rows -= shown.len();
        }
    }

    /// Takes everything gathered, for a write.
    pub fn take(&self) -> ProfileBatch {
        let batch = std::mem::take(&mut *self.lock());
        let observations = batch
            .pages
            .into_iter()
            .flat_map(|(profile, pages)| pages.into_values().map(move |pages| GatheredObservation { profile, pages }))
            .collect();
        let shown = batch.shown.into_values().flatten().collect();
        ProfileBatch { observations, shown }
    }

    /// Gives back a batch whose write failed, for the next one (above
    /// [`MAX_GATHERED`] when rows were gathered meanwhile: none is dropped).
    pub fn put_back(&self, taken: ProfileBatch) {
        let mut batch = self.lock();
        for GatheredObservation { profile, pages } in taken.observations {
            batch.add_pages(profile, pages);
        }
        for ad in taken.shown {
            batch.add_shown(ad);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crumb_core::profiles::ProfileKey;

    fn read(profile: i64, topics: &[u16], at: i64) -> PageRead {
        PageRead { profile: ProfileKey(profile), epoch: 7, epoch_start: 1_000, topics: topics.to_vec(), at }
    }

    fn ad(profile: i64, campaign: &str, at: i64) -> GatheredShown {
        GatheredShown { profile, at, campaign: campaign.into(), basis: "interests".into(), topic: Some(369) }
    }

    fn sorted(mut batch: ProfileBatch) -> ProfileBatch {
        batch.observations.sort_by_key(|o| (o.profile, o.pages.epoch, o.pages.topic));
        batch.shown.sort_by_key(|s| (s.profile, s.at));
        batch
    }

    #[test]
    fn pages_add_up_per_profile_epoch_and_topic() {
        let gathered = Gathered::default();
        assert!(gathered.page(&read(1, &[369, 1], 2_000)));
        assert!(gathered.page(&read(1, &[369], 1_500)));
        assert!(gathered.page(&read(2, &[369], 3_000)));
        let history = gathered.history_of(1);
        assert_eq!(history, History::from([(7, [(TopicId(1), 1), (TopicId(369), 2)].into())]));
        let batch = sorted(gathered.take());
        let row = |profile, topic, count, first_seen, last_seen| GatheredObservation {
            profile,
            pages: InterestObservation { epoch: 7, epoch_start: 1_000, topic, count, first_seen, last_seen },
        };
        assert_eq!(
            batch.observations,
            [row(1, 1, 1, 2_000, 2_000), row(1, 369, 2, 1_500, 2_000), row(2, 369, 1, 3_000, 3_000)]
        );
        assert!(gathered.take().is_empty(), "taken");
        assert!(gathered.history_of(1).is_empty());
    }

    #[test]
    fn a_forgotten_profile_leaves_nothing_and_frees_its_rows() {
        let gathered = Gathered::default();
        gathered.page(&read(1, &[369, 1], 2_000));
        gathered.page(&read(2, &[369], 2_000));
        gathered.shown(ad(1, "bikes", 2_000)).unwrap();
        gathered.forget(1);
        assert!(gathered.history_of(1).is_empty());
        let mut counts = HashMap::new();
        gathered.add_shown_since(1, 0, &mut counts);
        assert!(counts.is_empty());
        assert_eq!(gathered.lock().rows(), 1, "profile 2's page");
        let batch = gathered.take();
        assert_eq!((batch.observations.len(), batch.shown.len()), (1, 0));
        assert_eq!(batch.observations[0].profile, 2);
    }

    #[test]
    fn ads_shown_count_per_visitor_since_a_time() {
        let gathered = Gathered::default();
        for (profile, campaign, at) in [(1, "bikes", 100), (1, "bikes", 200), (1, "food", 300), (2, "bikes", 300)] {
            gathered.shown(ad(profile, campaign, at)).unwrap();
        }
        let mut counts = HashMap::from([("bikes".to_owned(), 5)]);
        gathered.add_shown_since(1, 150, &mut counts);
        assert_eq!(counts, HashMap::from([("bikes".to_owned(), 6), ("food".to_owned(), 1)]));
        assert_eq!(
            sorted(gathered.take()).shown,
            [ad(1, "bikes", 100), ad(1, "bikes", 200), ad(1, "food", 300), ad(2, "bikes", 300)]
        );
        let mut none = HashMap::new();
        gathered.add_shown_since(1, 0, &mut none);
        assert!(none.is_empty(), "taken with the batch");
    }

    #[test]
    fn a_failed_write_is_put_back_and_merged() {
        let gathered = Gathered::default();
        gathered.page(&read(1, &[369], 2_000));
        gathered.shown(ad(1, "bikes", 2_000)).unwrap();
        let failed = gathered.take();
        gathered.page(&read(1, &[369], 1_000));
        gathered.put_back(failed);
        let batch = gathered.take();
        assert_eq!(batch.observations.len(), 1);
        assert_eq!((batch.observations[0].pages.count, batch.observations[0].pages.first_seen), (2, 1_000));
        assert_eq!(batch.shown, [ad(1, "bikes", 2_000)]);
    }

    #[test]
    fn beyond_the_limit_nothing_is_gathered() {
        let gathered = Gathered::default();
        for profile in 0..MAX_GATHERED as i64 {
            assert!(gathered.page(&read(profile, &[1], 0)));
        }
        assert!(!gathered.page(&read(-1, &[1], 0)), "full");
        assert_eq!(gathered.shown(ad(1, "bikes", 0)), Err(ad(1, "bikes", 0)));
        assert_eq!(gathered.take().observations.len(), MAX_GATHERED);
        assert!(gathered.page(&read(-1, &[1], 0)), "room again once written");
    }
}
