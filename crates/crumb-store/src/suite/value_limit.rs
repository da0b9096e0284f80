//! Checks of the bound on distinct values per dimension and day (issue 21,
//! attack 1: one visitor's events whose values all differ made a rollup row
//! of each, for good, and rollups slow).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::analytics::analytics_event;
use crate::analytics::rollup::{self, is_bounded, ValueLimit, OTHER};
use crate::analytics::{Counts, Dimension, EventKind, EventRecord, Granularity, RollupRow, DAY_MILLIS};
use crate::Store;

const DAY0: i64 = 20_001 * DAY_MILLIS;
const MINUTE: i64 = 60_000;
const LIMIT: usize = 5;

/// A custom event `buy` with one property, `ref`.
fn buy(site: &str, visitor: i64, at: i64, reference: &str) -> EventRecord {
    let mut event = analytics_event(site, visitor, at, "/buy");
    event.kind = EventKind::Custom;
    event.name = "buy".to_owned();
    event.props = vec![("ref".to_owned(), reference.to_owned())];
    event
}

/// A day of a few pages most visits see, and of attackers whose pages,
/// referrers, campaigns and property values all differ: visitor 1 sends 60
/// events in one visit, each with a new property value; visitors 100 to 139
/// one visit each from a new referrer and campaign to a new page.
fn attacked_day(site: &str) -> Vec<EventRecord> {
    let mut events = Vec::new();
    for visitor in 2..12 {
        let at = DAY0 + visitor * 7 * MINUTE;
        events.push(analytics_event(site, visitor, at, "/"));
        events.push(analytics_event(site, visitor, at + MINUTE, "/pricing"));
        events.push(buy(site, visitor, at + 2 * MINUTE, "newsletter"));
    }
    for i in 0..60 {
        events.push(buy(site, 1, DAY0 + 3 * 60 * MINUTE + i * 1_000, &format!("attack-{i}")));
    }
    for visitor in 100..140 {
        let mut view = analytics_event(site, visitor, DAY0 + 5 * 60 * MINUTE + visitor * MINUTE, "");
        view.path = format!("/spam/{visitor}");
        view.source = format!("spam{visitor}.example");
        view.utm_campaign = format!("campaign-{visitor}");
        events.push(view);
    }
    events
}

/// Per bounded dimension: the distinct values of each day (hourly rows are
/// grouped by their day).
fn values_per_day(rows: &[RollupRow]) -> HashMap<(i64, Dimension), HashSet<&str>> {
    let mut values: HashMap<(i64, Dimension), HashSet<&str>> = HashMap::new();
    for row in rows.iter().filter(|r| is_bounded(r.dimension)) {
        let day = Granularity::Day.bucket(row.bucket);
        values.entry((day, row.dimension)).or_default().insert(&row.value);
    }
    values
}

fn summed(rows: &[RollupRow], dimension: Dimension) -> Counts {
    let mut counts = Counts::default();
    rows.iter().filter(|r| r.dimension == dimension).for_each(|r| counts.add(&r.counts));
    counts
}

fn row<'a>(rows: &'a [RollupRow], dimension: Dimension, value: &str) -> Option<&'a RollupRow> {
    rows.iter().find(|r| r.dimension == dimension && r.value == value)
}

/// A day with more distinct values than the limit is stored with at most
/// limit + 1 rows per dimension, hourly and daily: the values with the most
/// traffic, and "(other)" with the rest; every total is unchanged. A raw
/// tail after a provisional rollup keeps its values and adds no new one
/// once the day is full.
pub async fn analytics_values_beyond_the_limit_fold_into_other(store: Arc<dyn Store>) {
    let site = "an-8";
    let limit = ValueLimit::new(LIMIT);
    let events = attacked_day(site);
    let (pageviews, custom) = (60u64, 70u64);
    assert_eq!(events.len() as u64, pageviews + custom);
    store.append_events(events).await.unwrap();
    let raw = store.events_between(site, DAY0, DAY0 + DAY_MILLIS).await.unwrap();
    let unbounded = rollup::aggregate(raw.clone(), &[], &ValueLimit::new(usize::MAX));
    let rolled = rollup::aggregate(raw, &[], &limit);
    store.commit_rollup(site, DAY0, DAY0 + DAY_MILLIS, &rolled.hourly, &rolled.daily, &[]).await.unwrap();
    let daily = store.rollups(site, Granularity::Day, DAY0, DAY0 + DAY_MILLIS, &[]).await.unwrap();
    let hourly = store.rollups(site, Granularity::Hour, DAY0, DAY0 + DAY_MILLIS, &[]).await.unwrap();
    assert!(values_per_day(&unbounded.daily)[&(DAY0, Dimension::Property)].len() > 60, "the attack's many values");

    for rows in [&daily, &hourly] {
        for ((_, dimension), values) in values_per_day(rows) {
            assert!(values.len() <= LIMIT + 1, "{dimension}: {} values", values.len());
        }
    }
    for dimension in [Dimension::Page, Dimension::Entry, Dimension::Exit, Dimension::Source, Dimension::UtmCampaign] {
        assert!(row(&daily, dimension, OTHER).is_some(), "{dimension} folds");
        assert!(row(&hourly, dimension, OTHER).is_some(), "{dimension} folds by the hour too");
    }
    // The values with the most traffic are kept.
    for (dimension, value) in [
        (Dimension::Page, "/"),
        (Dimension::Page, "/pricing"),
        (Dimension::Source, "news.example"),
        (Dimension::Property, "buy\u{1f}ref\u{1f}newsletter"),
    ] {
        let kept = row(&daily, dimension, value).unwrap_or_else(|| panic!("{dimension} {value} is kept"));
        assert_eq!(kept.counts, row(&unbounded.daily, dimension, value).unwrap().counts, "{dimension} {value}");
    }
    // Totals are unchanged: every page view, event and visit is counted once,
    // in a kept row or in "(other)".
    let total = summed(&daily, Dimension::Total);
    assert_eq!((total.pageviews, total.events), (pageviews, custom));
    assert_eq!(total, summed(&unbounded.daily, Dimension::Total));
    for dimension in [Dimension::Page, Dimension::Event, Dimension::Property, Dimension::Source, Dimension::Entry] {
        let (bounded, all) = (summed(&daily, dimension), summed(&unbounded.daily, dimension));
        assert_eq!((bounded.pageviews, bounded.events), (all.pageviews, all.events), "{dimension}");
        assert_eq!(summed(&hourly, dimension).pageviews, all.pageviews, "{dimension}, hourly");
    }
    // (A visit touching several folded values of a page or an event counts
    // once under "(other)": those visits are fewer.)
    let event_level = [Dimension::Page, Dimension::Event, Dimension::Property, Dimension::Outbound];
    let without_visits = |counts: Counts| Counts { visits: 0, ..counts };
    for dimension in Dimension::ALL.into_iter().filter(|d| is_bounded(*d)) {
        for (bounded, all) in [(&daily, &unbounded.daily), (&hourly, &unbounded.hourly)] {
            let (bounded, all) = (summed(bounded, dimension), summed(all, dimension));
            if event_level.contains(&dimension) {
                assert_eq!(without_visits(bounded), without_visits(all), "{dimension}");
                assert!(bounded.visits <= all.visits, "{dimension}");
            } else {
                assert_eq!(bounded, all, "{dimension}");
            }
        }
    }
    assert_eq!(summed(&daily, Dimension::Source).visits, total.visits, "one source per visit");
    // Visitor 1's visit touched 60 folded property values: it counts once
    // under "(other)", as does each attacker's visit to its page.
    assert_eq!(row(&daily, Dimension::Property, OTHER).unwrap().counts.visits, 1);
    let other_pages = row(&daily, Dimension::Page, OTHER).unwrap();
    assert_eq!((other_pages.counts.pageviews, other_pages.counts.visits), (40 - 3, 40 - 3), "3 spam pages kept");
    assert_eq!(other_pages.visitors.count(), 37);

    // Today's provisional rollup, then a raw tail of new values: the tail
    // keeps the stored values and has no room for new ones.
    let today = DAY0 + DAY_MILLIS;
    let cut = today + 12 * 60 * MINUTE;
    let mut events: Vec<EventRecord> =
        attacked_day(site).into_iter().map(|e| EventRecord { at: e.at + DAY_MILLIS, ..e }).collect();
    let late = (0..20).map(|i| buy(site, 200 + i, cut + MINUTE, &format!("late-{i}")));
    events.extend(late);
    store.append_events(events).await.unwrap();
    let before_cut = store.events_between(site, today, cut).await.unwrap();
    let (provisional, open) = rollup::aggregate_provisional(before_cut, cut, &[], &limit);
    assert!(store.commit_rollup(site, today, cut, &provisional.hourly, &provisional.daily, &open).await.unwrap());
    let mut tail_limit = ValueLimit::new(LIMIT);
    for stored in store.rollup_summary(site, Granularity::Day, today, today + DAY_MILLIS).await.unwrap() {
        tail_limit.keep_stored(today, stored.dimension, stored.value);
    }
    let after_cut = store.events_between(site, cut, today + DAY_MILLIS).await.unwrap();
    assert_eq!(after_cut.len(), 20);
    let tail = rollup::aggregate_continuing(after_cut, store.open_visits(site, today).await.unwrap(), &[], &tail_limit);
    let stored = store.rollups(site, Granularity::Day, today, today + DAY_MILLIS, &[]).await.unwrap();
    let mut report = stored.clone();
    report.extend(tail.daily.iter().cloned());
    for ((_, dimension), values) in values_per_day(&report) {
        assert!(values.len() <= LIMIT + 1, "{dimension}, rollup and tail: {} values", values.len());
    }
    let late_events = row(&tail.daily, Dimension::Property, OTHER).map_or(0, |r| r.counts.events);
    assert_eq!(late_events, 20, "the late values are counted, as (other)");
    assert_eq!(summed(&report, Dimension::Total).events, custom + 20);
}
