//! Aggregated anonymous statistics, the domain part (the seed policy's
//! "aggregated anonymous statistics ... without allowing the user to be
//! personally identified"):
//!
//! - [`client`]: user agent, referrer and UTM derivation;
//! - [`salt`]: the daily salts of cookieless counting;
//! - [`funnel_steps`]: the syntax of a funnel's steps;
//! - [`report`]: reports with the anonymity floor, and funnels;
//! - [`jobs`]: rollups, raw-event retention and forgetting;
//! - [`synth`]: synthetic traffic for benchmarks and demos.
//!
//! Ingestion over HTTP is `crumb-server`'s; storage and the cutting of
//! visits live in `crumb_store::analytics`.

pub mod client;
pub mod funnel_steps;
pub mod jobs;
pub mod report;
pub mod salt;
pub mod synth;
