//! Checks of raw events, rollups, open visits, forgetting and shared salts.

use std::sync::Arc;

use crate::analytics::{rollup, Dimension, EventKind, EventRecord, Granularity};
use crate::Store;

const DAY: i64 = crate::analytics::DAY_MILLIS;
const DAY0: i64 = 20_000 * DAY;

/// The default limit on distinct values a day.
fn limit() -> rollup::ValueLimit {
    rollup::ValueLimit::new(rollup::DEFAULT_MAX_VALUES_PER_DAY)
}

/// A page view of `path` on `site`, from a news site, in a spring campaign.
pub(super) fn analytics_event(site: &str, visitor: i64, at: i64, path: &str) -> EventRecord {
    EventRecord {
        site: site.to_owned(),
        at,
        visitor,
        cookieless: false,
        user: None,
        kind: EventKind::Pageview,
        name: "pageview".to_owned(),
        path: path.to_owned(),
        source: "news.example".to_owned(),
        utm_source: "letter".to_owned(),
        utm_medium: String::new(),
        utm_campaign: "spring".to_owned(),
        browser: "Firefox".to_owned(),
        os: "Linux".to_owned(),
        device: "desktop".to_owned(),
        props: vec![],
    }
}

/// Raw events read back with their first sighting, in `[from, to)`.
pub async fn analytics_events_round_trip(store: Arc<dyn Store>) {
    let mut custom = analytics_event("an-1", -5, DAY0 + 10, "/join");
    custom.kind = EventKind::Custom;
    custom.name = "signup".to_owned();
    custom.props = vec![("plan".to_owned(), "pro ✓".to_owned()), ("n".to_owned(), "1".to_owned())];
    custom.user = Some(i64::MIN);
    custom.cookieless = true;
    let view = analytics_event("an-1", -5, DAY0 + 5, "/");
    store.append_events(vec![view.clone(), custom.clone()]).await.unwrap();
    store.append_events(vec![analytics_event("an-other", 9, DAY0, "/")]).await.unwrap();
    store.append_events(Vec::new()).await.unwrap();
    let mut events = store.events_between("an-1", DAY0, DAY0 + DAY).await.unwrap();
    events.sort_by_key(|e| e.event.at);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event, view);
    assert_eq!(events[1].event, custom);
    assert!(events.iter().all(|e| e.first_seen == DAY0 + 5), "first sighting is the visitor's earliest event");
    assert!(store.events_between("an-1", DAY0 + 11, DAY0 + DAY).await.unwrap().is_empty(), "[from, to)");
    assert_eq!(store.first_event_at("an-1").await.unwrap(), Some(DAY0 + 5));
    assert_eq!(store.first_event_at("an-none").await.unwrap(), None);
}

/// Stored rollups equal the rollup of the raw events; late rollups change nothing.
pub async fn analytics_rollups_equal_raw_counts(store: Arc<dyn Store>) {
    let site = "an-2";
    let mut events = Vec::new();
    for i in 0..600i64 {
        let visitor = i % 37;
        let at = DAY0 + (i * 131 % 1440) * 60_000 + i;
        events.push(analytics_event(site, visitor, at, ["/", "/a", "/b", "/c"][(i % 4) as usize]));
    }
    for batch in events.chunks(100) {
        store.append_events(batch.to_vec()).await.unwrap();
    }
    let raw = store.events_between(site, DAY0, DAY0 + DAY).await.unwrap();
    assert_eq!(raw.len(), 600);
    let rollup = rollup::aggregate(raw, &[], &limit());
    assert_eq!(store.rolled_until(site).await.unwrap(), None);
    store.commit_rollup(site, DAY0, DAY0 + DAY, &rollup.hourly, &rollup.daily, &[]).await.unwrap();
    // Committing again replaces rather than doubles.
    store.commit_rollup(site, DAY0, DAY0 + DAY, &rollup.hourly, &rollup.daily, &[]).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0 + DAY));

    let daily = store.rollups(site, Granularity::Day, DAY0, DAY0 + DAY, &[]).await.unwrap();
    let hourly = store.rollups(site, Granularity::Hour, DAY0, DAY0 + DAY, &[]).await.unwrap();
    assert_eq!(daily.len(), rollup.daily.len());
    assert_eq!(hourly.len(), rollup.hourly.len());
    let total = daily.iter().find(|r| r.dimension == Dimension::Total).unwrap();
    assert_eq!(total.counts.pageviews, 600, "every raw page view is in the daily total");
    assert_eq!(total.visitors.count(), 37, "distinct visitors survive storage");
    let hourly_views: u64 = hourly.iter().filter(|r| r.dimension == Dimension::Page).map(|r| r.counts.pageviews).sum();
    assert_eq!(hourly_views, 600);
    let pages: u64 = daily.iter().filter(|r| r.dimension == Dimension::Page).map(|r| r.counts.pageviews).sum();
    assert_eq!(pages, 600);
    for stored in &daily {
        let fresh = rollup.daily.iter().find(|r| r.dimension == stored.dimension && r.value == stored.value).unwrap();
        assert_eq!(stored.counts, fresh.counts, "{} {}", stored.dimension, stored.value);
        assert_eq!(stored.visitors.count(), fresh.visitors.count());
    }
    // Selected dimensions, summaries and values agree with the full rows.
    let pages_only =
        store.rollups(site, Granularity::Day, DAY0, DAY0 + DAY, &[Dimension::Page, Dimension::Total]).await.unwrap();
    assert_eq!(
        pages_only.len(),
        daily.iter().filter(|r| r.dimension == Dimension::Page || r.dimension == Dimension::Total).count()
    );
    let summary = store.rollup_summary(site, Granularity::Hour, DAY0, DAY0 + DAY).await.unwrap();
    assert!(summary.iter().all(|s| s.dimension != Dimension::Total));
    let views: u64 = summary.iter().filter(|s| s.dimension == Dimension::Page).map(|s| s.counts.pageviews).sum();
    assert_eq!(views, 600, "hourly sums add up to the day");
    let slash = summary.iter().find(|s| s.dimension == Dimension::Page && s.value == "/a").unwrap();
    let values = store
        .rollup_values(
            site,
            Granularity::Hour,
            DAY0,
            DAY0 + DAY,
            Dimension::Page,
            &["/a".to_owned(), "/none".to_owned()],
        )
        .await
        .unwrap();
    assert!(values.iter().all(|r| r.value == "/a"));
    assert_eq!(values.iter().map(|r| r.counts.pageviews).sum::<u64>(), slash.counts.pageviews);
    let mut merged = crate::analytics::VisitorSketch::new();
    values.iter().for_each(|r| merged.merge(&r.visitors));
    assert!(slash.min_visitors <= merged.count(), "a single hour's count is a lower bound");
    // An earlier day committed later (another node's, late) changes nothing.
    store.commit_rollup(site, DAY0 - DAY, DAY0, &[], &[], &[]).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0 + DAY));
    store.commit_rollup(site, DAY0, DAY0 + DAY / 2, &[], &[], &[]).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0 + DAY));
    assert_eq!(store.rollups(site, Granularity::Day, DAY0, DAY0 + DAY, &[]).await.unwrap().len(), daily.len());
    assert!(store.rollups(site, Granularity::Day, DAY0 + DAY, DAY0 + 2 * DAY, &[]).await.unwrap().is_empty());
    // The mark moves back (never forward) when rewound, and the day rolls up again.
    store.rewind_rolled_until(site, DAY0 + 2 * DAY).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0 + DAY), "a rewind never advances");
    store.rewind_rolled_until(site, DAY0).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0));
    assert_eq!(store.rollups(site, Granularity::Day, DAY0, DAY0 + DAY, &[]).await.unwrap().len(), daily.len());
    assert!(store.commit_rollup(site, DAY0, DAY0 + DAY, &rollup.hourly, &rollup.daily, &[]).await.unwrap());
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0 + DAY));
    store.rewind_rolled_until("an-none", DAY0).await.unwrap();
    assert_eq!(store.rolled_until("an-none").await.unwrap(), None, "no mark, none made");
}

/// Cross-device users are counted, and old raw events purged.
pub async fn analytics_cross_device_and_purge(store: Arc<dyn Store>) {
    let site = "an-3";
    let mut batch = Vec::new();
    for (user, visitor) in [(1, 10), (1, 11), (2, 20), (2, 20), (3, 30), (3, 31), (3, 32)] {
        let mut event = analytics_event(site, visitor, DAY0 + visitor, "/");
        event.user = Some(user);
        batch.push(event);
    }
    batch.push(analytics_event(site, 99, DAY0 + 99, "/"));
    store.append_events(batch).await.unwrap();
    assert_eq!(store.cross_device_users(site, DAY0, DAY0 + DAY).await.unwrap(), (2, 3));
    assert_eq!(store.cross_device_users(site, DAY0 + DAY, DAY0 + 2 * DAY).await.unwrap(), (0, 0));
    assert_eq!(store.purge_events_before(site, DAY0 + 30).await.unwrap(), 4);
    assert_eq!(store.events_between(site, 0, i64::MAX).await.unwrap().len(), 4);
}

/// A forget request deletes one visitor key's events and first sighting.
pub async fn analytics_forget_a_visitor(store: Arc<dyn Store>) {
    let site = "an-4";
    assert_eq!(store.forget_requested(site).await.unwrap(), 0, "nothing asked, nothing done");
    let mut batch = Vec::new();
    for day in 0..3 {
        for visitor in [1, 2] {
            batch.push(analytics_event(site, visitor, DAY0 + day * DAY + visitor, "/"));
        }
    }
    batch.push(analytics_event("an-4-other-site", 1, DAY0, "/"));
    store.append_events(batch).await.unwrap();
    store.request_forget(site, 1, DAY0 + 3 * DAY).await.unwrap();
    assert_eq!(store.events_between(site, 0, i64::MAX).await.unwrap().len(), 6, "deleted by the job, not at once");
    assert_eq!(store.forget_requested(site).await.unwrap(), 3, "visitor 1's events of three days");
    let left = store.events_between(site, 0, i64::MAX).await.unwrap();
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|e| e.event.visitor == 2 && e.first_seen == DAY0 + 2));
    assert_eq!(store.events_between("an-4-other-site", 0, i64::MAX).await.unwrap().len(), 1, "other sites untouched");
    assert_eq!(store.forget_requested(site).await.unwrap(), 0, "the request is done");
    // The first sighting went too: the same key seen again is new.
    store.append_events(vec![analytics_event(site, 1, DAY0 + 5 * DAY, "/")]).await.unwrap();
    let again = store.events_between(site, DAY0 + 5 * DAY, DAY0 + 6 * DAY).await.unwrap();
    assert_eq!(again[0].first_seen, DAY0 + 5 * DAY);
}

/// Open visits are stored with their rollup, the later cut wins, forgetting removes them.
pub async fn analytics_open_visits(store: Arc<dyn Store>) {
    let site = "an-5";
    let cut = DAY0 + DAY / 2;
    let mut signup = analytics_event(site, 2, cut - 60_000, "/join");
    signup.kind = EventKind::Custom;
    signup.name = "signup".to_owned();
    signup.props = vec![("plan".to_owned(), "pro ✓".to_owned())];
    let events = vec![analytics_event(site, 1, cut - 120_000, "/"), signup, analytics_event(site, 3, DAY0, "/")];
    store.append_events(events).await.unwrap();
    let (rollup, open) =
        rollup::aggregate_provisional(store.events_between(site, DAY0, cut).await.unwrap(), cut, &[], &limit());
    assert_eq!(open.len(), 2, "visitors 1 and 2 were seen in the last half hour");
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), vec![], "none before a rollup");
    store.commit_rollup(site, DAY0, cut, &rollup.hourly, &rollup.daily, &open).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(cut));
    let mut stored = store.open_visits(site, DAY0).await.unwrap();
    stored.sort_by_key(|state| state.visitor);
    assert_eq!(stored, open, "the state survives storage");
    assert_eq!(store.open_visits(site, DAY0 - DAY).await.unwrap(), vec![], "kept per day");

    // The next rollup of the day replaces them; a late one (another node's,
    // at an earlier cut) changes nothing; the final one leaves none.
    assert!(store.commit_rollup(site, DAY0, cut + 300_000, &rollup.hourly, &rollup.daily, &open[..1]).await.unwrap());
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), open[..1]);
    assert!(!store.commit_rollup(site, DAY0, cut, &rollup.hourly, &rollup.daily, &open).await.unwrap());
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), open[..1], "the late rollup was not stored");
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(cut + 300_000));
    // Two nodes committing at once: the later cut wins, whichever lands last.
    let (earlier, later) = tokio::join!(
        store.commit_rollup(site, DAY0, cut + 600_000, &rollup.hourly, &rollup.daily, &open),
        store.commit_rollup(site, DAY0, cut + 900_000, &rollup.hourly, &rollup.daily, &open[1..]),
    );
    assert!(later.unwrap(), "the later cut is always stored");
    earlier.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(cut + 900_000));
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), open[1..], "the later cut's open visits");
    store.commit_rollup(site, DAY0, DAY0 + DAY, &rollup.hourly, &rollup.daily, &[]).await.unwrap();
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), vec![]);

    // A visitor forgotten takes their open visit along (stored under the
    // next day here: the mark has passed this one).
    let (_, open) =
        rollup::aggregate_provisional(store.events_between(site, DAY0, cut).await.unwrap(), cut, &[], &limit());
    store.commit_rollup(site, DAY0 + DAY, DAY0 + DAY + 60_000, &[], &[], &open).await.unwrap();
    store.request_forget(site, 1, cut).await.unwrap();
    store.forget_requested(site).await.unwrap();
    let left = store.open_visits(site, DAY0 + DAY).await.unwrap();
    assert_eq!(left.iter().map(|state| state.visitor).collect::<Vec<_>>(), [2]);
    // A rollup read before the forgetting and committed after it (another
    // node's) does not bring the forgotten visit back.
    store.commit_rollup(site, DAY0 + DAY, DAY0 + DAY + 120_000, &[], &[], &open).await.unwrap();
    let left = store.open_visits(site, DAY0 + DAY).await.unwrap();
    assert_eq!(left.iter().map(|state| state.visitor).collect::<Vec<_>>(), [2]);
}

/// Funnel events carry the steps each event matches.
pub async fn analytics_funnel_events(store: Arc<dyn Store>) {
    use crate::analytics::rollup::{FunnelEvent, FunnelStep};
    let site = "an-6";
    let of_kind = |kind: EventKind, name: &str, path: &str, at: i64| {
        let mut event = analytics_event(site, 7, at, path);
        (event.kind, event.name) = (kind, name.to_owned());
        event
    };
    let mut cookieless = analytics_event(site, 8, DAY0 + 5, "/cart");
    cookieless.cookieless = true;
    store
        .append_events(vec![
            analytics_event(site, 7, DAY0 + 1, "/"),
            of_kind(EventKind::Custom, "buy", "/cart", DAY0 + 2),
            of_kind(EventKind::Outbound, "buy", "/", DAY0 + 3),
            of_kind(EventKind::Custom, "other", "/cart", DAY0 + 4),
            cookieless,
            // Another hour: a backend may read (or pack) a range an hour at a time.
            analytics_event(site, 9, DAY0 + 5 * 3_600_000, "/cart"),
            analytics_event(site, 7, DAY0 + DAY, "/"),
            analytics_event("an-6-other-site", 7, DAY0 + 6, "/"),
        ])
        .await
        .unwrap();
    // A page view of "/" matches steps 0 and 3; an outbound click named
    // "buy" is no custom event; a custom event's path is not a page view.
    let steps = [
        FunnelStep::Page("/".to_owned()),
        FunnelStep::Page("/cart".to_owned()),
        FunnelStep::Event("buy".to_owned()),
        FunnelStep::Page("/".to_owned()),
    ];
    let mut events = store.funnel_events(site, DAY0, DAY0 + DAY, &steps).await.unwrap();
    events.sort_by_key(|e| e.at);
    let at = |visitor: i64, cookieless: bool, offset: i64, steps: u32| FunnelEvent {
        visitor,
        cookieless,
        at: DAY0 + offset,
        steps,
    };
    assert_eq!(
        events,
        [
            at(7, false, 1, 0b1001),
            at(7, false, 2, 0b0100),
            at(7, false, 3, 0),
            at(7, false, 4, 0),
            at(8, true, 5, 0b0010),
            at(9, false, 5 * 3_600_000, 0b0010),
        ]
    );
    assert_eq!(store.funnel_events(site, DAY0 - DAY, DAY0, &steps).await.unwrap(), [], "a range without events");
    assert!(store.funnel_events(site, DAY0, DAY0 + DAY, &[]).await.unwrap().iter().all(|e| e.steps == 0));
}

/// The first node's salt of a day wins; earlier days' salts are forgotten.
pub async fn analytics_shared_salt(store: Arc<dyn Store>) {
    let first = store.shared_salt(DAY0, &[1; 32]).await.unwrap();
    assert_eq!(first, vec![1; 32]);
    assert_eq!(store.shared_salt(DAY0, &[2; 32]).await.unwrap(), vec![1; 32], "the first node's salt wins");
    assert_eq!(store.shared_salt(DAY0 + DAY, &[3; 32]).await.unwrap(), vec![3; 32]);
    assert_eq!(store.shared_salt(DAY0, &[4; 32]).await.unwrap(), vec![4; 32], "an earlier day's salt was forgotten");
}
