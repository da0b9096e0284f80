//! The cookie policy, generated from the declaration and the live
//! configuration: `GET /policy` (HTML, per language) and `GET /policy.json`.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use askama::Template;

use crate::consent::language_for;
use crate::pages::language_picker::LanguagePicker;
use crate::pages::Layout;
use crate::request_info::LangQuery;
use crate::state::AppState;
use crumb_core::config::Config;
use crumb_core::i18n::{Language, Strings};
use crumb_core::policy::{build, Policy};

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

/// The policy's statistics section.
struct StatisticsText {
    /// How statistics are counted: the anonymity floor and the retention.
    text: String,
    /// The string that says whether visits are counted without a cookie.
    cookieless_key: &'static str,
    /// The distinct values of a dimension kept per day.
    limit: String,
}

/// The policy's section on interest profiles.
struct InterestsText {
    /// What is stored, around the consent cookie's name.
    stored: (String, String),
    cookie: String,
    /// Epochs, top topics, noise, retention and the floor.
    mechanism: String,
    /// Whether a privacy signal the site honours stops profiling.
    signals: bool,
    /// Where to see and erase it, around the link.
    see: (String, String),
    /// The `/interests` page under the mount.
    page: String,
}

/// The policy page's content (`web/templates/policy.html`).
#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyMain<'a> {
    s: &'static Strings,
    policy: &'a Policy,
    title: String,
    intro: String,
    choices: String,
    gpc_key: &'static str,
    dnt_key: &'static str,
    statistics: Option<StatisticsText>,
    /// Interest profiles (`[interests] enabled`).
    interests: Option<InterestsText>,
    /// The site serves its own ads (`[[campaign]]`).
    contextual_ads: bool,
    contact: String,
    version: String,
    /// The language picker (in the demo's layout, its header has it instead).
    picker: Option<LanguagePicker>,
    /// `[server] development`: the page's footer says "development mode"
    /// (in English in every language: it is for the site's developers).
    development: bool,
}

/// Renders the policy page, in the layout `config` picks (the demo site's
/// when it is served, the production one otherwise).
pub fn render(config: &Config, language: Language) -> String {
    let policy = build(config, language);
    let s = language.strings();
    let site = policy.site.as_str();
    let title = s.fill("policy_title", &[("site", site)]);
    let main = PolicyMain {
        s,
        policy: &policy,
        title: title.clone(),
        intro: s.fill("policy_intro", &[("site", site)]),
        choices: s.fill("choices_text", &[("days", &s.count("consent_days", policy.consent_lifetime_days.into()))]),
        gpc_key: if policy.honour_gpc { "gpc_honoured" } else { "gpc_not_honoured" },
        dnt_key: if policy.honour_dnt { "dnt_honoured" } else { "dnt_not_honoured" },
        statistics: policy.statistics.as_ref().map(|statistics| StatisticsText {
            text: s.fill(
                "stats_text",
                &[
                    ("k", &s.count("stats_visitors", statistics.min_visitors.into())),
                    ("days", &s.count("stats_days", statistics.raw_retention_days.into())),
                ],
            ),
            cookieless_key: if statistics.cookieless { "stats_cookieless" } else { "stats_no_cookieless" },
            limit: s.fill("stats_limit", &[("n", &s.count("stats_values", statistics.max_values_per_day.into()))]),
        }),
        interests: policy.interests.as_ref().map(|interests| InterestsText {
            stored: s.around(
                "interests_policy_stored",
                "cookie",
                &[("topics", &interests.taxonomy_topics.to_string())],
            ),
            cookie: interests.cookie.clone(),
            mechanism: s.fill(
                "interests_policy_mechanism",
                &[("k", &s.count("stats_visitors", interests.min_visitors.into()))],
            ),
            signals: !interests.refused_by.is_empty(),
            see: s.around("interests_policy_see", "link", &[]),
            page: crate::mount::Mount::of(config).at(interests.page),
        }),
        contextual_ads: policy.contextual_ads,
        contact: s.fill(
            "contact_text",
            &[("name", &policy.contact.name), ("address", &policy.contact.address), ("email", &policy.contact.email)],
        ),
        version: s.fill("version_text", &[("version", &policy.policy_version)]),
        picker: match Layout::of(config) {
            Layout::Site => LanguagePicker::new(&config.languages, language),
            Layout::Demo => None,
        },
        development: config.development,
    };
    crate::pages::page(config, language, &title, main)
}
