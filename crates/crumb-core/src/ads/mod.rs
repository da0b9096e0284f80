//! Advertising the site serves itself: campaigns, the choice of one for a
//! slot, and the click tokens that send a visitor on to an advertiser.
//!
//! A choice has a *basis*, which is what the visitor is told:
//! - [`Basis::Interests`]: a topic of the visitor's interest profile — only
//!   asked for with marketing consent and no honoured privacy signal (the
//!   server decides; this module trusts the topics it is given);
//! - [`Basis::Context`]: a topic of the page being read, with nothing known
//!   or kept about the visitor;
//! - [`Basis::None`]: a campaign that targets no topic (run of site).
//!
//! - [`campaign`]: a campaign and its creative, checked;
//! - [`creative`]: the creative's markup, sanitised;
//! - [`index`]: campaigns by slot and topic, built once per declaration;
//! - [`decide`]: the choice for one request;
//! - [`managed`]: campaigns managed on `/admin`, beside the declared ones;
//! - [`click`]: signed click tokens (no open redirect: the token names a
//!   campaign, whose link comes from the declaration);
//! - [`seen`]: signed impression tokens (one impression per serve);
//! - [`report`]: reports with the anonymity floor;
//! - [`shown`]: the ads shown to a visitor, for their own page.

pub mod campaign;
pub mod click;
pub mod creative;
pub mod decide;
pub mod index;
pub mod managed;
pub mod report;
pub mod seen;
pub mod shown;

pub use campaign::{Campaign, CampaignError, Creative, Schedule};
pub use click::{ClickError, ClickToken};
pub use decide::{AdRequest, Basis, Decision, Served};
pub use index::CampaignIndex;
pub use seen::SeenToken;
