//! The consent API end to end, against every store backend, with crumb's
//! own jar as the browser's cookie store.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{stores, Browser};

#[tokio::test]
async fn first_visit_sets_only_necessary_cookies() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        let state = browser.get("/api/consent").await;
        assert_eq!(state.status, StatusCode::OK, "{backend}");
        let body = state.json();
        assert_eq!(body["needs_prompt"], true, "{backend}");
        assert_eq!(body["granted"], serde_json::json!(["necessary"]));
        assert_eq!(browser.cookie_names(), ["__Host-crumb_session"], "{backend}");
        let page = browser.get("/").await;
        assert!(page.text().contains("Without statistics consent we do not know"), "{backend}");
        assert_eq!(
            browser.cookie_names(),
            ["__Host-crumb_session"],
            "{backend}: no statistics or marketing cookie before consent"
        );
    }
}

#[tokio::test]
async fn reject_all_records_a_receipt_and_sets_only_necessary_cookies() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        let reply = browser.post_consent(&[], &[]).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {}", reply.text());
        let receipt = reply.json();
        assert_eq!(receipt["action"], "given");
        assert_eq!(receipt["granted"], serde_json::json!(["necessary"]));
        assert_eq!(receipt["refused"], serde_json::json!(["preferences", "statistics", "marketing"]));
        assert_eq!(browser.cookie_names(), ["__Host-crumb_consent", "__Host-crumb_session"], "{backend}");

        let url = receipt["receipt_url"].as_str().unwrap().to_owned();
        let record = browser.get(&url).await;
        assert_eq!(record.status, StatusCode::OK);
        let record = record.json();
        assert_eq!(record["receipt_id"], receipt["receipt_id"]);
        assert_eq!(record["consent_id"], receipt["consent_id"]);
        assert_eq!(record["policy_version"], crumb_core::config::demo().consent_version());
        assert!(record["policy_version"].as_str().unwrap().starts_with("2026-11-29+"));
        assert_eq!(record["language"], "en");

        let state = browser.get("/api/consent").await.json();
        assert_eq!(state["needs_prompt"], false, "{backend}: the decision holds");
        assert_eq!(state["decided"], true);
    }
}

#[tokio::test]
async fn statistics_consent_recognises_new_and_returning_visitors() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        browser.get("/").await;
        let reply = browser.post_consent(&["statistics"], &[]).await;
        assert!(reply.sets("__Host-crumb_vid"), "{backend}: {:?}", reply.set_cookies());
        let first = browser.get("/").await.text();
        assert!(first.contains("data-returning=\"false\""), "{backend}: {first}");
        // Same visit: still the first.
        assert!(browser.get("/products").await.text().contains("data-returning=\"false\""));
        // The next day the browser comes back: a new visit by a returning visitor.
        browser.restart();
        browser.clock.advance_seconds(86_400);
        let state = browser.get("/api/consent").await.json();
        assert_eq!(state["visitor"]["returning"], true, "{backend}: {state}");
        assert_eq!(state["visitor"]["visits"], 2);
        assert!(browser.get("/").await.text().contains("Welcome back"));
    }
}

#[tokio::test]
async fn withdrawal_expires_every_cookie_of_the_category() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        browser.post_consent(&["statistics", "marketing", "preferences"], &[]).await;
        // Scripts that ran after consent set their cookies.
        for cookie in ["demo_stats=3; Path=/", "demo_ads=x; Path=/"] {
            browser
                .jar
                .set_cookie(
                    &crumb_cookie::RequestUrl::parse("http://localhost:8080/").unwrap(),
                    cookie,
                    crumb_cookie::RequestContext::script(),
                )
                .unwrap();
        }
        let reply = browser.post_consent(&[], &[]).await;
        assert_eq!(reply.json()["action"], "withdrawn", "{backend}");
        for name in ["demo_stats", "demo_ads", "__Host-crumb_vid"] {
            assert!(reply.expires(name), "{backend}: {name} not expired: {:?}", reply.set_cookies());
        }
        assert_eq!(browser.cookie_names(), ["__Host-crumb_consent", "__Host-crumb_session"], "{backend}");
    }
}

#[tokio::test]
async fn privacy_signals_refuse_what_they_object_to() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store.clone());
        let receipt =
            browser.post_consent(&["statistics", "marketing", "preferences"], &[("sec-gpc", "1")]).await.json();
        assert_eq!(receipt["granted"], serde_json::json!(["necessary", "preferences", "statistics"]), "{backend}");
        assert_eq!(receipt["refused_by_signal"], serde_json::json!([["marketing", "gpc"]]));
        let record = browser.get(receipt["receipt_url"].as_str().unwrap()).await.json();
        assert_eq!(record["gpc"], true);

        let mut dnt_browser = Browser::demo(store);
        let receipt = dnt_browser.post_consent(&["statistics", "marketing"], &[("dnt", "1")]).await;
        assert!(!receipt.sets("__Host-crumb_vid"), "{backend}: DNT refuses the visitor id");
        assert_eq!(receipt.json()["granted"], serde_json::json!(["necessary"]));
    }
}

#[tokio::test]
async fn bad_requests_get_problem_responses() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
            (
                Request::post("/api/consent")
                    .header("content-type", "application/json")
                    .body(Body::from("{not json"))
                    .unwrap(),
                StatusCode::BAD_REQUEST,
                "bad-request",
            ),
            (
                Request::post("/api/consent")
                    .header("content-type", "application/json")
                    .body(Body::from(r#"{"granted":["ads"]}"#))
                    .unwrap(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
            ),
            (
                Request::post("/api/consent")
                    .header("content-type", "application/json")
                    .body(Body::from(r#"{"granted":[],"language":"xx"}"#))
                    .unwrap(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
            ),
            (
                Request::post("/api/consent")
                    .header("content-type", "text/plain")
                    .body(Body::from(r#"{"granted":[]}"#))
                    .unwrap(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
            ),
            (
                Request::post("/api/consent")
                    .header("content-type", "application/json")
                    .header("origin", "https://evil.example")
                    .body(Body::from(r#"{"granted":["marketing"]}"#))
                    .unwrap(),
                StatusCode::FORBIDDEN,
                "forbidden",
            ),
            (
                Request::post("/api/consent")
                    .header("content-type", "application/json")
                    .header("sec-fetch-site", "cross-site")
                    .body(Body::from(r#"{"granted":["marketing"]}"#))
                    .unwrap(),
                StatusCode::FORBIDDEN,
                "forbidden",
            ),
            (Request::get("/api/consent/nope").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND, "not-found"),
            (Request::get("/no/such/page").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND, "not-found"),
            (
                Request::delete("/api/consent").body(Body::empty()).unwrap(),
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
            ),
            (
                Request::post("/demo/preferences")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from("colour=red"))
                    .unwrap(),
                StatusCode::BAD_REQUEST,
                "bad-request",
            ),
            // axum's own rejections (a duplicate query field, a path that is
            // not UTF-8) answer in plain text; they get problems too.
            (
                Request::get("/policy?lang=en&lang=fr").body(Body::empty()).unwrap(),
                StatusCode::BAD_REQUEST,
                "bad-request",
            ),
            (Request::get("/api/consent/%FF%FE").body(Body::empty()).unwrap(), StatusCode::BAD_REQUEST, "bad-request"),
        ];
        for (request, status, kind) in cases {
            let what = format!("{} {}", request.method(), request.uri());
            let reply = browser.send(request).await;
            assert_eq!(reply.status, status, "{backend}: {what}: {}", reply.text());
            assert_eq!(reply.headers["content-type"], "application/problem+json", "{backend}: {what}");
            let problem = reply.json();
            assert_eq!(problem["type"], format!("/problems/{kind}"), "{what}");
            assert_eq!(problem["status"], status.as_u16());
            assert!(!problem["detail"].as_str().unwrap().is_empty());
        }
        let huge = format!(r#"{{"granted":[],"language":"{}"}}"#, "x".repeat(20_000));
        let reply = browser
            .send(
                Request::post("/api/consent")
                    .header("content-type", "application/json")
                    .body(Body::from(huge.clone()))
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}");
        assert_eq!(reply.json()["type"], "/problems/payload-too-large", "{backend}: a JSON problem");
        assert!(
            reply.json()["detail"].as_str().unwrap().contains("consent decision"),
            "{backend}: says what was too large"
        );
        // With a Content-Length, as clients send it, the body-limit layer refuses it first.
        let reply = browser
            .send(
                Request::post("/api/consent")
                    .header("content-type", "application/json")
                    .header("content-length", huge.len())
                    .body(Body::from(huge))
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{backend}");
        assert_eq!(reply.json()["type"], "/problems/payload-too-large", "{backend}: a JSON problem");
        assert!(browser.cookie_names().iter().all(|n| n != "__Host-crumb_consent"), "nothing was recorded");
    }
}

#[tokio::test]
async fn policy_change_prompts_again() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store.clone());
        browser.post_consent(&["statistics"], &[]).await;
        // The site publishes a new policy version: same store, same keys, same browser.
        let mut config = crumb_core::config::demo();
        config.policy_version = "2027-01-01".into();
        let mut next = Browser::new(config, store);
        next.jar = std::mem::replace(&mut browser.jar, crumb_cookie::Jar::with_clock(browser.clock.clone()));
        let state = next.get("/api/consent").await.json();
        assert_eq!(state["needs_prompt"], true, "{backend}");
        assert_eq!(state["granted"], serde_json::json!(["necessary"]), "{backend}: the old decision no longer grants");
    }
}

#[tokio::test]
async fn a_changed_declaration_prompts_again_even_without_a_new_version() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store.clone());
        browser.post_consent(&["statistics"], &[]).await;
        let mut config = crumb_core::config::demo();
        let cookie = config.cookies.iter_mut().find(|c| c.name == "demo_stats").unwrap();
        cookie.lifetime = crumb_core::config::Lifetime::Seconds(365 * 86_400);
        let mut next = Browser::new(config, store);
        next.jar = std::mem::replace(&mut browser.jar, crumb_cookie::Jar::with_clock(browser.clock.clone()));
        assert_eq!(next.get("/api/consent").await.json()["needs_prompt"], true, "{backend}");
    }
}

#[tokio::test]
async fn consent_expires_after_its_lifetime() {
    for (backend, store) in stores().await {
        let mut browser = Browser::demo(store);
        browser.post_consent(&["statistics"], &[]).await;
        browser.clock.advance_seconds(183 * 86_400);
        let state = browser.get("/api/consent").await.json();
        assert_eq!(state["needs_prompt"], true, "{backend}");
    }
}
