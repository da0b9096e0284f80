//! # crumb-server
//!
//! crumb's HTTP application, one module per capability:
//!
//! - [`consent`]: recording decisions (`POST /api/consent`), receipts, the
//!   visitor's current state, withdrawal that expires cookies;
//! - [`visitors`]: the visit session cookie and, with statistics consent,
//!   the persistent visitor id that tells new from returning visitors;
//! - [`policy`]: the cookie policy page generated from the declaration;
//! - [`script`]: the banner and preference centre (`/crumb.js`);
//! - [`analytics`]: the tracker's events, rollups, reports and the dashboard;
//! - [`ads`]: the site's own ads (`/api/ad`) and their click route;
//! - [`interests`]: a visitor's own interest profile (`/api/interests`);
//! - [`demo`]: a small demo site that embeds the script;
//! - [`mount`]: where crumb's routes live on the site's origin (`[server]
//!   prefix`), and the URLs of its own pages and endpoints;
//! - [`gateway`]: crumb in front of a site (`[gateway]`): the reverse
//!   proxy that enforces the declaration on the wire;
//! - [`pages`]: the HTML pages' askama templates (`web/templates/`), the
//!   production and demo layouts, and a page per problem type.
//!
//! Handlers are thin: they parse the request, call one domain function and
//! map its result. State ([`AppState`]) is passed explicitly. Every bad
//! request gets an RFC 9457 problem response. This crate does not parse
//! cookies itself (that is `crumb-cookie`) or touch SQL (that is `crumb-store`).

pub mod accounts;
pub mod admin_campaigns;
pub mod ads;
pub mod analytics;
pub mod app;
pub mod around;
pub mod auth;
pub mod consent;
pub mod demo;
pub mod extract;
pub mod failsafe;
pub mod gateway;
pub mod health;
pub mod host;
pub mod interests;
pub mod interests_page;
pub mod metrics;
pub mod mount;
pub mod page_language;
pub mod pages;
pub mod policy;
pub mod problem;
pub mod profile_key;
pub mod rate_limit;
pub mod request_info;
pub mod runtime;
pub mod script;
pub mod security_headers;
pub mod state;
pub mod throttle;
pub mod trusted_device;
pub mod visitors;

pub use app::router;
pub use crumb_core::Config;
pub use state::AppState;
