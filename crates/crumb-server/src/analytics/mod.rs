//! Aggregated anonymous statistics (the seed policy's "aggregated anonymous
//! statistics ... without allowing the user to be personally identified"):
//!
//! - [`ingest`]: `POST /api/event` — validation, bot filtering, derived
//!   fields, visitor keys, group commit ([`writer`]);
//! - [`dashboard`]: `/dashboard` and the statistics API for administrators,
//!   its figures written in the page's language ([`figures`]).
//!
//! What is derived from a user agent, cookieless salts, reports, funnels,
//! the rollup job and synthetic traffic are `crumb_core::analytics`;
//! storage and the cutting of visits live in `crumb_store::analytics`.

pub mod dashboard;
pub mod figures;
pub mod ingest;
pub mod writer;

pub use ingest::Analytics;
