//! crumb under a path prefix in real headless Chromium: crumb's routes at
//! `/_crumb` (`[server] prefix`), and at `/` a page of the site's own that
//! only embeds `<script src="/_crumb/crumb.js" defer>`. The banner appears,
//! its decisions are recorded through the prefixed API, the preference
//! centre reads `/_crumb/policy.json`, and crumb's cookies are on `/`.
//! Skips, saying so, when Chromium or chromedriver is not installed.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/chromium.rs"]
mod chromium;

use axum::response::Html;
use chromium::{click, js, wait_until, Server};
use crumb_browser::browser::Browser;

const PREFIX: &str = "/_crumb";

/// The site's own page: nothing of crumb's but its script.
const SITE_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>The site</title>\
<script src=\"/_crumb/crumb.js\" defer></script></head><body><h1>The site's own home</h1>\
<p><a href=\"#\" data-crumb-open>Cookie settings</a></p></body></html>";

/// crumb's routes under the prefix (and its fallback) around the site's page at `/`.
async fn start_server() -> Server {
    chromium::serve(
        |config| {
            config.prefix = PREFIX.to_owned();
            config.demo = false;
        },
        |crumb| axum::Router::new().route("/", axum::routing::get(|| async { Html(SITE_PAGE) })).merge(crumb),
    )
    .await
}

async fn browser() -> Option<Browser> {
    chromium::launch("prefix").await
}

/// The cookies Chromium holds: (name, path).
async fn cookies(browser: &Browser) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = browser
        .client()
        .get_all_cookies()
        .await
        .unwrap()
        .iter()
        .map(|c| (c.name().to_owned(), c.path().unwrap_or_default().to_owned()))
        .collect();
    all.sort();
    all
}

/// What `GET /_crumb/api/consent` answers the page (WebDriver waits for the promise).
async fn consent_state(browser: &Browser) -> serde_json::Value {
    js(
        browser,
        "return fetch('/_crumb/api/consent', {credentials: 'same-origin', cache: 'no-store'}).then(function (r) { return r.json(); })",
    )
    .await
}

/// The paths of the resources the page fetched.
async fn fetched(browser: &Browser) -> Vec<String> {
    let paths = js(
        browser,
        "return performance.getEntriesByType('resource').map(function (e) { var u = new URL(e.name); return u.pathname + u.search; })",
    )
    .await;
    paths.as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_works_on_a_site_page_with_crumb_under_a_prefix() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    wait_until(&browser, "return !!document.querySelector('.crumb-b')").await;
    assert_eq!(js(&browser, "return document.querySelector('h1').textContent").await, "The site's own home");
    // The visit cookie is set by the prefixed API, for the whole origin.
    assert_eq!(cookies(&browser).await, [("__Host-crumb_session".to_owned(), "/".to_owned())]);
    let asked = fetched(&browser).await;
    assert!(asked.iter().any(|p| p == "/_crumb/api/consent"), "{asked:?}");
    // Everything the page and the script asked for is crumb's, under the
    // prefix (but the icon Chromium asks the site for on its own).
    let outside: Vec<&String> = asked.iter().filter(|p| !p.starts_with(PREFIX) && *p != "/favicon.ico").collect();
    assert!(outside.is_empty(), "asked outside {PREFIX}: {outside:?}");
    let policy_link = js(&browser, "return document.querySelector('.crumb-b a[href]').getAttribute('href')").await;
    assert_eq!(policy_link, "/_crumb/policy?lang=en", "the banner links to the prefixed policy");

    // "Reject all" is recorded through the prefixed API.
    click(&browser, "[data-crumb=reject]").await;
    wait_until(&browser, "return !document.querySelector('.crumb-b')").await;
    let state = consent_state(&browser).await;
    assert_eq!(state["decided"], true, "{state}");
    assert_eq!(state["granted"], serde_json::json!(["necessary"]), "{state}");
    assert_eq!(server.store.count_consents("Crumb Demo Shop").await.unwrap(), 1);
    assert_eq!(
        cookies(&browser).await,
        [("__Host-crumb_consent".to_owned(), "/".to_owned()), ("__Host-crumb_session".to_owned(), "/".to_owned())]
    );

    // The preference centre opens from the site's link and reads the prefixed policy.json.
    click(&browser, "[data-crumb-open]").await;
    wait_until(&browser, "return document.querySelectorAll('#crumb-l-necessary li').length > 0").await;
    let asked = fetched(&browser).await;
    assert!(asked.iter().any(|p| p == "/_crumb/policy.json?lang=en"), "{asked:?}");
    // "Accept all" in the centre: the new decision is recorded through the prefixed API.
    click(&browser, ".crumb-o [data-crumb=accept]").await;
    wait_until(&browser, "return !!(window.crumb.consent && window.crumb.consent.granted.indexOf('marketing') >= 0)")
        .await;
    let state = consent_state(&browser).await;
    let granted = state["granted"].as_array().unwrap().clone();
    for category in ["necessary", "statistics", "marketing"] {
        assert!(granted.iter().any(|g| g == category), "{category} not granted: {state}");
    }
    assert_eq!(server.store.count_consents("Crumb Demo Shop").await.unwrap(), 2);
    assert!(cookies(&browser).await.iter().all(|(_, path)| path == "/"), "{:?}", cookies(&browser).await);
    browser.close().await.unwrap();
}
