//! Issue 20 in a real browser: the demo's topic pages, their
//! `data-crumb-ad` slot filled by crumb-ad.js (loaded by crumb.js), the
//! interest profile that only marketing consent builds, and what reject,
//! GPC and withdrawal leave behind (checked in the browser and in the
//! store). The server's clock is moved by weeks; the browser's is not.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/chromium.rs"]
mod support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use crumb_browser::browser::Browser;
use serde_json::Value;
use support::{
    banner_shown, click, cookie_names, js, launch, launch_with_gpc, layout_shift, record_layout_shifts, serve_on_clock,
    wait_until, Server, DAY_MILLIS,
};

/// What the browser asked of the ad routes, as the server saw it.
#[derive(Default)]
struct Seen {
    /// The query of every `GET …/api/ad`.
    ad_queries: Mutex<Vec<String>>,
    /// The path of every `POST …/api/ad/seen/…` (an impression).
    impressions: Mutex<Vec<String>>,
}

impl Seen {
    fn impressions(&self) -> usize {
        self.impressions.lock().unwrap().len()
    }
}

/// A page of the site's own (not crumb's) about bikes, with twelve small
/// slots in view and one far below the fold: `/topics/bikes/slots` is
/// covered by the demo's `/topics/bikes` entry (topic 369).
const SLOTS_PAGE: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bike slots</title>
<style>body{margin:0}[data-crumb-ad]{height:40px;margin:2px 0}.far{height:4000px}</style>
<script src="/crumb.js?lang=en" defer></script></head><body><main><h1>Bikes, in twelve slots</h1></main>
SLOTS<div class="far"></div><div data-crumb-ad="far" id="far"></div></body></html>"#;

/// The demo's crumb on a moved clock, with the recording layer and the
/// slots page around it. The layer records the ad queries and the
/// impression posts crumb-ad.js sends (and checks every answer names its
/// `impression_url`).
async fn start() -> (Server, Arc<AtomicI64>, Arc<Seen>) {
    let offset = Arc::new(AtomicI64::new(0));
    let seen = Arc::new(Seen::default());
    let recorder = Arc::clone(&seen);
    let around = move |router: axum::Router| {
        let slots: String = (0..12).map(|i| format!("<div data-crumb-ad=\"s{i}\"></div>")).collect();
        let page = SLOTS_PAGE.replace("SLOTS", &slots);
        router
            .route(
                "/topics/bikes/slots",
                axum::routing::get(move || {
                    let page = page.clone();
                    async move { Html(page) }
                }),
            )
            .layer(axum::middleware::from_fn(move |request: Request, next: Next| {
                record(Arc::clone(&recorder), request, next)
            }))
    };
    let server = serve_on_clock(|_| {}, around, Arc::clone(&offset)).await;
    (server, offset, seen)
}

async fn record(seen: Arc<Seen>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if request.method() == Method::POST && path.contains("/api/ad/seen/") {
        seen.impressions.lock().unwrap().push(path);
        return next.run(request).await;
    }
    if request.method() != Method::GET || !path.ends_with("/api/ad") {
        return next.run(request).await;
    }
    seen.ad_queries.lock().unwrap().push(request.uri().query().unwrap_or("").to_owned());
    // The answer is read here: uncompressed, please.
    request.headers_mut().remove(header::ACCEPT_ENCODING);
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let ad: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(ad["impression_url"].as_str().is_some_and(|u| u.contains("/api/ad/seen/")), "{ad}");
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(ad.to_string())).into_response()
}

/// Opens `path` and waits until every slot of the page in view has its answer.
async fn read(browser: &Browser, server: &Server, path: &str) {
    browser.navigate_raw(&format!("{}{path}", server.origin)).await.unwrap();
    wait_until(
        browser,
        "var s = document.querySelectorAll('[data-crumb-ad]:not(#far)'); return s.length > 0 && \
         Array.prototype.every.call(s, function (e) { var v = e.getAttribute('data-crumb-ad-state'); return v === 'filled' || v === 'empty'; })",
    )
    .await;
}

/// The demo page's slot: campaign, basis and the creative's label.
async fn slot(browser: &Browser) -> Value {
    js(
        browser,
        "var s = document.querySelector('[data-crumb-ad=sidebar]'); return {campaign: s.getAttribute('data-crumb-ad-campaign'),\
         basis: s.getAttribute('data-crumb-ad-basis'), role: s.getAttribute('role'), label: s.getAttribute('aria-label'),\
         href: s.querySelector('a') && s.querySelector('a').getAttribute('href')}",
    )
    .await
}

/// `GET path` from the page (same origin, the visitor's cookies): the JSON, or null for a 204.
async fn fetch_json(browser: &Browser, path: &str) -> Value {
    js(
        browser,
        &format!(
            "return fetch({}, {{credentials: 'same-origin'}}).then(function (r) {{ return r.status === 204 ? null : r.json(); }})",
            Value::String(path.to_owned())
        ),
    )
    .await
}

/// How many observations the store keeps for the profile behind `consent_id`.
async fn observations(server: &Server, consent_id: &str) -> usize {
    let profile = server.state.profile_of(consent_id);
    let site = &server.state.config.site_name;
    // What the node gathered is written with its next report: now.
    server.state.ads.report(server.store.as_ref(), site).await.unwrap();
    server.store.interest_observations(site, profile.0, 0).await.unwrap().len()
}

/// Decides in the banner (`accept` or `reject`) and returns the receipt's consent id.
async fn decide(browser: &Browser, button: &str) -> String {
    banner_shown(browser).await;
    click(browser, &format!("[data-crumb={button}]")).await;
    wait_until(browser, "return !document.querySelector('.crumb-b') && !!(crumb.receipt && crumb.receipt.consent_id)")
        .await;
    js(browser, "return crumb.receipt.consent_id").await.as_str().unwrap().to_owned()
}

/// The names of the cookies the policy declares in each category, as
/// (category, name) pairs.
async fn declared_cookies(browser: &Browser) -> Vec<(String, String)> {
    let policy = fetch_json(browser, "/policy.json?lang=en").await;
    let mut pairs = Vec::new();
    for category in policy["categories"].as_array().unwrap() {
        for cookie in category["cookies"].as_array().unwrap() {
            pairs.push((category["id"].as_str().unwrap().to_owned(), cookie["name"].as_str().unwrap().to_owned()));
        }
    }
    pairs
}

/// Issue 20, the first proof: with marketing consent given in the banner,
/// reading the bike page twice a week for four (server) weeks makes bikes
/// an interest: `/api/interests` lists topic 369, and `/api/ad` — fetched
/// from the page and in the slots crumb-ad.js fills — chooses the bike
/// campaign on the `interests` basis. Which of an epoch's five topics a
/// slot gets is keyed per slot (one in five is bikes, the others are
/// padding, never shown as interests), so of 12 slots and 16 fetches some
/// must. Then withdrawing marketing in the preference centre erases the
/// profile: the store is empty, `/api/interests` shows nothing, the slot
/// falls back to the page's context, and nothing more is recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_marketing_consent_bike_pages_become_an_interest_and_withdrawal_erases_it() {
    let Some(browser) = launch("ads::with_marketing_consent_bike_pages_become_an_interest").await else { return };
    let (server, offset, seen) = start().await;
    browser.navigate_raw(&format!("{}/topics/bikes?lang=en", server.origin)).await.unwrap();
    let consent_id = decide(&browser, "accept").await;
    assert_eq!(js(&browser, "return crumb.consent.granted.indexOf('marketing') >= 0").await, true);
    for _week in 0..4 {
        for _ in 0..2 {
            read(&browser, &server, "/topics/bikes?lang=en").await;
            let ad = slot(&browser).await;
            assert!(ad["basis"] == "interests" || ad["basis"] == "context", "{ad}");
        }
        offset.fetch_add(7 * DAY_MILLIS, Ordering::SeqCst);
    }
    assert!(observations(&server, &consent_id).await > 0, "the bike pages were recorded");

    // The visitor's own profile lists bikes, read in four weeks.
    let mine = fetch_json(&browser, "/api/interests").await;
    assert_eq!(mine["marketing_consent"], true, "{mine}");
    let epochs = mine["profile"]["epochs"].as_array().unwrap();
    let read_bikes = epochs
        .iter()
        .filter(|e| e["topics"].as_array().unwrap().iter().any(|t| t["id"] == 369 && t["padding"] == false))
        .count();
    assert!(read_bikes >= 3, "bikes in {read_bikes} epochs: {mine}");

    // /api/ad from the page, sixteen placements of the bike page.
    let mut on_interests = 0;
    for i in 0..16 {
        let ad = fetch_json(&browser, &format!("/api/ad?slot=q{i}&url=%2Ftopics%2Fbikes&again=1")).await;
        on_interests += usize::from(bike_or_noise(&ad));
    }
    assert!(on_interests > 0, "no placement got the bike campaign on the visitor's interests");

    // The slots crumb-ad.js fills on a bike page of twelve.
    read(&browser, &server, "/topics/bikes/slots").await;
    let slots = js(
        &browser,
        "return Array.prototype.map.call(document.querySelectorAll('[data-crumb-ad]:not(#far)'), function (s) {\
           return {slot: s.getAttribute('data-crumb-ad'), campaign: s.getAttribute('data-crumb-ad-campaign'),\
                   basis: s.getAttribute('data-crumb-ad-basis')}; })",
    )
    .await;
    let slots = slots.as_array().unwrap();
    assert_eq!(slots.len(), 12);
    let in_dom = slots.iter().filter(|s| s["basis"] == "interests" && s["campaign"] == "demo-bikes").count();
    assert!(
        slots
            .iter()
            .all(|s| s["campaign"] == "demo-bikes" || (s["basis"] == "interests" && s["campaign"] == "demo-cookware")),
        "{slots:?}"
    );
    assert!(in_dom > 0, "no slot of twelve got the bike campaign on interests: {slots:?}");
    eprintln!("bikes on interests: {on_interests} of 16 fetches, {in_dom} of 12 slots");

    // `/interests` lists bikes as read, and the bike ads shown on it and why.
    browser.navigate_raw(&format!("{}/interests?lang=en", server.origin)).await.unwrap();
    let page = js(
        &browser,
        "var read = document.querySelector('li[data-topic=\"369\"]:not([data-padding]):not([data-removed])');\
         return {topic: read && read.textContent, ads: document.getElementById('ads-shown').textContent}",
    )
    .await;
    assert!(page["topic"].as_str().is_some_and(|t| t.contains("Bicycles & Accessories")), "{page}");
    let ads = page["ads"].as_str().unwrap();
    assert!(ads.contains("Because you read about Bicycles & Accessories"), "{ads}");

    // Removing the topic there (its form, as a visitor would) stops that basis.
    click(&browser, "li[data-topic=\"369\"]:not([data-padding]):not([data-removed]) form button").await;
    wait_until(&browser, "return location.search.indexOf('notice=removed') >= 0").await;
    assert_eq!(
        js(
            &browser,
            "return !!document.querySelector('li[data-topic=\"369\"]:not([data-padding]):not([data-removed]) form')"
        )
        .await,
        false,
        "no Remove button left for bikes"
    );
    for i in 0..16 {
        let ad = fetch_json(&browser, &format!("/api/ad?slot=r{i}&url=%2Ftopics%2Fbikes&again=1")).await;
        assert!(
            !(ad["basis"] == "interests" && ad["because"]["topic"] == 369),
            "bikes were removed, yet chosen on interests: {ad}"
        );
    }
    read(&browser, &server, "/topics/bikes?lang=en").await;
    let ad = slot(&browser).await;
    assert_ne!((ad["campaign"].as_str(), ad["basis"].as_str()), (Some("demo-bikes"), Some("interests")), "{ad}");

    // Withdrawal in the preference centre: marketing off, saved.
    read(&browser, &server, "/topics/bikes?lang=en").await;
    click(&browser, "footer [data-crumb-open]").await;
    wait_until(&browser, "return !!document.querySelector('.crumb-d')").await;
    assert_eq!(
        js(&browser, "return document.getElementById('crumb-c-marketing').getAttribute('aria-checked')").await,
        "true"
    );
    click(&browser, "#crumb-c-marketing").await;
    click(&browser, "[data-crumb=save]").await;
    wait_until(
        &browser,
        "return !document.querySelector('.crumb-d') && crumb.consent.granted.indexOf('marketing') < 0",
    )
    .await;
    assert_eq!(observations(&server, &consent_id).await, 0, "withdrawal erased the profile");
    let mine = fetch_json(&browser, "/api/interests").await;
    assert_eq!(mine["marketing_consent"], false, "{mine}");
    assert!(
        mine["profile"].is_null()
            || mine["profile"]["epochs"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["topics"].as_array().is_some_and(Vec::is_empty)),
        "nothing left to show: {mine}"
    );
    read(&browser, &server, "/topics/bikes?lang=en").await;
    let ad = slot(&browser).await;
    assert_eq!((ad["campaign"].as_str(), ad["basis"].as_str()), (Some("demo-bikes"), Some("context")), "{ad}");
    assert_eq!(observations(&server, &consent_id).await, 0, "nothing recorded after withdrawal");
    assert!(!seen.ad_queries.lock().unwrap().is_empty());
    browser.close().await.unwrap();
}

/// A bike page's answer on a profile that read bikes: the bike campaign on
/// the interests basis (true), on the page's context, or — the mechanism's
/// 5% noise, a uniformly random topic — the cookware campaign, the only
/// other targeted one (false for the last two).
fn bike_or_noise(ad: &Value) -> bool {
    match (ad["campaign"].as_str(), ad["basis"].as_str()) {
        (Some("demo-bikes"), Some("interests")) => {
            assert_eq!(ad["because"]["topic"], 369, "{ad}");
            true
        }
        (Some("demo-bikes"), Some("context")) | (Some("demo-cookware"), Some("interests")) => false,
        _ => panic!("not the bike campaign on a bike page: {ad}"),
    }
}

/// Issue 20, the second proof: a visitor who rejects in the banner, and
/// one whose browser sends Global Privacy Control (who accepts all that is
/// allowed, and even asks for marketing through the API), get only the
/// page's `context` on a bike page week after week, a run-of-site ad
/// (`none`) on pages without a campaign of their topic, hold only the
/// necessary cookies, and nothing is stored about anyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_and_gpc_get_only_context_and_nothing_is_stored() {
    for gpc in [false, true] {
        let name = "ads::reject_and_gpc_get_only_context_and_nothing_is_stored";
        let browser = if gpc { launch_with_gpc(name).await } else { launch(name).await };
        let Some(browser) = browser else { return };
        let (server, offset, _) = start().await;
        browser.navigate_raw(&format!("{}/topics/bikes?lang=en", server.origin)).await.unwrap();
        let consent_id = if gpc {
            banner_shown(&browser).await;
            assert_eq!(js(&browser, "return !!document.querySelector('.crumb-b [data-crumb-signal=gpc]')").await, true);
            let id = decide(&browser, "accept").await;
            assert_eq!(js(&browser, "return crumb.consent.granted.indexOf('marketing')").await, -1);
            // Asked for anyway: the server honours the signal.
            js(&browser, "return crumb.save(['preferences', 'statistics', 'marketing']).then(function () { return true; }, function () { return true; })").await;
            id
        } else {
            decide(&browser, "reject").await
        };
        for _week in 0..3 {
            read(&browser, &server, "/topics/bikes?lang=en").await;
            let ad = slot(&browser).await;
            assert_eq!(
                (ad["campaign"].as_str(), ad["basis"].as_str()),
                (Some("demo-bikes"), Some("context")),
                "gpc {gpc}: {ad}"
            );
            offset.fetch_add(7 * DAY_MILLIS, Ordering::SeqCst);
        }
        // Elsewhere: the cookware page's own campaign, and the run-of-site
        // one where no campaign targets the page (travel) or it has no topic.
        for (page, campaign, basis) in [
            ("%2Ftopics%2Fcooking", "demo-cookware", "context"),
            ("%2Ftopics%2Ftravel", "demo-house", "none"),
            ("%2Fabout", "demo-house", "none"),
        ] {
            let ad = fetch_json(&browser, &format!("/api/ad?slot=sidebar&url={page}")).await;
            assert_eq!((ad["campaign"].as_str(), ad["basis"].as_str()), (Some(campaign), Some(basis)), "{page}: {ad}");
        }
        // Cookies: the necessary ones, and (GPC) those of the categories
        // granted besides marketing — statistics —, never a marketing one.
        let granted: Vec<String> = serde_json::from_value(js(&browser, "return crumb.consent.granted").await).unwrap();
        assert!(!granted.iter().any(|c| c == "marketing"), "gpc {gpc}: {granted:?}");
        let declared = declared_cookies(&browser).await;
        let held = cookie_names(&browser).await;
        eprintln!("gpc {gpc}: granted {granted:?}; the browser holds {held:?}");
        assert!(held.iter().any(|c| c.ends_with("crumb_consent")), "the decision itself is kept: {held:?}");
        for cookie in &held {
            let category = declared.iter().find(|(_, name)| name == cookie).map(|(category, _)| category.as_str());
            let allowed = category == Some("necessary") || category.is_some_and(|c| granted.iter().any(|g| g == c));
            assert!(
                allowed,
                "gpc {gpc}: cookie {cookie} ({category:?}) beyond the necessary and the granted {granted:?}"
            );
        }
        if !gpc {
            assert!(
                held.iter().all(|c| declared.iter().any(|(cat, name)| name == c && cat == "necessary")),
                "reject: only necessary cookies: {held:?}"
            );
        }
        let mine = fetch_json(&browser, "/api/interests").await;
        assert_eq!(mine["marketing_consent"], false, "{mine}");
        assert_eq!(observations(&server, &consent_id).await, 0, "gpc {gpc}");
        // Nobody's profile: deleting every epoch there could be deletes nothing.
        let site = server.state.config.site_name.clone();
        let purged = server.store.purge_interest_epochs(&site, i64::MAX).await.unwrap();
        assert_eq!(purged.observations, 0, "gpc {gpc}: the store kept observations");
        browser.close().await.unwrap();
    }
}

/// Issue 20, the slot itself: at a desktop's and a phone's size the demo's
/// slot is above the fold, filled without any layout shift (Chromium's
/// `PerformanceObserver`), labelled as the complementary landmark of an
/// advertisement with a real link through the click route, and counted
/// once, after it was in view for a second. On a page of many slots every
/// request after the first says `again=1`, and a slot far below the fold
/// is neither fetched nor counted until the visitor scrolls to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slot_moves_nothing_and_counts_one_impression_when_seen() {
    let Some(browser) = launch("ads::the_slot_moves_nothing_and_counts_one_impression_when_seen").await else { return };
    let (server, _, seen) = start().await;
    browser.navigate_raw(&format!("{}/about?lang=en", server.origin)).await.unwrap();
    decide(&browser, "reject").await;
    for (width, height) in [(1366, 900), (390, 844)] {
        browser.client().set_window_size(width, height).await.unwrap();
        let before = seen.impressions();
        browser.navigate_raw(&format!("{}/topics/bikes?lang=en", server.origin)).await.unwrap();
        record_layout_shifts(&browser).await;
        wait_until(&browser, "var s = document.querySelector('[data-crumb-ad=sidebar]'); return s.getAttribute('data-crumb-ad-state') === 'filled'").await;
        let (cls, shifts) = layout_shift(&browser).await;
        assert_eq!(cls, Some(0.0), "{width}x{height}: layout shift, from {shifts}");
        let boxed = js(
            &browser,
            "var s = document.querySelector('[data-crumb-ad=sidebar]'), r = s.getBoundingClientRect();\
             return {top: r.top, bottom: r.bottom, width: r.width, height: r.height, inner: innerHeight,\
                     fits: s.scrollHeight <= s.clientHeight + 1 || getComputedStyle(s).overflow === 'hidden'}",
        )
        .await;
        assert!(
            boxed["bottom"].as_f64().unwrap() <= boxed["inner"].as_f64().unwrap(),
            "{width}x{height}: above the fold: {boxed}"
        );
        let ratio = boxed["width"].as_f64().unwrap() / boxed["height"].as_f64().unwrap();
        assert!((ratio - 1.2).abs() < 0.02, "{width}x{height}: the reserved 300x250 box: {boxed}");
        assert_eq!(boxed["fits"], true, "{boxed}");
        let ad = slot(&browser).await;
        assert_eq!(ad["role"], "complementary", "{ad}");
        assert!(ad["label"].as_str().is_some_and(|l| l.starts_with("Advertisement · Velo & Co")), "{ad}");
        assert!(ad["href"].as_str().unwrap().starts_with("/ad/click/"), "{ad}");
        // In view: one impression after a second, and only one.
        for _ in 0..60 {
            if seen.impressions() > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(seen.impressions() - before, 1, "{width}x{height}: {:?}", seen.impressions.lock().unwrap());
    }
    // The server counted them: one impression per size, in the store's counters.
    let counted: u64 = server
        .store
        .ad_counts(&server.state.config.site_name, i64::MIN / 2, i64::MAX / 2)
        .await
        .unwrap()
        .iter()
        .map(|row| row.impressions)
        .sum();
    assert_eq!(counted, 2, "two sizes, one impression each");

    // Many slots: the first request of the page view records the page, the others say again=1.
    browser.client().set_window_size(1366, 900).await.unwrap();
    let queries_before = seen.ad_queries.lock().unwrap().len();
    read(&browser, &server, "/topics/bikes/slots").await;
    let queries: Vec<String> = seen.ad_queries.lock().unwrap()[queries_before..].to_vec();
    assert_eq!(queries.len(), 12, "the far slot is not fetched: {queries:?}");
    // (They are sent in order but may arrive in any.)
    let first: Vec<&String> = queries.iter().filter(|q| !q.contains("again")).collect();
    assert_eq!(first.len(), 1, "one request records the page: {queries:?}");
    assert!(queries.iter().filter(|q| !q.contains("again")).all(|q| q.contains("slot=s0&")), "{queries:?}");
    assert_eq!(queries.iter().filter(|q| q.ends_with("&again=1")).count(), 11, "{queries:?}");
    assert!(queries.iter().all(|q| q.contains("url=%2Ftopics%2Fbikes%2Fslots")), "{queries:?}");
    let impressions = seen.impressions();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        js(&browser, "return document.getElementById('far').getAttribute('data-crumb-ad-state')").await,
        Value::Null
    );
    let in_view = seen.impressions() - impressions;
    // Scrolled to: fetched, filled, and counted after a second in view.
    js(&browser, "document.getElementById('far').scrollIntoView(); return true").await;
    wait_until(&browser, "return document.getElementById('far').getAttribute('data-crumb-ad-state') === 'filled'")
        .await;
    let far_before = seen.impressions();
    for _ in 0..60 {
        if seen.impressions() > far_before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.impressions() - far_before, 1, "the far slot counted once it was seen");
    assert!(seen.ad_queries.lock().unwrap().last().unwrap().starts_with("slot=far&"));
    eprintln!("the twelve slots in view made {in_view} impressions");
    browser.close().await.unwrap();
}
