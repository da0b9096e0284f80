//! Recognised visitors: new or returning.

use serde::{Deserialize, Serialize};

use crate::UnixMillis;

/// What the store knows of one visitor id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorStatus {
    /// The visitor id (from the persistent visitor cookie).
    pub visitor_id: String,
    /// First request seen.
    pub first_seen: UnixMillis,
    /// Latest request seen.
    pub last_seen: UnixMillis,
    /// Visits (browsing sessions) counted, at least 1.
    pub visits: u64,
}

impl VisitorStatus {
    /// A returning visitor has come back in more than one visit.
    pub fn is_returning(&self) -> bool {
        self.visits > 1
    }
}
