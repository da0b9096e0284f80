//! `/dashboard` and the statistics API, for administrators only.
//!
//! - `GET /dashboard`: server-rendered page with an SVG time-series chart,
//!   the date picker and every report table (no script, no CDN);
//! - `GET /api/stats`: the same report as JSON;
//! - `GET /api/stats/realtime`: the last five minutes;
//! - `GET /api/stats/funnel?steps=/a,/b,event:name` (or `?funnel=<name>`
//!   of a funnel in `crumb.toml`): a funnel;
//! - `GET /api/stats.csv`: the report as CSV.

use std::fmt::Write as _;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;

use askama::Template;

use crumb_store::analytics::rollup::Dimension;

use crate::extract::Admin;
use crate::mount::Mount;
use crate::pages::{self, Embed};
use crate::problem::Problem;
use crate::state::AppState;
use crumb_core::analytics::report::{
    self, FunnelAsked, FunnelReport, Point, RangeQuery, Report, ReportError, TableRow, Totals,
};

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
pub async fn page(State(state): State<AppState>, admin: Admin, Range(q): Range) -> Result<Response, Problem> {
    // A range the page cannot show (a "To" before "From") is said next to
    // the date fields, with 400, over the default range.
    let (range, range_form) = match q.range(state.now_millis()) {
        Ok(range) => (range, RangeForm::default()),
        Err(ReportError::Query(detail)) => (
            RangeQuery::default().range(state.now_millis())?,
            RangeForm { from: q.from.clone(), to: q.to.clone(), fault: Some(detail) },
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
        Some(n) => format!("{n} visitors in the last 5 minutes"),
        None => format!("Fewer than {} visitors in the last 5 minutes", realtime.min_visitors),
    };
    // A funnel the page cannot show is said in its card, with 400.
    let (funnel, fault) = match (asked, funnel) {
        (Ok(Some(asked)), Some(Ok(funnel))) => (Some((asked, funnel)), None),
        (Err(ReportError::Query(detail)), _) | (_, Some(Err(ReportError::Query(detail)))) => (None, Some(detail)),
        (Err(error), _) | (_, Some(Err(error))) => return Err(error.into()),
        _ => (None, None),
    };
    let faulty = fault.is_some() || range_form.fault.is_some();
    let card = funnel_card(&state.config.analytics.funnels, &report, q.steps.as_deref(), funnel, fault);
    let mut response = admin.respond(Html(render(Mount::of(&state.config), &report, &live, card, range_form)));
    if faulty {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// The date picker as it was sent, when the range it asks for is not one.
#[derive(Default)]
pub struct RangeForm {
    /// The "From" sent.
    from: Option<String>,
    /// The "To" sent.
    to: Option<String>,
    /// What is wrong with them, shown next to the fields.
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
) -> FunnelCard {
    let k = report.min_visitors;
    let steps = funnel.as_ref().map(|(asked, _)| asked.steps.as_str()).or(steps).unwrap_or_default().to_owned();
    let result = funnel.map(|(asked, funnel)| FunnelResult {
        title: asked.name.unwrap_or_else(|| "Steps asked".to_owned()),
        steps: funnel
            .steps
            .into_iter()
            .map(|step| StepRow {
                visitors: if step.suppressed { format!("fewer than {k}") } else { figure(step.visitors) },
                rate: percent(step.conversion_rate),
                step: step.step,
            })
            .collect(),
        partial: funnel.partial,
    });
    FunnelCard { configured: configured.iter().map(|named| named.name.clone()).collect(), steps, fault, result }
}

/// A count as the page's language (English) writes it: 41,380.
fn count(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn figure(value: Option<u64>) -> String {
    value.map_or_else(|| "—".to_owned(), count)
}

/// An estimate's margin, as shown after it (`± 1,350`), or nothing for an exact count.
fn margin(value: Option<u64>) -> String {
    value.map(|m| format!("± {}", count(m))).unwrap_or_default()
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{r} %"))
}

/// The change against the period before: `+12 % vs previous period`, or,
/// while the range is not over, against the same time of the period before.
fn change(current: Option<f64>, previous: Option<f64>, partial: bool) -> String {
    let against = if partial { "vs previous period, same hours" } else { "vs previous period" };
    match (current, previous) {
        (Some(c), Some(p)) if p > 0.0 => {
            let percent = ((c - p) / p * 100.0).round();
            // Rounded, and far below 2^63: the cast keeps it.
            let sign = if percent < 0.0 { "−" } else { "+" };
            format!("{sign}{} % {against}", count(percent.abs() as u64))
        }
        _ => String::new(),
    }
}

/// What a filtered dashboard says in place of the cross-device figures.
const CROSS_DEVICE_NOT_FILTERED: &str =
    "Cross-device users are counted per signed-in user, not per visit: not filtered, so not shown here.";

/// What a filtered dashboard says about its comparison with the previous
/// period, when it is not the same filters over the same raw events.
fn previous_note(report: &Report) -> Option<&'static str> {
    match report.previous_counted? {
        report::PreviousCounted::NotKept => Some(
            "No comparison with the previous period: its raw events are no longer kept, and its rollups count \
             one entry page, exit page, source, UTM value, browser, system or device, not these filters.",
        ),
        _ if report.previous.suppressed => {
            Some("The previous period's filtered figures are withheld: they would fall under the anonymity floor.")
        }
        report::PreviousCounted::RawEvents => None,
        report::PreviousCounted::Rollups => Some(
            "The previous period's raw events are no longer kept: it is compared from its rollups of this value \
             (no events or returning visits).",
        ),
    }
}

/// A key figure: its element id, label, value and change.
struct Kpi {
    id: &'static str,
    label: &'static str,
    value: String,
    /// An estimate's margin (`± 1,350`), or empty.
    margin: String,
    delta: String,
}

/// The key figures, or none when the range is under the anonymity floor.
fn kpis(totals: &Totals, previous: &Totals, partial: bool) -> Option<Vec<Kpi>> {
    if totals.suppressed {
        return None;
    }
    let as_f = |v: Option<u64>| v.map(|n| n as f64);
    let change = |current, previous| change(current, previous, partial);
    let kpi = |id, label, value, delta| Kpi { id, label, value, margin: String::new(), delta };
    Some(vec![
        Kpi {
            margin: margin(totals.visitors_margin),
            ..kpi(
                "visitors",
                "Unique visitors",
                figure(totals.visitors),
                change(as_f(totals.visitors), as_f(previous.visitors)),
            )
        },
        kpi("visits", "Visits", figure(totals.visits), change(as_f(totals.visits), as_f(previous.visits))),
        kpi(
            "pageviews",
            "Page views",
            figure(totals.pageviews),
            change(as_f(totals.pageviews), as_f(previous.pageviews)),
        ),
        kpi("bounce", "Bounce rate", percent(totals.bounce_rate), change(totals.bounce_rate, previous.bounce_rate)),
        kpi(
            "duration",
            "Visit duration",
            totals.visit_duration_s.map_or("—".into(), |d| format!("{}m {:02}s", (d as u64) / 60, (d as u64) % 60)),
            change(totals.visit_duration_s, previous.visit_duration_s),
        ),
        kpi("new", "New visits", figure(totals.new_visits), String::new()),
        kpi("returning", "Returning visits", figure(totals.returning_visits), String::new()),
        kpi("events", "Events", figure(totals.events), change(as_f(totals.events), as_f(previous.events))),
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
    bucket: String,
    visitors: String,
    pageviews: String,
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
    unit: &'static str,
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
pub fn chart(series: &[Point], nonce: String) -> Chart {
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
                value: count(value),
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
                bucket: point.bucket.clone(),
                visitors: count(v),
                pageviews: figure(point.pageviews),
            })
        })
        .collect();
    Chart {
        w: W,
        h: H,
        nonce,
        unit: if series.first().is_some_and(|p| p.bucket.contains('T')) { "hour" } else { "day" },
        grid,
        labels,
        pageviews: line(|p| p.pageviews),
        visitors: line(|p| p.visitors),
        markers,
    }
}

/// A table's heading and its first column's heading.
fn headings(dimension: Dimension) -> (&'static str, &'static str) {
    match dimension {
        Dimension::Total => ("Totals", ""),
        Dimension::Page => ("Top pages", "Page"),
        Dimension::Entry => ("Entry pages", "Page"),
        Dimension::Exit => ("Exit pages", "Page"),
        Dimension::Source => ("Sources", "Source"),
        Dimension::UtmSource => ("UTM sources", "utm_source"),
        Dimension::UtmMedium => ("UTM media", "utm_medium"),
        Dimension::UtmCampaign => ("UTM campaigns", "utm_campaign"),
        Dimension::Browser => ("Browsers", "Browser"),
        Dimension::Os => ("Operating systems", "OS"),
        Dimension::Device => ("Devices", "Device"),
        Dimension::VisitorType => ("New vs returning", "Visitors"),
        Dimension::Tracking => ("How visits were counted", "Counted"),
        Dimension::Event => ("Custom events", "Event"),
        Dimension::Property => ("Event properties", "Event · property · value"),
        Dimension::Outbound => ("Outbound links", "Link"),
        Dimension::Funnel => ("Funnel steps", "Step"),
    }
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

/// A report table, as shown.
struct TableView {
    id: &'static str,
    title: &'static str,
    column: &'static str,
    /// The second figure's heading: events for event tables, visits otherwise.
    second: &'static str,
    rows: Vec<RowView>,
}

/// The dashboard (at `mount`) of `from` to `to` with `filters` (query names and values).
fn dashboard_href(mount: Mount<'_>, from: &str, to: &str, filters: &[(&str, &str)]) -> String {
    let mut pairs = vec![("from", from), ("to", to)];
    pairs.extend_from_slice(filters);
    // Encoding string pairs cannot fail.
    mount.at(&format!("/dashboard?{}", serde_urlencoded::to_string(pairs).unwrap_or_default()))
}

/// How a filter is named on the page.
fn filter_label(dimension: Dimension) -> &'static str {
    match dimension {
        Dimension::Entry => "Entry page",
        Dimension::Exit => "Exit page",
        other => headings(other).1,
    }
}

/// An active filter, as shown: what it keeps and the link that removes it.
struct FilterView {
    label: &'static str,
    value: String,
    remove: String,
}

/// The report's filters, as query pairs.
fn filter_pairs(report: &Report) -> Vec<(&'static str, &str)> {
    report.filters.iter().map(|f| (f.dimension.name(), f.value.as_str())).collect()
}

fn table(
    mount: Mount<'_>,
    dimension: Dimension,
    title: &'static str,
    column: &'static str,
    rows: &[TableRow],
    report: &Report,
) -> TableView {
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
                dashboard_href(mount, &report.from, &report.to, &pairs)
            });
            let value = match (id, row.value.as_str()) {
                ("source", "") => "Direct / none".to_owned(),
                ("property", property) => property.replace('\u{1f}', " · "),
                ("tracking", "cookie") => "With consent (visitor cookie)".to_owned(),
                ("tracking", "cookieless") => "Without consent (cookieless, a day at most)".to_owned(),
                (_, value) => value.to_owned(),
            };
            let (visitors, second) = if row.suppressed {
                (format!("fewer than {k}"), "—".to_owned())
            } else if let (None, Some(at_least)) = (row.visitors, row.visitors_at_least) {
                (format!("{}+", count(at_least)), figure(if events { row.events } else { row.visits }))
            } else {
                (figure(row.visitors), figure(if events { row.events } else { row.visits }))
            };
            RowView { value, href, visitors, margin: margin(row.visitors_margin), second, other: row.other }
        })
        .collect();
    TableView { id, title, column, second: if events { "Events" } else { "Visits" }, rows }
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
    granularity: &'static str,
    cross_text: String,
    cross_partial: bool,
    goals: Vec<GoalView>,
    funnel: FunnelCard,
    tables: Vec<TableView>,
}

/// The dashboard page.
pub fn render(mount: Mount<'_>, report: &Report, live: &str, funnel: FunnelCard, range_form: RangeForm) -> String {
    let k = report.min_visitors;
    let tables = report::tables()
        .filter_map(|dimension| {
            let rows = report.tables.get(dimension.name())?;
            let (title, column) = headings(dimension);
            Some(table(mount, dimension, title, column, rows, report))
        })
        .collect();
    let goals = report
        .goals
        .iter()
        .map(|goal| GoalView {
            name: goal.name.clone(),
            visitors: if goal.suppressed { format!("fewer than {k}") } else { figure(goal.visitors) },
            conversions: figure(goal.conversions),
            rate: percent(goal.conversion_rate),
        })
        .collect();
    let cross = &report.cross_device;
    let cross_text = match (cross.suppressed, cross.users_on_several_devices, cross.signed_in_users) {
        _ if cross.not_filtered => CROSS_DEVICE_NOT_FILTERED.to_owned(),
        (false, Some(several), Some(all)) => {
            format!("{several} of {all} signed-in users with linked devices used more than one device.")
        }
        _ => format!("Fewer than {k} signed-in users: withheld."),
    };
    let nonce = crate::security_headers::current_nonce().unwrap_or_default();
    pages::render(&DashboardPage {
        mount,
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
                FilterView {
                    label: filter_label(filter.dimension),
                    value: match (filter.dimension, filter.value.as_str()) {
                        (Dimension::Source, "") => "Direct / none".to_owned(),
                        (_, value) => value.to_owned(),
                    },
                    remove: dashboard_href(mount, &report.from, &report.to, &rest),
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
        previous_note: previous_note(report),
        k,
        live,
        kpis: kpis(&report.totals, &report.previous, report.previous_partial),
        chart: Embed(chart(&report.series, nonce)),
        granularity: match report.granularity {
            crumb_store::analytics::Granularity::Hour => "hour",
            crumb_store::analytics::Granularity::Day => "day",
        },
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

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("/a,b"), "\"/a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("/plain"), "/plain");
    }

    #[test]
    fn counts_have_thousands_separators() {
        let shown: Vec<String> = [0, 7, 999, 1_000, 41_380, 1_234_567].into_iter().map(count).collect();
        assert_eq!(shown, ["0", "7", "999", "1,000", "41,380", "1,234,567"]);
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
        let chart = chart(&series, String::new());
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
            &[point("2026-11-01", Some(10)), point("2026-11-02", None), point("2026-11-03", Some(30))],
            String::new(),
        );
        assert_eq!(chart.markers.len(), 2, "no marker for the withheld day");
        assert!(chart.visitors.starts_with("M0.0"), "{}", chart.visitors);
        assert_eq!(chart.visitors.matches('M').count(), 2, "the line restarts after the gap: {}", chart.visitors);
    }
}
