//! The administrators' ad report (`/admin/ads`) in headless Chromium with
//! axe-core: a table with a caption and header cells, in German and Greek,
//! at a phone's and a desktop's size, with no violation of the `wcag2a`,
//! `wcag2aa`, `wcag21aa` and `wcag22aa` rules; rows under the floor are
//! not shown. Needs Chromium and `CRUMB_AXE_JS` (see accessibility.rs);
//! without them it says `SKIPPED` (and fails under `CI=true`).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/pages.rs"]
mod support;

use crumb_browser::browser::{running_under_ci, skip_without_chromium, Browser, BrowserOptions};
use crumb_store::ads::{AdEvent, AdEventKey};
use support::{visit, DemoSite, SIZES};

const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"];

fn axe_source(test: &str) -> Option<String> {
    match std::env::var_os("CRUMB_AXE_JS") {
        Some(path) => Some(std::fs::read_to_string(&path).unwrap()),
        None => {
            assert!(!running_under_ci(), "SKIPPED {test}: CRUMB_AXE_JS is not set; under CI=true it must run");
            eprintln!("SKIPPED {test}: CRUMB_AXE_JS is not set");
            None
        }
    }
}

/// The number of axe rules that passed, and the violations.
async fn run_axe(browser: &Browser, axe: &str) -> (u64, Vec<String>) {
    let loaded = browser.client().execute(&format!("{axe}\n;return typeof axe === 'object';"), vec![]).await.unwrap();
    assert_eq!(loaded, serde_json::json!(true));
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
          .then(r => done({passes: r.passes.length, violations: r.violations.map(v =>
              v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))}))
          .catch(e => done({error: String(e)}));"#;
    let result = browser.client().execute_async(script, vec![serde_json::json!(TAGS)]).await.unwrap();
    assert!(result.get("error").is_none(), "axe-core failed: {result}");
    let violations =
        result["violations"].as_array().unwrap().iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    (result["passes"].as_u64().unwrap_or(0), violations)
}

async fn seed_ads(site: &DemoSite) {
    let name = crumb_core::config::demo().site_name;
    let day = crumb_cookie::Timestamp::now().unix_micros() / 1000 / 86_400_000;
    let k = u64::from(crumb_core::config::demo().analytics.min_visitors);
    for (campaign, topic, seen, clicks) in [("spring-bikes", Some(369), k + 5, 3), ("house", None, k - 1, 0)] {
        let key = AdEventKey {
            day,
            campaign: campaign.into(),
            slot: "sidebar".into(),
            basis: if topic.is_some() { "context" } else { "none" }.into(),
            topic,
        };
        for _ in 0..seen {
            site.store.record_ad_event(&name, &key, AdEvent::Impression, None).await.unwrap();
        }
        for _ in 0..clicks {
            site.store.record_ad_event(&name, &key, AdEvent::Click, None).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ad_report_is_an_accessible_table_without_rows_under_the_floor() {
    let test = "the_ad_report_is_an_accessible_table_without_rows_under_the_floor";
    if skip_without_chromium(test) {
        return;
    }
    let Some(axe) = axe_source(test) else { return };
    let site = support::start().await.unwrap();
    seed_ads(&site).await;
    let browser = Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap();
    visit(&browser, &site, "account").await.unwrap();
    let mut found = Vec::new();
    for (size, width, height) in SIZES {
        browser.client().set_window_size(width, height).await.unwrap();
        for lang in ["de", "el"] {
            let path = format!("/admin/ads?lang={lang}");
            support::open(&browser, &site, &path).await.unwrap();
            let table = browser
                .client()
                .execute(
                    "const t = document.querySelector('#ads-report'); return t && [t.caption.textContent, \
                     t.querySelectorAll('th[scope=col]').length, t.tBodies[0].rows.length, t.textContent];",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(table[1], 7, "{path}: {table}");
            assert_eq!(table[2], 1, "{path}: only the row at or over the floor: {table}");
            let text = table[3].as_str().unwrap();
            assert!(text.contains("spring-bikes") && !text.contains("house"), "{path}: {text}");
            let (passes, violations) = run_axe(&browser, &axe).await;
            assert!(passes > 0, "{path} at {size}: axe-core checked nothing");
            eprintln!("axe: {path} at {size}: {passes} rules passed, {} violated", violations.len());
            found.extend(violations.into_iter().map(|v| format!("{path} at {size}: {v}")));
        }
    }
    browser.close().await.unwrap();
    assert!(found.is_empty(), "axe-core found {} violations:\n  {}", found.len(), found.join("\n  "));
}
