//! `crumb scan` end to end, through the built binary: against the test
//! site (`crumb_testsite`, with its declaration) it finds the cookies set
//! before consent and the undeclared ones, honours robots.txt and exits 1;
//! against crumb's own demo (`crumb serve` without a config) it finds
//! nothing wrong in any consent state and exits 0; its JSON and JUnit
//! reports parse, its drafted declaration parses once filled in, and bad
//! input exits 2 with a message; behind the real `crumb serve --upstream`
//! the test site keeps only its script-set undeclared cookie as a finding.
//! The Chromium tests skip loudly without Chromium (and fail under CI=true).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::middleware::Next;

const DECLARATION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../crumb-testsite/crumb.toml");

/// Runs `crumb scan ARGS` on a blocking thread (the test site keeps serving meanwhile).
async fn crumb_scan(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_crumb")).arg("scan").args(args).output().unwrap()
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The test site on a free port, and the paths it was asked for.
async fn testsite() -> (String, Arc<Mutex<Vec<String>>>) {
    let paths = Arc::new(Mutex::new(Vec::new()));
    let record = paths.clone();
    let app = crumb_testsite::router().layer(axum::middleware::from_fn(move |request: Request, next: Next| {
        record.lock().unwrap().push(request.uri().path().to_owned());
        next.run(request)
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/"), paths)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `(cookie, kind)` of a state's violations, sorted.
fn violations(report: &serde_json::Value, state: &str) -> Vec<(String, String)> {
    let state = report["states"].as_array().unwrap().iter().find(|s| s["id"] == state).unwrap();
    let mut found: Vec<(String, String)> = state["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["cookie"].as_str().unwrap().to_owned(), v["kind"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    found
}

fn cookie_names(report: &serde_json::Value, state: &str) -> Vec<String> {
    let state = report["states"].as_array().unwrap().iter().find(|s| s["id"] == state).unwrap();
    state["cookies"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

fn pair(cookie: &str, kind: &str) -> (String, String) {
    (cookie.to_owned(), kind.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_site_in_chromium_has_its_violations_found_and_robots_honoured() {
    if crumb_browser::skip_without_chromium("the_test_site_in_chromium_has_its_violations_found_and_robots_honoured") {
        return;
    }
    let (url, paths) = testsite().await;
    let dir = tempfile::tempdir().unwrap();
    let (report_file, draft_file) = (dir.path().join("report.json"), dir.path().join("crumb.toml"));
    let out = crumb_scan(args(&[
        &url,
        "--config",
        DECLARATION,
        "--format",
        "json",
        "--output",
        report_file.to_str().unwrap(),
        "--write-declaration",
        draft_file.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report = read_json(&report_file);
    assert_eq!(report["mode"], "chromium");
    // Both statistics and marketing cookies before any choice; both mystery
    // cookies undeclared, the script-set one too (only a browser sees it).
    assert_eq!(
        violations(&report, "before-consent"),
        [
            pair("mystery", "undeclared"),
            pair("script_mystery", "undeclared"),
            pair("site_ads", "before-consent"),
            pair("site_stats", "before-consent"),
        ]
    );
    assert_eq!(report["violations"], 4);
    // No crumb banner on the test site: the other states are findings, not crashes.
    let unreached: Vec<&serde_json::Value> =
        report["states"].as_array().unwrap().iter().filter(|s| s["reached"] == false).collect();
    assert_eq!(unreached.len(), report["states"].as_array().unwrap().len() - 1);
    assert!(unreached.iter().all(|s| s["notes"][0].as_str().unwrap().contains("no crumb script")));
    // robots.txt disallows /private/: the link to it was found and left alone.
    let seen = paths.lock().unwrap().clone();
    assert!(seen.contains(&"/robots.txt".to_owned()) && seen.contains(&"/products".to_owned()), "{seen:?}");
    assert!(!seen.iter().any(|p| p.starts_with("/private/")), "{seen:?}");
    assert_eq!(report["states"][0]["disallowed"], serde_json::json!(["/private/page"]));

    // The draft declares what was seen and parses once its placeholders are filled.
    let draft = std::fs::read_to_string(&draft_file).unwrap();
    assert!(crumb_core::config::parse(&draft, "draft").is_err(), "the e-mail placeholder must be filled first");
    let filled = draft.replace("email = \"TODO\"", "email = \"privacy@shop.example\"");
    let config = crumb_core::config::parse(&filled, "draft").unwrap();
    let declared = |name: &str| config.cookies.iter().find(|c| c.name == name).unwrap();
    assert_eq!(declared("mystery").category, crumb_core::category::Category::Marketing);
    assert_eq!(declared("script_mystery").category, crumb_core::category::Category::Marketing);
    assert_eq!(declared("site_stats").category, crumb_core::category::Category::Statistics);
    assert_eq!(declared("site_stats").lifetime, crumb_core::config::Lifetime::Seconds(30 * 86_400));
    assert_eq!(declared("mystery").lifetime, crumb_core::config::Lifetime::Seconds(365 * 86_400));
    assert_eq!(declared("shop_session").lifetime, crumb_core::config::Lifetime::Session);
    assert!(declared("shop_session").http_only && !declared("shop_session").secure);
    assert!(draft.contains("# TODO: category unknown"), "{draft}");
    // Judged against itself, the draft leaves only the cookies set before consent.
    let draft_file = dir.path().join("filled.toml");
    std::fs::write(&draft_file, &filled).unwrap();
    let out =
        crumb_scan(args(&[&url, "--config", draft_file.to_str().unwrap(), "--format", "json", "--max-pages", "3"]))
            .await;
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(violations(&again, "before-consent").iter().all(|(_, kind)| kind == "before-consent"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_site_without_a_browser_reports_junit_and_says_what_it_cannot_see() {
    let (url, paths) = testsite().await;
    let out = crumb_scan(args(&[&url, "--config", DECLARATION, "--format", "junit", "--no-browser"])).await;
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let xml = String::from_utf8(out.stdout).unwrap();
    let document = roxmltree::Document::parse(&xml).unwrap();
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("failures"), Some("3"), "{xml}");
    let failures: Vec<(String, String)> = document
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .map(|n| (n.parent().unwrap().attribute("name").unwrap().to_owned(), n.attribute("type").unwrap().to_owned()))
        .collect();
    assert_eq!(
        failures,
        [
            pair("mystery (127.0.0.1)", "undeclared"),
            pair("site_ads (127.0.0.1)", "before-consent"),
            pair("site_stats (127.0.0.1)", "before-consent"),
        ]
    );
    // Script-set cookies are not seen without a browser, and no state after a choice is reachable.
    assert!(!xml.contains("script_mystery"), "{xml}");
    assert_eq!(document.descendants().filter(|n| n.has_tag_name("skipped")).count(), 4);
    assert!(!paths.lock().unwrap().iter().any(|p| p.starts_with("/private/")));

    let out = crumb_scan(args(&[&url, "--config", DECLARATION, "--no-browser", "--max-pages", "2"])).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("cookies set by scripts were NOT seen"), "{text}");
    assert!(text.contains("2 page(s) visited"), "{text}");
}

/// Scans crumb's demo (`crumb serve` without a config), returning the exit status and the JSON report.
async fn scan_the_demo(extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address) = common::start(dir.path());
    let port = address.rsplit(':').next().unwrap().to_owned();
    let mut list = vec![format!("http://localhost:{port}/"), "--format".into(), "json".into()];
    list.extend(extra.iter().map(|s| (*s).to_owned()));
    let out = crumb_scan(list).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code(), report)
}

fn every_state_reached(report: &serde_json::Value) -> Vec<String> {
    let states = report["states"].as_array().unwrap();
    assert!(states.iter().all(|s| s["reached"] == true), "{report}");
    states.iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_in_chromium_has_no_violation_in_any_state() {
    if crumb_browser::skip_without_chromium("the_demo_in_chromium_has_no_violation_in_any_state") {
        return;
    }
    let (status, report) = scan_the_demo(&[]).await;
    assert_eq!(status, Some(0), "{report}");
    assert_eq!(report["violations"], 0);
    assert_eq!(report["mode"], "chromium");
    assert_eq!(report["declaration"]["kind"], "site", "the declaration is the demo's own policy.json");
    assert_eq!(
        every_state_reached(&report),
        ["before-consent", "reject-all", "only-preferences", "only-statistics", "only-marketing"]
    );
    // The states differ as the choices say: the demo's scripts set their cookies only when allowed.
    assert_eq!(cookie_names(&report, "before-consent"), ["__Host-crumb_session"]);
    assert_eq!(cookie_names(&report, "reject-all"), ["__Host-crumb_consent", "__Host-crumb_session"]);
    assert!(cookie_names(&report, "only-statistics").contains(&"demo_stats".to_owned()), "{report}");
    assert!(cookie_names(&report, "only-marketing").contains(&"demo_ads".to_owned()), "{report}");
    assert!(!cookie_names(&report, "only-marketing").contains(&"demo_stats".to_owned()), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_without_a_browser_has_no_violation_in_any_state() {
    let (status, report) = scan_the_demo(&["--no-browser"]).await;
    assert_eq!(status, Some(0), "{report}");
    assert_eq!(report["violations"], 0);
    assert_eq!(report["mode"], "http");
    assert_eq!(every_state_reached(&report).len(), 5);
    assert_eq!(cookie_names(&report, "reject-all"), ["__Host-crumb_consent", "__Host-crumb_session"]);
    assert!(cookie_names(&report, "only-statistics").contains(&"__Host-crumb_vid".to_owned()), "{report}");
}

#[test]
fn a_scan_that_cannot_run_exits_2_naming_the_fault() {
    let run = |list: &[&str]| Command::new(env!("CARGO_BIN_EXE_crumb")).arg("scan").args(list).output().unwrap();
    let cases: [(&[&str], &str); 7] = [
        // In Chromium when installed, else in the jar: nothing answers either way.
        (&["http://127.0.0.1:9/"], "cannot reach http://127.0.0.1:9/"),
        (&["not a url"], "is not an http:// or https:// URL"),
        (&["ftp://example.com/"], "is not an http:// or https:// URL"),
        (&["http://127.0.0.1:9/", "--no-browser"], "cannot reach http://127.0.0.1:9/"),
        (&["https://127.0.0.1:9/", "--no-browser"], "speaks plain http only"),
        (&["http://127.0.0.1:9/", "--max-pages", "0"], "--max-pages must be at least 1"),
        (&["http://127.0.0.1:9/", "--format", "yaml"], "invalid value 'yaml'"),
    ];
    for (list, message) in cases {
        let out = run(list);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{list:?}: {stderr}");
        assert!(stderr.contains(message), "{list:?}: {stderr}");
    }
    let out = run(&["http://127.0.0.1:9/", "--config", "/nonexistent/crumb.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

/// A site whose robots.txt disallows the first page cannot be scanned: exit 2, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_page_robots_txt_disallows_is_not_scanned() {
    let (url, paths) = testsite().await;
    let out = crumb_scan(args(&[&format!("{url}private/page"), "--no-browser"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be crawled: robots.txt: 1 rule(s)"));
    assert_eq!(*paths.lock().unwrap(), ["/robots.txt"]);
}

/// Without --config, crumb's script tag on the first page names the prefix
/// its routes live under, and the declaration is looked for there; the test
/// site's `/tagged` page names `/_crumb/crumb.js`, which nothing serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crumbs_prefix_is_learnt_from_its_script_tag() {
    let (url, paths) = testsite().await;
    let out = crumb_scan(args(&[&format!("{url}tagged"), "--no-browser", "--format", "json"])).await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let seen = paths.lock().unwrap().clone();
    assert!(seen.contains(&"/_crumb/policy.json".to_owned()), "{seen:?}");
    assert!(seen.contains(&"/_crumb/api/consent".to_owned()), "the choice is posted under the prefix: {seen:?}");
    assert_eq!(report["declaration"]["kind"], "none");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("_crumb/policy.json answered 404") && notes.contains("every cookie is undeclared"),
        "{notes}"
    );
    // crumb is named but does not answer: the states after a choice are findings.
    let reject = &report["states"][1];
    assert_eq!(reject["reached"], false);
    assert!(reject["notes"][0].as_str().unwrap().contains("/_crumb/api/consent answered 404"), "{reject}");
}

/// A cookie a page's image from another host sets is held for that host:
/// Chromium's DevTools list it, and the report calls it third-party.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_party_cookies_are_seen_in_chromium() {
    if crumb_browser::skip_without_chromium("third_party_cookies_are_seen_in_chromium") {
        return;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let page = format!("<!doctype html><title>t</title><img src=\"http://localhost:{port}/pixel\" alt=\"\">");
    let app =
        axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(page) })).route(
            "/pixel",
            axum::routing::get(|| async {
                ([("set-cookie", "tracker=1; Path=/; Max-Age=600; SameSite=None; Secure")], "")
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let out = crumb_scan(args(&[&format!("http://127.0.0.1:{port}/"), "--format", "json"])).await;
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cookies = &report["states"][0]["cookies"];
    assert_eq!(cookies.as_array().unwrap().len(), 1, "{report}");
    assert_eq!(cookies[0]["name"], "tracker");
    assert_eq!(cookies[0]["domain"], "localhost");
    assert_eq!(cookies[0]["third_party"], true);
    assert_eq!(cookies[0]["same_site"], "None");
    assert_eq!(violations(&report, "before-consent"), [pair("tracker", "undeclared")]);
}

/// A free loopback port (bound, read, released; the server binds it next).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The real `crumb serve --config <the test site's declaration> --upstream URL`
/// on `port`, its data under `dir`; returns once it accepts connections.
fn serve_in_front_of(dir: &Path, port: u16, upstream: &str) -> std::process::Child {
    let declaration = std::fs::read_to_string(DECLARATION).unwrap();
    let origins = format!("origins = [\"http://localhost:{port}\", \"http://127.0.0.1:{port}\"]");
    let declaration = declaration
        .replace("origins = [\"http://localhost:8080\", \"http://127.0.0.1:8080\"]", &origins)
        .replace("listen = \"127.0.0.1:8080\"", &format!("listen = \"127.0.0.1:{port}\""));
    assert!(declaration.contains(&origins) && declaration.contains(&format!("127.0.0.1:{port}\"\n")));
    std::fs::write(dir.join("crumb.toml"), declaration).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(["serve", "--config", "crumb.toml", "--upstream", upstream])
        .env_remove("CRUMB_UPSTREAM")
        .env_remove("CRUMB_LISTEN")
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("crumb serve exited before listening: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("crumb serve did not listen on {port}");
}

/// The test site behind the real `crumb serve --upstream`, scanned in
/// Chromium: the cookies the site sets in `Set-Cookie` before consent
/// (site_stats, site_ads) and the undeclared `mystery` are gone; the
/// undeclared `script_mystery`, set by the site's ungated script in the
/// page, is still there and still reported — a gateway works on the wire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_site_behind_the_gateway_loses_its_wire_violations_but_not_its_script_one() {
    if crumb_browser::skip_without_chromium(
        "the_test_site_behind_the_gateway_loses_its_wire_violations_but_not_its_script_one",
    ) {
        return;
    }
    let (upstream, _) = testsite().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || serve_in_front_of(&dir, port, upstream.trim_end_matches('/'))
    })
    .await
    .unwrap();
    let out =
        crumb_scan(args(&[&format!("http://localhost:{port}/"), "--config", DECLARATION, "--format", "json"])).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    assert_eq!(out.status.code(), Some(1), "script_mystery is still a violation: {report}");
    assert_eq!(report["mode"], "chromium");
    // The bare site has four before-consent violations (see the test above);
    // behind the gateway only the script-set one is left, in every state.
    let script_only = [pair("script_mystery", "undeclared")];
    // crumb's banner is on the pages now: every consent state is reached.
    let states = every_state_reached(&report);
    assert_eq!(states, ["before-consent", "reject-all", "only-preferences", "only-statistics", "only-marketing"]);
    for state in &states {
        assert_eq!(violations(&report, state), script_only, "{state}: {report}");
        let names = cookie_names(&report, state);
        assert!(names.contains(&"shop_session".to_owned()), "{state}: {names:?}");
        assert!(!names.contains(&"mystery".to_owned()), "{state}: {names:?}");
    }
    assert_eq!(report["violations"], 5, "{report}");
    assert_eq!(cookie_names(&report, "before-consent"), ["__Host-crumb_session", "script_mystery", "shop_session"]);
    assert_eq!(
        cookie_names(&report, "reject-all"),
        ["__Host-crumb_consent", "__Host-crumb_session", "script_mystery", "shop_session"]
    );
    // A choice lets exactly its category's cookies through, from the wire and from the gated script.
    let statistics = cookie_names(&report, "only-statistics");
    for name in ["site_stats", "script_stats"] {
        assert!(statistics.contains(&name.to_owned()), "{statistics:?}");
    }
    assert!(!statistics.contains(&"site_ads".to_owned()), "{statistics:?}");
    let marketing = cookie_names(&report, "only-marketing");
    assert!(marketing.contains(&"site_ads".to_owned()), "{marketing:?}");
    assert!(!marketing.iter().any(|n| n == "site_stats" || n == "script_stats"), "{marketing:?}");
}
