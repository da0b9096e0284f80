//! Consent decisions: the append-only proof of what a visitor agreed to.

use serde::{Deserialize, Serialize};

use crate::UnixMillis;

/// What a consent record does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    /// A first decision (from the banner).
    Given,
    /// A later change (from the preference centre).
    Updated,
    /// Every optional category refused after some were granted.
    Withdrawn,
}

impl ConsentAction {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentAction::Given => "given",
            ConsentAction::Updated => "updated",
            ConsentAction::Withdrawn => "withdrawn",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "given" => Some(ConsentAction::Given),
            "updated" => Some(ConsentAction::Updated),
            "withdrawn" => Some(ConsentAction::Withdrawn),
            _ => None,
        }
    }
}

/// How many consent records of one UTC day made one decision
/// ([`crate::Store::consent_decisions_by_day`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionCount {
    /// The day's start (Unix milliseconds, UTC midnight).
    pub day: UnixMillis,
    /// The categories granted.
    pub granted: Vec<String>,
    /// The categories refused.
    pub refused: Vec<String>,
    /// Records of that day with exactly that decision.
    pub count: u64,
}

/// One consent decision, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// Unique id of this record, given to the visitor as a receipt.
    pub receipt_id: String,
    /// Pseudonymous id of the browser that decided (kept in its consent cookie).
    pub consent_id: String,
    /// The site (from `crumb.toml`).
    pub site: String,
    /// The policy version the visitor saw.
    pub policy_version: String,
    /// Categories granted (always includes `necessary`).
    pub granted: Vec<String>,
    /// Categories refused.
    pub refused: Vec<String>,
    /// Whether the request carried `Sec-GPC: 1`.
    pub gpc: bool,
    /// Whether the request carried `DNT: 1`.
    pub dnt: bool,
    /// The language the banner was shown in.
    pub language: String,
    /// Given, updated or withdrawn.
    pub action: ConsentAction,
    /// When the server recorded it.
    pub recorded_at: UnixMillis,
}
