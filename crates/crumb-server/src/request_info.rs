//! What the server reads from a request: cookies, privacy signals, origin.

use axum::http::{header, HeaderMap};
use crumb_cookie::CookieHeader;

use crate::category::Signals;
use crate::config::Config;

/// The cookies a request carried, by name. The first value wins (browsers
/// send the most specific cookie first).
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get_all(header::COOKIE).iter().find_map(|value| CookieHeader::parse_bytes(value.as_bytes()).get(name))
}

/// The privacy signals the request carried that the site honours.
pub fn signals(headers: &HeaderMap, config: &Config) -> Signals {
    let on = |name: &str| headers.get(name).is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
    Signals { gpc: config.honour_gpc && on("sec-gpc"), dnt: config.honour_dnt && on("dnt") }
}

/// Whether the signals were sent at all (recorded even when not honoured).
pub fn raw_signals(headers: &HeaderMap) -> (bool, bool) {
    let on = |name: &str| headers.get(name).is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
    (on("sec-gpc"), on("dnt"))
}

/// CSRF defence for state-changing requests that rely on cookies: a
/// browser's cross-site request is refused. Browsers send `Origin` on
/// POSTs and `Sec-Fetch-Site`; a request without either does not come from
/// a browser page and cannot ride on a visitor's cookies.
pub fn check_same_origin(headers: &HeaderMap, config: &Config) -> Result<(), String> {
    if headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site") {
        return Err("cross-site requests cannot change consent".into());
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().map_err(|_| "the Origin header is not text".to_owned())?;
    let host_origin = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|host| {
        let scheme = if origin.starts_with("https://") { "https" } else { "http" };
        format!("{scheme}://{host}")
    });
    if config.origins.iter().any(|o| o == origin) || host_origin.as_deref() == Some(origin) {
        Ok(())
    } else {
        Err(format!("origin {origin} is not one of this site's origins"))
    }
}
