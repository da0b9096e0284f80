//! What the server reads from a request: cookies, privacy signals, origin,
//! the client's address.

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use crumb_cookie::CookieHeader;

use crumb_core::category::Signals;
use crumb_core::config::Config;

/// `?lang=xx`.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    /// An explicit language choice.
    pub lang: Option<String>,
}

/// Request bodies larger than this are refused with 413.
pub const BODY_LIMIT_BYTES: usize = 16 * 1024;

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
    // Only the configured origins: a Host header that matches the Origin
    // proves nothing, since a DNS-rebinding page controls both.
    if config.is_own_origin(origin) {
        Ok(())
    } else {
        Err(format!("origin {origin} is not one of this site's origins"))
    }
}

/// The connection's peer address (`None` when the router is served
/// without connect info, as in tests that call it directly).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip())))
    }
}

/// The client's address: the connection's peer, unless the peer is one of
/// the `trusted` proxies; then the nearest `X-Forwarded-For` hop that is not
/// one. Proxies append the address they saw, so hops further left are the
/// client's to write and are never believed. A hop that is not an address
/// stops the walk at the last trusted one.
pub fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let mut nearest = peer?;
    if !trusted.contains(&nearest) {
        return Some(nearest);
    }
    let values: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    for hop in values.iter().rev().flat_map(|value| value.rsplit(',')) {
        let hop = hop.trim();
        let Some(address) = hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        else {
            break;
        };
        if !trusted.contains(&address) {
            return Some(address);
        }
        nearest = address;
    }
    Some(nearest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("10.0.0.1")];
        let spoofed = forwarded(&["6.6.6.6"]);
        assert_eq!(client_address(&spoofed, Some(ip("203.0.113.9")), &proxy), Some(ip("203.0.113.9")), "not a proxy");
        assert_eq!(client_address(&spoofed, Some(ip("203.0.113.9")), &[]), Some(ip("203.0.113.9")), "no proxies");
        // The client wrote 6.6.6.6 itself; the proxy appended what it saw.
        let through_proxy = forwarded(&["6.6.6.6, 198.51.100.7"]);
        assert_eq!(client_address(&through_proxy, Some(ip("10.0.0.1")), &proxy), Some(ip("198.51.100.7")));
        // Two proxies, the second's hop in a header line of its own, one with a port.
        let two = [ip("10.0.0.1"), ip("10.0.0.2")];
        let chain = forwarded(&["6.6.6.6, 198.51.100.7:4711", "10.0.0.2"]);
        assert_eq!(client_address(&chain, Some(ip("10.0.0.1")), &two), Some(ip("198.51.100.7")));
        assert_eq!(client_address(&HeaderMap::new(), Some(ip("10.0.0.1")), &proxy), Some(ip("10.0.0.1")));
        assert_eq!(client_address(&forwarded(&["unknown"]), Some(ip("10.0.0.1")), &proxy), Some(ip("10.0.0.1")));
        assert_eq!(client_address(&spoofed, None, &proxy), None, "no connection info");
    }
}
