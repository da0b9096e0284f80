//! Reports: rollups over a date range (and raw events for the part not yet
//! rolled up), merged per dimension, with the anonymity floor applied.
//!
//! The floor: a row with fewer than k distinct visitors is folded into
//! "other"; if "other" itself stays under k, the smallest shown rows are
//! folded into it too (otherwise it could be worked out as the total minus
//! the shown rows), and if it still stays under k it is shown without
//! figures. Totals and time-series points under k are shown without
//! figures as well. Nothing is ever reported per visitor.

use std::collections::{BTreeMap, HashMap, HashSet};

use crumb_cookie::Timestamp;
use crumb_store::analytics::rollup::{self, Dimension, FunnelStep, RolledFunnel};
use crumb_store::analytics::{Counts, Granularity, RollupRow, VisitorSketch, DAY_MILLIS};
use crumb_store::{StoreError, UnixMillis};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::analytics::funnel_steps::{check_funnel_steps, parse_step, MAX_STEPS};
use crate::config::Funnel;
use crate::site::Site;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The request asks for something that is not a report (a date that is
    /// not one, a range too long, an unknown funnel, …).
    #[error("{0}")]
    Query(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A counting task did not finish (the runtime is shutting down).
    #[error("a counting task did not finish")]
    Interrupted,
}

impl ReportError {
    /// A [`ReportError::Query`].
    pub fn query(message: impl Into<String>) -> Self {
        ReportError::Query(message.into())
    }
}

/// The label of the row that holds folded rows.
pub const OTHER: &str = "(other)";

/// Ranges longer than this many days are refused.
pub const MAX_RANGE_DAYS: i64 = 3 * 366;

/// A report's date range: whole UTC days, `to` inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    /// Start of the first day.
    pub from: UnixMillis,
    /// End of the last day (exclusive).
    pub to: UnixMillis,
}

impl DateRange {
    /// Days in the range.
    pub fn days(&self) -> i64 {
        (self.to - self.from) / DAY_MILLIS
    }

    /// The range of the same length just before.
    pub fn previous(&self) -> DateRange {
        DateRange { from: self.from - (self.to - self.from), to: self.from }
    }

    /// Hourly for one or two days, daily above.
    pub fn granularity(&self) -> Granularity {
        if self.days() <= 2 {
            Granularity::Hour
        } else {
            Granularity::Day
        }
    }
}

/// `YYYY-MM-DD` of a UTC day start.
pub fn format_day(at: UnixMillis) -> String {
    let civil = Timestamp::from_unix_micros(at * 1000).to_civil();
    format!("{:04}-{:02}-{:02}", civil.year, civil.month, civil.day)
}

/// The start of the UTC day `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Option<UnixMillis> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    Some(Timestamp::from_civil(year, month, day, 0, 0, 0)?.unix_seconds() * 1000)
}

/// The query string of report endpoints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (inclusive).
    pub to: Option<String>,
    /// Instead of from/to: `today`, `7d`, `30d`, `90d`, `365d`.
    pub period: Option<String>,
    /// Rows per table (default 10, at most 1,000).
    pub limit: Option<usize>,
    /// Funnel steps, comma-separated: `/path` or `event:name`.
    pub steps: Option<String>,
    /// Instead of steps: the name of a funnel of `crumb.toml`.
    pub funnel: Option<String>,
}

/// The funnel a query asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunnelAsked {
    /// The name of a configured funnel, if it was asked by name.
    pub name: Option<String>,
    /// Its steps, comma-separated.
    pub steps: String,
}

impl RangeQuery {
    /// The funnel asked for by `steps` or by `funnel` (a name among
    /// `configured`), or none.
    pub fn funnel_asked(&self, configured: &[Funnel]) -> Result<Option<FunnelAsked>, ReportError> {
        match (&self.steps, &self.funnel) {
            (None, None) => Ok(None),
            (Some(steps), None) => Ok(Some(FunnelAsked { name: None, steps: steps.clone() })),
            (None, Some(name)) => match configured.iter().find(|f| &f.name == name) {
                Some(funnel) => Ok(Some(FunnelAsked { name: Some(name.clone()), steps: funnel.steps.join(",") })),
                None => Err(ReportError::query(format!("funnel={name:?}: crumb.toml names no such funnel"))),
            },
            (Some(_), Some(_)) => Err(ReportError::query("give steps or funnel, not both")),
        }
    }

    /// The range asked for, relative to `now` (default: the last 30 days, today included).
    pub fn range(&self, now: UnixMillis) -> Result<DateRange, ReportError> {
        let today = now - now.rem_euclid(DAY_MILLIS);
        let range = match (&self.from, &self.to, &self.period) {
            (Some(from), Some(to), None) => {
                let bad = |name: &str, value: &str| ReportError::query(format!("{name}={value:?}: use YYYY-MM-DD"));
                let from_day = parse_day(from).ok_or_else(|| bad("from", from))?;
                let to_day = parse_day(to).ok_or_else(|| bad("to", to))?;
                if to_day < from_day {
                    return Err(ReportError::query("to is before from"));
                }
                DateRange { from: from_day, to: to_day + DAY_MILLIS }
            }
            (None, None, period) => {
                let days = match period.as_deref().unwrap_or("30d") {
                    "today" => 1,
                    "7d" => 7,
                    "30d" => 30,
                    "90d" => 90,
                    "365d" => 365,
                    other => {
                        return Err(ReportError::query(format!(
                            "period={other:?}: use today, 7d, 30d, 90d or 365d (or from and to)"
                        )))
                    }
                };
                DateRange { from: today - (days - 1) * DAY_MILLIS, to: today + DAY_MILLIS }
            }
            _ => return Err(ReportError::query("give both from and to, or period, not a mix")),
        };
        if range.days() > MAX_RANGE_DAYS {
            return Err(ReportError::query(format!("a report covers at most {MAX_RANGE_DAYS} days")));
        }
        Ok(range)
    }

    /// Rows per table.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(10).clamp(1, 1000)
    }
}

/// Headline figures; all `None` when the floor hides them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Fewer than k visitors: figures withheld.
    pub suppressed: bool,
    /// Distinct visitors.
    pub visitors: Option<u64>,
    /// Page views.
    pub pageviews: Option<u64>,
    /// Visits.
    pub visits: Option<u64>,
    /// Share of visits with one page view and no event, in percent.
    pub bounce_rate: Option<f64>,
    /// Mean visit duration, in seconds.
    pub visit_duration_s: Option<f64>,
    /// Custom events and outbound clicks.
    pub events: Option<u64>,
    /// Visits that were a visitor's first.
    pub new_visits: Option<u64>,
    /// Visits by visitors seen before (cookie visitors only).
    pub returning_visits: Option<u64>,
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        ((part as f64 / whole as f64) * 1000.0).round() / 10.0
    }
}

impl Totals {
    fn of(counts: &Counts, visitors: u64, returning: u64, k: u64) -> Totals {
        if visitors < k && visitors > 0 {
            return Totals { suppressed: true, ..Totals::default() };
        }
        Totals {
            suppressed: false,
            visitors: Some(visitors),
            pageviews: Some(counts.pageviews),
            visits: Some(counts.visits),
            bounce_rate: Some(ratio(counts.bounces, counts.visits)),
            visit_duration_s: Some(if counts.visits == 0 {
                0.0
            } else {
                (counts.duration_ms as f64 / counts.visits as f64 / 100.0).round() / 10.0
            }),
            events: Some(counts.events),
            new_visits: Some(counts.new_visits),
            returning_visits: Some(returning),
        }
    }
}

/// One point of the time series.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    /// Bucket start, `YYYY-MM-DD` or `YYYY-MM-DDTHH:00Z`.
    pub bucket: String,
    /// Bucket start, Unix milliseconds.
    pub at: UnixMillis,
    /// Fewer than k visitors: figures withheld.
    pub suppressed: bool,
    /// Distinct visitors.
    pub visitors: Option<u64>,
    /// Page views.
    pub pageviews: Option<u64>,
    /// Visits.
    pub visits: Option<u64>,
}

/// One row of a report table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TableRow {
    /// The value (path, source, browser …), or `(other)`.
    pub value: String,
    /// This row holds folded rows.
    pub other: bool,
    /// Fewer than k visitors even after folding: figures withheld.
    pub suppressed: bool,
    /// Distinct visitors.
    pub visitors: Option<u64>,
    /// For a large "other": a lower bound of its distinct visitors (not counted exactly).
    pub visitors_at_least: Option<u64>,
    /// Visits.
    pub visits: Option<u64>,
    /// Page views.
    pub pageviews: Option<u64>,
    /// Custom events (event tables).
    pub events: Option<u64>,
    /// Bounce rate of the visits, percent (visit tables).
    pub bounce_rate: Option<f64>,
}

/// A goal's conversions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GoalRow {
    /// The goal's name.
    pub name: String,
    /// Fewer than k visitors converted: figures withheld.
    pub suppressed: bool,
    /// Visitors who converted.
    pub visitors: Option<u64>,
    /// Conversions (events or page views).
    pub conversions: Option<u64>,
    /// Converted visitors / all visitors, percent.
    pub conversion_rate: Option<f64>,
}

/// Signed-in users seen on several devices (from raw events).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossDevice {
    /// Fewer than k signed-in users: figures withheld.
    pub suppressed: bool,
    /// Users seen on two or more devices (`None` if fewer than k).
    pub users_on_several_devices: Option<u64>,
    /// Signed-in users with linked devices.
    pub signed_in_users: Option<u64>,
    /// Whether the range reaches beyond the raw-event retention (older days are not counted).
    pub partial: bool,
}

/// A whole report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The site.
    pub site: String,
    /// First day.
    pub from: String,
    /// Last day (inclusive).
    pub to: String,
    /// `hour` or `day`.
    pub granularity: Granularity,
    /// The anonymity floor k.
    pub min_visitors: u64,
    /// Headline figures.
    pub totals: Totals,
    /// The same figures for the period before, for comparison.
    pub previous: Totals,
    /// The time series.
    pub series: Vec<Point>,
    /// Tables by dimension name (`page`, `entry`, `exit`, `source`, …).
    pub tables: BTreeMap<&'static str, Vec<TableRow>>,
    /// Configured goals.
    pub goals: Vec<GoalRow>,
    /// Cross-device users.
    pub cross_device: CrossDevice,
}

/// The dimensions reported as tables, in display order: every one but the
/// site's total, which the headline figures report, and funnel steps,
/// which [`funnel`] reports.
pub fn tables() -> impl Iterator<Item = Dimension> {
    Dimension::ALL.into_iter().filter(|dimension| !matches!(dimension, Dimension::Total | Dimension::Funnel))
}

/// The split of a range between stored rollups and raw events: rollups
/// cover `[range.from, split)`, `fresh` is the rest aggregated from raw
/// events (at most minutes, once the rollup job runs) together with the
/// visits left open at the split, which count where they started, before it.
pub struct Sources {
    /// Where stored rollups end.
    pub split: UnixMillis,
    /// The raw tail, rolled up in memory.
    pub fresh: rollup::Rollup,
}

/// Finds where stored rollups end in `range`, given the site's rolled-up
/// mark, and aggregates the raw tail. When the rollups end at today's
/// provisional cut, the tail continues the visits left open there, so that
/// none counts twice.
async fn sources(state: &Site, range: DateRange, rolled_until: Option<UnixMillis>) -> Result<Sources, ReportError> {
    let site = &state.config.site_name;
    let rolled_until = rolled_until.unwrap_or(i64::MIN);
    let split = rolled_until.clamp(range.from, range.to);
    let open_to = range.to.min(state.now_millis() + 1);
    if split >= open_to {
        return Ok(Sources { split, fresh: rollup::Rollup::default() });
    }
    let at_provisional_cut = split == rolled_until && split.rem_euclid(DAY_MILLIS) != 0;
    let open_visits = async {
        if !at_provisional_cut {
            return Ok(Vec::new());
        }
        match state.store.open_visits(site, split - split.rem_euclid(DAY_MILLIS)).await {
            // Unreadable state (written by another version?) must not stop
            // reports: the open visits are missing until the next rollup.
            Err(StoreError::Corrupt { detail }) => {
                tracing::warn!(%detail, "open visits unreadable: today's report leaves them out until the next rollup");
                Ok(Vec::new())
            }
            read => read,
        }
    };
    let (events, open_visits) = tokio::try_join!(state.store.events_between(site, split, open_to), open_visits)?;
    let funnels = rolled_funnels(&state.config.analytics.funnels);
    let fresh = tokio::task::spawn_blocking(move || rollup::aggregate_continuing(events, open_visits, &funnels))
        .await
        .map_err(|_| ReportError::Interrupted)?;
    Ok(Sources { split, fresh })
}

/// Rows of some dimensions over `range`: stored rollups plus the raw tail.
async fn rows_of(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    granularity: Granularity,
    dimensions: &[Dimension],
) -> Result<Vec<RollupRow>, ReportError> {
    let mut rows = if sources.split > range.from {
        state.store.rollups(&state.config.site_name, granularity, range.from, sources.split, dimensions).await?
    } else {
        Vec::new()
    };
    let fresh = match granularity {
        Granularity::Hour => &sources.fresh.hourly,
        Granularity::Day => &sources.fresh.daily,
    };
    rows.extend(fresh.iter().filter(|r| dimensions.contains(&r.dimension)).cloned());
    Ok(rows)
}

/// The counter a table ranks its values by.
fn rank_metric(dimension: Dimension, counts: &Counts) -> u64 {
    match dimension {
        Dimension::Page => counts.pageviews,
        Dimension::Event | Dimension::Property | Dimension::Outbound => counts.events,
        _ => counts.visits,
    }
}

/// One value of a table before the floor: summed counters and a lower bound of its visitors.
struct Ranked {
    value: String,
    counts: Counts,
    min_visitors: u64,
}

/// Sketches of `values` of one dimension over the range, stored and fresh merged.
async fn sketches_of(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    dimension: Dimension,
    values: Vec<String>,
) -> Result<HashMap<String, VisitorSketch>, ReportError> {
    let mut sketches: HashMap<String, VisitorSketch> = HashMap::new();
    if sources.split > range.from && !values.is_empty() {
        let stored = state
            .store
            .rollup_values(&state.config.site_name, Granularity::Day, range.from, sources.split, dimension, &values)
            .await?;
        for row in stored {
            sketches.entry(row.value).or_default().merge(&row.visitors);
        }
    }
    for row in sources.fresh.daily.iter().filter(|r| r.dimension == dimension && values.contains(&r.value)) {
        sketches.entry(row.value.clone()).or_default().merge(&row.visitors);
    }
    Ok(sketches)
}

/// One table with the floor. The top `limit` values by traffic are
/// candidates; their distinct visitors come from merged sketches. The rest
/// fold into "other", whose size is known from counters and, as a lower
/// bound, from the largest single-day count among its values; only when
/// that bound is under k are the folded values' sketches read (small sites)
/// and the exact floor of [`floor_table`] applied.
async fn table(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    dimension: Dimension,
    mut ranked: Vec<Ranked>,
    k: u64,
    limit: usize,
) -> Result<Vec<TableRow>, ReportError> {
    ranked.sort_by(|a, b| {
        rank_metric(dimension, &b.counts).cmp(&rank_metric(dimension, &a.counts)).then_with(|| a.value.cmp(&b.value))
    });
    let candidates: Vec<String> = ranked.iter().take(limit).map(|r| r.value.clone()).collect();
    let sketches = sketches_of(state, range, sources, dimension, candidates).await?;
    let mut shown = Vec::new();
    let mut other_counts = Counts::default();
    let mut other_bound = 0;
    let mut folded = 0usize;
    for entry in &ranked {
        let visitors = sketches.get(&entry.value).map(VisitorSketch::count);
        match visitors {
            Some(n) if n >= k && shown.len() < limit => shown.push((entry, n)),
            _ => {
                folded += 1;
                other_counts.add(&entry.counts);
                other_bound = other_bound.max(visitors.unwrap_or(entry.min_visitors)).max(entry.min_visitors);
            }
        }
    }
    if folded > 0 && other_bound < k {
        // A small "other": decide exactly, with every value's sketch.
        let values: Vec<String> = ranked.iter().map(|r| r.value.clone()).collect();
        let mut all = sketches_of(state, range, sources, dimension, values).await?;
        let rows = ranked.into_iter().map(|r| {
            let sketch = all.remove(&r.value).unwrap_or_default();
            (r.value, r.counts, sketch)
        });
        return Ok(floor_table(rows.collect(), k, limit));
    }
    let mut rows: Vec<TableRow> =
        shown.into_iter().map(|(entry, n)| table_row(entry.value.clone(), false, &entry.counts, n)).collect();
    if folded > 0 {
        let mut other = table_row(OTHER.to_owned(), true, &other_counts, other_bound);
        other.visitors = None;
        other.visitors_at_least = Some(other_bound);
        rows.push(other);
    }
    Ok(rows)
}

fn table_row(value: String, other: bool, counts: &Counts, visitors: u64) -> TableRow {
    TableRow {
        value,
        other,
        suppressed: false,
        visitors: Some(visitors),
        visitors_at_least: None,
        visits: Some(counts.visits),
        pageviews: Some(counts.pageviews),
        events: Some(counts.events),
        bounce_rate: Some(ratio(counts.bounces, counts.visits)),
    }
}

/// Applies the floor to one table's merged rows.
pub fn floor_table(mut rows: Vec<(String, Counts, VisitorSketch)>, k: u64, limit: usize) -> Vec<TableRow> {
    let mut with_count: Vec<(String, Counts, VisitorSketch, u64)> = rows
        .drain(..)
        .map(|(value, counts, sketch)| {
            let n = sketch.count();
            (value, counts, sketch, n)
        })
        .collect();
    with_count.sort_by(|a, b| b.3.cmp(&a.3).then(b.1.pageviews.cmp(&a.1.pageviews)).then(a.0.cmp(&b.0)));
    let mut shown = Vec::new();
    let mut other: Option<(Counts, VisitorSketch)> = None;
    let fold = |other: &mut Option<(Counts, VisitorSketch)>, counts: &Counts, sketch: &VisitorSketch| {
        let (c, s) = other.get_or_insert_with(Default::default);
        c.add(counts);
        s.merge(sketch);
    };
    for (value, counts, sketch, count) in with_count {
        if count >= k && shown.len() < limit {
            shown.push((value, counts, sketch, count));
        } else {
            fold(&mut other, &counts, &sketch);
        }
    }
    // Complementary suppression: "other" must not be a small group either.
    while other.as_ref().is_some_and(|(_, s)| s.count() < k) {
        let Some((_, counts, sketch, _)) = shown.pop() else { break };
        fold(&mut other, &counts, &sketch);
    }
    let row = table_row;
    let mut table: Vec<TableRow> = shown.iter().map(|(v, c, _, n)| row(v.clone(), false, c, *n)).collect();
    if let Some((counts, sketch)) = other {
        let count = sketch.count();
        if count >= k {
            table.push(row(OTHER.to_owned(), true, &counts, count));
        } else {
            table.push(TableRow {
                value: OTHER.to_owned(),
                other: true,
                suppressed: true,
                visitors: None,
                visitors_at_least: None,
                visits: None,
                pageviews: None,
                events: None,
                bounce_rate: None,
            });
        }
    }
    table
}

fn totals_of(rows: &[RollupRow], returning: u64, k: u64) -> Totals {
    let mut counts = Counts::default();
    let mut visitors = VisitorSketch::new();
    for row in rows.iter().filter(|r| r.dimension == Dimension::Total) {
        counts.add(&row.counts);
        visitors.merge(&row.visitors);
    }
    Totals::of(&counts, visitors.count(), returning, k)
}

fn returning_visits(rows: &[RollupRow]) -> u64 {
    rows.iter()
        .filter(|r| r.dimension == Dimension::VisitorType && r.value == "returning")
        .map(|r| r.counts.visits)
        .sum()
}

fn series_of(rows: &[RollupRow], range: DateRange, granularity: Granularity, k: u64) -> Vec<Point> {
    let mut by_bucket: BTreeMap<UnixMillis, (Counts, VisitorSketch)> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.dimension == Dimension::Total) {
        let entry = by_bucket.entry(row.bucket).or_default();
        entry.0.add(&row.counts);
        entry.1.merge(&row.visitors);
    }
    let step = granularity.millis();
    (0..)
        .map(|i| range.from + i * step)
        .take_while(|at| *at < range.to)
        .map(|at| {
            let (counts, sketch) = by_bucket.remove(&at).unwrap_or_default();
            let visitors = sketch.count();
            let suppressed = visitors > 0 && visitors < k;
            let bucket = match granularity {
                Granularity::Day => format_day(at),
                Granularity::Hour => {
                    format!(
                        "{}T{:02}:00Z",
                        format_day(at - at.rem_euclid(DAY_MILLIS)),
                        at.rem_euclid(DAY_MILLIS) / 3_600_000
                    )
                }
            };
            Point {
                bucket,
                at,
                suppressed,
                visitors: (!suppressed).then_some(visitors),
                pageviews: (!suppressed).then_some(counts.pageviews),
                visits: (!suppressed).then_some(counts.visits),
            }
        })
        .collect()
}

/// How many times [`at_one_cut`] reads a report whose rollups moved meanwhile.
const READ_ATTEMPTS: usize = 3;

/// Runs `read` with the site's rolled-up mark, and again (up to
/// [`READ_ATTEMPTS`] times in all) if the mark moved while it read.
///
/// A report's parts are read one query after another. A rollup committed in
/// between (today's provisional cut moves every few minutes) would mix two
/// cuts: the events between them counted in the rollup and again in the raw
/// tail, or a visit open at the new cut continued from a tail that starts at
/// the old one. The last read is returned as it is: the mark moves every few
/// minutes, not every few milliseconds.
pub async fn at_one_cut<T, F, Fut>(state: &Site, mut read: F) -> Result<T, ReportError>
where
    F: FnMut(Option<UnixMillis>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ReportError>>,
{
    let site = &state.config.site_name;
    let mut rolled_until = state.store.rolled_until(site).await?;
    for _ in 1..READ_ATTEMPTS {
        let read_at_cut = read(rolled_until).await?;
        let moved_to = state.store.rolled_until(site).await?;
        if moved_to == rolled_until {
            return Ok(read_at_cut);
        }
        rolled_until = moved_to;
    }
    read(rolled_until).await
}

/// Builds the report for `range`: the dashboard's main query, read at one
/// cut ([`at_one_cut`]).
pub async fn build(state: &Site, range: DateRange, limit: usize) -> Result<Report, ReportError> {
    at_one_cut(state, |rolled_until| build_at(state, range, limit, rolled_until)).await
}

/// The report for `range` with the site's rollups ending at `rolled_until`.
async fn build_at(
    state: &Site,
    range: DateRange,
    limit: usize,
    rolled_until: Option<UnixMillis>,
) -> Result<Report, ReportError> {
    let k = u64::from(state.config.analytics.min_visitors);
    let site = &state.config.site_name;
    let granularity = range.granularity();
    let current = sources(state, range, rolled_until).await?;

    // Totals, series and the previous period: `total` rows only.
    let totals_rows = rows_of(state, range, &current, granularity, &[Dimension::Total, Dimension::VisitorType]).await?;
    let previous_range = range.previous();
    let previous = sources(state, previous_range, rolled_until).await?;
    let previous_rows =
        rows_of(state, previous_range, &previous, Granularity::Day, &[Dimension::Total, Dimension::VisitorType])
            .await?;

    // Tables: counters summed in the store, sketches only for the values shown.
    let summary = if current.split > range.from {
        state.store.rollup_summary(site, Granularity::Day, range.from, current.split).await?
    } else {
        Vec::new()
    };
    let mut ranked: HashMap<Dimension, HashMap<String, Ranked>> = HashMap::new();
    for row in summary {
        ranked
            .entry(row.dimension)
            .or_default()
            .insert(row.value.clone(), Ranked { value: row.value, counts: row.counts, min_visitors: row.min_visitors });
    }
    for row in current.fresh.daily.iter().filter(|r| r.dimension != Dimension::Total) {
        let entry = ranked.entry(row.dimension).or_default().entry(row.value.clone()).or_insert_with(|| Ranked {
            value: row.value.clone(),
            counts: Counts::default(),
            min_visitors: 0,
        });
        entry.counts.add(&row.counts);
        entry.min_visitors = entry.min_visitors.max(row.visitors.count());
    }
    // The tables' sketch reads and merges run concurrently: with PostgreSQL
    // on several pooled connections, with SQLite one table's merging
    // overlaps the next one's read.
    let current_ref = &current;
    let pending: Vec<_> = tables()
        .map(|dimension| {
            let values: Vec<Ranked> = ranked.remove(&dimension).map(|m| m.into_values().collect()).unwrap_or_default();
            async move {
                let rows = table(state, range, current_ref, dimension, values, k, limit).await?;
                Ok::<_, ReportError>((dimension.name(), rows))
            }
        })
        .collect();
    let tables: BTreeMap<&'static str, Vec<TableRow>> =
        futures_util::future::try_join_all(pending).await?.into_iter().collect();

    let totals = totals_of(&totals_rows, returning_visits(&totals_rows), k);
    let total_visitors = totals.visitors.unwrap_or(0);
    let mut goals = Vec::new();
    for goal in &state.config.analytics.goals {
        let (dimension, value) = match (&goal.event, &goal.path) {
            (Some(event), _) => (Dimension::Event, event.clone()),
            (None, Some(path)) => (Dimension::Page, path.clone()),
            (None, None) => continue,
        };
        let sketches = sketches_of(state, range, &current, dimension, vec![value.clone()]).await?;
        let visitors = sketches.get(&value).map_or(0, VisitorSketch::count);
        let counts = tables_counts(state, range, &current, dimension, &value).await?;
        let conversions = if dimension == Dimension::Page { counts.pageviews } else { counts.events };
        let suppressed = visitors > 0 && visitors < k;
        goals.push(GoalRow {
            name: goal.name.clone(),
            suppressed,
            visitors: (!suppressed).then_some(visitors),
            conversions: (!suppressed).then_some(conversions),
            conversion_rate: (!suppressed).then(|| ratio(visitors, total_visitors)),
        });
    }

    let now = state.now_millis();
    let retention_start = now - i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS;
    let (cross, signed_in) = state.store.cross_device_users(site, range.from.max(retention_start), range.to).await?;
    let cross_suppressed = signed_in < k && signed_in > 0;
    Ok(Report {
        site: site.clone(),
        from: format_day(range.from),
        to: format_day(range.to - DAY_MILLIS),
        granularity,
        min_visitors: k,
        series: series_of(&totals_rows, range, granularity, k),
        totals,
        previous: totals_of(&previous_rows, returning_visits(&previous_rows), k),
        tables,
        goals,
        cross_device: CrossDevice {
            suppressed: cross_suppressed || (cross > 0 && cross < k),
            users_on_several_devices: (!cross_suppressed && (cross == 0 || cross >= k)).then_some(cross),
            signed_in_users: (!cross_suppressed).then_some(signed_in),
            partial: range.from < retention_start,
        },
    })
}

/// The summed counters of one value (for goals).
async fn tables_counts(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    dimension: Dimension,
    value: &str,
) -> Result<Counts, ReportError> {
    let mut counts = Counts::default();
    if sources.split > range.from {
        let rows = state
            .store
            .rollup_values(
                &state.config.site_name,
                Granularity::Day,
                range.from,
                sources.split,
                dimension,
                &[value.to_owned()],
            )
            .await?;
        rows.iter().for_each(|r| counts.add(&r.counts));
    }
    sources
        .fresh
        .daily
        .iter()
        .filter(|r| r.dimension == dimension && r.value == value)
        .for_each(|r| counts.add(&r.counts));
    Ok(counts)
}

/// Live figures of the last five minutes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Realtime {
    /// Fewer than k visitors: figures withheld.
    pub suppressed: bool,
    /// Distinct visitors in the last five minutes.
    pub visitors: Option<u64>,
    /// Page views in the last five minutes.
    pub pageviews: Option<u64>,
    /// Top pages (with the floor).
    pub pages: Vec<TableRow>,
    /// The anonymity floor.
    pub min_visitors: u64,
}

/// The last five minutes, from raw events.
pub async fn realtime(state: &Site) -> Result<Realtime, ReportError> {
    let k = u64::from(state.config.analytics.min_visitors);
    let now = state.now_millis();
    let events = state.store.events_between(&state.config.site_name, now - 5 * 60_000, now + 1).await?;
    let rollup = rollup::aggregate(events, &[]);
    let merged = rollup::merge_rows(rollup.daily.iter());
    let (mut counts, mut visitors) = (Counts::default(), VisitorSketch::new());
    let mut pages = Vec::new();
    for ((dimension, value), (c, s)) in merged {
        if dimension == Dimension::Total {
            counts.add(&c);
            visitors.merge(&s);
        } else if dimension == Dimension::Page {
            pages.push((value, c, s));
        }
    }
    let count = visitors.count();
    let suppressed = count > 0 && count < k;
    Ok(Realtime {
        suppressed,
        visitors: (!suppressed).then_some(count),
        pageviews: (!suppressed).then_some(counts.pageviews),
        pages: floor_table(pages, k, 10),
        min_visitors: k,
    })
}

/// A funnel's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunnelReport {
    /// The configured funnel's name, if it was asked by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// First day.
    pub from: String,
    /// Last day (inclusive).
    pub to: String,
    /// Each step with the visitors who reached it.
    pub steps: Vec<FunnelStepRow>,
    /// Whether some days are missing: days with traffic whose raw events
    /// are past retention and which were not rolled up with the funnel
    /// (for steps not declared in `crumb.toml`, no day was).
    pub partial: bool,
}

/// One funnel step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FunnelStepRow {
    /// As asked (`/path` or `event:name`).
    pub step: String,
    /// Fewer than k visitors: withheld.
    pub suppressed: bool,
    /// Visitors who reached this step in order within one visit.
    pub visitors: Option<u64>,
    /// Share of the first step's visitors, percent.
    pub conversion_rate: Option<f64>,
}

/// Parses `steps=/a,/b,event:signup`.
pub fn parse_steps(text: &str) -> Result<Vec<FunnelStep>, ReportError> {
    let steps: Vec<FunnelStep> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|step| parse_step(step).map_err(|fault| ReportError::query(format!("steps: {fault}"))))
        .collect::<Result<_, _>>()?;
    if !(2..=MAX_STEPS).contains(&steps.len()) {
        return Err(ReportError::query(format!("steps: a funnel has 2 to {MAX_STEPS} steps")));
    }
    Ok(steps)
}

/// The funnels of `crumb.toml` as they are rolled up with every day (one
/// per distinct list of steps).
pub fn rolled_funnels(funnels: &[Funnel]) -> Vec<RolledFunnel> {
    let mut rolled: Vec<RolledFunnel> = Vec::new();
    for steps in funnels.iter().filter_map(|funnel| check_funnel_steps(&funnel.steps).ok()) {
        let funnel = RolledFunnel::new(steps);
        if !rolled.iter().any(|other| other.key == funnel.key) {
            rolled.push(funnel);
        }
    }
    rolled
}

/// A funnel over `range`. The steps of a funnel declared in `crumb.toml`
/// are rolled up with every day: those days are read from rollups (and the
/// raw tail after them), whatever their age. Other steps, and days rolled
/// up before the funnel was declared, are counted from raw events, which
/// are kept `raw_retention_days`: older days with traffic are left out
/// (`partial`). The rolled-up parts are read at one cut ([`at_one_cut`]).
pub async fn funnel(state: &Site, range: DateRange, asked: &FunnelAsked) -> Result<FunnelReport, ReportError> {
    let steps = parse_steps(&asked.steps)?;
    let k = u64::from(state.config.analytics.min_visitors);
    let now = state.now_millis();
    let retention_start = now - i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS;
    let labels: Vec<String> = steps.iter().map(FunnelStep::label).collect();
    let mut reached = vec![VisitorSketch::new(); steps.len()];
    let funnel = RolledFunnel::new(steps);
    let declared = rolled_funnels(&state.config.analytics.funnels).iter().any(|rolled| rolled.key == funnel.key);
    // Spans of raw events to count, a UTC day at most each.
    let mut raw_spans = Vec::new();
    let mut partial = false;
    let mut add_raw_day = |day: UnixMillis, end: UnixMillis| {
        let from = day.max(range.from).max(retention_start);
        let to = (day + DAY_MILLIS).min(end);
        partial |= day.max(range.from) < retention_start;
        if from < to {
            raw_spans.push((from, to));
        }
    };
    if declared {
        let funnel = &funnel;
        let (rolled_reached, raw_days) = at_one_cut(state, |rolled_until| async move {
            let mut rolled_reached = vec![VisitorSketch::new(); funnel.steps.len()];
            let sources = sources(state, range, rolled_until).await?;
            let raw_days = funnel_rows(state, range, &sources, funnel, &mut rolled_reached).await?;
            Ok((rolled_reached, raw_days))
        })
        .await?;
        reached = rolled_reached;
        for (day, end) in raw_days {
            add_raw_day(day, end);
        }
    } else {
        let first_day = range.from - range.from.rem_euclid(DAY_MILLIS);
        let past_retention_with_traffic = days_with_traffic(state, first_day, retention_start.min(range.to)).await?;
        let mut day = first_day;
        while day < range.to {
            if day.max(range.from) >= retention_start || past_retention_with_traffic.contains(&day) {
                add_raw_day(day, range.to);
            }
            day += DAY_MILLIS;
        }
    }
    raw_funnel(state, raw_spans, &funnel.steps, &mut reached).await?;
    let first = reached.first().map_or(0, VisitorSketch::count);
    let steps = labels
        .into_iter()
        .zip(reached.iter())
        .map(|(step, sketch)| {
            let visitors = sketch.count();
            let suppressed = visitors > 0 && visitors < k;
            FunnelStepRow {
                step,
                suppressed,
                visitors: (!suppressed).then_some(visitors),
                conversion_rate: (!suppressed).then(|| ratio(visitors, first)),
            }
        })
        .collect();
    Ok(FunnelReport {
        name: asked.name.clone(),
        from: format_day(range.from),
        to: format_day(range.to - DAY_MILLIS),
        steps,
        partial,
    })
}

/// The UTC days in `[from, to)` that had events, as their rollups say
/// (days are rolled up before their raw events are deleted).
async fn days_with_traffic(state: &Site, from: UnixMillis, to: UnixMillis) -> Result<HashSet<UnixMillis>, ReportError> {
    if from >= to {
        return Ok(HashSet::new());
    }
    let site = &state.config.site_name;
    let totals = [String::new()];
    let rows = state.store.rollup_values(site, Granularity::Day, from, to, Dimension::Total, &totals).await?;
    Ok(rows.into_iter().map(|row| row.bucket).collect())
}

/// Merges into `reached` the rolled-up steps of `funnel` over `range`:
/// stored days rolled up with it and the raw tail after the last rollup.
/// Returns the days (and where the range ends) left to count from raw
/// events: days with traffic whose stored rollup was made before the
/// funnel was declared. Their tail rows are left out too, since the raw
/// count takes in the whole day.
async fn funnel_rows(
    state: &Site,
    range: DateRange,
    sources: &Sources,
    funnel: &RolledFunnel,
    reached: &mut [VisitorSketch],
) -> Result<Vec<(UnixMillis, UnixMillis)>, ReportError> {
    let site = &state.config.site_name;
    let step_values: Vec<String> = (0..funnel.steps.len()).map(|i| funnel.step_value(i)).collect();
    let mut values = step_values.clone();
    values.push(funnel.key.clone());
    let stored = if sources.split > range.from {
        let dimension = Dimension::Funnel;
        state.store.rollup_values(site, Granularity::Day, range.from, sources.split, dimension, &values).await?
    } else {
        Vec::new()
    };
    let rolled_days: HashSet<UnixMillis> =
        stored.iter().filter(|row| row.value == funnel.key).map(|row| row.bucket).collect();
    let stored_days: Vec<UnixMillis> = {
        let mut day = range.from - range.from.rem_euclid(DAY_MILLIS);
        std::iter::from_fn(|| {
            let this = day;
            day += DAY_MILLIS;
            (this < sources.split).then_some(this)
        })
        .collect()
    };
    // Only when some stored day lacks the funnel: which of them had traffic.
    let mut raw_days = HashSet::new();
    if stored_days.iter().any(|day| !rolled_days.contains(day)) {
        let with_traffic = days_with_traffic(state, range.from, sources.split).await?;
        raw_days.extend(with_traffic.into_iter().filter(|day| !rolled_days.contains(day)));
    }
    let fresh = sources.fresh.daily.iter().filter(|row| row.dimension == Dimension::Funnel);
    for row in stored.iter().chain(fresh) {
        if raw_days.contains(&row.bucket) {
            continue;
        }
        if let Some(step) = step_values.iter().position(|value| *value == row.value) {
            reached[step].merge(&row.visitors);
        }
    }
    let mut raw_days: Vec<(UnixMillis, UnixMillis)> = raw_days.into_iter().map(|day| (day, range.to)).collect();
    raw_days.sort_unstable();
    Ok(raw_days)
}

/// Counts a funnel over raw events, in spans of a UTC day at most (visits
/// end at midnight): the raw events held at once are three days' at most,
/// reduced to visitor, time and the steps each matches; two days are read
/// (PostgreSQL: on two connections) while the one before is counted.
async fn raw_funnel(
    state: &Site,
    spans: Vec<(UnixMillis, UnixMillis)>,
    steps: &[FunnelStep],
    reached: &mut Vec<VisitorSketch>,
) -> Result<(), ReportError> {
    let mut reads = futures_util::stream::iter(spans)
        .map(|(from, to)| state.store.funnel_events(&state.config.site_name, from, to, steps))
        .buffered(2);
    let mut counting: Option<tokio::task::JoinHandle<Vec<VisitorSketch>>> = None;
    while let Some(events) = reads.next().await {
        let events = events?;
        if let Some(counted) = counting.take() {
            *reached = counted.await.map_err(|_| ReportError::Interrupted)?;
        }
        let mut day_reached = std::mem::take(reached);
        counting = Some(tokio::task::spawn_blocking(move || {
            rollup::funnel(events, &mut day_reached);
            day_reached
        }));
    }
    if let Some(counted) = counting {
        *reached = counted.await.map_err(|_| ReportError::Interrupted)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(visitors: std::ops::Range<i64>) -> VisitorSketch {
        let mut s = VisitorSketch::new();
        visitors.for_each(|v| s.insert(v * 7919));
        s
    }

    fn row(value: &str, visitors: std::ops::Range<i64>) -> (String, Counts, VisitorSketch) {
        let n = (visitors.end - visitors.start) as u64;
        (value.to_owned(), Counts { pageviews: n, visits: n, ..Counts::default() }, sketch(visitors))
    }

    #[test]
    fn k_minus_one_folds_and_k_shows() {
        let k = 10;
        let table = floor_table(vec![row("/big", 0..50), row("/k", 100..110), row("/k-1", 200..209)], k, 10);
        let values: Vec<&str> = table.iter().map(|r| r.value.as_str()).collect();
        // /k-1 folds; "other" would then hold 9 visitors, so the smallest shown row (/k) folds too.
        assert_eq!(values, ["/big", OTHER]);
        assert_eq!(table[1].visitors, Some(19));
        assert!(!table[1].suppressed);

        let table = floor_table(
            vec![row("/big", 0..50), row("/k", 100..110), row("/k-1", 200..209), row("/k2", 300..310)],
            k,
            10,
        );
        let values: Vec<&str> = table.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(values, ["/big", "/k", OTHER], "/k2 (the last of the ties) folded to lift other to k");
        assert!(table.iter().all(|r| r.visitors.unwrap_or(k) >= k));
    }

    #[test]
    fn exactly_k_is_shown() {
        let table = floor_table(vec![row("/a", 0..10), row("/b", 10..20)], 10, 10);
        assert_eq!(
            table.iter().map(|r| (r.value.as_str(), r.visitors)).collect::<Vec<_>>(),
            [("/a", Some(10)), ("/b", Some(10))]
        );
    }

    #[test]
    fn a_small_other_alone_is_withheld() {
        let table = floor_table(vec![row("/a", 0..3), row("/b", 3..5)], 10, 10);
        assert_eq!(table.len(), 1);
        assert!(table[0].suppressed && table[0].other);
        assert_eq!(table[0].visitors, None);
        assert_eq!(table[0].pageviews, None);
    }

    #[test]
    fn the_limit_folds_the_tail_into_other() {
        let rows: Vec<_> = (0..5).map(|i| row(&format!("/{i}"), i * 100..i * 100 + 20 + i)).collect();
        let table = floor_table(rows, 10, 2);
        assert_eq!(table.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(), ["/4", "/3", OTHER]);
        assert_eq!(table[2].visitors, Some(63));
    }

    #[test]
    fn ranges() {
        let now = parse_day("2026-11-29").unwrap() + 5 * 3_600_000;
        let q = RangeQuery { from: Some("2026-11-01".into()), to: Some("2026-11-03".into()), ..RangeQuery::default() };
        let range = q.range(now).unwrap();
        assert_eq!(range.days(), 3);
        assert_eq!(format_day(range.previous().from), "2026-10-29");
        let q = RangeQuery { period: Some("7d".into()), ..RangeQuery::default() };
        let range = q.range(now).unwrap();
        assert_eq!((format_day(range.from), range.days()), ("2026-11-23".to_owned(), 7));
        assert_eq!(range.granularity(), Granularity::Day);
        let q = RangeQuery { period: Some("today".into()), ..RangeQuery::default() };
        assert_eq!(q.range(now).unwrap().granularity(), Granularity::Hour);
        for bad in [
            RangeQuery { from: Some("2026-13-01".into()), to: Some("2026-11-03".into()), ..RangeQuery::default() },
            RangeQuery { from: Some("2026-11-05".into()), to: Some("2026-11-03".into()), ..RangeQuery::default() },
            RangeQuery { period: Some("forever".into()), ..RangeQuery::default() },
            RangeQuery { from: Some("2026-11-05".into()), ..RangeQuery::default() },
            RangeQuery { from: Some("2000-01-01".into()), to: Some("2026-11-03".into()), ..RangeQuery::default() },
        ] {
            assert!(bad.range(now).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn funnel_steps() {
        assert_eq!(parse_steps("/, /cart ,event:buy").unwrap().len(), 3);
        assert!(parse_steps("/").is_err());
        assert!(parse_steps("/a,cart").is_err());
        assert!(parse_steps("/a,event:").is_err());
    }

    #[test]
    fn configured_funnel_steps_are_checked() {
        let steps = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(check_funnel_steps(&steps(&["/", "event:buy"])).unwrap().len(), 2);
        assert!(check_funnel_steps(&steps(&["/"])).unwrap_err().contains("2 to 10 steps"));
        assert!(check_funnel_steps(&steps(&["/"; 11])).unwrap_err().contains("not 11"));
        assert!(check_funnel_steps(&steps(&["/a,b", "/c"])).unwrap_err().contains("comma"));
        assert!(check_funnel_steps(&steps(&["/a", "cart"])).unwrap_err().contains("neither"));
        // Trimmed as the API's steps are, so that both name the same rolled-up funnel.
        let trimmed = check_funnel_steps(&steps(&[" /", "/cart "])).unwrap();
        assert_eq!(RolledFunnel::new(trimmed).key, RolledFunnel::new(parse_steps("/,/cart").unwrap()).key);
    }

    #[test]
    fn a_funnel_is_asked_by_steps_or_by_name() {
        let configured = [Funnel { name: "Buy".into(), steps: vec!["/".into(), "/cart".into(), "event:buy".into()] }];
        let query = |steps: Option<&str>, funnel: Option<&str>| RangeQuery {
            steps: steps.map(str::to_owned),
            funnel: funnel.map(str::to_owned),
            ..RangeQuery::default()
        };
        assert_eq!(query(None, None).funnel_asked(&configured).unwrap(), None);
        assert_eq!(
            query(Some("/,/a"), None).funnel_asked(&configured).unwrap(),
            Some(FunnelAsked { name: None, steps: "/,/a".into() })
        );
        assert_eq!(
            query(None, Some("Buy")).funnel_asked(&configured).unwrap(),
            Some(FunnelAsked { name: Some("Buy".into()), steps: "/,/cart,event:buy".into() })
        );
        assert!(query(None, Some("Sell")).funnel_asked(&configured).is_err());
        assert!(query(Some("/,/a"), Some("Buy")).funnel_asked(&configured).is_err());
    }
}
