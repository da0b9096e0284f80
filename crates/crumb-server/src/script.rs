//! The site script: `GET /crumb.js?lang=xx` — the banner and the preference
//! centre, with the site's declaration and one language's strings inlined,
//! so a page makes one request for all of it. CSS is injected by the script.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::consent::language_for;
use crate::request_info::LangQuery;
use crate::state::AppState;
use crumb_core::i18n::Language;
use crumb_core::policy::build;

const SCRIPT: &str = include_str!("../../../web/crumb.js");
const CSS: &str = include_str!("../../../web/crumb.css");

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
    "refused_gpc",
    "refused_dnt",
    "cookies_in_category",
    "policy_link",
    "saved",
];

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
                "cookies": c.cookies.iter().map(|k| json!({
                    "name": k.name, "purpose": k.purpose, "lifetime": k.lifetime, "path": k.path, "domain": k.domain,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let config = json!({
        "t": t,
        "cats": cats,
        "api": "/api/consent",
        "policy": format!("/policy?lang={}", language.code()),
        "lang": language.code(),
        "site": state.config.site_name,
        "gpc": state.config.honour_gpc,
        "dnt": state.config.honour_dnt,
        "stats": state.config.analytics.enabled.then(|| json!({
            "api": "/api/event",
            "cookieless": state.config.analytics.cookieless,
        })),
    });
    // JSON inside a script: "</" must not close the element.
    let config = config.to_string().replace("</", "<\\/");
    let css = serde_json::to_string(CSS.trim()).unwrap_or_default();
    format!(
        "{}\n(function(){{var s=document.createElement(\"style\"),c=document.currentScript;if(c&&c.nonce)s.nonce=c.nonce;s.textContent={css};document.head.appendChild(s);}})();\n",
        SCRIPT.replace("__CRUMB_CONFIG__", &config)
    )
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
