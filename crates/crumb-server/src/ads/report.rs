//! Ad reports for administrators: `GET /api/reports/ads?from=&to=` (JSON)
//! and `GET /admin/ads` (a page), both from `crumb_core::ads::report`, with
//! the statistics' anonymity floor (`[analytics] min_visitors`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use axum::Json;
use crumb_core::ads::report::{self, AdReport, AdReportError, AdReportRow};
use crumb_core::analytics::report::parse_day;
use crumb_core::i18n::Strings;
use serde::Deserialize;

use super::served::DAY_MILLIS;
use crate::extract::Admin;
use crate::mount::Mount;
use crate::pages::KeptLanguage;
use crate::problem::Problem;
use crate::state::AppState;

/// Days a report covers when the query names none: the last 30, today included.
const DEFAULT_DAYS: i64 = 30;

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD` (both optional).
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    /// The page's language (read by `page_language`).
    #[serde(default, rename = "lang")]
    _lang: Option<String>,
}

/// The Unix days a query asks for.
fn range(query: &ReportQuery, now: i64) -> Result<(i64, i64), Problem> {
    let day = |name: &str, text: &Option<String>| -> Result<Option<i64>, Problem> {
        text.as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| {
                parse_day(t)
                    .map(|at| at.div_euclid(DAY_MILLIS))
                    .ok_or_else(|| Problem::bad_request(format!("{name}={t:?}: use YYYY-MM-DD")))
            })
            .transpose()
    };
    let to = day("to", &query.to)?.unwrap_or(now.div_euclid(DAY_MILLIS));
    let from = day("from", &query.from)?.unwrap_or(to - (DEFAULT_DAYS - 1));
    Ok((from, to))
}

/// The report a query asks for.
async fn build(state: &AppState, query: &ReportQuery) -> Result<AdReport, Problem> {
    let (from, to) = range(query, state.now_millis())?;
    report::report(&state.site, from, to).await.map_err(|error| match error {
        AdReportError::Range(detail) => Problem::bad_request(detail),
        AdReportError::Store(error) => super::unavailable(error),
    })
}

/// `GET /api/reports/ads`: the report as JSON (`from`, `to`, `k`, `rows`,
/// `withheld`; a row: `day`, `campaign`, `basis`, `topic`, `topic_name`,
/// `impressions`, `clicks`, `ctr`, `folded` — `campaign` null on a day's
/// "other" row).
pub async fn json(
    State(state): State<AppState>,
    admin: Admin,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Problem> {
    let report = build(&state, &query).await?;
    Ok(admin.respond(Json(report)))
}

/// The page's content (`web/templates/account/admin_ads.html`).
#[derive(Template)]
#[template(path = "account/admin_ads.html")]
struct AdsPage<'a> {
    mount: Mount<'a>,
    keep: KeptLanguage,
    t: &'static Strings,
    report: AdReport,
}

impl AdsPage<'_> {
    /// The message `key` of the page's language.
    fn tr(&self, key: &'static str) -> &'static str {
        self.t.get(key)
    }

    /// The message `key` with `values` filled in.
    fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        self.t.fill(key, values)
    }

    /// A number as the page's language writes it.
    fn number(&self, n: &u64) -> String {
        self.t.number(*n)
    }

    /// A row's click-through rate, "2.5 %" as the page's language writes it.
    fn ctr(&self, row: &AdReportRow) -> String {
        self.t.fill("percent", &[("n", &self.t.decimal(row.ctr * 100.0, 1))])
    }

    /// A row's basis in the page's language.
    fn basis(&self, row: &AdReportRow) -> &'static str {
        match row.basis.as_deref() {
            Some("interests") => self.tr("admin_ads_basis_interests"),
            Some("context") => self.tr("admin_ads_basis_context"),
            _ => self.tr("admin_ads_basis_none"),
        }
    }
}

/// `GET /admin/ads`: the report as a page.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    admin: Admin,
    Query(query): Query<ReportQuery>,
) -> Result<Response, Problem> {
    let report = build(&state, &query).await?;
    let language = crate::consent::language_for(&state, &headers, None);
    let strings = language.strings();
    let main = AdsPage { mount: Mount::of(&state.config), keep: KeptLanguage::of(language), t: strings, report };
    Ok(admin.respond(Html(crate::pages::page(&state.config, language, strings.get("admin_ads_title"), main))))
}
