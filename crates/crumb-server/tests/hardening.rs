//! Issue 21's attacks on the HTTP layer, each replayed against the real
//! router: DNS rebinding (item 10), framing and missing headers (item 3),
//! a reflected notice (item 11), a cache mixing languages (item 11), the
//! probes (item 11) — and the production stack around every request:
//! request ids, compression, deadlines, metrics.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{stores, Browser, Reply};
use crumb_core::config;
use crumb_store::failing::{FailMode, FailingStore};
use crumb_store::sqlite::SqliteStore;
use crumb_store::Store as _;

fn demo() -> Browser {
    Browser::new(config::demo(), Arc::new(SqliteStore::open_in_memory().unwrap()))
}

fn with_host(path: &str, host: &str) -> Request<Body> {
    Request::get(path).header("host", host).body(Body::empty()).unwrap()
}

fn consent_post(host: &str, origin: &str) -> Request<Body> {
    Request::post("/api/consent")
        .header("host", host)
        .header("origin", origin)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"granted":["statistics"],"language":"en"}"#))
        .unwrap()
}

fn assert_problem(reply: &Reply, status: StatusCode, slug: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.headers["content-type"], "application/problem+json");
    assert_eq!(reply.json()["type"], format!("/problems/{slug}"), "{}", reply.text());
}

#[tokio::test]
async fn a_dns_rebinding_page_reaches_nothing() {
    let mut browser = demo();
    // The shape that worked: Host and Origin both the attacker's name.
    let rebound = browser.send(consent_post("rebind.evil:8080", "http://rebind.evil:8080")).await;
    assert_problem(&rebound, StatusCode::MISDIRECTED_REQUEST, "misdirected-request");
    assert!(rebound.set_cookies().is_empty(), "no consent cookie for a rebound page");
    assert_problem(
        &browser.send(with_host("/", "rebind.evil:8080")).await,
        StatusCode::MISDIRECTED_REQUEST,
        "misdirected-request",
    );
    // The site's own host with a foreign Origin: refused as cross-site.
    let foreign = browser.send(consent_post("localhost:8080", "http://rebind.evil:8080")).await;
    assert_problem(&foreign, StatusCode::FORBIDDEN, "forbidden");
    // The site's own host and origin, and the other configured origin.
    assert_eq!(browser.send(consent_post("localhost:8080", "http://localhost:8080")).await.status, StatusCode::CREATED);
    assert_eq!(browser.send(consent_post("127.0.0.1:8080", "http://127.0.0.1:8080")).await.status, StatusCode::CREATED);
    // Probes answer by address, whatever the Host.
    for probe in ["/livez", "/readyz", "/healthz"] {
        assert_eq!(browser.send(with_host(probe, "10.0.0.7:8080")).await.status, StatusCode::OK, "{probe}");
    }
}

#[tokio::test]
async fn every_page_has_a_strict_csp_with_its_own_nonce_and_cannot_be_framed() {
    let mut browser = demo();
    let mut nonces = Vec::new();
    for path in ["/", "/policy", "/account", "/problems/not-found"] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        let csp = reply.headers["content-security-policy"].to_str().unwrap().to_owned();
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap().to_owned();
        assert!(nonce.len() >= 22, "128 bits at least: {nonce}");
        let html = reply.text();
        // Every inline style and script element carries the nonce; none goes without.
        assert_eq!(
            html.matches("<style").count(),
            html.matches(&format!("<style nonce=\"{nonce}\"")).count(),
            "{path}"
        );
        assert!(html.contains(&format!("nonce=\"{nonce}\" defer></script>")), "{path}: the site script");
        assert!(!html.contains(" style=\""), "{path}: no style attribute (CSP refuses them)");
        assert_eq!(reply.headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(reply.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(reply.headers["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert!(reply.headers.get("strict-transport-security").is_none(), "{path}: http origin, no HSTS");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a fresh nonce per response");
    // JSON and the script are not pages: no CSP, but nosniff.
    for path in ["/policy.json", "/crumb.js", "/api/consent"] {
        let reply = browser.get(path).await;
        assert!(reply.headers.get("content-security-policy").is_none(), "{path}");
        assert_eq!(reply.headers["x-content-type-options"], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn https_origins_get_hsts_and_problems_get_nosniff() {
    let text = config::DEMO_TOML.replace("origins = [", "origins = [\"https://shop.example\", ");
    let mut browser =
        Browser::new(config::parse(&text, "crumb.toml").unwrap(), Arc::new(SqliteStore::open_in_memory().unwrap()));
    let reply = browser.send(with_host("/policy", "shop.example")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["strict-transport-security"], "max-age=31536000");
    // Signed out, the dashboard answers with a problem — still not framable where it is HTML.
    let dashboard = browser.get("/dashboard").await;
    assert_eq!(dashboard.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn the_script_varies_on_the_cookie_that_can_choose_its_language() {
    let mut browser = demo();
    let reply = browser.get("/crumb.js").await;
    let vary = reply.headers["vary"].to_str().unwrap().to_ascii_lowercase();
    assert!(vary.contains("accept-language") && vary.contains("cookie"), "{vary}");
}

#[tokio::test]
async fn request_ids_are_made_or_kept_and_come_back() {
    let mut browser = demo();
    let made = browser.get("/livez").await;
    let id = made.headers["x-request-id"].to_str().unwrap();
    assert!(id.len() >= 22, "{id}");
    let kept =
        browser.send(Request::get("/livez").header("x-request-id", "lb-4711.a").body(Body::empty()).unwrap()).await;
    assert_eq!(kept.headers["x-request-id"], "lb-4711.a");
    let hostile =
        browser.send(Request::get("/livez").header("x-request-id", "a b<script>").body(Body::empty()).unwrap()).await;
    assert_ne!(hostile.headers["x-request-id"], "a b<script>", "an id that is not one is replaced");
}

#[tokio::test]
async fn pages_json_and_the_script_are_compressed_as_the_client_accepts() {
    let mut browser = demo();
    for (encoding, path) in [("br", "/crumb.js"), ("gzip", "/crumb.js"), ("gzip", "/policy"), ("br", "/policy.json")] {
        let reply =
            browser.send(Request::get(path).header("accept-encoding", encoding).body(Body::empty()).unwrap()).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.headers["content-encoding"], encoding, "{path}");
    }
    let plain = browser.get("/crumb.js").await;
    assert!(plain.headers.get("content-encoding").is_none());
    let gzipped =
        browser.send(Request::get("/crumb.js").header("accept-encoding", "gzip").body(Body::empty()).unwrap()).await;
    let mut unpacked = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gzipped.body[..]), &mut unpacked).unwrap();
    assert_eq!(unpacked, plain.text(), "the same script, compressed");
    assert!(gzipped.body.len() * 2 < plain.body.len(), "{} of {} bytes", gzipped.body.len(), plain.body.len());
}

#[tokio::test]
async fn liveness_touches_nothing_and_readiness_needs_the_store() {
    for (backend, store) in stores().await {
        let failing = FailingStore::new(store);
        let mut browser = Browser::new(config::demo(), Arc::new(failing.clone()));
        let ready = browser.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK, "{backend}");
        assert_eq!(ready.json()["schema"], failing.supported_schema_version(), "{backend}");
        failing.set_mode(FailMode::Always);
        assert_eq!(browser.get("/livez").await.status, StatusCode::OK, "{backend}: alive without a store");
        let unready = browser.get("/readyz").await;
        assert_eq!(unready.status, StatusCode::SERVICE_UNAVAILABLE, "{backend}");
        assert_eq!(unready.json()["status"], "unavailable");
        assert_eq!(browser.get("/healthz").await.status, StatusCode::SERVICE_UNAVAILABLE, "{backend}");
    }
}

#[tokio::test]
async fn a_request_that_outlives_its_deadline_gets_a_problem() {
    let text = config::DEMO_TOML.replace("[server]\n", "[server]\nrequest_timeout_seconds = 1\n");
    let mut browser =
        Browser::new(config::parse(&text, "crumb.toml").unwrap(), Arc::new(SqliteStore::open_in_memory().unwrap()));
    // A body that never ends (a slow client): the handler waits for it until the deadline.
    let never = futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
    let request = Request::post("/api/consent")
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .body(Body::from_stream(never))
        .unwrap();
    assert_problem(&browser.send(request).await, StatusCode::SERVICE_UNAVAILABLE, "timed-out");
}

#[tokio::test]
async fn a_panic_is_a_problem_not_a_dropped_connection() {
    let response = crumb_server::failsafe::panic_response(Box::new("index out of bounds"));
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["type"], "/problems/internal-error");
    assert!(!problem["detail"].as_str().unwrap().contains("index"), "the panic's text stays in the log");
}

#[tokio::test]
async fn metrics_need_the_token_on_the_sites_address() {
    let mut open = demo();
    assert_problem(&open.get("/metrics").await, StatusCode::NOT_FOUND, "not-found");

    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let mut browser = Browser::new(config::demo(), store);
    browser.state = browser.state.clone().with_metrics_token(Some("s3cret-token".into()));
    browser.app = crumb_server::router(browser.state.clone());
    crumb_server::metrics::handle();
    assert_eq!(browser.get("/policy").await.status, StatusCode::OK);
    let refused = browser.get("/metrics").await;
    assert_problem(&refused, StatusCode::UNAUTHORIZED, "not-signed-in");
    let wrong = browser
        .send(Request::get("/metrics").header("authorization", "Bearer s3cret-tokeN").body(Body::empty()).unwrap())
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let scraped = browser
        .send(Request::get("/metrics").header("authorization", "Bearer s3cret-token").body(Body::empty()).unwrap())
        .await;
    assert_eq!(scraped.status, StatusCode::OK);
    let text = scraped.text();
    assert!(text.contains("crumb_http_requests_total{route=\"/policy\",method=\"GET\",status=\"200\"}"), "{text}");
    assert!(text.contains("crumb_http_request_duration_seconds_bucket{route=\"/policy\""), "{text}");
    // What the handlers and the group commit record, after a decision and an event.
    let mut visitor = Browser::new(config::demo(), Arc::new(SqliteStore::open_in_memory().unwrap()));
    assert_eq!(visitor.post_consent(&["statistics"], &[]).await.status, StatusCode::CREATED);
    assert_eq!(visitor.send(page_view(None)).await.status, StatusCode::ACCEPTED);
    let text = browser
        .send(Request::get("/metrics").header("authorization", "Bearer s3cret-token").body(Body::empty()).unwrap())
        .await
        .text();
    assert!(text.contains("crumb_consent_decisions_total{category=\"statistics\",decision=\"granted\"}"), "{text}");
    assert!(text.contains("crumb_group_commit_batch_events_bucket"), "{text}");
    assert!(text.contains("crumb_group_commit_seconds_bucket"), "{text}");
    assert!(text.contains("crumb_store_connections{state=\"idle\"} 1"), "the in-memory store's one connection: {text}");
}

const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

fn limited(setting: &str) -> crumb_server::Config {
    let text = config::DEMO_TOML.replace("[server]\n", &format!("[server]\n{setting}\n"));
    config::parse(&text, "crumb.toml").unwrap()
}

fn page_view(from: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/api/event")
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .header("user-agent", CHROME)
        .body(Body::from(r#"{"name":"pageview","url":"http://localhost:8080/"}"#))
        .unwrap();
    if let Some(address) = from {
        let peer: std::net::SocketAddr = format!("{address}:40000").parse().unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    }
    request
}

fn decision_from(address: &str) -> Request<Body> {
    let mut request = Request::post("/api/consent")
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .body(Body::from(r#"{"granted":[],"language":"en"}"#))
        .unwrap();
    let peer: std::net::SocketAddr = format!("{address}:40000").parse().unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    request
}

async fn status_of(app: &axum::Router, request: Request<Body>) -> (StatusCode, Option<String>) {
    let response = tower::ServiceExt::oneshot(app.clone(), request).await.unwrap();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (response.status(), retry)
}

/// Issue 21: one consented visitor could send events without end (the
/// statistics denial of service started there). Now a visitor gets
/// `events_per_minute`, then 429 with Retry-After until the minute is over.
#[tokio::test]
async fn a_visitor_beyond_its_events_per_minute_gets_429_until_the_window_ends() {
    for (backend, store) in stores().await {
        let mut visitor = Browser::new(limited("events_per_minute = 5"), store);
        assert_eq!(visitor.post_consent(&["statistics"], &[]).await.status, StatusCode::CREATED);
        for n in 0..5 {
            assert_eq!(visitor.send(page_view(None)).await.status, StatusCode::ACCEPTED, "{backend}: event {n}");
        }
        let refused = visitor.send(page_view(None)).await;
        assert_problem(&refused, StatusCode::TOO_MANY_REQUESTS, "throttled");
        let wait: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{backend}: {wait}");
        // Another visitor is not held back by this one.
        let mut other = visitor.sibling();
        assert_eq!(other.post_consent(&["statistics"], &[]).await.status, StatusCode::CREATED);
        assert_eq!(other.send(page_view(None)).await.status, StatusCode::ACCEPTED, "{backend}");
        // The next window admits the first visitor again.
        visitor.clock.advance_seconds(i64::try_from(wait).unwrap());
        assert_eq!(visitor.send(page_view(None)).await.status, StatusCode::ACCEPTED, "{backend}");
    }
}

/// The limits are shared by nodes on one store: what one node admitted
/// counts on the other from its next report on.
#[tokio::test]
async fn consent_decisions_from_one_address_are_limited_across_nodes() {
    for (backend, store) in stores().await {
        // 2 a minute per browser: an address gets ten times that, 20.
        let node_a = Browser::new(limited("consents_per_minute = 2"), Arc::clone(&store));
        let node_b = Browser::new(limited("consents_per_minute = 2"), Arc::clone(&store));
        node_b.clock.set(crumb_cookie::Clock::now(&*node_a.clock));
        for n in 0..20 {
            assert_eq!(
                status_of(&node_a.app, decision_from("203.0.113.5")).await.0,
                StatusCode::CREATED,
                "{backend}: {n}"
            );
        }
        let (status, retry) = status_of(&node_a.app, decision_from("203.0.113.5")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert!(retry.is_some(), "{backend}: Retry-After");
        assert_eq!(
            status_of(&node_a.app, decision_from("198.51.100.9")).await.0,
            StatusCode::CREATED,
            "{backend}: another address"
        );
        // Node B has not heard of the address yet; once both have reported, it refuses it too.
        let now = node_a.state.now_millis();
        node_a.state.rate_limits.sync(now).await.unwrap();
        assert_eq!(
            status_of(&node_b.app, decision_from("203.0.113.5")).await.0,
            StatusCode::CREATED,
            "{backend}: within one report's slack"
        );
        node_b.state.rate_limits.sync(now).await.unwrap();
        assert_eq!(
            status_of(&node_b.app, decision_from("203.0.113.5")).await.0,
            StatusCode::TOO_MANY_REQUESTS,
            "{backend}: node B knows"
        );
    }
}
