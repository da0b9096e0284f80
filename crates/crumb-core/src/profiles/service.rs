//! What the HTTP layer calls: recording a page, answering a placement, and
//! the visitor's own view and choices (`/interests`, `GET` and `DELETE
//! /api/interests`, the account data export).
//!
//! Recording and answering need a [`Consenting`] profile: one whose visitor
//! granted marketing consent and sends no privacy signal the site honours
//! that refuses marketing (Global Privacy Control, Do Not Track; see
//! [`Signals::refuses`]). Looking at, pausing, removing from and erasing a
//! profile need only its key: a visitor may always see and delete what is
//! kept about them, also after withdrawing consent. When marketing consent
//! is withdrawn the server calls [`erase`] before it answers.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::epoch::EpochClock;
use super::keys::{ProfileKey, ProfileKeys};
use super::select::{self, History, Removed, ReturnedTopic, EPOCHS_ANSWERED};
use super::top::{top_topics, EpochTopic, TopicPool};
use crate::category::{Category, Signal, Signals};
use crate::interests::{Taxonomy, TopicId};
use crate::site::Site;
use crumb_store::profiles::{InterestObservation, ProfileChoices, ProfileDeletion, Removal, RemovedTopic};
use crumb_store::StoreError;

/// The mechanism's parts for one process: the keys and the taxonomy's topics.
#[derive(Debug)]
pub struct Profiles {
    /// The keyed hash and pseudorandom function.
    pub keys: ProfileKeys,
    /// The taxonomy's topics.
    pub pool: TopicPool,
}

impl Profiles {
    /// The mechanism under `keys` over taxonomy v2.
    pub fn new(keys: ProfileKeys) -> Self {
        Profiles { keys, pool: TopicPool::new(Taxonomy::v2()) }
    }

    /// The epoch schedule of `profile`.
    pub fn clock(&self, profile: ProfileKey) -> EpochClock {
        EpochClock::for_profile(&self.keys, profile)
    }
}

/// A profile whose visitor may be profiled now: marketing consent, no
/// refusing signal. Made only by [`Consenting::check`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consenting(ProfileKey);

/// Why a profile may not be recorded or answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotConsenting {
    /// The visitor's decision does not grant `marketing`.
    #[error("interest profiles need marketing consent")]
    NoMarketingConsent,
    /// A privacy signal the site honours refuses marketing.
    #[error("a privacy signal the site honours ({0:?}) refuses interest profiles")]
    RefusedBySignal(Signal),
}

impl Consenting {
    /// `profile`, if `granted` (the categories of the visitor's current
    /// decision) includes marketing and `signals` do not refuse it.
    pub fn check(profile: ProfileKey, granted: &BTreeSet<Category>, signals: Signals) -> Result<Self, NotConsenting> {
        if let Some(signal) = signals.refuses(Category::Marketing) {
            return Err(NotConsenting::RefusedBySignal(signal));
        }
        if !granted.contains(&Category::Marketing) {
            return Err(NotConsenting::NoMarketingConsent);
        }
        Ok(Consenting(profile))
    }

    /// The profile.
    pub fn key(self) -> ProfileKey {
        self.0
    }
}

/// Why a profile operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The topic id is not in the taxonomy (a 4xx for the caller).
    #[error("topic {0} is not in the interest taxonomy")]
    UnknownTopic(u16),
    /// The epoch is not one the profile keeps (a 4xx for the caller).
    #[error("epoch {0} is not kept for this profile (the current one and the three before it are)")]
    EpochNotKept(i64),
}

/// One page read about some topics by a consenting profile, placed in its
/// epoch: what [`observe`] writes at once, and what a node may gather and
/// write later in a batch ([`ProfileStore::write_profile_batch`](crumb_store::ProfileStore::write_profile_batch)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRead {
    /// The profile.
    pub profile: ProfileKey,
    /// The profile's epoch at `at`.
    pub epoch: i64,
    /// When that epoch began for the profile.
    pub epoch_start: i64,
    /// The page's topics that are in the taxonomy, each once.
    pub topics: Vec<u16>,
    /// When (Unix milliseconds).
    pub at: i64,
}

/// The page about `topics` that `who` read at `now`, or `None` when none
/// of its topics is in the taxonomy.
pub fn page_read(profiles: &Profiles, who: Consenting, topics: &[TopicId], now: i64) -> Option<PageRead> {
    let mut known: Vec<u16> = topics.iter().filter(|t| profiles.pool.contains(**t)).map(|t| t.0).collect();
    known.sort_unstable();
    known.dedup();
    if known.is_empty() {
        return None;
    }
    let clock = profiles.clock(who.key());
    let epoch = clock.epoch_at(now);
    Some(PageRead { profile: who.key(), epoch, epoch_start: clock.start_of(epoch), topics: known, at: now })
}

/// Records one page about `topics` for a consenting profile, in its epoch
/// at the site's clock. Topics outside the taxonomy are ignored; a paused
/// profile and topics removed for good record nothing (the store checks).
pub async fn observe(
    site: &Site,
    profiles: &Profiles,
    who: Consenting,
    topics: &[TopicId],
) -> Result<(), ProfileError> {
    let Some(read) = page_read(profiles, who, topics, site.now_millis()) else {
        return Ok(());
    };
    let name = &site.config.site_name;
    site.store.record_interests(name, read.profile.0, read.epoch, read.epoch_start, &read.topics, read.at).await?;
    Ok(())
}

/// The topics `placement` may use for a consenting profile now: see
/// [`select::answer`]. Empty for a paused profile.
pub async fn topics_for(
    site: &Site,
    profiles: &Profiles,
    who: Consenting,
    placement: &str,
) -> Result<Vec<ReturnedTopic>, ProfileError> {
    let current = profiles.clock(who.key()).epoch_at(site.now_millis());
    let inputs = answer_inputs(site, who.key(), current).await?;
    Ok(topics_from(profiles, who, placement, current, &inputs, &History::new()))
}

/// What answering reads of a profile in its epoch `current`: whether it is
/// paused, the topics removed, and the pages of the complete epochs an
/// answer reads. None of it changes during the epoch unless the visitor
/// changes their choices (each such change is noted in the store,
/// [`ProfileStore::profiles_changed_since`](crumb_store::ProfileStore::profiles_changed_since)),
/// or pages of the last epoch reach the store late (a node's batch, a
/// second or so after the epoch ended): a node may keep it for the epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AnswerInputs {
    /// The profile is paused: nothing is answered.
    pub paused: bool,
    /// The topics removed.
    pub removed: Removed,
    /// Pages per complete epoch answered (the last [`EPOCHS_ANSWERED`]).
    pub history: History,
}

/// [`AnswerInputs`] of `profile` in its epoch `current`, from the store (one read).
pub async fn answer_inputs(site: &Site, profile: ProfileKey, current: i64) -> Result<AnswerInputs, ProfileError> {
    let name = &site.config.site_name;
    let (choices, observations) = site.store.profile_for_answer(name, profile.0, current - EPOCHS_ANSWERED).await?;
    let mut history = history(&observations);
    history.retain(|epoch, _| *epoch < current);
    Ok(AnswerInputs { paused: choices.paused_since.is_some(), removed: removed(&choices), history })
}

/// The topics `placement` may use for `who` in its epoch `current` (see
/// [`select::answer`]), from `inputs` and, counted with them, `unstored`:
/// pages read but not yet in the store. Empty for a paused profile.
pub fn topics_from(
    profiles: &Profiles,
    who: Consenting,
    placement: &str,
    current: i64,
    inputs: &AnswerInputs,
    unstored: &History,
) -> Vec<ReturnedTopic> {
    if inputs.paused {
        return Vec::new();
    }
    let answered = current - EPOCHS_ANSWERED..current;
    let history = match unstored.range(answered.clone()).next() {
        None => Cow::Borrowed(&inputs.history),
        Some(_) => {
            let mut history = inputs.history.clone();
            for (epoch, topics) in unstored.range(answered) {
                let pages = history.entry(*epoch).or_default();
                for (topic, count) in topics {
                    *pages.entry(*topic).or_default() += count;
                }
            }
            Cow::Owned(history)
        }
    };
    select::answer(&profiles.keys, &profiles.pool, who.key(), current, placement, &history, &inputs.removed)
}

/// A profile as its visitor sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileView {
    /// Paused: nothing recorded, nothing returned.
    pub paused: bool,
    /// The epochs kept, newest first: the current one (not complete) and
    /// the complete ones answers read.
    pub epochs: Vec<EpochView>,
    /// Topics removed for good.
    pub removed_for_good: Vec<TopicView>,
}

/// One epoch of a [`ProfileView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EpochView {
    /// The profile's epoch number (what a removal names).
    pub epoch: i64,
    /// When it began (Unix milliseconds).
    pub start: i64,
    /// When it ends (exclusive).
    pub end: i64,
    /// Whether it is over (only complete epochs are used).
    pub complete: bool,
    /// Its top topics: read about, or padding; empty for an epoch without pages.
    pub topics: Vec<EpochTopicView>,
}

/// One top topic of an [`EpochView`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EpochTopicView {
    /// The topic and its name.
    #[serde(flatten)]
    pub topic: TopicView,
    /// Pages read about it in the epoch (0 for padding).
    pub pages: u64,
    /// Drawn at random (too few topics read about), never used as an interest.
    pub padding: bool,
    /// Removed by the visitor (from this epoch or for good): never used.
    pub removed: bool,
}

/// A topic with its taxonomy path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopicView {
    /// The topic id.
    pub id: TopicId,
    /// Its path from its root (`/Autos & Vehicles/Bicycles & Accessories`).
    pub path: &'static str,
}

fn topic_view(id: TopicId) -> TopicView {
    TopicView { id, path: Taxonomy::v2().get(id).map_or("", |topic| topic.path) }
}

/// The profile's topics per epoch, as `/interests` and `GET /api/interests`
/// show them.
pub async fn view(site: &Site, profiles: &Profiles, profile: ProfileKey) -> Result<ProfileView, ProfileError> {
    let name = &site.config.site_name;
    let clock = profiles.clock(profile);
    let current = clock.epoch_at(site.now_millis());
    let choices = site.store.profile_choices(name, profile.0).await?;
    let history = history(&site.store.interest_observations(name, profile.0, current - EPOCHS_ANSWERED).await?);
    let removed = removed(&choices);
    let epochs = (0..=EPOCHS_ANSWERED)
        .map(|back| {
            let epoch = current - back;
            let topics = match history.get(&epoch) {
                Some(pages) => top_topics(&profiles.keys, &profiles.pool, profile, epoch, pages),
                None => Vec::new(),
            };
            EpochView {
                epoch,
                start: clock.start_of(epoch),
                end: clock.end_of(epoch),
                complete: back > 0,
                topics: topics.iter().map(|t| epoch_topic_view(t, removed.hides(epoch, t.topic))).collect(),
            }
        })
        .collect();
    Ok(ProfileView {
        paused: choices.paused_since.is_some(),
        epochs,
        removed_for_good: removed.for_good.iter().map(|t| topic_view(*t)).collect(),
    })
}

fn epoch_topic_view(topic: &EpochTopic, removed: bool) -> EpochTopicView {
    EpochTopicView { topic: topic_view(topic.topic), pages: topic.pages, padding: topic.padding, removed }
}

/// Where [`remove_topic`] removes a topic from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveFrom {
    /// One of the kept epochs ([`EpochView::epoch`]).
    Epoch(i64),
    /// Every epoch, and it is no longer recorded.
    ForGood,
}

/// Removes `topic` from one kept epoch or for good. Fails with
/// [`ProfileError::UnknownTopic`] or [`ProfileError::EpochNotKept`].
pub async fn remove_topic(
    site: &Site,
    profiles: &Profiles,
    profile: ProfileKey,
    topic: TopicId,
    from: RemoveFrom,
) -> Result<(), ProfileError> {
    if !profiles.pool.contains(topic) {
        return Err(ProfileError::UnknownTopic(topic.0));
    }
    let now = site.now_millis();
    let removal = match from {
        RemoveFrom::ForGood => Removal::ForGood,
        RemoveFrom::Epoch(epoch) => {
            let clock = profiles.clock(profile);
            let current = clock.epoch_at(now);
            if !(current - EPOCHS_ANSWERED..=current).contains(&epoch) {
                return Err(ProfileError::EpochNotKept(epoch));
            }
            Removal::Epoch { epoch, epoch_start: clock.start_of(epoch) }
        }
    };
    site.store.remove_interest_topic(&site.config.site_name, profile.0, topic.0, removal, now).await?;
    Ok(())
}

/// Pauses or resumes the profile.
pub async fn set_paused(site: &Site, profile: ProfileKey, paused: bool) -> Result<(), ProfileError> {
    site.store.set_profile_paused(&site.config.site_name, profile.0, paused, site.now_millis()).await?;
    Ok(())
}

/// Deletes everything of the profile (erase-all, `DELETE /api/interests`,
/// withdrawal of marketing consent).
/// Notes the erasure's time, so that pages and ads a node gathered before
/// it and writes later are not written ([`ProfileStore::write_profile_batch`](crumb_store::ProfileStore::write_profile_batch)).
pub async fn erase(site: &Site, profile: ProfileKey) -> Result<ProfileDeletion, ProfileError> {
    Ok(site.store.erase_profile(&site.config.site_name, profile.0, site.now_millis()).await?)
}

/// Everything kept about a profile, for the account data export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileExport {
    /// Where the profile's weeks begin (milliseconds into the week).
    pub epoch_offset_millis: i64,
    /// Since when it is paused, if it is.
    pub paused_since: Option<i64>,
    /// Topics removed, from one epoch or for good.
    pub removed: Vec<RemovedTopic>,
    /// Pages read per epoch and topic.
    pub observations: Vec<InterestObservation>,
}

/// The profile's records as kept, for the account data export.
pub async fn export(site: &Site, profiles: &Profiles, profile: ProfileKey) -> Result<ProfileExport, ProfileError> {
    let name = &site.config.site_name;
    let choices = site.store.profile_choices(name, profile.0).await?;
    let observations = site.store.interest_observations(name, profile.0, i64::MIN).await?;
    Ok(ProfileExport {
        epoch_offset_millis: profiles.clock(profile).offset(),
        paused_since: choices.paused_since,
        removed: choices.removed,
        observations,
    })
}

/// Stored observations as a history.
pub fn history(observations: &[InterestObservation]) -> History {
    let mut history: History = BTreeMap::new();
    for observation in observations {
        history.entry(observation.epoch).or_default().insert(TopicId(observation.topic), observation.count);
    }
    history
}

/// Stored removals as [`Removed`].
pub fn removed(choices: &ProfileChoices) -> Removed {
    let mut removed = Removed::default();
    for removal in &choices.removed {
        match removal.epoch {
            None => removed.for_good.insert(TopicId(removal.topic)),
            Some(epoch) => removed.from_epoch.insert((epoch, TopicId(removal.topic))),
        };
    }
    removed
}
