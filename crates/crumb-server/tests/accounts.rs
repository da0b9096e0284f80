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
        // A thief presents the old cookie.
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
        assert!(page.text().contains("1 accounts"), "{backend}: {}", page.text());
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
