//! Aggregated anonymous statistics (the seed policy's "aggregated anonymous
//! statistics ... without allowing the user to be personally identified"):
//!
//! - [`ingest`]: `POST /api/event` — validation, bot filtering, derived
//!   fields, visitor keys, group commit ([`writer`]), cookieless salts ([`salt`]);
//! - [`client`]: user agent, referrer and UTM derivation;
//! - [`jobs`]: daily rollups and raw-event retention;
//! - [`report`]: reports with the anonymity floor;
//! - [`dashboard`]: `/dashboard` and the statistics API for administrators;
//! - [`synth`]: synthetic traffic for benchmarks and demos.
//!
//! Storage and the cutting of visits live in `crumb_store::analytics`.

pub mod client;
pub mod dashboard;
pub mod ingest;
pub mod jobs;
pub mod report;
pub mod salt;
pub mod synth;
pub mod writer;

pub use ingest::Analytics;
