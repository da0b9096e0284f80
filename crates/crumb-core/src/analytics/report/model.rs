//! What a report holds: totals, time series, tables, goals, cross-device
//! figures — each `None` where the anonymity floor hides it.

use super::*;

/// Headline figures; all `None` when the floor hides them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Fewer than k visitors: figures withheld.
    pub suppressed: bool,
    /// Distinct visitors: exact, or an estimate within
    /// [`visitors_margin`](Self::visitors_margin); never more than the
    /// visits, never fewer than the new visits (each is one visitor's first).
    pub visitors: Option<u64>,
    /// When `visitors` is an estimate: its margin (±, 19 times in 20);
    /// `None` when it is counted exactly.
    pub visitors_margin: Option<u64>,
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

/// A visitor count made consistent with the exact counters: an estimate
/// above the visits (each visitor made at least one) or below the new visits
/// (each is one visitor's first) is brought within them.
pub fn consistent_visitors(estimate: u64, at_least: u64, at_most: u64) -> u64 {
    estimate.max(at_least).min(at_most)
}

pub(super) fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        ((part as f64 / whole as f64) * 1000.0).round() / 10.0
    }
}

impl Totals {
    pub(super) fn of(counts: &Counts, sketch: &VisitorSketch, returning: u64, k: u64) -> Totals {
        let visitors = consistent_visitors(sketch.count(), counts.new_visits, counts.visits);
        if visitors < k && visitors > 0 {
            return Totals { suppressed: true, ..Totals::default() };
        }
        Totals {
            suppressed: false,
            visitors: Some(visitors),
            visitors_margin: sketch.margin(),
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
    /// Distinct visitors (never more than the visits).
    pub visitors: Option<u64>,
    /// When `visitors` is an estimate: its margin (±, 19 times in 20).
    pub visitors_margin: Option<u64>,
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
    /// The report is filtered, and these figures cannot be (they count
    /// signed-in users, not visits): withheld.
    pub not_filtered: bool,
}

impl CrossDevice {
    /// The figures of a filtered report: withheld, as not filtered.
    pub fn not_filtered() -> Self {
        CrossDevice {
            suppressed: true,
            users_on_several_devices: None,
            signed_in_users: None,
            partial: false,
            not_filtered: true,
        }
    }
}

/// How a filtered report's previous period was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PreviousCounted {
    /// From raw events, with the same filters, as the range itself.
    RawEvents,
    /// From the rollups of the one filter's value (its raw events are no
    /// longer kept): visitors, visits, page views, bounce rate and visit
    /// duration; no events or returning visits.
    Rollups,
    /// Not at all: its raw events are no longer kept and the filters are
    /// not one value rollups count per visit (a page, an event, several).
    NotKept,
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
    /// The range is not over (it holds today): `previous` covers only as
    /// much of the period before as has passed of this one (today until
    /// now against yesterday until the same time).
    pub previous_partial: bool,
    /// With filters: how `previous` was counted (`None` without filters:
    /// from rollups, as the range).
    pub previous_counted: Option<PreviousCounted>,
    /// The time series.
    pub series: Vec<Point>,
    /// Tables by dimension name (`page`, `entry`, `exit`, `source`, …).
    pub tables: BTreeMap<&'static str, Vec<TableRow>>,
    /// Configured goals.
    pub goals: Vec<GoalRow>,
    /// Cross-device users (withheld in a filtered report: they are not filtered).
    pub cross_device: CrossDevice,
    /// The filters the figures are restricted to (none: every visit).
    pub filters: Vec<Filter>,
    /// With filters, when the range reaches beyond the raw events kept:
    /// the first day counted.
    pub counted_from: Option<String>,
}

/// The dimensions reported as tables, in display order: every one but the
/// site's total, which the headline figures report, and funnel steps,
/// which [`funnel`] reports.
pub fn tables() -> impl Iterator<Item = Dimension> {
    Dimension::ALL.into_iter().filter(|dimension| !matches!(dimension, Dimension::Total | Dimension::Funnel))
}
