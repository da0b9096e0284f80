//! Every store failure the router meets, through the real router over a
//! store that fails on demand (`crumb_store::failing::FailingStore` around
//! an in-memory SQLite store): each is a 503 with an RFC 9457 problem
//! (`application/problem+json` with `type`, `title` and `status`), and a
//! write the store did not take is never answered with a 2xx, nor with a
//! cookie saying it was.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Browser, Reply};
use crumb_core::config;
use crumb_store::failing::{FailMode, FailingStore};
use crumb_store::sqlite::SqliteStore;

const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
const PASSWORD: &str = "correct horse battery staple";
const EMAIL: &str = "admin@shop.example";

/// The analytics reads a report, the dashboard or the live view make.
const ANALYTICS_READS: &[&str] = &[
    "events_between",
    "funnel_events",
    "first_event_at",
    "open_visits",
    "rolled_until",
    "rollups",
    "rollup_summary",
    "rollup_values",
    "cross_device_users",
];

fn config_with(analytics: &str) -> crumb_server::Config {
    let text = format!("{}\n[analytics]\n{analytics}\n", config::DEMO_TOML);
    config::parse(&text, "crumb.toml").unwrap()
}

/// A browser on the demo site (statistics counted from one visitor), over
/// a failing store that does not fail yet, and the switch of that store.
fn browser() -> (Browser, FailingStore) {
    let store = FailingStore::new(Arc::new(SqliteStore::open_in_memory().unwrap()));
    (Browser::new(config_with("min_visitors = 1"), Arc::new(store.clone())), store)
}

fn json_post(path: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .header("user-agent", CHROME)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn page_view(path: &str) -> Request<Body> {
    json_post("/api/event", serde_json::json!({"name": "pageview", "url": format!("http://localhost:8080{path}")}))
}

/// The reply is the storage problem: 503, `application/problem+json`, a
/// `type`, a `title`, and the status repeated in the body.
#[track_caller]
fn assert_storage_problem(reply: &Reply, what: &str) {
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {}", reply.text());
    let content_type = reply.headers.get("content-type").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{what}");
    let problem = reply.json();
    assert!(problem["type"].as_str().is_some_and(|t| !t.is_empty()), "{what}: {problem}");
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()), "{what}: {problem}");
    assert_eq!(problem["status"], 503, "{what}: {problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| !d.contains("InjectedFailure")), "internals stay in the log");
}

/// The store was asked for `operation` during the request, and it failed.
#[track_caller]
fn assert_failed(store: &FailingStore, operation: &str) {
    assert!(store.failed().contains(&operation), "{operation} was tried and failed: {:?}", store.calls());
}

/// Registers the demo admin, makes it an administrator and signs it in,
/// with the store working.
async fn signed_in_admin(browser: &Browser) -> Browser {
    let mut admin = browser.sibling();
    let credentials = serde_json::json!({"email": EMAIL, "password": PASSWORD});
    let reply = admin.send(json_post("/api/account/register", credentials.clone())).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let account = admin.state.store.account_by_email(EMAIL).await.unwrap().unwrap();
    admin.state.store.set_admin(&account.user_id, true).await.unwrap();
    let reply = admin.send(json_post("/api/account/sign-in", credentials)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    admin
}

#[tokio::test]
async fn a_consent_decision_the_store_did_not_take_is_a_503_without_a_consent_cookie() {
    let (mut browser, store) = browser();
    store.set_mode(FailMode::Writes);
    let reply = browser.post_consent(&["statistics"], &[]).await;
    assert_storage_problem(&reply, "POST /api/consent");
    assert_failed(&store, "append_consent");
    assert!(store.writes_passed().is_empty(), "{:?}", store.calls());
    assert!(!reply.sets("__Host-crumb_consent"), "no cookie for a decision that was not stored");
    assert!(!browser.cookie_names().contains(&"__Host-crumb_consent".to_owned()));

    // The same request with the store back: stored and acknowledged.
    store.set_mode(FailMode::Never);
    let reply = browser.post_consent(&["statistics"], &[]).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert!(reply.sets("__Host-crumb_consent"));
}

#[tokio::test]
async fn a_consent_receipt_that_cannot_be_read_is_a_503() {
    let (mut browser, store) = browser();
    let receipt = browser.post_consent(&[], &[]).await.json();
    let url = receipt["receipt_url"].as_str().unwrap().to_owned();
    store.set_mode(FailMode::Reads);
    let reply = browser.get(&url).await;
    assert_storage_problem(&reply, "GET /api/consent/{receipt_id}");
    assert_failed(&store, "consent_by_receipt");
    store.set_mode(FailMode::Never);
    assert_eq!(browser.get(&url).await.status, StatusCode::OK, "the receipt is there once the store answers");
}

#[tokio::test]
async fn an_event_the_store_did_not_take_is_a_503_never_a_202() {
    let (mut browser, store) = browser();
    assert_eq!(browser.post_consent(&["statistics"], &[]).await.status, StatusCode::CREATED);
    assert_eq!(browser.send(page_view("/")).await.status, StatusCode::ACCEPTED, "counted while the store works");

    store.clear_calls();
    store.set_mode(FailMode::Writes);
    let reply = browser.send(page_view("/products")).await;
    assert_storage_problem(&reply, "POST /api/event");
    assert!(!store.failed().is_empty(), "the event reached the store: {:?}", store.calls());
    assert!(store.writes_passed().is_empty(), "{:?}", store.calls());

    store.set_mode(FailMode::Never);
    let events = browser.state.store.events_between(&browser.state.config.site_name, 0, i64::MAX).await.unwrap();
    assert_eq!(events.len(), 1, "only the page view acknowledged was stored");
}

#[tokio::test]
async fn registering_and_signing_in_without_a_store_are_503s_and_sign_no_one_in() {
    let (mut browser, store) = browser();
    let credentials = serde_json::json!({"email": EMAIL, "password": PASSWORD});

    store.set_mode(FailMode::Writes);
    let reply = browser.send(json_post("/api/account/register", credentials.clone())).await;
    assert_storage_problem(&reply, "POST /api/account/register");
    // Counting the attempt (the per-client registration throttle) is the
    // first write: it fails closed, and nothing after it runs.
    assert_failed(&store, "count_attempt");
    assert!(store.calls().iter().all(|call| call.operation != "create_account"), "{:?}", store.calls());
    store.set_mode(FailMode::Never);
    assert_eq!(browser.state.store.count_accounts().await.unwrap(), 0, "no account was made");
    let reply = browser.send(json_post("/api/account/register", credentials.clone())).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());

    let cookies_before = browser.cookie_names();
    for mode in [FailMode::Reads, FailMode::Writes] {
        store.clear_calls();
        store.set_mode(mode);
        let reply = browser.send(json_post("/api/account/sign-in", credentials.clone())).await;
        assert_storage_problem(&reply, &format!("POST /api/account/sign-in, failing {mode:?}"));
        assert!(!store.failed().is_empty());
        assert!(!reply.sets("__Host-crumb_auth") && !reply.sets("__Host-crumb_remember"), "{mode:?}: not signed in");
        assert_eq!(browser.cookie_names(), cookies_before, "{mode:?}");
    }
    store.set_mode(FailMode::Never);
    let account = browser.state.store.account_by_email(EMAIL).await.unwrap().unwrap();
    assert!(browser.state.store.user_sessions(&account.user_id).await.unwrap().is_empty(), "no session was made");
    let reply = browser.send(json_post("/api/account/sign-in", credentials)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

#[tokio::test]
async fn the_health_check_says_unavailable_with_a_503() {
    let (mut browser, store) = browser();
    assert_eq!(browser.get("/healthz").await.status, StatusCode::OK);
    store.set_mode(FailMode::Reads);
    let reply = browser.get("/healthz").await;
    // A health check answers in its own JSON (for load balancers), not as a problem.
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.text());
    assert_eq!(reply.json()["status"], "unavailable");
    assert_eq!(reply.json()["store"], "sqlite");
    assert_failed(&store, "schema_version");
}

#[tokio::test]
async fn statistics_reads_without_a_store_are_503s() {
    let (browser, store) = browser();
    let mut admin = signed_in_admin(&browser).await;
    let range = "from=2026-05-28&to=2026-05-29";
    let endpoints = [
        format!("/api/stats?{range}"),
        format!("/api/stats.csv?{range}"),
        "/api/stats/realtime".to_owned(),
        format!("/api/stats/funnel?{range}&steps=/,/products"),
        format!("/dashboard?{range}"),
    ];
    for endpoint in &endpoints {
        store.set_mode(FailMode::Never);
        let reply = admin.get(endpoint).await;
        assert!(reply.status.is_success(), "{endpoint} works with the store: {} {}", reply.status, reply.text());
    }
    // Only the statistics reads fail: the administrator's session still reads.
    store.set_mode(FailMode::Reads);
    store.restrict_to(Some(ANALYTICS_READS));
    for endpoint in &endpoints {
        store.clear_calls();
        let reply = admin.get(endpoint).await;
        assert_storage_problem(&reply, endpoint);
        assert!(!store.failed().is_empty(), "{endpoint}");
    }
    // And when the session cannot be read, the same problem (not a sign-in page).
    store.restrict_to(None);
    for endpoint in &endpoints {
        let reply = admin.get(endpoint).await;
        assert_storage_problem(&reply, &format!("{endpoint}, session unreadable"));
    }
}

#[tokio::test]
async fn account_pages_and_changes_without_a_store_are_503s() {
    let (browser, store) = browser();
    let mut admin = signed_in_admin(&browser).await;
    store.set_mode(FailMode::Reads);
    for endpoint in ["/api/account", "/api/account/data"] {
        let reply = admin.get(endpoint).await;
        assert_storage_problem(&reply, endpoint);
    }
    let changes = [
        ("/api/account/password", serde_json::json!({"current": PASSWORD, "new": "another horse battery staple"})),
        ("/api/account/sign-out-everywhere", serde_json::json!({})),
        ("/api/account/sign-out", serde_json::json!({})),
        ("/api/account/delete", serde_json::json!({"password": PASSWORD})),
    ];
    // Reads: the session cannot be read; writes: the session reads, the change fails.
    for mode in [FailMode::Reads, FailMode::Writes, FailMode::Always] {
        store.set_mode(mode);
        for (endpoint, body) in &changes {
            store.clear_calls();
            let reply = admin.send(json_post(endpoint, body.clone())).await;
            assert_storage_problem(&reply, &format!("POST {endpoint}, failing {mode:?}"));
            assert!(!store.failed().is_empty(), "{endpoint}: {:?}", store.calls());
            assert!(store.writes_passed().is_empty(), "{endpoint}: {:?}", store.calls());
        }
    }
    store.set_mode(FailMode::Never);
    assert!(admin.state.store.account_by_email(EMAIL).await.unwrap().is_some(), "nothing was deleted");
    assert_eq!(admin.get("/api/account").await.status, StatusCode::OK, "still signed in");
}

/// Every route, signed in and with statistics consent, while every store
/// call fails: a request that met a failed store call is never a success
/// (a page may still render from what it had, but not with a 2xx that
/// hides a lost write).
#[tokio::test]
async fn no_route_answers_a_success_after_a_store_call_failed() {
    let (mut browser, store) = browser();
    assert_eq!(browser.post_consent(&["statistics", "preferences"], &[]).await.status, StatusCode::CREATED);
    let mut admin = signed_in_admin(&browser).await;
    assert_eq!(admin.post_consent(&["statistics"], &[]).await.status, StatusCode::CREATED);
    let gets = [
        "/",
        "/products",
        "/about",
        "/policy",
        "/policy.json",
        "/crumb.js",
        "/.well-known/gpc.json",
        "/api/consent",
        "/account",
        "/admin",
        "/api/account",
        "/api/account/data",
        "/dashboard",
        "/api/stats",
        "/api/stats/realtime",
        "/interests",
        "/api/interests",
    ];
    store.set_mode(FailMode::Always);
    let mut report = Vec::new();
    for who in [&mut browser, &mut admin] {
        for path in gets {
            store.clear_calls();
            let reply = who.get(path).await;
            report.push((format!("GET {path}"), reply, store.failed()));
        }
        for (path, body) in [
            ("/api/event", serde_json::json!({"name": "pageview", "url": "http://localhost:8080/"})),
            ("/api/account/cross-device", serde_json::json!({"allow": true})),
            ("/api/account/devices/d-1/sign-out", serde_json::json!({})),
            ("/api/interests/paused", serde_json::json!({"paused": true})),
        ] {
            store.clear_calls();
            let reply = who.send(json_post(path, body)).await;
            report.push((format!("POST {path}"), reply, store.failed()));
        }
    }
    let hidden: Vec<_> = report
        .iter()
        .filter(|(_, reply, failed)| reply.status.is_success() && !failed.is_empty())
        .map(|(request, reply, failed)| (request, reply.status, failed))
        .collect();
    assert!(hidden.is_empty(), "a success after a failed store call: {hidden:#?}");
    let met_the_store: Vec<_> = report.iter().filter(|(_, _, failed)| !failed.is_empty()).collect();
    assert!(met_the_store.len() >= 10, "the sweep reached the store: {}", met_the_store.len());
    // Pages and APIs alike: the storage problem.
    for (request, reply, _) in met_the_store {
        assert_storage_problem(reply, request);
    }
}
