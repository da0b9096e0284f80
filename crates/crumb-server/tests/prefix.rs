//! crumb under a path prefix (`[server] prefix = "/_crumb"`): its routes
//! answer there and not at the root; every URL it emits (links, form
//! actions, script sources, redirects, problem types, the script's API
//! addresses) carries the prefix; `[gateway] policy_path` serves the
//! policy too; `/.well-known/gpc.json` stays at the root.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{stores, Browser, Reply};
use crumb_core::config;
use crumb_server::problem::ProblemKind;

const PREFIX: &str = "/_crumb";
const PASSWORD: &str = "correct horse battery staple";
const ORIGIN: &str = "http://localhost:8080";
const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

/// The demo declaration under `/_crumb`, with the demo site off (the
/// production layout), the anonymity floor at 1 (so the dashboard's tables
/// have rows, and links), and `extra` appended.
fn prefixed(extra: &str) -> crumb_core::Config {
    let text = config::DEMO_TOML
        .replace("[server]\n", &format!("[server]\nprefix = \"{PREFIX}\"\n"))
        .replace("demo = true", "demo = false");
    config::parse(&format!("{text}\n[analytics]\nmin_visitors = 1\n{extra}"), "crumb.toml").unwrap()
}

/// The same with a gateway whose `policy_path` is `/cookie-policy`.
fn with_policy_path() -> crumb_core::Config {
    prefixed("\n[gateway]\nupstream = \"http://127.0.0.1:9\"\npolicy_path = \"/cookie-policy\"\n")
}

fn post_json(path: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .header("sec-fetch-site", "same-origin")
        .header("user-agent", CHROME)
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn post_form(path: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("origin", ORIGIN)
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn page(path: &str) -> Request<Body> {
    Request::get(path).header("accept", "text/html,application/xhtml+xml").body(Body::empty()).unwrap()
}

/// Registers `email` (an administrator when `admin`) and signs in, all under the prefix.
async fn sign_in(browser: &mut Browser, email: &str, admin: bool) {
    let body = serde_json::json!({"email": email, "password": PASSWORD});
    let reply = browser.send(post_json(&format!("{PREFIX}/api/account/register"), body.clone())).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text());
    if admin {
        let account = browser.state.store.account_by_email(email).await.unwrap().unwrap();
        browser.state.store.set_admin(&account.user_id, true).await.unwrap();
    }
    let reply = browser.send(post_json(&format!("{PREFIX}/api/account/sign-in"), body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
}

/// `&amp;`, `&quot;`, `&#39;`, `&#38;`, `&#x2f;` … in an attribute value, decoded.
fn decode_entities(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&end| end <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every `href`, `src` and `action` attribute in `html`, decoded: each
/// start tag's attributes are read (quoted with `"` or `'`, or unquoted),
/// outside comments, scripts' and styles' text.
fn url_attributes(html: &str) -> Vec<(String, String)> {
    let bytes = html.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(open) = html[i..].find('<').map(|at| i + at) {
        i = open + 1;
        if html[open..].starts_with("<!--") {
            i = html[open..].find("-->").map_or(html.len(), |end| open + end + 3);
            continue;
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name_end =
            html[i..].find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/').map_or(html.len(), |e| i + e);
        let tag = html[i..name_end].to_ascii_lowercase();
        i = name_end;
        // Attributes, up to the tag's `>`.
        loop {
            while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace() || *b == b'/') {
                i += 1;
            }
            match bytes.get(i) {
                None => break,
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(_) => {}
            }
            let name_end =
                html[i..].find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>').map_or(html.len(), |e| i + e);
            let name = html[i..name_end].to_ascii_lowercase();
            i = name_end;
            let value = if bytes.get(i) == Some(&b'=') {
                i += 1;
                match bytes.get(i) {
                    Some(&quote) if quote == b'"' || quote == b'\'' => {
                        let end = html[i + 1..].find(quote as char).map_or(html.len(), |e| i + 1 + e);
                        let value = &html[i + 1..end];
                        i = end + 1;
                        value
                    }
                    _ => {
                        let end =
                            html[i..].find(|c: char| c.is_ascii_whitespace() || c == '>').map_or(html.len(), |e| i + e);
                        let value = &html[i..end];
                        i = end;
                        value
                    }
                }
            } else {
                ""
            };
            if matches!(name.as_str(), "href" | "src" | "action") {
                found.push((name, decode_entities(value)));
            }
        }
        // A script's or a style's text is not markup.
        if tag == "script" || tag == "style" {
            let close = format!("</{tag}");
            i = html[i..].to_ascii_lowercase().find(&close).map_or(html.len(), |end| i + end);
        }
    }
    found
}

#[test]
fn the_attribute_reader_reads_every_quoting_and_skips_scripts() {
    let html = r#"<!-- <a href="/no"> --><a class=x href="/_crumb/a?x=1&amp;y=2">a</a><img src='/i'><form action=/f method=post>
<script nonce="n">var a = '<a href="/not-markup">';</script><A HREF="&#x2f;b">"#;
    let found = url_attributes(html);
    let values: Vec<&str> = found.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(values, ["/_crumb/a?x=1&y=2", "/i", "/f", "/b"]);
}

/// Every URL attribute of `html` (page `what`) is one of crumb's under
/// the prefix, a fragment of the page itself, or another origin's; and at
/// least one is crumb's. The prefixed ones, returned.
fn assert_all_prefixed(html: &str, what: &str) -> Vec<String> {
    let found = url_attributes(html);
    let mut own = Vec::new();
    for (attribute, value) in &found {
        if value.starts_with('#') || value.starts_with("https://") || value.starts_with("mailto:") {
            continue;
        }
        assert!(
            value.starts_with(&format!("{PREFIX}/")),
            "{what}: {attribute}={value:?} is not under {PREFIX}/:\n{html}"
        );
        own.push(value.clone());
    }
    assert!(!own.is_empty(), "{what}: no link to crumb's pages at all:\n{html}");
    own
}

/// Follows every prefixed link and source of a page (not form actions): none is a 404.
async fn assert_links_answer(browser: &mut Browser, html: &str, what: &str) {
    for (attribute, value) in url_attributes(html) {
        if attribute == "action" || !value.starts_with(&format!("{PREFIX}/")) {
            continue;
        }
        let path = value.split('#').next().unwrap_or_default();
        let status = browser.get(path).await.status;
        assert_ne!(status, StatusCode::NOT_FOUND, "{what} links to {path}, which is a 404");
    }
}

fn assert_problem_type_prefixed(reply: &Reply, what: &str) -> String {
    assert_eq!(reply.headers["content-type"], "application/problem+json", "{what}: {}", reply.text());
    let kind = reply.json()["type"].as_str().unwrap().to_owned();
    assert!(kind.starts_with(&format!("{PREFIX}/problems/")), "{what}: type {kind}");
    kind
}

#[tokio::test]
async fn consent_answers_under_the_prefix_and_not_at_the_root() {
    for (backend, store) in stores().await {
        let mut browser = Browser::new(prefixed(""), store);
        let reply = browser
            .send(post_json(
                &format!("{PREFIX}/api/consent"),
                serde_json::json!({"granted": ["statistics"], "language": "en"}),
            ))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{backend}: {}", reply.text());
        let receipt = reply.json()["receipt_url"].as_str().unwrap().to_owned();
        assert!(receipt.starts_with(&format!("{PREFIX}/api/consent/")), "{backend}: {receipt}");
        // crumb's cookies stay on the whole origin: the site's own pages,
        // outside the prefix, are where the banner reads the decision.
        let cookies = reply.set_cookies();
        assert!(!cookies.is_empty(), "{backend}");
        for cookie in &cookies {
            assert!(cookie.split("; ").any(|a| a == "Path=/"), "{backend}: {cookie}");
        }
        let state = browser.get(&format!("{PREFIX}/api/consent")).await;
        assert_eq!(state.status, StatusCode::OK, "{backend}");
        let granted = state.json()["granted"].clone();
        assert!(granted.as_array().unwrap().iter().any(|g| g == "statistics"), "{backend}: {granted}");
        assert_eq!(browser.get(&receipt).await.status, StatusCode::OK, "{backend}: the receipt answers at its URL");
        // Nothing of crumb's at the root.
        let root_post = browser
            .send(post_json("/api/consent", serde_json::json!({"granted": ["statistics"], "language": "en"})))
            .await;
        assert_eq!(root_post.status, StatusCode::NOT_FOUND, "{backend}");
        assert_problem_type_prefixed(&root_post, "POST /api/consent");
        for path in
            ["/api/consent", "/policy", "/policy.json", "/crumb.js", "/account", "/admin", "/dashboard", "/metrics"]
        {
            assert_eq!(browser.get(path).await.status, StatusCode::NOT_FOUND, "{backend}: {path} at the root");
        }
    }
}

#[tokio::test]
async fn the_policy_answers_at_the_prefix_and_at_policy_path() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::new(with_policy_path(), store);
    let under = browser.get(&format!("{PREFIX}/policy?lang=de")).await;
    let chosen = browser.get("/cookie-policy?lang=de").await;
    assert_eq!((under.status, chosen.status), (StatusCode::OK, StatusCode::OK));
    // The same page: only the per-response CSP nonce differs.
    let without_nonce = |html: String| {
        html.split("nonce=\"")
            .enumerate()
            .map(|(i, part)| if i == 0 { part } else { &part[part.find('"').unwrap()..] })
            .collect::<String>()
    };
    assert_eq!(without_nonce(under.text()), without_nonce(chosen.text()));
    assert!(under.text().contains("lang=\"de\""));
    assert_all_prefixed(&chosen.text(), "/cookie-policy");
    // The Global Privacy Control resource is at the origin's root (GPC §4.2), not under the prefix.
    let gpc = browser.get("/.well-known/gpc.json").await;
    assert_eq!(gpc.status, StatusCode::OK);
    assert_eq!(gpc.json()["gpc"], true);
    assert_eq!(browser.get(&format!("{PREFIX}/.well-known/gpc.json")).await.status, StatusCode::NOT_FOUND);
    // Without policy_path, that path is nobody's (the fallback's).
    let (_, store) = stores().await.remove(0);
    let mut plain = Browser::new(prefixed(""), store);
    assert_eq!(plain.get("/cookie-policy").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_link_action_and_source_carries_the_prefix() {
    for (backend, store) in stores().await {
        let mut visitor = Browser::new(with_policy_path(), store);
        // Some statistics, so that the dashboard's tables have rows that link to their filters.
        visitor
            .send(post_json(
                &format!("{PREFIX}/api/consent"),
                serde_json::json!({"granted": ["statistics"], "language": "en"}),
            ))
            .await;
        for path in ["/", "/products"] {
            let event = serde_json::json!({"name": "pageview", "url": format!("{ORIGIN}{path}"), "referrer": "https://news.example/"});
            let reply = visitor.send(post_json(&format!("{PREFIX}/api/event"), event)).await;
            assert_eq!(reply.status, StatusCode::ACCEPTED, "{backend}: {}", reply.text());
        }
        let mut signed_out = visitor.sibling();
        let mut pages = vec![format!("{PREFIX}/policy"), format!("{PREFIX}/account"), "/cookie-policy".to_owned()];
        pages.extend(ProblemKind::ALL.iter().map(|kind| format!("{PREFIX}/problems/{}", kind.slug())));
        for path in &pages {
            let reply = signed_out.send(page(path)).await;
            assert_eq!(reply.status, StatusCode::OK, "{backend}: {path}");
            assert_all_prefixed(&reply.text(), path);
            assert_links_answer(&mut signed_out, &reply.text(), path).await;
        }
        // The signed-out account page has its forms under the prefix.
        let html = signed_out.send(page(&format!("{PREFIX}/account"))).await.text();
        let actions: Vec<String> =
            url_attributes(&html).into_iter().filter(|(a, _)| a == "action").map(|(_, v)| v).collect();
        assert!(actions.contains(&format!("{PREFIX}/api/account/sign-in")), "{backend}: {actions:?}");

        // Signed in, as an administrator: the account, admin and dashboard pages.
        let mut admin = visitor.sibling();
        sign_in(&mut admin, "admin@shop.example", true).await;
        let day = "2026-05-28";
        for path in [
            format!("{PREFIX}/account"),
            format!("{PREFIX}/admin"),
            format!("{PREFIX}/dashboard?from={day}&to={day}"),
            format!("{PREFIX}/dashboard?from={day}&to={day}&page=%2Fproducts&browser=Chrome"),
        ] {
            let reply = admin.send(page(&path)).await;
            assert_eq!(reply.status, StatusCode::OK, "{backend}: {path}: {}", reply.text());
            let own = assert_all_prefixed(&reply.text(), &path);
            assert_links_answer(&mut admin, &reply.text(), &path).await;
            if path.contains("dashboard") {
                // A table row links to its filter, the exports follow the filters.
                assert!(
                    own.iter().any(|u| u.starts_with(&format!("{PREFIX}/dashboard?from={day}&to={day}&"))),
                    "{backend}: {own:?}"
                );
                assert!(own.iter().any(|u| u.starts_with(&format!("{PREFIX}/api/stats.csv?"))), "{backend}: {own:?}");
            }
            if path.ends_with("/account") {
                assert!(own.contains(&format!("{PREFIX}/api/account/sign-out")), "{backend}: {own:?}");
                assert!(
                    own.iter().any(|u| u.starts_with(&format!("{PREFIX}/api/account/devices/"))),
                    "{backend}: {own:?}"
                );
            }
        }
        // A problem a browser gets as a page links to its type's page under the prefix.
        let reply = admin.send(page(&format!("{PREFIX}/api/consent/no-such-receipt"))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{backend}");
        assert_all_prefixed(&reply.text(), "the not-found page");
        assert!(reply.text().contains(&format!("href=\"{PREFIX}/problems/not-found\"")), "{backend}");
    }
}

#[tokio::test]
async fn every_problem_names_a_type_under_the_prefix() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::new(prefixed(""), store);
    let mut replies = vec![
        ("an unknown path outside the prefix", browser.get("/nowhere").await),
        ("an unknown path under the prefix", browser.get(&format!("{PREFIX}/nowhere")).await),
        ("an unknown receipt", browser.get(&format!("{PREFIX}/api/consent/nope")).await),
        (
            "an unknown category",
            browser.send(post_json(&format!("{PREFIX}/api/consent"), serde_json::json!({"granted": ["nope"]}))).await,
        ),
        ("a body that is not JSON", {
            let request = Request::post(format!("{PREFIX}/api/consent"))
                .header("content-type", "application/json")
                .header("origin", ORIGIN)
                .body(Body::from("{"))
                .unwrap();
            browser.send(request).await
        }),
        ("a method the endpoint does not take", {
            browser.send(Request::delete(format!("{PREFIX}/policy")).body(Body::empty()).unwrap()).await
        }),
        ("signed out", browser.get(&format!("{PREFIX}/api/stats")).await),
        ("another host (the Host check, outside the handlers)", {
            let request = Request::get(format!("{PREFIX}/policy"))
                .header("host", "rebind.evil:8080")
                .body(Body::empty())
                .unwrap();
            browser.send(request).await
        }),
    ];
    replies.push(("the metrics without a token", browser.get(&format!("{PREFIX}/metrics")).await));
    let mut kinds = std::collections::BTreeSet::new();
    for (what, reply) in &replies {
        assert!(reply.status.is_client_error(), "{what}: {}", reply.status);
        let kind = assert_problem_type_prefixed(reply, what);
        // The type is a page.
        assert_eq!(browser.get(&kind).await.status, StatusCode::OK, "{what}: {kind}");
        kinds.insert(kind);
    }
    assert!(kinds.len() >= 5, "several kinds of problem were seen: {kinds:?}");
    // The advice on a type's page names crumb's endpoints under the prefix.
    let html = browser.get(&format!("{PREFIX}/problems/{}", ProblemKind::NotSignedIn.slug())).await.text();
    assert!(html.contains(&format!("POST {PREFIX}/api/account/sign-in, or the form at {PREFIX}/account)")), "{html}");
}

#[tokio::test]
async fn a_signed_out_page_request_goes_to_the_prefixed_sign_in_and_back() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::new(prefixed(""), store);
    let reply = browser.send(page(&format!("{PREFIX}/dashboard"))).await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    let location = reply.headers["location"].to_str().unwrap().to_owned();
    let (path, query) = location.split_once('?').unwrap();
    assert_eq!(path, format!("{PREFIX}/account"));
    let back: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    assert_eq!(back, [("return".to_owned(), format!("{PREFIX}/dashboard"))]);
    // The sign-in page keeps the return path, and signing in goes back there.
    let html = browser.send(page(&location)).await.text();
    assert!(html.contains(&format!("name=\"return\" value=\"{PREFIX}/dashboard\"")), "{html}");
    let body = serde_json::json!({"email": "someone@shop.example", "password": PASSWORD});
    let registered = browser.send(post_json(&format!("{PREFIX}/api/account/register"), body)).await;
    assert_eq!(registered.status, StatusCode::ACCEPTED);
    let form =
        format!("email=someone%40shop.example&password={}&return=%2F_crumb%2Fdashboard", PASSWORD.replace(' ', "+"));
    let reply = browser.send(post_form(&format!("{PREFIX}/api/account/sign-in"), &form)).await;
    assert!(reply.status.is_redirection(), "{}: {}", reply.status, reply.text());
    assert_eq!(reply.headers["location"], format!("{PREFIX}/dashboard").as_str());
    // A form's plain answer goes to the prefixed account page.
    let account = browser.get(&format!("{PREFIX}/api/account")).await.json();
    let csrf = account["csrf_token"].as_str().unwrap();
    let reply = browser.send(post_form(&format!("{PREFIX}/api/account/sign-out"), &format!("csrf={csrf}"))).await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    assert!(
        reply.headers["location"].to_str().unwrap().starts_with(&format!("{PREFIX}/account")),
        "{:?}",
        reply.headers
    );
}

#[tokio::test]
async fn a_return_path_off_the_site_is_still_refused() {
    use crumb_server::auth::safe_return;
    // Paths on the site, crumb's under the prefix or the site's own, are returned to.
    for good in ["/_crumb/dashboard", "/_crumb/admin?receipt=x", "/shop/basket"] {
        assert_eq!(safe_return(good), Some(good));
    }
    for bad in
        ["//evil.example/_crumb/dashboard", "/\\evil.example", "https://evil.example/_crumb/", "_crumb/dashboard"]
    {
        assert_eq!(safe_return(bad), None, "{bad}");
    }
    // Through the sign-in form: an off-site return path is dropped.
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::new(prefixed(""), store);
    let body = serde_json::json!({"email": "someone@shop.example", "password": PASSWORD});
    browser.send(post_json(&format!("{PREFIX}/api/account/register"), body)).await;
    let form =
        format!("email=someone%40shop.example&password={}&return=%2F%2Fevil.example%2F", PASSWORD.replace(' ', "+"));
    let reply = browser.send(post_form(&format!("{PREFIX}/api/account/sign-in"), &form)).await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    let location = reply.headers["location"].to_str().unwrap();
    assert!(location.starts_with(&format!("{PREFIX}/account")), "{location}");
}

#[tokio::test]
async fn the_script_calls_the_prefixed_api() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::new(prefixed(""), store);
    let reply = browser.get(&format!("{PREFIX}/crumb.js?lang=en")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let script = reply.text();
    // The API's base (the script adds `consent` and `event`) and the policy.
    for address in [format!("\"api\":\"{PREFIX}/api/\""), format!("\"policy\":\"{PREFIX}/policy?lang=en\"")] {
        assert!(script.contains(&address), "{address} is not in the script");
    }
    for call in ["fetch(C.api+\"consent\"", "fetch(C.api+\"event\"", "sendBeacon(C.api+\"event\""] {
        assert!(script.contains(call), "{call} is not in the script");
    }
    // No address of crumb's without the prefix.
    for bare in ["\"/api/", "\"/policy"] {
        assert!(!script.contains(bare), "the script names {bare}… outside the prefix");
    }
}

#[tokio::test]
async fn probes_answer_under_the_prefix_and_at_the_root_and_metrics_only_under_it() {
    let (_, store) = stores().await.remove(0);
    let mut browser = Browser::new(prefixed(""), store);
    for probe in ["/livez", "/readyz", "/healthz"] {
        for path in [format!("{PREFIX}{probe}"), probe.to_owned()] {
            let request = Request::get(&path).header("host", "10.0.0.7:8080").body(Body::empty()).unwrap();
            assert_eq!(browser.send(request).await.status, StatusCode::OK, "{path} by address");
        }
    }
    // `/metrics` (with its bearer token) is crumb's under the prefix; at the root it is the site's.
    browser.state = browser.state.clone().with_metrics_token(Some("secret-token".to_owned()));
    browser.app = crumb_server::router(browser.state.clone());
    let with_token =
        |path: &str| Request::get(path).header("authorization", "Bearer secret-token").body(Body::empty()).unwrap();
    assert_eq!(browser.send(with_token(&format!("{PREFIX}/metrics"))).await.status, StatusCode::OK);
    assert_eq!(browser.get(&format!("{PREFIX}/metrics")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(browser.send(with_token("/metrics")).await.status, StatusCode::NOT_FOUND);
    // The host check still holds for everything else under the prefix.
    let request = Request::get(format!("{PREFIX}/policy")).header("host", "10.0.0.7:8080").body(Body::empty()).unwrap();
    assert_eq!(browser.send(request).await.status, StatusCode::MISDIRECTED_REQUEST);
}

#[tokio::test]
async fn the_demo_site_stays_at_the_root_and_embeds_the_prefixed_script() {
    let (_, store) = stores().await.remove(0);
    let mut config = prefixed("");
    config.demo = true;
    let mut browser = Browser::new(config, store);
    let reply = browser.get("/products?lang=en").await;
    assert_eq!(reply.status, StatusCode::OK);
    let html = reply.text();
    let found = url_attributes(&html);
    assert!(found.iter().any(|(a, v)| a == "src" && v == &format!("{PREFIX}/crumb.js?lang=en")), "{found:?}");
    assert!(found.iter().any(|(a, v)| a == "href" && v == &format!("{PREFIX}/policy?lang=en")), "{found:?}");
    // The demo's own pages are the site's: at the root.
    assert!(found.iter().any(|(a, v)| a == "href" && v == "/about?lang=en"), "{found:?}");
    assert_links_answer(&mut browser, &html, "/products").await;
}

/// The script's budget (script, CSS, one language and the declaration at
/// most 6 KB gzipped, as `pages.rs` measures at the root) holds under the
/// prefix too, in every language.
#[tokio::test]
async fn the_prefixed_script_fits_the_budget() {
    let (_, store) = stores().await.remove(0);
    let mut config = config::demo();
    config.prefix = PREFIX.to_owned();
    let mut browser = Browser::new(config, store);
    let mut sizes = Vec::new();
    for lang in crumb_core::i18n::codes() {
        let body = browser.get(&format!("{PREFIX}/crumb.js?lang={lang}")).await.body;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut encoder, &body).unwrap();
        let gzipped = encoder.finish().unwrap().len();
        eprintln!("{PREFIX}/crumb.js?lang={lang}: {} bytes, {gzipped} gzipped", body.len());
        sizes.push((lang, gzipped));
    }
    assert_eq!(sizes.len(), 24);
    for (lang, gzipped) in sizes {
        assert!(gzipped <= 6 * 1024, "{lang}: {gzipped} bytes gzipped under {PREFIX}");
    }
}

/// A `policy_path` that crumb already answers at the root (a probe, the
/// GPC resource, a demo page) keeps that answer; the router is still built.
#[tokio::test]
async fn a_policy_path_crumb_answers_already_keeps_its_answer() {
    for (path, demo) in [("/livez", false), ("/.well-known/gpc.json", false), ("/about", true)] {
        let (_, store) = stores().await.remove(0);
        let mut config =
            prefixed(&format!("\n[gateway]\nupstream = \"http://127.0.0.1:9\"\npolicy_path = \"{path}\"\n"));
        config.demo = demo;
        let mut browser = Browser::new(config, store);
        let reply = browser.get(path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(!reply.text().contains("id=\"main\" class=\"policy"), "{path} became the policy");
        let policy = browser.get(&format!("{PREFIX}/policy")).await;
        assert_eq!(policy.status, StatusCode::OK);
        assert!(policy.text().contains("id=\"main\" class=\"policy"), "the policy page is recognised");
    }
}
