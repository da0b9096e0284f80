//! Ad delivery and reports, on SQLite and PostgreSQL: the per-visitor
//! frequency cap (from the profile's log of ads shown, which erasure
//! deletes), daily caps across two nodes sharing one store, impressions
//! counted once per serve when the slot is seen, clicks counted, forged and
//! stale impression tokens refused, and reports with the anonymity floor.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{stores, Browser};
use crumb_core::config;
use crumb_core::interests::Taxonomy;
use crumb_core::profiles::ProfileKey;
use crumb_server::{router, AppState};
use crumb_store::ads::{AdEvent, AdEventKey};
use crumb_store::Store;

const PASSWORD: &str = "correct horse battery staple";
const DAY_MILLIS: i64 = 86_400_000;

/// A page about five topics (so an epoch's top five are all real ones),
/// a campaign matching every topic (all roots) with a frequency cap of 2,
/// and a capped recipe campaign.
fn declaration(interests: bool) -> config::Config {
    let taxonomy = Taxonomy::v2();
    let roots: Vec<String> = taxonomy.topics().filter(|t| t.parent.is_none()).map(|t| t.id.0.to_string()).collect();
    let five: Vec<String> =
        taxonomy.topics().filter(|t| t.parent.is_some()).take(5).map(|t| t.id.0.to_string()).collect();
    // The demo's declaration without its own campaigns.
    let base = config::demo_toml_without_campaigns();
    let demo = if interests {
        base.to_owned()
    } else {
        base.replace("[interests]\nenabled = true", "[interests]\nenabled = false")
    };
    let text = format!(
        r#"{demo}
[[interests.page]]
path = "/reading"
topics = [{five}]

[[interests.page]]
path = "/recipes"
topics = [173]

[[campaign]]
id = "everywhere"
name = "Everywhere"
advertiser = "Omni"
link = "https://omni.example/"
text = "All things"
topics = [{roots}]
slots = ["sidebar"]
frequency_cap = 2

[[campaign]]
id = "pasta"
advertiser = "Pasta Fresca"
link = "https://pasta.example/"
text = "Fresh pasta, delivered"
topics = [173]
slots = ["footer"]
daily_cap = 2
"#,
        five = five.join(", "),
        roots = roots.join(", ")
    );
    config::parse(&text, "crumb.toml").unwrap()
}

fn site(browser: &Browser) -> String {
    browser.state.config.site_name.clone()
}

fn today(browser: &Browser) -> i64 {
    browser.state.now_millis().div_euclid(DAY_MILLIS)
}

/// The counters of today, summed over slots and bases: (served, impressions, clicks) of `campaign`.
async fn counted(browser: &Browser, campaign: &str) -> (u64, u64, u64) {
    report(browser).await;
    let day = today(browser);
    let rows = browser.state.store.ad_counts(&site(browser), day - 1, day).await.unwrap();
    rows.iter()
        .filter(|r| r.key.campaign == campaign)
        .fold((0, 0, 0), |(s, i, c), r| (s + r.served, i + r.impressions, c + r.clicks))
}

/// The node's report of the serves it gathered (a tick of its reporter).
async fn report(browser: &Browser) {
    browser.state.ads.report(browser.state.store.as_ref(), &site(browser)).await.unwrap();
}

/// A visitor with marketing consent who read `/reading`, written with the
/// node's report (the node reports only when the test says): the browser,
/// the site's name and the visitor's profile.
async fn a_reader(store: &Arc<dyn Store>) -> (Browser, String, ProfileKey) {
    let mut visitor = Browser::new(declaration(true), Arc::clone(store));
    visitor.state.ads.report_by_hand();
    let site = site(&visitor);
    visitor.post_consent(&["marketing"], &[]).await;
    let headers = cookies(&mut visitor);
    let profile = crumb_server::profile_key::for_request(&visitor.state, &headers).await.unwrap().unwrap();
    visitor.get("/api/ad?slot=sidebar&url=%2Freading").await;
    report(&visitor).await;
    (visitor, site, profile)
}

fn post_seen(url: &str) -> Request<Body> {
    Request::post(url)
        .header("origin", "http://localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .body(Body::empty())
        .unwrap()
}

/// With marketing consent, a visitor who read about five topics last week
/// gets the everywhere campaign on the interests basis twice a day, not a
/// third time (its frequency cap, from the profile's log); the log names
/// why (shown::recent); withdrawing consent erases the log with the profile.
#[tokio::test]
async fn the_frequency_cap_binds_per_visitor_and_erasure_removes_the_ad_log() {
    for (backend, store) in stores().await {
        let mut visitor = Browser::new(declaration(true), store);
        let receipt = visitor.post_consent(&["marketing"], &[]).await.json();
        let profile = visitor.state.profile_of(receipt["consent_id"].as_str().unwrap());
        let first = visitor.get("/api/ad?slot=sidebar&url=%2Freading").await.json();
        assert_eq!(first["basis"], "context", "{backend}: no complete epoch yet: {first}");
        visitor.clock.advance_seconds(8 * 86_400);
        let mut bases = Vec::new();
        for _ in 0..3 {
            let reply = visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await;
            bases.push(if reply.status == StatusCode::OK {
                let ad = reply.json();
                assert_eq!(ad["campaign"], "everywhere", "{backend}");
                assert!(ad["html"].as_str().unwrap().contains("Because you read about"), "{backend}: {ad}");
                ad["basis"].as_str().unwrap().to_owned()
            } else {
                reply.status.to_string()
            });
        }
        assert_eq!(bases, ["interests", "interests", "204 No Content"], "{backend}");
        // Another visitor is not capped by this one's ads.
        let mut other = visitor.sibling();
        other.post_consent(&["marketing"], &[]).await;
        assert_eq!(other.get("/api/ad?slot=sidebar&url=%2Freading").await.json()["campaign"], "everywhere");
        // The visitor's own view of why (once the node wrote its log rows).
        report(&visitor).await;
        let shown =
            crumb_core::ads::shown::recent(&visitor.state.site, &visitor.state.ads.index(), profile).await.unwrap();
        assert_eq!(shown.len(), 2, "{backend}: {shown:?}");
        assert!(shown.iter().all(|s| s.campaign == "everywhere" && s.name == "Everywhere" && s.advertiser == "Omni"));
        assert!(shown.iter().all(|s| s.topic.is_some() && s.topic_name.is_some()), "{shown:?}");
        // The next day the cap starts again.
        visitor.clock.advance_seconds(86_400);
        assert_eq!(visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await.json()["basis"], "interests");
        // Withdrawal erases the profile and its log, also the rows the node
        // gathered and had not written yet.
        assert_eq!(visitor.get("/api/ad?slot=sidebar&url=%2Freading").await.json()["basis"], "interests", "{backend}");
        assert_eq!(visitor.state.ads.gathered.history_of(profile.0).len(), 1, "{backend}: a page gathered");
        assert_eq!(visitor.post_consent(&[], &[]).await.status, StatusCode::CREATED);
        report(&visitor).await;
        let log = visitor.state.store.ads_shown_to(&site(&visitor), profile.0, 0).await.unwrap();
        assert!(log.is_empty(), "{backend}: {log:?}");
        let pages = visitor.state.store.interest_observations(&site(&visitor), profile.0, i64::MIN).await.unwrap();
        assert!(pages.is_empty(), "{backend}: {pages:?}");
        // Without consent the same request is not logged (and not capped).
        let after = visitor.get("/api/ad?slot=sidebar&url=%2Freading").await.json();
        assert_eq!(after["basis"], "context");
        assert!(visitor.state.store.ads_shown_to(&site(&visitor), profile.0, 0).await.unwrap().is_empty());
    }
}

/// Two nodes on one store: what one node gathered about a visitor (a page
/// read, an ad shown) and writes only after the visitor withdrew marketing
/// consent on the other node does not bring the erased profile back; pages
/// read after a new consent are recorded again.
#[tokio::test]
async fn a_withdrawal_on_one_node_outruns_what_another_gathered() {
    for (backend, store) in stores().await {
        let (mut visitor, site, profile) = a_reader(&store).await;
        let page_rows = store.interest_observations(&site, profile.0, i64::MIN).await.unwrap().len();
        assert!(page_rows > 0, "{backend}");
        visitor.clock.advance_seconds(8 * 86_400);
        let ad = visitor.get("/api/ad?slot=sidebar&url=%2Freading").await.json();
        assert_eq!(ad["basis"], "interests", "{backend}: {ad}");
        let gathering = visitor.state.clone();
        assert!(!gathering.ads.gathered.history_of(profile.0).is_empty(), "{backend}: gathered, not written");

        // The visitor's next request reaches the other node.
        to_another_node(&mut visitor, &store);
        visitor.clock.advance_seconds(1);
        assert_eq!(visitor.post_consent(&[], &[]).await.status, StatusCode::CREATED, "{backend}");
        gathering.ads.report(store.as_ref(), &site).await.unwrap();
        let pages = store.interest_observations(&site, profile.0, i64::MIN).await.unwrap();
        assert!(pages.is_empty(), "{backend}: {pages:?}");
        assert!(store.ads_shown_to(&site, profile.0, 0).await.unwrap().is_empty(), "{backend}");

        // A new consent, a second later, starts a new profile history.
        visitor.clock.advance_seconds(1);
        visitor.post_consent(&["marketing"], &[]).await;
        let headers = cookies(&mut visitor);
        let profile = crumb_server::profile_key::for_request(&visitor.state, &headers).await.unwrap().unwrap();
        visitor.get("/api/ad?slot=sidebar&url=%2Freading").await;
        report(&visitor).await;
        let pages = store.interest_observations(&site, profile.0, i64::MIN).await.unwrap();
        assert_eq!(pages.len(), page_rows, "{backend}: one row per topic of the page: {pages:?}");
    }
}

/// Two nodes on one store: a node keeps what answering read of a profile
/// for its epoch, and forgets it once its report learns that the visitor
/// removed a topic on the other node; on the node that removed it, at once.
#[tokio::test]
async fn a_topic_removed_on_one_node_stops_the_other_nodes_answers_after_its_report() {
    for (backend, store) in stores().await {
        let mut visitor = Browser::new(declaration(true), Arc::clone(&store));
        // This node reports when the test says, not a second after its start.
        visitor.state.ads.report_by_hand();
        let site = site(&visitor);
        visitor.post_consent(&["marketing"], &[]).await;
        visitor.get("/api/ad?slot=sidebar&url=%2Freading").await;
        report(&visitor).await;
        visitor.clock.advance_seconds(8 * 86_400);
        let ad = visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await.json();
        assert_eq!(ad["basis"], "interests", "{backend}: {ad}");
        let topic = ad["because"]["topic"].as_u64().unwrap();
        let answering = (visitor.app.clone(), visitor.state.clone());

        // The visitor removes that topic on the other node.
        to_another_node(&mut visitor, &store);
        let remove = Request::delete(format!("/api/interests/topics/{topic}"))
            .header("origin", "http://localhost:8080")
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .unwrap();
        assert_eq!(visitor.send(remove).await.status, StatusCode::OK, "{backend}");
        let on_this_node = because(&visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await);
        assert_ne!(on_this_node, Some(topic), "{backend}: removed here, so not used here");

        // Back on the first node: kept until its report (about a second)…
        (visitor.app, visitor.state) = answering;
        let kept = because(&visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await);
        assert_eq!(kept, Some(topic), "{backend}: the node answers from what it kept");
        // … and once it has reported, not that topic.
        report(&visitor).await;
        for _ in 0..8 {
            let answer = because(&visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await);
            assert_ne!(answer, Some(topic), "{backend}");
        }
        assert!(store.profiles_changed_since(&site, 0).await.unwrap().len() == 1, "{backend}");
    }
}

/// A key rotation (a new first line in the key file) keeps the visitor's
/// profile: the node with the rotated keys answers from the same topics,
/// and a withdrawal there erases what was stored before the rotation.
#[tokio::test]
async fn a_key_rotation_keeps_the_profile_and_its_erasure() {
    for (backend, store) in stores().await {
        let (mut visitor, site, profile) = a_reader(&store).await;
        visitor.clock.advance_seconds(8 * 86_400);
        let before = because(&visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await);
        assert!(before.is_some(), "{backend}: on the interests basis");

        // The same site restarted with a new current key, the old one kept.
        let clock = Arc::clone(&visitor.clock);
        let now = Arc::new(move || crumb_cookie::Clock::now(&*clock).unix_micros() / 1000);
        let rotated = crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[8u8; 32]).unwrap())
            .with_previous(crumb_cookie::Key::from_secret(&[7u8; 32]).unwrap());
        assert_ne!(rotated.derive("x"), common::keyring().derive("x"), "{backend}: another current key");
        let state = AppState::with_clock(declaration(true), Arc::clone(&store), rotated, now);
        (visitor.app, visitor.state) = (router(state.clone()), state);
        let headers = cookies(&mut visitor);
        let same = crumb_server::profile_key::for_request(&visitor.state, &headers).await.unwrap().unwrap();
        assert_eq!(same, profile, "{backend}: the same profile");
        let after = because(&visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await);
        assert_eq!(after, before, "{backend}: the same answer");

        assert_eq!(visitor.post_consent(&[], &[]).await.status, StatusCode::CREATED, "{backend}");
        let pages = store.interest_observations(&site, profile.0, i64::MIN).await.unwrap();
        assert!(pages.is_empty(), "{backend}: erased: {pages:?}");
    }
}

/// Sends the visitor's next requests to another node on `store` (its own
/// state: gathered rows, kept profiles), on the visitor's clock, which
/// reports only when the test says.
fn to_another_node(visitor: &mut Browser, store: &Arc<dyn Store>) {
    let clock = Arc::clone(&visitor.clock);
    let now = Arc::new(move || crumb_cookie::Clock::now(&*clock).unix_micros() / 1000);
    let other = AppState::with_clock(declaration(true), Arc::clone(store), common::keyring(), now);
    other.ads.report_by_hand();
    visitor.app = router(other.clone());
    visitor.state = other;
}

/// The topic an answer was chosen through, if it is an ad on the interests basis.
fn because(reply: &common::Reply) -> Option<u64> {
    if reply.status != StatusCode::OK {
        return None;
    }
    let ad = reply.json();
    (ad["basis"] == "interests").then(|| ad["because"]["topic"].as_u64()).flatten()
}

/// The request headers the visitor's browser sends to the site's root.
fn cookies(browser: &mut Browser) -> axum::http::HeaderMap {
    let url = crumb_cookie::RequestUrl::parse(&format!("{}/", browser.origin)).unwrap();
    let mut headers = axum::http::HeaderMap::new();
    if let Some(cookie) = browser.jar.cookie_header(&url, crumb_cookie::RequestContext::same_site("GET")) {
        headers.insert("cookie", cookie.parse().unwrap());
    }
    headers
}

/// `again=1` records nothing: a page's topics count once per page view.
#[tokio::test]
async fn later_slots_of_a_page_view_record_no_observation() {
    for (backend, store) in stores().await {
        let mut visitor = Browser::new(declaration(true), store);
        let receipt = visitor.post_consent(&["marketing"], &[]).await.json();
        let profile = visitor.state.profile_of(receipt["consent_id"].as_str().unwrap());
        visitor.get("/api/ad?slot=sidebar&url=%2Frecipes").await;
        for _ in 0..3 {
            visitor.get("/api/ad?slot=footer&url=%2Frecipes&again=1").await;
        }
        report(&visitor).await;
        let observed = visitor.state.store.interest_observations(&site(&visitor), profile.0, 0).await.unwrap();
        assert_eq!(observed.iter().map(|o| o.count).sum::<u64>(), 1, "{backend}: {observed:?}");
        assert_eq!(visitor.get("/api/ad?slot=footer&url=%2Frecipes&again=2").await.status, StatusCode::BAD_REQUEST);
    }
}

/// Two nodes (two AppStates) on one store keep one daily cap between them.
#[tokio::test]
async fn a_daily_cap_holds_across_two_nodes_sharing_a_store() {
    for (backend, store) in stores().await {
        let mut one = Browser::new(declaration(false), Arc::clone(&store));
        let mut two = Browser::new(declaration(false), store);
        let mut answers = Vec::new();
        for first in [true, false, true, false] {
            let node = if first { &mut one } else { &mut two };
            answers.push(node.get("/api/ad?slot=footer&url=%2Frecipes").await.status.as_u16());
            // Time passes: each node reports its serves and reads back
            // every node's (two ticks, so each reads after both wrote).
            for _ in 0..2 {
                report(&one).await;
                report(&two).await;
            }
        }
        assert_eq!(answers, [200, 200, 204, 204], "{backend}");
        assert_eq!(counted(&one, "pasta").await, (2, 0, 0), "{backend}");
    }
}

/// An impression counts once per serve, when its token is posted; a
/// replay, a forged token, a stale one and a cross-site post count nothing.
/// A click counts.
#[tokio::test]
async fn impressions_count_once_and_clicks_count() {
    for (backend, store) in stores().await {
        let mut browser = Browser::new(declaration(false), store);
        let ad = browser.get("/api/ad?slot=sidebar&url=%2Freading").await.json();
        let seen = ad["impression_url"].as_str().unwrap().to_owned();
        assert!(seen.starts_with("/api/ad/seen/"), "{seen}");
        assert_eq!(counted(&browser, "everywhere").await, (1, 0, 0), "{backend}: served, not yet seen");
        let cross = browser
            .send(Request::post(&seen).header("sec-fetch-site", "cross-site").body(Body::empty()).unwrap())
            .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN, "{backend}");
        for _ in 0..3 {
            assert_eq!(browser.send(post_seen(&seen)).await.status, StatusCode::NO_CONTENT, "{backend}");
        }
        assert_eq!(counted(&browser, "everywhere").await, (1, 1, 0), "{backend}: one impression for a replayed token");
        let mut forged = seen.clone().into_bytes();
        let at = forged.len() - 2;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        let forged = browser.send(post_seen(&String::from_utf8(forged).unwrap())).await;
        assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{backend}");
        // A click token is no impression token.
        let click = ad["click_url"].as_str().unwrap().replace("/ad/click/", "/api/ad/seen/");
        assert_eq!(browser.send(post_seen(&click)).await.status, StatusCode::BAD_REQUEST, "{backend}");
        let reply = browser.get(ad["click_url"].as_str().unwrap()).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(counted(&browser, "everywhere").await, (1, 1, 1), "{backend}: the click counted");
        // A second serve, seen after its token expired.
        let later = browser.get("/api/ad?slot=sidebar&url=%2Freading").await.json();
        browser.clock.advance_seconds(31 * 60);
        let stale = browser.send(post_seen(later["impression_url"].as_str().unwrap())).await;
        assert_eq!(stale.status, StatusCode::NOT_FOUND, "{backend}");
        assert_eq!(counted(&browser, "everywhere").await, (2, 1, 1), "{backend}");
    }
}

async fn admin(browser: &Browser) -> Browser {
    let mut admin = browser.sibling();
    let post = |path: &str| {
        Request::post(path)
            .header("content-type", "application/json")
            .header("origin", "http://localhost:8080")
            .body(Body::from(serde_json::json!({"email": "admin@shop.example", "password": PASSWORD}).to_string()))
            .unwrap()
    };
    let reply = admin.send(post("/api/account/register")).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let account = admin.state.store.account_by_email("admin@shop.example").await.unwrap().unwrap();
    admin.state.store.set_admin(&account.user_id, true).await.unwrap();
    let reply = admin.send(post("/api/account/sign-in")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    admin
}

async fn seen_times(store: &dyn Store, site: &str, day: i64, campaign: &str, n: u64, clicks: u64) {
    let key = AdEventKey {
        day,
        campaign: campaign.into(),
        slot: "sidebar".into(),
        basis: "context".into(),
        topic: Some(173),
    };
    for _ in 0..n {
        store.record_ad_event(site, &key, AdEvent::Impression, None).await.unwrap();
    }
    for _ in 0..clicks {
        store.record_ad_event(site, &key, AdEvent::Click, None).await.unwrap();
    }
}

/// Reports: a row at k impressions is shown, one just under k is folded
/// into the day's "other" row, withheld when that is under k too; only
/// administrators read them, as JSON or as a page linked from /admin.
#[tokio::test]
async fn reports_keep_the_anonymity_floor_and_are_for_administrators() {
    for (backend, store) in stores().await {
        let browser = Browser::new(declaration(false), store);
        let k = u64::from(browser.state.config.analytics.min_visitors);
        let (site, day) = (site(&browser), today(&browser));
        let store = Arc::clone(&browser.state.store);
        seen_times(store.as_ref(), &site, day, "everywhere", k, 2).await;
        seen_times(store.as_ref(), &site, day, "pasta", k - 1, 1).await;
        seen_times(store.as_ref(), &site, day - 1, "pasta", k - 1, 0).await;
        seen_times(store.as_ref(), &site, day - 1, "other-a", 1, 0).await;

        let mut stranger = browser.sibling();
        assert!(stranger.get("/api/reports/ads").await.status.is_client_error(), "{backend}");
        let mut admin = admin(&browser).await;
        let date = |d: i64| crumb_core::analytics::report::format_day(d * DAY_MILLIS);
        let url = format!("/api/reports/ads?from={}&to={}", date(day - 1), date(day));
        let report = admin.get(&url).await;
        assert_eq!(report.status, StatusCode::OK, "{backend}: {}", report.text());
        let report = report.json();
        assert_eq!(report["k"], k);
        let rows = report["rows"].as_array().unwrap();
        let summary: Vec<_> = rows
            .iter()
            .map(|r| (r["day"].as_str().unwrap(), r["campaign"].as_str(), r["impressions"].as_u64().unwrap()))
            .collect();
        // Yesterday: pasta (k - 1) and other-a (1) fold into an "other" row of k.
        // Today: everywhere at k shows; pasta at k - 1 is alone in "other": withheld.
        assert_eq!(
            summary,
            [(date(day - 1).as_str(), None, k), (date(day).as_str(), Some("everywhere"), k)],
            "{backend}: {report}"
        );
        assert_eq!(rows[0]["folded"], 2);
        assert_eq!(report["withheld"], 1);
        assert_eq!(rows[1]["clicks"], 2);
        assert!(!report.to_string().contains("pasta"), "{backend}: no row under the floor is named");

        let bad = admin.get("/api/reports/ads?from=yesterday").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{backend}");

        let page = admin
            .send(
                Request::get(format!("/admin/ads?from={}&to={}&lang=de", date(day - 1), date(day)))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{backend}");
        let html = page.text();
        assert!(
            html.contains("<caption>") && html.contains("scope=\"col\"") && html.contains("scope=\"row\""),
            "{html}"
        );
        assert!(html.contains("Anzeigenberichte") && html.contains("everywhere"), "{html}");
        assert!(!html.contains("<code>pasta</code>"), "{html}");
        let admin_page = admin.get("/admin").await.text();
        assert!(admin_page.contains("href=\"/admin/ads\""), "linked from /admin");
    }
}

/// A store that fails: a serve is still answered (its count is kept for
/// the node's next report), counting an impression answers a 503 problem,
/// and a click still goes to its link, uncounted.
#[tokio::test]
async fn store_failures_are_503_problems_and_a_click_still_redirects() {
    use crumb_store::failing::{FailMode, FailingStore};
    let store = FailingStore::new(Arc::new(crumb_store::sqlite::SqliteStore::open_in_memory().unwrap()));
    let mut browser = Browser::new(declaration(false), Arc::new(store.clone()));
    let ad = browser.get("/api/ad?slot=sidebar&url=%2Freading").await.json();
    // Reading the day's counts back for the daily caps fails: the report
    // says so, and the serve (choosing on the counts it knows) is answered.
    store.set_mode(FailMode::Reads);
    assert_eq!(browser.get("/api/ad?slot=footer&url=%2Frecipes").await.status, StatusCode::OK);
    let reported = browser.state.ads.report(browser.state.store.as_ref(), &site(&browser)).await;
    assert!(reported.is_err() && store.failed().contains(&"ads_served_on"), "{:?}", store.calls());
    // Writing fails: a serve (no cap to read) is still answered, its count
    // kept for the next report, which fails and keeps it again.
    store.set_mode(FailMode::Writes);
    assert_eq!(browser.get("/api/ad?slot=sidebar&url=%2Freading").await.status, StatusCode::OK);
    let reported = browser.state.ads.report(browser.state.store.as_ref(), &site(&browser)).await;
    assert!(reported.is_err() && store.failed().contains(&"add_ads_served"), "{:?}", store.calls());
    let seen = browser.send(post_seen(ad["impression_url"].as_str().unwrap())).await;
    assert_eq!(seen.status, StatusCode::SERVICE_UNAVAILABLE);
    let click = browser.get(ad["click_url"].as_str().unwrap()).await;
    assert_eq!(click.status, StatusCode::SEE_OTHER);
    assert_eq!(click.headers["location"], "https://omni.example/");
    store.set_mode(FailMode::Never);
    assert_eq!(counted(&browser, "everywhere").await, (2, 0, 0), "both serves, reported once the store is back");
    // The impression that failed counts when posted again.
    assert_eq!(browser.send(post_seen(ad["impression_url"].as_str().unwrap())).await.status, StatusCode::NO_CONTENT);
    assert_eq!(counted(&browser, "everywhere").await, (2, 1, 0));
}

/// The retention job deletes the ad log four weeks after an ad was shown.
#[tokio::test]
async fn the_ad_log_is_purged_after_four_weeks() {
    for (backend, store) in stores().await {
        let mut visitor = Browser::new(declaration(true), store);
        let receipt = visitor.post_consent(&["marketing"], &[]).await.json();
        let profile = visitor.state.profile_of(receipt["consent_id"].as_str().unwrap());
        visitor.get("/api/ad?slot=sidebar&url=%2Freading").await;
        visitor.clock.advance_seconds(8 * 86_400);
        assert_eq!(visitor.get("/api/ad?slot=sidebar&url=%2F&again=1").await.json()["basis"], "interests");
        report(&visitor).await;
        let logged = || async { visitor.state.store.ads_shown_to(&site(&visitor), profile.0, 0).await.unwrap().len() };
        assert_eq!(logged().await, 1, "{backend}");
        visitor.clock.advance_seconds(27 * 86_400);
        crumb_core::profiles::jobs::purge_expired(&visitor.state.site).await.unwrap();
        assert_eq!(logged().await, 1, "{backend}: kept 27 days");
        visitor.clock.advance_seconds(86_400);
        let purged = crumb_core::profiles::jobs::purge_expired(&visitor.state.site).await.unwrap();
        assert_eq!(purged.ads_shown, 1, "{backend}");
        assert_eq!(logged().await, 0, "{backend}: gone after four weeks");
    }
}
