//! Ad events' records: daily counters per (site, day, campaign, slot,
//! basis, topic) of ads served, seen (impressions) and clicked, and the
//! per-profile log of the ads shown on the interests basis.
//!
//! The counters serve daily caps (read across nodes) and reports; they hold
//! no visitor. The log holds a profile key (a keyed hash, never a cookie),
//! and serves the per-visitor frequency cap and the visitor's own "why this
//! ad": it is deleted with the profile
//! ([`ProfileStore::erase_profile`](crate::ProfileStore::erase_profile)) and
//! after four weeks
//! ([`ProfileStore::purge_interest_epochs`](crate::ProfileStore::purge_interest_epochs)
//! deletes the rows shown at or before its cut-off).

use serde::Serialize;

use crate::{StoreError, UnixMillis};

/// What one counter row is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct AdEventKey {
    /// The Unix day (days since 1970-01-01, UTC).
    pub day: i64,
    /// The campaign's id.
    pub campaign: String,
    /// The slot's name.
    pub slot: String,
    /// Why it was chosen: `interests`, `context` or `none`.
    pub basis: String,
    /// The topic that matched, if any.
    pub topic: Option<u16>,
}

/// Which counter an event adds one to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdEvent {
    /// The ad was chosen and sent to a slot.
    Served,
    /// The slot was visible.
    Impression,
    /// The ad was clicked.
    Click,
}

/// An ad shown to a profile, as logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdShown {
    /// When.
    pub at: UnixMillis,
    /// The campaign's id.
    pub campaign: String,
    /// Why (`interests`).
    pub basis: String,
    /// The topic that matched.
    pub topic: Option<u16>,
}

/// One counter row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdCountRow {
    /// What it counts.
    pub key: AdEventKey,
    /// Ads served.
    pub served: u64,
    /// Ads seen.
    pub impressions: u64,
    /// Ads clicked.
    pub clicks: u64,
}

/// Durable ad events (a supertrait of [`crate::Store`]).
#[async_trait::async_trait]
pub trait AdStore: Send + Sync {
    /// Adds one to the `event` counter of `key`; for a served ad shown to a
    /// profile (`shown_to`: the profile and when), also logs it for that
    /// profile. One transaction.
    async fn record_ad_event(
        &self,
        site: &str,
        key: &AdEventKey,
        event: AdEvent,
        shown_to: Option<(i64, UnixMillis)>,
    ) -> Result<(), StoreError>;

    /// Adds each `served` count to its key's `served` counter: the serves
    /// a node gathered since its last report, in one transaction.
    async fn add_ads_served(&self, site: &str, served: &[(AdEventKey, u64)]) -> Result<(), StoreError>;

    /// Ads served on Unix day `day`, per campaign (every node's), by campaign id.
    async fn ads_served_on(&self, site: &str, day: i64) -> Result<Vec<(String, u64)>, StoreError>;

    /// The ads logged for `profile` at or after `since`, newest first.
    async fn ads_shown_to(&self, site: &str, profile: i64, since: UnixMillis) -> Result<Vec<AdShown>, StoreError>;

    /// The counter rows of days `from_day` to `to_day` (both included), by
    /// day, campaign, slot, basis, topic (none first).
    async fn ad_counts(&self, site: &str, from_day: i64, to_day: i64) -> Result<Vec<AdCountRow>, StoreError>;
}

/// The counter upsert (`$1` site, `$2` day, `$3` campaign, `$4` slot,
/// `$5` basis, `$6` topic or -1, `$7..$9` served, impressions, clicks).
pub(crate) const COUNT: &str = "INSERT INTO ad_counts
       (site, day, campaign, slot, basis, topic, served, impressions, clicks)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (site, day, campaign, slot, basis, topic) DO UPDATE SET
       served = ad_counts.served + excluded.served,
       impressions = ad_counts.impressions + excluded.impressions,
       clicks = ad_counts.clicks + excluded.clicks";

/// The log insert (`$1` site, `$2` profile, `$3` at, `$4` campaign, `$5` basis, `$6` topic).
pub(crate) const LOG: &str =
    "INSERT INTO ads_shown (site, profile, at, campaign, basis, topic) VALUES ($1, $2, $3, $4, $5, $6)";

/// Served per campaign on a day (`$1` site, `$2` day).
pub(crate) const SERVED_ON: &str = "SELECT campaign, CAST(SUM(served) AS BIGINT) FROM ad_counts
     WHERE site = $1 AND day = $2 GROUP BY campaign ORDER BY campaign";

/// A profile's log (`$1` site, `$2` profile, `$3` since).
pub(crate) const SHOWN_TO: &str = "SELECT at, campaign, basis, topic FROM ads_shown
     WHERE site = $1 AND profile = $2 AND at >= $3 ORDER BY at DESC, campaign";

/// Counter rows (`$1` site, `$2` from day, `$3` to day).
pub(crate) const COUNTS: &str = "SELECT day, campaign, slot, basis, topic, served, impressions, clicks FROM ad_counts
     WHERE site = $1 AND day >= $2 AND day <= $3 ORDER BY day, campaign, slot, basis, topic";

/// The three counter increments of `event`.
pub(crate) fn increments(event: AdEvent) -> [i64; 3] {
    match event {
        AdEvent::Served => [1, 0, 0],
        AdEvent::Impression => [0, 1, 0],
        AdEvent::Click => [0, 0, 1],
    }
}

/// The stored topic: -1 for none.
pub(crate) fn stored_topic(topic: Option<u16>) -> i64 {
    topic.map_or(-1, i64::from)
}

/// A stored topic (-1 or NULL: none); one outside `u16` is a damaged row.
pub(crate) fn topic_of(value: Option<i64>) -> Result<Option<u16>, StoreError> {
    match value {
        None | Some(-1) => Ok(None),
        Some(id) => u16::try_from(id)
            .map(Some)
            .map_err(|_| StoreError::Corrupt { detail: format!("ad topic id {id} is not a taxonomy id") }),
    }
}

/// A row of [`SERVED_ON`].
pub(crate) fn served_row(row: &impl crate::rows::Columns) -> Result<(String, u64), StoreError> {
    Ok((row.text(0)?, crate::rows::count(row.int(1)?)))
}

/// A row of [`SHOWN_TO`].
pub(crate) fn shown_row(row: &impl crate::rows::Columns) -> Result<AdShown, StoreError> {
    Ok(AdShown { at: row.int(0)?, campaign: row.text(1)?, basis: row.text(2)?, topic: topic_of(row.opt_int(3)?)? })
}

/// A row of [`COUNTS`].
pub(crate) fn count_row(row: &impl crate::rows::Columns) -> Result<AdCountRow, StoreError> {
    Ok(AdCountRow {
        key: AdEventKey {
            day: row.int(0)?,
            campaign: row.text(1)?,
            slot: row.text(2)?,
            basis: row.text(3)?,
            topic: topic_of(Some(row.int(4)?))?,
        },
        served: crate::rows::count(row.int(5)?),
        impressions: crate::rows::count(row.int(6)?),
        clicks: crate::rows::count(row.int(7)?),
    })
}
