//! The visitor's side of interest profiles over HTTP (issue 20): the
//! `/interests` page (topics per week, padding and removals marked, in the
//! reader's language), its remove / pause / erase forms and their
//! same-origin and token checks, `DELETE /api/interests/topics/{id}` and
//! `POST /api/interests/paused`, one profile shared by the linked devices
//! of an account (`crumb_server::profile_key`), the account export, and
//! withdrawal erasing the linked profile. Every test runs on SQLite and on
//! PostgreSQL when `CRUMB_TEST_POSTGRES_URL` is set.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use common::{stores, Browser};
use crumb_cookie::{RequestContext, RequestUrl};
use crumb_core::category::{Category, Signals};
use crumb_core::config;
use crumb_core::interests::TopicId;
use crumb_core::profiles::service::{self, Consenting};
use crumb_core::profiles::ProfileKey;
use crumb_store::Store;

const BIKES: TopicId = TopicId(369);
const COOKING: TopicId = TopicId(173);
const WEEK: i64 = 7 * 86_400;
const PASSWORD: &str = "correct horse battery staple";

fn demo_with_interests(store: Arc<dyn Store>) -> Browser {
    assert!(config::DEMO_TOML.contains("[interests]\nenabled = true"), "the demo has interests on");
    Browser::new(config::demo(), store)
}

/// The demo's declaration with `[interests]` off and without its campaigns.
fn demo_without_ads() -> String {
    let base = config::demo_toml_without_campaigns();
    base.replace("[interests]\nenabled = true", "[interests]\nenabled = false")
}

/// The request headers the browser would send to `path` (its cookies).
fn headers_of(browser: &mut Browser, path: &str) -> HeaderMap {
    let url = RequestUrl::parse(&format!("{}{path}", browser.origin)).unwrap();
    let mut headers = HeaderMap::new();
    if let Some(cookie) = browser.jar.cookie_header(&url, RequestContext::same_site("GET")) {
        headers.insert("cookie", cookie.parse().unwrap());
    }
    headers
}

/// The profile the browser's requests use (`profile_key::for_request`).
async fn key_of(browser: &mut Browser) -> Option<ProfileKey> {
    let headers = headers_of(browser, "/interests");
    crumb_server::profile_key::for_request(&browser.state, &headers).await.unwrap()
}

fn marketing() -> BTreeSet<Category> {
    [Category::Marketing].into_iter().collect()
}

/// Records `pages` pages about `topics` at the browser's clock.
async fn observe(browser: &Browser, key: ProfileKey, topics: &[TopicId], pages: usize) {
    let who = Consenting::check(key, &marketing(), Signals::default()).unwrap();
    for _ in 0..pages {
        service::observe(&browser.state.site, &browser.state.profiles, who, topics).await.unwrap();
    }
}

async fn stored_rows(browser: &Browser, key: ProfileKey) -> usize {
    let site = &browser.state.config.site_name;
    browser.state.store.interest_observations(site, key.0, i64::MIN).await.unwrap().len()
}

/// The topics many placements get now.
async fn topics_returned(browser: &Browser, key: ProfileKey) -> BTreeSet<u16> {
    let who = Consenting::check(key, &marketing(), Signals::default()).unwrap();
    let mut topics = BTreeSet::new();
    for slot in 0..40 {
        let placement = format!("slot-{slot}");
        for t in service::topics_for(&browser.state.site, &browser.state.profiles, who, &placement).await.unwrap() {
            topics.insert(t.topic.0);
        }
    }
    topics
}

/// Three weeks of bike pages, then a week of cooking (the current one).
async fn seed_a_month(browser: &mut Browser, key: ProfileKey) {
    for _ in 0..3 {
        observe(browser, key, &[BIKES], 3).await;
        browser.clock.advance_seconds(WEEK);
    }
    observe(browser, key, &[COOKING], 2).await;
}

/// The form token in the page.
fn token_in(page: &str) -> String {
    let at = page.find("name=\"token\" value=\"").expect("a form with the token") + "name=\"token\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

fn form_post(path: &str, body: &str, site: &str) -> Request<Body> {
    let origin = if site == "cross-site" { "https://evil.example" } else { "http://localhost:8080" };
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", origin)
        .header("sec-fetch-site", site)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn same_origin(request: axum::http::request::Builder) -> axum::http::request::Builder {
    request.header("origin", "http://localhost:8080").header("sec-fetch-site", "same-origin")
}

#[tokio::test]
async fn the_page_shows_topics_per_week_with_padding_marked_and_says_when_nothing_is_kept() {
    for (backend, store) in stores().await {
        let mut browser = demo_with_interests(store);
        let empty = browser.get("/interests").await;
        assert_eq!(empty.status, StatusCode::OK, "{backend}");
        assert_eq!(empty.headers["cache-control"], "no-store");
        let text = empty.text();
        assert!(text.contains("id=\"nothing-kept\""), "{backend}: {text}");
        assert!(text.contains("You have not allowed marketing cookies"), "{backend}");
        assert!(!text.contains("data-topic="), "{backend}");
        assert!(text.contains("id=\"ads-shown\""), "{backend}: the place for the ads shown");

        browser.post_consent(&["marketing"], &[]).await;
        let key = key_of(&mut browser).await.unwrap();
        seed_a_month(&mut browser, key).await;
        let page = browser.get("/interests").await.text();
        assert!(page.contains("You allowed marketing cookies"), "{backend}");
        assert!(!page.contains("id=\"nothing-kept\""), "{backend}");
        // Four weeks, the current one first, each with its dates.
        assert_eq!(page.matches("<section class=\"week\"").count(), 4, "{backend}: {page}");
        assert_eq!(page.matches("data-current").count(), 1, "{backend}");
        let view = service::view(&browser.state.site, &browser.state.profiles, key).await.unwrap();
        for epoch in &view.epochs {
            let start = crumb_server::pages::Moment::at(epoch.start);
            assert!(page.contains(&format!("datetime=\"{}\"", start.iso)), "{backend}: week of {}", start.text);
        }
        // Bikes in the three past weeks, cooking in this one, read pages counted.
        assert_eq!(page.matches("data-topic=\"369\">").count(), 3, "{backend}: {page}");
        assert_eq!(page.matches("data-topic=\"173\">").count(), 1, "{backend}");
        assert!(
            page.contains("/Autos &amp; Vehicles/Bicycles &amp; Accessories")
                || page.contains("/Autos &#38; Vehicles/Bicycles &#38; Accessories"),
            "{backend}"
        );
        assert!(page.contains("Pages read: 3"), "{backend}");
        assert!(page.contains("Pages read: 2"), "{backend}");
        // One topic read a week: the other four of each week's five are padding, marked, without a Remove button.
        assert_eq!(page.matches(" data-padding>").count(), 16, "{backend}");
        assert_eq!(page.matches("Random filler, not an interest").count(), 16, "{backend}");
        assert_eq!(
            page.matches("/remove\">").count() + page.matches("/remove?").count(),
            4,
            "{backend}: one Remove per topic read"
        );
        assert!(page.contains("aria-label=\"Remove /Autos"), "{backend}");
    }
}

#[tokio::test]
async fn removing_a_topic_by_form_or_api_stops_it_being_returned() {
    for (backend, store) in stores().await {
        // By the page's form.
        let mut browser = demo_with_interests(store.clone());
        browser.post_consent(&["marketing"], &[]).await;
        let key = key_of(&mut browser).await.unwrap();
        seed_a_month(&mut browser, key).await;
        assert!(topics_returned(&browser, key).await.contains(&369), "{backend}: bikes are answered before");
        let token = token_in(&browser.get("/interests").await.text());
        let removed = browser
            .send(form_post("/interests/topics/369/remove?lang=de", &format!("token={token}"), "same-origin"))
            .await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER, "{backend}: {}", removed.text());
        assert_eq!(removed.headers["location"], "/interests?notice=removed&lang=de", "{backend}");
        assert!(!topics_returned(&browser, key).await.contains(&369), "{backend}: never again");
        let page = browser.get("/interests?notice=removed").await.text();
        assert!(page.contains("The topic was removed for good."), "{backend}");
        assert!(page.contains("id=\"removed-for-good\""), "{backend}");
        assert_eq!(page.matches("data-topic=\"369\" data-removed>").count(), 3, "{backend}: marked in each week");
        // Removed for good: no longer recorded.
        let before = stored_rows(&browser, key).await;
        browser.clock.advance_seconds(WEEK);
        observe(&browser, key, &[BIKES], 2).await;
        assert_eq!(stored_rows(&browser, key).await, before, "{backend}: a removed topic is not recorded");

        // By the API.
        let mut browser = demo_with_interests(store.clone());
        browser.post_consent(&["marketing"], &[]).await;
        let key = key_of(&mut browser).await.unwrap();
        seed_a_month(&mut browser, key).await;
        assert!(topics_returned(&browser, key).await.contains(&369), "{backend}");
        let delete = |path: &str| same_origin(Request::delete(path)).body(Body::empty()).unwrap();
        let unknown = browser.send(delete("/api/interests/topics/9999")).await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{backend}");
        assert_eq!(unknown.headers["content-type"], "application/problem+json");
        let not_a_number = browser.send(delete("/api/interests/topics/bikes")).await;
        assert_eq!(not_a_number.status, StatusCode::BAD_REQUEST, "{backend}");
        let cross_site = browser
            .send(
                Request::delete("/api/interests/topics/369")
                    .header("sec-fetch-site", "cross-site")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(cross_site.status, StatusCode::FORBIDDEN, "{backend}");
        assert!(
            topics_returned(&browser, key).await.contains(&369),
            "{backend}: the cross-site request removed nothing"
        );
        let removed = browser.send(delete("/api/interests/topics/369")).await;
        assert_eq!(removed.status, StatusCode::OK, "{backend}: {}", removed.text());
        assert_eq!(removed.json()["removed"], 369);
        assert!(!topics_returned(&browser, key).await.contains(&369), "{backend}");
        let seen = browser.get("/api/interests").await.json();
        assert_eq!(seen["profile"]["removed_for_good"][0]["id"], 369, "{backend}: {seen}");

        // Without a decision there is no profile to change.
        let mut stranger = demo_with_interests(store);
        assert_eq!(stranger.send(delete("/api/interests/topics/369")).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn pause_stops_recording_and_erase_empties_by_form_and_api() {
    for (backend, store) in stores().await {
        let mut browser = demo_with_interests(store);
        browser.post_consent(&["marketing"], &[]).await;
        let key = key_of(&mut browser).await.unwrap();
        seed_a_month(&mut browser, key).await;
        let token = token_in(&browser.get("/interests").await.text());

        // Pause by form: nothing recorded, nothing answered.
        let paused =
            browser.send(form_post("/interests/pause", &format!("token={token}&paused=true"), "same-origin")).await;
        assert_eq!(
            (paused.status, paused.headers["location"].to_str().unwrap()),
            (StatusCode::SEE_OTHER, "/interests?notice=paused"),
            "{backend}"
        );
        let rows = stored_rows(&browser, key).await;
        observe(&browser, key, &[TopicId(1)], 2).await;
        assert_eq!(stored_rows(&browser, key).await, rows, "{backend}: paused records nothing");
        assert!(topics_returned(&browser, key).await.is_empty(), "{backend}: paused answers nothing");
        let page = browser.get("/interests").await.text();
        assert!(page.contains("id=\"paused-state\""), "{backend}");
        assert!(page.contains("name=\"paused\" value=\"false\""), "{backend}: a Resume button");
        // Resume by the API; recording again.
        let resume = same_origin(Request::post("/api/interests/paused"))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"paused": false}"#))
            .unwrap();
        let resumed = browser.send(resume).await;
        assert_eq!(resumed.json()["paused"], false, "{backend}");
        observe(&browser, key, &[TopicId(1)], 1).await;
        assert_eq!(stored_rows(&browser, key).await, rows + 1, "{backend}: recording again");
        let bad = same_origin(Request::post("/api/interests/paused"))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"paused": "maybe"}"#))
            .unwrap();
        assert_eq!(browser.send(bad).await.status, StatusCode::BAD_REQUEST, "{backend}");

        // A cross-site form, and a form without this profile's token: 403, nothing changes.
        let cross = browser.send(form_post("/interests/erase", &format!("token={token}"), "cross-site")).await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN, "{backend}");
        let forged = browser.send(form_post("/interests/erase", "token=forged", "same-origin")).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{backend}");
        let cross_pause =
            browser.send(form_post("/interests/pause", &format!("token={token}&paused=true"), "cross-site")).await;
        assert_eq!(cross_pause.status, StatusCode::FORBIDDEN, "{backend}");
        assert_eq!(stored_rows(&browser, key).await, rows + 1, "{backend}: nothing erased");

        // Erase by form.
        let erased = browser.send(form_post("/interests/erase", &format!("token={token}"), "same-origin")).await;
        assert_eq!(erased.headers["location"], "/interests?notice=erased", "{backend}");
        assert_eq!(stored_rows(&browser, key).await, 0, "{backend}");
        let page = browser.get("/interests?notice=erased").await.text();
        assert!(page.contains("Everything in your profile was erased."), "{backend}");
        assert!(page.contains("id=\"nothing-kept\""), "{backend}");
    }
}

#[tokio::test]
async fn the_page_is_in_german_with_lang_de() {
    let (_, store) = stores().await.remove(0);
    let mut browser = demo_with_interests(store);
    browser.post_consent(&["marketing"], &[]).await;
    let key = key_of(&mut browser).await.unwrap();
    seed_a_month(&mut browser, key).await;
    let page = browser.get("/interests?lang=de").await.text();
    assert!(page.contains("<html lang=\"de\""), "{page}");
    for text in [
        "<h1>Ihre Interessen</h1>",
        "Sie haben Marketing-Cookies erlaubt",
        "Gelesene Seiten: 3",
        "Alles löschen",
        "Pausieren",
    ] {
        assert!(page.contains(text), "{text}");
    }
    assert!(page.contains("/interests/erase?lang=de"), "the forms keep the language");
}

async fn sign_in(browser: &mut Browser, email: &str, register: bool) -> String {
    let post = |path: &str, body: serde_json::Value| {
        Request::post(path)
            .header("content-type", "application/json")
            .header("origin", "http://localhost:8080")
            .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    if register {
        let reply = browser
            .send(post("/api/account/register", serde_json::json!({"email": email, "password": PASSWORD})))
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    }
    let reply =
        browser.send(post("/api/account/sign-in", serde_json::json!({"email": email, "password": PASSWORD}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let csrf = reply.json()["csrf_token"].as_str().unwrap().to_owned();
    browser.post_consent(&["statistics", "marketing"], &[]).await;
    let link = Request::post("/api/account/cross-device")
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .header("x-csrf-token", csrf.clone())
        .body(Body::from(r#"{"enabled": true}"#))
        .unwrap();
    assert_eq!(browser.send(link).await.status, StatusCode::OK);
    csrf
}

#[tokio::test]
async fn the_linked_devices_of_an_account_share_one_profile_exported_and_erased_on_withdrawal() {
    for (backend, store) in stores().await {
        let mut laptop = demo_with_interests(store);
        let mut phone = laptop.sibling();
        sign_in(&mut laptop, "kim@example.com", true).await;
        sign_in(&mut phone, "kim@example.com", false).await;
        let profiles_of = |browser: &mut Browser| {
            let headers = headers_of(browser, "/interests");
            let state = browser.state.clone();
            async move { crumb_server::profile_key::of_request(&state, &headers).await.unwrap() }
        };
        let (on_laptop, on_phone) = (profiles_of(&mut laptop).await, profiles_of(&mut phone).await);
        let shared = on_laptop.linked.unwrap();
        assert_eq!(on_phone.linked, Some(shared), "{backend}: one profile on both devices");
        assert_eq!((on_laptop.key(), on_phone.key()), (Some(shared), Some(shared)), "{backend}");
        // Each browser's own profile (its consent id's) is another.
        let (laptop_own, phone_own) = (on_laptop.device.unwrap(), on_phone.device.unwrap());
        assert_ne!(laptop_own, phone_own, "{backend}");
        assert_ne!(shared, laptop_own, "{backend}");
        // Read on the laptop, seen on the phone.
        seed_a_month(&mut laptop, shared).await;
        // Three weeks later the sessions have expired: signed in again, the same profile.
        assert_eq!(key_of(&mut phone).await, Some(phone_own), "{backend}: an expired session links nothing");
        sign_in(&mut laptop, "kim@example.com", false).await;
        sign_in(&mut phone, "kim@example.com", false).await;
        assert_eq!(key_of(&mut phone).await, Some(shared), "{backend}");
        let on_phone = phone.get("/api/interests").await.json();
        assert_eq!(on_phone["linked"], true, "{backend}");
        assert_eq!(
            on_phone["profile"]["epochs"][1]["topics"].as_array().unwrap().iter().filter(|t| t["id"] == 369).count(),
            1,
            "{backend}: {on_phone}"
        );
        let page = phone.get("/interests").await.text();
        assert!(page.contains("id=\"linked-state\""), "{backend}");
        assert_eq!(page.matches("data-topic=\"369\">").count(), 3, "{backend}");
        // The account export holds it.
        let export = phone.get("/api/account/data").await;
        assert_eq!(export.status, StatusCode::OK, "{backend}: {}", export.text());
        let export = export.json();
        let observations = export["interest_profile"]["observations"].as_array().unwrap();
        assert_eq!(observations.len(), 4, "{backend}: {export}");
        assert!(observations.iter().any(|o| o["topic"] == 369 && o["count"] == 3), "{backend}: {export}");
        // Withdrawing marketing on the phone erases the shared profile and the phone's own.
        observe(&phone, phone_own, &[COOKING], 1).await;
        let withdrawn = phone.post_consent(&["statistics"], &[]).await;
        assert_eq!(withdrawn.status, StatusCode::CREATED, "{backend}");
        assert_eq!(stored_rows(&phone, shared).await, 0, "{backend}: the account's profile erased");
        assert_eq!(stored_rows(&phone, phone_own).await, 0, "{backend}: the device's profile erased");
        assert!(laptop.get("/api/account/data").await.json()["interest_profile"]["observations"]
            .as_array()
            .unwrap()
            .is_empty());
        // Erasing on a linked device erases the account's profile and the browser's own.
        observe(&laptop, shared, &[BIKES], 1).await;
        observe(&laptop, laptop_own, &[COOKING, BIKES], 1).await;
        let erase = same_origin(Request::delete("/api/interests")).body(Body::empty()).unwrap();
        let erased = laptop.send(erase).await.json();
        assert_eq!(erased["erased"]["observations"], 3, "{backend}: {erased}");
        assert_eq!((stored_rows(&laptop, shared).await, stored_rows(&laptop, laptop_own).await), (0, 0), "{backend}");
        // Deleting the account erases the profile its devices share.
        observe(&phone, shared, &[BIKES], 1).await;
        let csrf = sign_in(&mut laptop, "kim@example.com", false).await;
        let delete = Request::post("/api/account/delete")
            .header("content-type", "application/json")
            .header("origin", "http://localhost:8080")
            .header("x-csrf-token", csrf)
            .body(Body::from(serde_json::json!({"password": PASSWORD}).to_string()))
            .unwrap();
        let deleted = laptop.send(delete).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{backend}: {}", deleted.text());
        assert_eq!(stored_rows(&laptop, shared).await, 0, "{backend}: the account's profile erased with it");
    }
}

const ONE_CAMPAIGN: &str = r#"
[[campaign]]
id = "house"
advertiser = "The shop"
link = "https://shop.example/sale"
text = "Our winter sale"
"#;

#[tokio::test]
async fn the_policy_states_interest_processing_only_with_interests_enabled() {
    let (_, store) = stores().await.remove(0);
    // Interests on: the paragraph, from the declaration.
    let mut on = demo_with_interests(store.clone());
    let policy = on.get("/policy?lang=en").await.text();
    assert!(policy.contains("id=\"interests-policy\""), "{policy}");
    let consent_cookie = on.state.names.consent.clone();
    assert!(
        policy.contains(&format!("consent cookie <code>{consent_cookie}</code>, hashed under a secret key")),
        "{policy}"
    );
    assert!(policy.contains("one of 469 fixed topics"), "{policy}");
    for text in ["5 most read topics", "at most 3 topics", "5% of cases a random topic", "deleted after 4 weeks"] {
        assert!(policy.contains(text), "{text}");
    }
    let k = on.state.config.analytics.min_visitors;
    assert!(policy.contains(&format!("a group of fewer than {k} visitors")), "the floor k = {k}");
    assert!(policy.contains("id=\"interests-signals\""), "the demo honours GPC");
    assert!(policy.contains("<a href=\"/interests?lang=en\">your interests page</a>"), "{policy}");
    let json = on.get("/policy.json").await.json();
    assert_eq!(json["interests"]["top_topics"], 5);
    assert_eq!(json["interests"]["noise_percent"], 5.0);
    assert_eq!(json["interests"]["retention_days"], 28);
    assert_eq!(json["interests"]["topics_returned"], 3);
    assert_eq!(json["interests"]["epoch_days"], 7);
    assert_eq!(json["interests"]["cookie"], consent_cookie.as_str());
    // In German too.
    let german = on.get("/policy?lang=de").await.text();
    assert!(german.contains("Werbung und Ihre Interessen"), "{german}");
    assert!(german.contains("in 5 % der Fälle"));

    // Interests off, no campaign: nothing about ads.
    let mut off = Browser::new(config::parse(&demo_without_ads(), "crumb.toml").unwrap(), store.clone());
    let policy = off.get("/policy?lang=en").await.text();
    assert!(!policy.contains("id=\"interests-policy\""), "{policy}");
    assert!(!policy.contains("your interests page"));
    assert!(off.get("/policy.json").await.json()["interests"].is_null());

    // Interests off with a campaign: contextual ads, no cookie, no profile.
    let text = format!("{}\n{ONE_CAMPAIGN}", demo_without_ads());
    let mut contextual = Browser::new(config::parse(&text, "crumb.toml").unwrap(), store);
    let policy = contextual.get("/policy?lang=en").await.text();
    assert!(policy.contains("id=\"contextual-ads\""), "{policy}");
    assert!(policy.contains("that needs no cookie and stores nothing about you"));
    assert!(!policy.contains("id=\"interests-stored\""), "no profile without [interests] enabled");
}
