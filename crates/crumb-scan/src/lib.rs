//! `crumb scan`: crawls a site (same origin, bounded pages and time,
//! `robots.txt` honoured per RFC 9309) before any consent, after "Reject
//! all" and with each optional category granted alone, each in a fresh
//! profile, and judges every cookie the browser then holds — first- and
//! third-party, from headers and from scripts — against the declaration:
//! undeclared, set before consent, set after refusal, living longer or
//! with fewer attributes than declared. Reports as text, JSON or JUnit XML,
//! and drafts a `crumb.toml` from what it saw.
//!
//! Modules: [`crawl`] (which pages), [`robots`] (RFC 9309), [`states`]
//! (the consent states), [`agent`] with [`chromium`] (headless Chromium
//! through chromedriver, cookies read with the DevTools protocol) and
//! [`http`] (the fallback: crumb's own jar, no scripts), [`observe`] (the
//! cookies held), [`declared`] (from `crumb.toml` or the site's
//! `policy.json`), [`judge`], [`outcome`], [`report`], [`draft`], [`run`].
//!
//! What it is not: a proof that a site complies. It sees the pages it can
//! reach by links in the time given, without signing in or filling forms,
//! and the fallback does not run scripts.

#![warn(missing_docs)]

pub mod agent;
pub mod chromium;
pub mod crawl;
pub mod declared;
pub mod draft;
pub mod error;
pub mod http;
pub mod judge;
pub mod observe;
pub mod outcome;
pub mod report;
pub mod robots;
pub mod run;
pub mod states;

pub use declared::Declaration;
pub use error::ScanError;
pub use outcome::{Mode, Report};
pub use report::Format;
pub use run::{scan, ScanOptions};
