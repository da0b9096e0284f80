//! `GET /admin`, the administrators' page: a consent record looked up by
//! its receipt id (`?receipt=`), the decisions per category over the last
//! 30 days, the accounts and administrators, and what the gateway saw
//! beyond the declaration (undeclared cookies, declared ones set beyond
//! their declaration).
//!
//! Decisions per day follow the statistics' anonymity floor
//! (`[analytics] min_visitors`, k): a day with fewer than k decisions shows
//! no breakdown, so that knowing when someone decided does not tell what
//! they chose.
//!
//! Every text is in the reader's language (`admin_*` messages of
//! `web/i18n/pages/<code>.json`), counts in its plural forms and its digits.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use crumb_core::category::Category;
use crumb_store::{ConsentRecord, DecisionCount, GatewaySighting, SightingKind, Store, StoreError};
use serde::Deserialize;

use super::{Embed, KeptLanguage, Moment};
use crate::extract::Admin;
use crate::mount::Mount;
use crate::problem::Problem;
use crate::state::AppState;
use crumb_core::i18n::Strings;

/// Days of decisions the page shows, today included.
pub const DAYS: i64 = 30;
const DAY_MILLIS: i64 = 86_400_000;

/// `?receipt=`.
#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    /// A receipt id to look up.
    #[serde(default)]
    receipt: Option<String>,
}

/// A consent record, as the page shows it.
struct RecordView {
    record: ConsentRecord,
    recorded: Moment,
}

/// One category's decisions on one day (or over all days shown).
struct CategoryCell {
    granted: u64,
    refused: u64,
}

impl CategoryCell {
    /// Decisions about the category.
    fn total(&self) -> u64 {
        self.granted + self.refused
    }

    /// The granted share, in whole percent.
    fn percent(&self) -> u64 {
        (self.granted * 100 + self.total() / 2).checked_div(self.total()).unwrap_or(0)
    }

    /// "12 / 3" as the page's language writes numbers.
    fn shown(&self, t: &Strings) -> String {
        format!("{} / {}", t.number(self.granted), t.number(self.refused))
    }

    /// The granted share, "80 %" as the page's language writes it.
    fn share(&self, t: &Strings) -> String {
        t.fill("percent", &[("n", &t.number(self.percent()))])
    }
}

/// One day's row.
struct DayRow {
    /// `YYYY-MM-DD`.
    day: String,
    /// Records that day.
    decisions: u64,
    /// Per optional category, in the page's column order; empty when
    /// the day is under the floor.
    cells: Vec<CategoryCell>,
}

/// The administrators' page's content (`web/templates/account/admin.html`).
#[derive(Template)]
#[template(path = "account/admin.html")]
struct AdminMain<'a> {
    /// Where the links and the look-up form go (`[server] prefix`).
    mount: Mount<'a>,
    /// The language its links and look-up form keep (`?lang=`).
    keep: KeptLanguage,
    /// The page's messages.
    t: &'static Strings,
    /// "1.234 consent records" in three parts, the number in the middle.
    consents: (String, String, String),
    /// "2 accounts" in three parts.
    accounts: (String, String, String),
    admins: Vec<(String, Moment)>,
    receipt: String,
    /// `None`: nothing looked up; `Some(None)`: no such record.
    found: Option<Option<RecordView>>,
    categories: Vec<String>,
    days: Vec<DayRow>,
    totals: Vec<CategoryCell>,
    k: u64,
    gateway: Embed<GatewaySection>,
}

impl AdminMain<'_> {
    /// The message `key` of the page's language.
    fn tr(&self, key: &'static str) -> &'static str {
        self.t.get(key)
    }

    /// The message `key` with `values` filled in.
    fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        self.t.fill(key, values)
    }

    /// The message `key` in two parts around its placeholder `at`, for markup there.
    fn around(&self, key: &str, at: &str) -> (String, String) {
        self.t.around(key, at, &[])
    }

    /// A number as the page's language writes it.
    fn number(&self, n: &u64) -> String {
        self.t.number(*n)
    }

    /// "2 accounts", in the page's language.
    fn accounts_text(&self) -> String {
        let (before, number, after) = &self.accounts;
        format!("{before}{number}{after}")
    }

    /// A record's decision (`given`, `updated`, `withdrawn`) in the page's language.
    fn action(&self, record: &ConsentRecord) -> &'static str {
        use crumb_store::ConsentAction;
        self.tr(match record.action {
            ConsentAction::Given => "admin_action_given",
            ConsentAction::Updated => "admin_action_updated",
            ConsentAction::Withdrawn => "admin_action_withdrawn",
        })
    }

    /// Whether a privacy signal was sent, in the page's language.
    fn sent(&self, sent: &bool) -> &'static str {
        self.tr(if *sent { "admin_sent" } else { "admin_not_sent" })
    }
}

/// One gateway sighting, as the page shows it.
pub struct SightingRow {
    /// The cookie's name.
    pub name: String,
    /// "undeclared", or how it goes beyond its declaration.
    pub finding: String,
    /// Its `Domain` ("" for host-only or unknown).
    pub domain: String,
    /// Its `Path` ("" for unknown).
    pub path: String,
    /// Times seen.
    pub count: u64,
    /// First seen.
    pub first: Moment,
    /// Last seen.
    pub last: Moment,
    /// A request path where it was seen.
    pub sample_path: String,
}

impl SightingRow {
    /// The row of sighting `s`, its finding in the language of `t`.
    fn of(s: GatewaySighting, t: &Strings) -> Self {
        SightingRow {
            finding: match s.kind {
                SightingKind::Undeclared => t.get("admin_gw_undeclared").to_owned(),
                SightingKind::BeyondDeclaration => s.detail,
            },
            name: s.name,
            domain: s.domain,
            path: s.path,
            count: s.count,
            first: Moment::at(s.first_seen),
            last: Moment::at(s.last_seen),
            sample_path: s.sample_path,
        }
    }
}

/// The section on what the gateway saw (`web/templates/account/admin_gateway.html`).
#[derive(Template)]
#[template(path = "account/admin_gateway.html")]
pub struct GatewaySection {
    rows: Vec<SightingRow>,
    /// Whether crumb runs as a gateway (the empty state says how to see cookies if not).
    gateway: bool,
    /// The page's messages.
    t: &'static Strings,
}

impl GatewaySection {
    /// The message `key` of the page's language.
    fn tr(&self, key: &'static str) -> &'static str {
        self.t.get(key)
    }

    /// A number as the page's language writes it.
    fn number(&self, n: &u64) -> String {
        self.t.number(*n)
    }
}

/// The site's gateway sightings, most recent first (findings in English).
pub async fn gateway_rows(store: &dyn Store, site: &str) -> Result<Vec<SightingRow>, StoreError> {
    gateway_rows_in(store, site, crumb_core::i18n::Language::En.strings()).await
}

/// The site's gateway sightings, most recent first, with their findings in the language of `t`.
async fn gateway_rows_in(store: &dyn Store, site: &str, t: &Strings) -> Result<Vec<SightingRow>, StoreError> {
    Ok(store.gateway_sightings(site).await?.into_iter().map(|s| SightingRow::of(s, t)).collect())
}

/// The section's markup for `rows` (as in a gateway's admin page), in English.
pub fn render_gateway_section(rows: Vec<SightingRow>) -> String {
    super::render(&GatewaySection { rows, gateway: true, t: crumb_core::i18n::Language::En.strings() })
}

/// The rows of the decisions table from the store's counts: per day
/// (newest first) and in total, per category of `categories`.
fn decision_rows(counts: &[DecisionCount], categories: &[Category], k: u64) -> (Vec<DayRow>, Vec<CategoryCell>) {
    let mut per_day: BTreeMap<i64, (u64, Vec<CategoryCell>)> = BTreeMap::new();
    let fresh = || categories.iter().map(|_| CategoryCell { granted: 0, refused: 0 }).collect::<Vec<_>>();
    let mut totals = fresh();
    for count in counts {
        let (decisions, cells) = per_day.entry(count.day).or_insert_with(|| (0, fresh()));
        *decisions += count.count;
        for (i, category) in categories.iter().enumerate() {
            let id = category.id();
            if count.granted.iter().any(|g| g == id) {
                cells[i].granted += count.count;
                totals[i].granted += count.count;
            } else if count.refused.iter().any(|r| r == id) {
                cells[i].refused += count.count;
                totals[i].refused += count.count;
            }
        }
    }
    let days: Vec<DayRow> = per_day
        .into_iter()
        .rev()
        .map(|(day, (decisions, cells))| DayRow {
            day: Moment::at(day).iso.chars().take(10).collect(),
            decisions,
            cells: if decisions >= k { cells } else { Vec::new() },
        })
        .collect();
    let all: u64 = counts.iter().map(|c| c.count).sum();
    // The totals minus the days shown are the days hidden: together they
    // must be none or at least k decisions, like any group shown.
    let hidden: u64 = days.iter().filter(|d| d.cells.is_empty()).map(|d| d.decisions).sum();
    let totals_shown = all >= k && (hidden == 0 || hidden >= k);
    (days, if totals_shown { totals } else { Vec::new() })
}

/// `GET /admin`: the administrators' page (others get 403, signed-out
/// visitors 401, which a browser turns into the sign-in page).
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    admin: Admin,
    Query(query): Query<AdminQuery>,
) -> Result<Response, Problem> {
    let site = &state.config.site_name;
    let consents = state.store.count_consents(site).await?;
    let accounts = state.store.count_accounts().await?;
    let admins = state.store.admin_accounts().await?.into_iter().map(|a| (a.email, Moment::at(a.created_at))).collect();
    let receipt = query.receipt.as_deref().map(str::trim).unwrap_or("").to_owned();
    let found = if receipt.is_empty() {
        None
    } else {
        let record = state.store.consent_by_receipt(&receipt).await?.filter(|r| &r.site == site);
        Some(record.map(|record| RecordView { recorded: Moment::at(record.recorded_at), record }))
    };
    let today = state.now_millis().div_euclid(DAY_MILLIS) * DAY_MILLIS;
    let counts = state.store.consent_decisions_by_day(site, today - (DAYS - 1) * DAY_MILLIS).await?;
    let optional: Vec<Category> = state.config.categories().into_iter().filter(|c| *c != Category::Necessary).collect();
    let k = u64::from(state.config.analytics.min_visitors.max(1));
    let (days, totals) = decision_rows(&counts, &optional, k);
    if state.config.gateway.is_some() {
        // What the gateway tallied since its last flush, so the page is current.
        state.gateway_audit.flush(state.store.as_ref()).await?;
    }
    let language = crate::consent::language_for(&state, &headers, None);
    let strings = language.strings();
    let gateway = GatewaySection {
        rows: gateway_rows_in(state.store.as_ref(), site, strings).await?,
        gateway: state.config.gateway.is_some(),
        t: strings,
    };
    let main = AdminMain {
        mount: Mount::of(&state.config),
        keep: KeptLanguage::of(language),
        t: strings,
        gateway: Embed(gateway),
        consents: strings.count_parts("admin_consent_records", consents),
        accounts: strings.count_parts("admin_accounts", accounts),
        admins,
        receipt,
        found,
        categories: optional.iter().map(|c| strings.get(&format!("cat_{}", c.id())).to_owned()).collect(),
        days,
        totals,
        k,
    };
    Ok(admin.respond(Html(super::page(&state.config, language, strings.get("admin_title"), main))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(day: i64, granted: &[&str], refused: &[&str], count: u64) -> DecisionCount {
        let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
        DecisionCount { day, granted: strings(granted), refused: strings(refused), count }
    }

    #[test]
    fn days_under_the_floor_show_no_breakdown() {
        let categories = [Category::Statistics, Category::Marketing];
        let counts = [
            count(0, &["necessary", "statistics"], &["marketing"], 7),
            count(0, &["necessary"], &["statistics", "marketing"], 3),
            count(DAY_MILLIS, &["necessary", "statistics", "marketing"], &[], 2),
        ];
        let (days, totals) = decision_rows(&counts, &categories, 10);
        assert_eq!(days.len(), 2);
        assert_eq!((days[0].day.as_str(), days[0].decisions, days[0].cells.len()), ("1970-01-02", 2, 0));
        assert_eq!((days[1].day.as_str(), days[1].decisions), ("1970-01-01", 10));
        let statistics = &days[1].cells[0];
        assert_eq!((statistics.granted, statistics.refused, statistics.percent()), (7, 3, 70));
        assert_eq!((days[1].cells[1].granted, days[1].cells[1].refused), (0, 10));
        assert!(totals.is_empty(), "the totals minus the day shown would be the hidden day's 2 decisions");
        // Hidden days of k decisions or more together: the totals are shown.
        let mut more = counts.to_vec();
        more.push(count(2 * DAY_MILLIS, &["necessary"], &["statistics", "marketing"], 8));
        let (days, totals) = decision_rows(&more, &categories, 10);
        assert_eq!(days.iter().filter(|d| d.cells.is_empty()).map(|d| d.decisions).sum::<u64>(), 10);
        assert_eq!((totals[0].granted, totals[0].refused), (9, 11));
        assert_eq!((totals[1].granted, totals[1].refused), (2, 18));
        let (_, totals) = decision_rows(&counts[2..], &categories, 10);
        assert!(totals.is_empty(), "fewer than k decisions in all: no totals");
    }
}
