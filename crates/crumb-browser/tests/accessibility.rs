//! Accessibility measured by a real checker: axe-core (npm `axe-core`),
//! injected into headless Chromium on every page a person sees — the
//! banner, the open preference centre, the policy, the account page signed
//! out and signed in, `/admin`, `/admin/campaigns` and `/dashboard` (as an administrator, with
//! data), `/interests` (with a seeded profile), the same pages in German, Polish and Greek, and the gateway's
//! page for an unreachable site — at a phone's
//! size (390×844) and a desktop's (1366×900). Each
//! must have no violation of the `wcag2a`, `wcag2aa`, `wcag21aa` and
//! `wcag22aa` rules; a failure lists every violation's rule, impact and
//! nodes.
//!
//! axe-core is read from the file `CRUMB_AXE_JS` names (after
//! `npm install axe-core@4`: `node_modules/axe-core/axe.min.js`; `.ci/run`
//! sets it). Without it, or without Chromium, the tests say `SKIPPED`, and
//! under `CI=true` they fail instead.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

#[path = "support/pages.rs"]
mod support;

use crumb_browser::browser::{running_under_ci, skip_without_chromium, Browser, BrowserOptions};
use support::{visit, DemoSite, PAGES, SIZES};

/// The WCAG rule sets checked.
const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"];

/// axe-core's source, or `None` (skip, saying so) when `CRUMB_AXE_JS` is
/// not set; under `CI=true` a missing axe-core fails the test.
fn axe_source(test: &str) -> Option<String> {
    match std::env::var_os("CRUMB_AXE_JS") {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("CRUMB_AXE_JS={}: cannot read it: {e}", path.to_string_lossy())),
        ),
        None => {
            let message = format!(
                "SKIPPED {test}: CRUMB_AXE_JS is not set (npm install axe-core@4, then \
                 CRUMB_AXE_JS=$PWD/node_modules/axe-core/axe.min.js)"
            );
            if running_under_ci() {
                panic!("{message}; under CI=true the accessibility tests must run");
            }
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "{message}");
            None
        }
    }
}

/// What axe-core found on the current page: the number of rules that
/// passed, and each violation as `rule (impact): help — nodes`.
async fn run_axe(browser: &Browser, axe: &str) -> (u64, Vec<String>) {
    let loaded = browser.client().execute(&format!("{axe}\n;return typeof axe === 'object';"), vec![]).await.unwrap();
    assert_eq!(loaded, serde_json::json!(true), "axe-core loaded into the page");
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
          .then(r => done({passes: r.passes.length, violations: r.violations.map(v => ({
              id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' '))}))}))
          .catch(e => done({error: String(e)}));"#;
    let result = browser.client().execute_async(script, vec![serde_json::json!(TAGS)]).await.unwrap();
    assert!(result.get("error").is_none(), "axe-core failed: {result}");
    let violations = result["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let nodes: Vec<&str> = v["nodes"].as_array().unwrap().iter().filter_map(|n| n.as_str()).collect();
            format!("{} ({}): {}\n      {}", v["id"], v["impact"], v["help"], nodes.join("\n      "))
        })
        .collect();
    (result["passes"].as_u64().unwrap_or(0), violations)
}

/// Walks through every page at both sizes and checks those in `checked`
/// with axe-core: asserts that axe ran on each (some rules passed) and
/// that there is no violation.
async fn check(test: &str, checked: &[&str]) {
    if skip_without_chromium(test) {
        return;
    }
    let Some(axe) = axe_source(test) else { return };
    let site: DemoSite = support::start().await.unwrap();
    let browser = Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap();
    let mut found = Vec::new();
    let mut pages_checked = 0;
    for (size, width, height) in SIZES {
        browser.client().set_window_size(width, height).await.unwrap();
        for page in PAGES {
            visit(&browser, &site, page).await.unwrap_or_else(|e| panic!("{page} at {size}: {e:#}"));
            if !checked.contains(&page) {
                continue;
            }
            let (passes, violations) = run_axe(&browser, &axe).await;
            assert!(passes > 0, "{page} at {size}: axe-core checked nothing");
            pages_checked += 1;
            eprintln!("axe: {page} at {size}: {passes} rules passed, {} violated", violations.len());
            found.extend(violations.into_iter().map(|v| format!("{page} at {size} ({width}×{height}): {v}")));
        }
    }
    browser.close().await.unwrap();
    assert_eq!(pages_checked, checked.len() * SIZES.len());
    assert!(found.is_empty(), "axe-core found {} violations:\n  {}", found.len(), found.join("\n  "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violation_on_the_policy_account_and_admin_pages() {
    check(
        "axe_finds_no_violation_on_the_policy_account_and_admin_pages",
        &["policy", "topic-bikes", "account-signed-out", "account", "admin", "admin-campaigns"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violation_on_the_banner_preference_centre_and_dashboard() {
    check(
        "axe_finds_no_violation_on_the_banner_preference_centre_and_dashboard",
        &["banner", "preference-centre", "dashboard", "interests"],
    )
    .await;
}

/// The page a browser gets when crumb, as a gateway, cannot reach the site
/// behind it (502), at both sizes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violation_on_the_gateways_failure_page() {
    let test = "axe_finds_no_violation_on_the_gateways_failure_page";
    if skip_without_chromium(test) {
        return;
    }
    let Some(axe) = axe_source(test) else { return };
    // A port that was bound and let go: nothing answers there.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let text = format!(
        "[site]\nname = \"Test Shop\"\norigins = [\"http://localhost:{port}\"]\npolicy_version = \"1\"\n\
         [contact]\nname = \"Test Shop Ltd\"\naddress = \"2 Example Street\"\nemail = \"privacy@shop.example\"\n\
         [gateway]\nupstream = \"http://{gone}\"\n"
    );
    let config = crumb_core::config::parse(&text, "gateway.toml").unwrap();
    let store = std::sync::Arc::new(crumb_store::sqlite::SqliteStore::open_in_memory().unwrap());
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::generate().unwrap());
    let state = crumb_server::AppState::new(config, store, keys);
    let app = crumb_server::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let browser = Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap();
    let mut found = Vec::new();
    for (size, width, height) in SIZES {
        browser.client().set_window_size(width, height).await.unwrap();
        browser.client().goto(&format!("http://localhost:{port}/")).await.unwrap();
        let heading = browser.client().execute("return document.querySelector('h1').textContent", vec![]).await;
        assert_eq!(heading.unwrap(), serde_json::json!("Site unreachable"), "the 502 page at {size}");
        let (passes, violations) = run_axe(&browser, &axe).await;
        assert!(passes > 0, "gateway failure page at {size}: axe-core checked nothing");
        eprintln!("axe: gateway failure page at {size}: {passes} rules passed, {} violated", violations.len());
        found.extend(violations.into_iter().map(|v| format!("gateway failure page at {size}: {v}")));
    }
    browser.close().await.unwrap();
    assert!(found.is_empty(), "axe-core found {} violations:\n  {}", found.len(), found.join("\n  "));
}

/// The account, administration, campaigns and statistics pages in other languages
/// (`?lang=`): German, Polish and Greek, as an administrator with data, at
/// both sizes — their `lang`, labels and names are the translated ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violation_on_the_pages_in_other_languages() {
    let test = "axe_finds_no_violation_on_the_pages_in_other_languages";
    if skip_without_chromium(test) {
        return;
    }
    let Some(axe) = axe_source(test) else { return };
    let site: DemoSite = support::start().await.unwrap();
    let browser = Browser::launch(&BrowserOptions::detect().unwrap()).await.unwrap();
    // Signed in as the administrator, the banner answered.
    for page in ["banner", "preference-centre", "policy", "account-signed-out", "account"] {
        visit(&browser, &site, page).await.unwrap();
    }
    let paths = [
        ("de", "/account?lang=de".to_owned()),
        ("pl", format!("/admin?lang=pl&receipt={}", support::RECEIPT)),
        ("el", "/admin/campaigns?lang=el&edit=winter-sale".to_owned()),
        ("de", "/dashboard?lang=de".to_owned()),
        ("el", "/dashboard?lang=el".to_owned()),
        ("de", "/interests?lang=de".to_owned()),
    ];
    let mut found = Vec::new();
    for (size, width, height) in SIZES {
        browser.client().set_window_size(width, height).await.unwrap();
        for (lang, path) in &paths {
            support::open(&browser, &site, path).await.unwrap();
            let shown = browser.client().execute("return document.documentElement.lang", vec![]).await.unwrap();
            assert_eq!(shown, serde_json::json!(lang), "{path}");
            let (passes, violations) = run_axe(&browser, &axe).await;
            assert!(passes > 0, "{path} at {size}: axe-core checked nothing");
            eprintln!("axe: {path} at {size}: {passes} rules passed, {} violated", violations.len());
            found.extend(violations.into_iter().map(|v| format!("{path} at {size}: {v}")));
        }
    }
    browser.close().await.unwrap();
    assert!(found.is_empty(), "axe-core found {} violations:\n  {}", found.len(), found.join("\n  "));
}
