//! The cookies a browser holds after a crawl, as the scanner reports them:
//! read from Chromium through the DevTools protocol (`Network.getAllCookies`)
//! or from crumb's own jar in the fallback.
//!
//! What it is not: a judgement (see `judge`). Values are never kept: a
//! report may end up in a CI log, and a cookie's value can be a secret.

use serde::Serialize;

/// One cookie the browser held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedCookie {
    /// Its name.
    pub name: String,
    /// The domain it is kept for, without a leading dot.
    pub domain: String,
    /// Whether it is host-only (set without a `Domain` attribute).
    pub host_only: bool,
    /// Its path.
    pub path: String,
    /// `Secure`.
    pub secure: bool,
    /// `HttpOnly`.
    pub http_only: bool,
    /// `SameSite`, as the browser reports it, if any.
    pub same_site: Option<String>,
    /// Seconds it had left to live when observed; `None` for a session cookie.
    pub lifetime_seconds: Option<i64>,
    /// Whether it is kept for a domain that is not the scanned site's host
    /// or a parent of it.
    pub third_party: bool,
}

/// Whether a cookie kept for `domain` is sent to `host` (RFC 6265bis §5.1.3 domain-match).
pub fn domain_matches(host: &str, domain: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let domain = domain.trim_start_matches('.').to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// A cookie of `Network.getAllCookies`' answer (Chrome DevTools Protocol,
/// `Network.Cookie`: `expires` is seconds since the epoch, `-1` or absent
/// with `session: true` for a session cookie). `None` if it lacks a name or domain.
pub fn from_cdp(cookie: &serde_json::Value, now_unix: i64, site_host: &str) -> Option<ObservedCookie> {
    let name = cookie.get("name")?.as_str()?.to_owned();
    let raw_domain = cookie.get("domain")?.as_str()?;
    let flag = |key: &str| cookie.get(key).and_then(serde_json::Value::as_bool).unwrap_or(false);
    let expires = cookie.get("expires").and_then(serde_json::Value::as_f64).filter(|e| *e > 0.0);
    let lifetime_seconds =
        if flag("session") { None } else { expires.map(|e| (e.round() as i64).saturating_sub(now_unix)) };
    let domain = raw_domain.trim_start_matches('.').to_owned();
    Some(ObservedCookie {
        third_party: !domain_matches(site_host, &domain),
        host_only: !raw_domain.starts_with('.'),
        domain,
        path: cookie.get("path").and_then(serde_json::Value::as_str).unwrap_or("/").to_owned(),
        secure: flag("secure"),
        http_only: flag("httpOnly"),
        same_site: cookie.get("sameSite").and_then(serde_json::Value::as_str).map(str::to_owned),
        lifetime_seconds,
        name,
    })
}

/// A cookie of crumb's jar, as the fallback sees it.
pub fn from_jar(cookie: &crumb_cookie::Cookie, now: crumb_cookie::Timestamp, site_host: &str) -> ObservedCookie {
    let lifetime_seconds =
        cookie.expiry.map(|expiry| expiry.unix_micros().saturating_sub(now.unix_micros()) / 1_000_000);
    ObservedCookie {
        name: cookie.name_str().into_owned(),
        third_party: !domain_matches(site_host, &cookie.domain),
        domain: cookie.domain.clone(),
        host_only: cookie.host_only,
        path: cookie.path.clone(),
        secure: cookie.secure,
        http_only: cookie.http_only,
        same_site: Some(format!("{:?}", cookie.same_site)),
        lifetime_seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_devtools_cookie_becomes_an_observation() {
        let json = serde_json::json!({"name": "a", "value": "secret", "domain": ".ads.example", "path": "/",
            "expires": 1_000_090.4, "httpOnly": true, "secure": true, "session": false, "sameSite": "None"});
        let seen = from_cdp(&json, 1_000_000, "www.shop.example").unwrap();
        assert_eq!(seen.lifetime_seconds, Some(90));
        assert!(seen.third_party && !seen.host_only && seen.http_only && seen.secure);
        assert_eq!(seen.domain, "ads.example");
        let session = serde_json::json!({"name": "s", "domain": "www.shop.example", "expires": -1, "session": true});
        let seen = from_cdp(&session, 1_000_000, "www.shop.example").unwrap();
        assert_eq!(seen.lifetime_seconds, None);
        assert!(!seen.third_party && seen.host_only);
        assert!(domain_matches("www.shop.example", ".shop.example"));
        assert!(!domain_matches("www.shop.example", "op.example"));
    }
}
