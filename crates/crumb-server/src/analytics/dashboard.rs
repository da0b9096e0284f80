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

use crumb_store::analytics::rollup::Dimension;

use crate::consent::append_cookies;
use crate::html::escape;
use crate::problem::Problem;
use crate::state::AppState;
use crumb_core::analytics::report::{
    self, FunnelAsked, FunnelReport, Point, RangeQuery, Report, ReportError, TableRow, Totals,
};

const DASHBOARD_CSS: &str = include_str!("../../../../web/dashboard.css");

/// A signed-in administrator. Extracting it answers 401 to a visitor who is
/// not signed in and 403 to one who is not an administrator; the cookies the
/// sign-in check refreshed go on the response ([`Admin::private`]).
pub struct Admin {
    cookies: Vec<String>,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let (signed_in, cookies) = crate::accounts::require_signed_in(state, &parts.headers).await?;
        if !signed_in.account.is_admin {
            return Err(Problem::forbidden("the statistics are for administrators only"));
        }
        Ok(Admin { cookies })
    }
}

impl Admin {
    /// `response`, uncacheable, with the refreshed cookies.
    fn private(self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        append_cookies(&mut response, self.cookies);
        response
    }
}

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
    let report = report::build(&state, q.range(state.now_millis())?, q.limit()).await?;
    Ok(admin.private(Json(report)))
}

/// `GET /api/stats/realtime`.
pub async fn realtime_json(State(state): State<AppState>, admin: Admin) -> Result<Response, Problem> {
    let realtime = report::realtime(&state).await?;
    Ok(admin.private(Json(realtime)))
}

/// `GET /api/stats/funnel`.
pub async fn funnel_json(State(state): State<AppState>, admin: Admin, Range(q): Range) -> Result<Response, Problem> {
    let asked = q.funnel_asked(&state.config.analytics.funnels)?.ok_or_else(|| {
        Problem::bad_request("steps: give the funnel's steps (or funnel=<name> of a funnel in crumb.toml)")
    })?;
    let funnel = report::funnel(&state, q.range(state.now_millis())?, &asked).await?;
    Ok(admin.private(Json(funnel)))
}

/// `GET /api/stats.csv`.
pub async fn stats_csv(State(state): State<AppState>, admin: Admin, Range(mut q): Range) -> Result<Response, Problem> {
    q.limit = Some(q.limit.unwrap_or(1000));
    let report = report::build(&state, q.range(state.now_millis())?, q.limit()).await?;
    let disposition = format!("attachment; filename=\"crumb-stats-{}-{}.csv\"", report.from, report.to);
    let mut response = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], to_csv(&report)).into_response();
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(admin.private(response))
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
    let range = q.range(state.now_millis())?;
    let asked = q.funnel_asked(&state.config.analytics.funnels);
    let funnel = async {
        match &asked {
            Ok(Some(asked)) => Some(report::funnel(&state, range, asked).await),
            _ => None,
        }
    };
    let (report, realtime, funnel) =
        tokio::join!(report::build(&state, range, q.limit()), report::realtime(&state), funnel);
    let (report, realtime) = (report?, realtime?);
    let live = match realtime.visitors {
        Some(n) => format!("{n} visitors in the last 5 minutes"),
        None => format!("fewer than {} visitors in the last 5 minutes", realtime.min_visitors),
    };
    // A funnel the page cannot show is said in its card, with 400.
    let (funnel, fault) = match (asked, funnel) {
        (Ok(Some(asked)), Some(Ok(funnel))) => (Some((asked, funnel)), None),
        (Err(ReportError::Query(detail)), _) | (_, Some(Err(ReportError::Query(detail)))) => (None, Some(detail)),
        (Err(error), _) | (_, Some(Err(error))) => return Err(error.into()),
        _ => (None, None),
    };
    let card = funnel_card(&state.config.analytics.funnels, &report, q.steps.as_deref(), funnel, fault.as_deref());
    let mut response = admin.private(Html(render(&report, &live, &card)));
    if fault.is_some() {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// The funnel card: links to the configured funnels, a form for any steps,
/// and the funnel asked for, if any.
fn funnel_card(
    configured: &[crumb_core::config::Funnel],
    report: &Report,
    steps: Option<&str>,
    funnel: Option<(FunnelAsked, FunnelReport)>,
    fault: Option<&str>,
) -> String {
    let k = report.min_visitors;
    let range = format!("from={}&amp;to={}", report.from, report.to);
    let steps = funnel.as_ref().map(|(asked, _)| asked.steps.as_str()).or(steps);
    let mut out = String::from("<section class=\"card wide\" id=\"funnel\"><h2>Funnel</h2>");
    if !configured.is_empty() {
        out.push_str("<p class=\"funnels\">");
        for named in configured {
            let _ = write!(
                out,
                "<a href=\"/dashboard?{range}&amp;funnel={}#funnel\">{}</a> ",
                escape(&percent_encode(&named.name)),
                escape(&named.name)
            );
        }
        out.push_str("</p>");
    }
    let _ = write!(
        out,
        "<form method=\"get\" action=\"/dashboard#funnel\"><input type=\"hidden\" name=\"from\" value=\"{from}\"><input type=\"hidden\" name=\"to\" value=\"{to}\"><label>Steps, in order <input type=\"text\" name=\"steps\" value=\"{steps}\" placeholder=\"/, /products, event:signup\" aria-describedby=\"funnel-help\" required></label> <button type=\"submit\">Show funnel</button><small id=\"funnel-help\">Pages (<code>/path</code>) and custom events (<code>event:name</code>), 2 to 10, separated by commas; a visitor counts at a step when one visit reached it after the steps before, in order.</small></form>",
        from = report.from,
        to = report.to,
        steps = escape(steps.unwrap_or_default()),
    );
    if let Some(fault) = fault {
        let _ = write!(out, "<p class=\"fault\" role=\"alert\" id=\"funnel-fault\">{}</p>", escape(fault));
    }
    if let Some((asked, funnel)) = funnel {
        let title = asked.name.as_deref().unwrap_or("Steps asked");
        let _ = write!(
            out,
            "<table id=\"funnel-steps\"><caption>{}</caption><thead><tr><th scope=\"col\">Step</th><th scope=\"col\">Visitors</th><th scope=\"col\">Of the first step</th></tr></thead><tbody>",
            escape(title)
        );
        for step in &funnel.steps {
            let visitors = if step.suppressed { format!("fewer than {k}") } else { figure(step.visitors) };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&step.step),
                escape(&visitors),
                step.conversion_rate.map_or("—".into(), |r| format!("{r} %"))
            );
        }
        out.push_str("</tbody></table>");
        if funnel.partial {
            out.push_str("<p class=\"floor\" id=\"funnel-partial\">Some days are left out: their raw events are past retention, and they were not rolled up with these steps (declare the funnel in crumb.toml to keep it for good).</p>");
        }
    }
    out.push_str("</section>");
    out
}

/// `text` percent-encoded for a query string value.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn figure(value: Option<u64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

fn change(current: Option<f64>, previous: Option<f64>) -> String {
    match (current, previous) {
        (Some(c), Some(p)) if p > 0.0 => format!("{:+.0} % vs previous period", (c - p) / p * 100.0),
        _ => String::new(),
    }
}

fn kpis(totals: &Totals, previous: &Totals, k: u64) -> String {
    if totals.suppressed {
        return format!("<p class=\"floor\" id=\"totals-suppressed\">Fewer than {k} visitors in this range: figures are withheld.</p>");
    }
    let as_f = |v: Option<u64>| v.map(|n| n as f64);
    let items = [
        (
            "visitors",
            "Unique visitors",
            figure(totals.visitors),
            change(as_f(totals.visitors), as_f(previous.visitors)),
        ),
        ("visits", "Visits", figure(totals.visits), change(as_f(totals.visits), as_f(previous.visits))),
        ("pageviews", "Page views", figure(totals.pageviews), change(as_f(totals.pageviews), as_f(previous.pageviews))),
        (
            "bounce",
            "Bounce rate",
            totals.bounce_rate.map_or("—".into(), |b| format!("{b} %")),
            change(totals.bounce_rate, previous.bounce_rate),
        ),
        (
            "duration",
            "Visit duration",
            totals.visit_duration_s.map_or("—".into(), |d| format!("{}m {:02}s", (d as u64) / 60, (d as u64) % 60)),
            change(totals.visit_duration_s, previous.visit_duration_s),
        ),
        ("new", "New visits", figure(totals.new_visits), String::new()),
        ("returning", "Returning visits", figure(totals.returning_visits), String::new()),
        ("events", "Events", figure(totals.events), change(as_f(totals.events), as_f(previous.events))),
    ];
    let mut out = String::from("<ul class=\"kpis\">");
    for (id, label, value, delta) in items {
        let _ = write!(
            out,
            "<li id=\"kpi-{id}\"><span class=\"l\">{label}</span><span class=\"n\">{}</span><span class=\"d\">{}</span></li>",
            escape(&value),
            escape(&delta)
        );
    }
    out.push_str("</ul>");
    out
}

/// An SVG line chart of visitors and page views.
pub fn chart(series: &[Point]) -> String {
    const W: f64 = 1000.0;
    const H: f64 = 260.0;
    const PAD_L: f64 = 48.0;
    const PAD_B: f64 = 28.0;
    let max = series.iter().filter_map(|p| p.pageviews.max(p.visitors)).max().unwrap_or(0).max(1) as f64;
    let n = series.len().max(2) as f64;
    let x = |i: usize| PAD_L + (W - PAD_L - 8.0) * i as f64 / (n - 1.0);
    let y = |v: u64| 8.0 + (H - PAD_B - 8.0) * (1.0 - v as f64 / max);
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
    let mut svg = format!(
        "<svg viewBox=\"0 0 {W} {H}\" role=\"img\" aria-labelledby=\"chart-title\" id=\"chart\"><title id=\"chart-title\">Visitors and page views per {}</title>",
        if series.first().is_some_and(|p| p.bucket.contains('T')) { "hour" } else { "day" }
    );
    for step in 0..=4 {
        let value = (max * f64::from(step) / 4.0).round() as u64;
        let _ = write!(
            svg,
            "<line x1=\"{PAD_L}\" x2=\"{W}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"currentColor\" stroke-opacity=\".15\"/><text x=\"{tx}\" y=\"{ty:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"currentColor\">{value}</text>",
            y = y(value),
            tx = PAD_L - 6.0,
            ty = y(value) + 4.0
        );
    }
    let label_every = (series.len() / 8).max(1);
    for (i, point) in series.iter().enumerate().filter(|(i, _)| i % label_every == 0) {
        let label = point.bucket.split('T').nth(1).map_or_else(|| point.bucket[5..].to_owned(), |h| h[..5].to_owned());
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\" fill=\"currentColor\">{}</text>",
            x(i),
            H - 8.0,
            escape(&label)
        );
    }
    let _ = write!(
        svg,
        "<path d=\"{}\" fill=\"none\" stroke=\"var(--accent2)\" stroke-width=\"2\" data-series=\"pageviews\"/><path d=\"{}\" fill=\"none\" stroke=\"var(--accent)\" stroke-width=\"3\" data-series=\"visitors\"/>",
        line(|p| p.pageviews),
        line(|p| p.visitors)
    );
    for (i, point) in series.iter().enumerate() {
        if let Some(v) = point.visitors {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"var(--accent)\"><title>{}: {} visitors, {} page views</title></circle>",
                x(i),
                y(v),
                escape(&point.bucket),
                v,
                figure(point.pageviews)
            );
        }
    }
    svg.push_str("</svg>");
    svg
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

fn table(id: &str, title: &str, column: &str, rows: &[TableRow], k: u64) -> String {
    let events = matches!(id, "event" | "property" | "outbound");
    let mut out = format!(
        "<section class=\"card\" id=\"table-{id}\"><h2>{title}</h2><table><thead><tr><th scope=\"col\">{column}</th><th scope=\"col\">Visitors</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        if events { "Events" } else { "Visits" }
    );
    if rows.is_empty() {
        out.push_str("<tr><td colspan=\"3\">No data</td></tr>");
    }
    for row in rows {
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
            (format!("{at_least}+"), figure(if events { row.events } else { row.visits }))
        } else {
            (figure(row.visitors), figure(if events { row.events } else { row.visits }))
        };
        let class = if row.other { " class=\"other\"" } else { "" };
        let _ = write!(
            out,
            "<tr><td{class}>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&value),
            escape(&visitors),
            escape(&second)
        );
    }
    out.push_str("</tbody></table></section>");
    out
}

/// The dashboard page.
pub fn render(report: &Report, live: &str, funnel_card: &str) -> String {
    let k = report.min_visitors;
    let mut tables = String::new();
    for dimension in report::tables() {
        if let Some(rows) = report.tables.get(dimension.name()) {
            let (title, column) = headings(dimension);
            tables.push_str(&table(dimension.name(), title, column, rows, k));
        }
    }
    let mut goals = String::new();
    if !report.goals.is_empty() {
        goals.push_str("<section class=\"card\" id=\"goals\"><h2>Goals</h2><table><thead><tr><th scope=\"col\">Goal</th><th scope=\"col\">Visitors</th><th scope=\"col\">Conversions</th><th scope=\"col\">Rate</th></tr></thead><tbody>");
        for goal in &report.goals {
            let _ = write!(
                goals,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&goal.name),
                if goal.suppressed { format!("fewer than {k}") } else { figure(goal.visitors) },
                figure(goal.conversions),
                goal.conversion_rate.map_or("—".into(), |r| format!("{r} %"))
            );
        }
        goals.push_str("</tbody></table></section>");
    }
    let cross = &report.cross_device;
    let cross_text = match (cross.suppressed, cross.users_on_several_devices, cross.signed_in_users) {
        (false, Some(several), Some(all)) => {
            format!("{several} of {all} signed-in users with linked devices used more than one device.")
        }
        _ => format!("Fewer than {k} signed-in users: withheld."),
    };
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Statistics · {site}</title>
<style>{css}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><h1>Statistics · {site}</h1><nav aria-label="Admin"><a href="/admin">Administration</a> · <a href="/api/stats.csv?from={from}&amp;to={to}">CSV</a> · <a href="/api/stats?from={from}&amp;to={to}">JSON</a></nav></header>
<main id="main">
<form class="range" method="get" action="/dashboard" aria-label="Date range">
<label>From <input type="date" name="from" value="{from}" required></label>
<label>To <input type="date" name="to" value="{to}" required></label>
<button type="submit">Show</button>
<span class="presets"><a href="/dashboard?period=today">Today</a><a href="/dashboard?period=7d">7 days</a><a href="/dashboard?period=30d">30 days</a><a href="/dashboard?period=90d">90 days</a><a href="/dashboard?period=365d">12 months</a></span>
</form>
<p class="floor" id="floor">Anonymity floor: rows with fewer than <strong id="min-visitors">{k}</strong> visitors are folded into “(other)” or withheld. <span id="realtime">{live}</span>.</p>
{kpis}
<figure><div class="legend"><span><i style="background:var(--accent)"></i>Visitors</span><span><i style="background:var(--accent2)"></i>Page views</span></div>{chart}<figcaption>{from} to {to}, per {granularity}; points under the floor are left out.</figcaption></figure>
<p id="cross-device">{cross_text}{partial}</p>
<div class="grid">{goals}{funnel_card}{tables}</div>
</main>
</body>
</html>
"##,
        site = escape(&report.site),
        css = DASHBOARD_CSS,
        from = report.from,
        to = report.to,
        live = escape(live),
        kpis = kpis(&report.totals, &report.previous, k),
        chart = chart(&report.series),
        granularity = match report.granularity {
            crumb_store::analytics::Granularity::Hour => "hour",
            crumb_store::analytics::Granularity::Day => "day",
        },
        cross_text = escape(&cross_text),
        partial = if cross.partial { " (counted over the days whose raw events are still kept)" } else { "" },
    )
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
    fn the_chart_skips_withheld_points() {
        let point = |bucket: &str, v: Option<u64>| Point {
            bucket: bucket.into(),
            at: 0,
            suppressed: v.is_none(),
            visitors: v,
            pageviews: v.map(|n| n * 2),
            visits: v,
        };
        let svg = chart(&[point("2026-11-01", Some(10)), point("2026-11-02", None), point("2026-11-03", Some(30))]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 2, "no marker for the withheld day");
        assert!(svg.contains("data-series=\"visitors\""));
        assert!(svg.contains("M48.0"), "the line restarts after the gap");
    }
}
