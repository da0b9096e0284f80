//! The policy page, the site script and the well-known endpoints.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{stores, Browser};

#[tokio::test]
async fn policy_json_lists_every_declared_cookie() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let policy = browser.get("/policy.json?lang=fr").await.json();
    assert_eq!(policy["language"], "fr");
    let names: Vec<String> = policy["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["cookies"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap().to_owned()))
        .collect();
    let config = crumb_core::config::demo();
    let declared: Vec<String> = config.cookies.iter().map(|c| c.name.clone()).collect();
    let mut sorted_names = names.clone();
    sorted_names.sort();
    let mut sorted_declared = declared.clone();
    sorted_declared.sort();
    assert_eq!(sorted_names, sorted_declared);
    assert_eq!(policy["honour_gpc"], true);
    assert_eq!(policy["consent_lifetime_days"], 182);
}

#[tokio::test]
async fn policy_page_is_translated_and_states_the_signals() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let english = browser.get("/policy").await;
    assert_eq!(english.status, StatusCode::OK);
    let html = english.text();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("We honour Do Not Track"));
    for browser_name in ["Chrome", "Firefox", "Safari", "Edge"] {
        assert!(html.contains(browser_name), "{browser_name}");
    }
    assert!(html.contains("privacy@demo.example"));
    assert!(html.contains("data-cookie=\"__Host-crumb_vid\""));
    let german = browser
        .send(
            axum::http::Request::get("/policy")
                .header("accept-language", "de-DE,de;q=0.9")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .text();
    assert!(german.contains("<html lang=\"de\">"));
}

#[tokio::test]
async fn a_site_that_ignores_dnt_says_so() {
    let (_, store) = stores().await.remove(0);
    let mut config = crumb_core::config::demo();
    config.honour_dnt = false;
    config.honour_gpc = false;
    let mut browser = Browser::new(config, store);
    let html = browser.get("/policy").await.text();
    assert!(html.contains("We do not act on Do Not Track signals"), "{html}");
    assert!(html.contains("We do not act on Global Privacy Control signals"));
    assert_eq!(browser.get("/.well-known/gpc.json").await.status, StatusCode::NOT_FOUND);
    // And DNT no longer refuses anything.
    let receipt = browser.post_consent(&["statistics"], &[("dnt", "1")]).await.json();
    assert_eq!(receipt["granted"], serde_json::json!(["necessary", "statistics"]));
}

#[tokio::test]
async fn gpc_well_known_and_health() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let gpc = browser.get("/.well-known/gpc.json").await.json();
    assert_eq!(gpc, serde_json::json!({"gpc": true, "lastUpdate": "2026-11-29"}));
    let health = browser.get("/healthz").await.json();
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn script_inlines_one_language_and_fits_the_budget() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let script = browser.get("/crumb.js?lang=fr").await;
    assert_eq!(script.headers["content-type"], "text/javascript; charset=utf-8");
    let text = script.text();
    assert!(text.contains("\"lang\":\"fr\""));
    assert!(!text.contains("__CRUMB_CONFIG__"));
    assert!(!text.contains("\"lang\":\"de\""), "only the visitor's language is sent");
    assert!(text.contains("crumb:consent"));
    // Budget: script + CSS + one language (and the site's declaration) at most 6 KB gzipped.
    let mut sizes = Vec::new();
    for lang in crumb_core::i18n::codes() {
        let body = browser.get(&format!("/crumb.js?lang={lang}")).await.body;
        assert!(String::from_utf8_lossy(&body).contains(&format!("\"lang\":\"{lang}\"")), "{lang} is offered");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut encoder, &body).unwrap();
        let gzipped = encoder.finish().unwrap().len();
        eprintln!("crumb.js?lang={lang}: {} bytes, {gzipped} gzipped", body.len());
        sizes.push((lang, gzipped));
    }
    eprintln!("gzipped: {sizes:?}");
    assert_eq!(sizes.len(), 24);
    for (lang, gzipped) in sizes {
        assert!(gzipped <= 6 * 1024, "{lang}: {gzipped} bytes gzipped");
    }
    // And it is sent compressed to a browser that says it takes it.
    for encoding in ["gzip", "br"] {
        let reply = browser
            .send(
                axum::http::Request::get("/crumb.js?lang=pl")
                    .header("accept-encoding", encoding)
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.headers["content-encoding"], encoding);
        assert!(reply.body.len() <= 6 * 1024, "{encoding}: {} bytes", reply.body.len());
        eprintln!("crumb.js?lang=pl as sent with {encoding}: {} bytes", reply.body.len());
    }
}

#[tokio::test]
async fn the_policy_states_how_statistics_are_counted() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store.clone());
    let html = browser.get("/policy").await.text();
    assert!(html.contains("no report shows a group of fewer than 10 visitors"), "{html}");
    assert!(html.contains("deleted after 30 days"));
    assert!(html.contains("Without your consent we do not count your visits at all."));
    assert!(html.contains("the raw records of your visits are deleted within minutes"), "{html}");
    assert!(html.contains("at most 1,000 distinct values of each dimension"), "{html}");
    let mut config = crumb_core::config::demo();
    config.analytics.cookieless = true;
    config.analytics.min_visitors = 25;
    config.analytics.max_values_per_day = 250;
    let mut browser = Browser::new(config, store);
    let html = browser.get("/policy?lang=de").await.text();
    assert!(html.contains("weniger als 25 Besuchern"), "{html}");
    assert!(html.contains("ohne Cookie"));
    assert!(html.contains("Rohdaten Ihrer Besuche binnen Minuten gelöscht"));
    assert!(html.contains("höchstens 250 verschiedene Werte"), "{html}");
    let json = browser.get("/policy.json").await.json();
    assert_eq!(
        json["statistics"],
        serde_json::json!({"min_visitors": 25, "raw_retention_days": 30, "max_values_per_day": 250, "cookieless": true})
    );
}

/// Issue 19: development mode says so at the foot of the policy page and
/// sends no HSTS (which would pin a `*.test` name to https for a year);
/// without it the same https origin gets HSTS and no such footer.
#[tokio::test]
async fn development_mode_marks_the_policy_page_and_sends_no_hsts() {
    let text = crumb_core::config::DEMO_TOML.replacen("origins = [", "origins = [\"https://shop.test\", ", 1);
    for development in [false, true] {
        let text = match development {
            true => text.replacen("[server]\n", "[server]\ndevelopment = true\n", 1),
            false => text.clone(),
        };
        let config = crumb_core::config::parse(&text, "t.toml").unwrap();
        assert_eq!(config.development, development);
        let (_, store) = stores().await.remove(0);
        let mut browser = Browser::new(config, store);
        let request = axum::http::Request::get("/policy").header("host", "shop.test");
        let reply = browser.send(request.body(axum::body::Body::empty()).unwrap()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert_eq!(reply.headers.contains_key("strict-transport-security"), !development, "development {development}");
        let html = reply.text();
        assert_eq!(html.contains("<footer id=\"development-mode\"><p>development mode:"), development, "{html}");
    }
}
