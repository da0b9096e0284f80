//! The language a visitor chose is kept from page to page (in the links'
//! `?lang=`, never in a cookie), and the demo's pages and the policy page
//! have a language picker.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{stores, Browser};

/// The `href`s of a page's links.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

#[tokio::test]
async fn a_language_chosen_once_is_carried_to_the_next_page() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let get_in_english =
        |path: &str| Request::get(path).header("accept-language", "en-GB, en;q=0.9").body(Body::empty()).unwrap();
    let home = browser.send(get_in_english("/?lang=de")).await;
    let html = home.text();
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("<script src=\"/crumb.js?lang=de\""), "{html}");
    // Pages linked to, not resources such as the icon.
    let internal: Vec<String> =
        links(&html).into_iter().filter(|l| l.starts_with('/') && !l.starts_with("/favicon")).collect();
    for page in ["/?lang=de", "/products?lang=de", "/about?lang=de", "/policy?lang=de"] {
        assert!(internal.iter().any(|l| l == page), "{page} not in {internal:?}");
    }
    assert!(internal.iter().all(|l| l.contains("lang=de")), "every internal link keeps the language: {internal:?}");
    assert!(
        home.set_cookies().iter().all(|c| !c.contains("lang")),
        "the choice is not stored in a cookie: {:?}",
        home.set_cookies()
    );
    // Following the links, with a browser that still asks for English.
    for page in ["/products?lang=de", "/about?lang=de", "/policy?lang=de"] {
        let html = browser.send(get_in_english(page)).await.text();
        assert!(html.contains("<html lang=\"de\">"), "{page}: {html}");
        assert!(html.contains("href=\"/?lang=de\""), "{page} links home in German");
    }
    let policy = browser.send(get_in_english("/policy?lang=de")).await.text();
    assert!(policy.contains("Cookie-Richtlinie"), "{policy}");
    assert!(policy.contains("Ihre Einwilligung gilt"), "the policy is in German: {policy}");
    // Without a choice, Accept-Language decides, and the links carry that.
    let html = browser.send(get_in_english("/about")).await.text();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("href=\"/products?lang=en\""));
}

#[tokio::test]
async fn the_demo_pages_have_a_labelled_language_picker_with_every_language() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    for page in ["/", "/products", "/about", "/policy"] {
        let html = browser.get(&format!("{page}?lang=pl")).await.text();
        assert_eq!(html.matches("<form class=\"language-picker\" method=\"get\">").count(), 1, "{page}: {html}");
        assert!(html.contains("<label for=\"language-picker\">Język</label>"), "{page}");
        assert!(html.contains("<select id=\"language-picker\" name=\"lang\">"), "{page}");
        assert!(html.contains("<button type=\"submit\">Zmień</button>"), "{page}");
        assert_eq!(html.matches("<option value=").count(), 24, "{page}");
        assert!(html.contains("<option value=\"pl\" lang=\"pl\" selected>Polski</option>"), "{page}");
        assert!(html.contains("<option value=\"ga\" lang=\"ga\">Gaeilge</option>"), "{page}");
        assert!(html.contains("<option value=\"el\" lang=\"el\">Ελληνικά</option>"), "{page}");
    }
    // What the picker sends: the same page with ?lang=.
    let html = browser.get("/products?lang=sl").await.text();
    assert!(html.contains("<html lang=\"sl\">"));
    assert!(html.contains("<option value=\"sl\" lang=\"sl\" selected>Slovenščina</option>"));
}

#[tokio::test]
async fn the_policy_page_of_the_production_layout_has_the_picker_and_keeps_the_language() {
    let (_, store) = stores().await.remove(0);
    let mut config = crumb_core::config::demo();
    config.demo = false;
    let mut browser = Browser::new(config, store);
    let html = browser.get("/policy?lang=lt").await.text();
    assert!(html.contains("<html lang=\"lt\">"));
    assert_eq!(html.matches("<form class=\"language-picker\" method=\"get\">").count(), 1, "{html}");
    assert!(html.contains("<label for=\"language-picker\">Kalba</label>"));
    assert!(html.contains("<option value=\"lt\" lang=\"lt\" selected>Lietuvių</option>"));
    assert!(html.contains("href=\"/policy?lang=lt\""));
    // The consent lifetime is counted in the sentence's case (accusative): 182 days → "182 dienas".
    assert!(html.contains("Jūsų sutikimas galioja 182 dienas"), "{html}");
}

#[tokio::test]
async fn a_site_with_one_language_shows_no_picker() {
    let (_, store) = stores().await.remove(0);
    let mut config = crumb_core::config::demo();
    config.languages = vec![crumb_core::i18n::Language::Fr];
    let mut browser = Browser::new(config, store);
    let html = browser.get("/about?lang=de").await.text();
    assert!(html.contains("<html lang=\"fr\">"), "German is not offered");
    assert!(!html.contains("<form class=\"language-picker\""));
    assert!(html.contains("href=\"/products?lang=fr\""));
}

#[tokio::test]
async fn saving_the_theme_keeps_the_pages_language() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let html = browser.get("/about?lang=hr").await.text();
    assert!(html.contains("<form method=\"post\" action=\"/demo/preferences?lang=hr\">"), "{html}");
    let theme = |browser_lang: &str| {
        Request::post("/demo/preferences?lang=hr")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept-language", browser_lang)
            .body(Body::from("theme=dark"))
            .unwrap()
    };
    // Without preferences consent nothing is saved, and the page stays in Croatian.
    let refused = browser.send(theme("en")).await;
    assert_eq!(refused.headers["location"], "/?preferences=refused&lang=hr");
    assert!(!refused.sets(&browser.state.names.preferences));
    assert_eq!(browser.post_consent(&["preferences"], &[]).await.status, 201);
    let saved = browser.send(theme("en")).await;
    assert_eq!(saved.headers["location"], "/?lang=hr");
    assert!(saved.set_cookies().iter().any(|c| c.contains("lang=hr&theme=dark")), "{:?}", saved.set_cookies());
    // The saved language now holds without ?lang=, whatever the browser asks for.
    let html = browser.send(Request::get("/").header("accept-language", "en").body(Body::empty()).unwrap()).await;
    assert!(html.text().contains("<html lang=\"hr\">"));
}
