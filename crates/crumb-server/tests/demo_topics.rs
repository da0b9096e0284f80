//! The demo's topic pages and the slot filler over HTTP: `/topics/{name}`
//! renders an article and a reserved `data-crumb-ad` slot (an unknown
//! topic is a 404), the demo's campaigns answer on those pages, and
//! `GET /crumb-ad.js` is served with its type, caching and the API's base
//! under `[server] prefix`. The browser side is crumb-browser's tests/ads.rs.
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::{stores, Browser};
use crumb_core::config;

#[tokio::test]
async fn the_topic_pages_have_their_article_a_reserved_slot_and_a_nav_link() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    for (name, title) in [
        ("bikes", "Cycling to the bakery"),
        ("cooking", "Cooking with biscuits"),
        ("travel", "Biscuits for the journey"),
    ] {
        let page = browser.get(&format!("/topics/{name}?lang=en")).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        let html = page.text();
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{html}");
        assert!(html.contains(r#"<div class="demo-slot" data-crumb-ad="sidebar" data-crumb-ad-size="300x250"></div>"#));
        // The slot is after <main>, not in it (a filled slot is a complementary landmark).
        assert!(html.find("</main>").unwrap() < html.find("data-crumb-ad=").unwrap());
        assert!(html.contains(&format!("<a href=\"/topics/{name}?lang=en\">")), "the nav links to {name}");
        assert!(page.set_cookies().is_empty(), "{name}: {:?}", page.set_cookies());
    }
    // The demo's style sheet reserves the box before any script runs.
    let html = browser.get("/topics/bikes?lang=en").await.text();
    assert!(
        html.contains("[data-crumb-ad-size=\"300x250\"]{display:block;width:100%;max-width:300px;aspect-ratio:300/250")
    );
    let missing = browser.get("/topics/knitting?lang=en").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_demo_declares_its_topic_pages_and_three_campaigns() {
    let demo = config::demo();
    assert!(demo.interests.enabled);
    for (path, topic) in [("/topics/bikes", 369), ("/topics/cooking", 173), ("/topics/travel", 332)] {
        assert_eq!(
            demo.interests.pages.topics_for(path).map(<[_]>::to_vec),
            Some(vec![crumb_core::interests::TopicId(topic)]),
            "{path}"
        );
    }
    let ids: Vec<&str> = demo.campaigns.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["demo-bikes", "demo-cookware", "demo-house"]);
    // Without consent: each page's own campaign, and the shop's own where none targets it.
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    for (page, campaign, basis) in [
        ("%2Ftopics%2Fbikes", "demo-bikes", "context"),
        ("%2Ftopics%2Fcooking", "demo-cookware", "context"),
        ("%2Ftopics%2Ftravel", "demo-house", "none"),
        ("%2F", "demo-house", "none"),
    ] {
        let ad = browser.get(&format!("/api/ad?slot=sidebar&url={page}")).await.json();
        assert_eq!((ad["campaign"].as_str(), ad["basis"].as_str()), (Some(campaign), Some(basis)), "{page}: {ad}");
        assert!(ad["html"].as_str().unwrap().contains("Advertisement · "), "{ad}");
    }
}

#[tokio::test]
async fn the_slot_filler_is_served_with_the_api_base_inlined() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let script = browser.get("/crumb-ad.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(script.headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(script.headers["cache-control"], "public, max-age=3600");
    let text = script.text();
    assert!(text.contains(r#"api="/api/""#), "{text}");
    assert!(!text.contains("__CRUMB_API__"));
    assert!(text.contains("[data-crumb-ad]"));
    // crumb.js loads it, relative to the API's base, only where a slot is.
    let crumb = browser.get("/crumb.js?lang=en").await.text();
    assert!(crumb.contains(
        r#"if(d.querySelector("[data-crumb-ad]"))add(d.head,el("script",{src:C.api+"../crumb-ad.js",nonce:N}));"#
    ));

    let (_, store) = stores().await.remove(0);
    let text = config::DEMO_TOML.replace("[server]\n", "[server]\nprefix = \"/_crumb\"\n");
    let mut prefixed = Browser::new(config::parse(&text, "crumb.toml").unwrap(), store);
    let script = prefixed.get("/_crumb/crumb-ad.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(script.text().contains(r#"api="/_crumb/api/""#));
    assert_eq!(prefixed.get("/crumb-ad.js").await.status, StatusCode::NOT_FOUND);
}
