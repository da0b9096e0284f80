//! The pages' templates: no HTML is built in Rust, values from `crumb.toml`
//! and from requests come out escaped, the production layout links only to
//! pages crumb serves, and every problem type has its page.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{stores, Browser};
use crumb_core::config;
use crumb_server::problem::ProblemKind;

const PASSWORD: &str = "correct horse battery staple";
const HOSTILE: &str = "<script>alert(1)</script>";
/// `HOSTILE` as the templates escape it (askama writes numeric references).
const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// The string literals of a Rust source file (comments skipped; a char
/// literal or a lifetime is not the start of one).
fn string_literals(source: &str) -> Vec<String> {
    let chars: Vec<char> = source.chars().collect();
    let mut literals = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            '\'' => {
                // '\x', '\u{..}', 'c' are chars; anything else is a lifetime.
                if chars.get(i + 1) == Some(&'\\') {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else if chars.get(i + 2) == Some(&'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            'r' if matches!(chars.get(i + 1), Some('"' | '#')) && (i == 0 || !chars[i - 1].is_alphanumeric()) => {
                let mut j = i + 1;
                let mut hashes = 0;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) != Some(&'"') {
                    i += 1;
                    continue;
                }
                let closing: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let rest: String = chars[j + 1..].iter().collect();
                let end = rest.find(&closing).unwrap_or(rest.len());
                literals.push(rest[..end].to_owned());
                i = j + 1 + rest[..end].chars().count() + closing.chars().count();
            }
            '"' => {
                let mut literal = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        literal.push(chars[i]);
                        i += 1;
                    }
                    if let Some(&c) = chars.get(i) {
                        literal.push(c);
                    }
                    i += 1;
                }
                literals.push(literal);
                i += 1;
            }
            _ => i += 1,
        }
    }
    literals
}

fn rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn the_literal_scanner_finds_markup_and_skips_comments() {
    let source = r##"// "<p>" in a comment
        let a = '"'; let b: &'static str = "<div>"; /* "<table>" */ let c = r#"<a href="x">"#;"##;
    assert_eq!(string_literals(source), ["<div>", "<a href=\"x\">"]);
}

#[test]
fn no_html_is_built_in_rust() {
    const MARKUP: [&str; 14] = [
        "<html", "<div", "<p>", "<p ", "<table", "<svg", "<form", "<a ", "<main", "<section", "<li", "<tr", "<td",
        "<h1",
    ];
    let mut files = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    assert!(files.len() > 10, "{files:?}");
    let mut found = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for literal in string_literals(&source) {
            if let Some(tag) = MARKUP.iter().find(|tag| literal.contains(**tag)) {
                found.push(format!("{}: {tag} in {literal:?}", file.display()));
            }
        }
    }
    assert!(found.is_empty(), "HTML built outside web/templates/:\n{}", found.join("\n"));
}

/// The demo declaration with `<script>` in the site's name, a cookie's
/// purpose, the contact and a funnel's name; `demo` on or off.
fn hostile_config(demo: bool) -> crumb_core::Config {
    let text = config::DEMO_TOML
        .replace("name = \"Crumb Demo Shop\"", &format!("name = \"Shop {HOSTILE}\""))
        .replace(
            "purpose.en = \"Set by the demo's statistics script",
            &format!("purpose.en = \"{HOSTILE} Set by the demo's statistics script"),
        )
        .replace("name = \"Crumb Demo Ltd\"", &format!("name = \"Ltd {HOSTILE}\""))
        .replace("demo = true", &format!("demo = {demo}"));
    let text = format!(
        "{text}\n[analytics]\nmin_visitors = 1\n[[analytics.funnel]]\nname = \"Path {HOSTILE}\"\nsteps = [\"/\", \"/products\"]\n"
    );
    config::parse(&text, "crumb.toml").unwrap()
}

fn json_post(path: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .header("origin", "http://localhost:8080")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// Registers `email`, makes it an administrator and signs in.
async fn sign_in_as_admin(browser: &mut Browser, email: &str) {
    let reply = browser
        .send(json_post("/api/account/register", serde_json::json!({"email": email, "password": PASSWORD})))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    let account = browser.state.store.account_by_email(email).await.unwrap().unwrap();
    browser.state.store.set_admin(&account.user_id, true).await.unwrap();
    let reply = browser
        .send(json_post("/api/account/sign-in", serde_json::json!({"email": email, "password": PASSWORD})))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

fn assert_escaped(html: &str, what: &str) {
    assert!(!html.contains(HOSTILE), "{what}: markup from crumb.toml came out as markup:\n{html}");
    assert!(html.contains(ESCAPED), "{what}: the hostile text is not there, escaped:\n{html}");
}

#[tokio::test]
async fn values_from_crumb_toml_and_requests_come_out_escaped() {
    for demo in [false, true] {
        let (_, store) = stores().await.remove(0);
        let mut browser = Browser::new(hostile_config(demo), store);
        let policy = browser.get("/policy").await;
        assert_eq!(policy.status, StatusCode::OK);
        let html = policy.text();
        assert_escaped(&html, "/policy");
        assert!(html.contains(&format!("{ESCAPED} Set by the demo")), "the cookie's purpose: {html}");
        assert!(html.contains(&format!("Ltd {ESCAPED}")), "the contact: {html}");

        let account = browser.get(&format!("/account?notice={}", url_encode(HOSTILE))).await;
        assert_eq!(account.status, StatusCode::OK);
        let html = account.text();
        assert_escaped(&html, "/account");
        // Issue 21 item 11: the page shows only its own notices, never a link's text.
        assert!(!html.contains("id=\"notice\""), "a text the link names is not shown: {html}");
        let known = browser.get("/account?notice=signed-out").await.text();
        assert!(known.contains("<p role=\"status\" id=\"notice\">Signed out.</p>"), "{known}");

        sign_in_as_admin(&mut browser, "root@shop.example").await;
        let admin = browser.get("/admin").await;
        assert_eq!(admin.status, StatusCode::OK);
        assert_escaped(&admin.text(), "/admin");

        let dashboard = browser.get("/dashboard").await;
        assert_eq!(dashboard.status, StatusCode::OK);
        let html = dashboard.text();
        assert_escaped(&html, "/dashboard");
        assert!(html.contains(&format!("<title>Statistics · Shop {ESCAPED}</title>")), "{html}");
        assert!(
            html.contains(&format!(
                "funnel=Path%20%3Cscript%3Ealert%281%29%3C%2Fscript%3E#funnel\">Path {ESCAPED}</a>"
            )),
            "the funnel's link: {html}"
        );
        let asked = browser.get(&format!("/dashboard?funnel={}", url_encode(&format!("Path {HOSTILE}")))).await;
        let html = asked.text();
        assert_eq!(asked.status, StatusCode::OK, "{html}");
        assert!(html.contains(&format!("<caption>Path {ESCAPED}</caption>")), "{html}");
        assert!(!html.contains(HOSTILE));

        // Steps typed in go back into the form's value, escaped.
        let steps = "/\"><script>alert(1)</script>,/products";
        let html = browser.get(&format!("/dashboard?steps={}", url_encode(steps))).await.text();
        assert!(!html.contains(HOSTILE), "{html}");
        assert!(html.contains(&format!("value=\"/&#34;&#62;{ESCAPED},/products\"")), "{html}");
    }
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

/// Every `href="/..."` of a page, without its fragment.
fn local_links(html: &str) -> Vec<String> {
    html.split("href=\"/")
        .skip(1)
        .map(|rest| format!("/{}", &rest[..rest.find('"').unwrap()]))
        .map(|link| link.split('#').next().unwrap().replace("&amp;", "&"))
        .collect()
}

#[tokio::test]
async fn the_production_layout_links_only_to_pages_crumb_serves() {
    let (_, store) = stores().await.remove(0);
    let mut config = config::demo();
    config.demo = false;
    let mut browser = Browser::new(config, store);
    for page in ["/policy", "/account", "/problems/not-found"] {
        let reply = browser.get(page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        let html = reply.text();
        for demo_only in ["href=\"/products\"", "href=\"/about\"", "href=\"/\""] {
            assert!(!html.contains(demo_only), "{page} links to a demo page ({demo_only}) with demo = false:\n{html}");
        }
        assert!(html.contains("href=\"/account\""), "{page}: accounts are enabled, so the layout links to them");
        assert!(html.contains("<script src=\"/crumb.js?lang=en\" nonce=\""), "{page}");
        assert!(html.contains("data-crumb-open"), "{page}: the cookie settings are one click away");
        assert!(html.contains("Crumb Demo Shop"), "{page}: the site's name");
        for link in local_links(&html) {
            let status = browser.get(&link).await.status;
            assert_ne!(status, StatusCode::NOT_FOUND, "{page} links to {link}, which is a 404");
        }
    }
    // Without accounts, no link to them either.
    let (_, store) = stores().await.remove(0);
    let mut config = config::demo();
    config.demo = false;
    config.accounts = None;
    let mut browser = Browser::new(config, store);
    let html = browser.get("/policy").await.text();
    assert!(!html.contains("href=\"/account\""), "{html}");
    assert_eq!(browser.get("/account").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_demo_layout_links_to_the_demo_pages() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    for page in ["/policy", "/account", "/", "/products", "/about"] {
        let reply = browser.get(page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        let html = reply.text();
        // The links keep the page's language (docs/languages.md).
        for link in ["href=\"/products?lang=en\"", "href=\"/about?lang=en\"", "href=\"/?lang=en\""] {
            assert!(html.contains(link), "{page}: the demo layout has {link}");
        }
        for link in local_links(&html) {
            let status = browser.get(&link).await.status;
            assert_ne!(status, StatusCode::NOT_FOUND, "{page} links to {link}, which is a 404");
        }
    }
}

#[tokio::test]
async fn demo_pages_keep_their_scripts_and_forms() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let html = browser.get("/products").await.text();
    assert!(html.contains("<h1>Products</h1>"), "{html}");
    assert!(html.contains("<li>Shortbread</li>"));
    assert!(html.contains("id=\"visitor-status\" data-returning=\"unknown\""));
    assert!(html.contains("<script type=\"text/plain\" data-crumb-category=\"statistics\">"));
    assert!(html.contains("<script type=\"text/plain\" data-crumb-category=\"marketing\">"));
    assert!(html.contains("demo_stats=(\\d+)"), "the script's regular expression is intact");
    assert!(html.contains("name=\"theme\" value=\"light\" checked"));
    assert!(html.contains("<main id=\"main\" data-theme=\"light\">"));
}

#[tokio::test]
async fn every_problem_type_has_its_page() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    for kind in ProblemKind::ALL {
        let path = format!("/problems/{}", kind.slug());
        let reply = browser.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.headers["content-type"], "text/html; charset=utf-8", "{path}");
        let html = reply.text();
        let title = kind.title().replace('\'', "&#39;");
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{path}: {html}");
        assert!(html.contains(&format!("id=\"problem-status\">{}<", kind.status().as_u16())), "{path}");
        assert!(html.contains("id=\"problem-meaning\"") && html.contains("id=\"problem-advice\""), "{path}");
        // Every other type is one link away.
        for other in ProblemKind::ALL {
            assert!(html.contains(&format!("href=\"/problems/{}\"", other.slug())), "{path}: {other:?}");
        }
    }
    let unknown = browser.get("/problems/no-such-type").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.headers["content-type"], "application/problem+json");
    assert_eq!(unknown.json()["type"], "/problems/not-found");
}

#[tokio::test]
async fn the_type_of_a_real_problem_is_a_page() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::demo(store);
    let consent = |content_type: &str, body: &'static str| {
        Request::post("/api/consent")
            .header("content-type", content_type)
            .header("origin", "http://localhost:8080")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .unwrap()
    };
    let problems = [
        browser.get("/no/such/page").await,
        browser.send(consent("application/json", "{not json")).await,
        browser.send(consent("text/plain", "hello")).await,
        browser.send(consent("application/json", r#"{"granted":["nonsense"],"language":"en"}"#)).await,
        browser.get("/admin").await,
        browser.send(Request::delete("/policy").body(Body::empty()).unwrap()).await,
    ];
    let mut statuses = Vec::new();
    for problem in problems {
        assert_eq!(problem.headers["content-type"], "application/problem+json", "{}", problem.text());
        let body = problem.json();
        let kind = body["type"].as_str().unwrap().to_owned();
        assert!(kind.starts_with("/problems/"), "{body}");
        let page = browser.get(&kind).await;
        assert_eq!(page.status, StatusCode::OK, "{kind}");
        let title = body["title"].as_str().unwrap().replace('\'', "&#39;");
        assert!(page.text().contains(&format!("<h1>{title}</h1>")), "{kind}");
        statuses.push(problem.status.as_u16());
    }
    assert_eq!(statuses, [404, 400, 415, 422, 401, 405]);
}
