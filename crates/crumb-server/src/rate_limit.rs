//! Rate limits on the endpoints that write for anyone who asks: events
//! (`POST /api/event`) and consent decisions (`POST /api/consent`). Each is
//! limited per visitor (the browser's visitor or consent cookie) per minute
//! (`server.events_per_minute`, `server.consents_per_minute`), and per
//! client address at [`ADDRESS_FACTOR`] times that (many people can share
//! one address behind a NAT); beyond it, 429 with `Retry-After`.
//!
//! The limit is shared by every node on the store. A node admits against
//! what it knows — its own requests not yet reported plus the total of all
//! nodes as of its last report — and reports its counts to the store about
//! once a second ([`RateLimits::sync`]): one upsert per active key, not one
//! write per request. Several nodes can therefore admit a little over the
//! limit between two reports (at most what each admits in a second); a
//! client that keeps sending is refused everywhere from the next report
//! on. Keys are keyed hashes (HMAC under the site's key) of the address or
//! cookie, so the store never holds either.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crumb_cookie::{HmacSha256Writer, Keyring};
use crumb_store::{RateIncrement, Store, StoreError, UnixMillis};

/// The fixed window.
pub const WINDOW_MS: i64 = 60_000;
/// An address may send this many times what one visitor may.
pub const ADDRESS_FACTOR: u64 = 10;
/// How often a node reports its counts.
const SYNC_EVERY: Duration = Duration::from_secs(1);
/// Keys a node tracks at most per limit; beyond, new keys are admitted
/// uncounted (and logged) rather than letting the table grow without end.
const MAX_KEYS: usize = 200_000;

/// What a request is limited as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /api/event`.
    Event,
    /// `POST /api/consent`.
    Consent,
}

impl Endpoint {
    fn prefix(self) -> &'static str {
        match self {
            Endpoint::Event => "event",
            Endpoint::Consent => "consent",
        }
    }
}

/// One key's count in the current window.
#[derive(Debug, Default)]
struct Count {
    window_start: UnixMillis,
    /// Admitted here and not yet reported.
    unreported: u64,
    /// All nodes' total at the last report (this node's reported ones included).
    reported_total: u64,
}

/// The limits of one node.
pub struct RateLimits {
    store: Arc<dyn Store>,
    pepper: [u8; 32],
    events_per_minute: u64,
    consents_per_minute: u64,
    counts: Mutex<HashMap<String, Count>>,
    reporter: OnceLock<()>,
    clock: crumb_core::Clock,
}

/// Refused: retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Seconds until the window ends.
    pub retry_after_seconds: u64,
}

impl RateLimits {
    /// Limits over `store`, keys hashed under a key derived from `keys`,
    /// windows on `clock`.
    pub fn new(
        store: Arc<dyn Store>,
        keys: &Keyring,
        events_per_minute: u32,
        consents_per_minute: u32,
        clock: crumb_core::Clock,
    ) -> Self {
        RateLimits {
            store,
            pepper: keys.derive("crumb rate-limit keys"),
            events_per_minute: events_per_minute.into(),
            consents_per_minute: consents_per_minute.into(),
            counts: Mutex::new(HashMap::new()),
            reporter: OnceLock::new(),
            clock,
        }
    }

    /// The store key of `who` (an address, a cookie value) at `endpoint`.
    fn key(&self, endpoint: Endpoint, kind: &str, who: &str) -> String {
        let mut mac = HmacSha256Writer::new(&self.pepper);
        mac.update(kind.as_bytes()).update(b"\0").update(who.as_bytes());
        format!("{}:{kind}:{}", endpoint.prefix(), hex::encode(&mac.finish()[..12]))
    }

    /// Admits one request from `address` and `visitor` (either may be
    /// unknown) at `now`, counting it against both, or refuses it without
    /// counting. Starts this node's reporting task on first use.
    pub fn admit(
        self: &Arc<Self>,
        endpoint: Endpoint,
        address: Option<&str>,
        visitor: Option<&str>,
        now: UnixMillis,
    ) -> Result<(), Refused> {
        self.start_reporting();
        let limit = match endpoint {
            Endpoint::Event => self.events_per_minute,
            Endpoint::Consent => self.consents_per_minute,
        };
        let keys: Vec<(String, u64)> = [("addr", address, limit * ADDRESS_FACTOR), ("visitor", visitor, limit)]
            .into_iter()
            .filter_map(|(kind, who, limit)| {
                who.filter(|who| !who.is_empty()).map(|who| (self.key(endpoint, kind, who), limit))
            })
            .collect();
        let window_start = now - now.rem_euclid(WINDOW_MS);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let used = |count: &Count| {
            if count.window_start == window_start {
                count.reported_total + count.unreported
            } else {
                0
            }
        };
        if keys.iter().any(|(key, limit)| counts.get(key).is_some_and(|count| used(count) >= *limit)) {
            let left_ms = window_start + WINDOW_MS - now;
            return Err(Refused { retry_after_seconds: u64::try_from((left_ms + 999) / 1000).unwrap_or(1).max(1) });
        }
        for (key, _) in keys {
            if counts.len() >= MAX_KEYS && !counts.contains_key(&key) {
                tracing::warn!(keys = counts.len(), "rate-limit table full: a new client is admitted uncounted");
                continue;
            }
            let count = counts.entry(key).or_default();
            if count.window_start != window_start {
                *count = Count { window_start, unreported: 0, reported_total: 0 };
            }
            count.unreported += 1;
        }
        Ok(())
    }

    /// Reports this node's counts to the store and learns every node's
    /// totals; forgets past windows. The reporting task calls it every
    /// second; tests call it to make a report happen now.
    pub async fn sync(&self, now: UnixMillis) -> Result<(), StoreError> {
        let window_start = now - now.rem_euclid(WINDOW_MS);
        let increments: Vec<RateIncrement> = {
            let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            counts.retain(|_, count| count.window_start >= window_start);
            counts
                .iter_mut()
                .map(|(key, count)| {
                    let increment =
                        RateIncrement { key: key.clone(), window_start: count.window_start, count: count.unreported };
                    count.reported_total += count.unreported;
                    count.unreported = 0;
                    increment
                })
                .collect()
        };
        if increments.is_empty() {
            return Ok(());
        }
        let totals = match self.store.add_to_rate_windows(&increments, window_start - WINDOW_MS).await {
            Ok(totals) => totals,
            Err(error) => {
                // Not reported: count them again next time.
                let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
                for increment in &increments {
                    if let Some(count) = counts.get_mut(&increment.key) {
                        count.reported_total = count.reported_total.saturating_sub(increment.count);
                        count.unreported += increment.count;
                    }
                }
                return Err(error);
            }
        };
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        for (increment, total) in increments.iter().zip(totals) {
            if let Some(count) = counts.get_mut(&increment.key) {
                if count.window_start == increment.window_start {
                    count.reported_total = count.reported_total.max(total);
                }
            }
        }
        Ok(())
    }

    fn start_reporting(self: &Arc<Self>) {
        self.reporter.get_or_init(|| {
            let limits = Arc::downgrade(self);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(SYNC_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    // The state is gone (a test's server, a reload): so is the task.
                    let Some(limits) = limits.upgrade() else { return };
                    let now = (limits.clock)();
                    if let Err(error) = limits.sync(now).await {
                        tracing::warn!(%error, "rate-limit counts not reported; kept for the next report");
                    }
                }
            });
        });
    }
}

/// Admits a request to `endpoint` from `address` and `visitor` at `now`,
/// or the problem to answer: 429 with `Retry-After`.
pub fn check(
    limits: &Arc<RateLimits>,
    endpoint: Endpoint,
    address: Option<&str>,
    visitor: Option<&str>,
    now: UnixMillis,
) -> Result<(), crate::problem::Problem> {
    limits.admit(endpoint, address, visitor, now).map_err(|refused| {
        metrics::counter!("crumb_rate_limited_total", "endpoint" => endpoint.prefix()).increment(1);
        let what = match endpoint {
            Endpoint::Event => "events",
            Endpoint::Consent => "consent decisions",
        };
        crate::problem::Problem::of(
            crate::problem::ProblemKind::Throttled,
            format!("too many {what} from this address or browser in a minute"),
        )
        .retry_after(refused.retry_after_seconds)
    })
}
