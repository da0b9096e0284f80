//! The campaign form's topic picker on `/admin/campaigns`, as an
//! administrator meets it in headless Chromium at a phone's and a
//! desktop's size: the picker and a root topic's section open with a
//! click, a topic is ticked by its label, the form saves, and the list
//! shows the campaign with that topic; editing it shows the tick. The
//! page's accessibility (with the picker open) is checked by axe-core in
//! accessibility.rs. Screenshots go to `CRUMB_SCREENSHOTS_DIR` (else a
//! temporary folder). Needs Chromium; without it it says `SKIPPED` (and
//! fails under `CI=true`).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/pages.rs"]
mod support;

use crumb_browser::browser::{skip_without_chromium, Browser, BrowserOptions};
use crumb_core::interests::{Taxonomy, TopicId};
use fantoccini::Locator;
use support::{js, open, wait_until, SIZES};

async fn click(browser: &Browser, css: &str) {
    browser.client().find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

async fn type_into(browser: &Browser, css: &str, text: &str) {
    let field = browser.client().find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_is_targeted_by_ticking_a_topic_in_the_picker() {
    let test = "a_campaign_is_targeted_by_ticking_a_topic_in_the_picker";
    if skip_without_chromium(test) {
        return;
    }
    let out = match std::env::var_os("CRUMB_SCREENSHOTS_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::env::temp_dir().join(format!("crumb-screenshots-{}", std::process::id())),
    };
    std::fs::create_dir_all(&out).unwrap();
    let site = support::start().await.unwrap();
    let browser = Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap();
    open(&browser, &site, "/").await.unwrap();
    support::accept_all(&browser).await.unwrap();
    support::sign_in_as_admin(&browser, &site).await.unwrap();
    let concerts = Taxonomy::v2().topics().find(|t| t.name == "Concerts & Music Festivals").expect("the topic");
    let root = Taxonomy::v2().get(concerts.root).unwrap();
    assert_ne!(concerts.id, root.id, "a topic under a root");
    let TopicId(id) = concerts.id;
    for (size, width, height) in SIZES {
        browser.client().set_window_size(width, height).await.unwrap();
        open(&browser, &site, "/admin/campaigns?lang=en").await.unwrap();
        let campaign = format!("concerts-{size}");
        type_into(&browser, "#campaign-id", &campaign).await;
        type_into(&browser, "#campaign-name", "Summer concerts").await;
        type_into(&browser, "#campaign-advertiser", "Stages & Co").await;
        type_into(&browser, "#campaign-link", "https://stages.example/").await;
        type_into(&browser, "#campaign-text", "Festival passes, 10% off").await;
        type_into(&browser, "#campaign-slots", "sidebar").await;

        // Folded until asked for: the picker, then the root topic's section.
        let hidden = format!("return !document.querySelector('#campaign-topic-{id}').checkVisibility()");
        assert_eq!(js(&browser, &hidden).await.unwrap(), true, "{size}: folded at first");
        click(&browser, "#campaign-topic-picker > summary").await;
        click(&browser, &format!("#campaign-topic-group-{} > summary", root.id.0)).await;
        wait_until(&browser, &format!("return document.querySelector('#campaign-topic-{id}').checkVisibility()"))
            .await
            .unwrap();
        click(&browser, &format!("label[for=campaign-topic-{id}]")).await;
        assert_eq!(
            js(&browser, &format!("return document.querySelector('#campaign-topic-{id}').checked")).await.unwrap(),
            true
        );
        let shot = browser.client().screenshot().await.unwrap();
        std::fs::write(out.join(format!("admin-campaigns-picker-{size}.png")), shot).unwrap();

        click(&browser, "#campaign-form > button[type=submit]").await;
        wait_until(&browser, &format!("return !!document.getElementById('campaign-row-{campaign}')")).await.unwrap();
        let row = js(&browser, &format!("return document.getElementById('campaign-row-{campaign}').textContent"))
            .await
            .unwrap();
        assert!(
            row.as_str().unwrap().contains("Concerts & Music Festivals"),
            "{size}: the list names the topic: {row}"
        );

        open(&browser, &site, &format!("/admin/campaigns?lang=en&edit={campaign}")).await.unwrap();
        let shown = js(
            &browser,
            &format!(
                "const box = document.querySelector('#campaign-topic-{id}');\
                 return [box.checked, box.checkVisibility(), document.querySelector('#campaign-topics').value]"
            ),
        )
        .await
        .unwrap();
        assert_eq!(shown, serde_json::json!([true, true, ""]), "{size}: editing shows the tick, open");
    }
    eprintln!("screenshots in {}", out.display());
    browser.close().await.unwrap();
}
