//! A browser-grade cookie jar: the storage model (RFC 6265bis §5.7) and the
//! retrieval model (§5.8), with Chromium's limits and eviction.
//!
//! Cookies are filed by site (registrable domain), so setting and looking up
//! cost in proportion to the cookies of the request's site, not of the jar.

use std::collections::HashMap;

use crate::cookie::Cookie;
use crate::domain::{self, canonicalize_domain, domain_match, is_localhost};
use crate::path::{default_path, path_match};
use crate::request::{Api, RequestContext, RequestUrl, SiteRelation};
use crate::set_cookie::{ParseError, SameSite, SetCookie};
use crate::time::{Clock, SystemClock, Timestamp};

mod eviction;
mod rules;

use rules::{partition_allows, resolve_domain_attribute, same_site_allows, starts_with_ignore_case};

/// The longest a cookie may live: 400 days (RFC 6265bis §5.5).
pub const MAX_COOKIE_AGE_SECONDS: i64 = 400 * 86_400;

/// Limits and policies of a jar. The defaults are Chromium's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JarConfig {
    /// Cookies per site before the site is purged (Chromium `kDomainMaxCookies`).
    pub max_cookies_per_site: usize,
    /// How many a site purge removes beyond the limit (Chromium `kDomainPurgeCookies`).
    pub site_purge: usize,
    /// Cookies in all before a global purge (Chromium `kMaxCookies`).
    pub max_cookies: usize,
    /// How many a global purge removes beyond the limit (Chromium `kPurgeCookies`).
    pub global_purge: usize,
    /// Cookies accessed more recently than this are safe from the global
    /// purge (Chromium `kSafeFromGlobalPurgeDays`, 30 days), in seconds.
    pub safe_from_global_purge_seconds: i64,
    /// Whether `http://localhost` and loopback addresses count as secure
    /// origins for `Secure` cookies, as in Chromium.
    pub localhost_is_secure: bool,
    /// For cookies without `SameSite`, the age (seconds) under which they are
    /// still sent on cross-site top-level unsafe requests ("Lax-allowing-unsafe",
    /// §5.6.7.2; Chromium: 2 minutes). `None` disables it.
    pub lax_allowing_unsafe_seconds: Option<i64>,
}

impl Default for JarConfig {
    fn default() -> Self {
        JarConfig {
            max_cookies_per_site: 180,
            site_purge: 30,
            max_cookies: 3300,
            global_purge: 300,
            safe_from_global_purge_seconds: 30 * 86_400,
            localhost_is_secure: true,
            lax_allowing_unsafe_seconds: Some(120),
        }
    }
}

/// Why a jar refused a cookie. Each variant names the rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The header value does not parse (§5.6).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A `Domain` attribute that is not a host name.
    #[error("RFC 6265bis §5.1.2: the Domain attribute is not a valid host name ({0})")]
    DomainInvalid(String),
    /// A `Domain` that is a public suffix other than the request host.
    #[error("RFC 6265bis §5.7 step 9: Domain={domain} is a public suffix")]
    DomainIsPublicSuffix {
        /// The canonical domain attribute.
        domain: String,
    },
    /// A `Domain` the request host does not domain-match.
    #[error("RFC 6265bis §5.7 step 10: the request host {host} does not domain-match Domain={domain}")]
    DomainMismatch {
        /// The request host.
        host: String,
        /// The canonical domain attribute.
        domain: String,
    },
    /// A `Secure` cookie from an insecure origin.
    #[error("RFC 6265bis §5.7 step 13: a Secure cookie can only be set from a secure origin (https)")]
    SecureFromInsecureOrigin,
    /// An `HttpOnly` cookie from a script.
    #[error("RFC 6265bis §5.7 step 15: a non-HTTP API cannot set an HttpOnly cookie")]
    HttpOnlyFromScript,
    /// An insecure origin trying to overlay an existing `Secure` cookie.
    #[error(
        "RFC 6265bis §5.7 step 16: an insecure origin cannot set a cookie that would overlay the existing Secure cookie of the same name"
    )]
    OverlaysSecureCookie,
    /// A `SameSite` cookie set from a cross-site subresource.
    #[error("RFC 6265bis §5.7 step 18: a SameSite=Lax/Strict cookie cannot be set from a cross-site request that is not a top-level navigation")]
    SameSiteFromCrossSite,
    /// `SameSite=None` without `Secure`.
    #[error("RFC 6265bis §5.7 step 19: SameSite=None requires Secure")]
    SameSiteNoneWithoutSecure,
    /// `__Secure-` without `Secure`.
    #[error("RFC 6265bis §5.7 step 20 (§4.1.3.1): a __Secure- cookie must be Secure and set from a secure origin")]
    SecurePrefix,
    /// `__Host-` without `Secure`, with a `Domain`, or with a path other than `/`.
    #[error(
        "RFC 6265bis §5.7 step 21 (§4.1.3.2): a __Host- cookie must be Secure, host-only (no Domain) and have Path=/"
    )]
    HostPrefix,
    /// `__Http-` without `Secure` and `HttpOnly`, or set from script.
    #[error("Chromium __Http- prefix: the cookie must be Secure and HttpOnly and set over HTTP")]
    HttpPrefix,
    /// `__Host-Http-` without the requirements of both prefixes.
    #[error("Chromium __Host-Http- prefix: the cookie must meet both the __Host- and the __Http- rules")]
    HostHttpPrefix,
    /// A nameless cookie whose value starts with a prefix.
    #[error("RFC 6265bis §5.7 step 22: a nameless cookie's value cannot start with __Secure- or __Host-")]
    NamelessWithPrefix,
    /// `Partitioned` without `Secure`.
    #[error("CHIPS (Chromium): a Partitioned cookie must be Secure")]
    PartitionedWithoutSecure,
    /// A script trying to overwrite an `HttpOnly` cookie.
    #[error("RFC 6265bis §5.7 step 23.2: a non-HTTP API cannot overwrite an HttpOnly cookie")]
    OverwritesHttpOnly,
}

/// What storing a `Set-Cookie` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stored {
    /// A new cookie was inserted.
    Inserted,
    /// An existing cookie with the same name, domain and path was replaced
    /// (its creation time kept).
    Replaced,
    /// The cookie arrived already expired: an existing one was removed (if
    /// `true`) and nothing was stored (§5.7 step 25).
    Expired {
        /// Whether a cookie was removed.
        removed_existing: bool,
    },
}

/// A cookie jar with an injectable clock.
///
/// ```
/// use crumb_cookie::{Jar, RequestContext, RequestUrl};
///
/// let mut jar = Jar::new();
/// let url = RequestUrl::parse("https://www.example.com/account").unwrap();
/// let ctx = RequestContext::typed_navigation();
/// jar.set_cookie(&url, "sid=abc; Secure; HttpOnly; Path=/", ctx).unwrap();
/// let header = jar.cookie_header(&RequestUrl::parse("https://www.example.com/").unwrap(), ctx);
/// assert_eq!(header.as_deref(), Some("sid=abc"));
/// ```
#[derive(Debug)]
pub struct Jar<C: Clock = SystemClock> {
    clock: C,
    config: JarConfig,
    sites: HashMap<String, Vec<Cookie>>,
    len: usize,
    next_index: u64,
    /// No cookie was last accessed before this: a lower bound, lowered by
    /// every insertion and lookup (a lookup moves access times to now, which
    /// is earlier than the bound only when the clock went back). The global
    /// purge runs only when it is older than the safe period, so a full jar
    /// of recent cookies costs nothing per insertion (Chromium
    /// `CookieMonster::earliest_access_time_`).
    earliest_access: Timestamp,
}

impl Default for Jar<SystemClock> {
    fn default() -> Self {
        Jar::new()
    }
}

impl Jar<SystemClock> {
    /// An empty jar on the system clock with Chromium's limits.
    pub fn new() -> Self {
        Jar::with_clock(SystemClock)
    }
}

impl<C: Clock> Jar<C> {
    /// An empty jar reading time from `clock`.
    pub fn with_clock(clock: C) -> Self {
        Jar::with_config(clock, JarConfig::default())
    }

    /// An empty jar with the given clock and limits.
    pub fn with_config(clock: C, config: JarConfig) -> Self {
        Jar { clock, config, sites: HashMap::new(), len: 0, next_index: 0, earliest_access: Timestamp::MAX }
    }

    /// The jar's clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The jar's limits.
    pub fn config(&self) -> &JarConfig {
        &self.config
    }

    /// How many cookies the jar holds (expired ones not yet evicted included).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the jar holds no cookie.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every cookie, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Cookie> {
        self.sites.values().flatten()
    }

    /// Removes every cookie.
    pub fn clear(&mut self) {
        self.sites.clear();
        self.len = 0;
        self.earliest_access = Timestamp::MAX;
    }

    /// "The current session is over" (§5.7): removes every session cookie.
    pub fn end_session(&mut self) {
        self.retain(|cookie| cookie.is_persistent());
    }

    /// Keeps only the cookies for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Cookie) -> bool) {
        let mut len = 0;
        self.sites.retain(|_, cookies| {
            cookies.retain(&mut keep);
            len += cookies.len();
            !cookies.is_empty()
        });
        self.len = len;
    }

    /// Processes one `Set-Cookie` header value received in the response to
    /// a request for `url` made in `ctx` (§5.7).
    pub fn set_cookie(
        &mut self,
        url: &RequestUrl,
        header_value: impl AsRef<[u8]>,
        ctx: RequestContext,
    ) -> Result<Stored, Rejection> {
        let now = self.clock.now();
        let cookie = self.admit(url, header_value.as_ref(), ctx, now)?;
        Ok(self.store(cookie, now))
    }

    /// What `document.cookie = text` does in a page at `url` (a same-site
    /// top-level document): the storage model for a non-HTTP API (§5.7 with
    /// the script rules of steps 15 and 23.2), on `text` exactly as the
    /// script wrote it. Scripts cannot set `HttpOnly` cookies, cannot
    /// replace one, and cannot set `__Http-` or `__Host-Http-` cookies; the
    /// size, prefix, `Secure` and `SameSite` rules are those of
    /// `Set-Cookie`. Nothing of the HTTP layer applies (a CR is a control
    /// character, not the end of a header line).
    ///
    /// ```
    /// use crumb_cookie::{Jar, RequestContext, RequestUrl};
    ///
    /// let mut jar = Jar::new();
    /// let page = RequestUrl::parse("https://www.example.com/shop/cart").unwrap();
    /// jar.set_cookie(&page, "sid=1; Path=/; Secure; HttpOnly", RequestContext::typed_navigation()).unwrap();
    /// jar.set_from_script(&page, "theme=dark; path=/").unwrap();
    /// assert!(jar.set_from_script(&page, "sid=stolen; path=/; Secure").is_err());
    /// assert_eq!(jar.script_cookie_string(&page), "theme=dark");
    /// ```
    pub fn set_from_script(&mut self, url: &RequestUrl, text: impl AsRef<[u8]>) -> Result<Stored, Rejection> {
        self.set_cookie(url, text, RequestContext::script())
    }

    /// What `document.cookie` returns in a page at `url` (a same-site
    /// top-level document): the cookies a request for `url` would carry,
    /// less the `HttpOnly` ones, in the same order, as `name=value` pairs
    /// joined by `"; "` (a nameless cookie as its value alone; `""` for
    /// none). Bytes that are not UTF-8 are decoded as Latin-1.
    pub fn script_cookie_string(&mut self, url: &RequestUrl) -> String {
        let bytes = self.cookie_header_bytes(url, RequestContext::script()).unwrap_or_default();
        crate::cookie_header::text_or_latin1(bytes)
    }

    /// Runs the storage model without changing the jar: the cookie that
    /// would be stored, or the rule that refuses it. The answer to "why
    /// isn't my cookie set?".
    pub fn check(
        &self,
        url: &RequestUrl,
        header_value: impl AsRef<[u8]>,
        ctx: RequestContext,
    ) -> Result<Cookie, Rejection> {
        self.admit(url, header_value.as_ref(), ctx, self.clock.now())
    }

    /// §5.6 and §5.7 steps 1–23.2: parses and checks a `Set-Cookie` value
    /// against the request and the jar's contents.
    fn admit(
        &self,
        url: &RequestUrl,
        header_value: &[u8],
        ctx: RequestContext,
        now: Timestamp,
    ) -> Result<Cookie, Rejection> {
        let parsed = SetCookie::parse_bytes(header_value)?;
        let cookie = self.create(url, &parsed, ctx, now)?;
        // §5.7 step 23.2: scripts cannot replace an HttpOnly cookie.
        if ctx.api == Api::Script && self.find(&cookie).is_some_and(|old| old.http_only) {
            return Err(Rejection::OverwritesHttpOnly);
        }
        Ok(cookie)
    }

    fn is_secure_origin(&self, url: &RequestUrl) -> bool {
        url.has_secure_scheme() || (self.config.localhost_is_secure && is_localhost(url.host()))
    }

    /// §5.7 steps 2–22: builds the cookie record or names the rule that refuses it.
    fn create(
        &self,
        url: &RequestUrl,
        parsed: &SetCookie<'_>,
        ctx: RequestContext,
        now: Timestamp,
    ) -> Result<Cookie, Rejection> {
        let host = url.host();
        let secure_origin = self.is_secure_origin(url);

        // §5.7 step 6, with the lifetime cap of §5.5: Max-Age wins over Expires.
        let cap = now.add_seconds(MAX_COOKIE_AGE_SECONDS);
        let expiry = if let Some(delta) = parsed.max_age() {
            Some(if delta <= 0 { Timestamp::MIN } else { now.add_seconds(delta).min(cap) })
        } else {
            parsed.expires().map(|expires| expires.min(cap))
        };

        // §5.7 steps 7–10: the domain attribute.
        let domain_attribute = match parsed.domain_raw() {
            None => None,
            // Chromium: `Domain=.` names no host and rejects the cookie.
            Some([]) if parsed.domain_attribute() == Some(&b"."[..]) => {
                return Err(Rejection::DomainInvalid("\".\" names no host".into()));
            }
            Some([]) => None,
            // §5.7 step 8 would refuse non-ASCII; Chromium (whose
            // kCookieDomainRejectNonASCII is off) converts it to A-labels (§5.1.2).
            Some(raw) => Some(canonicalize_domain(raw).map_err(|e| Rejection::DomainInvalid(e.to_string()))?),
        };
        let (domain, host_only) = match domain_attribute {
            None => (host.to_owned(), true),
            Some(attr) => resolve_domain_attribute(host, attr)?,
        };

        // §5.7 step 11 and §5.6.4: the path, or the default-path.
        let path = match parsed.path() {
            Some(p) if p.first() == Some(&b'/') => String::from_utf8_lossy(p).into_owned(),
            _ => default_path(url.path()).to_owned(),
        };

        // §5.7 steps 12–13: Secure only from a secure origin.
        let secure = parsed.secure();
        if secure && !secure_origin {
            return Err(Rejection::SecureFromInsecureOrigin);
        }
        // §5.7 steps 14–15: HttpOnly only from HTTP.
        let http_only = parsed.http_only();
        if http_only && ctx.api == Api::Script {
            return Err(Rejection::HttpOnlyFromScript);
        }

        let name = parsed.name();
        let cookie = Cookie {
            name: name.to_vec(),
            value: parsed.value().to_vec(),
            domain,
            host_only,
            path,
            secure,
            http_only,
            same_site: parsed.same_site(),
            partition_key: parsed.partitioned().then(|| url.site().to_owned()),
            expiry,
            creation: now,
            last_access: now,
            creation_index: 0,
        };

        // §5.7 step 16: leave secure cookies alone (Chromium counts
        // localhost as a secure origin here too).
        if !secure && !secure_origin && self.overlays_secure_cookie(&cookie) {
            return Err(Rejection::OverlaysSecureCookie);
        }

        // §5.7 steps 17–18: SameSite cookies are only set from same-site
        // requests or top-level navigations.
        if cookie.same_site != SameSite::None
            && ctx.site_relation == SiteRelation::CrossSite
            && (ctx.api == Api::Script || !ctx.top_level_navigation)
        {
            return Err(Rejection::SameSiteFromCrossSite);
        }
        // §5.7 step 19: SameSite=None requires Secure.
        if cookie.same_site == SameSite::None && !secure {
            return Err(Rejection::SameSiteNoneWithoutSecure);
        }
        // CHIPS: Partitioned requires Secure (Chromium).
        if parsed.partitioned() && !secure {
            return Err(Rejection::PartitionedWithoutSecure);
        }

        // §5.7 steps 20–21 and Chromium's __Http- prefixes; prefixes match case-insensitively.
        // __Host-: Secure, host-only (no Domain attribute; Chromium also allows
        // a Domain equal to an IP-address host) and a Path attribute of "/".
        let no_domain = parsed.domain_raw().is_none_or(<[u8]>::is_empty) || domain::is_ip_literal(host);
        let host_rules = secure && host_only && no_domain && parsed.path() == Some(&b"/"[..]);
        let http_rules = secure && http_only && ctx.api == Api::Http;
        if starts_with_ignore_case(name, b"__Host-Http-") {
            if !(host_rules && http_rules) {
                return Err(Rejection::HostHttpPrefix);
            }
        } else if starts_with_ignore_case(name, b"__Http-") {
            if !http_rules {
                return Err(Rejection::HttpPrefix);
            }
        } else if starts_with_ignore_case(name, b"__Secure-") {
            if !secure {
                return Err(Rejection::SecurePrefix);
            }
        } else if starts_with_ignore_case(name, b"__Host-") && !host_rules {
            return Err(Rejection::HostPrefix);
        }
        // §5.7 step 22: a nameless cookie must not look prefixed.
        if name.is_empty()
            && [&b"__Secure-"[..], b"__Host-", b"__Http-", b"__Host-Http-"]
                .iter()
                .any(|prefix| starts_with_ignore_case(&cookie.value, prefix))
        {
            return Err(Rejection::NamelessWithPrefix);
        }
        Ok(cookie)
    }

    /// §5.7 step 16: an existing Secure cookie of the same name whose domain
    /// domain-matches the new one's (either way) and whose path the new
    /// one's path path-matches.
    fn overlays_secure_cookie(&self, new: &Cookie) -> bool {
        let Some(cookies) = self.sites.get(domain::site_key(&new.domain)) else {
            return false;
        };
        cookies.iter().any(|old| {
            old.secure
                && old.name == new.name
                && old.partition_key == new.partition_key
                && (domain_match(&old.domain, &new.domain) || domain_match(&new.domain, &old.domain))
                && path_match(&new.path, &old.path)
        })
    }

    fn find(&self, cookie: &Cookie) -> Option<&Cookie> {
        self.sites.get(domain::site_key(&cookie.domain))?.iter().find(|old| old.same_identity(cookie))
    }

    /// §5.7 steps 23–25 and eviction: replaces, inserts or deletes.
    fn store(&mut self, mut cookie: Cookie, now: Timestamp) -> Stored {
        let key = domain::site_key(&cookie.domain).to_owned();
        let cookies = self.sites.entry(key.clone()).or_default();
        let existing = cookies.iter().position(|old| old.same_identity(&cookie));
        if let Some(i) = existing {
            // §5.7 step 23.4 removes the old cookie.
            let old = cookies.swap_remove(i);
            self.len -= 1;
            // §5.7 step 23.3 keeps the old creation time; Chromium
            // (CookieMonster::MaybeDeleteEquivalentCookieAndUpdateStatus)
            // keeps it only when the value is unchanged, so a changed cookie
            // moves to the end of its path group.
            if old.value == cookie.value {
                cookie.creation = old.creation;
                cookie.creation_index = old.creation_index;
            } else {
                cookie.creation_index = self.next_index;
                self.next_index += 1;
            }
        } else {
            cookie.creation_index = self.next_index;
            self.next_index += 1;
        }
        // §5.7 step 25: an expired cookie is evicted at once.
        if cookie.is_expired(now) {
            if cookies.is_empty() {
                self.sites.remove(&key);
            }
            return Stored::Expired { removed_existing: existing.is_some() };
        }
        self.earliest_access = self.earliest_access.min(cookie.last_access);
        cookies.push(cookie);
        self.len += 1;
        self.evict_site(&key, now);
        self.evict_global(now);
        if existing.is_some() {
            Stored::Replaced
        } else {
            Stored::Inserted
        }
    }

    /// The cookies a request for `url` in `ctx` carries, in `Cookie` header
    /// order (§5.8.3 steps 1–3); their last-access time is updated.
    pub fn cookies_for(&mut self, url: &RequestUrl, ctx: RequestContext) -> Vec<&Cookie> {
        let now = self.clock.now();
        let secure_origin = self.is_secure_origin(url);
        let lax_unsafe = self.config.lax_allowing_unsafe_seconds;
        // The request's site is also the key its cookies are filed under.
        let request_site = url.site();
        let Some(cookies) = self.sites.get_mut(request_site) else {
            return Vec::new();
        };
        // Expired cookies are evicted as they are found (§5.7, "at any time").
        let before = cookies.len();
        cookies.retain(|c| !c.is_expired(now));
        self.len -= before - cookies.len();

        let mut selected: Vec<&mut Cookie> = cookies
            .iter_mut()
            .filter(|c| {
                // §5.8.3 step 1: Secure, HttpOnly, SameSite, partition, host,
                // path. The record's flags come first and the strings it
                // points to last, so a cookie the flags exclude costs no
                // heap read.
                (!c.secure || secure_origin)
                    && (!c.http_only || ctx.api == Api::Http)
                    && same_site_allows(c, ctx, now, lax_unsafe)
                    && partition_allows(c, request_site, ctx)
                    && if c.host_only { url.host() == c.domain } else { domain_match(url.host(), &c.domain) }
                    && path_match(url.path(), &c.path)
            })
            .collect();
        // §5.8.3 step 2: longer paths first, then earlier creation.
        selected.sort_by(|a, b| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then(a.creation.cmp(&b.creation))
                .then(a.creation_index.cmp(&b.creation_index))
        });
        // §5.8.3 step 3: update last-access-time (and keep the bound a
        // bound should the clock have gone back).
        for cookie in &mut selected {
            cookie.last_access = now;
        }
        if !selected.is_empty() {
            self.earliest_access = self.earliest_access.min(now);
        }
        selected.into_iter().map(|c| &*c).collect()
    }

    /// The `Cookie` header value for a request, as raw bytes, or `None` when
    /// no cookie goes (§5.8.3 step 4).
    pub fn cookie_header_bytes(&mut self, url: &RequestUrl, ctx: RequestContext) -> Option<Vec<u8>> {
        let cookies = self.cookies_for(url, ctx);
        if cookies.is_empty() {
            return None;
        }
        let mut header = Vec::with_capacity(cookies.iter().map(|c| c.name.len() + c.value.len() + 3).sum());
        for (i, cookie) in cookies.iter().enumerate() {
            if i > 0 {
                header.extend_from_slice(b"; ");
            }
            cookie.write_pair(&mut header);
        }
        Some(header)
    }

    /// The `Cookie` header value as text (invalid UTF-8 replaced).
    pub fn cookie_header(&mut self, url: &RequestUrl, ctx: RequestContext) -> Option<String> {
        self.cookie_header_bytes(url, ctx).map(|bytes| match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// Inserts a cookie record as is (import and persistence). It replaces a
    /// cookie of the same identity; expired cookies are dropped.
    pub fn insert(&mut self, mut cookie: Cookie) {
        let now = self.clock.now();
        if cookie.is_expired(now) {
            return;
        }
        let key = domain::site_key(&cookie.domain).to_owned();
        let cookies = self.sites.entry(key.clone()).or_default();
        if let Some(i) = cookies.iter().position(|old| old.same_identity(&cookie)) {
            cookies.swap_remove(i);
            self.len -= 1;
        }
        cookie.creation_index = self.next_index;
        self.next_index += 1;
        self.earliest_access = self.earliest_access.min(cookie.last_access);
        cookies.push(cookie);
        self.len += 1;
        self.evict_site(&key, now);
        self.evict_global(now);
    }
}
