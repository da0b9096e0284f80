//! The language picker in real headless Chromium: choosing a language
//! reloads the page in it, the next page keeps it, and the banner speaks it.
//! Skips, saying so, when Chromium or chromedriver is not installed.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/pages.rs"]
mod support;

use std::sync::Arc;

use crumb_browser::browser::{skip_without_chromium, Browser, BrowserOptions};
use fantoccini::Locator;

async fn start_server() -> (String, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let store = crumb_store::sqlite::SqliteStore::open(&data.path().join("crumb.db")).unwrap();
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::generate().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = crumb_core::config::Config::demo_on_port(port);
    let state = crumb_server::AppState::new(config, Arc::new(store), keys);
    tokio::spawn(async move { axum::serve(listener, crumb_server::router(state)).await.unwrap() });
    (format!("http://localhost:{port}"), data)
}

async fn js(browser: &Browser, script: &str) -> serde_json::Value {
    support::js(browser, script).await.unwrap()
}

async fn wait_until(browser: &Browser, script: &str) {
    support::wait_until(browser, script).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_picker_switches_the_language_and_the_next_page_keeps_it() {
    if skip_without_chromium("languages") {
        return;
    }
    let browser = Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap();
    let (origin, _data) = start_server().await;
    browser.client().goto(&format!("{origin}/about?lang=sl")).await.unwrap();
    wait_until(&browser, "return document.documentElement.lang === 'sl'").await;
    // The label names the select (clicking it focuses the select).
    browser.client().find(Locator::Css("label[for=language-picker]")).await.unwrap().click().await.unwrap();
    assert_eq!(js(&browser, "return document.activeElement.id").await, "language-picker");
    browser.client().find(Locator::Css("#language-picker option[value=fi]")).await.unwrap().click().await.unwrap();
    browser.client().find(Locator::Css(".language-picker button")).await.unwrap().click().await.unwrap();
    wait_until(&browser, "return document.documentElement.lang === 'fi'").await;
    assert_eq!(js(&browser, "return location.pathname + location.search").await, "/about?lang=fi");
    assert_eq!(js(&browser, "return document.getElementById('language-picker').value").await, "fi");
    // The banner is in Finnish.
    wait_until(&browser, "return !!document.querySelector('.crumb-b')").await;
    let banner = js(&browser, "return document.querySelector('.crumb-b').textContent").await;
    assert!(banner.as_str().unwrap().contains("Hylkää kaikki"), "{banner}");
    // The next page, by its link, is in Finnish too.
    browser.client().find(Locator::Css("header nav a[href^='/products']")).await.unwrap().click().await.unwrap();
    wait_until(&browser, "return location.pathname === '/products'").await;
    assert_eq!(js(&browser, "return document.documentElement.lang").await, "fi");
    assert_eq!(js(&browser, "return location.search").await, "?lang=fi");
    browser.close().await.unwrap();
}
