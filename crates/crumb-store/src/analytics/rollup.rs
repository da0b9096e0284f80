//! Turning raw events into rollup rows: visits cut from each visitor's
//! events, then counts and visitor sketches per bucket, dimension and value.
//!
//! The same function rolls up a closed day for storage and aggregates the
//! still-open part of a report's range on the fly, so stored rollups and
//! raw-event counts agree by construction (and a test checks that they do).

use std::collections::HashMap;

use super::sketch::Precision;
use super::{Counts, EventKind, Granularity, RollupRow, StoredEvent, VisitorSketch, DAY_MILLIS};
use crate::UnixMillis;

/// A visit ends after this long without an event.
pub const VISIT_TIMEOUT_MILLIS: UnixMillis = 30 * 60 * 1000;

/// The dimensions rollups are kept for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// The whole site (value empty).
    Total,
    /// Page paths (page views).
    Page,
    /// First page of a visit.
    Entry,
    /// Last page of a visit.
    Exit,
    /// Referrer source of a visit (empty: direct).
    Source,
    /// `utm_source` of a visit.
    UtmSource,
    /// `utm_medium` of a visit.
    UtmMedium,
    /// `utm_campaign` of a visit.
    UtmCampaign,
    /// Browser family.
    Browser,
    /// Operating system family.
    Os,
    /// Device class.
    Device,
    /// `new` or `returning` (only for visitors with a cookie).
    VisitorType,
    /// `cookie` or `cookieless`.
    Tracking,
    /// Custom event names.
    Event,
    /// Custom event properties: `event name` U+001F `key` U+001F `value`.
    Property,
    /// Outbound link URLs.
    Outbound,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 16] = [
        Dimension::Total,
        Dimension::Page,
        Dimension::Entry,
        Dimension::Exit,
        Dimension::Source,
        Dimension::UtmSource,
        Dimension::UtmMedium,
        Dimension::UtmCampaign,
        Dimension::Browser,
        Dimension::Os,
        Dimension::Device,
        Dimension::VisitorType,
        Dimension::Tracking,
        Dimension::Event,
        Dimension::Property,
        Dimension::Outbound,
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Total => "total",
            Dimension::Page => "page",
            Dimension::Entry => "entry",
            Dimension::Exit => "exit",
            Dimension::Source => "source",
            Dimension::UtmSource => "utm_source",
            Dimension::UtmMedium => "utm_medium",
            Dimension::UtmCampaign => "utm_campaign",
            Dimension::Browser => "browser",
            Dimension::Os => "os",
            Dimension::Device => "device",
            Dimension::VisitorType => "visitor_type",
            Dimension::Tracking => "tracking",
            Dimension::Event => "event",
            Dimension::Property => "property",
            Dimension::Outbound => "outbound",
        }
    }

    /// How precise its rows' visitor sketches are: fine for the site's
    /// totals, coarse for the many rows of every other dimension.
    pub fn precision(self) -> Precision {
        match self {
            Dimension::Total => Precision::Fine,
            _ => Precision::Coarse,
        }
    }

    /// The dimension of a stored name.
    pub fn from_name(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// The separator inside [`Dimension::Property`] values.
pub const PROPERTY_SEPARATOR: char = '\u{1f}';

/// Rows of both granularities for the events given.
#[derive(Debug, Default)]
pub struct Rollup {
    /// Hourly rows.
    pub hourly: Vec<RollupRow>,
    /// Daily rows.
    pub daily: Vec<RollupRow>,
}

struct Cell {
    counts: Counts,
    visitors: VisitorSketch,
}

#[derive(Default)]
struct Accumulator {
    cells: HashMap<(UnixMillis, Dimension, String), Cell>,
}

impl Accumulator {
    fn cell(&mut self, bucket: UnixMillis, dimension: Dimension, value: &str) -> &mut Cell {
        let key = (bucket, dimension, value.to_owned());
        self.cells.entry(key).or_insert_with(|| Cell {
            counts: Counts::default(),
            visitors: VisitorSketch::with_precision(dimension.precision()),
        })
    }

    fn into_rows(self) -> Vec<RollupRow> {
        let mut rows: Vec<RollupRow> = self
            .cells
            .into_iter()
            .map(|((bucket, dimension, value), cell)| RollupRow {
                bucket,
                dimension: dimension.name().to_owned(),
                value,
                counts: cell.counts,
                visitors: cell.visitors,
            })
            .collect();
        rows.sort_by(|a, b| (a.bucket, &a.dimension, &a.value).cmp(&(b.bucket, &b.dimension, &b.value)));
        rows
    }
}

/// One visit, cut from a visitor's events.
struct Visit<'a> {
    events: &'a [StoredEvent],
}

impl Visit<'_> {
    fn first(&self) -> &StoredEvent {
        &self.events[0]
    }

    fn pageviews(&self) -> impl Iterator<Item = &StoredEvent> {
        self.events.iter().filter(|e| e.event.kind == EventKind::Pageview)
    }
}

/// Cuts `events` (already sorted by visitor, then time) into visits.
fn visits(events: &[StoredEvent]) -> impl Iterator<Item = Visit<'_>> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= events.len() {
            return None;
        }
        let mut end = start + 1;
        while end < events.len() {
            let (previous, next) = (&events[end - 1].event, &events[end].event);
            let same_visitor = previous.visitor == next.visitor && previous.cookieless == next.cookieless;
            let same_day = previous.at.div_euclid(DAY_MILLIS) == next.at.div_euclid(DAY_MILLIS);
            if !same_visitor || !same_day || next.at - previous.at > VISIT_TIMEOUT_MILLIS {
                break;
            }
            end += 1;
        }
        let visit = Visit { events: &events[start..end] };
        start = end;
        Some(visit)
    })
}

/// Rolls `events` up, hourly and daily.
///
/// Events may come in any order and span several days; each visit counts in
/// the hour and day it started, each event in its own.
pub fn aggregate(mut events: Vec<StoredEvent>) -> Rollup {
    events.sort_unstable_by_key(|e| (e.event.visitor, e.event.cookieless, e.event.at));
    let mut hourly = Accumulator::default();
    let mut daily = Accumulator::default();
    for visit in visits(&events) {
        for (granularity, accumulator) in [(Granularity::Hour, &mut hourly), (Granularity::Day, &mut daily)] {
            add_visit(&visit, granularity, accumulator);
        }
    }
    Rollup { hourly: hourly.into_rows(), daily: daily.into_rows() }
}

fn add_visit(visit: &Visit<'_>, granularity: Granularity, accumulator: &mut Accumulator) {
    let first = visit.first();
    let start = first.event.at;
    let last_at = visit.events.last().map_or(start, |e| e.event.at);
    let pageviews = visit.pageviews().count() as u64;
    let custom = visit.events.iter().filter(|e| e.event.kind != EventKind::Pageview).count();
    let is_new = !first.event.cookieless && first.first_seen >= start;
    let visit_counts = Counts {
        pageviews: 0,
        visits: 1,
        bounces: u64::from(pageviews <= 1 && custom == 0),
        duration_ms: u64::try_from(last_at - start).unwrap_or(0),
        events: 0,
        new_visits: u64::from(is_new),
    };
    let visitor = first.event.visitor;
    let bucket = granularity.bucket(start);

    // Visit-level dimensions: the visit counts once, where it started.
    let entry = visit.pageviews().next().map(|e| e.event.path.as_str());
    let exit = visit.pageviews().last().map(|e| e.event.path.as_str());
    let visitor_type = if first.event.cookieless {
        None
    } else if is_new {
        Some("new")
    } else {
        Some("returning")
    };
    let tracking = if first.event.cookieless { "cookieless" } else { "cookie" };
    let e = &first.event;
    let visit_dimensions = [
        (Dimension::Total, Some("")),
        (Dimension::Entry, entry),
        (Dimension::Exit, exit),
        (Dimension::Source, Some(e.source.as_str())),
        (Dimension::UtmSource, Some(e.utm_source.as_str()).filter(|v| !v.is_empty())),
        (Dimension::UtmMedium, Some(e.utm_medium.as_str()).filter(|v| !v.is_empty())),
        (Dimension::UtmCampaign, Some(e.utm_campaign.as_str()).filter(|v| !v.is_empty())),
        (Dimension::Browser, Some(e.browser.as_str())),
        (Dimension::Os, Some(e.os.as_str())),
        (Dimension::Device, Some(e.device.as_str())),
        (Dimension::VisitorType, visitor_type),
        (Dimension::Tracking, Some(tracking)),
    ];
    for (dimension, value) in visit_dimensions {
        let Some(value) = value else { continue };
        let cell = accumulator.cell(bucket, dimension, value);
        cell.counts.add(&visit_counts);
        cell.visitors.insert(visitor);
        if dimension != Dimension::Total {
            // The visit's page views belong to its source, browser, entry page …
            cell.counts.pageviews += pageviews;
        }
    }

    // Event-level dimensions: each event counts in its own bucket; a visit
    // counts once per value it touched.
    let mut touched: Vec<(UnixMillis, Dimension, &str)> = Vec::new();
    for stored in visit.events {
        let event = &stored.event;
        let bucket = granularity.bucket(event.at);
        let total = accumulator.cell(bucket, Dimension::Total, "");
        total.visitors.insert(visitor);
        match event.kind {
            EventKind::Pageview => total.counts.pageviews += 1,
            EventKind::Custom | EventKind::Outbound => total.counts.events += 1,
        }
        let mut values: Vec<(Dimension, String)> = Vec::with_capacity(1 + event.props.len());
        match event.kind {
            EventKind::Pageview => values.push((Dimension::Page, event.path.clone())),
            EventKind::Outbound => values.push((Dimension::Outbound, event.name.clone())),
            EventKind::Custom => {
                values.push((Dimension::Event, event.name.clone()));
                for (key, value) in &event.props {
                    values.push((
                        Dimension::Property,
                        format!("{}{PROPERTY_SEPARATOR}{key}{PROPERTY_SEPARATOR}{value}", event.name),
                    ));
                }
            }
        }
        for (dimension, value) in values {
            let first_touch = !touched.iter().any(|(b, d, v)| *b == bucket && *d == dimension && *v == value);
            let cell = accumulator.cell(bucket, dimension, &value);
            cell.visitors.insert(visitor);
            match dimension {
                Dimension::Page => cell.counts.pageviews += 1,
                _ => cell.counts.events += 1,
            }
            if first_touch {
                cell.counts.visits += 1;
                // Borrow the value from the event where possible; properties are rare.
                let stable: &str = match dimension {
                    Dimension::Page => &event.path,
                    Dimension::Outbound | Dimension::Event => &event.name,
                    _ => "",
                };
                if !stable.is_empty() {
                    touched.push((bucket, dimension, stable));
                }
            }
        }
    }
}

/// One step of a funnel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunnelStep {
    /// A page view of this path.
    Page(String),
    /// A custom event of this name.
    Event(String),
}

impl FunnelStep {
    fn matches(&self, event: &super::EventRecord) -> bool {
        match self {
            FunnelStep::Page(path) => event.kind == EventKind::Pageview && event.path == *path,
            FunnelStep::Event(name) => event.kind == EventKind::Custom && event.name == *name,
        }
    }
}

/// Distinct visitors who, within one visit, reached each step of `steps`
/// in order (other events may come between steps).
pub fn funnel(mut events: Vec<StoredEvent>, steps: &[FunnelStep]) -> Vec<VisitorSketch> {
    events.sort_unstable_by_key(|e| (e.event.visitor, e.event.cookieless, e.event.at));
    let mut reached = vec![VisitorSketch::new(); steps.len()];
    for visit in visits(&events) {
        let mut next = 0;
        for stored in visit.events {
            if next < steps.len() && steps[next].matches(&stored.event) {
                reached[next].insert(stored.event.visitor);
                next += 1;
            }
        }
    }
    reached
}

/// Merges rows of the same dimension and value across buckets (for a
/// report over a range), keyed by (dimension, value).
pub fn merge_rows<'a>(
    rows: impl IntoIterator<Item = &'a RollupRow>,
) -> HashMap<(String, String), (Counts, VisitorSketch)> {
    let mut merged: HashMap<(String, String), (Counts, VisitorSketch)> = HashMap::new();
    for row in rows {
        let entry = merged.entry((row.dimension.clone(), row.value.clone())).or_default();
        entry.0.add(&row.counts);
        entry.1.merge(&row.visitors);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::EventRecord;

    const DAY0: UnixMillis = 1_780_000_000_000 - 1_780_000_000_000 % DAY_MILLIS;
    const MIN: UnixMillis = 60_000;

    fn event(visitor: i64, at: UnixMillis, kind: EventKind, name: &str, path: &str) -> StoredEvent {
        StoredEvent {
            event: EventRecord {
                site: "s".into(),
                at,
                visitor,
                cookieless: false,
                user: None,
                kind,
                name: name.into(),
                path: path.into(),
                source: "example.org".into(),
                utm_source: String::new(),
                utm_medium: String::new(),
                utm_campaign: String::new(),
                browser: "Chrome".into(),
                os: "Linux".into(),
                device: "desktop".into(),
                props: vec![],
            },
            first_seen: DAY0,
        }
    }

    fn view(visitor: i64, at: UnixMillis, path: &str) -> StoredEvent {
        event(visitor, at, EventKind::Pageview, "pageview", path)
    }

    fn row<'a>(rows: &'a [RollupRow], dimension: &str, value: &str) -> &'a RollupRow {
        rows.iter().find(|r| r.dimension == dimension && r.value == value).unwrap()
    }

    #[test]
    fn a_visit_ends_after_thirty_minutes_without_an_event() {
        let rollup = aggregate(vec![
            view(1, DAY0 + 60 * MIN, "/a"),
            view(1, DAY0 + 89 * MIN, "/b"),
            view(1, DAY0 + 119 * MIN, "/c"), // 30 min after /b: same visit
            view(1, DAY0 + 150 * MIN, "/d"), // 31 min after /c: a new visit
        ]);
        let total = row(&rollup.daily, "total", "");
        assert_eq!(total.counts.visits, 2);
        assert_eq!(total.counts.pageviews, 4);
        assert_eq!(total.counts.bounces, 1, "the visit with only /d bounced");
        assert_eq!(total.counts.duration_ms, (59 * MIN) as u64);
        assert_eq!(total.visitors.count(), 1);
        assert_eq!(row(&rollup.daily, "entry", "/a").counts.visits, 1);
        assert_eq!(row(&rollup.daily, "exit", "/c").counts.visits, 1);
        assert_eq!(row(&rollup.daily, "entry", "/d").counts.visits, 1);
    }

    #[test]
    fn a_visit_is_cut_at_utc_midnight() {
        let rollup = aggregate(vec![view(1, DAY0 + DAY_MILLIS - MIN, "/a"), view(1, DAY0 + DAY_MILLIS + MIN, "/b")]);
        let days: Vec<_> = rollup.daily.iter().filter(|r| r.dimension == "total").collect();
        assert_eq!(days.len(), 2);
        assert!(days.iter().all(|r| r.counts.visits == 1));
    }

    #[test]
    fn new_and_returning() {
        let mut returning = view(2, DAY0 + 5 * MIN, "/");
        returning.first_seen = DAY0 - DAY_MILLIS;
        let mut new = view(3, DAY0 + 5 * MIN, "/");
        new.first_seen = DAY0 + 5 * MIN;
        let rollup = aggregate(vec![returning, new]);
        assert_eq!(row(&rollup.daily, "visitor_type", "new").counts.visits, 1);
        assert_eq!(row(&rollup.daily, "visitor_type", "returning").counts.visits, 1);
        assert_eq!(row(&rollup.daily, "total", "").counts.new_visits, 1);
    }

    #[test]
    fn custom_events_properties_and_outbound_links() {
        let mut signup = event(4, DAY0 + MIN, EventKind::Custom, "signup", "/join");
        signup.event.props = vec![("plan".into(), "pro".into())];
        let rollup = aggregate(vec![
            view(4, DAY0, "/join"),
            signup,
            event(4, DAY0 + 2 * MIN, EventKind::Outbound, "https://example.net/x", "/join"),
        ]);
        assert_eq!(row(&rollup.daily, "event", "signup").counts.events, 1);
        assert_eq!(row(&rollup.daily, "property", "signup\u{1f}plan\u{1f}pro").counts.events, 1);
        assert_eq!(row(&rollup.daily, "outbound", "https://example.net/x").counts.events, 1);
        let total = row(&rollup.daily, "total", "");
        assert_eq!((total.counts.events, total.counts.bounces), (2, 0), "an event is engagement");
    }

    #[test]
    fn funnels_count_steps_in_order_within_a_visit() {
        let steps = [FunnelStep::Page("/".into()), FunnelStep::Page("/cart".into()), FunnelStep::Event("buy".into())];
        let events = vec![
            // 1: all three steps, with another page between.
            view(1, DAY0, "/"),
            view(1, DAY0 + MIN, "/about"),
            view(1, DAY0 + 2 * MIN, "/cart"),
            event(1, DAY0 + 3 * MIN, EventKind::Custom, "buy", "/cart"),
            // 2: steps out of order count only the first.
            view(2, DAY0 + 2 * MIN, "/cart"),
            view(2, DAY0 + 3 * MIN, "/"),
            // 3: the second step comes in a later visit: not the same funnel.
            view(3, DAY0, "/"),
            view(3, DAY0 + 40 * MIN, "/cart"),
        ];
        let reached: Vec<u64> = funnel(events, &steps).iter().map(VisitorSketch::count).collect();
        assert_eq!(reached, [3, 1, 1]);
    }

    #[test]
    fn hourly_rows_add_up_to_the_daily_row() {
        let events: Vec<_> =
            (0..200).map(|i| view(i % 17, DAY0 + (i * 7 % 1440) * MIN, ["/a", "/b", "/c"][i as usize % 3])).collect();
        let rollup = aggregate(events);
        for dimension in ["total", "page", "source", "browser"] {
            let mut hours = Counts::default();
            rollup.hourly.iter().filter(|r| r.dimension == dimension).for_each(|r| hours.add(&r.counts));
            let mut days = Counts::default();
            rollup.daily.iter().filter(|r| r.dimension == dimension).for_each(|r| days.add(&r.counts));
            assert_eq!(hours.pageviews, days.pageviews, "{dimension}");
            assert_eq!(hours.visits, days.visits, "{dimension}");
        }
    }
}
