//! The consent banner and preference centre in real headless Chromium,
//! against crumb's server on loopback with the demo declaration and SQLite.
//! Skips, saying so, when Chromium or chromedriver is not installed.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/chromium.rs"]
mod chromium;

use std::time::Duration;

use chromium::{
    banner_shown, click, cookie_names, js, layout_shift, record_layout_shifts, serve_demo as start_server, wait_until,
};
use crumb_browser::browser::Browser;
use fantoccini::key::Key;

async fn browser() -> Option<Browser> {
    chromium::launch("banner").await
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

/// Issue 21 item 3: the pages' strict CSP (no `unsafe-inline`) is enforced
/// by Chromium — a script injected without the nonce does not run — and
/// the banner still works under it: its style (added by `crumb.js` with the
/// nonce) applies, and a consented gated script runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_works_under_the_strict_content_security_policy() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    let injected = "var s=document.createElement('script'); s.text='window.rogue=true'; document.head.appendChild(s); \
                    return window.rogue === true";
    assert_eq!(js(&browser, injected).await, false, "an inline script without the nonce is refused");
    let inline_style = "var p=document.createElement('p'); p.setAttribute('style','position:fixed'); \
                        document.body.appendChild(p); return getComputedStyle(p).position";
    assert_eq!(js(&browser, inline_style).await, "static", "a style attribute is refused");
    assert_eq!(
        js(&browser, "return getComputedStyle(document.querySelector('.crumb-b')).position").await,
        "fixed",
        "the banner's own style applies"
    );
    assert_eq!(
        js(&browser, "return getComputedStyle(document.body).margin === '8px'").await,
        false,
        "the page's style applies"
    );
    click(&browser, "[data-crumb=accept]").await;
    wait_until(&browser, "return window.demoStatisticsRan === true && window.demoMarketingRan === true").await;
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
    assert_eq!(
        js(&browser, "return document.getElementById('crumb-c-statistics').getAttribute('aria-checked')").await,
        "true"
    );
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
    assert_eq!(js(&browser, "return document.activeElement.getAttribute('role')").await, "switch");
    // Space toggles preferences; Tab walks past its cookie list to statistics, Space toggles it too.
    press(&browser, Key::Space).await;
    assert_eq!(js(&browser, "return document.activeElement.getAttribute('aria-checked')").await, "true");
    press(&browser, Key::Tab).await;
    assert_eq!(active(&browser).await, "SUMMARY", "the category's cookies, folded");
    press(&browser, Key::Tab).await;
    assert_eq!(active(&browser).await, "statistics");
    press(&browser, Key::Space).await;
    assert_eq!(js(&browser, "return document.activeElement.getAttribute('aria-checked')").await, "true");
    // Focus is trapped: Shift+Tab from the first control (Close, at the top) goes to the last.
    js(&browser, "document.querySelector('[data-crumb=close]').focus(); return true").await;
    browser
        .client()
        .active_element()
        .await
        .unwrap()
        .send_keys(&format!("{}{}", char::from(Key::Shift), char::from(Key::Tab)))
        .await
        .unwrap();
    assert_eq!(active(&browser).await, "accept", "focus wraps to the last control");
    press(&browser, Key::Tab).await;
    assert_eq!(active(&browser).await, "close", "and from the last to the first");
    // Escape closes the dialog and returns focus to what opened it.
    press(&browser, Key::Escape).await;
    wait_until(&browser, "return !document.querySelector('.crumb-d')").await;
    assert_eq!(active(&browser).await, "choose");
    // Open again and save with the keyboard.
    press(&browser, Key::Enter).await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    press(&browser, Key::Space).await; // preferences on
    js(&browser, "document.querySelector('[data-crumb=save]').focus(); return true").await;
    press(&browser, Key::Enter).await;
    wait_until(&browser, "return !document.querySelector('.crumb-d') && !document.querySelector('.crumb-b')").await;
    assert_eq!(js(&browser, "return crumb.consent.granted.join(',')").await, "necessary,preferences");
    // The banner that opened the centre is gone: focus goes to the page's link that opens it again.
    assert_eq!(js(&browser, "return document.activeElement.hasAttribute('data-crumb-open')").await, true);
    // Opened from that link, the centre gives focus back to it on Close.
    press(&browser, Key::Enter).await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    assert_eq!(active(&browser).await, "preferences");
    assert_eq!(
        js(&browser, "return document.activeElement.getAttribute('aria-checked')").await,
        "true",
        "the saved choice"
    );
    js(&browser, "document.querySelector('[data-crumb=close]').focus(); return true").await;
    press(&browser, Key::Enter).await;
    wait_until(&browser, "return !document.querySelector('.crumb-d')").await;
    assert_eq!(js(&browser, "return document.activeElement.hasAttribute('data-crumb-open')").await, true);
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
    // The note names what is off, and "Accept all" says it accepts only what is allowed.
    assert_eq!(
        js(&gpc_browser, "return document.querySelector('.crumb-b [data-crumb-signal=gpc]').textContent").await,
        "Marketing: off because your browser sent a Global Privacy Control signal, which we honour."
    );
    assert_eq!(
        js(&gpc_browser, "return document.querySelector('.crumb-b [data-crumb=accept]').textContent").await,
        "Accept all allowed"
    );
    // In the centre, marketing's switch is off and locked, and looks it; the note is its description.
    click(&gpc_browser, "[data-crumb=choose]").await;
    wait_until(&gpc_browser, "return !!document.querySelector('.crumb-d')").await;
    let locked = js(
        &gpc_browser,
        "var s=document.getElementById('crumb-c-marketing'), c=getComputedStyle(s);         return [s.disabled, s.getAttribute('aria-checked'), c.borderTopStyle, c.cursor,                 document.getElementById(s.getAttribute('aria-describedby').split(' ')[0]).textContent.indexOf('Marketing: off') === 0,                 document.querySelector('.crumb-d [data-crumb=accept]').textContent]",
    )
    .await;
    assert_eq!(locked, serde_json::json!([true, "false", "dashed", "not-allowed", true, "Accept all allowed"]));
    assert_eq!(js(&gpc_browser, "return document.getElementById('crumb-c-statistics').disabled").await, false);
    press(&gpc_browser, Key::Escape).await;
    wait_until(&gpc_browser, "return !document.querySelector('.crumb-d')").await;
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

/// Width and height of a PNG (its IHDR chunk, PNG §11.2.2).
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (word(16), word(20))
}

/// The banner, the preference centre and the policy at a phone's size
/// (390×844) and a desktop's (1366×900): each screenshot is the size of the
/// viewport, the banner lies within it with both choices visible, and the
/// dialog is on screen. The PNGs go to a temporary folder (to look at), or
/// to `CRUMB_SCREENSHOTS_DIR` when set (e.g. `docs/screenshots` to refresh them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_banner_and_policy() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    let out = match std::env::var_os("CRUMB_SCREENSHOTS_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("crumb-screenshots-{}", std::process::id())),
    };
    std::fs::create_dir_all(&out).unwrap();
    for (size, width, height) in [("phone", 390, 844), ("desktop", 1366, 900)] {
        browser.client().set_window_size(width, height).await.unwrap();
        browser.client().delete_all_cookies().await.unwrap();
        browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
        banner_shown(&browser).await;
        let viewport = js(&browser, "return [innerWidth * devicePixelRatio, innerHeight * devicePixelRatio]").await;
        let expected = (viewport[0].as_f64().unwrap() as u32, viewport[1].as_f64().unwrap() as u32);
        let fits = js(
            &browser,
            r#"const b = document.querySelector('.crumb-b').getBoundingClientRect();
               const shown = s => { const r = document.querySelector(s).getBoundingClientRect();
                 return r.width > 0 && r.height > 0 && r.bottom <= innerHeight && r.right <= innerWidth; };
               return b.left >= 0 && b.right <= innerWidth && b.bottom <= innerHeight
                 && shown('.crumb-b [data-crumb=accept]') && shown('.crumb-b [data-crumb=reject]');"#,
        )
        .await;
        assert_eq!(fits, serde_json::json!(true), "{size}: the banner and both choices fit the viewport");
        let shot = browser.client().screenshot().await.unwrap();
        assert_eq!(png_size(&shot), expected, "{size}: a screenshot of the viewport");
        std::fs::write(out.join(format!("banner-{size}.png")), shot).unwrap();

        click(&browser, "[data-crumb=choose]").await;
        wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
        let dialog = js(&browser, "const r = document.querySelector('.crumb-d').getBoundingClientRect(); return r.width > 0 && r.top < innerHeight && r.left >= 0;").await;
        assert_eq!(dialog, serde_json::json!(true), "{size}: the preference centre is on screen");
        std::fs::write(out.join(format!("preference-centre-{size}.png")), browser.client().screenshot().await.unwrap())
            .unwrap();
        click(&browser, ".crumb-d [data-crumb=accept]").await;
        wait_until(&browser, "return !document.querySelector('.crumb-d')").await;

        browser.navigate_raw(&format!("{}/policy?lang=en", server.origin)).await.unwrap();
        let heading = js(&browser, "return document.querySelector('h1').textContent").await;
        assert!(heading.as_str().is_some_and(|h| !h.is_empty()), "{size}: the policy has its heading");
        let shot = browser.client().screenshot().await.unwrap();
        assert_eq!(png_size(&shot), expected, "{size}: policy screenshot");
        std::fs::write(out.join(format!("policy-{size}.png")), shot).unwrap();
    }
    eprintln!("screenshots in {}", out.display());
    browser.close().await.unwrap();
}

/// Issue 18: the banner's layout at a phone's size and a desktop's. On the
/// phone it takes at most 40% of the height with the first choice in view;
/// at both sizes the end of the page can be scrolled above the banner (the
/// footer's "Cookie settings" link, the policy's last section), lines stay
/// readable (about 70 characters), and the centre's "Close" is well apart
/// from "Accept all".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_fits_the_phone_and_leaves_the_page_reachable() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    for (size, width, height) in [("phone", 390, 844), ("desktop", 1366, 900)] {
        browser.client().set_window_size(width, height).await.unwrap();
        browser.client().delete_all_cookies().await.unwrap();
        browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
        banner_shown(&browser).await;
        let layout = js(
            &browser,
            r#"const b = document.querySelector('.crumb-b').getBoundingClientRect();
               const first = document.querySelector('.crumb-b button').getBoundingClientRect();
               const p = document.getElementById('crumb-bd'), style = getComputedStyle(p);
               const lines = Math.round(p.getBoundingClientRect().height / parseFloat(style.lineHeight));
               return {share: b.height / innerHeight, first_in_view: first.top >= b.top && first.bottom <= innerHeight,
                       scrolls: document.querySelector('.crumb-b').scrollHeight <= document.querySelector('.crumb-b').clientHeight,
                       width: p.getBoundingClientRect().width, per_line: p.textContent.length / lines};"#,
        )
        .await;
        eprintln!("{size}: {layout}");
        if size == "phone" {
            assert!(
                layout["share"].as_f64().unwrap() <= 0.40,
                "{size}: the banner takes at most 40% of the height: {layout}"
            );
        }
        assert_eq!(layout["first_in_view"], true, "{size}: the first choice is in view: {layout}");
        assert_eq!(layout["scrolls"], true, "{size}: the banner needs no scrolling: {layout}");
        assert!(layout["per_line"].as_f64().unwrap() <= 80.0, "{size}: at most ~70 characters a line: {layout}");
        assert!(layout["width"].as_f64().unwrap() <= 640.0, "{size}: the text column is narrow: {layout}");

        // The end of every page reaches above the banner.
        for path in ["/", "/policy?lang=en"] {
            if path != "/" {
                browser.navigate_raw(&format!("{}{path}", server.origin)).await.unwrap();
                banner_shown(&browser).await;
            }
            wait_until(&browser, "return !!document.querySelector('.crumb-p')").await;
            let reachable = js(
                &browser,
                r#"window.scrollTo(0, document.documentElement.scrollHeight);
                   const top = document.querySelector('.crumb-b').getBoundingClientRect().top;
                   const link = document.querySelector('footer [data-crumb-open]').getBoundingClientRect();
                   const last = Array.from(document.querySelectorAll('main h2, main section, main p')).pop().getBoundingClientRect();
                   return [link.bottom <= top, last.bottom <= top];"#,
            )
            .await;
            assert_eq!(reachable, serde_json::json!([true, true]), "{size} {path}: the page's end is above the banner");
            // What is above the banner can be used: the footer's link opens the centre.
            click(&browser, "footer [data-crumb-open]").await;
            wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
            let apart = js(
                &browser,
                r#"const c = document.querySelector('.crumb-d [data-crumb=close]').getBoundingClientRect();
                   const a = document.querySelector('.crumb-d [data-crumb=accept]').getBoundingClientRect();
                   const gap = Math.max(a.top - c.bottom, c.top - a.bottom, a.left - c.right, c.left - a.right);
                   return gap >= 24 && c.height >= 24 && c.width >= 24 && a.height >= 24;"#,
            )
            .await;
            assert_eq!(apart, true, "{size}: Close and Accept all are well apart and large enough");
            press(&browser, Key::Escape).await;
            wait_until(&browser, "return !document.querySelector('.crumb-d')").await;
        }
        // Once decided, the spacer goes with the banner.
        click(&browser, "[data-crumb=reject]").await;
        wait_until(&browser, "return !document.querySelector('.crumb-b') && !document.querySelector('.crumb-p')").await;
    }
    browser.close().await.unwrap();

    // With the Global Privacy Control note the phone's banner still fits.
    let Some(gpc_browser) = browser_with_gpc().await else { return };
    gpc_browser.client().set_window_size(390, 844).await.unwrap();
    gpc_browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&gpc_browser).await;
    let share =
        js(&gpc_browser, "return document.querySelector('.crumb-b').getBoundingClientRect().height / innerHeight")
            .await;
    assert!(share.as_f64().unwrap() <= 0.40, "with the GPC note the banner takes {share} of the height");
    gpc_browser.close().await.unwrap();
}

/// Issue 18: the banner moves nothing on the page — the cumulative layout
/// shift, as Chromium's own `PerformanceObserver` reports it, is 0 while the
/// banner appears, while it is there and when it goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_banner_causes_no_layout_shift() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    for (width, height) in [(390, 844), (1366, 900)] {
        browser.client().set_window_size(width, height).await.unwrap();
        browser.client().delete_all_cookies().await.unwrap();
        browser.navigate_raw(&format!("{}/policy?lang=en", server.origin)).await.unwrap();
        banner_shown(&browser).await;
        record_layout_shifts(&browser).await;
        wait_until(&browser, "return !!document.querySelector('.crumb-p')").await;
        // Decide without input (input excuses shifts): the banner goes.
        js(&browser, "crumb.rejectAll(); return true").await;
        wait_until(&browser, "return !document.querySelector('.crumb-b')").await;
        // A few frames later every shift there was has been reported.
        let (cls, shifts) = layout_shift(&browser).await;
        assert_eq!(cls, Some(0.0), "{width}x{height}: cumulative layout shift, from {shifts}");
    }
    browser.close().await.unwrap();
}

/// Issue 18: two tabs stay in step. A decision in one hides the other's
/// banner at once (BroadcastChannel), and a tab that regains focus reads
/// the server's state again rather than overriding a newer decision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tabs_stay_in_sync() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    let client = browser.client();
    browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    let first = client.window().await.unwrap();
    let second = client.new_window(true).await.unwrap().handle;
    client.switch_to_window(second.clone()).await.unwrap();
    browser.navigate_raw(&format!("{}/products", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    click(&browser, "[data-crumb=accept]").await;
    wait_until(&browser, "return !document.querySelector('.crumb-b')").await;

    client.switch_to_window(first.clone()).await.unwrap();
    wait_until(&browser, "return !document.querySelector('.crumb-b') && crumb.consent.decided").await;
    assert_eq!(
        js(&browser, "return crumb.consent.granted.join(',')").await,
        "necessary,preferences,statistics,marketing"
    );
    assert_eq!(js(&browser, "return window.demoMarketingRan === true").await, true, "the first tab applies it too");

    // A decision this tab did not hear of (recorded straight through the API,
    // as another device or an old tab might): focus brings it in.
    js(
        &browser,
        "fetch('/api/consent', {method: 'POST', headers: {'Content-Type': 'application/json'},\
           body: JSON.stringify({granted: ['statistics']})}).then(function () { window.posted = true; }); return true",
    )
    .await;
    wait_until(&browser, "return window.posted === true").await;
    client.switch_to_window(second).await.unwrap();
    js(&browser, "window.dispatchEvent(new Event('focus')); return true").await;
    wait_until(&browser, "return crumb.consent.granted.join(',') === 'necessary,statistics'").await;
    assert!(!cookie_names(&browser).await.contains(&"demo_ads".to_owned()), "marketing's cookie went");
    browser.close().await.unwrap();
}

/// A read of the server's state that a decision overtook (sent before the
/// decision, answered after it, as a focus or another tab's message can
/// cause) does not undo the decision: the banner stays closed and the
/// cookies the decision allowed stay. CI once saw the banner come back
/// after "accept" in `tabs_stay_in_sync`; here the read is held back on
/// purpose, so the order is certain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_overtaken_by_a_decision_does_not_undo_it() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    // The page's next read of /api/consent is answered by the server at
    // once, but handed to crumb.js only when the test says so.
    js(
        &browser,
        "var real = window.fetch; window.held = [];\
         window.fetch = function (url, options) {\
           var reply = real.apply(this, arguments);\
           if (String(url).indexOf('consent') < 0 || (options && options.method === 'POST')) return reply;\
           reply.then(function () { window.answered = true; });\
           return new Promise(function (ok, fail) {\
             window.held.push(function () { reply.then(ok, fail).then(function () { window.delivered = true; }); });\
           });\
         };\
         window.dispatchEvent(new Event('focus')); return true",
    )
    .await;
    wait_until(&browser, "return window.answered === true && window.held.length === 1").await;

    click(&browser, "[data-crumb=accept]").await;
    wait_until(&browser, "return !document.querySelector('.crumb-b') && window.demoMarketingRan === true").await;
    assert!(cookie_names(&browser).await.contains(&"demo_ads".to_owned()));

    // The old answer (no decision yet) arrives now.
    js(&browser, "window.held[0](); return true").await;
    wait_until(&browser, "return window.delivered === true").await;
    // Whatever crumb.js does with it, it does within a few tasks.
    js(&browser, "return new Promise(function (done) { setTimeout(function () { done(true); }, 300); })").await;
    assert_eq!(js(&browser, "return !!document.querySelector('.crumb-b')").await, false, "the banner stays closed");
    assert_eq!(
        js(&browser, "return crumb.consent.decided && crumb.consent.granted.join(',')").await,
        "necessary,preferences,statistics,marketing"
    );
    assert!(cookie_names(&browser).await.contains(&"demo_ads".to_owned()), "marketing's cookie stays");
    browser.close().await.unwrap();
}

/// Issue 18: with no valid decision (the consent cookie deleted, or one
/// that does not verify), crumb expires the declared optional cookies the
/// browser still holds, and asks again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_valid_decision_optional_cookies_are_expired() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    let client = browser.client();
    for how in ["deleted", "forged"] {
        client.delete_all_cookies().await.unwrap();
        browser.navigate_raw(&format!("{}/", server.origin)).await.unwrap();
        banner_shown(&browser).await;
        click(&browser, "[data-crumb=accept]").await;
        wait_until(&browser, "return window.demoStatisticsRan === true && window.demoMarketingRan === true").await;
        let names = cookie_names(&browser).await;
        assert!(names.contains(&"demo_ads".to_owned()) && names.contains(&"demo_stats".to_owned()), "{names:?}");

        client.delete_cookie("__Host-crumb_consent").await.unwrap();
        if how == "forged" {
            js(&browser, "document.cookie = '__Host-crumb_consent=x|1|necessary,statistics,marketing|1; Path=/; Secure'; return true").await;
            let forged = client.get_named_cookie("__Host-crumb_consent").await.unwrap();
            assert_eq!(forged.value(), "x|1|necessary,statistics,marketing|1");
        }
        browser.navigate_raw(&format!("{}/about", server.origin)).await.unwrap();
        banner_shown(&browser).await;
        wait_until(&browser, "return document.cookie.indexOf('demo_') < 0").await;
        let names = cookie_names(&browser).await;
        assert!(!names.iter().any(|n| n.starts_with("demo_")), "{how}: {names:?}");
        assert_eq!(js(&browser, "return window.demoMarketingRan === true").await, false, "{how}");
    }
    browser.close().await.unwrap();
}

/// Issue 18: saving the demo's theme without preferences consent says why,
/// and points to the settings; with consent it is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_theme_saved_without_consent_says_why() {
    let Some(browser) = browser().await else { return };
    let server = start_server().await;
    browser.navigate_raw(&format!("{}/products", server.origin)).await.unwrap();
    banner_shown(&browser).await;
    click(&browser, "[data-crumb=reject]").await;
    wait_until(&browser, "return !document.querySelector('.crumb-b')").await;
    click(&browser, "input[value=dark]").await;
    click(&browser, "form[action^='/demo/preferences'] button").await;
    wait_until(&browser, "return !!document.getElementById('theme-status')").await;
    let said = js(&browser, "return document.getElementById('theme-status').textContent").await;
    assert!(said.as_str().unwrap().contains("needs your consent to preference cookies"), "{said}");
    assert_eq!(js(&browser, "return document.querySelector('main').getAttribute('data-theme')").await, "light");
    // Its link opens the settings; with preferences allowed the theme is kept.
    click(&browser, "#theme-status [data-crumb-open]").await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    click(&browser, "#crumb-c-preferences").await;
    click(&browser, "[data-crumb=save]").await;
    wait_until(&browser, "return !document.querySelector('.crumb-d')").await;
    click(&browser, "input[value=dark]").await;
    click(&browser, "form[action^='/demo/preferences'] button").await;
    wait_until(&browser, "return document.querySelector('main').getAttribute('data-theme') === 'dark'").await;
    assert_eq!(js(&browser, "return !!document.getElementById('theme-status')").await, false);
    browser.close().await.unwrap();
}
