//! The live audit: what the gateway saw that the declaration does not
//! cover, counted in memory and written to the store in batches.
//!
//! Every proxied request may see undeclared cookies (in its `Cookie`
//! header, in the upstream's `Set-Cookie`s) or a declared cookie set
//! beyond its declaration. A database write per request would put the
//! store on the path of every page of the site; instead [`GatewayAudit`]
//! adds each sighting to an in-memory tally keyed by (kind, name, domain,
//! path) — a mutex held for a hash-map update — and [`GatewayAudit::flush`]
//! upserts the whole tally in one transaction
//! ([`crumb_store::Store::record_gateway_sightings`], counts added). The
//! gateway flushes every [`FLUSH_EVERY`], and the admin page flushes before
//! it reads, so what it shows is current. A crash loses at most one
//! interval's counts.
//!
//! The tally holds at most [`MAX_PENDING`] distinct keys between flushes
//! and names of at most [`MAX_NAME_BYTES`]: a visitor can send any cookie
//! names it likes, and must not be able to grow crumb's memory or store
//! without bound. What is beyond the limit is counted in a log line, not kept.
//!
//! What it is not: a decision about any cookie (that is [`super::wire`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crumb_store::{GatewaySighting, SightingKind, Store, StoreError};

/// How often the gateway writes its tally to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(10);
/// Distinct sightings held between flushes.
pub const MAX_PENDING: usize = 1000;
/// The longest cookie name (and domain, path) recorded.
pub const MAX_NAME_BYTES: usize = 128;

/// One sighting, as the gateway notes it.
#[derive(Debug, Clone)]
pub struct Noted<'a> {
    /// Undeclared, or beyond its declaration.
    pub kind: SightingKind,
    /// The cookie's name.
    pub name: &'a str,
    /// Its `Domain` ("" for none or unknown).
    pub domain: &'a str,
    /// Its `Path` ("" for none or unknown).
    pub path: &'a str,
    /// What goes beyond the declaration ("" for undeclared).
    pub detail: String,
    /// The request's path, without the query.
    pub request_path: &'a str,
    /// When (Unix ms).
    pub at: i64,
}

type Key = (SightingKind, String, String, String);

/// The in-memory tally (one per process).
#[derive(Debug, Default)]
pub struct GatewayAudit {
    pending: Mutex<HashMap<Key, GatewaySighting>>,
    dropped: AtomicU64,
    /// Held by a flush from taking the tally until the store has it, so that
    /// a reader who flushes first (`/admin`, `crumb policy audit`'s tests)
    /// never reads the store while another flush still holds sightings.
    flushing: tokio::sync::Mutex<()>,
}

impl GatewayAudit {
    /// Adds one sighting to the tally.
    pub fn note(&self, site: &str, noted: Noted<'_>) {
        if [noted.name, noted.domain, noted.path].iter().any(|s| s.len() > MAX_NAME_BYTES) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let key = (noted.kind, noted.name.to_owned(), noted.domain.to_owned(), noted.path.to_owned());
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let sample_path: String = noted.request_path.chars().take(512).collect();
        if let Some(sighting) = pending.get_mut(&key) {
            sighting.count += 1;
            sighting.first_seen = sighting.first_seen.min(noted.at);
            sighting.last_seen = sighting.last_seen.max(noted.at);
            sighting.sample_path = sample_path;
            sighting.detail = noted.detail;
            return;
        }
        if pending.len() >= MAX_PENDING {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let sighting = GatewaySighting {
            site: site.to_owned(),
            kind: key.0,
            name: key.1.clone(),
            domain: key.2.clone(),
            path: key.3.clone(),
            detail: noted.detail,
            first_seen: noted.at,
            last_seen: noted.at,
            sample_path,
            count: 1,
        };
        pending.insert(key, sighting);
    }

    /// Writes the tally to `store` in one transaction; on failure the
    /// tally is kept (merged with what arrived meanwhile) for the next try.
    pub async fn flush(&self, store: &dyn Store) -> Result<usize, StoreError> {
        let _one_at_a_time = self.flushing.lock().await;
        let batch: Vec<GatewaySighting> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::take(&mut *pending).into_values().collect()
        };
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(dropped, "gateway audit: sightings over the tally's limits were not recorded");
        }
        if batch.is_empty() {
            return Ok(0);
        }
        if let Err(error) = store.record_gateway_sightings(&batch).await {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            for sighting in batch {
                let key = (sighting.kind, sighting.name.clone(), sighting.domain.clone(), sighting.path.clone());
                match pending.get_mut(&key) {
                    Some(newer) => {
                        newer.count += sighting.count;
                        newer.first_seen = newer.first_seen.min(sighting.first_seen);
                    }
                    None => {
                        pending.insert(key, sighting);
                    }
                }
            }
            return Err(error);
        }
        Ok(batch.len())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn noted<'a>(name: &'a str, at: i64, request_path: &'a str) -> Noted<'a> {
        Noted { kind: SightingKind::Undeclared, name, domain: "", path: "/", detail: String::new(), request_path, at }
    }

    #[tokio::test]
    async fn sightings_are_tallied_in_memory_and_written_as_one_batch() {
        let store = crumb_store::sqlite::SqliteStore::open_in_memory().unwrap();
        let audit = GatewayAudit::default();
        audit.note("s", noted("mystery", 20, "/b"));
        audit.note("s", noted("mystery", 10, "/a"));
        audit.note("s", noted(&"x".repeat(MAX_NAME_BYTES + 1), 10, "/a"));
        assert_eq!(audit.flush(&store).await.unwrap(), 1);
        assert_eq!(audit.flush(&store).await.unwrap(), 0, "the tally is empty after a flush");
        let seen = store.gateway_sightings("s").await.unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!((seen[0].count, seen[0].first_seen, seen[0].last_seen), (2, 10, 20));
        assert_eq!(seen[0].sample_path, "/a");
    }
}
