//! The site script: `GET /crumb.js?lang=xx` — the banner and the preference
//! centre, with the site's declaration and one language's strings inlined,
//! so a page makes one request for all of it. The CSS travels in the
//! configuration and the script adds it as a style element (with the page's nonce).
//!
//! And the ad-slot filler, `GET /crumb-ad.js` (`web/crumb-ad.js`,
//! docs/ad-slots.md): crumb.js loads it only on a page with a
//! `[data-crumb-ad]` slot, so pages without ads pay nothing for it.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::consent::language_for;
use crate::mount::Mount;
use crate::request_info::LangQuery;
use crate::state::AppState;
use crumb_core::i18n::Language;
use crumb_core::policy::build;

const SCRIPT: &str = include_str!("../../../web/crumb.js");
const CSS: &str = include_str!("../../../web/crumb.css");
const AD_SCRIPT: &str = include_str!("../../../web/crumb-ad.js");

/// The strings the script uses (the policy page's stay on the server).
const SCRIPT_KEYS: &[&str] = &[
    "banner_title",
    "banner_text",
    "accept_all",
    "reject_all",
    "customise",
    "save",
    "close",
    "settings_title",
    "settings_text",
    "always_on",
    "off_gpc",
    "off_dnt",
    "accept_allowed",
    "cookies_in_category",
    "policy_link",
    "saved",
];

/// The script as sent: `web/crumb.js` without its comment lines, its
/// indentation and the spaces next to punctuation (every visitor downloads
/// it; the comments and the layout are for the people who read the file).
/// Only whole-line comments go — a line that starts with `//`, or a
/// `/* … */` that starts a line — so no string or code is touched; the
/// file has no multi-line strings, so each line starts outside a string.
/// A line that ends in `{`, `;` or `,` (and has no `//`, which might start
/// a comment) is joined with the next: a line break there ends nothing.
fn script_as_sent() -> &'static str {
    static STRIPPED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STRIPPED.get_or_init(|| strip(SCRIPT))
}

/// `web/crumb-ad.js` as sent, stripped as [`script_as_sent`] strips crumb.js.
fn ad_script_as_sent() -> &'static str {
    static STRIPPED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    STRIPPED.get_or_init(|| strip(AD_SCRIPT))
}

/// `script` without its comment lines, indentation and needless spaces
/// (see [`script_as_sent`]).
fn strip(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut in_block = false;
    for line in script.lines() {
        let mut line = line.trim();
        if in_block || line.starts_with("/*") {
            match line.find("*/") {
                // The code after a comment's end stays.
                Some(end) => {
                    in_block = false;
                    line = line[end + 2..].trim_start();
                }
                None => {
                    in_block = true;
                    continue;
                }
            }
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        out.push_str(&squeeze(line));
        if !line.ends_with(['{', ';', ',']) || line.contains("//") {
            out.push('\n');
        }
    }
    out
}

/// Characters around which spaces mean nothing in JavaScript. Not `+`, `-`
/// or `/` (`a + +b`, `a - -b` and a regular expression need theirs).
const TIGHT: &[char] = &['{', '}', '(', ')', '[', ']', ';', ',', ':', '=', '<', '>', '!', '&', '|', '?'];

/// One line of code without the spaces next to [`TIGHT`] characters and
/// around a lone `+`, except inside string literals (`"…"` and `'…'`, with their escapes).
fn squeeze(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let chars: Vec<char> = line.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if let Some(q) = quote {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
        } else if c == ' ' {
            let next = chars[i..].iter().copied().find(|&n| n != ' ');
            let prev = out.chars().last();
            let before_tight = next.is_none_or(|n| TIGHT.contains(&n));
            let after_tight = prev.is_none_or(|p| TIGHT.contains(&p));
            // `a + b` is `a+b`, but `a + +b` must not become `a++b`.
            let sign = |s: Option<char>, other: Option<char>| s == Some('+') && other != Some('+');
            if before_tight || after_tight || sign(next, prev) || sign(prev, next) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// `web/crumb.css` on one line: every line of the file is whole rules
/// (it ends in `}`, a test checks), so the line breaks between them go.
fn css_as_sent() -> String {
    CSS.lines().map(str::trim).collect()
}

/// Builds the script for one language.
pub fn render(state: &AppState, language: Language) -> String {
    let strings = language.strings();
    let policy = build(&state.config, language);
    let t: serde_json::Map<String, serde_json::Value> =
        SCRIPT_KEYS.iter().map(|k| ((*k).to_owned(), json!(strings.get(k)))).collect();
    let cats: Vec<serde_json::Value> = policy
        .categories
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.name,
                "desc": c.description,
                // The cookies the script may have to expire: the optional
                // ones that script can reach (not HttpOnly). What each is
                // for the centre reads from the policy.
                "cookies": c.cookies.iter().filter(|k| c.id != "necessary" && !k.http_only).map(|k| {
                    let mut cookie = json!({"name": k.name});
                    // Path "/" and no domain are what the script assumes: not sent.
                    if k.path != "/" {
                        cookie["path"] = json!(k.path);
                    }
                    if k.domain.is_some() {
                        cookie["domain"] = json!(k.domain);
                    }
                    cookie
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    // The addresses the script calls and links, under `[server] prefix`: the
    // script itself names no path. `api` is the API's base: the script adds
    // `consent` and `event` (one prefix sent, not two, for the size budget).
    let mount = Mount::of(&state.config);
    let config = json!({
        "t": t,
        "css": css_as_sent(),
        "cats": cats,
        "api": mount.at("/api/"),
        "policy": mount.at(&format!("/policy?lang={}", language.code())),
        "lang": language.code(),
        "site": state.config.site_name,
        "gpc": state.config.honour_gpc,
        "dnt": state.config.honour_dnt,
        "stats": state.config.analytics.enabled.then(|| json!({
            "cookieless": state.config.analytics.cookieless,
        })),
    });
    // JSON inside a script: "</" must not close the element.
    let config = config.to_string().replace("</", "<\\/");
    script_as_sent().replace("__CRUMB_CONFIG__", &config)
}

/// `GET /crumb.js`.
pub async fn crumb_js(State(state): State<AppState>, headers: HeaderMap, Query(query): Query<LangQuery>) -> Response {
    let language = language_for(&state, &headers, query.lang.as_deref());
    let mut response = render(&state, language).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    // The language can come from the visitor's own cookie as well as from
    // Accept-Language: a shared cache must not hand one visitor's to another.
    response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    response
}

/// `GET /crumb-ad.js`: the slot filler, with the API's base (under
/// `[server] prefix`) inlined. The same for every visitor and language.
pub async fn crumb_ad_js(State(state): State<AppState>) -> Response {
    // A JSON string is a JavaScript string; "</" must not close an element.
    let api = json!(Mount::of(&state.config).at("/api/")).to_string().replace("</", "<\\/");
    let mut response = ad_script_as_sent().replace("\"__CRUMB_API__\"", &api).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `js` without any `/* … */`, whole-line `//` comments and whitespace.
    fn bare(js: &str) -> String {
        let mut rest = js;
        let mut without_blocks = String::new();
        while let Some(start) = rest.find("/*") {
            without_blocks.push_str(&rest[..start]);
            rest = rest[start..].find("*/").map_or("", |end| &rest[start + end + 2..]);
        }
        without_blocks.push_str(rest);
        without_blocks
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .flat_map(str::chars)
            .filter(|c| !c.is_whitespace())
            .collect()
    }

    #[test]
    fn the_script_as_sent_differs_from_the_file_only_in_comments_and_whitespace() {
        let sent = script_as_sent();
        assert!(sent.len() < SCRIPT.len());
        assert!(sent.lines().all(|line| !line.starts_with("//") && !line.starts_with("/*") && line == line.trim()));
        assert_eq!(bare(sent), bare(SCRIPT));
        // An inline comment inside code is code's own business: it stays.
        assert!(sent.contains("catch(e){/* no URLSearchParams"));
        // Strings keep their spaces.
        assert!(sent.contains("\" — \"+k.purpose+\" (\""), "{sent}");
    }

    #[test]
    fn the_ad_script_as_sent_differs_from_the_file_only_in_comments_and_whitespace() {
        let sent = ad_script_as_sent();
        assert!(sent.len() < AD_SCRIPT.len());
        assert_eq!(bare(sent), bare(AD_SCRIPT));
        assert_eq!(sent.matches("\"__CRUMB_API__\"").count(), 1, "one placeholder for the API's base");
    }

    #[test]
    fn the_css_is_sent_on_one_line_and_only_its_line_breaks_go() {
        assert!(CSS.lines().all(|line| line.trim().is_empty() || line.trim_end().ends_with('}')), "whole rules a line");
        let sent = css_as_sent();
        assert!(!sent.contains('\n'));
        assert_eq!(sent, CSS.lines().map(str::trim).collect::<Vec<_>>().concat());
    }

    #[test]
    fn squeezing_keeps_strings_and_signs() {
        assert_eq!(squeeze(r#"if (a === "x = y") { b = a + +c + d; }"#), r#"if(a==="x = y"){b=a+ +c+d;}"#);
        assert_eq!(squeeze(r#"x = 'it\'s ( ok'; y = z ? 1 : 2"#), r#"x='it\'s ( ok';y=z?1:2"#);
        assert_eq!(squeeze("return / 2 /.test(s) && q - -1"), "return / 2 /.test(s)&&q - -1");
    }
}
