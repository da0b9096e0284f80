//! Aggregated anonymous statistics: raw events, their rollups and the
//! [`AnalyticsStore`] trait both backends implement.
//!
//! What is stored, and what is not:
//!
//! - a raw event ([`EventRecord`]) holds a *visitor key* — a keyed hash of
//!   the visitor cookie, or of a daily salt with the client's address and
//!   user agent when the site counts cookieless — never the cookie value,
//!   the address or the user agent; browser, OS and device class are
//!   derived before storage. Raw events are kept for the configured number
//!   of days, then purged.
//! - hourly and daily rollup rows ([`RollupRow`]) are kept for good: counts
//!   and a [`VisitorSketch`] per (bucket, dimension, value). Reports over
//!   long ranges read only rollups.
//!
//! How a visit is cut ([`rollup`]): the events of one visitor key, in time
//! order, with a new visit after 30 minutes without an event and at each
//! UTC midnight (so every day rolls up on its own).

pub mod dimension;
pub mod rollup;
pub mod sketch;

use serde::{Deserialize, Serialize};

pub use dimension::Dimension;
pub use rollup::OpenVisit;
pub use sketch::VisitorSketch;

use crate::{StoreError, UnixMillis};

/// A day, in milliseconds.
pub const DAY_MILLIS: UnixMillis = 86_400_000;
/// An hour, in milliseconds.
pub const HOUR_MILLIS: UnixMillis = 3_600_000;

/// What an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A page view (including a single-page-app navigation).
    Pageview,
    /// A custom event named by the site, with properties.
    Custom,
    /// A click on a link to another site.
    Outbound,
}

impl EventKind {
    /// The stored code.
    pub fn code(self) -> i16 {
        match self {
            EventKind::Pageview => 0,
            EventKind::Custom => 1,
            EventKind::Outbound => 2,
        }
    }

    /// The kind of a stored code.
    pub fn from_code(code: i64) -> Result<Self, StoreError> {
        match code {
            0 => Ok(EventKind::Pageview),
            1 => Ok(EventKind::Custom),
            2 => Ok(EventKind::Outbound),
            other => Err(StoreError::Corrupt { detail: format!("event kind {other}") }),
        }
    }
}

/// One accepted event, as ingestion derived it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The site (crumb.toml's `site.name`).
    pub site: String,
    /// When it was received.
    pub at: UnixMillis,
    /// Keyed hash of the visitor cookie, or of the daily cookieless key.
    pub visitor: i64,
    /// Counted without a cookie (daily key: new vs returning is unknown).
    pub cookieless: bool,
    /// Keyed hash of the signed-in account, when cross-device linking is allowed.
    pub user: Option<i64>,
    /// Page view, custom event or outbound link.
    pub kind: EventKind,
    /// The event name (`pageview` for page views, the link's URL for outbound clicks).
    pub name: String,
    /// The page's path (no query string).
    pub path: String,
    /// Referrer source: a host such as `news.ycombinator.com`, or empty for direct.
    pub source: String,
    /// `utm_source`, or empty.
    pub utm_source: String,
    /// `utm_medium`, or empty.
    pub utm_medium: String,
    /// `utm_campaign`, or empty.
    pub utm_campaign: String,
    /// Browser family, e.g. `Chrome`.
    pub browser: String,
    /// Operating system family, e.g. `Android`.
    pub os: String,
    /// `desktop`, `mobile`, `tablet` or `other`.
    pub device: String,
    /// Custom event properties, in the order sent.
    pub props: Vec<(String, String)>,
}

/// An event read back for aggregation, with its visitor's first sighting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event.
    pub event: EventRecord,
    /// When its visitor key was first seen (for new vs returning).
    pub first_seen: UnixMillis,
}

/// Rollup resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One row set per hour.
    Hour,
    /// One row set per UTC day.
    Day,
}

impl Granularity {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Granularity::Hour => "h",
            Granularity::Day => "d",
        }
    }

    /// Bucket length.
    pub fn millis(self) -> UnixMillis {
        match self {
            Granularity::Hour => HOUR_MILLIS,
            Granularity::Day => DAY_MILLIS,
        }
    }

    /// The start of the bucket holding `at`.
    pub fn bucket(self, at: UnixMillis) -> UnixMillis {
        at - at.rem_euclid(self.millis())
    }
}

/// The counters of one rollup row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Page views.
    pub pageviews: u64,
    /// Visits (sessions).
    pub visits: u64,
    /// Visits with at most one page view and no custom event.
    pub bounces: u64,
    /// Sum of visit durations, in milliseconds (first to last event).
    pub duration_ms: u64,
    /// Custom events and outbound clicks.
    pub events: u64,
    /// Visits that were a visitor's first.
    pub new_visits: u64,
}

impl Counts {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Counts) {
        self.pageviews += other.pageviews;
        self.visits += other.visits;
        self.bounces += other.bounces;
        self.duration_ms += other.duration_ms;
        self.events += other.events;
        self.new_visits += other.new_visits;
    }
}

/// One rollup row: counts and distinct visitors of one value of one
/// dimension in one bucket.
#[derive(Clone, Debug)]
pub struct RollupRow {
    /// Bucket start (hour or UTC day).
    pub bucket: UnixMillis,
    /// What the row is about: the total, pages, sources, …
    pub dimension: Dimension,
    /// The value: a path, a host, a browser family …; empty for `total`.
    pub value: String,
    /// The counters.
    pub counts: Counts,
    /// Distinct visitors.
    pub visitors: VisitorSketch,
}

/// One value's counters summed over a range of buckets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollupSummary {
    /// The dimension.
    pub dimension: Dimension,
    /// The value.
    pub value: String,
    /// Summed counters.
    pub counts: Counts,
    /// The largest distinct-visitor count of a single bucket: a lower bound
    /// of the value's distinct visitors over the range.
    pub min_visitors: u64,
}

/// A node's exclusive right to run the rollup job of a site, from
/// [`AnalyticsStore::try_lock_rollup`]. [`RollupLock::release`] gives it
/// back; dropped unreleased (a panic, an error), the backend frees it anyway
/// (PostgreSQL: the connection holding it is closed, and its session's
/// locks go with it).
pub struct RollupLock {
    held: Option<Box<dyn HeldLock>>,
}

/// A backend's held lock, released by [`RollupLock::release`].
#[async_trait::async_trait]
pub trait HeldLock: Send {
    /// Gives the lock back.
    async fn release(self: Box<Self>) -> Result<(), StoreError>;
}

impl RollupLock {
    /// A lock nothing else can contend for (one process owns the store).
    pub fn unshared() -> Self {
        Self { held: None }
    }

    /// A lock held by a backend until released or dropped.
    pub fn held(lock: Box<dyn HeldLock>) -> Self {
        Self { held: Some(lock) }
    }

    /// Gives the lock back.
    pub async fn release(mut self) -> Result<(), StoreError> {
        match self.held.take() {
            Some(held) => held.release().await,
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for RollupLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RollupLock").field("shared", &self.held.is_some()).finish()
    }
}

/// Storage of raw events and rollups.
///
/// Every write returns once it is durable, as for [`Store`](crate::Store).
#[async_trait::async_trait]
pub trait AnalyticsStore: Send + Sync {
    /// Takes the right to run the rollup job of `site` if no other node
    /// holds it: `None` when one does. Rollups are idempotent, so this only
    /// spares the others the work (and the contention) of a run someone
    /// else is doing. The default, for a store one process owns, always
    /// succeeds.
    async fn try_lock_rollup(&self, site: &str) -> Result<Option<RollupLock>, StoreError> {
        let _ = site;
        Ok(Some(RollupLock::unshared()))
    }

    /// Appends events in one transaction (group commit) and records each
    /// visitor key's first sighting. The events are taken, not borrowed: a
    /// backend that writes on another thread needs them there, uncopied.
    async fn append_events(&self, events: Vec<EventRecord>) -> Result<(), StoreError>;

    /// The raw events of a site received in `[from, to)`, in no particular order.
    async fn events_between(
        &self,
        site: &str,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The raw events of a site received in `[from, to)`, in no particular
    /// order, reduced to what a funnel of `steps` reads (steps after the
    /// first [`rollup::MAX_FUNNEL_STEPS`] match nothing).
    async fn funnel_events(
        &self,
        site: &str,
        from: UnixMillis,
        to: UnixMillis,
        steps: &[rollup::FunnelStep],
    ) -> Result<Vec<rollup::FunnelEvent>, StoreError>;

    /// The earliest raw event of a site still kept.
    async fn first_event_at(&self, site: &str) -> Result<Option<UnixMillis>, StoreError>;

    /// Stores the rollup of the events of one UTC day (`day` is its start)
    /// received before `until` (the day's end once it is closed; earlier for
    /// today's provisional rollup), in one transaction: replaces the day's
    /// hourly and daily rows and its open visits (those a provisional
    /// rollup left open; none for a closed day) and advances the site's
    /// rolled-up mark to `until`. A rollup older than the mark (another
    /// node's, late) changes nothing: returns whether this one was stored.
    /// Open visits of visitor keys that have no first sighting any more
    /// (forgotten meanwhile) are left out.
    async fn commit_rollup(
        &self,
        site: &str,
        day: UnixMillis,
        until: UnixMillis,
        hourly: &[RollupRow],
        daily: &[RollupRow],
        open_visits: &[OpenVisit],
    ) -> Result<bool, StoreError>;

    /// The visits left open by the latest rollup of the UTC day starting at `day`.
    async fn open_visits(&self, site: &str, day: UnixMillis) -> Result<Vec<OpenVisit>, StoreError>;

    /// Moves a site's rolled-up mark back to `to` if it is later (never
    /// forward; nothing without a mark), so that the rollup job rolls the
    /// days from `to` on up again: for raw events written behind the mark
    /// (`crumb analytics synth` after `crumb serve` rolled real traffic up).
    /// The rollups stay until each day's new rollup replaces them.
    async fn rewind_rolled_until(&self, site: &str, to: UnixMillis) -> Result<(), StoreError>;

    /// The instant before which a site's events are rolled up (`None` before the first rollup).
    async fn rolled_until(&self, site: &str) -> Result<Option<UnixMillis>, StoreError>;

    /// Rollup rows of a site with buckets in `[from, to)`, of the given
    /// dimensions (every dimension when `dimensions` is empty).
    async fn rollups(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
        dimensions: &[Dimension],
    ) -> Result<Vec<RollupRow>, StoreError>;

    /// Counters summed per (dimension, value) over buckets in `[from, to)`,
    /// every dimension but `total`, without reading a sketch.
    async fn rollup_summary(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<RollupSummary>, StoreError>;

    /// Rollup rows (with sketches) of some values of one dimension, buckets in `[from, to)`.
    async fn rollup_values(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
        dimension: Dimension,
        values: &[String],
    ) -> Result<Vec<RollupRow>, StoreError>;

    /// Signed-in users seen with two or more visitor keys in `[from, to)`,
    /// and all signed-in users seen (from raw events).
    async fn cross_device_users(&self, site: &str, from: UnixMillis, to: UnixMillis) -> Result<(u64, u64), StoreError>;

    /// Deletes raw events received before `before`. Returns how many.
    async fn purge_events_before(&self, site: &str, before: UnixMillis) -> Result<u64, StoreError>;

    /// Records that a visitor key's raw events and first sighting are to be
    /// deleted (statistics consent was withdrawn); durable on return.
    /// [`forget_requested`](Self::forget_requested) does the deleting.
    async fn request_forget(&self, site: &str, visitor: i64, requested_at: UnixMillis) -> Result<(), StoreError>;

    /// Deletes the raw events, first sightings and open visits of every
    /// visitor key of a site asked to be forgotten, then those requests;
    /// returns how many raw events went. Rollups are left as they are.
    async fn forget_requested(&self, site: &str) -> Result<u64, StoreError>;

    /// The cookieless salt of a UTC day, shared by every node of a
    /// multi-node deployment: stores `candidate` if the day has none yet
    /// and returns the day's salt; forgets salts of earlier days. A
    /// single-node deployment never calls this: its salt stays in memory.
    async fn shared_salt(&self, day: UnixMillis, candidate: &[u8]) -> Result<Vec<u8>, StoreError>;
}

/// The SQL expression (over `analytics_events`' columns) whose value has
/// bit `i` set when the event matches `steps[i]`; step `i`'s path or name is
/// the parameter `placeholder(i)`.
pub(crate) fn funnel_steps_sql(steps: &[rollup::FunnelStep], placeholder: impl Fn(usize) -> String) -> String {
    if steps.is_empty() {
        return "0".to_owned();
    }
    let terms: Vec<String> = steps
        .iter()
        .take(rollup::MAX_FUNNEL_STEPS)
        .enumerate()
        .map(|(i, step)| {
            let (kind, column) = match step {
                rollup::FunnelStep::Page(_) => (EventKind::Pageview, "path"),
                rollup::FunnelStep::Event(_) => (EventKind::Custom, "name"),
            };
            format!(
                "(CASE WHEN kind = {} AND {column} = {} THEN {} ELSE 0 END)",
                kind.code(),
                placeholder(i),
                1u32 << i
            )
        })
        .collect();
    terms.join(" + ")
}

/// The path or name each step matches, in order (the parameters of [`funnel_steps_sql`]).
pub(crate) fn funnel_step_values(steps: &[rollup::FunnelStep]) -> Vec<&str> {
    steps
        .iter()
        .take(rollup::MAX_FUNNEL_STEPS)
        .map(|step| match step {
            rollup::FunnelStep::Page(value) | rollup::FunnelStep::Event(value) => value.as_str(),
        })
        .collect()
}

/// Encodes event properties for storage (a JSON array of pairs).
pub fn props_to_json(props: &[(String, String)]) -> Result<String, StoreError> {
    serde_json::to_string(props).map_err(|e| StoreError::Corrupt { detail: format!("encoding event properties: {e}") })
}

/// Decodes stored event properties.
pub fn props_from_json(json: &str) -> Result<Vec<(String, String)>, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt { detail: format!("event properties: {e}") })
}
