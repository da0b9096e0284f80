//! Turning raw events into rollup rows: visits cut from each visitor's
//! events, then counts and visitor sketches per bucket, dimension and value.
//!
//! The same code rolls up a closed day for storage ([`aggregate`]), today up
//! to a provisional cut ([`aggregate_provisional`]), and the raw tail of a
//! report's range on the fly ([`aggregate_continuing`]), so stored rollups
//! and raw-event counts agree by construction (and tests check that they do).
//!
//! Each bounds the distinct values of a dimension per UTC day
//! ([`ValueLimit`]): the values beyond the limit are counted as [`OTHER`].

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

mod funnel;
mod limit;
mod visit;

pub use super::dimension::Dimension;
use super::{Counts, EventKind, EventRecord, Granularity, RollupRow, StoredEvent, VisitorSketch};
use crate::UnixMillis;
use funnel::{add_funnel_steps, StepMatcher};
pub use funnel::{funnel, FunnelEvent, FunnelStep, RolledFunnel, MAX_FUNNEL_STEPS};
pub use limit::{is_bounded, ValueLimit, DEFAULT_MAX_VALUES_PER_DAY, OTHER};
use limit::{Kept, Tally};
use visit::{visits, Visit, VisitSummary};
pub use visit::{OpenVisit, VisitOrigin};

/// A visit ends after this long without an event.
pub const VISIT_TIMEOUT_MILLIS: UnixMillis = 30 * 60 * 1000;

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

    /// Each bounded (day, dimension)'s values with the traffic a report ranks them by.
    fn tally(&self) -> Tally<'_> {
        let mut tally = Tally::new();
        for ((bucket, dimension, value), cell) in &self.cells {
            if !is_bounded(*dimension) {
                continue;
            }
            let traffic = match dimension {
                Dimension::Page => cell.counts.pageviews,
                Dimension::Event | Dimension::Property | Dimension::Outbound => cell.counts.events,
                _ => cell.counts.visits,
            };
            let day = Granularity::Day.bucket(*bucket);
            *tally.entry((day, *dimension)).or_default().entry(Cow::Borrowed(value.as_str())).or_default() += traffic;
        }
        tally
    }

    /// Counts the cells of values `kept` does not keep under [`OTHER`].
    fn fold(&mut self, kept: &Kept) {
        if kept.is_empty() {
            return;
        }
        for ((bucket, dimension, value), cell) in std::mem::take(&mut self.cells) {
            let value =
                if kept.keeps(Granularity::Day.bucket(bucket), dimension, &value) { value } else { OTHER.to_owned() };
            match self.cells.entry((bucket, dimension, value)) {
                Entry::Occupied(mut into) => {
                    let into = into.get_mut();
                    into.counts.add(&cell.counts);
                    into.visitors.merge(&cell.visitors);
                }
                Entry::Vacant(empty) => {
                    empty.insert(cell);
                }
            }
        }
    }

    fn into_rows(self) -> Vec<RollupRow> {
        let mut rows: Vec<RollupRow> = self
            .cells
            .into_iter()
            .map(|((bucket, dimension, value), cell)| RollupRow {
                bucket,
                dimension,
                value,
                counts: cell.counts,
                visitors: cell.visitors,
            })
            .collect();
        // By the stored name, as when dimensions were strings.
        rows.sort_by(|a, b| {
            (a.bucket, a.dimension.as_str(), &a.value).cmp(&(b.bucket, b.dimension.as_str(), &b.value))
        });
        rows
    }
}

/// Rolls `events` up, hourly and daily: every visit counts, none is left open
/// (a closed day's rollup), with the steps of `funnels` reached, and at most
/// `limit`'s distinct values of a dimension a day (the rest as [`OTHER`]).
///
/// Events may come in any order and span several days; each visit counts in
/// the hour and day it started, each event in its own.
pub fn aggregate(events: Vec<StoredEvent>, funnels: &[RolledFunnel], limit: &ValueLimit) -> Rollup {
    roll(events, Vec::new(), None, funnels, limit).0
}

/// Rolls up today's events received before `cut` (a provisional rollup):
/// visits whose last event is at most [`VISIT_TIMEOUT_MILLIS`] before the
/// cut may go on after it, so their visit-level counts (and funnel steps)
/// are left out and returned as state to be stored with the rollup.
pub fn aggregate_provisional(
    events: Vec<StoredEvent>,
    cut: UnixMillis,
    funnels: &[RolledFunnel],
    limit: &ValueLimit,
) -> (Rollup, Vec<OpenVisit>) {
    roll(events, Vec::new(), Some(cut), funnels, limit)
}

/// Rolls up the raw events after a provisional cut, continuing the visits
/// that were open at the cut (`open`, stored with that rollup). Together
/// with the provisional rollup this counts exactly what [`aggregate`]
/// counts over all the events (as long as no value folds: `limit` should
/// know the values the provisional rollup stored, [`ValueLimit::keep_stored`],
/// which are kept first).
pub fn aggregate_continuing(
    events: Vec<StoredEvent>,
    open: Vec<OpenVisit>,
    funnels: &[RolledFunnel],
    limit: &ValueLimit,
) -> Rollup {
    roll(events, open, None, funnels, limit).0
}

fn roll(
    mut events: Vec<StoredEvent>,
    open_before: Vec<OpenVisit>,
    cut: Option<UnixMillis>,
    funnels: &[RolledFunnel],
    limit: &ValueLimit,
) -> (Rollup, Vec<OpenVisit>) {
    events.sort_unstable_by_key(|e| (e.event.visitor, e.event.cookieless, e.event.at));
    // Event-level values fold before they are counted, so that a visit counts
    // once under "(other)" however many folded values it touched.
    let kept = Kept::choose(limit, tally_events(&events));
    let mut open_before: HashMap<(i64, bool), OpenVisit> =
        open_before.into_iter().map(|state| ((state.visitor, state.cookieless), state)).collect();
    let still_open = |summary: &VisitSummary<'_>| cut.is_some_and(|cut| summary.last_at + VISIT_TIMEOUT_MILLIS >= cut);
    let mut hourly = Accumulator::default();
    let mut daily = Accumulator::default();
    let mut open_after = Vec::new();
    let mut matcher = StepMatcher::default();
    // The days these events and open visits fall in were rolled up with these funnels.
    let mut days: Vec<UnixMillis> = Vec::new();
    for visit in visits(&events) {
        let first = &visit.first().event;
        let key = (first.visitor, first.cookieless);
        let before = match open_before.get(&key) {
            Some(state) if state.continues_at(first.at) => open_before.remove(&key),
            _ => None,
        };
        let summary = VisitSummary::of(&visit, before.as_ref());
        let seen_hours = before.as_ref().map_or(&[][..], |state| &state.touched[..]);
        let touched_hours = add_events(&visit, Granularity::Hour, &mut hourly, seen_hours, &kept);
        add_events(&visit, Granularity::Day, &mut daily, seen_hours, &kept);
        let reached: Vec<usize> = funnels
            .iter()
            .map(|funnel| {
                funnel.reached(&visit, before.as_ref().map_or(0, |state| state.reached(funnel)), &mut matcher)
            })
            .collect();
        if !funnels.is_empty() {
            // (A visit ends at midnight: its day is the one it started in.)
            days.push(Granularity::Day.bucket(summary.start));
        }
        if still_open(&summary) {
            let progress = funnels
                .iter()
                .zip(reached)
                .filter(|(_, reached)| *reached > 0)
                .map(|(funnel, reached)| (funnel.key.clone(), reached))
                .collect();
            open_after.push(summary.into_state(touched_hours, progress));
        } else {
            add_visit(&summary, Granularity::Hour, &mut hourly);
            add_visit(&summary, Granularity::Day, &mut daily);
            add_funnel_steps(&summary, funnels, &reached, &mut daily);
        }
    }
    // Open visits that no event continued ended before the events given.
    for state in open_before.into_values() {
        let summary = VisitSummary::of_state(&state);
        if !funnels.is_empty() {
            days.push(Granularity::Day.bucket(summary.start));
        }
        if still_open(&summary) {
            open_after.push(state);
        } else {
            add_visit(&summary, Granularity::Hour, &mut hourly);
            add_visit(&summary, Granularity::Day, &mut daily);
            let reached: Vec<usize> = funnels.iter().map(|funnel| state.reached(funnel)).collect();
            add_funnel_steps(&summary, funnels, &reached, &mut daily);
        }
    }
    days.sort_unstable();
    days.dedup();
    for day in days {
        for funnel in funnels {
            daily.cell(day, Dimension::Funnel, &funnel.key);
        }
    }
    // Visit-level values (a visit has one of each) fold once counted, as the
    // day's daily rows decide; event-level ones are within the limit already.
    let kept = Kept::choose(limit, daily.tally());
    daily.fold(&kept);
    hourly.fold(&kept);
    open_after.sort_unstable_by_key(|state| (state.visitor, state.cookieless));
    (Rollup { hourly: hourly.into_rows(), daily: daily.into_rows() }, open_after)
}

/// Counts a visit once, in the bucket where it started, under the site's
/// total and each visit-level dimension (entry and exit page, source, UTM
/// fields, browser, OS, device, new or returning, tracking).
fn add_visit(visit: &VisitSummary<'_>, granularity: Granularity, accumulator: &mut Accumulator) {
    let visit_counts = Counts {
        pageviews: 0,
        visits: 1,
        bounces: u64::from(visit.pageviews <= 1 && visit.events == 0),
        duration_ms: u64::try_from(visit.last_at - visit.start).unwrap_or(0),
        events: 0,
        new_visits: u64::from(visit.is_new),
    };
    let bucket = granularity.bucket(visit.start);
    let visitor_type = if visit.cookieless {
        None
    } else if visit.is_new {
        Some("new")
    } else {
        Some("returning")
    };
    let tracking = if visit.cookieless { "cookieless" } else { "cookie" };
    let origin = &visit.origin;
    let visit_dimensions = [
        (Dimension::Total, Some("")),
        (Dimension::Entry, visit.entry),
        (Dimension::Exit, visit.exit),
        (Dimension::Source, Some(origin.source)),
        (Dimension::UtmSource, Some(origin.utm_source).filter(|v| !v.is_empty())),
        (Dimension::UtmMedium, Some(origin.utm_medium).filter(|v| !v.is_empty())),
        (Dimension::UtmCampaign, Some(origin.utm_campaign).filter(|v| !v.is_empty())),
        (Dimension::Browser, Some(origin.browser)),
        (Dimension::Os, Some(origin.os)),
        (Dimension::Device, Some(origin.device)),
        (Dimension::VisitorType, visitor_type),
        (Dimension::Tracking, Some(tracking)),
    ];
    for (dimension, value) in visit_dimensions {
        let Some(value) = value else { continue };
        let cell = accumulator.cell(bucket, dimension, value);
        cell.counts.add(&visit_counts);
        cell.visitors.insert(visit.visitor);
        if dimension != Dimension::Total {
            // The visit's page views belong to its source, browser, entry page …
            cell.counts.pageviews += visit.pageviews;
        }
    }
}

/// Counts each event of a visit in its own bucket (page views and events
/// under the total, pages, custom events and their properties, outbound
/// links); a visit counts once per value and bucket, `seen_hours` being the
/// values it touched before these events. Returns the values touched, per
/// bucket of `granularity`.
fn add_events<'a>(
    visit: &Visit<'a>,
    granularity: Granularity,
    accumulator: &mut Accumulator,
    seen_hours: &'a [(UnixMillis, Dimension, String)],
    kept: &Kept,
) -> HashSet<(UnixMillis, Dimension, Cow<'a, str>)> {
    // A set: a visit of many distinct values must not scan them all for each event.
    let mut touched: HashSet<(UnixMillis, Dimension, Cow<'a, str>)> = seen_hours
        .iter()
        .map(|(hour, dimension, value)| (granularity.bucket(*hour), *dimension, Cow::Borrowed(value.as_str())))
        .collect();
    for stored in visit.events {
        let event = &stored.event;
        let visitor = event.visitor;
        let bucket = granularity.bucket(event.at);
        // The total's visitors are those of its visits ([`add_visit`]): a
        // visitor counts in the bucket their visit started in, with it, so
        // that no bucket has more visitors than visits.
        let total = accumulator.cell(bucket, Dimension::Total, "");
        match event.kind {
            EventKind::Pageview => total.counts.pageviews += 1,
            EventKind::Custom | EventKind::Outbound => total.counts.events += 1,
        }
        let day = Granularity::Day.bucket(event.at);
        for (dimension, value) in event_values(event) {
            let value = kept.fold(day, dimension, value);
            let cell = accumulator.cell(bucket, dimension, &value);
            cell.visitors.insert(visitor);
            match dimension {
                Dimension::Page => cell.counts.pageviews += 1,
                _ => cell.counts.events += 1,
            }
            if touched.insert((bucket, dimension, value)) {
                cell.counts.visits += 1;
            }
        }
    }
    touched
}

/// An event's event-level values: its page, outbound link, or custom event
/// name and properties.
fn event_values(event: &EventRecord) -> Vec<(Dimension, Cow<'_, str>)> {
    let mut values: Vec<(Dimension, Cow<'_, str>)> = Vec::with_capacity(1 + event.props.len());
    match event.kind {
        EventKind::Pageview => values.push((Dimension::Page, Cow::Borrowed(&event.path))),
        EventKind::Outbound => values.push((Dimension::Outbound, Cow::Borrowed(&event.name))),
        EventKind::Custom => {
            values.push((Dimension::Event, Cow::Borrowed(&event.name)));
            for (key, value) in &event.props {
                let property = format!("{}{PROPERTY_SEPARATOR}{key}{PROPERTY_SEPARATOR}{value}", event.name);
                values.push((Dimension::Property, Cow::Owned(property)));
            }
        }
    }
    values
}

/// How many events carry each event-level value, per UTC day.
fn tally_events(events: &[StoredEvent]) -> Tally<'_> {
    let mut tally = Tally::new();
    for stored in events {
        let day = Granularity::Day.bucket(stored.event.at);
        for (dimension, value) in event_values(&stored.event) {
            *tally.entry((day, dimension)).or_default().entry(value).or_default() += 1;
        }
    }
    tally
}

/// The events of the visits `keep` selects, the others dropped: `events` are
/// cut into visits as rollups cut them, and `keep` sees each visit's events
/// in time order (for reports filtered by a page, a source, a browser …).
pub fn select_visits(mut events: Vec<StoredEvent>, keep: impl Fn(&[StoredEvent]) -> bool) -> Vec<StoredEvent> {
    events.sort_unstable_by_key(|e| (e.event.visitor, e.event.cookieless, e.event.at));
    let verdicts: Vec<(usize, bool)> = visits(&events).map(|visit| (visit.events.len(), keep(visit.events))).collect();
    let mut events = events.into_iter();
    let mut selected = Vec::new();
    for (len, kept) in verdicts {
        let visit = events.by_ref().take(len);
        if kept {
            selected.extend(visit);
        } else {
            visit.for_each(drop);
        }
    }
    selected
}

/// Merges rows of the same dimension and value across buckets (for a
/// report over a range), keyed by (dimension, value).
pub fn merge_rows<'a>(
    rows: impl IntoIterator<Item = &'a RollupRow>,
) -> HashMap<(Dimension, String), (Counts, VisitorSketch)> {
    let mut merged: HashMap<(Dimension, String), (Counts, VisitorSketch)> = HashMap::new();
    for row in rows {
        let entry = merged.entry((row.dimension, row.value.clone())).or_default();
        entry.0.add(&row.counts);
        entry.1.merge(&row.visitors);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{EventRecord, DAY_MILLIS};
    use crate::StoreError;

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

    fn limit() -> ValueLimit {
        ValueLimit::new(DEFAULT_MAX_VALUES_PER_DAY)
    }

    fn view(visitor: i64, at: UnixMillis, path: &str) -> StoredEvent {
        event(visitor, at, EventKind::Pageview, "pageview", path)
    }

    fn row<'a>(rows: &'a [RollupRow], dimension: &str, value: &str) -> &'a RollupRow {
        rows.iter().find(|r| r.dimension.as_str() == dimension && r.value == value).unwrap()
    }

    #[test]
    fn a_visit_ends_after_thirty_minutes_without_an_event() {
        let rollup = aggregate(
            vec![
                view(1, DAY0 + 60 * MIN, "/a"),
                view(1, DAY0 + 89 * MIN, "/b"),
                view(1, DAY0 + 119 * MIN, "/c"), // 30 min after /b: same visit
                view(1, DAY0 + 150 * MIN, "/d"), // 31 min after /c: a new visit
            ],
            &[],
            &limit(),
        );
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
        let rollup = aggregate(
            vec![view(1, DAY0 + DAY_MILLIS - MIN, "/a"), view(1, DAY0 + DAY_MILLIS + MIN, "/b")],
            &[],
            &limit(),
        );
        let days: Vec<_> = rollup.daily.iter().filter(|r| r.dimension == Dimension::Total).collect();
        assert_eq!(days.len(), 2);
        assert!(days.iter().all(|r| r.counts.visits == 1));
    }

    #[test]
    fn new_and_returning() {
        let mut returning = view(2, DAY0 + 5 * MIN, "/");
        returning.first_seen = DAY0 - DAY_MILLIS;
        let mut new = view(3, DAY0 + 5 * MIN, "/");
        new.first_seen = DAY0 + 5 * MIN;
        let rollup = aggregate(vec![returning, new], &[], &limit());
        assert_eq!(row(&rollup.daily, "visitor_type", "new").counts.visits, 1);
        assert_eq!(row(&rollup.daily, "visitor_type", "returning").counts.visits, 1);
        assert_eq!(row(&rollup.daily, "total", "").counts.new_visits, 1);
    }

    #[test]
    fn custom_events_properties_and_outbound_links() {
        let mut signup = event(4, DAY0 + MIN, EventKind::Custom, "signup", "/join");
        signup.event.props = vec![("plan".into(), "pro".into())];
        let rollup = aggregate(
            vec![
                view(4, DAY0, "/join"),
                signup,
                event(4, DAY0 + 2 * MIN, EventKind::Outbound, "https://example.net/x", "/join"),
            ],
            &[],
            &limit(),
        );
        assert_eq!(row(&rollup.daily, "event", "signup").counts.events, 1);
        assert_eq!(row(&rollup.daily, "property", "signup\u{1f}plan\u{1f}pro").counts.events, 1);
        assert_eq!(row(&rollup.daily, "outbound", "https://example.net/x").counts.events, 1);
        let total = row(&rollup.daily, "total", "");
        assert_eq!((total.counts.events, total.counts.bounces), (2, 0), "an event is engagement");
    }

    #[test]
    fn funnel_events_of_the_same_millisecond_count_in_whichever_order_goes_furthest() {
        // Steps: 0 = "/", 1 = event "signup", 2 = "/thanks".
        let at = |visitor: i64, millis: i64, steps: u32| FunnelEvent {
            visitor,
            cookieless: false,
            at: DAY0 + millis,
            steps,
        };
        for order in [[0b001, 0b010], [0b010, 0b001]] {
            let events = vec![
                // 1: the page view and the event it fired, received in the same millisecond.
                at(1, 5, order[0]),
                at(1, 5, order[1]),
                at(1, 9, 0b100),
                // 2: one event cannot take two steps, even when it matches both.
                at(2, 5, 0b011),
                at(2, 9, 0b100),
                // 3: the same millisecond does not undo an order: "signup" came a millisecond before "/".
                at(3, 4, 0b010),
                at(3, 5, 0b001),
                at(3, 9, 0b100),
                // 4: the event matching both steps takes the second when the other can take only the first.
                at(4, 5, if order[0] == 0b001 { 0b011 } else { 0b001 }),
                at(4, 5, if order[0] == 0b001 { 0b001 } else { 0b011 }),
            ];
            let mut reached = vec![VisitorSketch::new(); 3];
            funnel(events, &mut reached);
            assert_eq!(reached.iter().map(VisitorSketch::count).collect::<Vec<_>>(), [4, 2, 1], "order {order:?}");
        }
    }

    #[test]
    fn funnels_count_steps_in_order_within_a_visit() {
        // Steps: 0 = "/", 1 = "/cart", 2 = event "buy"; `steps` are the bits matched.
        let at = |visitor: i64, minute: i64, steps: u32| FunnelEvent {
            visitor,
            cookieless: false,
            at: DAY0 + minute * MIN,
            steps,
        };
        let events = vec![
            // 1: all three steps, with another page between.
            at(1, 0, 0b001),
            at(1, 1, 0),
            at(1, 2, 0b010),
            at(1, 3, 0b100),
            // 2: steps out of order count only the first.
            at(2, 2, 0b010),
            at(2, 3, 0b001),
            // 3: the second step comes in a later visit: not the same funnel.
            at(3, 0, 0b001),
            at(3, 40, 0b010),
            // 4: a step repeated ("/" twice) needs two matching events.
            at(4, 0, 0b011),
            at(4, 1, 0b011),
        ];
        let mut reached = vec![VisitorSketch::new(); 3];
        funnel(events, &mut reached);
        assert_eq!(reached.iter().map(VisitorSketch::count).collect::<Vec<_>>(), [4, 2, 1]);
        // A second day adds its visitors; the first day's stay.
        funnel(vec![at(5, DAY_MILLIS / MIN, 0b001)], &mut reached);
        assert_eq!(reached[0].count(), 5);
    }

    /// (bucket, dimension, value) → counts and distinct visitors, rows of `rollups` added up.
    fn summed<'a>(
        rollups: impl IntoIterator<Item = &'a [RollupRow]>,
    ) -> HashMap<(UnixMillis, Dimension, String), (Counts, u64)> {
        let mut cells: HashMap<(UnixMillis, Dimension, String), (Counts, VisitorSketch)> = HashMap::new();
        for row in rollups.into_iter().flatten() {
            let cell = cells.entry((row.bucket, row.dimension, row.value.clone())).or_default();
            cell.0.add(&row.counts);
            cell.1.merge(&row.visitors);
        }
        cells.into_iter().map(|(key, (counts, sketch))| (key, (counts, sketch.count()))).collect()
    }

    #[test]
    fn a_visit_across_a_provisional_cut_counts_once() {
        let cut = DAY0 + 12 * 60 * MIN;
        let (provisional, open) = aggregate_provisional(
            vec![view(1, cut - 10 * MIN, "/a"), view(2, cut - 50 * MIN, "/z")],
            cut,
            &[],
            &limit(),
        );
        // Visitor 2's visit ended 50 minutes before the cut: it counts.
        // Visitor 1's may go on: its page view counts, the visit not yet.
        let total = row(&provisional.daily, "total", "");
        assert_eq!((total.counts.visits, total.counts.pageviews, total.counts.bounces), (1, 2, 1));
        assert!(
            provisional.daily.iter().all(|r| r.value != "/a" || r.dimension == Dimension::Page),
            "no entry or exit yet"
        );
        assert_eq!(open.len(), 1);
        assert_eq!((open[0].visitor, open[0].start, open[0].pageviews), (1, cut - 10 * MIN, 1));
        assert_eq!(open[0].entry.as_deref(), Some("/a"));

        let tail =
            aggregate_continuing(vec![view(1, cut + 3 * MIN, "/b"), view(1, cut + 4 * MIN, "/a")], open, &[], &limit());
        let total = row(&tail.daily, "total", "");
        assert_eq!((total.counts.visits, total.counts.pageviews, total.counts.bounces), (1, 2, 0));
        assert_eq!(total.counts.duration_ms, (14 * MIN) as u64, "from the first page view before the cut");
        assert_eq!(row(&tail.daily, "entry", "/a").counts.visits, 1);
        assert_eq!(row(&tail.daily, "exit", "/a").counts.visits, 1);
        assert_eq!(row(&tail.daily, "browser", "Chrome").counts.pageviews, 3, "every page view of the visit");
        assert_eq!(row(&tail.daily, "page", "/a").counts.visits, 0, "the visit was counted on /a before the cut");
        assert_eq!(row(&tail.daily, "page", "/b").counts.visits, 1);
    }

    #[test]
    fn an_open_visit_with_no_later_event_counts_from_its_state() {
        let cut = DAY0 + 12 * 60 * MIN;
        let mut signup = event(1, cut - MIN, EventKind::Custom, "signup", "/join");
        signup.first_seen = cut - MIN;
        let (_, open) = aggregate_provisional(vec![signup], cut, &[], &limit());
        assert!(open[0].is_new);
        let tail = aggregate_continuing(vec![view(2, cut + MIN, "/")], open, &[], &limit());
        let total = row(&tail.daily, "total", "");
        assert_eq!((total.counts.visits, total.counts.bounces, total.counts.new_visits), (2, 1, 1));
        assert_eq!(row(&tail.daily, "visitor_type", "new").counts.visits, 1);
        assert!(
            tail.daily.iter().all(|r| r.dimension != Dimension::Entry || r.value == "/"),
            "an event is no page view"
        );
    }

    #[test]
    fn open_visit_state_round_trips_and_damage_is_an_error() {
        let cut = DAY0 + 12 * 60 * MIN;
        let mut signup = event(1, cut - MIN, EventKind::Custom, "signup", "/join");
        signup.event.props = vec![("plan".into(), "pro".into())];
        let (_, open) = aggregate_provisional(vec![view(1, cut - 2 * MIN, "/"), signup], cut, &[], &limit());
        let json = open[0].to_json().unwrap();
        assert_eq!(OpenVisit::from_json(&json).unwrap(), open[0]);
        assert!(json.contains("\"browser\":\"Chrome\""), "origin flattened: {json}");
        assert_eq!(OpenVisit::from_json("{}").unwrap(), OpenVisit::default(), "fields added later default");
        assert!(matches!(OpenVisit::from_json("[1, 2]"), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn an_open_visit_idle_past_the_timeout_does_not_continue() {
        let cut = DAY0 + 12 * 60 * MIN;
        let (_, open) = aggregate_provisional(vec![view(1, cut - 5 * MIN, "/a")], cut, &[], &limit());
        let tail = aggregate_continuing(vec![view(1, cut + 26 * MIN, "/b")], open, &[], &limit());
        assert_eq!(row(&tail.daily, "total", "").counts.visits, 2, "31 minutes apart: two visits");
        assert_eq!(row(&tail.daily, "entry", "/b").counts.visits, 1);
    }

    #[test]
    fn a_provisional_rollup_and_its_continued_tail_count_what_the_whole_day_counts() {
        // A deterministic mix over one day: 40 visitors, page views, custom
        // events with properties and outbound clicks, gaps around 30 minutes.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % bound
        };
        let mut events = Vec::new();
        for visitor in 0..40 {
            let mut at = DAY0 + 60 * MIN * next(20) as i64;
            for _ in 0..next(30) {
                at += [MIN, 7 * MIN, 29 * MIN, 30 * MIN, 31 * MIN, 45 * MIN][next(6) as usize];
                let path = ["/", "/a", "/b", "/c"][next(4) as usize];
                let mut stored = match next(5) {
                    0 => event(visitor, at, EventKind::Custom, "signup", path),
                    1 => event(visitor, at, EventKind::Outbound, "https://example.net/", path),
                    _ => view(visitor, at, path),
                };
                stored.event.cookieless = visitor % 4 == 0;
                stored.first_seen = if visitor % 3 == 0 { DAY0 - DAY_MILLIS } else { DAY0 + 60 * MIN };
                if next(3) == 0 {
                    stored.event.props = vec![("plan".into(), ["free", "pro"][next(2) as usize].into())];
                }
                events.push(stored);
            }
        }
        let events: Vec<_> = events.into_iter().filter(|e| e.event.at < DAY0 + DAY_MILLIS).collect();
        let funnels = [
            RolledFunnel::new(vec![
                FunnelStep::Page("/".into()),
                FunnelStep::Page("/a".into()),
                FunnelStep::Event("signup".into()),
            ]),
            RolledFunnel::new(vec![FunnelStep::Page("/b".into()), FunnelStep::Page("/b".into())]),
        ];
        let whole = aggregate(events.clone(), &funnels, &limit());
        for cut_hour in [3, 8, 12, 17, 23] {
            for cut_minute in [0, 25, 55] {
                let cut = DAY0 + (cut_hour * 60 + cut_minute) * MIN;
                let (before, after): (Vec<_>, Vec<_>) = events.iter().cloned().partition(|e| e.event.at < cut);
                let (provisional, open) = aggregate_provisional(before, cut, &funnels, &limit());
                let tail = aggregate_continuing(after, open, &funnels, &limit());
                assert_eq!(
                    summed([&provisional.hourly[..], &tail.hourly[..]]),
                    summed([&whole.hourly[..]]),
                    "hourly, cut at {cut_hour}:{cut_minute}"
                );
                assert_eq!(
                    summed([&provisional.daily[..], &tail.daily[..]]),
                    summed([&whole.daily[..]]),
                    "daily, cut at {cut_hour}:{cut_minute}"
                );
            }
        }
        let total = row(&whole.daily, "total", "");
        assert!(total.counts.visits > 100 && total.counts.bounces > 0, "the mix has visits of every kind: {total:?}");
        // The rolled-up funnel steps count the visitors a funnel over the raw events counts.
        for rolled in &funnels {
            let raw: Vec<FunnelEvent> = events
                .iter()
                .map(|e| FunnelEvent {
                    visitor: e.event.visitor,
                    cookieless: e.event.cookieless,
                    at: e.event.at,
                    steps: rolled.mask(&e.event),
                })
                .collect();
            let mut reached = vec![VisitorSketch::new(); rolled.steps.len()];
            funnel(raw, &mut reached);
            let stored: Vec<u64> = (0..rolled.steps.len())
                .map(|i| {
                    let value = rolled.step_value(i);
                    whole
                        .daily
                        .iter()
                        .find(|r| r.dimension == Dimension::Funnel && r.value == value)
                        .map_or(0, |r| r.visitors.count())
                })
                .collect();
            assert_eq!(stored, reached.iter().map(VisitorSketch::count).collect::<Vec<_>>(), "{}", rolled.key);
            assert!(stored.iter().all(|n| *n > 0), "the mix reaches every step of {}: {stored:?}", rolled.key);
            assert!(
                whole.daily.iter().any(|r| r.dimension == Dimension::Funnel && r.value == rolled.key),
                "the day is marked"
            );
        }
    }

    #[test]
    fn a_rolled_funnel_takes_a_visits_events_of_one_millisecond_in_the_order_that_goes_furthest() {
        let funnels = [RolledFunnel::new(vec![FunnelStep::Page("/".into()), FunnelStep::Event("signup".into())])];
        assert_eq!(funnels[0].key, "/,event:signup");
        let signup = event(1, DAY0 + MIN, EventKind::Custom, "signup", "/");
        let rollup = aggregate(vec![signup, view(1, DAY0 + MIN, "/"), view(2, DAY0 + MIN, "/")], &funnels, &limit());
        let visits = |step: usize| row(&rollup.daily, "funnel", &funnels[0].step_value(step)).counts.visits;
        assert_eq!((visits(0), visits(1)), (2, 1));
        // A visit open at a provisional cut keeps how far it went; the tail goes on from there.
        let cut = DAY0 + 2 * MIN;
        let (provisional, open) = aggregate_provisional(vec![view(3, DAY0 + MIN, "/")], cut, &funnels, &limit());
        assert!(
            !provisional.daily.iter().any(|r| r.value == funnels[0].step_value(0)),
            "the open visit is not counted yet"
        );
        assert_eq!(open[0].funnels, [("/,event:signup".to_owned(), 1)]);
        let tail =
            aggregate_continuing(vec![event(3, cut + MIN, EventKind::Custom, "signup", "/")], open, &funnels, &limit());
        let visits = |step: usize| row(&tail.daily, "funnel", &funnels[0].step_value(step)).counts.visits;
        assert_eq!((visits(0), visits(1)), (1, 1));
    }

    #[test]
    fn one_visits_distinct_values_fold_into_other_and_its_open_state_stays_small() {
        // Issue 21, attack 1: one visitor's custom events, each with a new property value.
        let events: Vec<_> = (0..500)
            .map(|i| {
                let mut attack = event(1, DAY0 + 60 * MIN + i * 1_000, EventKind::Custom, "e", "/");
                attack.event.props = vec![("k".into(), format!("v{i}"))];
                attack
            })
            .collect();
        let cut = DAY0 + 60 * MIN + 500 * 1_000 + MIN;
        let (rolled, open) = aggregate_provisional(events.clone(), cut, &[], &ValueLimit::new(10));
        for rows in [&rolled.hourly, &rolled.daily] {
            let properties: Vec<&RollupRow> = rows.iter().filter(|r| r.dimension == Dimension::Property).collect();
            assert!(properties.len() <= 11, "{} property rows", properties.len());
            assert_eq!(properties.iter().map(|r| r.counts.events).sum::<u64>(), 500);
        }
        let other = row(&rolled.daily, "property", OTHER);
        assert_eq!((other.counts.events, other.counts.visits), (490, 1), "the visit counts once under (other)");
        assert!(open[0].touched.len() <= 1 + 11, "the open visit keeps the folded values: {}", open[0].touched.len());
        // The tail goes on from the open visit: (other) is not counted twice for it.
        let mut limit = ValueLimit::new(10);
        for r in &rolled.daily {
            limit.keep_stored(DAY0, r.dimension, r.value.clone());
        }
        let mut late = event(1, cut + MIN, EventKind::Custom, "e", "/");
        late.event.props = vec![("k".into(), "late".into())];
        let tail = aggregate_continuing(vec![late], open, &[], &limit);
        let other = row(&tail.daily, "property", OTHER);
        assert_eq!((other.counts.events, other.counts.visits), (1, 0));
        // Without a bound every value is a row.
        let unbounded = aggregate(events, &[], &ValueLimit::new(usize::MAX));
        assert_eq!(unbounded.daily.iter().filter(|r| r.dimension == Dimension::Property).count(), 500);
    }

    #[test]
    fn hourly_rows_add_up_to_the_daily_row() {
        let events: Vec<_> =
            (0..200).map(|i| view(i % 17, DAY0 + (i * 7 % 1440) * MIN, ["/a", "/b", "/c"][i as usize % 3])).collect();
        let rollup = aggregate(events, &[], &limit());
        for dimension in [Dimension::Total, Dimension::Page, Dimension::Source, Dimension::Browser] {
            let mut hours = Counts::default();
            rollup.hourly.iter().filter(|r| r.dimension == dimension).for_each(|r| hours.add(&r.counts));
            let mut days = Counts::default();
            rollup.daily.iter().filter(|r| r.dimension == dimension).for_each(|r| days.add(&r.counts));
            assert_eq!(hours.pageviews, days.pageviews, "{dimension}");
            assert_eq!(hours.visits, days.visits, "{dimension}");
        }
    }
}
