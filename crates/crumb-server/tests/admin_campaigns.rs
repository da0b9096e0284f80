//! Campaigns managed on `/admin` (crumb_server::admin_campaigns), on every
//! store backend: an administrator adds one with the page's form or the
//! JSON API and `/api/ad` serves it at once; a change of its topics changes
//! what is served; ending it stops it; a declared id, an unknown topic, a
//! `javascript:` link are refused on their fields and script in an HTML
//! creative is sanitised away; only administrators, with the session's
//! CSRF token, may change anything.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{stores, Browser};
use crumb_core::config;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

const SITE: &str = r#"
[[interests.page]]
path = "/blog/bikes"
topics = [369]

[[interests.page]]
path = "/recipes"
topics = [173]

[[campaign]]
id = "declared-house"
name = "House ad"
advertiser = "The shop"
link = "https://shop.example/"
text = "Our winter sale"
slots = ["footer"]
"#;

fn browser(store: std::sync::Arc<dyn crumb_store::Store>) -> Browser {
    // The demo's declaration without its own campaigns.
    let demo = config::demo_toml_without_campaigns();
    let text = format!("{demo}\n{SITE}");
    Browser::new(config::parse(&text, "crumb.toml").unwrap(), store)
}

fn json_request(method: &str, path: &str, body: Option<serde_json::Value>, csrf: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0");
    if let Some(token) = csrf {
        builder = builder.header("x-csrf-token", token);
    }
    builder.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap()
}

fn form_post(path: &str, fields: &[(&str, &str)], language: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        .header("accept-language", language)
        .header("origin", "http://localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
        .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
        .unwrap()
}

/// Registers and signs in `email`; makes them an administrator if `admin`.
/// Returns the session's CSRF token.
async fn sign_in(browser: &mut Browser, email: &str, admin: bool) -> String {
    let body = json!({"email": email, "password": PASSWORD});
    let reply = browser.send(json_request("POST", "/api/account/register", Some(body.clone()), None)).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    if admin {
        let store = &browser.state.store;
        let account = store.account_by_email(email).await.unwrap().unwrap();
        store.set_admin(&account.user_id, true).await.unwrap();
    }
    let reply = browser.send(json_request("POST", "/api/account/sign-in", Some(body), None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["csrf_token"].as_str().unwrap().to_owned()
}

/// The campaign `/api/ad` picks for `slot` on `page`, or the status when none.
async fn ad(browser: &mut Browser, slot: &str, page: &str) -> String {
    let reply = browser.get(&format!("/api/ad?slot={slot}&url={}", page.replace('/', "%2F"))).await;
    match reply.status {
        StatusCode::OK => reply.json()["campaign"].as_str().unwrap().to_owned(),
        status => status.as_u16().to_string(),
    }
}

fn bikes_json(id: &str) -> serde_json::Value {
    json!({
        "id": id, "name": "Spring bikes", "advertiser": "Velo & Co", "link": "https://velo.example/spring",
        "text": "Road bikes, 20% off", "topics": [369], "slots": ["sidebar"], "daily_cap": 100,
    })
}

#[tokio::test]
async fn campaigns_added_by_form_and_json_are_served_and_listed() {
    for (backend, store) in stores().await {
        let mut browser = browser(store.clone());
        let csrf = sign_in(&mut browser, "boss@example.com", true).await;
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "204", "{backend}: nothing yet");

        let form = [
            ("csrf", csrf.as_str()),
            ("id", "bikes-form"),
            ("name", "Bikes by form"),
            ("advertiser", "Velo & Co"),
            ("link", "https://velo.example/form"),
            ("kind", "image"),
            ("text", "Gravel bikes"),
            ("image", "/ads/bike.svg"),
            ("alt", "A gravel bike"),
            ("topics", "Bicycles & Accessories"),
            ("slots", "sidebar"),
            ("start", ""),
            ("end", ""),
            ("daily_cap", ""),
            ("frequency_cap", "3"),
            ("priority", "1"),
            ("weight", "2"),
        ];
        let reply = browser.send(form_post("/api/admin/campaigns", &form, "en")).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend}: {}", reply.text());
        assert_eq!(reply.headers["location"], "/admin/campaigns", "{backend}");
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "bikes-form", "{backend}");
        assert_eq!(ad(&mut browser, "sidebar", "/recipes").await, "204", "{backend}: targeted at bikes only");

        let mut pasta = bikes_json("pasta-json");
        pasta["topics"] = json!(["Cooking & Recipes"]);
        pasta["html"] = json!("<p>Fresh <b>pasta</b></p>");
        pasta.as_object_mut().unwrap().remove("text");
        let reply = browser.send(json_request("POST", "/api/admin/campaigns", Some(pasta), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {}", reply.text());
        let created = reply.json();
        assert_eq!((created["source"].as_str(), created["status"].as_str()), (Some("admin"), Some("running")));
        assert_eq!(created["topics"], json!([173]), "{backend}: a name resolves to its id");
        assert_eq!(ad(&mut browser, "sidebar", "/recipes").await, "pasta-json", "{backend}");

        let list = browser.get("/api/admin/campaigns").await.json();
        let sources: Vec<(String, String)> = list["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_str().unwrap().to_owned(), c["source"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            sources,
            [
                ("declared-house".into(), "declared".into()),
                ("bikes-form".into(), "admin".into()),
                ("pasta-json".into(), "admin".into())
            ],
            "{backend}"
        );
        let page = browser.get("/admin/campaigns").await;
        assert_eq!(page.status, StatusCode::OK, "{backend}");
        // askama writes `&` as `&#38;`.
        let html = page.text().replace("&#38;", "&amp;");
        for expected in
            ["declared in crumb.toml", "managed here", "Bicycles &amp; Accessories", "Cooking &amp; Recipes", "running"]
        {
            assert!(html.contains(expected), "{backend}: {expected} in {html}");
        }
        assert!(
            browser.get("/admin").await.text().contains("href=\"/admin/campaigns\""),
            "{backend}: linked from /admin"
        );

        // Another node on the same store (or a restart) loads them.
        let mut other = self::browser(store.clone());
        assert_eq!(ad(&mut other, "sidebar", "/recipes").await, "204", "{backend}: not loaded yet");
        crumb_server::admin_campaigns::reload(&other.state).await.unwrap();
        assert_eq!(ad(&mut other, "sidebar", "/recipes").await, "pasta-json", "{backend}: loaded from the store");
    }
}

#[tokio::test]
async fn editing_the_topics_changes_what_is_served_and_ending_stops_it() {
    for (backend, store) in stores().await {
        let mut browser = browser(store);
        let csrf = sign_in(&mut browser, "boss@example.com", true).await;
        let reply =
            browser.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("bikes")), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {}", reply.text());
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "bikes", "{backend}");

        let mut changed = bikes_json("bikes");
        changed["topics"] = json!([173]);
        let reply = browser.send(json_request("PUT", "/api/admin/campaigns/bikes", Some(changed), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::OK, "{backend}: {}", reply.text());
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "204", "{backend}: no longer bikes");
        assert_eq!(ad(&mut browser, "sidebar", "/recipes").await, "bikes", "{backend}: now recipes");

        // The edit form: GET ?edit= fills it, POST to the campaign's path changes it.
        let page = browser.get("/admin/campaigns?edit=bikes").await.text();
        assert!(
            page.contains("action=\"/api/admin/campaigns/bikes\"")
                && page.contains("name=\"topic_173\" value=\"1\" checked"),
            "{backend}: {page}"
        );
        let form = [
            ("csrf", csrf.as_str()),
            ("id", "bikes"),
            ("advertiser", "Velo & Co"),
            ("link", "https://velo.example/spring"),
            ("kind", "image"),
            ("text", "Road bikes"),
            ("topics", "369"),
            ("slots", "sidebar"),
        ];
        let reply = browser.send(form_post("/api/admin/campaigns/bikes", &form, "en")).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend}: {}", reply.text());
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "bikes", "{backend}: bikes again");

        let reply = browser.send(json_request("DELETE", "/api/admin/campaigns/bikes", None, Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{backend}: {}", reply.text());
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "204", "{backend}: ended");
        let reply = browser.send(json_request("DELETE", "/api/admin/campaigns/bikes", None, Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{backend}");

        // The page's end button.
        let reply =
            browser.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("b2")), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}");
        let reply = browser.send(form_post("/api/admin/campaigns/b2/end", &[("csrf", csrf.as_str())], "en")).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend}: {}", reply.text());
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "204", "{backend}: ended by the form");
        // A declared campaign cannot be ended or changed here.
        let reply =
            browser.send(json_request("DELETE", "/api/admin/campaigns/declared-house", None, Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{backend}");
        assert_eq!(ad(&mut browser, "footer", "/").await, "declared-house", "{backend}");
    }
}

/// The form's topic picker: every topic of the taxonomy as a checkbox;
/// ticked ones join the typed ones, editing ticks the campaign's topics
/// (unticking one removes it), and a refused form comes back with its
/// ticks (also for a fault found before the campaign is checked).
#[tokio::test]
async fn topics_are_picked_from_the_taxonomy() {
    for (backend, store) in stores().await {
        let mut browser = browser(store);
        let csrf = sign_in(&mut browser, "boss@example.com", true).await;
        let page = browser.get("/admin/campaigns").await.text();
        let boxes = page.matches("type=\"checkbox\" id=\"campaign-topic-").count();
        assert_eq!(boxes, crumb_core::interests::Taxonomy::v2().len(), "{backend}: one per topic");
        assert!(page.contains("name=\"topic_369\" value=\"1\">"), "{backend}: none ticked");
        assert!(!page.contains("id=\"campaign-topic-picker\" open"), "{backend}: folded");

        let base = [
            ("csrf", csrf.as_str()),
            ("id", "picked"),
            ("advertiser", "Velo & Co"),
            ("link", "https://velo.example/picked"),
            ("kind", "image"),
            ("text", "Bikes and pasta"),
            ("slots", "sidebar"),
        ];
        let ticked = [base.as_slice(), &[("topics", ""), ("topic_369", "1"), ("topic_9999", "1")]].concat();
        let reply = browser.send(form_post("/api/admin/campaigns", &ticked, "en")).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend}: {}", reply.text());
        let listed = browser.send(json_request("GET", "/api/admin/campaigns", None, None)).await.json();
        let picked = listed["campaigns"].as_array().unwrap().iter().find(|c| c["id"] == "picked").unwrap().clone();
        assert_eq!(picked["topics"], json!([369]), "{backend}: the ticked topic (an unknown id is no topic)");
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "picked", "{backend}");

        // Editing ticks it; a typed name joins what is ticked.
        let page = browser.get("/admin/campaigns?edit=picked").await.text();
        assert!(page.contains("name=\"topic_369\" value=\"1\" checked"), "{backend}");
        assert!(page.contains("id=\"campaign-topic-picker\" open"), "{backend}: open when a topic is ticked");
        assert!(!page.contains("name=\"topics\" value="), "{backend}: the text field is left empty");
        let both = [base.as_slice(), &[("topics", "Cooking & Recipes"), ("topic_369", "1")]].concat();
        let reply = browser.send(form_post("/api/admin/campaigns/picked", &both, "en")).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend}: {}", reply.text());
        assert_eq!(ad(&mut browser, "sidebar", "/recipes").await, "picked", "{backend}: cooking too");
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "picked", "{backend}: still bikes");

        // A typed name with commas in it, with a tick.
        let comma = [base.as_slice(), &[("topics", "Patio, Lawn & Garden"), ("topic_173", "1")]].concat();
        let reply = browser.send(form_post("/api/admin/campaigns/picked", &comma, "en")).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend}: {}", reply.text());
        let listed = browser.send(json_request("GET", "/api/admin/campaigns", None, None)).await.json();
        let picked = listed["campaigns"].as_array().unwrap().iter().find(|c| c["id"] == "picked").unwrap().clone();
        let patio = crumb_core::interests::Taxonomy::v2().topics().find(|t| t.name == "Patio, Lawn & Garden").unwrap();
        assert_eq!(picked["topics"], json!([patio.id.0, 173]), "{backend}");

        // Unticking bicycles (and typing nothing) leaves cooking alone.
        let page = browser.get("/admin/campaigns?edit=picked").await.text();
        assert!(page.contains("name=\"topic_173\" value=\"1\" checked"), "{backend}: the typed name, ticked now");
        let only_cooking = [base.as_slice(), &[("topics", ""), ("topic_173", "1")]].concat();
        let reply = browser.send(form_post("/api/admin/campaigns/picked", &only_cooking, "en")).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{backend}: {}", reply.text());
        assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "204", "{backend}: unticked");

        // Refused forms keep their ticks: a fault of the campaign, and one
        // of the form itself (a cap that is no number).
        for (field, value) in [("link", "javascript:alert(1)"), ("daily_cap", "lots")] {
            let mut fields = [base.as_slice(), &[("topic_369", "1"), ("topic_173", "1")]].concat();
            fields.retain(|(name, _)| *name != field);
            fields.push((field, value));
            let reply = browser.send(form_post("/api/admin/campaigns/picked", &fields, "en")).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}: {field}");
            let html = reply.text();
            assert!(html.contains(&format!("id=\"campaign-{field}-error\"")), "{backend}: {field}: {html}");
            for id in [369, 173] {
                assert!(html.contains(&format!("name=\"topic_{id}\" value=\"1\" checked")), "{backend}: {field}");
            }
        }
    }
}

#[tokio::test]
async fn faults_are_refused_on_their_fields_and_html_is_sanitised() {
    for (backend, store) in stores().await {
        let mut browser = browser(store.clone());
        let csrf = sign_in(&mut browser, "boss@example.com", true).await;

        // A declared id, by form, in German: the page again, the error next to the id.
        let form = [
            ("csrf", csrf.as_str()),
            ("id", "declared-house"),
            ("advertiser", "Someone"),
            ("link", "https://someone.example/"),
            ("kind", "image"),
            ("text", "Hi"),
        ];
        let reply = browser.send(form_post("/api/admin/campaigns", &form, "de")).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        let html = reply.text();
        assert!(html.contains("id=\"campaign-id-error\""), "{backend}: {html}");
        assert!(
            html.contains("Kennung: Eine in crumb.toml deklarierte Kampagne hat diese Kennung."),
            "{backend}: {html}"
        );
        assert!(html.contains("aria-invalid=\"true\""), "{backend}");
        assert!(html.contains("value=\"https://someone.example/\""), "{backend}: what was typed stays");

        // The same by JSON, and the other faults: problems naming the field.
        for (change, field) in [
            (json!({"id": "declared-house"}), "id"),
            (json!({"topics": [9999]}), "topics"),
            (json!({"topics": ["Knitting for cats"]}), "topics"),
            (json!({"link": "javascript:alert(1)"}), "link"),
            (json!({"image": "javascript:alert(1)"}), "image"),
            (json!({"end": "2026-01-01", "start": "2026-02-01"}), "end"),
            (json!({"slots": ["a b"]}), "slots"),
        ] {
            let mut body = bikes_json("faulty");
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let reply = browser.send(json_request("POST", "/api/admin/campaigns", Some(body), Some(&csrf))).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}: {change}: {}", reply.text());
            let problem = reply.json();
            assert!(problem["detail"].as_str().unwrap().starts_with(&format!("{field}: ")), "{backend}: {problem}");
        }
        // A javascript: link by form: the page, the error by the link.
        let mut bad_link = form;
        bad_link[1] = ("id", "new-one");
        bad_link[3] = ("link", "javascript:alert(1)");
        let html = browser.send(form_post("/api/admin/campaigns", &bad_link, "en")).await.text();
        assert!(
            html.contains("id=\"campaign-link-error\"") && html.contains("must be an http:// or https:// address"),
            "{backend}: {html}"
        );
        let site = browser.state.config.site_name.clone();
        assert!(store.stored_campaigns(&site).await.unwrap().is_empty(), "{backend}: nothing stored");

        // Script in an HTML creative: sanitised before it is stored or served.
        let mut body = bikes_json("html-ad");
        body.as_object_mut().unwrap().remove("text");
        body["html"] =
            json!("<p onclick=\"steal()\">Bikes<script>steal()</script><a href=\"javascript:x()\">go</a></p>");
        let reply = browser.send(json_request("POST", "/api/admin/campaigns", Some(body), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {}", reply.text());
        assert_eq!(reply.json()["html"], "<p>Bikesgo</p>", "{backend}");
        let served = browser.get("/api/ad?slot=sidebar&url=%2Fblog%2Fbikes").await.json();
        let html = served["html"].as_str().unwrap();
        assert!(
            !html.contains("script") && !html.contains("onclick") && !html.contains("javascript"),
            "{backend}: {html}"
        );
        // The form shows the sanitised preview of what it was given.
        let preview_form = [
            ("csrf", csrf.as_str()),
            ("id", ""),
            ("advertiser", "A"),
            ("link", "https://a.example/"),
            ("kind", "html"),
            ("html", "<b>Bold</b><script>alert(1)</script>"),
        ];
        let html = browser.send(form_post("/api/admin/campaigns", &preview_form, "en")).await.text();
        assert!(
            html.contains("id=\"campaign-preview\"") && html.contains("<div class=\"card\"><b>Bold</b></div>"),
            "{backend}: {html}"
        );
        assert!(!html.contains("<script>alert(1)"), "{backend}: the script is not on the page");
    }
}

#[tokio::test]
async fn only_administrators_with_the_csrf_token_change_campaigns() {
    for (backend, store) in stores().await {
        let mut browser = browser(store.clone());
        assert_eq!(browser.get("/api/admin/campaigns").await.status, StatusCode::UNAUTHORIZED, "{backend}");
        assert_eq!(browser.get("/admin/campaigns").await.status, StatusCode::UNAUTHORIZED, "{backend}");
        let reply = browser.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("x")), None)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{backend}");

        let csrf = sign_in(&mut browser, "user@example.com", false).await;
        assert_eq!(browser.get("/api/admin/campaigns").await.status, StatusCode::FORBIDDEN, "{backend}");
        assert_eq!(browser.get("/admin/campaigns").await.status, StatusCode::FORBIDDEN, "{backend}");
        let reply =
            browser.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("x")), Some(&csrf))).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{backend}: {}", reply.text());

        let mut admin = browser.sibling();
        let token = sign_in(&mut admin, "boss@example.com", true).await;
        let reply = admin.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("x")), None)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{backend}: no CSRF token");
        let reply =
            admin.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("x")), Some("forged"))).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{backend}: a wrong CSRF token");
        let no_token = [("id", "x"), ("advertiser", "A"), ("link", "https://a.example/"), ("text", "T")];
        let reply = admin.send(form_post("/api/admin/campaigns", &no_token, "en")).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{backend}: a form without its token");
        let site = admin.state.config.site_name.clone();
        assert!(store.stored_campaigns(&site).await.unwrap().is_empty(), "{backend}: nothing stored");
        let reply = admin.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("x")), Some(&token))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: with the token");
        assert_eq!(
            store.stored_campaigns(&site).await.unwrap()[0].created_by,
            store.account_by_email("boss@example.com").await.unwrap().unwrap().user_id
        );
    }
}

/// A store that fails: 503 problems and the index as it was (the ad still
/// served from it); a change that was made but cannot be read back is
/// answered, and the node's index takes it in memory.
#[tokio::test]
async fn store_failures_are_503s_and_leave_the_index_as_it_was() {
    use crumb_store::failing::{FailMode, FailingStore};
    let failing = FailingStore::new(std::sync::Arc::new(crumb_store::sqlite::SqliteStore::open_in_memory().unwrap()));
    let mut browser = browser(std::sync::Arc::new(failing.clone()));
    let csrf = sign_in(&mut browser, "boss@example.com", true).await;
    let reply =
        browser.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("bikes")), Some(&csrf))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());

    let campaign_calls: &[&'static str] =
        &["insert_campaign", "update_campaign", "delete_campaign", "stored_campaigns"];
    failing.restrict_to(Some(campaign_calls));
    failing.set_mode(FailMode::Always);
    assert_eq!(browser.get("/api/admin/campaigns").await.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(browser.get("/admin/campaigns").await.status, StatusCode::SERVICE_UNAVAILABLE);
    let reply = browser.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("b2")), Some(&csrf))).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.text());
    let reply = browser.send(json_request("DELETE", "/api/admin/campaigns/bikes", None, Some(&csrf))).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.text());
    assert!(crumb_server::admin_campaigns::reload(&browser.state).await.is_err());
    assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "bikes", "the index stays as it was");

    // The write goes through but reading the campaigns back fails: the
    // change is made (204) and the index takes it in memory.
    failing.restrict_to(Some(&["stored_campaigns"]));
    let reply = browser.send(json_request("DELETE", "/api/admin/campaigns/bikes", None, Some(&csrf))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text());
    assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "204", "ended at once");
    let reply = browser.send(json_request("POST", "/api/admin/campaigns", Some(bikes_json("b3")), Some(&csrf))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    assert_eq!((reply.json()["id"].as_str(), reply.json()["source"].as_str()), (Some("b3"), Some("admin")));
    assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "b3", "served at once, from memory");
    failing.set_mode(FailMode::Never);
    crumb_server::admin_campaigns::reload(&browser.state).await.unwrap();
    assert_eq!(ad(&mut browser, "sidebar", "/blog/bikes").await, "b3", "and from the store");
}
