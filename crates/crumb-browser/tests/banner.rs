//! The consent banner and preference centre in real headless Chromium,
//! against crumb's server on loopback with the demo declaration and SQLite.
//! Skips, saying so, when Chromium or chromedriver is not installed.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use crumb_browser::browser::{skip_without_chromium, Browser, BrowserOptions};
use fantoccini::key::Key;
use fantoccini::Locator;

struct Server {
    origin: String,
    _data: tempfile::TempDir,
}

async fn start_server() -> Server {
    let data = tempfile::tempdir().unwrap();
    let store = crumb_store::sqlite::SqliteStore::open(&data.path().join("crumb.db")).unwrap();
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::generate().unwrap());
    let state = crumb_server::AppState::new(crumb_core::config::demo(), Arc::new(store), keys);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, crumb_server::router(state)).await.unwrap() });
    Server { origin: format!("http://localhost:{port}"), _data: data }
}

async fn browser() -> Option<Browser> {
    if skip_without_chromium("banner") {
        return None;
    }
    Some(Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap())
}

async fn cookie_names(browser: &Browser) -> Vec<String> {
    let mut names: Vec<String> =
        browser.client().get_all_cookies().await.unwrap().iter().map(|c| c.name().to_owned()).collect();
    names.sort();
    names
}

async fn js(browser: &Browser, script: &str) -> serde_json::Value {
    browser.client().execute(script, vec![]).await.unwrap()
}

async fn wait_until(browser: &Browser, script: &str) {
    for _ in 0..100 {
        if js(browser, script).await == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {script}");
}

async fn banner_shown(browser: &Browser) {
    wait_until(browser, "return !!document.querySelector('.crumb-b')").await;
}

async fn click(browser: &Browser, css: &str) {
    browser.client().find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

async fn press(browser: &Browser, key: Key) {
    let active = browser.client().active_element().await.unwrap();
    active.send_keys(&char::from(key).to_string()).await.unwrap();
}

async fn active(browser: &Browser) -> String {
    js(browser, "var e=document.activeElement; return (e.getAttribute('data-crumb')||e.name||e.tagName)")
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_visit_then_reject_all_leaves_only_necessary_cookies() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    assert_eq!(
        cookie_names(&browser).await,
        ["__Host-crumb_session"],
        "no statistics or marketing cookie before consent"
    );
    assert_eq!(js(&browser, "return window.demoStatisticsRan === true").await, false);
    assert_eq!(js(&browser, "return document.querySelector('.crumb-b').getAttribute('role')").await, "dialog");
    // "Reject all" is as prominent as "Accept all": same size and colours.
    let same = js(
        &browser,
        "var r=document.querySelector('[data-crumb=reject]'),a=document.querySelector('[data-crumb=accept]');\
         var cr=getComputedStyle(r),ca=getComputedStyle(a);\
         return r.offsetHeight===a.offsetHeight && cr.backgroundColor===ca.backgroundColor && cr.fontSize===ca.fontSize",
    )
    .await;
    assert_eq!(same, true);

    click(&browser, "[data-crumb=reject]").await;
    wait_until(&browser, "return !document.querySelector('.crumb-b')").await;
    assert_eq!(cookie_names(&browser).await, ["__Host-crumb_consent", "__Host-crumb_session"]);
    browser.navigate_raw(&format!("{}/products", server.origin)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(js(&browser, "return !!document.querySelector('.crumb-b')").await, false, "the decision holds");
    assert_eq!(js(&browser, "return window.demoStatisticsRan === true").await, false);
    assert_eq!(cookie_names(&browser).await, ["__Host-crumb_consent", "__Host-crumb_session"]);
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_consent_runs_the_gated_script_and_withdrawal_removes_its_cookies() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    click(&browser, "[data-crumb=choose]").await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    click(&browser, "#crumb-c-statistics").await;
    click(&browser, "[data-crumb=save]").await;
    wait_until(&browser, "return window.demoStatisticsRan === true").await;
    assert_eq!(js(&browser, "return window.demoMarketingRan === true").await, false, "marketing stays blocked");
    let names = cookie_names(&browser).await;
    assert_eq!(names, ["__Host-crumb_consent", "__Host-crumb_session", "__Host-crumb_vid", "demo_stats"]);
    assert_eq!(js(&browser, "return crumb.consent.granted.join(',')").await, "necessary,statistics");

    // The policy page lists exactly the cookies the browser ends up with (and more that need other consent).
    browser.navigate_raw(&format!("{}/policy", server.origin)).await.unwrap();
    let listed = js(&browser, "return Array.from(document.querySelectorAll('[data-cookie]')).map(function(r){return r.getAttribute('data-cookie')})").await;
    let listed: Vec<String> = serde_json::from_value(listed).unwrap();
    for name in cookie_names(&browser).await {
        assert!(listed.contains(&name), "{name} is set but not in the policy");
    }

    // Withdraw from the preference centre, re-opened from the page's link.
    click(&browser, "[data-crumb-open]").await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    assert_eq!(js(&browser, "return document.getElementById('crumb-c-statistics').checked").await, true);
    click(&browser, "#crumb-c-statistics").await;
    click(&browser, "[data-crumb=save]").await;
    wait_until(&browser, "return !document.querySelector('.crumb-d')").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        cookie_names(&browser).await,
        ["__Host-crumb_consent", "__Host-crumb_session"],
        "withdrawal removes the cookies"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_flow_works_with_the_keyboard_alone() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    assert_eq!(active(&browser).await, "reject", "focus starts in the banner");
    press(&browser, Key::Tab).await;
    assert_eq!(active(&browser).await, "choose");
    press(&browser, Key::Enter).await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    assert_eq!(active(&browser).await, "preferences", "focus moves into the dialog");
    assert_eq!(js(&browser, "return document.querySelector('.crumb-d').getAttribute('aria-modal')").await, "true");
    // Space toggles preferences; Tab walks to statistics and toggles it too.
    press(&browser, Key::Space).await;
    press(&browser, Key::Tab).await;
    assert_eq!(active(&browser).await, "statistics");
    press(&browser, Key::Space).await;
    // Focus is trapped: Shift+Tab from the first control goes to the last.
    js(&browser, "document.getElementById('crumb-c-preferences').focus(); return true").await;
    browser
        .client()
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!("{}{}", char::from(Key::Shift), char::from(Key::Tab)))
        .await
        .unwrap();
    assert_eq!(active(&browser).await, "close", "focus wraps to the last control");
    // Escape closes the dialog and returns focus to the banner.
    press(&browser, Key::Escape).await;
    wait_until(&browser, "return !document.querySelector('.crumb-d')").await;
    assert_eq!(active(&browser).await, "reject");
    // Open again and save with the keyboard.
    press(&browser, Key::Tab).await;
    press(&browser, Key::Enter).await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    press(&browser, Key::Space).await; // preferences on
    js(&browser, "document.querySelector('[data-crumb=save]').focus(); return true").await;
    press(&browser, Key::Enter).await;
    wait_until(&browser, "return !document.querySelector('.crumb-d') && !document.querySelector('.crumb-b')").await;
    assert_eq!(js(&browser, "return crumb.consent.granted.join(',')").await, "necessary,preferences");
    // Focus is visible: the focused control has an outline.
    let outline =
        js(&browser, "var b=document.querySelector('footer a'); b.focus(); return getComputedStyle(b).outlineStyle")
            .await;
    assert_ne!(outline, "none");
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_mode_event_and_client_side_gpc() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    browser.navigate_raw(&format!("{}/about", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    // A page with Google's tag: crumb must update Consent Mode v2 and fire crumb:consent.
    js(
        &browser,
        "window.gtagCalls=[]; window.gtag=function(){window.gtagCalls.push(Array.from(arguments))};\
         document.addEventListener('crumb:consent',function(e){window.crumbEvent=e.detail.granted.join(',')}); return true",
    )
    .await;
    click(&browser, "[data-crumb=accept]").await;
    wait_until(&browser, "return !!window.crumbEvent").await;
    assert_eq!(js(&browser, "return window.crumbEvent").await, "necessary,preferences,statistics,marketing");
    let update = js(&browser, "return window.gtagCalls[0]").await;
    assert_eq!(
        update,
        serde_json::json!(["consent", "update", {"ad_storage": "granted", "ad_user_data": "granted", "ad_personalization": "granted", "analytics_storage": "granted"}])
    );
    assert_eq!(js(&browser, "return window.demoMarketingRan === true").await, true);
    browser.close().await.unwrap();

    // A browser that sends Global Privacy Control is not offered marketing, and is told why.
    let Some(gpc_browser) = browser_with_gpc().await else { return };
    gpc_browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&gpc_browser).await;
    assert_eq!(js(&gpc_browser, "return !!document.querySelector('[data-crumb-signal=gpc]')").await, true);
    click(&gpc_browser, "[data-crumb=accept]").await;
    wait_until(&gpc_browser, "return !document.querySelector('.crumb-b')").await;
    assert_eq!(js(&gpc_browser, "return crumb.consent.granted.join(',')").await, "necessary,preferences,statistics");
    assert_eq!(js(&gpc_browser, "return window.demoMarketingRan === true").await, false);
    gpc_browser.close().await.unwrap();
}

/// Chromium has no GPC switch; a script added before any page script sets `navigator.globalPrivacyControl`.
async fn browser_with_gpc() -> Option<Browser> {
    let browser = browser().await?;
    browser.client().issue_cmd(AddScript).await.ok()?;
    Some(browser)
}

#[derive(Debug)]
struct AddScript;

impl fantoccini::wd::WebDriverCompatibleCommand for AddScript {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({
            "cmd": "Page.addScriptToEvaluateOnNewDocument",
            "params": {"source": "Object.defineProperty(Navigator.prototype,'globalPrivacyControl',{get:function(){return true}})"}
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_banner_and_policy() {
    if std::env::var_os("CRUMB_SCREENSHOTS").is_none() {
        eprintln!("SKIPPED: set CRUMB_SCREENSHOTS=1 to refresh docs/screenshots");
        return;
    }
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&docs).unwrap();
    browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    std::fs::write(docs.join("banner.png"), browser.client().screenshot().await.unwrap()).unwrap();
    click(&browser, "[data-crumb=choose]").await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    std::fs::write(docs.join("preference-centre.png"), browser.client().screenshot().await.unwrap()).unwrap();
    click(&browser, ".crumb-d [data-crumb=accept]").await;
    wait_until(&browser, "return !document.querySelector('.crumb-d')").await;
    browser.navigate_raw(&format!("{}/policy?lang=en", server.origin)).await.unwrap();
    std::fs::write(docs.join("policy.png"), browser.client().screenshot().await.unwrap()).unwrap();
    browser.close().await.unwrap();
}
