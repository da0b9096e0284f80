//! The reverse proxy: a request that is not crumb's goes to the upstream,
//! and its answer comes back with consent enforced on the wire.
//!
//! The client is hyper-util's legacy client over HTTP/1.1 (`http1` only):
//! it is already in the dependency tree (crumb-browser uses it), pools
//! connections to the upstream, streams bodies both ways as
//! `http_body::Body` frames (nothing is buffered: a 20 MB upload or
//! download passes chunk by chunk, with no body limit), and runs its
//! connections `with_upgrades`, so a WebSocket (HTTP/1.1 `Upgrade`, RFC
//! 9110 §7.8) can be tunnelled. reqwest would decompress, follow
//! redirects and own cookies — all things a proxy must not do — and the
//! upstream is a site on a private network, where HTTP/1.1 is what every
//! server speaks. Only `http://` upstreams are supported: the client has
//! no TLS connector (see docs/gateway.md).
//!
//! What the upstream gets: the visitor's method, path, query and body;
//! headers without the hop-by-hop ones (RFC 9110 §7.6.1: `Connection`,
//! the fields it names, `Keep-Alive`, `Proxy-Connection`, `TE`,
//! `Trailer`, `Transfer-Encoding`, `Upgrade` but for an upgrade); the
//! visitor's `Host` preserved (so the site builds its links, virtual hosts
//! and redirects for the name the visitor used, as nginx's `proxy_set_header
//! Host $host`), with `X-Forwarded-Host`, `X-Forwarded-Proto`,
//! `X-Forwarded-For` and `Forwarded` (RFC 7239 §4) saying who asked. Those
//! the client sent are dropped unless the peer is one of
//! `server.trusted_proxies`, whose values are extended. The `Cookie`
//! header loses every cookie whose category is not granted, and crumb's
//! own cookies ([`super::wire`]).
//!
//! What the visitor gets: the upstream's answer with hop-by-hop headers
//! removed, `Set-Cookie`s of refused categories removed, withdrawn cookies
//! expired, and crumb's script tag in HTML ([`super::inject`]). No
//! security headers, CSP, problem conversion or page negotiation of
//! crumb's own routes touch it. The upstream's failures are crumb's to
//! answer: 502 when it cannot be reached, 504 when its headers take longer
//! than `gateway.timeout_seconds` — a page for browsers, a problem for
//! other clients ([`super::failure`]).

use std::net::IpAddr;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};
use axum::response::{IntoResponse, Response};
use crumb_cookie::Timestamp;
use crumb_store::SightingKind;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::audit::Noted;
use super::inject::{self, Encoding, Injector, Width};
use super::wire::Rules;
use super::{failure, Gateway};
use crate::problem::{Problem, ProblemKind};
use crate::request_info::Peer;
use crate::state::AppState;

/// The client to the upstream.
pub type Client = hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>;

/// A client for the upstream: HTTP/1.1, pooled, over TCP for an `http://`
/// upstream and over TLS (rustls, ring) for an `https://` one. The
/// upstream's certificate is checked against the system's trust store
/// (`rustls-native-certs`, which honours `SSL_CERT_FILE` and
/// `SSL_CERT_DIR`, as for PostgreSQL) and for the upstream's host name.
pub fn client() -> Client {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.enforce_http(false);
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(%error, "gateway: a trusted certificate could not be read");
    }
    let mut roots = rustls::RootCertStore::empty();
    let (_added, ignored) = roots.add_parsable_certificates(found.certs);
    if ignored > 0 {
        tracing::warn!(ignored, "gateway: trusted certificates rustls cannot use were ignored");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        // ring's provider supports rustls's default protocol versions (TLS 1.2 and 1.3).
        .unwrap_or_else(|e| unreachable!("ring supports the default TLS versions: {e}"))
        .with_root_certificates(roots)
        .with_no_client_auth();
    // `enable_http1` offers ALPN `http/1.1` (hyper-rustls refuses a config that set it).
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector);
    hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https)
}

/// Hop-by-hop fields (RFC 9110 §7.6.1, with the obsolete `Keep-Alive` and
/// `Proxy-Connection` of RFC 2068 that some clients still send).
const HOP_BY_HOP: &[&str] =
    &["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];

/// Whether a request asks to switch protocols (`Connection: upgrade` and an `Upgrade`).
fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE) && connection_tokens(headers).iter().any(|t| t == "upgrade")
}

fn connection_tokens(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Removes hop-by-hop fields; for an upgrade, `Upgrade` and
/// `Connection: upgrade` stay (they are what the next hop must see).
fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    for token in connection_tokens(headers) {
        if let Ok(name) = HeaderName::from_bytes(token.as_bytes()) {
            if !(upgrade && name == header::UPGRADE) {
                headers.remove(name);
            }
        }
    }
    let upgrade_to = headers.get(header::UPGRADE).cloned();
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
    if let (true, Some(protocol)) = (upgrade, upgrade_to) {
        headers.insert(header::UPGRADE, protocol);
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// `X-Forwarded-*` and `Forwarded` (RFC 7239): the client's address, the
/// host it asked for and the scheme of the site's origin.
fn add_forwarded(headers: &mut HeaderMap, peer: Option<IpAddr>, trusted: bool, proto: &str) {
    if !trusted {
        for name in ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"] {
            headers.remove(name);
        }
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut element = Vec::new();
    if let Some(peer) = peer {
        // §6: an IPv6 address is bracketed and the value quoted.
        element.push(match peer {
            IpAddr::V4(v4) => format!("for={v4}"),
            IpAddr::V6(v6) => format!("for=\"[{v6}]\""),
        });
        append_list(headers, "x-forwarded-for", &peer.to_string());
    }
    if let Some(host) = &host {
        // §5.3: a host with a port is a quoted-string in theory; quoting
        // always is allowed and simpler.
        element.push(format!("host=\"{}\"", host.replace(['"', '\\'], "")));
        set(headers, "x-forwarded-host", host);
    }
    element.push(format!("proto={proto}"));
    set(headers, "x-forwarded-proto", proto);
    append_list(headers, "forwarded", &element.join(";"));
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn append_list(headers: &mut HeaderMap, name: &'static str, value: &str) {
    let previous: Vec<String> =
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
    let joined = previous.into_iter().chain(std::iter::once(value.to_owned())).collect::<Vec<_>>().join(", ");
    set(headers, name, &joined);
}

/// The upstream's URI for a request's path and query: the upstream's
/// scheme and authority, its path (if any) before the request's.
fn upstream_uri(upstream: &url::Url, path_and_query: Option<&PathAndQuery>) -> Result<Uri, Problem> {
    let base = upstream.path().trim_end_matches('/');
    let rest = path_and_query.map_or("/", PathAndQuery::as_str);
    let authority = match (upstream.host_str(), upstream.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    };
    format!("{}://{authority}{base}{rest}", upstream.scheme())
        .parse()
        .map_err(|_| Problem::bad_request("the request's path cannot be forwarded"))
}

/// Where the audit's sightings of one request go.
struct Sightings<'a> {
    state: &'a AppState,
    request_path: String,
    now: i64,
}

impl Sightings<'_> {
    fn note(&self, kind: SightingKind, name: &str, domain: &str, path: &str, detail: String) {
        let (request_path, at) = (self.request_path.as_str(), self.now);
        let noted = Noted { kind, name, domain, path, detail, request_path, at };
        self.state.gateway_audit.note(&self.state.config.site_name, noted);
    }
}

/// The handler behind every path that is not crumb's.
pub async fn proxy(State(gateway): State<Gateway>, Peer(peer): Peer, mut request: Request) -> Response {
    let state = &gateway.state;
    // A browser's navigation gets a page in its reader's language when the upstream fails.
    let page_language = crate::pages::negotiate::wants_html(request.headers())
        .then(|| crate::consent::language_for(state, request.headers(), None));
    let rules = Rules::new(&state.config, crate::consent::granted_now(state, request.headers()), gateway.undeclared);
    let seen = Sightings { state, request_path: request.uri().path().to_owned(), now: state.now_millis() };
    let expire = cookies_to_upstream(&seen, &rules, request.headers_mut());
    let client_side = wants_upgrade(request.headers()).then(|| hyper::upgrade::on(&mut request));
    if let Err(problem) = head_for_upstream(&gateway, peer, &mut request, client_side.is_some()) {
        return problem.into_response();
    }
    let head = request.method() == Method::HEAD;
    let mut response = match send(&gateway, request).await {
        Ok(response) => response,
        Err(problem) => return failure::respond(state, page_language, problem),
    };
    let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
    if let (true, Some(client_side)) = (switching, client_side) {
        let upstream_side = hyper::upgrade::on(&mut response);
        tokio::spawn(tunnel(client_side, upstream_side));
    }
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers, switching);
    cookies_to_visitor(&seen, &rules, &mut parts.headers, expire);
    let body = Body::new(body);
    let body = match injection(&parts.headers, parts.status, head) {
        Some((encoding, width)) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.remove(header::CONTENT_ENCODING);
            inject::wrap(body, Injector::new(&state.config.prefix, encoding, width))
        }
        None => body,
    };
    Response::from_parts(parts, body)
}

/// The visitor's cookies: only what is granted reaches the upstream.
/// Returns the `Set-Cookie`s that expire the refused declared cookies the
/// browser still holds (withdrawal).
fn cookies_to_upstream(seen: &Sightings<'_>, rules: &Rules<'_>, headers: &mut HeaderMap) -> Vec<String> {
    let cookies = rules.filter_request(headers.get_all(header::COOKIE).iter().map(HeaderValue::as_bytes));
    for name in &cookies.undeclared {
        seen.note(SightingKind::Undeclared, name, "", "", String::new());
    }
    headers.remove(header::COOKIE);
    if let Some(value) = cookies.header.as_deref().and_then(|h| HeaderValue::from_bytes(h).ok()) {
        headers.insert(header::COOKIE, value);
    }
    cookies.to_expire.iter().filter_map(|d| seen.state.expire(d)).collect()
}

/// The request line and headers the upstream gets: its URI, HTTP/1.1,
/// no hop-by-hop fields, who asked.
fn head_for_upstream(
    gateway: &Gateway,
    peer: Option<IpAddr>,
    request: &mut Request,
    upgrade: bool,
) -> Result<(), Problem> {
    let config = &gateway.state.config;
    let proto = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|host| config.origin_for_host(host))
        .map_or("http", |origin| if origin.starts_with("https:") { "https" } else { "http" });
    let trusted = peer.is_some_and(|p| config.trusted_proxies.contains(&p));
    strip_hop_by_hop(request.headers_mut(), upgrade);
    add_forwarded(request.headers_mut(), peer, trusted, proto);
    *request.uri_mut() = upstream_uri(&gateway.upstream, request.uri().path_and_query())?;
    *request.version_mut() = Version::HTTP_11;
    Ok(())
}

/// Sends the request; a problem when the upstream cannot be reached (502)
/// or its headers do not come within the timeout (504).
async fn send(gateway: &Gateway, request: Request) -> Result<hyper::Response<hyper::body::Incoming>, Problem> {
    match tokio::time::timeout(gateway.timeout, gateway.client.request(request)).await {
        Ok(Ok(response)) => Ok(response),
        Ok(Err(error)) => {
            tracing::warn!(%error, connect = error.is_connect(), "the upstream could not be reached");
            Err(Problem::of(ProblemKind::UpstreamUnreachable, "the site behind this gateway could not be reached"))
        }
        Err(_) => {
            let seconds = gateway.timeout.as_secs();
            tracing::warn!(seconds, "the upstream did not answer in time");
            let detail = format!("the site behind this gateway did not answer within {seconds} s");
            Err(Problem::of(ProblemKind::UpstreamTimedOut, detail))
        }
    }
}

/// The upstream's cookies: refused categories never reach the browser;
/// what goes beyond the declaration is noted; withdrawn cookies are expired.
fn cookies_to_visitor(seen: &Sightings<'_>, rules: &Rules<'_>, headers: &mut HeaderMap, expire: Vec<String>) {
    let lines: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    headers.remove(header::SET_COOKIE);
    let at = Timestamp::from_unix_micros(seen.now.saturating_mul(1000));
    for line in lines {
        let verdict = rules.judge_set_cookie(line.as_bytes(), at);
        if let Some(name) = &verdict.name {
            if verdict.undeclared {
                seen.note(SightingKind::Undeclared, name, &verdict.domain, &verdict.path, String::new());
            }
            if !verdict.beyond.is_empty() {
                let detail = verdict.beyond.join("; ");
                seen.note(SightingKind::BeyondDeclaration, name, &verdict.domain, &verdict.path, detail);
            }
        }
        if verdict.keep {
            headers.append(header::SET_COOKIE, line);
        } else {
            tracing::debug!(cookie = verdict.name.as_deref().unwrap_or("(unparsable)"), "upstream Set-Cookie removed");
        }
    }
    for value in expire.iter().filter_map(|v| HeaderValue::from_str(v).ok()) {
        headers.append(header::SET_COOKIE, value);
    }
}

/// Whether the tag goes into this response, what to decode first and how
/// its characters are laid out: a 2xx HTML body (not a HEAD's, not a 204),
/// in an encoding this gateway decodes.
fn injection(headers: &HeaderMap, status: StatusCode, head: bool) -> Option<(Encoding, Width)> {
    if head || !status.is_success() || status == StatusCode::NO_CONTENT {
        return None;
    }
    let content_type = headers.get(header::CONTENT_TYPE)?.as_bytes();
    if !inject::is_html(content_type) {
        return None;
    }
    let encoding = Encoding::from_header(headers.get(header::CONTENT_ENCODING).map(HeaderValue::as_bytes));
    if encoding.is_none() {
        tracing::debug!("an upstream page has a content coding the gateway does not decode; sent without the tag");
    }
    encoding.map(|encoding| (encoding, Width::of(content_type)))
}

/// Copies bytes both ways between the visitor's and the upstream's
/// upgraded connections until either closes.
async fn tunnel(client: hyper::upgrade::OnUpgrade, upstream: hyper::upgrade::OnUpgrade) {
    let (client, upstream) = match tokio::try_join!(client, upstream) {
        Ok(pair) => pair,
        Err(error) => {
            tracing::debug!(%error, "an upgrade through the gateway failed");
            return;
        }
    };
    let (mut client, mut upstream) = (TokioIo::new(client), TokioIo::new(upstream));
    if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
        tracing::debug!(%error, "an upgraded connection through the gateway ended with an error");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hop_by_hop_fields_go_and_an_upgrade_keeps_its_own() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive, x-secret, Upgrade"));
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
        let mut upgrading = headers.clone();
        strip_hop_by_hop(&mut headers, false);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(wants_upgrade(&upgrading));
        strip_hop_by_hop(&mut upgrading, true);
        assert_eq!(upgrading.get(header::UPGRADE).unwrap(), "websocket");
        assert_eq!(upgrading.get(header::CONNECTION).unwrap(), "upgrade");
        assert!(upgrading.get("x-secret").is_none());
    }

    #[test]
    fn forwarded_says_who_asked_and_drops_what_an_untrusted_client_wrote() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("shop.example:8080"));
        headers.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6"));
        headers.insert("forwarded", HeaderValue::from_static("for=6.6.6.6"));
        add_forwarded(&mut headers, Some("2001:db8::1".parse().unwrap()), false, "https");
        assert_eq!(headers.get("forwarded").unwrap(), "for=\"[2001:db8::1]\";host=\"shop.example:8080\";proto=https");
        assert_eq!(headers.get("x-forwarded-for").unwrap(), "2001:db8::1");
        let mut through = HeaderMap::new();
        through.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.7"));
        add_forwarded(&mut through, Some("10.0.0.1".parse().unwrap()), true, "http");
        assert_eq!(through.get("x-forwarded-for").unwrap(), "198.51.100.7, 10.0.0.1");
    }

    #[test]
    fn only_2xx_html_in_a_known_coding_gets_the_tag_in_its_charset_s_layout() {
        let with = |content_type: &str, encoding: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
            if let Some(encoding) = encoding {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_str(encoding).unwrap());
            }
            headers
        };
        let html = with("text/html; charset=utf-8", None);
        assert_eq!(injection(&html, StatusCode::OK, false), Some((Encoding::Identity, Width::Bytes)));
        let br = injection(&with("TEXT/HTML", Some("br")), StatusCode::OK, false);
        assert_eq!(br, Some((Encoding::Brotli, Width::Bytes)));
        let gzip = injection(&with("text/html", Some("gzip")), StatusCode::OK, false);
        assert_eq!(gzip, Some((Encoding::Gzip, Width::Bytes)));
        assert_eq!(injection(&with("text/html", Some("zstd")), StatusCode::OK, false), None);
        let utf16 = injection(&with("text/html; charset=UTF-16LE", None), StatusCode::OK, false);
        assert_eq!(utf16, Some((Encoding::Identity, Width::Utf16Le)));
        assert_eq!(injection(&with("application/json", None), StatusCode::OK, false), None);
        assert_eq!(injection(&with("text/htmlx", None), StatusCode::OK, false), None);
        assert_eq!(injection(&html, StatusCode::OK, true), None, "HEAD");
        assert_eq!(injection(&html, StatusCode::NO_CONTENT, false), None);
        assert_eq!(injection(&html, StatusCode::NOT_FOUND, false), None);
        assert_eq!(injection(&html, StatusCode::FOUND, false), None);
    }

    #[test]
    fn the_upstream_path_goes_before_the_request_path() {
        let base = url::Url::parse("http://127.0.0.1:3000/app/").unwrap();
        let pq: PathAndQuery = "/x?y=1".parse().unwrap();
        assert_eq!(upstream_uri(&base, Some(&pq)).unwrap().to_string(), "http://127.0.0.1:3000/app/x?y=1");
    }
}
