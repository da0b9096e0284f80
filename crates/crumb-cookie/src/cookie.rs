//! A cookie as a jar holds it: the record of RFC 6265bis §5.7.

use serde::{Deserialize, Serialize};

use crate::set_cookie::SameSite;
use crate::time::Timestamp;

/// A stored cookie (RFC 6265bis §5.7).
///
/// Name and value are kept as the exact bytes the server sent, so that they
/// go back unmodified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cookie {
    /// The name (may be empty: a nameless cookie).
    #[serde(with = "crate::json_bytes")]
    pub name: Vec<u8>,
    /// The value.
    #[serde(with = "crate::json_bytes")]
    pub value: Vec<u8>,
    /// The canonical domain, without a leading dot.
    pub domain: String,
    /// Whether only the exact host receives it (no `Domain` attribute).
    pub host_only: bool,
    /// The path.
    pub path: String,
    /// Only sent over secure connections.
    pub secure: bool,
    /// Hidden from non-HTTP APIs.
    pub http_only: bool,
    /// The `SameSite` enforcement.
    pub same_site: SameSite,
    /// The top-level site it is partitioned under (CHIPS), if `Partitioned`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<String>,
    /// When it expires; `None` for a session cookie (persistent-flag false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<Timestamp>,
    /// When it was first created (kept across replacements, §5.7).
    pub creation: Timestamp,
    /// When a request last carried it.
    pub last_access: Timestamp,
    /// Tie-breaker for cookies created within the same microsecond.
    #[serde(default)]
    pub(crate) creation_index: u64,
}

impl Cookie {
    /// Whether it outlives the session (has an expiry date).
    pub fn is_persistent(&self) -> bool {
        self.expiry.is_some()
    }

    /// Whether its expiry date has passed at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expiry.is_some_and(|expiry| expiry <= now)
    }

    /// The name as text (invalid UTF-8 replaced).
    pub fn name_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The value as text (invalid UTF-8 replaced).
    pub fn value_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }

    /// Whether `other` is the same cookie for replacement purposes: same
    /// name, domain, host-only flag, path and partition (§5.7 step 23).
    pub fn same_identity(&self, other: &Cookie) -> bool {
        // What the record holds (flags, lengths) is compared before what it
        // points to, so telling a site's other cookies apart reads no heap
        // memory in the common case.
        self.host_only == other.host_only
            && self.name.len() == other.name.len()
            && self.domain.len() == other.domain.len()
            && self.path.len() == other.path.len()
            && self.partition_key.is_some() == other.partition_key.is_some()
            && self.name == other.name
            && self.domain == other.domain
            && self.path == other.path
            && self.partition_key == other.partition_key
    }

    /// Writes `name=value` as in a `Cookie` header; a nameless cookie is
    /// its value alone (§5.8.3 step 4).
    pub fn write_pair(&self, out: &mut Vec<u8>) {
        if !self.name.is_empty() {
            out.extend_from_slice(&self.name);
            out.push(b'=');
        }
        out.extend_from_slice(&self.value);
    }
}
