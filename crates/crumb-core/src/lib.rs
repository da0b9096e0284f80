//! # crumb-core
//!
//! crumb's domain, with neither HTTP nor SQL in it:
//!
//! - [`config`]: the declaration (`crumb.toml`) — every cookie the site
//!   uses, its category, lifetime and attributes — and the settings, parsed
//!   into raw structs and checked section by section;
//! - [`declaration`]: one declared cookie (category, purpose, lifetime, attributes);
//! - [`category`]: the consent categories and the privacy signals (GPC, DNT);
//! - [`consent`]: what a decision grants, refuses and does, under the declaration and the signals;
//! - [`own_cookies`]: the cookies crumb itself sets, declared like the site's;
//! - [`i18n`]: the languages and their strings;
//! - [`interests`]: the Topics taxonomy and what pages are about;
//! - [`profiles`]: interest profiles with marketing consent — weekly epochs,
//!   top topics, the keyed selection with noise, retention;
//! - [`accounts`]: credentials (Argon2id, hashed secrets) and session rules;
//! - [`ads`]: campaigns, the choice of one for a slot (interests, context
//!   or none), click tokens;
//! - [`analytics`]: what is derived from a request's user agent and
//!   referrer, cookieless salts, reports with the anonymity floor, funnels,
//!   the rollup job, synthetic traffic;
//! - [`policy`]: the policy page's model, built from the declaration;
//! - [`keys`]: the signing key file and random ids;
//! - [`Site`]: one site's declaration, store and clock, which the domain
//!   functions take.
//!
//! It depends on `crumb-cookie` and `crumb-store`, never on axum: the HTTP
//! layer (`crumb-server`) and the command line (`crumb`) both call it.

#![warn(missing_docs)]

pub mod accounts;
pub mod ads;
pub mod analytics;
pub mod category;
pub mod config;
pub mod consent;
pub mod declaration;
pub mod i18n;
pub mod interests;
pub mod keys;
pub mod own_cookies;
pub mod policy;
pub mod profiles;
pub mod site;

pub use config::Config;
pub use site::{Clock, Site};
