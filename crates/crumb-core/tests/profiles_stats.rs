//! Statistical tests of the interest-profile mechanism over 100,000
//! synthetic visitors with six weeks of browsing each (issue 20):
//!
//! - the noise rate is 5% ± 0.5%;
//! - every returned topic comes from the visitor's last three epochs' top
//!   five, or is flagged noise;
//! - after the retention job no epoch older than four weeks is left, and
//!   answers are unchanged by it;
//! - the smallest group of visitors that any returned topic singles out,
//!   against the site's anonymity floor k.
//!
//! The histories are in memory (the mechanism's pure functions); a subset of
//! visitors also goes through a real SQLite store, the domain functions and
//! the retention job, whose answers must equal the in-memory ones. The
//! figures are printed (`cargo test -p crumb-core --test profiles_stats --
//! --nocapture`) and copied into docs/interests.md.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crumb_core::category::{Category, Signals};
use crumb_core::config::AnalyticsSettings;
use crumb_core::interests::{Taxonomy, TopicId};
use crumb_core::profiles::epoch::retention_cutoff;
use crumb_core::profiles::select::{self, History, Removed};
use crumb_core::profiles::service::{self, Consenting, Profiles};
use crumb_core::profiles::top::top_topics;
use crumb_core::profiles::{EpochClock, ProfileKey, ProfileKeys, ProfileSource, EPOCH_MILLIS, RETENTION_MILLIS};
use crumb_core::Site;
use crumb_store::sqlite::SqliteStore;

const VISITORS: usize = 100_000;
/// Visitors also run through the store and the domain functions.
const STORED_VISITORS: usize = 1_000;
const DAY: i64 = 24 * 60 * 60 * 1000;
/// Browsing spans the six weeks before NOW.
const WEEKS: i64 = 6;
const NOW: i64 = 1_765_000_000_000;
const SITE: &str = "stats";
const PLACEMENT: &str = "sidebar";

/// SplitMix64: a seeded generator, so every run draws the same histories.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// One page read: when, and the one or two topics it is about.
struct Page {
    at: i64,
    about: TopicId,
    also: Option<TopicId>,
}

impl Page {
    fn topics(&self) -> Vec<TopicId> {
        self.also.into_iter().chain([self.about]).collect()
    }
}

/// One synthetic visitor: its profile and the pages it read.
struct Visitor {
    profile: ProfileKey,
    pages: Vec<Page>,
}

/// Interests follow a Zipf-like law over the taxonomy (topic rank r drawn
/// with weight 1/r, the ranks shuffled once): a few topics are common, most
/// are rare, as on a real site. Drawn through a table of 2¹⁶ slots (the
/// rarest topic has 21).
struct Law {
    slots: Vec<TopicId>,
}

impl Law {
    fn new() -> Self {
        let mut ranked: Vec<TopicId> = Taxonomy::v2().topics().map(|t| t.id).collect();
        let mut draws = Draws(20);
        for i in (1..ranked.len()).rev() {
            ranked.swap(i, usize::try_from(draws.below(i as u64 + 1)).unwrap());
        }
        let total: f64 = (1..=ranked.len()).map(|r| 1.0 / r as f64).sum();
        let mut slots = Vec::with_capacity(1 << 16);
        let mut cumulative = 0.0;
        for (rank, topic) in ranked.iter().enumerate() {
            cumulative += 1.0 / (rank + 1) as f64 / total;
            let until = ((cumulative * 65536.0).round() as usize).min(1 << 16);
            slots.resize(until.max(slots.len()), *topic);
        }
        Law { slots }
    }

    fn draw(&self, draws: &mut Draws) -> TopicId {
        self.slots[usize::try_from(draws.next() >> 48).unwrap()]
    }
}

/// Visitor `i` (its draws seeded by `i`, so any visitor can be made again
/// alone): 1–4 interests from the law; on 30% of the days of the six
/// weeks it reads 1–4 pages, each about one of its interests (80%) or a
/// topic of the law (20%), sometimes (10%) about a second topic too.
fn visitor(keys: &ProfileKeys, law: &Law, i: usize) -> Visitor {
    let mut draws = Draws(0x5eed_0000_0000 ^ i as u64);
    let profile = keys.profile_key(SITE, ProfileSource::Browser(&format!("visitor-{i}")));
    let interests: Vec<TopicId> = (0..1 + draws.below(4)).map(|_| law.draw(&mut draws)).collect();
    let mut pages = Vec::new();
    for day in 0..WEEKS * 7 {
        if !draws.chance(30) {
            continue;
        }
        for _ in 0..1 + draws.below(4) {
            let at = NOW - WEEKS * EPOCH_MILLIS + day * DAY + i64::try_from(draws.below(DAY as u64)).unwrap();
            let about = if draws.chance(80) {
                interests[usize::try_from(draws.below(interests.len() as u64)).unwrap()]
            } else {
                law.draw(&mut draws)
            };
            let also = draws.chance(10).then(|| law.draw(&mut draws));
            pages.push(Page { at, about, also });
        }
    }
    Visitor { profile, pages }
}

/// A visitor's history as the store would keep it (a topic counted once per page).
fn history(clock: &EpochClock, pages: &[Page]) -> History {
    let mut history: History = BTreeMap::new();
    for page in pages {
        let epoch = history.entry(clock.epoch_at(page.at)).or_default();
        *epoch.entry(page.about).or_default() += 1;
        if let Some(also) = page.also.filter(|also| *also != page.about) {
            *epoch.entry(also).or_default() += 1;
        }
    }
    history
}

/// What the retention job leaves at `now`: epochs that began after the cut-off.
fn retain(clock: &EpochClock, history: &mut History, now: i64) {
    history.retain(|epoch, _| clock.start_of(*epoch) > retention_cutoff(now));
}

fn keys() -> ProfileKeys {
    ProfileKeys::from_keyring(&crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[42; 32]).unwrap()))
}

/// What the visitors of one thread gave.
#[derive(Default)]
struct Tally {
    picks: u64,
    noisy_picks: u64,
    returned: u64,
    returned_noise: u64,
    empty_answers: u64,
    oldest_kept_age: i64,
    epochs_purged: usize,
    /// Topic → (visitors it was returned to, of whom by noise).
    recipients: BTreeMap<TopicId, (usize, usize)>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.picks += other.picks;
        self.noisy_picks += other.noisy_picks;
        self.returned += other.returned;
        self.returned_noise += other.returned_noise;
        self.empty_answers += other.empty_answers;
        self.oldest_kept_age = self.oldest_kept_age.max(other.oldest_kept_age);
        self.epochs_purged += other.epochs_purged;
        for (topic, (all, noise)) in other.recipients {
            let entry = self.recipients.entry(topic).or_default();
            entry.0 += all;
            entry.1 += noise;
        }
    }

    /// One visitor: its history after retention, its answer and the
    /// answer's working, checked and counted.
    fn visit(&mut self, profiles: &Profiles, visitor: &Visitor, index: usize) {
        let clock = profiles.clock(visitor.profile);
        let current = clock.epoch_at(NOW);
        let mut kept = history(&clock, &visitor.pages);
        let explain = |history: &History| {
            select::explain(
                &profiles.keys,
                &profiles.pool,
                visitor.profile,
                current,
                PLACEMENT,
                history,
                &Removed::default(),
            )
        };
        // One visitor in ten: the answer before retention, to compare.
        let before_retention = (index % 10 == 0).then(|| explain(&kept).topics);
        let epochs_before = kept.len();
        retain(&clock, &mut kept, NOW);
        self.epochs_purged += epochs_before - kept.len();
        for epoch in kept.keys() {
            assert!(clock.start_of(*epoch) > NOW - RETENTION_MILLIS, "an epoch older than four weeks survived");
            self.oldest_kept_age = self.oldest_kept_age.max(NOW - clock.start_of(*epoch));
        }
        let answer = explain(&kept);
        if let Some(before) = before_retention {
            assert_eq!(answer.topics, before, "retention never deletes what an answer reads");
        }
        // The picks, before filtering: the noise rate.
        for pick in &answer.picks {
            self.picks += 1;
            self.noisy_picks += u64::from(pick.pick.noise);
        }
        assert!(answer.topics.len() <= 3);
        self.empty_answers += u64::from(answer.topics.is_empty());
        for topic in &answer.topics {
            assert!((current - 3..current).contains(&topic.epoch), "{topic:?} is not from the last three epochs");
            // The epoch's top five, computed again on their own (one visitor in ten).
            let top: Vec<TopicId> = if index % 10 == 0 {
                top_topics(&profiles.keys, &profiles.pool, visitor.profile, topic.epoch, &kept[&topic.epoch])
                    .iter()
                    .map(|t| t.topic)
                    .collect()
            } else {
                answer.picks.iter().find(|p| p.epoch == topic.epoch).unwrap().top.iter().map(|t| t.topic).collect()
            };
            assert!(
                topic.noise || top.contains(&topic.topic),
                "{topic:?} is neither in its epoch's top five nor noise"
            );
            self.returned += 1;
            self.returned_noise += u64::from(topic.noise);
            let entry = self.recipients.entry(topic.topic).or_default();
            entry.0 += 1;
            entry.1 += usize::from(topic.noise);
        }
    }
}

/// Threads the visitors are shared among (each visitor is independent).
const THREADS: usize = 2;

#[test]
fn the_mechanism_over_100k_visitors() {
    let profiles = Profiles::new(keys());
    let law = Law::new();
    let k = AnalyticsSettings::default().min_visitors as usize;
    let mut tally = Tally::default();
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (profiles, law) = (&profiles, &law);
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for index in (thread..VISITORS).step_by(THREADS) {
                        tally.visit(profiles, &visitor(&profiles.keys, law, index), index);
                    }
                    tally
                })
            })
            .collect();
        for thread in threads {
            tally.add(thread.join().unwrap());
        }
    });

    let noise_rate = tally.noisy_picks as f64 / tally.picks as f64;
    let recipients = &tally.recipients;
    let (smallest_topic, (smallest, smallest_noise)) = recipients.iter().min_by_key(|(_, (n, _))| *n).unwrap();
    let topics_never_returned = Taxonomy::v2().len() - recipients.len();
    let noise_only = recipients.values().filter(|(n, noise)| n == noise).count();
    println!("profiles: {VISITORS} visitors, {WEEKS} weeks of pages, placement {PLACEMENT:?}, now = {NOW}");
    println!(
        "  epoch picks: {}; noise {} = {:.3}% (required 5% ± 0.5%)",
        tally.picks,
        tally.noisy_picks,
        100.0 * noise_rate
    );
    println!(
        "  topics returned: {} ({:.2} per visitor), {} of them noise ({:.2}%); empty answers: {}",
        tally.returned,
        tally.returned as f64 / VISITORS as f64,
        tally.returned_noise,
        100.0 * tally.returned_noise as f64 / tally.returned as f64,
        tally.empty_answers
    );
    println!(
        "  retention: {} epochs deleted; the oldest kept began {:.2} days before now (limit 28)",
        tally.epochs_purged,
        tally.oldest_kept_age as f64 / DAY as f64
    );
    println!(
        "  topics returned to anyone: {} of {}; smallest group: {smallest} visitors (topic {smallest_topic}, {smallest_noise} of them by noise); k = {k}",
        recipients.len(),
        Taxonomy::v2().len()
    );
    println!("  topics returned only as noise: {noise_only}; topics never returned: {topics_never_returned}");
    let mut sizes: Vec<usize> = recipients.values().map(|(n, _)| *n).collect();
    sizes.sort_unstable();
    println!(
        "  group sizes: min {}, 1st percentile {}, median {}, max {}",
        sizes[0],
        sizes[sizes.len() / 100],
        sizes[sizes.len() / 2],
        sizes[sizes.len() - 1]
    );

    assert!((0.045..=0.055).contains(&noise_rate), "noise rate {noise_rate}");
    assert!(tally.oldest_kept_age < RETENTION_MILLIS && tally.epochs_purged > 0);
    assert!(*smallest >= k, "topic {smallest_topic} singles out {smallest} visitors, fewer than k = {k}");
}

/// A settable clock for a [`Site`].
fn site_at(now: &Arc<AtomicI64>) -> Site {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mut config = crumb_core::config::demo();
    config.site_name = SITE.to_owned();
    let now = Arc::clone(now);
    Site::with_clock(Arc::new(config), store, Arc::new(move || now.load(Ordering::SeqCst)))
}

/// The first visitors through a real store: pages recorded with `observe`
/// at their instants, the retention job run at NOW, then every epoch left
/// began less than four weeks ago and `topics_for` answers what the
/// in-memory mechanism answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_profiles_agree_and_the_retention_job_deletes_old_epochs() {
    let profiles = Profiles::new(keys());
    let now = Arc::new(AtomicI64::new(0));
    let site = site_at(&now);
    let law = Law::new();
    let visitors: Vec<Visitor> = (0..STORED_VISITORS).map(|i| visitor(&profiles.keys, &law, i)).collect();
    let granted: BTreeSet<Category> = [Category::Necessary, Category::Marketing].into();
    for visitor in &visitors {
        let who = Consenting::check(visitor.profile, &granted, Signals::default()).unwrap();
        for page in &visitor.pages {
            now.store(page.at, Ordering::SeqCst);
            service::observe(&site, &profiles, who, &page.topics()).await.unwrap();
        }
    }
    now.store(NOW, Ordering::SeqCst);
    let purged = crumb_core::profiles::jobs::purge_expired(&site).await.unwrap();
    assert!(purged.observations > 0, "six weeks of pages: the oldest epochs went");
    let mut answered = 0;
    for visitor in &visitors {
        let clock = profiles.clock(visitor.profile);
        let kept = service::export(&site, &profiles, visitor.profile).await.unwrap().observations;
        assert!(kept.iter().all(|o| o.epoch_start > NOW - RETENTION_MILLIS), "nothing four weeks old is left");
        let mut expected = history(&clock, &visitor.pages);
        retain(&clock, &mut expected, NOW);
        assert_eq!(service::history(&kept), expected);
        let who = Consenting::check(visitor.profile, &granted, Signals::default()).unwrap();
        let stored = service::topics_for(&site, &profiles, who, PLACEMENT).await.unwrap();
        let in_memory = select::answer(
            &profiles.keys,
            &profiles.pool,
            visitor.profile,
            clock.epoch_at(NOW),
            PLACEMENT,
            &history(&clock, &visitor.pages),
            &Removed::default(),
        );
        assert_eq!(stored, in_memory);
        answered += usize::from(!stored.is_empty());
    }
    println!(
        "profiles through SQLite: {STORED_VISITORS} visitors, {} rows purged, {answered} with topics",
        purged.observations
    );
    assert!(answered > STORED_VISITORS / 2);
}
