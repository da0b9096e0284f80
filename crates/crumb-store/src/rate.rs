//! Shared rate-limit windows: the counts every crumb node adds to, so that
//! a client spread over several nodes meets one limit ([`crate::Store::add_to_rate_windows`]).

use crate::UnixMillis;

/// Requests a node admitted for one key in one fixed window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateIncrement {
    /// What is limited: a keyed hash, never a client's address itself.
    pub key: String,
    /// The window's start (Unix milliseconds).
    pub window_start: UnixMillis,
    /// Requests to add.
    pub count: u64,
}
