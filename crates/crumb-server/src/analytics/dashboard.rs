//! `/dashboard` and the statistics API, for administrators only.
//!
//! - `GET /dashboard`: server-rendered page with an SVG time-series chart,
//!   the date picker and every report table (no script, no CDN);
//! - `GET /api/stats`: the same report as JSON;
//! - `GET /api/stats/realtime`: the last five minutes;
//! - `GET /api/stats/funnel?steps=/a,/b,event:name` (or `?funnel=<name>`
//!   of a funnel in `crumb.toml`): a funnel;
//! - `GET /api/stats.csv`: the report as CSV.
//!
//! The page is in the reader's language (`crate::consent::language_for`,
//! the `dash_*` messages of `web/i18n/pages/<code>.json`), its numbers
//! written the language's way (`crumb_core::i18n::numbers`); its links and
//! forms keep `?lang=`. The API and the CSV stay as they are.

use std::fmt::Write as _;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use askama::Template;

use crumb_store::analytics::rollup::Dimension;

use super::figures::{change, fewer_than, figure, margin, percent};
use crate::extract::Admin;
use crate::mount::Mount;
use crate::pages::{self, Embed, KeptLanguage};
use crate::problem::Problem;
use crate::state::AppState;
use crumb_core::analytics::report::{
    self, FunnelAsked, FunnelReport, Point, RangeQuery, Report, ReportError, TableRow, Totals,
};
use crumb_core::i18n::Strings;

const DASHBOARD_CSS: &str = include_str!("../../../../web/dashboard.css");

/// The range query (`from`, `to`, `period`, `limit`, `steps`); a malformed
/// one is answered 400 with a problem.
pub struct Range(RangeQuery);

impl<S: Send + Sync> FromRequestParts<S> for Range {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Query(range_query) = Query::<RangeQuery>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::bad_request(e.body_text()))?;
        Ok(Range(range_query))
    }
}

/// `GET /api/stats`.
pub async fn stats_json(State(state): State<AppState>, admin: Admin, Range(q): Range) -> Result<Response, Problem> {
    let report = report::build_filtered(&state, q.range(state.now_millis())?, q.limit(), &q.filters()).await?;
    Ok(admin.respond(Json(report)))
}

/// `GET /api/stats/realtime`.
pub async fn realtime_json(State(state): State<AppState>, admin: Admin) -> Result<Response, Problem> {
    let realtime = report::realtime(&state).await?;
    Ok(admin.respond(Json(realtime)))
}

/// `GET /api/stats/funnel`.
pub async fn funnel_json(State(state): State<AppState>, admin: Admin, Range(q): Range) -> Result<Response, Problem> {
    let asked = q.funnel_asked(&state.config.analytics.funnels)?.ok_or_else(|| {
        Problem::bad_request("steps: give the funnel's steps (or funnel=<name> of a funnel in crumb.toml)")
    })?;
    let funnel = report::funnel(&state, q.range(state.now_millis())?, &asked).await?;
    Ok(admin.respond(Json(funnel)))
}

/// `GET /api/stats.csv`.
pub async fn stats_csv(State(state): State<AppState>, admin: Admin, Range(mut q): Range) -> Result<Response, Problem> {
    q.limit = Some(q.limit.unwrap_or(1000));
    let report = report::build_filtered(&state, q.range(state.now_millis())?, q.limit(), &q.filters()).await?;
    let disposition = format!("attachment; filename=\"crumb-stats-{}-{}.csv\"", report.from, report.to);
    let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], to_csv(&report)).into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(admin.respond(response))
}

/// A CSV field (RFC 4180 quoting; a leading `=`, `+`, `-`, `@` is
/// prefixed with `'` so spreadsheets do not run it as a formula).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn number<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The report as CSV: one line per series point and per table row.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::from("section,value,visitors,visits,pageviews,events,bounce_rate,suppressed\n");
    for filter in &report.filters {
        let _ = writeln!(out, "filter,{},,,,,,", csv_field(&format!("{}={}", filter.dimension.name(), filter.value)));
    }
    let t = &report.totals;
    let _ = writeln!(
        out,
        "totals,{}..{},{},{},{},{},{},{}",
        report.from,
        report.to,
        number(t.visitors),
        number(t.visits),
        number(t.pageviews),
        number(t.events),
        number(t.bounce_rate),
        t.suppressed
    );
    for point in &report.series {
        let _ = writeln!(
            out,
            "series,{},{},{},{},,,{}",
            point.bucket,
            number(point.visitors),
            number(point.visits),
            number(point.pageviews),
            point.suppressed
        );
    }
    for (table, rows) in &report.tables {
        for row in rows {
            let _ = writeln!(
                out,
                "{table},{},{},{},{},{},{},{}",
                csv_field(&row.value),
                row.visitors.map_or_else(
                    || row.visitors_at_least.map(|n| format!("{n}+")).unwrap_or_default(),
                    |n| n.to_string()
                ),
                number(row.visits),
                number(row.pageviews),
                number(row.events),
                number(row.bounce_rate),
                row.suppressed
            );
        }
    }
    out
}

/// `GET /dashboard`; with `steps` or `funnel`, also that funnel (only when
/// asked: steps not declared in `crumb.toml` are counted from raw events).
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    admin: Admin,
    Range(q): Range,
) -> Result<Response, Problem> {
    let language = crate::consent::language_for(&state, &headers, q.lang.as_deref());
    let t = language.strings();
    // A range the page cannot show (a "To" before "From") is said next to
    // the date fields, with 400, over the default range.
    let (range, range_form) = match q.range(state.now_millis()) {
        Ok(range) => (range, RangeForm::default()),
        Err(ReportError::Query(_)) => (
            RangeQuery::default().range(state.now_millis())?,
            RangeForm { from: q.from.clone(), to: q.to.clone(), fault: Some(range_fault(&q, t)) },
        ),
        Err(error) => return Err(error.into()),
    };
    let asked = q.funnel_asked(&state.config.analytics.funnels);
    let funnel = async {
        match &asked {
            Ok(Some(asked)) => Some(report::funnel(&state, range, asked).await),
            _ => None,
        }
    };
    let filters = q.filters();
    let (report, realtime, funnel) =
        tokio::join!(report::build_filtered(&state, range, q.limit(), &filters), report::realtime(&state), funnel);
    let (report, realtime) = (report?, realtime?);
    let live = match realtime.visitors {
        Some(n) => t.fill("dash_live", &[("n", &t.number(n))]),
        None => t.fill("dash_live_few", &[("k", &t.number(realtime.min_visitors))]),
    };
    // A funnel the page cannot show is said in its card, with 400.
    let (funnel, fault) = match (asked, funnel) {
        (Ok(Some(asked)), Some(Ok(funnel))) => (Some((asked, funnel)), None),
        (Err(ReportError::Query(detail)), _) | (_, Some(Err(ReportError::Query(detail)))) => (None, Some(detail)),
        (Err(error), _) | (_, Some(Err(error))) => return Err(error.into()),
        _ => (None, None),
    };
    let faulty = fault.is_some() || range_form.fault.is_some();
    let card = funnel_card(&state.config.analytics.funnels, &report, q.steps.as_deref(), funnel, fault, t);
    let page = Page { mount: Mount::of(&state.config), t, lang: language.code(), keep: KeptLanguage::of(language) };
    let mut response = admin.respond(Html(render(page, &report, &live, card, range_form)));
    if faulty {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// What is wrong with the range `q` asks for, in the language of `t`:
/// the rules of `RangeQuery::range`, checked in its order.
fn range_fault(q: &RangeQuery, t: &Strings) -> String {
    use crumb_core::analytics::report::{parse_day, MAX_RANGE_DAYS};
    if let (Some(from), Some(to), None) = (&q.from, &q.to, &q.period) {
        let (from_day, to_day) = (parse_day(from), parse_day(to));
        if let Some(bad) = [(from, from_day), (to, to_day)].into_iter().find_map(|(v, d)| d.is_none().then_some(v)) {
            return t.fill("dash_fault_date", &[("value", bad)]);
        }
        if to_day < from_day {
            return t.fill("dash_fault_reversed", &[("from", from), ("to", to)]);
        }
        let max = t.count("days", MAX_RANGE_DAYS.unsigned_abs());
        return t.fill("dash_fault_too_long", &[("days", &max)]);
    }
    t.get("dash_fault_range").to_owned()
}

/// Where the page is and in which language: what every part of it needs.
#[derive(Clone, Copy)]
pub struct Page<'a> {
    /// Where the dashboard, the exports and the administrators' page are (`[server] prefix`).
    pub mount: Mount<'a>,
    /// The page's messages.
    pub t: &'static Strings,
    /// The page's language's code (`<html lang>`).
    pub lang: &'static str,
    /// The language its links and forms keep (`?lang=`).
    pub keep: KeptLanguage,
}

/// The date picker as it was sent, when the range it asks for is not one.
#[derive(Default)]
pub struct RangeForm {
    /// The "From" sent.
    from: Option<String>,
    /// The "To" sent.
    to: Option<String>,
    /// What is wrong with them, in the page's language, shown next to the fields.
    fault: Option<String>,
}

/// A funnel's step on the dashboard.
struct StepRow {
    step: String,
    visitors: String,
    rate: String,
}

/// A funnel computed for the dashboard.
struct FunnelResult {
    title: String,
    steps: Vec<StepRow>,
    partial: bool,
}

/// The funnel card: links to the configured funnels, a form for any steps,
/// and the funnel asked for, if any.
pub struct FunnelCard {
    configured: Vec<String>,
    steps: String,
    fault: Option<String>,
    result: Option<FunnelResult>,
}

/// The funnel card of `report`'s range: the funnels of `crumb.toml`, the
/// steps asked for, what was wrong with them, or the funnel computed.
fn funnel_card(
    configured: &[crumb_core::config::Funnel],
    report: &Report,
    steps: Option<&str>,
    funnel: Option<(FunnelAsked, FunnelReport)>,
    fault: Option<String>,
    t: &Strings,
) -> FunnelCard {
    let k = report.min_visitors;
    let steps = funnel.as_ref().map(|(asked, _)| asked.steps.as_str()).or(steps).unwrap_or_default().to_owned();
    let result = funnel.map(|(asked, funnel)| FunnelResult {
        title: asked.name.unwrap_or_else(|| t.get("dash_steps_asked").to_owned()),
        steps: funnel
            .steps
            .into_iter()
            .map(|step| StepRow {
                visitors: if step.suppressed { fewer_than(t, k) } else { figure(t, step.visitors) },
                rate: percent(t, step.conversion_rate),
                step: step.step,
            })
            .collect(),
        partial: funnel.partial,
    });
    FunnelCard { configured: configured.iter().map(|named| named.name.clone()).collect(), steps, fault, result }
}

/// What a filtered dashboard says about its comparison with the previous
/// period, when it is not the same filters over the same raw events.
fn previous_note(t: &'static Strings, report: &Report) -> Option<&'static str> {
    match report.previous_counted? {
        report::PreviousCounted::NotKept => Some(t.get("dash_previous_not_kept")),
        _ if report.previous.suppressed => Some(t.get("dash_previous_withheld")),
        report::PreviousCounted::RawEvents => None,
        report::PreviousCounted::Rollups => Some(t.get("dash_previous_rollups")),
    }
}

/// A key figure: its element id, label, value and change.
struct Kpi {
    id: &'static str,
    label: String,
    value: String,
    /// An estimate's margin (`± 1,350`), or empty.
    margin: String,
    delta: String,
}

/// The key figures, or none when the range is under the anonymity floor.
fn kpis(t: &Strings, totals: &Totals, previous: &Totals, partial: bool) -> Option<Vec<Kpi>> {
    if totals.suppressed {
        return None;
    }
    let as_f = |v: Option<u64>| v.map(|n| n as f64);
    let change = |current, previous| change(t, current, previous, partial);
    let figure = |value| figure(t, value);
    let kpi = |id, label, value, delta| Kpi { id, label: t.get(label).to_owned(), value, margin: String::new(), delta };
    let duration = |d: f64| {
        // Whole seconds of a visit: far below 2^63.
        let seconds = d as u64;
        t.fill("dash_duration_value", &[("m", &t.number(seconds / 60)), ("s", &format!("{:02}", seconds % 60))])
    };
    Some(vec![
        Kpi {
            margin: margin(t, totals.visitors_margin),
            ..kpi(
                "visitors",
                "dash_unique_visitors",
                figure(totals.visitors),
                change(as_f(totals.visitors), as_f(previous.visitors)),
            )
        },
        kpi("visits", "dash_visits", figure(totals.visits), change(as_f(totals.visits), as_f(previous.visits))),
        kpi(
            "pageviews",
            "dash_pageviews",
            figure(totals.pageviews),
            change(as_f(totals.pageviews), as_f(previous.pageviews)),
        ),
        kpi("bounce", "dash_bounce", percent(t, totals.bounce_rate), change(totals.bounce_rate, previous.bounce_rate)),
        kpi(
            "duration",
            "dash_duration",
            totals.visit_duration_s.map_or("—".into(), duration),
            change(totals.visit_duration_s, previous.visit_duration_s),
        ),
        kpi("new", "dash_new", figure(totals.new_visits), String::new()),
        kpi("returning", "dash_returning", figure(totals.returning_visits), String::new()),
        kpi("events", "dash_events", figure(totals.events), change(as_f(totals.events), as_f(previous.events))),
    ])
}

/// A horizontal grid line of the chart: its height in the plot (SVG user
/// units, and percent from the bottom for its label) and its value.
struct GridLine {
    y: String,
    bottom: String,
    value: String,
}

/// A label under the chart's x axis: its position in percent of the plot's
/// width, and how it is anchored (the first to its left edge, the last to
/// its right edge, so that neither is clipped).
struct AxisLabel {
    left: String,
    anchor: &'static str,
    text: String,
}

/// A point of the visitors line, with its tooltip.
struct Marker {
    cx: String,
    cy: String,
    /// "2026-11-07 · visitors: 1,234 · page views: 5,678", in the page's language.
    tooltip: String,
}

/// The dashboard's line chart of visitors and page views
/// (`web/templates/dashboard/chart.html`): the lines in an SVG that
/// stretches to the plot's box, the axis labels as text of the page, so
/// that they keep their size (12 CSS px) on a phone as on a desktop.
#[derive(Template)]
#[template(path = "dashboard/chart.html")]
pub struct Chart {
    w: f64,
    h: f64,
    /// The response's CSP nonce, on the chart's `<style>` (the labels' positions).
    nonce: String,
    /// "Visitors and page views per day", in the page's language.
    title: &'static str,
    grid: Vec<GridLine>,
    labels: Vec<AxisLabel>,
    pageviews: String,
    visitors: String,
    markers: Vec<Marker>,
}

/// The step of the y axis: 1, 2, 2.5 or 5 times a power of ten, so that
/// about four steps reach `max` (and the ticks read 0, 500, 1,000 …).
fn tick_step(max: u64) -> u64 {
    let rough = (max as f64 / 4.0).max(1.0);
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .filter(|s| s.fract() == 0.0)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power);
    // A step below 1 is no count: whole visitors only.
    (step.round() as u64).max(1)
}

/// The indices of the points labelled under the x axis: at most six,
/// evenly spaced, and the last point always.
fn labelled(points: usize) -> Vec<usize> {
    if points == 0 {
        return Vec::new();
    }
    let every = (points - 1).div_ceil(5).max(1);
    let mut indices: Vec<usize> = (0..points).step_by(every).collect();
    let last = points - 1;
    if indices.last() != Some(&last) {
        // Closer to the last one than a full step (the last label is anchored
        // at its end and would touch it on a phone): the last one wins.
        if indices.last().is_some_and(|i| last - i < every) {
            indices.pop();
        }
        indices.push(last);
    }
    indices
}

/// The chart of `series`: a point per bucket; a withheld one breaks the lines.
pub fn chart(t: &'static Strings, series: &[Point], nonce: String) -> Chart {
    const W: f64 = 1000.0;
    const H: f64 = 200.0;
    let max = series.iter().filter_map(|p| p.pageviews.max(p.visitors)).max().unwrap_or(0);
    let step = tick_step(max);
    let steps = max.div_ceil(step).max(1);
    let top = (step * steps) as f64;
    let n = series.len().max(2) as f64;
    let x = |i: usize| W * i as f64 / (n - 1.0);
    let y = |v: u64| H * (1.0 - v as f64 / top);
    let line = |pick: fn(&Point) -> Option<u64>| {
        let mut d = String::new();
        let mut pen_down = false;
        for (i, point) in series.iter().enumerate() {
            match pick(point) {
                Some(v) => {
                    let _ = write!(d, "{}{:.1},{:.1} ", if pen_down { "L" } else { "M" }, x(i), y(v));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        d
    };
    let grid = (0..=steps)
        .map(|i| {
            let value = step * i;
            GridLine {
                y: format!("{:.1}", y(value)),
                bottom: format!("{:.2}", value as f64 / top * 100.0),
                value: t.number(value),
            }
        })
        .collect();
    let indices = labelled(series.len());
    let labels = indices
        .iter()
        .map(|&i| {
            let point = &series[i];
            AxisLabel {
                left: format!("{:.2}", x(i) / W * 100.0),
                anchor: if i == 0 {
                    "first"
                } else if i + 1 == series.len() {
                    "last"
                } else {
                    "mid"
                },
                text: point.bucket.split('T').nth(1).map_or_else(
                    || point.bucket.get(5..).unwrap_or_default().to_owned(),
                    |h| h.get(..5).unwrap_or(h).to_owned(),
                ),
            }
        })
        .collect();
    let markers = series
        .iter()
        .enumerate()
        .filter_map(|(i, point)| {
            point.visitors.map(|v| Marker {
                cx: format!("{:.1}", x(i)),
                cy: format!("{:.1}", y(v)),
                tooltip: t.fill(
                    "dash_marker",
                    &[
                        ("bucket", &point.bucket),
                        ("visitors", &t.number(v)),
                        ("pageviews", &figure(t, point.pageviews)),
                    ],
                ),
            })
        })
        .collect();
    Chart {
        w: W,
        h: H,
        nonce,
        title: t.get(if series.first().is_some_and(|p| p.bucket.contains('T')) {
            "dash_chart_hour"
        } else {
            "dash_chart_day"
        }),
        grid,
        labels,
        pageviews: line(|p| p.pageviews),
        visitors: line(|p| p.visitors),
        markers,
    }
}

/// A table's heading and its first column's heading, in the language of
/// `t` (the UTM parameters keep their names).
fn headings(t: &'static Strings, dimension: Dimension) -> (&'static str, &'static str) {
    let (title, column) = match dimension {
        Dimension::Total => ("dash_t_total", ""),
        Dimension::Page => ("dash_t_page", "dash_c_page"),
        Dimension::Entry => ("dash_t_entry", "dash_c_page"),
        Dimension::Exit => ("dash_t_exit", "dash_c_page"),
        Dimension::Source => ("dash_t_source", "dash_c_source"),
        Dimension::UtmSource => ("dash_t_utm_source", "utm_source"),
        Dimension::UtmMedium => ("dash_t_utm_medium", "utm_medium"),
        Dimension::UtmCampaign => ("dash_t_utm_campaign", "utm_campaign"),
        Dimension::Browser => ("dash_t_browser", "dash_c_browser"),
        Dimension::Os => ("dash_t_os", "dash_c_os"),
        Dimension::Device => ("dash_t_device", "dash_c_device"),
        Dimension::VisitorType => ("dash_t_visitor_type", "dash_visitors"),
        Dimension::Tracking => ("dash_t_tracking", "dash_c_counted"),
        Dimension::Event => ("dash_t_event", "dash_c_event"),
        Dimension::Property => ("dash_t_property", "dash_c_property"),
        Dimension::Outbound => ("dash_t_outbound", "dash_c_link"),
        Dimension::Funnel => ("dash_t_funnel", "dash_step"),
    };
    let column = if column.starts_with("dash_") { t.get(column) } else { column };
    (t.get(title), column)
}

/// A row of a report table, as shown.
struct RowView {
    value: String,
    /// The dashboard filtered by this row's value, for rows that can be.
    href: Option<String>,
    visitors: String,
    /// An estimate's margin (`± 35`), or empty.
    margin: String,
    second: String,
    other: bool,
}

/// How a row's value is shown: the words crumb writes for it in the
/// page's language ("(other)", a direct visit, how a visit was counted), or
/// the value as it was recorded.
fn shown_value(t: &Strings, dimension: &str, value: &str, other: bool) -> String {
    match (dimension, value) {
        _ if other => t.get("dash_other").to_owned(),
        ("source", "") => t.get("dash_direct").to_owned(),
        ("property", property) => property.replace('\u{1f}', " · "),
        ("tracking", "cookie") => t.get("dash_with_consent").to_owned(),
        ("tracking", "cookieless") => t.get("dash_without_consent").to_owned(),
        (_, value) => value.to_owned(),
    }
}

/// A report table, as shown.
struct TableView {
    id: &'static str,
    title: &'static str,
    column: &'static str,
    /// The second figure's heading: events for event tables, visits otherwise.
    second: &'static str,
    rows: Vec<RowView>,
}

/// The dashboard (of `page`, in its language) of `from` to `to` with `filters` (query names and values).
fn dashboard_href(page: Page<'_>, from: &str, to: &str, filters: &[(&str, &str)]) -> String {
    let mut pairs = vec![("from", from), ("to", to)];
    pairs.extend_from_slice(filters);
    if let Some(code) = page.keep.code() {
        pairs.push(("lang", code));
    }
    let mount = page.mount;
    // Encoding string pairs cannot fail.
    mount.at(&format!("/dashboard?{}", serde_urlencoded::to_string(pairs).unwrap_or_default()))
}

/// How a filter is named on the page.
fn filter_label(t: &'static Strings, dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Entry => t.get("dash_c_entry"),
        Dimension::Exit => t.get("dash_c_exit"),
        other => headings(t, other).1,
    }
}

/// An active filter, as shown: what it keeps and the link that removes it.
struct FilterView {
    label: &'static str,
    value: String,
    remove: String,
    /// The remove link's accessible name ("Remove the filter Page: /a").
    remove_label: String,
}

/// The report's filters, as query pairs.
fn filter_pairs(report: &Report) -> Vec<(&'static str, &str)> {
    report.filters.iter().map(|f| (f.dimension.name(), f.value.as_str())).collect()
}

fn table(
    page: Page<'_>,
    dimension: Dimension,
    title: &'static str,
    column: &'static str,
    rows: &[TableRow],
    report: &Report,
) -> TableView {
    let t = page.t;
    let (id, k) = (dimension.name(), report.min_visitors);
    let events = matches!(id, "event" | "property" | "outbound");
    let filterable = report::FILTERABLE.contains(&dimension);
    let others: Vec<(&str, &str)> = filter_pairs(report).into_iter().filter(|(name, _)| *name != id).collect();
    let rows = rows
        .iter()
        .map(|row| {
            let href = (filterable && !row.other && !row.suppressed).then(|| {
                let mut pairs = others.clone();
                pairs.push((id, row.value.as_str()));
                dashboard_href(page, &report.from, &report.to, &pairs)
            });
            let value = shown_value(t, id, &row.value, row.other);
            let second = figure(t, if events { row.events } else { row.visits });
            let (visitors, second) = if row.suppressed {
                (fewer_than(t, k), "—".to_owned())
            } else if let (None, Some(at_least)) = (row.visitors, row.visitors_at_least) {
                (format!("{}+", t.number(at_least)), second)
            } else {
                (figure(t, row.visitors), second)
            };
            RowView { value, href, visitors, margin: margin(t, row.visitors_margin), second, other: row.other }
        })
        .collect();
    TableView { id, title, column, second: t.get(if events { "dash_events" } else { "dash_visits" }), rows }
}

/// A goal, as shown.
struct GoalView {
    name: String,
    visitors: String,
    conversions: String,
    rate: String,
}

/// The dashboard (`web/templates/dashboard/page.html`).
#[derive(Template)]
#[template(path = "dashboard/page.html")]
struct DashboardPage<'a> {
    /// Where the dashboard, the exports and the administrators' page are (`[server] prefix`).
    mount: Mount<'a>,
    /// The page's messages.
    t: &'static Strings,
    /// The page's language's code: `<html lang>`.
    lang: &'static str,
    /// The language its links and forms keep (`?lang=`).
    keep: KeptLanguage,
    site: &'a str,
    css: &'static str,
    /// The response's CSP nonce, on its `<style>`.
    nonce: String,
    from: &'a str,
    to: &'a str,
    /// The date fields' values: the range shown, or what was sent when it was not a range.
    field_from: &'a str,
    field_to: &'a str,
    range_fault: Option<String>,
    /// The active filters.
    filters: Vec<FilterView>,
    /// The filters as hidden fields of the date picker: (name, value).
    filter_fields: Vec<(&'static str, String)>,
    /// The query of the CSV and JSON links: range and filters.
    export_query: String,
    /// With filters: the first day counted, when the range reaches beyond the raw events kept.
    counted_from: Option<String>,
    /// Some figure shown is an estimate (with its margin).
    has_estimates: bool,
    /// With filters: how the previous period was compared, when not as the range.
    previous_note: Option<&'static str>,
    k: u64,
    live: &'a str,
    kpis: Option<Vec<Kpi>>,
    chart: Embed<Chart>,
    /// The chart's caption: the range and its granularity.
    caption: String,
    cross_text: String,
    cross_partial: bool,
    goals: Vec<GoalView>,
    funnel: FunnelCard,
    tables: Vec<TableView>,
}

impl DashboardPage<'_> {
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

    /// The preset `period` ("7d") as its link names it ("7 days").
    fn preset(&self, days: &u64) -> String {
        self.t.count("days", *days)
    }

    /// A number as the page's language writes it.
    fn number(&self, n: &u64) -> String {
        self.t.number(*n)
    }
}

/// The dashboard page.
pub fn render(page: Page<'_>, report: &Report, live: &str, funnel: FunnelCard, range_form: RangeForm) -> String {
    let (t, k) = (page.t, report.min_visitors);
    let tables = report::tables()
        .filter_map(|dimension| {
            let rows = report.tables.get(dimension.name())?;
            let (title, column) = headings(t, dimension);
            Some(table(page, dimension, title, column, rows, report))
        })
        .collect();
    let goals = report
        .goals
        .iter()
        .map(|goal| GoalView {
            name: goal.name.clone(),
            visitors: if goal.suppressed { fewer_than(t, k) } else { figure(t, goal.visitors) },
            conversions: figure(t, goal.conversions),
            rate: percent(t, goal.conversion_rate),
        })
        .collect();
    let cross = &report.cross_device;
    let cross_text = match (cross.suppressed, cross.users_on_several_devices, cross.signed_in_users) {
        _ if cross.not_filtered => t.get("dash_cross_not_filtered").to_owned(),
        (false, Some(several), Some(all)) => {
            t.fill("dash_cross", &[("all", &t.number(all)), ("several", &t.number(several))])
        }
        _ => t.fill("dash_cross_few", &[("k", &t.number(k))]),
    };
    let caption = t.fill(
        match report.granularity {
            crumb_store::analytics::Granularity::Hour => "dash_caption_hour",
            crumb_store::analytics::Granularity::Day => "dash_caption_day",
        },
        &[("from", &report.from), ("to", &report.to)],
    );
    let nonce = crate::security_headers::current_nonce().unwrap_or_default();
    pages::render(&DashboardPage {
        mount: page.mount,
        t,
        lang: page.lang,
        keep: page.keep,
        site: &report.site,
        css: DASHBOARD_CSS,
        nonce: nonce.clone(),
        from: &report.from,
        to: &report.to,
        field_from: range_form.from.as_deref().unwrap_or(&report.from),
        field_to: range_form.to.as_deref().unwrap_or(&report.to),
        range_fault: range_form.fault,
        filters: report
            .filters
            .iter()
            .map(|filter| {
                let rest: Vec<(&str, &str)> =
                    filter_pairs(report).into_iter().filter(|(name, _)| *name != filter.dimension.name()).collect();
                let label = filter_label(t, filter.dimension);
                let value = match (filter.dimension, filter.value.as_str()) {
                    (Dimension::Source, "") => t.get("dash_direct").to_owned(),
                    (_, value) => value.to_owned(),
                };
                FilterView {
                    remove_label: t.fill("dash_remove_filter", &[("filter", &format!("{label}: {value}"))]),
                    label,
                    value,
                    remove: dashboard_href(page, &report.from, &report.to, &rest),
                }
            })
            .collect(),
        filter_fields: report.filters.iter().map(|f| (f.dimension.name(), f.value.clone())).collect(),
        export_query: {
            let mut pairs = vec![("from", report.from.as_str()), ("to", report.to.as_str())];
            pairs.extend(filter_pairs(report));
            // Encoding string pairs cannot fail.
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        },
        counted_from: report.counted_from.clone(),
        has_estimates: report.totals.visitors_margin.is_some()
            || report.tables.values().flatten().any(|row| row.visitors_margin.is_some()),
        previous_note: previous_note(t, report),
        k,
        live,
        kpis: kpis(t, &report.totals, &report.previous, report.previous_partial),
        chart: Embed(chart(t, &report.series, nonce)),
        caption,
        cross_text,
        cross_partial: cross.partial,
        goals,
        funnel,
        tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crumb_core::i18n::Language;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("/a,b"), "\"/a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("/plain"), "/plain");
    }

    #[test]
    fn counts_have_the_thousands_separators_of_the_page_s_language() {
        let english = Language::En.strings();
        let shown: Vec<String> = [0, 7, 999, 1_000, 41_380, 1_234_567].into_iter().map(|n| english.number(n)).collect();
        assert_eq!(shown, ["0", "7", "999", "1,000", "41,380", "1,234,567"]);
        assert_eq!(percent(english, Some(42.5)), "42.5 %");
        assert_eq!(percent(Language::De.strings(), Some(42.5)), "42,5 %");
    }

    #[test]
    fn the_y_axis_has_round_ticks() {
        for (max, step) in [(0, 1), (3, 1), (9, 5), (40, 10), (6_630, 2_000), (4_972, 2_000), (19_000, 5_000)] {
            assert_eq!(tick_step(max), step, "max {max}");
        }
        let series: Vec<Point> = (0..7)
            .map(|i| Point {
                bucket: format!("2026-11-0{}", i + 1),
                at: 0,
                suppressed: false,
                visitors: Some(1_000 + i * 100),
                pageviews: Some(6_630 - i * 10),
                visits: Some(1_200),
            })
            .collect();
        let chart = chart(Language::En.strings(), &series, String::new());
        let ticks: Vec<&str> = chart.grid.iter().map(|g| g.value.as_str()).collect();
        assert_eq!(ticks, ["0", "2,000", "4,000", "6,000", "8,000"]);
        let labels: Vec<(&str, &str)> = chart.labels.iter().map(|l| (l.text.as_str(), l.anchor)).collect();
        assert_eq!(labels.last(), Some(&("11-07", "last")), "the last day is labelled, anchored at its end");
        assert_eq!(labels.first(), Some(&("11-01", "first")));
    }

    #[test]
    fn the_chart_skips_withheld_points() {
        let point = |bucket: &str, v: Option<u64>| Point {
            bucket: bucket.into(),
            at: 0,
            suppressed: v.is_none(),
            visitors: v,
            pageviews: v.map(|n| n * 2),
            visits: v,
        };
        let chart = chart(
            Language::En.strings(),
            &[point("2026-11-01", Some(10)), point("2026-11-02", None), point("2026-11-03", Some(30))],
            String::new(),
        );
        assert_eq!(chart.markers.len(), 2, "no marker for the withheld day");
        assert!(chart.visitors.starts_with("M0.0"), "{}", chart.visitors);
        assert_eq!(chart.visitors.matches('M').count(), 2, "the line restarts after the gap: {}", chart.visitors);
    }
}
