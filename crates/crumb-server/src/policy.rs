//! The cookie policy, generated from the declaration and the live
//! configuration: `GET /policy` (HTML, per language) and `GET /policy.json`.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use crate::consent::language_for;
use crate::html::escape;
use crate::request_info::LangQuery;
use crate::state::AppState;
use crumb_core::config::Config;
use crumb_core::i18n::Language;
use crumb_core::policy::build;

/// `GET /policy.json`.
pub async fn policy_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Response {
    let language = language_for(&state, &headers, query.lang.as_deref());
    let mut response = Json(build(&state.config, language)).into_response();
    response.headers_mut().insert(header::VARY, header::HeaderValue::from_static("Accept-Language, Cookie"));
    response
}

/// `GET /policy`.
pub async fn policy_html(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LangQuery>,
) -> Response {
    let language = language_for(&state, &headers, query.lang.as_deref());
    let mut response = Html(render(&state.config, language)).into_response();
    response.headers_mut().insert(header::VARY, header::HeaderValue::from_static("Accept-Language, Cookie"));
    response
}

/// Renders the policy page.
pub fn render(config: &Config, language: Language) -> String {
    let policy = build(config, language);
    let s = language.strings();
    let site = escape(&policy.site);
    let site_raw = policy.site.as_str();
    let mut body = String::new();
    body.push_str(&format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        escape(&s.fill("policy_title", &[("site", site_raw)])),
        escape(&s.fill("policy_intro", &[("site", site_raw)]))
    ));
    body.push_str(&format!("<h2>{}</h2>\n<p>{}</p>\n", escape(s.get("what_title")), escape(s.get("what_text"))));
    body.push_str(&format!(
        "<h2>{}</h2>\n<p>{}</p>\n<p><button type=\"button\" data-crumb-open>{}</button></p>\n",
        escape(s.get("choices_title")),
        escape(&s.fill("choices_text", &[("days", &policy.consent_lifetime_days.to_string())])),
        escape(s.get("change_settings"))
    ));
    for category in &policy.categories {
        body.push_str(&format!(
            "<section class=\"category\" id=\"category-{}\">\n<h2>{}</h2>\n<p>{}</p>\n",
            category.id,
            escape(&category.name),
            escape(&category.description)
        ));
        if !category.needs_consent {
            body.push_str(&format!("<p><strong>{}</strong></p>\n", escape(s.get("always_on"))));
        }
        body.push_str(&format!(
            "<table>\n<thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead>\n<tbody>\n",
            escape(s.get("table_name")),
            escape(s.get("table_purpose")),
            escape(s.get("table_lifetime")),
            escape(s.get("table_provider"))
        ));
        for cookie in &category.cookies {
            body.push_str(&format!(
                "<tr data-cookie=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&cookie.name),
                escape(&cookie.name),
                escape(&cookie.purpose),
                escape(&cookie.lifetime),
                escape(&cookie.provider)
            ));
        }
        body.push_str("</tbody>\n</table>\n</section>\n");
    }
    body.push_str(&format!("<h2>{}</h2>\n", escape(s.get("signals_title"))));
    body.push_str(&format!(
        "<p id=\"gpc-stance\">{}</p>\n<p id=\"dnt-stance\">{}</p>\n",
        escape(s.get(if policy.honour_gpc { "gpc_honoured" } else { "gpc_not_honoured" })),
        escape(s.get(if policy.honour_dnt { "dnt_honoured" } else { "dnt_not_honoured" }))
    ));
    if let Some(statistics) = &policy.statistics {
        body.push_str(&format!(
            "<h2>{}</h2>\n<p id=\"statistics\">{}</p>\n<p id=\"cookieless\">{}</p>\n<p id=\"stats-withdraw\">{}</p>\n",
            escape(s.get("stats_title")),
            escape(&s.fill(
                "stats_text",
                &[("k", &statistics.min_visitors.to_string()), ("days", &statistics.raw_retention_days.to_string())]
            )),
            escape(s.get(if statistics.cookieless { "stats_cookieless" } else { "stats_no_cookieless" })),
            escape(s.get("stats_withdraw"))
        ));
    }
    body.push_str(&format!(
        "<h2>{}</h2>\n<p>{}</p>\n<ul>\n",
        escape(s.get("block_title")),
        escape(s.get("block_text"))
    ));
    for browser in ["block_chrome", "block_firefox", "block_safari", "block_edge"] {
        body.push_str(&format!("<li>{}</li>\n", escape(s.get(browser))));
    }
    body.push_str("</ul>\n");
    body.push_str(&format!(
        "<h2>{}</h2>\n<p>{}</p>\n",
        escape(s.get("contact_title")),
        escape(&s.fill(
            "contact_text",
            &[("name", &policy.contact.name), ("address", &policy.contact.address), ("email", &policy.contact.email)]
        ))
    ));
    body.push_str(&format!(
        "<h2>{}</h2>\n<p>{}</p>\n",
        escape(s.get("version_title")),
        escape(&s.fill("version_text", &[("version", &policy.policy_version)]))
    ));
    if !policy.changes.is_empty() {
        body.push_str(&format!("<h3>{}</h3>\n<p>{}</p>\n", escape(s.get("changes_title")), escape(&policy.changes)));
    }
    let languages: String = config
        .languages
        .iter()
        .map(|l| {
            format!(
                "<a href=\"/policy?lang={}\" lang=\"{}\" hreflang=\"{}\">{}</a>",
                l.code(),
                l.code(),
                l.code(),
                escape(l.strings().get("language_name"))
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    crate::demo::page(
        language,
        &s.fill("policy_title", &[("site", site_raw)]),
        &format!("<main id=\"main\">\n{body}<nav aria-label=\"Languages\"><p>{languages}</p></nav>\n</main>"),
        &site,
    )
}
