//! Eviction, as Chromium's `CookieMonster::GarbageCollect` does it: per
//! site over `max_cookies_per_site`, and globally over `max_cookies` once
//! some cookie may be older than the safe period.

use super::Jar;
use crate::time::{Clock, Timestamp};

impl<C: Clock> Jar<C> {
    /// Per-site eviction (Chromium `CookieMonster::GarbageCollect`, domain
    /// part): over `max_cookies_per_site`, drop expired cookies, then purge
    /// down to `max - purge`: non-secure before secure, least recently used first.
    pub(super) fn evict_site(&mut self, key: &str, now: Timestamp) {
        let limit = self.config.max_cookies_per_site;
        let Some(cookies) = self.sites.get_mut(key) else { return };
        if cookies.len() <= limit {
            return;
        }
        let before = cookies.len();
        cookies.retain(|c| !c.is_expired(now));
        if cookies.len() > limit {
            let target = limit.saturating_sub(self.config.site_purge);
            // Eviction order: non-secure first, then least recently accessed.
            cookies.sort_by_key(|c| (c.secure, c.last_access, c.creation_index));
            let excess = cookies.len() - target;
            cookies.drain(..excess);
        }
        self.len -= before - cookies.len();
    }

    /// Global eviction (Chromium `CookieMonster::GarbageCollect`, global
    /// part, `kMaxCookies`/`kPurgeCookies`): over `max_cookies`, and only if
    /// some cookie may be older than the safe period, drop expired cookies,
    /// then purge cookies not accessed within the safe period, non-secure
    /// first, least recently used first.
    ///
    /// The gate is what keeps every operation O(cookies of the site) at any
    /// fill: a jar over the limit whose cookies are all recent cannot evict
    /// anything, and it is not scanned again until time makes one old.
    pub(super) fn evict_global(&mut self, now: Timestamp) {
        let safe_after = now.add_seconds(-self.config.safe_from_global_purge_seconds);
        if self.len <= self.config.max_cookies || self.earliest_access >= safe_after {
            return;
        }
        self.retain(|c| !c.is_expired(now));
        if self.len > self.config.max_cookies {
            let target = self.config.max_cookies.saturating_sub(self.config.global_purge);
            let mut candidates: Vec<(bool, Timestamp, u64)> = self
                .iter()
                .filter(|c| c.last_access < safe_after)
                .map(|c| (c.secure, c.last_access, c.creation_index))
                .collect();
            candidates.sort_unstable();
            let excess = (self.len - target).min(candidates.len());
            let doomed: std::collections::HashSet<u64> = candidates[..excess].iter().map(|c| c.2).collect();
            self.retain(|c| !doomed.contains(&c.creation_index));
        }
        // The scan makes the bound exact again.
        self.earliest_access = self.iter().map(|c| c.last_access).min().unwrap_or(Timestamp::MAX);
    }
}
