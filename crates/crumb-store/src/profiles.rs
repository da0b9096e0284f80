//! Interest profiles' records: which topics a visitor with marketing consent
//! read pages about, per weekly epoch, and what the visitor decided about
//! them (topics removed from one epoch or for good, the profile paused).
//!
//! A profile is an opaque 64-bit key (a keyed hash the domain derives from
//! the visitor's id); epochs and topics are numbers the domain computes
//! (`crumb_core::profiles`). The store only counts, lists and deletes:
//! which topics a site may use is decided in the domain.
//!
//! Retention is by the epoch's start: every observation (and per-epoch
//! removal) carries the instant its epoch began for its profile, and
//! [`ProfileStore::purge_interest_epochs`] deletes the epochs that began
//! before a cut-off.

use serde::Serialize;

use crate::{StoreError, UnixMillis};

/// The pages one profile read about one topic in one epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InterestObservation {
    /// The profile's epoch number.
    pub epoch: i64,
    /// When that epoch began for the profile.
    pub epoch_start: UnixMillis,
    /// The taxonomy topic id.
    pub topic: u16,
    /// Pages read about it in the epoch.
    pub count: u64,
    /// The first of them.
    pub first_seen: UnixMillis,
    /// The last of them.
    pub last_seen: UnixMillis,
}

/// A topic the visitor removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RemovedTopic {
    /// The taxonomy topic id.
    pub topic: u16,
    /// The epoch it was removed from; `None`: removed for good (from every
    /// epoch, and never recorded again).
    pub epoch: Option<i64>,
    /// When it was removed.
    pub removed_at: UnixMillis,
}

/// What the visitor decided about their profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProfileChoices {
    /// Since when the profile is paused (nothing recorded, nothing
    /// returned), if it is.
    pub paused_since: Option<UnixMillis>,
    /// Topics removed, from one epoch or for good, by topic then epoch
    /// (for good first).
    pub removed: Vec<RemovedTopic>,
}

/// Where a removed topic is removed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// From one epoch, which began at `epoch_start` (kept as long as it).
    Epoch {
        /// The profile's epoch number.
        epoch: i64,
        /// When it began for the profile.
        epoch_start: UnixMillis,
    },
    /// From every epoch, for good.
    ForGood,
}

/// What [`ProfileStore::erase_profile`] and
/// [`ProfileStore::purge_interest_epochs`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProfileDeletion {
    /// Observation rows (one per epoch and topic).
    pub observations: u64,
    /// Removal and pause rows.
    pub choices: u64,
    /// Rows of the log of ads shown (`crate::ads`).
    pub ads_shown: u64,
}

/// Pages about one topic that a node gathered for one profile in one epoch
/// since its last batch ([`ProfileStore::write_profile_batch`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatheredObservation {
    /// The profile.
    pub profile: i64,
    /// The pages, to be added to the profile's row of their epoch and topic.
    pub pages: InterestObservation,
}

/// An ad a node showed to a profile, gathered for its next batch: a row of
/// the log of ads shown (`crate::ads`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatheredShown {
    /// The profile.
    pub profile: i64,
    /// When it was served.
    pub at: UnixMillis,
    /// The campaign's id.
    pub campaign: String,
    /// The basis it was chosen on.
    pub basis: String,
    /// The topic it was chosen through.
    pub topic: Option<u16>,
}

/// What a node gathered about profiles since its last batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileBatch {
    /// Pages read, per profile, epoch and topic.
    pub observations: Vec<GatheredObservation>,
    /// Ads shown.
    pub shown: Vec<GatheredShown>,
}

impl ProfileBatch {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.observations.is_empty() && self.shown.is_empty()
    }
}

/// Durable interest profiles (a supertrait of [`crate::Store`]).
#[async_trait::async_trait]
pub trait ProfileStore: Send + Sync {
    /// Counts one page read about each of `topics` (duplicates count once)
    /// in the profile's `epoch`, which began at `epoch_start`: creates the
    /// row or adds one to its count and widens first/last seen. Nothing is
    /// counted for a paused profile, nor for a topic removed for good. One
    /// transaction.
    async fn record_interests(
        &self,
        site: &str,
        profile: i64,
        epoch: i64,
        epoch_start: UnixMillis,
        topics: &[u16],
        at: UnixMillis,
    ) -> Result<(), StoreError>;

    /// The profile's observations of epochs `from_epoch` and later, by
    /// epoch then topic.
    async fn interest_observations(
        &self,
        site: &str,
        profile: i64,
        from_epoch: i64,
    ) -> Result<Vec<InterestObservation>, StoreError>;

    /// What the visitor decided about the profile (nothing, for an unknown one).
    async fn profile_choices(&self, site: &str, profile: i64) -> Result<ProfileChoices, StoreError>;

    /// [`ProfileStore::profile_choices`] and
    /// [`ProfileStore::interest_observations`] from `from_epoch` together,
    /// what answering a placement reads (a backend may read both in one
    /// trip; SQLite does, on one reader).
    async fn profile_for_answer(
        &self,
        site: &str,
        profile: i64,
        from_epoch: i64,
    ) -> Result<(ProfileChoices, Vec<InterestObservation>), StoreError> {
        let choices = self.profile_choices(site, profile).await?;
        let observations = self.interest_observations(site, profile, from_epoch).await?;
        Ok((choices, observations))
    }

    /// Removes `topic` from one epoch or for good (again: keeps the first
    /// removal's time). Observations stay (the domain leaves the topic
    /// out); a topic removed for good is no longer counted.
    async fn remove_interest_topic(
        &self,
        site: &str,
        profile: i64,
        topic: u16,
        removal: Removal,
        at: UnixMillis,
    ) -> Result<(), StoreError>;

    /// Pauses (`true`: since `at`, unless paused already) or resumes the profile.
    async fn set_profile_paused(
        &self,
        site: &str,
        profile: i64,
        paused: bool,
        at: UnixMillis,
    ) -> Result<(), StoreError>;

    /// Writes what a node gathered, in one transaction: each observation
    /// is added to its row as [`ProfileStore::record_interests`] adds one
    /// page (and, like it, not for a paused profile or a topic removed for
    /// good), and each ad shown is logged; but nothing of a profile erased
    /// at or after the observation's first page or the ad's serve. A batch
    /// that reaches the store after the erasure (from another node, or
    /// from this one a second later) does not bring the profile back.
    async fn write_profile_batch(&self, site: &str, batch: &ProfileBatch) -> Result<(), StoreError>;

    /// Deletes everything of the profile: observations, removals, pause,
    /// and the log of ads shown to it; and notes that it was erased `at`
    /// (see [`ProfileStore::write_profile_batch`]; the note goes with the
    /// epochs, [`ProfileStore::purge_interest_epochs`]). One transaction.
    async fn erase_profile(&self, site: &str, profile: i64, at: UnixMillis) -> Result<ProfileDeletion, StoreError>;

    /// The profiles whose choices changed (a topic removed, paused or
    /// resumed, erased) at or after `since`, in no order: each of those
    /// calls notes the time it is given.
    async fn profiles_changed_since(&self, site: &str, since: UnixMillis) -> Result<Vec<i64>, StoreError>;

    /// Deletes the observations and per-epoch removals of every profile of
    /// `site` whose epoch began at or before `started_by`, and the ads
    /// shown (`crate::ads`) and the erasure and change notes at or before
    /// it. One transaction.
    async fn purge_interest_epochs(&self, site: &str, started_by: UnixMillis) -> Result<ProfileDeletion, StoreError>;
}

/// `interest_observations`' columns, in [`observation`]'s order.
pub(crate) const OBSERVATION_COLUMNS: &str = "epoch, epoch_start, topic, count, first_seen, last_seen";

/// An `interest_observations` row ([`OBSERVATION_COLUMNS`]).
pub(crate) fn observation(row: &impl crate::rows::Columns) -> Result<InterestObservation, StoreError> {
    Ok(InterestObservation {
        epoch: row.int(0)?,
        epoch_start: row.int(1)?,
        topic: topic(row.int(2)?)?,
        count: crate::rows::count(row.int(3)?),
        first_seen: row.int(4)?,
        last_seen: row.int(5)?,
    })
}

/// The union of removals, in [`removed_topic`]'s order and
/// [`ProfileChoices::removed`]'s: topic, then for good first, then epoch.
pub(crate) const REMOVED_QUERY: &str = "SELECT topic, NULL AS epoch, blocked_at FROM interest_blocked
       WHERE site = $1 AND profile = $2
     UNION ALL
     SELECT topic, epoch, removed_at FROM interest_removed WHERE site = $1 AND profile = $2
     ORDER BY 1, 2 NULLS FIRST";

/// A row of [`REMOVED_QUERY`].
pub(crate) fn removed_topic(row: &impl crate::rows::Columns) -> Result<RemovedTopic, StoreError> {
    Ok(RemovedTopic { topic: topic(row.int(0)?)?, epoch: row.opt_int(1)?, removed_at: row.int(2)? })
}

/// A stored topic id; one outside `u16` is a damaged row.
fn topic(value: i64) -> Result<u16, StoreError> {
    u16::try_from(value).map_err(|_| StoreError::Corrupt { detail: format!("topic id {value} is not a taxonomy id") })
}

/// `topics` without repeats, in order of first appearance.
pub(crate) fn distinct(topics: &[u16]) -> Vec<u16> {
    let mut seen = Vec::with_capacity(topics.len());
    for &topic in topics {
        if !seen.contains(&topic) {
            seen.push(topic);
        }
    }
    seen
}
