//! Accounts, sessions and remember-me end to end, on every store backend,
//! with crumb's own jar as the client's cookie store.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{stores, Browser};

const PASSWORD: &str = "correct horse battery staple";

fn json_post(path: &str, body: serde_json::Value, csrf: Option<&str>) -> Request<Body> {
    let mut builder = Request::post(path)
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0");
    if let Some(token) = csrf {
        builder = builder.header("x-csrf-token", token);
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

async fn register_and_sign_in(browser: &mut Browser, email: &str, remember: bool) -> String {
    let reply = browser
        .send(json_post("/api/account/register", serde_json::json!({"email": email, "password": PASSWORD}), None))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let reply = browser
        .send(json_post(
            "/api/account/sign-in",
            serde_json::json!({"email": email, "password": PASSWORD, "remember": remember}),
            None,
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["csrf_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sign_in_sets_the_right_cookies_and_never_the_password() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        register_and_sign_in(&mut browser, "Alice@Example.com", false).await;
        let auth = browser.jar.iter().find(|c| c.name == b"__Host-crumb_auth").unwrap().clone();
        assert!(auth.secure && auth.http_only && auth.host_only && auth.path == "/", "{backend}");
        assert!(!auth.is_persistent(), "{backend}: the session cookie is a session cookie");
        assert_eq!(auth.same_site, crumb_cookie::SameSite::Lax);
        assert!(auth.value.len() >= 43, "at least 256 bits");
        assert!(browser.jar.iter().all(|c| !c.value_str().contains(PASSWORD)));
        assert!(browser.jar.iter().all(|c| c.name != b"__Host-crumb_remember"), "no remember-me unless asked");
        let me = browser.get("/api/account").await.json();
        assert_eq!(me["email"], "Alice@Example.com", "{backend}");
        // E-mails compare case-folded.
        let mut other = browser_clone(&browser);
        let reply = other
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "alice@EXAMPLE.com", "password": PASSWORD}),
                None,
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}");
    }
}

#[tokio::test]
async fn session_fixation_fails_and_ids_rotate_at_sign_in() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        // An attacker plants a session id before sign-in.
        let url = crumb_cookie::RequestUrl::parse("http://localhost:8080/").unwrap();
        browser
            .jar
            .set_cookie(
                &url,
                "__Host-crumb_auth=planted-by-attacker; Secure; Path=/; HttpOnly",
                crumb_cookie::RequestContext::same_site("GET"),
            )
            .unwrap();
        register_and_sign_in(&mut browser, "bob@example.com", false).await;
        let auth = browser.jar.iter().find(|c| c.name == b"__Host-crumb_auth").unwrap().value_str().into_owned();
        assert_ne!(auth, "planted-by-attacker", "{backend}");
        let first = auth;
        browser
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "bob@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        let second = browser.jar.iter().find(|c| c.name == b"__Host-crumb_auth").unwrap().value_str().into_owned();
        assert_ne!(first, second, "{backend}: a new id at every sign-in");
    }
}

#[tokio::test]
async fn remember_me_rotates_and_a_replayed_validator_revokes_everything() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        register_and_sign_in(&mut browser, "carol@example.com", true).await;
        let stolen = browser.jar.iter().find(|c| c.name == b"__Host-crumb_remember").unwrap().value_str().into_owned();
        // The browser closes: session cookies go; the remember-me cookie signs it in again, rotated.
        browser.restart();
        let me = browser.get("/api/account").await;
        assert_eq!(me.status, StatusCode::OK, "{backend}: {}", me.text());
        let rotated = browser.jar.iter().find(|c| c.name == b"__Host-crumb_remember").unwrap().value_str().into_owned();
        assert_ne!(rotated, stolen, "{backend}: rotated on use");
        assert_eq!(rotated.split(':').next(), stolen.split(':').next(), "same selector, new validator");
        // Past the grace window (`remember_me_reused_within_the_grace_window_…`), a thief presents the old cookie.
        browser.clock.advance_seconds(31);
        let mut thief = browser_clone(&browser);
        let url = crumb_cookie::RequestUrl::parse("http://localhost:8080/").unwrap();
        thief
            .jar
            .set_cookie(
                &url,
                format!("__Host-crumb_remember={stolen}; Secure; Path=/; HttpOnly; Max-Age=99"),
                crumb_cookie::RequestContext::same_site("GET"),
            )
            .unwrap();
        assert_eq!(thief.get("/api/account").await.status, StatusCode::UNAUTHORIZED, "{backend}");
        // Everything of the user is revoked: the real browser is signed out too.
        assert_eq!(browser.get("/api/account").await.status, StatusCode::UNAUTHORIZED, "{backend}");
        // At the next sign-in the user is told.
        let reply = browser
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "carol@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        assert!(reply.json()["theft_detected_at"].is_i64(), "{backend}: {}", reply.text());
    }
}

fn browser_clone(browser: &Browser) -> Browser {
    Browser {
        app: browser.app.clone(),
        clock: browser.clock.clone(),
        jar: crumb_cookie::Jar::with_clock(browser.clock.clone()),
        origin: browser.origin.clone(),
        state: browser.state.clone(),
    }
}

#[tokio::test]
async fn cross_site_and_tokenless_posts_are_refused() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        let csrf = register_and_sign_in(&mut browser, "dan@example.com", false).await;
        let mut cross = json_post("/api/account/sign-out-everywhere", serde_json::json!({}), Some(&csrf));
        cross.headers_mut().insert("origin", "https://evil.example".parse().unwrap());
        assert_eq!(browser.send(cross).await.status, StatusCode::FORBIDDEN, "{backend}");
        let no_token = json_post("/api/account/sign-out-everywhere", serde_json::json!({}), None);
        assert_eq!(browser.send(no_token).await.status, StatusCode::FORBIDDEN, "{backend}");
        let wrong = json_post("/api/account/sign-out-everywhere", serde_json::json!({}), Some("forged"));
        assert_eq!(browser.send(wrong).await.status, StatusCode::FORBIDDEN, "{backend}");
        assert_eq!(browser.get("/api/account").await.status, StatusCode::OK, "still signed in");
        let ok = json_post("/api/account/sign-out-everywhere", serde_json::json!({}), Some(&csrf));
        assert_eq!(browser.send(ok).await.status, StatusCode::NO_CONTENT, "{backend}");
        assert_eq!(browser.get("/api/account").await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn throttling_grows_and_messages_do_not_enumerate_users() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        register_and_sign_in(&mut browser, "erin@example.com", false).await;
        // From here on a client that never signed in to the account (no
        // trusted-device cookie: `a_trusted_device_signs_in_while_…`).
        let mut browser = browser.sibling();
        let wrong = |email: &str| {
            json_post("/api/account/sign-in", serde_json::json!({"email": email, "password": "wrong password!!"}), None)
        };
        let unknown = browser.send(wrong("nobody@example.com")).await;
        let known = browser.send(wrong("erin@example.com")).await;
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            unknown.json()["detail"],
            known.json()["detail"],
            "{backend}: same message for unknown user and wrong password"
        );
        // Registering an existing address answers exactly like a new one.
        let again = browser
            .send(json_post(
                "/api/account/register",
                serde_json::json!({"email": "ERIN@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        let fresh = browser
            .send(json_post(
                "/api/account/register",
                serde_json::json!({"email": "new@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        assert_eq!((again.status, again.text()), (fresh.status, fresh.text()), "{backend}");
        // The third failure for this address and client starts the delays.
        browser.send(wrong("erin@example.com")).await;
        let throttled = browser.send(wrong("erin@example.com")).await;
        assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "{backend}: {}", throttled.text());
        assert!(throttled.headers.contains_key("retry-after"));
        // Even the right password waits.
        let right = browser
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "erin@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
        browser.clock.advance_seconds(60);
        let right = browser
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "erin@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        assert_eq!(right.status, StatusCode::OK, "{backend}: {}", right.text());
    }
}

#[tokio::test]
async fn expired_and_tampered_sessions_are_refused() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        register_and_sign_in(&mut browser, "fay@example.com", false).await;
        browser.clock.advance_seconds(31 * 60);
        assert_eq!(browser.get("/api/account").await.status, StatusCode::UNAUTHORIZED, "{backend}: idle timeout");
        register_and_sign_in(&mut browser, "fay2@example.com", false).await;
        // Active every 29 minutes: fine for 24 × 29 min = 11.6 h …
        for _ in 0..24 {
            browser.clock.advance_seconds(29 * 60);
            assert_eq!(browser.get("/api/account").await.status, StatusCode::OK);
        }
        // … but not past the 12-hour absolute timeout.
        browser.clock.advance_seconds(29 * 60);
        assert_eq!(
            browser.get("/api/account").await.status,
            StatusCode::UNAUTHORIZED,
            "{backend}: absolute timeout (12 h)"
        );
        let url = crumb_cookie::RequestUrl::parse("http://localhost:8080/").unwrap();
        browser
            .jar
            .set_cookie(
                &url,
                "__Host-crumb_auth=tampered; Secure; Path=/; HttpOnly",
                crumb_cookie::RequestContext::same_site("GET"),
            )
            .unwrap();
        assert_eq!(browser.get("/api/account").await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn devices_export_and_erasure_leave_nothing_behind() {
    for (backend, store) in stores().await {
        let mut laptop = Browser::demo(store.clone());
        let csrf = register_and_sign_in(&mut laptop, "gus@example.com", true).await;
        let mut phone = browser_clone(&laptop);
        phone
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "gus@example.com", "password": PASSWORD, "remember": true}),
                None,
            ))
            .await;
        let me = laptop.get("/api/account").await.json();
        let devices = me["devices"].as_array().unwrap();
        assert_eq!(devices.len(), 2, "{backend}: {me}");
        assert_eq!(devices[0]["browser"], "Firefox");
        let phone_id = devices
            .iter()
            .map(|d| d["device_id"].as_str().unwrap())
            .find(|id| *id != me["this_device"])
            .unwrap()
            .to_owned();
        let reply = laptop
            .send(json_post(&format!("/api/account/devices/{phone_id}/sign-out"), serde_json::json!({}), Some(&csrf)))
            .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{backend}: {}", reply.text());
        phone.restart();
        assert_eq!(
            phone.get("/api/account").await.status,
            StatusCode::UNAUTHORIZED,
            "{backend}: the phone is signed out, remember-me too"
        );

        let data = laptop.get("/api/account/data").await.json();
        assert_eq!(data["account"]["email"], "gus@example.com");
        assert!(data["account"].get("password_hash").is_none(), "never exported");
        assert_eq!(data["devices"].as_array().unwrap().len(), 1);

        let user_id = data["account"]["user_id"].as_str().unwrap().to_owned();
        let accounts_before = store.count_accounts().await.unwrap();
        let reply =
            laptop.send(json_post("/api/account/delete", serde_json::json!({"password": PASSWORD}), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{backend}: {}", reply.text());
        assert_eq!(store.account(&user_id).await.unwrap(), None);
        assert!(store.user_sessions(&user_id).await.unwrap().is_empty());
        assert!(store.user_remember_tokens(&user_id).await.unwrap().is_empty());
        assert!(store.user_devices(&user_id).await.unwrap().is_empty());
        assert_eq!(store.count_accounts().await.unwrap(), accounts_before - 1);
        assert!(laptop
            .cookie_names()
            .iter()
            .all(|n| !n.starts_with("__Host-crumb_auth") && n != "__Host-crumb_remember"));
    }
}

#[tokio::test]
async fn only_administrators_reach_admin_pages() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store.clone());
        assert_eq!(browser.get("/admin").await.status, StatusCode::UNAUTHORIZED, "{backend}");
        register_and_sign_in(&mut browser, "hal@example.com", false).await;
        assert_eq!(browser.get("/admin").await.status, StatusCode::FORBIDDEN, "{backend}");
        let account = store.account_by_email("hal@example.com").await.unwrap().unwrap();
        store.set_admin(&account.user_id, true).await.unwrap();
        let page = browser.get("/admin").await;
        assert_eq!(page.status, StatusCode::OK, "{backend}");
        let text = page.text();
        assert!(
            text.contains("<strong>1</strong> account</span>") && !text.contains("1 accounts"),
            "{backend}: {text}"
        );
    }
}

#[tokio::test]
async fn password_change_signs_out_other_devices_and_rotates_this_session() {
    for (backend, store) in stores().await {
        let mut laptop = Browser::demo(store);
        let csrf = register_and_sign_in(&mut laptop, "ivy@example.com", false).await;
        let mut phone = browser_clone(&laptop);
        phone
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "ivy@example.com", "password": PASSWORD, "remember": true}),
                None,
            ))
            .await;
        let before = laptop.jar.iter().find(|c| c.name == b"__Host-crumb_auth").unwrap().value.clone();
        let weak = laptop
            .send(json_post(
                "/api/account/password",
                serde_json::json!({"current": PASSWORD, "new": "short"}),
                Some(&csrf),
            ))
            .await;
        assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        let wrong = laptop
            .send(json_post(
                "/api/account/password",
                serde_json::json!({"current": "not it at all", "new": "another good passphrase"}),
                Some(&csrf),
            ))
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{backend}");
        let reply = laptop
            .send(json_post(
                "/api/account/password",
                serde_json::json!({"current": PASSWORD, "new": "another good passphrase"}),
                Some(&csrf),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {}", reply.text());
        let after = laptop.jar.iter().find(|c| c.name == b"__Host-crumb_auth").unwrap().value.clone();
        assert_ne!(before, after, "{backend}: a privilege change rotates the session id");
        assert_eq!(laptop.get("/api/account").await.status, StatusCode::OK);
        phone.restart();
        assert_eq!(
            phone.get("/api/account").await.status,
            StatusCode::UNAUTHORIZED,
            "{backend}: other devices are signed out"
        );
    }
}

#[tokio::test]
async fn cross_device_linking_needs_consent_and_respects_dnt() {
    for (backend, store) in stores().await {
        let mut laptop = Browser::demo(store.clone());
        let csrf = register_and_sign_in(&mut laptop, "jo@example.com", false).await;
        let link = |enabled: bool, csrf: &str| {
            json_post("/api/account/cross-device", serde_json::json!({"enabled": enabled}), Some(csrf))
        };
        let refused = laptop.send(link(true, &csrf)).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{backend}: no statistics consent yet");
        assert_eq!(refused.json()["type"], "/problems/consent-required");
        laptop.post_consent(&["statistics"], &[]).await;
        let mut with_dnt = link(true, &csrf);
        with_dnt.headers_mut().insert("dnt", "1".parse().unwrap());
        assert_eq!(laptop.send(with_dnt).await.json()["type"], "/problems/refused-by-signal", "{backend}");
        let mut with_gpc = link(true, &csrf);
        with_gpc.headers_mut().insert("sec-gpc", "1".parse().unwrap());
        assert_eq!(laptop.send(with_gpc).await.json()["type"], "/problems/refused-by-signal", "{backend}");
        assert_eq!(laptop.send(link(true, &csrf)).await.status, StatusCode::OK, "{backend}");
        let mut phone = browser_clone(&laptop);
        let phone_csrf = phone
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "jo@example.com", "password": PASSWORD}),
                None,
            ))
            .await
            .json()["csrf_token"]
            .as_str()
            .unwrap()
            .to_owned();
        phone.post_consent(&["statistics"], &[]).await;
        assert_eq!(phone.send(link(true, &phone_csrf)).await.status, StatusCode::OK);
        let devices = laptop.get("/api/account").await.json()["devices"].clone();
        let linked: Vec<&str> =
            devices.as_array().unwrap().iter().map(|d| d["linked_visitor_id"].as_str().unwrap()).collect();
        assert_eq!(linked.len(), 2, "{backend}");
        assert_eq!(linked[0], linked[1], "{backend}: one pseudonymous id across the user's devices");
        let account = store.account_by_email("jo@example.com").await.unwrap().unwrap();
        assert!(!linked[0].contains(&account.user_id), "the analytics id does not reveal the account");
        assert_eq!(phone.send(link(false, &phone_csrf)).await.status, StatusCode::OK);
        let devices = laptop.get("/api/account").await.json()["devices"].clone();
        assert_eq!(
            devices.as_array().unwrap().iter().filter(|d| d["linked_visitor_id"].is_string()).count(),
            1,
            "{backend}"
        );
    }
}

/// Failed sign-ins are counted per client address (the connection's peer;
/// `X-Forwarded-For` only from a trusted proxy): one client's failures do
/// not delay another's sign-in, and a forged header does not escape them.
#[tokio::test]
async fn sign_in_delays_are_per_client_and_a_forged_forwarded_for_changes_nothing() {
    use axum::extract::ConnectInfo;
    let from = |peer: &str, email: &str, password: &str, forwarded: Option<&str>| {
        let mut request =
            json_post("/api/account/sign-in", serde_json::json!({"email": email, "password": password}), None);
        request.extensions_mut().insert(ConnectInfo(peer.parse::<std::net::SocketAddr>().unwrap()));
        if let Some(forwarded) = forwarded {
            request.headers_mut().insert("x-forwarded-for", forwarded.parse().unwrap());
        }
        request
    };
    for (backend, store) in stores().await {
        let mut browser = Browser::new(crumb_core::config::demo(), store);
        let reply = browser
            .send(json_post(
                "/api/account/register",
                serde_json::json!({"email": "fay@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{backend}");
        // One client tries a different address each time (no address's own count grows).
        let mut attacker = browser.sibling();
        let mut statuses = Vec::new();
        for n in 0..6 {
            let forged = format!("198.51.100.{n}");
            let reply =
                attacker.send(from("203.0.113.1:5000", &format!("u{n}@example.com"), "nope", Some(&forged))).await;
            statuses.push(reply.status);
        }
        assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{backend}: {statuses:?}");
        // Another client signs in at once.
        let mut other = browser.sibling();
        let reply = other.send(from("203.0.113.2:5000", "fay@example.com", PASSWORD, None)).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {}", reply.text());
    }
}

/// `request` as if it came from `peer` (the connection's address).
fn from_peer(mut request: Request<Body>, peer: &str) -> Request<Body> {
    request.extensions_mut().insert(axum::extract::ConnectInfo(peer.parse::<std::net::SocketAddr>().unwrap()));
    request
}

/// Sends `requests` to `app` all at once; the replies' statuses and headers, in order.
async fn all_at_once(
    app: &axum::Router,
    requests: Vec<Request<Body>>,
) -> Vec<(StatusCode, axum::http::HeaderMap, serde_json::Value)> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let app = app.clone();
            tokio::spawn(async move {
                let response = app.oneshot(request).await.unwrap();
                let (status, headers) = (response.status(), response.headers().clone());
                let body = response.into_body().collect().await.unwrap().to_bytes();
                (status, headers, serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

/// A browser on `store` whose password hashing has `permits` and waits `wait` for one.
fn browser_with_hashing(store: std::sync::Arc<dyn crumb_store::Store>, permits: usize, wait_ms: u64) -> Browser {
    let mut browser = Browser::demo(store.clone());
    let clock = browser.clock.clone();
    let state = crumb_server::AppState::with_hash_limiter(
        crumb_core::config::demo(),
        store,
        common::keyring(),
        std::sync::Arc::new(move || crumb_cookie::Clock::now(&*clock).unix_micros() / 1000),
        crumb_core::accounts::hashing::HashLimiter::new(permits, std::time::Duration::from_millis(wait_ms)),
    );
    browser.app = crumb_server::router(state.clone());
    browser.state = state;
    browser
}

/// Issue 21, attack 2: 64 concurrent registrations each held ~20 MB of
/// Argon2 memory at once. Now no more hashes run together than the limiter
/// has permits; the others queue (here long enough to all succeed).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_never_hash_more_than_the_permits_at_once() {
    for (backend, store) in stores().await {
        let browser = browser_with_hashing(store.clone(), 2, 600_000);
        let requests = (0..16)
            .map(|i| {
                let body = serde_json::json!({"email": format!("flood{i}@example.com"), "password": PASSWORD});
                from_peer(json_post("/api/account/register", body, None), &format!("192.0.2.{i}:4000"))
            })
            .collect();
        let replies = all_at_once(&browser.app, requests).await;
        assert!(replies.iter().all(|(status, _, _)| *status == StatusCode::ACCEPTED), "{backend}: {replies:?}");
        assert_eq!(store.count_accounts().await.unwrap(), 16, "{backend}");
        let peak = browser.state.hashing.peak();
        assert!((1..=2).contains(&peak), "{backend}: {peak} hashes ran at once, over the 2 permits");
    }
}

/// Every Argon2 job — registration, sign-in of a known and of an unknown
/// address (the dummy hash), password change, erasure — needs a permit:
/// with every permit taken, each is turned away after the bounded wait with
/// a 503 `overloaded` problem and `Retry-After`, and nothing is changed.
#[tokio::test]
async fn with_hashing_saturated_every_password_check_gets_503_with_retry_after() {
    for (backend, store) in stores().await {
        let mut browser = browser_with_hashing(store.clone(), 1, 50);
        let csrf = register_and_sign_in(&mut browser, "kim@example.com", false).await;
        let held = browser.state.hashing.acquire().await.unwrap();
        let attempts = [
            json_post(
                "/api/account/register",
                serde_json::json!({"email": "lee@example.com", "password": PASSWORD}),
                None,
            ),
            json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "kim@example.com", "password": PASSWORD}),
                None,
            ),
            json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "nobody@example.com", "password": PASSWORD}),
                None,
            ),
            json_post(
                "/api/account/password",
                serde_json::json!({"current": PASSWORD, "new": "another good passphrase"}),
                Some(&csrf),
            ),
            json_post("/api/account/delete", serde_json::json!({"password": PASSWORD}), Some(&csrf)),
        ];
        for request in attempts {
            let path = request.uri().path().to_owned();
            let reply = browser.send(request).await;
            assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{backend} {path}: {}", reply.text());
            assert_eq!(reply.json()["type"], "/problems/overloaded", "{backend} {path}");
            assert_eq!(reply.headers["content-type"], "application/problem+json");
            assert!(reply.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1, "{backend} {path}");
        }
        assert!(store.account_by_email("lee@example.com").await.unwrap().is_none(), "{backend}: not registered");
        assert_eq!(store.count_accounts().await.unwrap(), 1, "{backend}: not erased");
        drop(held);
        let reply = browser
            .send(json_post(
                "/api/account/register",
                serde_json::json!({"email": "lee@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{backend}: the permit is free again");
    }
}

/// Issue 21, attack 2: registrations are rate-limited per client address,
/// counted in the store, so two nodes sharing it share the count.
#[tokio::test]
async fn registrations_are_throttled_per_client_across_nodes() {
    for (backend, store) in stores().await {
        let mut node_a = Browser::demo(store.clone());
        let mut node_b = Browser::demo(store.clone());
        let register = |n: u32, peer: &str| {
            let body = serde_json::json!({"email": format!("reg{n}@example.com"), "password": PASSWORD});
            from_peer(json_post("/api/account/register", body, None), peer)
        };
        for n in 0..10 {
            let node = if n % 2 == 0 { &mut node_a } else { &mut node_b };
            let reply = node.send(register(n, "203.0.113.50:1000")).await;
            assert_eq!(reply.status, StatusCode::ACCEPTED, "{backend}: registration {n}: {}", reply.text());
        }
        let refused = node_b.send(register(10, "203.0.113.50:1001")).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{backend}: {}", refused.text());
        assert_eq!(refused.json()["type"], "/problems/throttled");
        assert!(refused.headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        assert!(store.account_by_email("reg10@example.com").await.unwrap().is_none(), "{backend}");
        let other = node_a.send(register(11, "203.0.113.51:1000")).await;
        assert_eq!(other.status, StatusCode::ACCEPTED, "{backend}: another client is not held back");
    }
}

/// Issue 21, attack 4: a browser restoring its tabs sends the same
/// remember-me cookie twice within milliseconds; that revoked everything.
/// Within the grace window both requests are signed in, to the same
/// successor; after it, the old validator is theft again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remember_me_reused_within_the_grace_window_signs_in_both_requests() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store.clone());
        register_and_sign_in(&mut browser, "mia@example.com", true).await;
        let account = store.account_by_email("mia@example.com").await.unwrap().unwrap();
        let old = browser.jar.iter().find(|c| c.name == b"__Host-crumb_remember").unwrap().value_str().into_owned();
        let with_old = || {
            Request::get("/api/account")
                .header("cookie", format!("__Host-crumb_remember={old}"))
                .body(Body::empty())
                .unwrap()
        };
        let remember_set = |headers: &axum::http::HeaderMap| {
            headers
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .find(|c| c.starts_with("__Host-crumb_remember=") && !c.contains("Max-Age=0"))
        };
        // Two tabs at once.
        let replies = all_at_once(&browser.app, vec![with_old(), with_old()]).await;
        for (status, _, body) in &replies {
            assert_eq!(*status, StatusCode::OK, "{backend}: {body}");
            assert_eq!(body["email"], "mia@example.com", "{backend}");
        }
        let successors: Vec<_> = replies.iter().map(|(_, headers, _)| remember_set(headers).unwrap()).collect();
        assert_eq!(successors[0], successors[1], "{backend}: both get the same successor");
        assert!(!successors[0].contains(&old), "{backend}: rotated");
        // A third, a few seconds later, still inside the window.
        browser.clock.advance_seconds(5);
        let (status, headers, _) = all_at_once(&browser.app, vec![with_old()]).await.remove(0);
        assert_eq!(status, StatusCode::OK, "{backend}");
        assert_eq!(remember_set(&headers).as_ref(), Some(&successors[0]), "{backend}");
        // Nothing was revoked and nobody is warned.
        assert_eq!(store.user_remember_tokens(&account.user_id).await.unwrap().len(), 1, "{backend}");
        assert!(store.user_sessions(&account.user_id).await.unwrap().len() >= 3, "{backend}");
        assert_eq!(store.account(&account.user_id).await.unwrap().unwrap().theft_detected_at, None, "{backend}");
        // The successor works as usual.
        let successor_value = successors[0].split(';').next().unwrap().to_owned();
        let with_successor =
            Request::get("/api/account").header("cookie", successor_value).body(Body::empty()).unwrap();
        assert_eq!(all_at_once(&browser.app, vec![with_successor]).await[0].0, StatusCode::OK, "{backend}");

        // Past the window, the validator two rotations back is unknown, and the
        // one just replaced raises the alarm as before.
        browser.clock.advance_seconds(31);
        let (status, headers, _) = all_at_once(&browser.app, vec![with_old()]).await.remove(0);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{backend}");
        assert!(remember_set(&headers).is_none(), "{backend}");
        let replaced =
            Request::get("/api/account").header("cookie", successors[0].split(';').next().unwrap()).body(Body::empty());
        assert_eq!(all_at_once(&browser.app, vec![replaced.unwrap()]).await[0].0, StatusCode::UNAUTHORIZED);
        assert!(store.user_remember_tokens(&account.user_id).await.unwrap().is_empty(), "{backend}: revoked");
        assert!(store.user_sessions(&account.user_id).await.unwrap().is_empty(), "{backend}: revoked");
        assert!(store.account(&account.user_id).await.unwrap().unwrap().theft_detected_at.is_some(), "{backend}");
    }
}

/// Issue 21, attack 5: 20 parallel wrong passwords were all checked (none
/// got 429). Attempts are counted before the check, atomically: only the
/// free ones are checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_sign_ins_are_counted_before_the_password_check() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        let reply = browser
            .send(json_post(
                "/api/account/register",
                serde_json::json!({"email": "noa@example.com", "password": PASSWORD}),
                None,
            ))
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{backend}");
        let requests = (0..20)
            .map(|_| {
                let body = serde_json::json!({"email": "noa@example.com", "password": "not the password"});
                from_peer(json_post("/api/account/sign-in", body, None), "198.51.100.20:5000")
            })
            .collect();
        let replies = all_at_once(&browser.app, requests).await;
        let checked = replies.iter().filter(|(status, _, _)| *status == StatusCode::UNAUTHORIZED).count();
        let throttled: Vec<_> =
            replies.iter().filter(|(status, _, _)| *status == StatusCode::TOO_MANY_REQUESTS).collect();
        assert_eq!((checked, throttled.len()), (3, 17), "{backend}: only the 3 free attempts are checked");
        assert!(throttled
            .iter()
            .all(|(_, headers, body)| headers.contains_key("retry-after") && body["type"] == "/problems/throttled"));
    }
}

/// Issue 21, attack 6: 100 wrong guesses at the current password went
/// through in 1.3 s. Password change and erasure now count their checks on
/// the account's key, like sign-ins: after three, each waits.
#[tokio::test]
async fn current_password_checks_are_throttled_per_account() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store.clone());
        let csrf = register_and_sign_in(&mut browser, "ola@example.com", false).await;
        let change = |current: &str| {
            json_post(
                "/api/account/password",
                serde_json::json!({"current": current, "new": "another good passphrase"}),
                Some(&csrf),
            )
        };
        let erase =
            |password: &str| json_post("/api/account/delete", serde_json::json!({"password": password}), Some(&csrf));
        let mut statuses = Vec::new();
        for n in 0..10 {
            let request = if n % 2 == 0 { change("guess") } else { erase("guess") };
            statuses.push(browser.send(request).await.status);
        }
        let expected: Vec<_> =
            (0..10).map(|n| if n < 3 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS }).collect();
        assert_eq!(statuses, expected, "{backend}");
        let throttled = browser.send(change(PASSWORD)).await;
        assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "{backend}: even the right one waits");
        assert!(throttled.headers.contains_key("retry-after"));
        assert_eq!(browser.send(erase(PASSWORD)).await.status, StatusCode::TOO_MANY_REQUESTS, "{backend}");
        assert_eq!(store.count_accounts().await.unwrap(), 1, "{backend}: not erased");
        // After the delay the right password works.
        browser.clock.advance_seconds(60);
        let reply = browser.send(change(PASSWORD)).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {}", reply.text());
    }
}

/// Issue 21, attack 8: an attacker failing about once per 15 minutes kept a
/// chosen account locked (the right password got 429). With the
/// trusted-device cookie of an earlier sign-in, the user's browser is
/// throttled on its own; the lockout holds for untrusted clients only.
#[tokio::test]
async fn a_trusted_device_signs_in_while_an_attacker_locks_the_account() {
    for (backend, store) in stores().await {
        let mut user = Browser::demo(store.clone());
        let csrf = register_and_sign_in(&mut user, "pia@example.com", false).await;
        let trusted = user.jar.iter().find(|c| c.name == b"__Host-crumb_trusted").unwrap().clone();
        assert!(trusted.secure && trusted.http_only && trusted.host_only && trusted.path == "/", "{backend}");
        assert!(trusted.is_persistent(), "{backend}: it outlives the browser session");
        assert_eq!(trusted.same_site, crumb_cookie::SameSite::Strict, "{backend}");
        assert!(!trusted.value_str().contains(PASSWORD));
        let reply = user.send(json_post("/api/account/sign-out", serde_json::json!({}), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{backend}");
        user.restart();

        let sign_in = |password: &str, peer: &str| {
            let body = serde_json::json!({"email": "pia@example.com", "password": password});
            from_peer(json_post("/api/account/sign-in", body, None), peer)
        };
        // The attacker, from several addresses, fails on purpose.
        let mut attacker = user.sibling();
        for n in 0..8 {
            attacker.send(sign_in("guess", &format!("203.0.113.{n}:6000"))).await;
        }
        // The account is locked for untrusted clients: even the right password waits …
        let locked = attacker.send(sign_in(PASSWORD, "203.0.113.99:6000")).await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{backend}: {}", locked.text());
        let mut new_laptop = user.sibling();
        assert_eq!(new_laptop.send(sign_in(PASSWORD, "192.0.2.200:6000")).await.status, StatusCode::TOO_MANY_REQUESTS);
        // … and neither a forged trusted-device cookie nor one of another account helps.
        let url = crumb_cookie::RequestUrl::parse("http://localhost:8080/").unwrap();
        let forged = format!("{}x", trusted.value_str());
        attacker
            .jar
            .set_cookie(
                &url,
                format!("__Host-crumb_trusted={forged}; Secure; Path=/; HttpOnly; Max-Age=99"),
                crumb_cookie::RequestContext::same_site("GET"),
            )
            .unwrap();
        assert_eq!(attacker.send(sign_in(PASSWORD, "203.0.113.99:6000")).await.status, StatusCode::TOO_MANY_REQUESTS);
        let mut other_account = user.sibling();
        register_and_sign_in(&mut other_account, "rex@example.com", false).await;
        assert!(other_account.cookie_names().contains(&"__Host-crumb_trusted".to_owned()));
        assert_eq!(
            other_account.send(sign_in(PASSWORD, "192.0.2.201:6000")).await.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{backend}: trusted for another account only"
        );
        // The user's own browser, trusted for this account, signs in.
        let reply = user.send(sign_in(PASSWORD, "192.0.2.7:6000")).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {}", reply.text());
        assert_eq!(user.get("/api/account").await.json()["email"], "pia@example.com");
        // Its own wrong guesses are throttled on its own key.
        user.restart();
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(user.send(sign_in("typo", "192.0.2.7:6000")).await.status);
        }
        assert_eq!(statuses[..3], [StatusCode::UNAUTHORIZED; 3], "{backend}");
        assert_eq!(statuses[3..], [StatusCode::TOO_MANY_REQUESTS; 2], "{backend}");
    }
}

/// A browser's form post: form-encoded, same origin, asking for a page.
fn form_post(path: &str, fields: &[(&str, &str)]) -> Request<Body> {
    let body = serde_urlencoded::to_string(fields).unwrap();
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .header("origin", "http://localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
        .body(Body::from(body))
        .unwrap()
}

/// A browser's navigation to `path`.
fn page_get(path: &str) -> Request<Body> {
    Request::get(path).header("accept", "text/html,application/xhtml+xml,*/*;q=0.8").body(Body::empty()).unwrap()
}

fn is_html(reply: &common::Reply) -> bool {
    reply.headers.get("content-type").is_some_and(|v| v.to_str().unwrap().starts_with("text/html"))
}

fn location(reply: &common::Reply) -> &str {
    reply.headers.get("location").map_or("", |v| v.to_str().unwrap())
}

/// A form that fails comes back as the account page with the error next to
/// its field (and the problem's status); the same request from an API
/// client still gets the RFC 9457 problem.
#[tokio::test]
async fn browser_forms_get_the_page_with_the_error_in_place_and_apis_the_problem() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        let csrf = register_and_sign_in(&mut browser, "forms@example.com", false).await;
        let mut visitor = browser.sibling();

        // Sign-in with a wrong password.
        let reply = visitor
            .send(form_post("/api/account/sign-in", &[("email", "forms@example.com"), ("password", "wrong")]))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{backend}");
        assert!(is_html(&reply), "{backend}: a page, not a problem");
        let html = reply.text();
        assert!(
            html.contains(r#"<p class="error" id="sign-in-password-error">Wrong e-mail or password.</p>"#),
            "{html}"
        );
        assert!(html.contains(r#"aria-describedby="sign-in-password-error""#), "{backend}: the field names its error");
        assert!(html.contains(r#"value="forms@example.com""#), "{backend}: the typed e-mail is kept");
        let api = visitor
            .send(json_post(
                "/api/account/sign-in",
                serde_json::json!({"email": "forms@example.com", "password": "wrong"}),
                None,
            ))
            .await;
        assert_eq!(api.status, StatusCode::UNAUTHORIZED);
        assert_eq!(api.headers["content-type"], "application/problem+json", "{backend}");
        assert_eq!(api.json()["type"], "/problems/sign-in-failed");

        // Registration with a short password: next to the password field.
        let reply = visitor
            .send(form_post("/api/account/register", &[("email", "new@example.com"), ("password", "short")]))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(reply.text().contains(r#"id="register-password-error""#), "{backend}: {}", reply.text());

        // Change password: a wrong current password, then a new one too short.
        let reply = browser
            .send(form_post(
                "/api/account/password",
                &[("csrf", &csrf), ("current", "wrong"), ("new", "another long password")],
            ))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{backend}");
        let html = reply.text();
        assert!(
            html.contains(r#"id="password-current-error">The current password is wrong.</p>"#),
            "{backend}: {html}"
        );
        assert!(html.contains(r#"id="signed-in-as""#), "{backend}: still signed in, on the account page");
        let reply = browser
            .send(form_post("/api/account/password", &[("csrf", &csrf), ("current", PASSWORD), ("new", "short")]))
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(reply.text().contains(r#"id="password-new-error""#), "{backend}");

        // Erase with a wrong password.
        let reply = browser.send(form_post("/api/account/delete", &[("csrf", &csrf), ("password", "wrong")])).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{backend}");
        assert!(reply
            .text()
            .contains(r#"id="erase-password-error">That is not your password: nothing was erased.</p>"#));

        // Linking this device without statistics consent, then under GPC.
        let reply = browser.send(form_post("/api/account/cross-device", &[("csrf", &csrf), ("enabled", "on")])).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{backend}");
        let html = reply.text();
        assert!(html.contains(r#"id="link-enabled-error">Linking needs statistics consent in this browser"#), "{html}");
        browser.post_consent(&["statistics"], &[]).await;
        let mut under_gpc = form_post("/api/account/cross-device", &[("csrf", &csrf), ("enabled", "on")]);
        under_gpc.headers_mut().insert("sec-gpc", "1".parse().unwrap());
        let reply = browser.send(under_gpc).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{backend}");
        let html = reply.text();
        assert!(html.contains("Your browser sends Global Privacy Control (GPC), which this site honours"), "{html}");
        assert!(!html.contains("Gpc"), "{backend}: no Rust names in what a person reads");
        let mut api = json_post("/api/account/cross-device", serde_json::json!({"enabled": true}), Some(&csrf));
        api.headers_mut().insert("sec-gpc", "1".parse().unwrap());
        let api = browser.send(api).await;
        assert_eq!(api.json()["type"], "/problems/refused-by-signal", "{backend}");
        assert!(api.json()["detail"].as_str().unwrap().contains("Global Privacy Control (GPC)"));

        // A form that works still redirects, and sign-in no longer says "Signed in." above "Signed in as".
        let reply = visitor
            .send(form_post("/api/account/sign-in", &[("email", "forms@example.com"), ("password", PASSWORD)]))
            .await;
        assert_eq!((reply.status, location(&reply)), (StatusCode::SEE_OTHER, "/account"), "{backend}");
        let page = visitor.send(page_get("/account?notice=signed-in")).await.text();
        assert!(
            page.contains("Signed in as <strong>forms@example.com</strong>") && !page.contains("Signed in."),
            "{page}"
        );
    }
}

/// A page that needs a signed-in account sends a signed-out browser to the
/// sign-in form with a return link, and signing in there brings it back;
/// only this site's own paths are returned to (no open redirect). An API
/// client gets the 401 problem.
#[tokio::test]
async fn signed_out_pages_go_to_sign_in_and_back_but_never_to_another_site() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store.clone());
        for (path, back) in [("/dashboard", "%2Fdashboard"), ("/admin?receipt=a%20b", "%2Fadmin%3Freceipt%3Da%2520b")] {
            let reply = browser.send(page_get(path)).await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend} {path}");
            assert_eq!(location(&reply), format!("/account?return={back}"), "{backend}");
        }
        assert_eq!(browser.get("/dashboard").await.status, StatusCode::UNAUTHORIZED, "{backend}: API clients");
        assert_eq!(browser.get("/dashboard").await.headers["content-type"], "application/problem+json");

        let page = browser.send(page_get("/account?return=%2Fdashboard")).await.text();
        assert!(page.contains(r#"<input type="hidden" name="return" value="/dashboard">"#), "{backend}: {page}");
        register_and_sign_in(&mut browser.sibling(), "back@example.com", false).await;
        let account = store.account_by_email("back@example.com").await.unwrap().unwrap();
        store.set_admin(&account.user_id, true).await.unwrap();
        let credentials = [("email", "back@example.com"), ("password", PASSWORD)];
        let with_return = |target: &'static str| {
            let mut fields = credentials.to_vec();
            fields.push(("return", target));
            form_post("/api/account/sign-in", &fields)
        };
        let reply = browser.send(with_return("/dashboard")).await;
        assert_eq!((reply.status, location(&reply)), (StatusCode::SEE_OTHER, "/dashboard"), "{backend}");
        assert_eq!(browser.send(page_get("/dashboard")).await.status, StatusCode::OK, "{backend}: back, signed in");

        for evil in ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/\tevil"] {
            let mut other = browser.sibling();
            let reply = other.send(with_return(evil)).await;
            assert_eq!((reply.status, location(&reply)), (StatusCode::SEE_OTHER, "/account"), "{backend}: {evil}");
            let page = other.send(page_get(&format!("/account?return={}", urlencode(evil)))).await.text();
            assert!(!page.contains(r#"name="return""#), "{backend}: {evil} is not offered as a return link");
        }
        // A failed sign-in keeps the return link.
        let mut other = browser.sibling();
        let reply = other
            .send(form_post(
                "/api/account/sign-in",
                &[("email", "back@example.com"), ("password", "x"), ("return", "/admin")],
            ))
            .await;
        assert!(reply.text().contains(r#"name="return" value="/admin""#), "{backend}");
    }
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).unwrap().trim_start_matches("v=").to_owned()
}

/// Problems other than "not signed in" are pages for browsers too: a
/// non-administrator on /admin, a page that does not exist.
#[tokio::test]
async fn other_problems_are_pages_for_browsers() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    register_and_sign_in(&mut browser, "plain@example.com", false).await;
    let reply = browser.send(page_get("/admin")).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(is_html(&reply));
    let html = reply.text();
    assert!(html.contains("<h1>Forbidden</h1>") && html.contains("administrators only"), "{html}");
    assert!(html.contains(r#"href="/problems/forbidden""#));
    let reply = browser.send(page_get("/no-such-page")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(is_html(&reply) && reply.text().contains("<h1>Not found</h1>"));
    assert_eq!(browser.get("/no-such-page").await.headers["content-type"], "application/problem+json");
}

/// "Sign out everywhere" ends every session, forgets the account's devices
/// and deletes this browser's device and trusted-device cookies as well.
#[tokio::test]
async fn sign_out_everywhere_forgets_the_devices_and_their_cookies() {
    for (backend, store) in stores().await {
        let mut laptop = Browser::demo(store.clone());
        let csrf = register_and_sign_in(&mut laptop, "everywhere@example.com", false).await;
        let mut phone = laptop.sibling();
        register_and_sign_in(&mut phone, "everywhere@example.com", false).await;
        let account = store.account_by_email("everywhere@example.com").await.unwrap().unwrap();
        assert_eq!(store.user_devices(&account.user_id).await.unwrap().len(), 2, "{backend}");
        let reply =
            laptop.send(json_post("/api/account/sign-out-everywhere", serde_json::json!({}), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{backend}");
        for name in ["__Host-crumb_auth", "__Host-crumb_device", "__Host-crumb_trusted"] {
            assert!(reply.expires(name), "{backend}: {name} expired");
        }
        assert!(laptop.cookie_names().iter().all(|n| n != "__Host-crumb_device" && n != "__Host-crumb_trusted"));
        assert!(store.user_devices(&account.user_id).await.unwrap().is_empty(), "{backend}: devices forgotten");
        assert_eq!(phone.get("/api/account").await.status, StatusCode::UNAUTHORIZED, "{backend}");
    }
}

/// /admin: counts with their plurals, a consent record looked up by its
/// receipt id, the decisions per category of the last 30 days, the
/// administrators, and the place for undeclared cookies.
#[tokio::test]
async fn admin_page_looks_up_a_receipt_and_shows_decisions_and_accounts() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store.clone());
        let mut visitor = browser.sibling();
        let receipt =
            visitor.post_consent(&["statistics"], &[]).await.json()["receipt_id"].as_str().unwrap().to_owned();
        register_and_sign_in(&mut browser, "boss@example.com", false).await;
        let account = store.account_by_email("boss@example.com").await.unwrap().unwrap();
        store.set_admin(&account.user_id, true).await.unwrap();

        let html = browser.send(page_get(&format!("/admin?receipt={receipt}"))).await.text();
        assert!(html.contains("<strong>1</strong> consent record</span>"), "{backend}: {html}");
        assert!(html.contains("<strong>1</strong> account</span>"), "{backend}");
        assert!(html.contains(&format!("<code>{receipt}</code>")), "{backend}: the record is shown");
        assert!(html.contains(r#"<dd id="record-granted">necessary, statistics</dd>"#), "{backend}: {html}");
        assert!(html.contains(r#"<dd id="record-language">en</dd>"#), "{backend}");
        assert!(html.contains(r#"<dd id="record-policy">"#), "{backend}");
        assert!(html.contains("fewer than 10: not broken down"), "{backend}: one decision is under the floor");
        assert!(html.contains("boss@example.com"), "{backend}: administrators are listed");
        assert!(html.contains(r#"id="undeclared""#) && html.contains("No undeclared cookies"), "{backend}");

        let html = browser.send(page_get("/admin?receipt=no-such-receipt")).await.text();
        assert!(html.contains(r#"id="record-missing""#), "{backend}");

        // Ten decisions in a day are broken down per category.
        for _ in 0..9 {
            browser.sibling().post_consent(&["marketing"], &[]).await;
        }
        let html = browser.send(page_get("/admin")).await.text();
        assert!(html.contains("<td>10</td>"), "{backend}: {html}");
        assert!(html.contains("<td>1 / 9 <span class=\"muted\">(10 %)</span></td>"), "{backend}: statistics: {html}");
        assert!(html.contains("<td>9 / 1 <span class=\"muted\">(90 %)</span></td>"), "{backend}: marketing");
    }
}

/// The favicon is served and every layout links it.
#[tokio::test]
async fn the_favicon_is_served_and_linked() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    for path in ["/favicon.svg", "/favicon.ico"] {
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.headers["content-type"], "image/svg+xml");
        assert!(reply.text().starts_with("<svg"));
    }
    for path in ["/account", "/policy", "/", "/problems/not-found"] {
        let html = browser.get(path).await.text();
        assert!(html.contains(r#"<link rel="icon" href="/favicon.svg" type="image/svg+xml">"#), "{path}");
    }
}
