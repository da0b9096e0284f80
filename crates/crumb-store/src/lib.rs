//! # crumb-store
//!
//! crumb's domain records — consent decisions, recognised visitors,
//! accounts, analytics, interest profiles ([`profiles`]), campaigns managed
//! on `/admin` ([`campaigns`]) — and
//! the [`Store`] trait that keeps them, with two backends that pass one
//! shared test suite:
//!
//! - [`sqlite::SqliteStore`]: the embedded default, one file (`crumb.db`),
//!   WAL, every acknowledged write fsync'd before it returns;
//! - [`postgres::PgStore`]: for several crumb nodes behind a load balancer.
//!
//! Both apply their own versioned migrations (`migrations/<backend>/NNNN_*.sql`)
//! at open. No SQL leaves this crate: the server speaks only the trait.
//! This crate does not know HTTP, cookies or configuration files.
//!
//! [`suite`] (cargo feature `conformance`) is the conformance suite both
//! backends run in their tests, one test per check; `failing::FailingStore`
//! (cargo feature `failing`) is a store that fails on demand, for tests of
//! callers' failure paths.

#![warn(missing_docs)]

pub mod account;
pub mod ads;
pub mod analytics;
pub mod campaigns;
pub mod consent;
pub mod error;
#[cfg(feature = "failing")]
pub mod failing;
pub mod gateway;
pub mod migrations;
pub mod postgres;
pub mod profiles;
pub mod rate;
mod rows;
pub mod sqlite;
#[cfg(feature = "conformance")]
pub mod suite;
pub mod visitor;

pub use account::{Account, AccountStore, Admission, Device, RememberToken, SessionRecord, ThrottlePolicy};
pub use ads::AdStore;
pub use analytics::AnalyticsStore;
pub use campaigns::{CampaignStore, StoredCampaign};
pub use consent::{ConsentAction, ConsentRecord, DecisionCount};
pub use error::StoreError;
pub use gateway::{GatewaySighting, SightingKind};
pub use profiles::ProfileStore;
pub use rate::RateIncrement;

/// A store's connections at one moment ([`Store::connections`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Connections {
    /// Connections open (PostgreSQL's pool; SQLite's readers and its writer).
    pub open: usize,
    /// Of those, idle.
    pub idle: usize,
    /// Callers waiting for one.
    pub waiting: usize,
}
pub use visitor::VisitorStatus;

/// Milliseconds since the Unix epoch, UTC: how the store keeps time.
pub type UnixMillis = i64;

/// Durable storage of crumb's records.
///
/// Every method that writes returns only once the write is durable: a
/// caller that acknowledged a record to a client can rely on it surviving a
/// crash of the process or the machine.
#[async_trait::async_trait]
pub trait Store:
    AccountStore + AdStore + AnalyticsStore + CampaignStore + ProfileStore + Send + Sync + 'static
{
    /// Which backend this is (`"sqlite"`, `"postgres"`), for logs and health.
    fn backend(&self) -> &'static str;

    /// Appends one consent decision. Records are never updated or deleted by
    /// this API: a change of mind is a new record. Fails with
    /// [`StoreError::Duplicate`] if the receipt id exists.
    async fn append_consent(&self, record: &ConsentRecord) -> Result<(), StoreError>;

    /// The record with this receipt id (the proof of consent).
    async fn consent_by_receipt(&self, receipt_id: &str) -> Result<Option<ConsentRecord>, StoreError>;

    /// Every record of one consent id (one browser), oldest first.
    async fn consent_history(&self, consent_id: &str) -> Result<Vec<ConsentRecord>, StoreError>;

    /// The number of consent records of the site (all consent ids).
    async fn count_consents(&self, site: &str) -> Result<u64, StoreError>;

    /// The consent records of `site` recorded at or after `since`, counted
    /// per UTC day and decision (granted and refused categories, as
    /// recorded), oldest day first (in no set order within a day): what
    /// `/admin` charts.
    async fn consent_decisions_by_day(&self, site: &str, since: UnixMillis) -> Result<Vec<DecisionCount>, StoreError>;

    /// The schema version the database is at (the highest applied
    /// migration): one cheap query, for readiness checks. A store whose
    /// version differs from [`migrations::latest`] of its backend is not
    /// ready to serve this build.
    async fn schema_version(&self) -> Result<u32, StoreError>;

    /// The newest schema version this build of the backend knows.
    fn supported_schema_version(&self) -> u32;

    /// The connections this store holds for reading and writing, now (for
    /// metrics): how many exist, how many are idle, how many callers wait.
    fn connections(&self) -> Connections;

    /// Adds each increment to its key's window, shared by every node on
    /// this store, and returns the windows' totals in the same order (what
    /// all nodes admitted, this call included). Windows that started before
    /// `forget_before` are deleted. One transaction.
    async fn add_to_rate_windows(
        &self,
        increments: &[RateIncrement],
        forget_before: UnixMillis,
    ) -> Result<Vec<u64>, StoreError>;

    /// Records a request by a visitor that has a visitor id: creates the
    /// visitor on first sight, and counts a new visit when `new_visit` is
    /// true (the request opened a new browsing session). Returns the
    /// visitor's state after the update.
    async fn touch_visitor(
        &self,
        site: &str,
        visitor_id: &str,
        new_visit: bool,
        at: UnixMillis,
    ) -> Result<VisitorStatus, StoreError>;

    /// A visitor's state, if known.
    async fn visitor(&self, site: &str, visitor_id: &str) -> Result<Option<VisitorStatus>, StoreError>;

    /// Forgets a visitor (after statistics consent is withdrawn). Returns
    /// whether one was removed.
    async fn forget_visitor(&self, site: &str, visitor_id: &str) -> Result<bool, StoreError>;

    /// Adds a batch of aggregated gateway sightings in one transaction: a
    /// sighting whose (site, kind, name, domain, path) is stored already
    /// adds its count, widens first/last seen, and takes the batch's
    /// sample path and detail.
    async fn record_gateway_sightings(&self, sightings: &[GatewaySighting]) -> Result<(), StoreError>;

    /// The site's gateway sightings, most recently seen first.
    async fn gateway_sightings(&self, site: &str) -> Result<Vec<GatewaySighting>, StoreError>;
}
