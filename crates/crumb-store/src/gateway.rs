//! What crumb's gateway saw on the wire that the declaration does not
//! cover: cookies it does not name, and declared cookies the upstream set
//! with a longer lifetime or weaker attributes than declared.
//!
//! One row per (site, kind, name, domain, path), with a count and the
//! first and last time seen; the gateway aggregates in memory and upserts
//! a batch at a time ([`crate::Store::record_gateway_sightings`]).

use serde::Serialize;

use crate::UnixMillis;

/// Which way a cookie goes beyond the declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SightingKind {
    /// The declaration does not name it.
    Undeclared,
    /// Declared, but set for longer or with weaker attributes than declared.
    BeyondDeclaration,
}

impl SightingKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SightingKind::Undeclared => "undeclared",
            SightingKind::BeyondDeclaration => "beyond_declaration",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(text: &str) -> Option<SightingKind> {
        match text {
            "undeclared" => Some(SightingKind::Undeclared),
            "beyond_declaration" => Some(SightingKind::BeyondDeclaration),
            _ => None,
        }
    }
}

/// One aggregated sighting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GatewaySighting {
    /// The site (`site.name`).
    pub site: String,
    /// Undeclared, or beyond its declaration.
    pub kind: SightingKind,
    /// The cookie's name.
    pub name: String,
    /// Its `Domain` attribute ("" when host-only or seen only in requests).
    pub domain: String,
    /// Its `Path` attribute ("" when none or seen only in requests).
    pub path: String,
    /// What goes beyond the declaration (empty for undeclared cookies).
    pub detail: String,
    /// First seen.
    pub first_seen: UnixMillis,
    /// Last seen.
    pub last_seen: UnixMillis,
    /// The path (no query) of a request where it was last seen.
    pub sample_path: String,
    /// How many times it was seen.
    pub count: u64,
}
