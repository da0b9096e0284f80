//! The cookie policy, generated from the declaration and the live
//! configuration: `GET /policy` (HTML, per language) and `GET /policy.json`.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::category::{Category, Signals};
use crate::config::{Config, CookieDeclaration, Lifetime, Provider};
use crate::consent::language_for;
use crate::html::escape;
use crate::i18n::{Language, Strings};
use crate::state::AppState;

/// `?lang=xx`.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    /// An explicit language choice.
    pub lang: Option<String>,
}

/// One cookie as the policy states it.
#[derive(Debug, Serialize)]
pub struct PolicyCookie {
    /// Name.
    pub name: String,
    /// Purpose, in the policy's language.
    pub purpose: String,
    /// Lifetime in seconds; `null` for a session cookie.
    pub lifetime_seconds: Option<i64>,
    /// Lifetime in words.
    pub lifetime: String,
    /// Who sets it.
    pub provider: String,
    /// First party or third party.
    pub third_party: bool,
    /// Domain attribute, if any.
    pub domain: Option<String>,
    /// Path.
    pub path: String,
    /// Secure attribute.
    pub secure: bool,
    /// HttpOnly attribute.
    pub http_only: bool,
}

/// One category of the policy.
#[derive(Debug, Serialize)]
pub struct PolicyCategory {
    /// `necessary`, `preferences`, `statistics`, `marketing`.
    pub id: &'static str,
    /// Its name in the policy's language.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether consent is asked (false for necessary).
    pub needs_consent: bool,
    /// The categories a signal turns off.
    pub refused_by: Vec<&'static str>,
    /// Its cookies.
    pub cookies: Vec<PolicyCookie>,
}

/// The whole policy as data.
#[derive(Debug, Serialize)]
pub struct Policy {
    /// Site name.
    pub site: String,
    /// The language of the texts.
    pub language: &'static str,
    /// Languages the policy is available in.
    pub languages: Vec<&'static str>,
    /// Version.
    pub policy_version: String,
    /// What changed.
    pub changes: String,
    /// Days a consent lasts.
    pub consent_lifetime_days: u32,
    /// Whether Global Privacy Control is honoured.
    pub honour_gpc: bool,
    /// Whether Do Not Track is honoured.
    pub honour_dnt: bool,
    /// Contact.
    pub contact: Contact,
    /// Categories and cookies.
    pub categories: Vec<PolicyCategory>,
    /// How statistics are counted (when they are).
    pub statistics: Option<PolicyStatistics>,
}

/// What the policy says about crumb's own statistics.
#[derive(Debug, Serialize)]
pub struct PolicyStatistics {
    /// The anonymity floor k.
    pub min_visitors: u32,
    /// Days raw events are kept.
    pub raw_retention_days: u32,
    /// Whether visits are counted without consent, without a cookie.
    pub cookieless: bool,
}

/// The controller's contact details.
#[derive(Debug, Serialize)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// E-mail.
    pub email: String,
}

fn lifetime_text(lifetime: Lifetime, strings: &Strings) -> String {
    match lifetime {
        Lifetime::Session => strings.get("session").to_owned(),
        Lifetime::Seconds(s) if s % 86_400 == 0 => strings.fill("days", &[("n", &(s / 86_400).to_string())]),
        Lifetime::Seconds(s) => strings.fill("hours", &[("n", &(s as f64 / 3600.0).ceil().to_string())]),
    }
}

fn policy_cookie(declaration: &CookieDeclaration, config: &Config, language: Language) -> PolicyCookie {
    let strings = language.strings();
    let (provider, third_party) = match &declaration.provider {
        Provider::FirstParty => (config.site_name.clone(), false),
        Provider::ThirdParty(name) => (name.clone(), true),
    };
    PolicyCookie {
        name: declaration.name.clone(),
        purpose: declaration.purpose_in(language.code(), config.default_language().code()).to_owned(),
        lifetime_seconds: declaration.lifetime.seconds(),
        lifetime: lifetime_text(declaration.lifetime, strings),
        provider,
        third_party,
        domain: declaration.domain.clone(),
        path: declaration.path.clone(),
        secure: declaration.secure,
        http_only: declaration.http_only,
    }
}

/// Builds the policy in `language`.
pub fn build(config: &Config, language: Language) -> Policy {
    let strings = language.strings();
    let every_signal = Signals { gpc: config.honour_gpc, dnt: config.honour_dnt };
    let categories = config
        .categories()
        .into_iter()
        .map(|category| {
            let gpc_only = Signals { gpc: every_signal.gpc, dnt: false };
            let dnt_only = Signals { gpc: false, dnt: every_signal.dnt };
            let mut refused_by = Vec::new();
            if gpc_only.refuses(category).is_some() {
                refused_by.push("gpc");
            }
            if dnt_only.refuses(category).is_some() {
                refused_by.push("dnt");
            }
            PolicyCategory {
                id: category.id(),
                name: strings.get(&format!("cat_{}", category.id())).to_owned(),
                description: strings.get(&format!("cat_{}_desc", category.id())).to_owned(),
                needs_consent: category != Category::Necessary,
                refused_by,
                cookies: config
                    .cookies
                    .iter()
                    .filter(|d| d.category == category)
                    .map(|d| policy_cookie(d, config, language))
                    .collect(),
            }
        })
        .collect();
    Policy {
        site: config.site_name.clone(),
        language: language.code(),
        languages: config.languages.iter().map(|l| l.code()).collect(),
        policy_version: config.policy_version.clone(),
        changes: config.policy_changes.clone(),
        consent_lifetime_days: config.consent_days,
        honour_gpc: config.honour_gpc,
        honour_dnt: config.honour_dnt,
        statistics: config.analytics.enabled.then_some(PolicyStatistics {
            min_visitors: config.analytics.min_visitors,
            raw_retention_days: config.analytics.raw_retention_days,
            cookieless: config.analytics.cookieless,
        }),
        contact: Contact {
            name: config.contact_name.clone(),
            address: config.contact_address.clone(),
            email: config.contact_email.clone(),
        },
        categories,
    }
}

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
