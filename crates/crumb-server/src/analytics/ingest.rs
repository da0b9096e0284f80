//! `POST /api/event`: validating, deriving and durably storing one event.
//!
//! Who the visitor is, in order:
//!
//! 1. a privacy signal the site honours that refuses statistics (Do Not
//!    Track; Global Privacy Control refuses marketing only, see
//!    [`Signals::refuses`](crumb_core::category::Signals::refuses)) → the event
//!    is dropped;
//! 2. statistics consent → the visitor cookie `__Host-crumb_vid` (set here
//!    when missing), hashed under a server key: exact new vs returning and
//!    visits over days;
//! 3. no consent and `analytics.cookieless = true` → a keyed hash of the
//!    day's salt, the site, the client address and the user agent: a count
//!    for one day, nothing stored in the browser;
//! 4. otherwise the event is dropped.
//!
//! Dropped events are answered `204` (with `X-Crumb-Dropped` saying why);
//! stored events `202`, only once they are durable.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use crumb_store::analytics::{EventKind, EventRecord, DAY_MILLIS};
use serde::Deserialize;

use super::writer::EventWriter;
use crate::consent::{append_cookies, needs_prompt, read_consent};
use crate::problem::{Problem, ProblemKind};
use crate::rate_limit::{self, Endpoint};
use crate::request_info::{check_same_origin, client_address, cookie, signals};
use crate::state::AppState;
use crumb_core::analytics::client::{self, truncate};
use crumb_core::analytics::salt::SaltKeeper;
use crumb_core::category::Category;
use crumb_core::keys::random_id;

/// Custom events carry at most this many properties.
pub const MAX_PROPS: usize = 10;
/// Event names are 1 to this many bytes.
pub const MAX_NAME_BYTES: usize = 64;
/// Property keys and values are at most this many bytes.
pub const MAX_PROP_BYTES: usize = 200;
/// An event body is at most this many bytes.
pub const MAX_BODY_BYTES: usize = 4096;

/// Analytics' per-process parts: the group-commit writer, the cookieless
/// salt and the keys that turn ids into visitor keys.
pub struct Analytics {
    /// Group commit of events.
    pub writer: EventWriter,
    /// The day's cookieless salt.
    pub salt: SaltKeeper,
    /// Hosts of the site's origins: where events may come from.
    pub own_hosts: Vec<String>,
    /// User agents already classified.
    pub clients: client::ClientCache,
    visitor_key: [u8; 32],
    user_key: [u8; 32],
}

impl Analytics {
    /// The parts for one process, keyed from the site's keyring.
    pub fn new(keys: &crumb_cookie::Keyring, store: Arc<dyn crumb_store::Store>, origins: &[String]) -> Self {
        let shared_salt = store.backend() != "sqlite";
        Analytics {
            own_hosts: own_hosts(origins),
            clients: client::ClientCache::default(),
            writer: EventWriter::new(store),
            salt: SaltKeeper::new(shared_salt),
            visitor_key: keys.derive("crumb analytics visitor v1"),
            user_key: keys.derive("crumb analytics user v1"),
        }
    }

    /// The visitor key of a visitor cookie value.
    pub fn visitor_key(&self, site: &str, visitor_id: &str) -> i64 {
        keyed_hash(&self.visitor_key, &[site.as_bytes(), visitor_id.as_bytes()])
    }

    /// The user key of a device's cross-device id.
    pub fn user_key(&self, cross_device_id: &str) -> i64 {
        keyed_hash(&self.user_key, &[cross_device_id.as_bytes()])
    }
}

/// The first 8 bytes of HMAC-SHA-256 over length-prefixed parts.
pub fn keyed_hash(key: &[u8], parts: &[&[u8]]) -> i64 {
    let mut mac = crumb_cookie::HmacSha256Writer::new(key);
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    let digest = mac.finish();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

/// The body of `POST /api/event`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// `pageview`, `outbound`, or a custom event name.
    pub name: String,
    /// The page the event happened on (`location.href`).
    pub url: String,
    /// `document.referrer` (page views).
    #[serde(default)]
    pub referrer: String,
    /// The link's URL (outbound clicks).
    #[serde(default)]
    pub link: String,
    /// Custom event properties: strings, numbers or booleans.
    #[serde(default)]
    pub props: serde_json::Map<String, serde_json::Value>,
}

/// Why an event was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// A known bot or an empty user agent.
    Bot,
    /// GPC or DNT, honoured by the site, refuses statistics.
    Signal,
    /// No statistics consent, and cookieless counting is off.
    NoConsent,
}

impl Dropped {
    fn reason(self) -> &'static str {
        match self {
            Dropped::Bot => "bot",
            Dropped::Signal => "privacy-signal",
            Dropped::NoConsent => "no-consent",
        }
    }
}

/// `POST /api/event`.
pub async fn post_event(State(state): State<AppState>, request: axum::extract::Request) -> Result<Response, Problem> {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip());
    let client_address = client_address(&headers, peer, &state.config.trusted_proxies)
        .map(|address| address.to_string())
        .unwrap_or_default();
    let visitor = cookie(&headers, &state.names.visitor);
    rate_limit::check(&state.rate_limits, Endpoint::Event, Some(&client_address), visitor, state.now_millis())?;
    let body: Bytes = axum::body::to_bytes(body, crate::request_info::BODY_LIMIT_BYTES).await.map_err(|_| {
        Problem::of(ProblemKind::PayloadTooLarge, format!("an event is at most {MAX_BODY_BYTES} bytes"))
    })?;
    Ok(match accept(&state, &headers, &body, &client_address).await? {
        Outcome::Stored(set_cookies) => {
            let mut response = StatusCode::ACCEPTED.into_response();
            append_cookies(&mut response, set_cookies);
            response
        }
        Outcome::Dropped(why) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            response.headers_mut().insert("x-crumb-dropped", HeaderValue::from_static(why.reason()));
            response
        }
    })
}

/// What became of an event.
#[derive(Debug)]
pub enum Outcome {
    /// Durable; the cookies to set (a new visitor cookie).
    Stored(Vec<String>),
    /// Not stored, and why.
    Dropped(Dropped),
}

/// Validates, derives and stores one event.
pub async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    client_address: &str,
) -> Result<Outcome, Problem> {
    let settings = &state.config.analytics;
    if !settings.enabled {
        return Err(Problem::not_found("statistics are switched off in this site's crumb.toml"));
    }
    check_same_origin(headers, &state.config).map_err(Problem::forbidden)?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" && essence != "text/plain" {
        return Err(Problem::of(
            ProblemKind::UnsupportedMediaType,
            "send the event as application/json (or text/plain, as navigator.sendBeacon does)",
        ));
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::of(ProblemKind::PayloadTooLarge, format!("an event is at most {MAX_BODY_BYTES} bytes")));
    }
    let event: EventBody =
        serde_json::from_slice(body).map_err(|e| Problem::bad_request(format!("the event is not valid: {e}")))?;
    let (kind, name) = validate_name(&event)?;
    let page = client::page_url(&event.url)
        .ok_or_else(|| Problem::unprocessable("url: not an http(s) URL of a page of this site"))?;
    let own_hosts = &state.analytics.own_hosts;
    if !own_hosts.contains(&page.host) {
        return Err(Problem::unprocessable(format!("url: {} is not a host of this site", page.host)));
    }
    let props = validate_props(kind, &event.props)?;

    let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(derived) = state.analytics.clients.classify(user_agent) else {
        return Ok(Outcome::Dropped(Dropped::Bot));
    };
    if signals(headers, &state.config).refuses(Category::Statistics).is_some() {
        return Ok(Outcome::Dropped(Dropped::Signal));
    }

    let site = &state.config.site_name;
    let now = state.now_millis();
    let Some(counted) = counted_as(state, headers, client_address, user_agent, now).await? else {
        return Ok(Outcome::Dropped(Dropped::NoConsent));
    };
    let (visitor, cookieless, statistics, set_cookies) =
        (counted.visitor, counted.cookieless, counted.statistics, counted.set_cookies);
    let user = if statistics { cross_device_user(state, headers).await? } else { None };

    let record = EventRecord {
        site: site.clone(),
        at: now,
        visitor,
        cookieless,
        user,
        kind,
        name,
        path: page.path,
        source: if kind == EventKind::Pageview {
            client::referrer_source(&event.referrer, own_hosts)
        } else {
            String::new()
        },
        utm_source: page.utm_source,
        utm_medium: page.utm_medium,
        utm_campaign: page.utm_campaign,
        browser: derived.browser,
        os: derived.os,
        device: derived.device.to_owned(),
        props,
    };
    state.analytics.writer.write(record).await?;
    Ok(Outcome::Stored(set_cookies))
}

/// Who an event counts as, and the cookies that go with it.
struct Counted {
    visitor: i64,
    cookieless: bool,
    statistics: bool,
    set_cookies: Vec<String>,
}

/// With statistics consent, the keyed hash of the visitor id (a new id is
/// set when the browser has none); without it and with cookieless counting,
/// a daily-salted hash of site, address and user agent; otherwise nobody
/// (`None`: the event is dropped).
async fn counted_as(
    state: &AppState,
    headers: &HeaderMap,
    client_address: &str,
    user_agent: &str,
    now: i64,
) -> Result<Option<Counted>, Problem> {
    let site = &state.config.site_name;
    let consent = read_consent(state, headers);
    let statistics = consent.as_ref().is_some_and(|c| c.granted.contains(&Category::Statistics))
        && !needs_prompt(state, consent.as_ref());
    if statistics {
        let names = &state.names;
        let mut set_cookies = Vec::new();
        let visitor_id = match cookie(headers, &names.visitor).filter(|v| crate::visitors::is_id(v)) {
            Some(id) => id.to_owned(),
            None => {
                let id = random_id();
                set_cookies.extend(state.own_cookie(&names.visitor, id.clone()));
                id
            }
        };
        let visitor = state.analytics.visitor_key(site, &visitor_id);
        return Ok(Some(Counted { visitor, cookieless: false, statistics, set_cookies }));
    }
    if !state.config.analytics.cookieless {
        return Ok(None);
    }
    let day = now - now.rem_euclid(DAY_MILLIS);
    let salt = state.analytics.salt.salt_for(&*state.store, day).await?;
    let visitor = keyed_hash(&salt, &[site.as_bytes(), client_address.as_bytes(), user_agent.as_bytes()]);
    Ok(Some(Counted { visitor, cookieless: true, statistics, set_cookies: Vec::new() }))
}

fn validate_name(event: &EventBody) -> Result<(EventKind, String), Problem> {
    match event.name.as_str() {
        "pageview" => Ok((EventKind::Pageview, "pageview".to_owned())),
        "outbound" => {
            let link = url::Url::parse(&event.link)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or_else(|| Problem::unprocessable("link: an outbound event needs the link's http(s) URL"))?;
            // Host and path only: query strings may carry personal data.
            let host = link.host_str().unwrap_or_default();
            Ok((EventKind::Outbound, truncate(&format!("{host}{}", link.path()), 300)))
        }
        name => {
            if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
                return Err(Problem::unprocessable(format!(
                    "name: a custom event name is 1 to {MAX_NAME_BYTES} bytes without control characters"
                )));
            }
            Ok((EventKind::Custom, name.to_owned()))
        }
    }
}

fn validate_props(
    kind: EventKind,
    props: &serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<(String, String)>, Problem> {
    if kind != EventKind::Custom && !props.is_empty() {
        return Err(Problem::unprocessable("props: only custom events carry properties"));
    }
    if props.len() > MAX_PROPS {
        return Err(Problem::unprocessable(format!("props: at most {MAX_PROPS} properties")));
    }
    props
        .iter()
        .map(|(key, value)| {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(Problem::unprocessable(format!(
                        "props.{key}: a property is a string, a number or a boolean"
                    )))
                }
            };
            let bad = |s: &str| s.is_empty() || s.len() > MAX_PROP_BYTES || s.chars().any(char::is_control);
            if bad(key) || value.len() > MAX_PROP_BYTES || value.chars().any(char::is_control) {
                return Err(Problem::unprocessable(format!(
                    "props.{key}: keys and values are at most {MAX_PROP_BYTES} bytes without control characters"
                )));
            }
            Ok((key.clone(), value))
        })
        .collect()
}

/// Hosts of the site's origins, lower-cased, without port.
fn own_hosts(origins: &[String]) -> Vec<String> {
    origins.iter().filter_map(|origin| url::Url::parse(origin).ok()?.host_str().map(str::to_ascii_lowercase)).collect()
}

/// The user key of a signed-in user whose device is linked for cross-device
/// measurement (the session cookie only: beacons never rotate remember-me tokens).
async fn cross_device_user(state: &AppState, headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(settings) = state.config.accounts.as_ref().filter(|a| a.cross_device) else { return Ok(None) };
    let Some(session_id) = cookie(headers, &state.names.auth) else { return Ok(None) };
    let Some(session) = state.store.session(&crumb_core::accounts::credentials::hash_secret(session_id)).await? else {
        return Ok(None);
    };
    // An expired session links nothing (beacons neither renew nor delete it).
    if !crumb_core::accounts::session_is_live(settings, &session, state.now_millis()) {
        return Ok(None);
    }
    let device = state.store.device(&session.user_id, &session.device_id).await?;
    Ok(device.and_then(|d| d.linked_visitor_id).map(|cross_device_id| state.analytics.user_key(&cross_device_id)))
}
