//! What the Chromium tests share: launching the browser (or skipping,
//! saying so, without Chromium), running a script in the page, waiting for
//! a condition, clicking, the cookies the browser holds, and crumb's demo
//! server on a loopback port with SQLite in a temporary folder.
#![allow(dead_code)] // each test file takes what it needs
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use crumb_browser::browser::{skip_without_chromium, Browser, BrowserOptions};
use crumb_core::config::Config;
use crumb_store::Store;
use fantoccini::Locator;

/// A headless Chromium for the test named `test`, or `None` (said on
/// stderr) when Chromium or chromedriver is not installed.
pub async fn launch(test: &str) -> Option<Browser> {
    if skip_without_chromium(test) {
        return None;
    }
    Some(Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap())
}

/// What `script` returns in the page (WebDriver waits for a promise).
pub async fn js(browser: &Browser, script: &str) -> serde_json::Value {
    browser.client().execute(script, vec![]).await.unwrap()
}

/// Waits up to 5 s for `script` to return `true`.
pub async fn wait_until(browser: &Browser, script: &str) {
    for _ in 0..100 {
        if js(browser, script).await == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {script}");
}

/// Clicks the element `css` selects.
pub async fn click(browser: &Browser, css: &str) {
    browser.client().find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

/// Waits for crumb's banner.
pub async fn banner_shown(browser: &Browser) {
    wait_until(browser, "return !!document.querySelector('.crumb-b')").await;
}

/// The names of the cookies the browser holds for the current page, sorted.
pub async fn cookie_names(browser: &Browser) -> Vec<String> {
    let mut names: Vec<String> =
        browser.client().get_all_cookies().await.unwrap().iter().map(|c| c.name().to_owned()).collect();
    names.sort();
    names
}

/// crumb serving on a loopback port.
pub struct Server {
    /// `http://localhost:<port>`.
    pub origin: String,
    /// Its store.
    pub store: Arc<dyn Store>,
    /// Its state (configuration, keys, the profile key).
    pub state: crumb_server::AppState,
    _data: tempfile::TempDir,
}

/// crumb with the demo declaration on a free loopback port, changed by
/// `adjust`, over SQLite in a temporary folder; `around` may add routes of
/// the site's own to crumb's router.
pub async fn serve(adjust: impl FnOnce(&mut Config), around: impl FnOnce(axum::Router) -> axum::Router) -> Server {
    serve_on_clock(adjust, around, Arc::new(AtomicI64::new(0))).await
}

/// A day in milliseconds, for moving a server's clock.
pub const DAY_MILLIS: i64 = 86_400_000;

/// As [`serve`], on a clock the test moves: the server's time is the real
/// time plus `offset` milliseconds (`offset.fetch_add(7 * DAY_MILLIS, …)`
/// is a week later for the server; the browser's own clock stays).
pub async fn serve_on_clock(
    adjust: impl FnOnce(&mut Config),
    around: impl FnOnce(axum::Router) -> axum::Router,
    offset: Arc<AtomicI64>,
) -> Server {
    let data = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> =
        Arc::new(crumb_store::sqlite::SqliteStore::open(&data.path().join("crumb.db")).unwrap());
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::generate().unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut config = Config::demo_on_port(port);
    adjust(&mut config);
    let clock = Arc::new(move || {
        crumb_cookie::Timestamp::now().unix_micros() / 1000 + offset.load(std::sync::atomic::Ordering::SeqCst)
    });
    let state = crumb_server::AppState::with_clock(config, Arc::clone(&store), keys, clock);
    let app = around(crumb_server::router(state.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server { origin: format!("http://localhost:{port}"), store, state, _data: data }
}

/// The demo as it ships.
pub async fn serve_demo() -> Server {
    serve(|_| {}, |router| router).await
}

/// Runs a Chrome DevTools Protocol command in the browser's page session
/// (chromedriver's `goog/cdp/execute`), e.g. `Network.setExtraHTTPHeaders`.
pub async fn cdp(browser: &Browser, cmd: &str, params: serde_json::Value) -> serde_json::Value {
    browser.client().issue_cmd(Cdp(serde_json::json!({"cmd": cmd, "params": params}))).await.unwrap()
}

/// A browser that sends Global Privacy Control: `navigator.globalPrivacyControl`
/// is true in every page and every request carries `Sec-GPC: 1` (Chromium
/// has no switch for it). `None` without Chromium.
pub async fn launch_with_gpc(test: &str) -> Option<Browser> {
    let browser = launch(test).await?;
    cdp(
        &browser,
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({"source": "Object.defineProperty(Navigator.prototype,'globalPrivacyControl',{get:function(){return true}})"}),
    )
    .await;
    cdp(&browser, "Network.enable", serde_json::json!({})).await;
    cdp(&browser, "Network.setExtraHTTPHeaders", serde_json::json!({"headers": {"Sec-GPC": "1"}})).await;
    Some(browser)
}

/// One CDP command for chromedriver.
#[derive(Debug)]
struct Cdp(serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

/// Starts recording the page's layout shifts (Chromium's
/// `PerformanceObserver`, buffered, so shifts before the call count too;
/// shifts right after input are excused, as the metric excuses them).
pub async fn record_layout_shifts(browser: &Browser) {
    js(
        browser,
        "window.shifts = []; new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) {\
           if (!e.hadRecentInput) window.shifts.push({value: e.value, at: e.startTime, sources: (e.sources || []).map(function (s) {\
           var n = s.node; return n ? (n.nodeName + (n.className ? '.' + n.className : '')) : '?'; })}); }); })\
           .observe({type: 'layout-shift', buffered: true});\
         return true",
    )
    .await;
}

/// After a few more frames (so that every shift there was is reported):
/// the cumulative layout shift since the page's deferred scripts could run,
/// and the shifts themselves (all of them) with the nodes that moved.
///
/// crumb.js is a deferred script: it runs once the document is parsed
/// (`domInteractive`), and so do the banner and the ad slots it fills. A
/// shift before that is the page's own loading — seen under load, when
/// Chromium paints part of the page while it is still parsing and the rest
/// then widens or scrolls it — and cannot be crumb's.
pub async fn layout_shift(browser: &Browser) -> (Option<f64>, serde_json::Value) {
    wait_until(
        browser,
        "if (!window.framesSeen) { window.framesSeen = 0; requestAnimationFrame(function f() { if (++window.framesSeen < 3) requestAnimationFrame(f); }); }\
         return window.framesSeen >= 3",
    )
    .await;
    let total = js(
        browser,
        "var parsed = performance.getEntriesByType('navigation')[0].domInteractive;\
         return window.shifts.filter(function (s) { return s.at >= parsed; })\
           .reduce(function (a, b) { return a + b.value; }, 0)",
    )
    .await;
    let seen = js(
        browser,
        "return {parsed: performance.getEntriesByType('navigation')[0].domInteractive, shifts: window.shifts}",
    )
    .await;
    (total.as_f64(), seen)
}
