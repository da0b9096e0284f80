//! Checks of consent records and recognised visitors.

use std::sync::Arc;

use crate::{ConsentAction, ConsentRecord, GatewaySighting, SightingKind, Store, StoreError};

/// A typical record; checks adjust the fields they test.
fn record(receipt: &str, consent: &str, site: &str, at: i64) -> ConsentRecord {
    ConsentRecord {
        receipt_id: receipt.to_owned(),
        consent_id: consent.to_owned(),
        site: site.to_owned(),
        policy_version: "2026-11-29".to_owned(),
        granted: vec!["necessary".to_owned(), "statistics".to_owned()],
        refused: vec!["marketing".to_owned()],
        gpc: true,
        dnt: false,
        language: "pl".to_owned(),
        action: ConsentAction::Given,
        recorded_at: at,
    }
}

/// A freshly opened store is migrated to the newest schema this build knows
/// (what a readiness check compares).
pub async fn schema_is_current(store: Arc<dyn Store>) {
    let version = store.schema_version().await.unwrap();
    assert!(version >= 1);
    assert_eq!(version, store.supported_schema_version());
}

/// A store reports its connections: at least one open, no more idle than
/// open, and between calls none is busy for long.
pub async fn connections_are_counted(store: Arc<dyn Store>) {
    store.count_consents("conn-site").await.unwrap();
    let connections = store.connections();
    assert!(connections.open >= 1, "{connections:?}");
    assert!(connections.idle <= connections.open, "{connections:?}");
}

/// Rate-limit windows add up what every caller (node) admitted, per key and
/// window, also under concurrency, and old windows are forgotten.
pub async fn rate_windows_add_up_across_callers(store: Arc<dyn Store>) {
    use crate::RateIncrement;
    let inc = |key: &str, window_start: i64, count: u64| RateIncrement { key: key.into(), window_start, count };
    let totals = store.add_to_rate_windows(&[inc("rw-a", 60_000, 3), inc("rw-b", 60_000, 1)], 0).await.unwrap();
    assert_eq!(totals, [3, 1]);
    // Eight "nodes" add at once: nothing is lost.
    let adds: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.add_to_rate_windows(&[inc("rw-a", 60_000, 2)], 0).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for add in adds {
        seen.push(add.await.unwrap()[0]);
    }
    seen.sort_unstable();
    assert_eq!(seen, [5, 7, 9, 11, 13, 15, 17, 19], "each add sees every earlier one");
    // A new window starts from nothing; the old one is forgotten when asked.
    assert_eq!(store.add_to_rate_windows(&[inc("rw-a", 120_000, 1)], 120_000).await.unwrap(), [1]);
    assert_eq!(store.add_to_rate_windows(&[inc("rw-a", 60_000, 1)], 0).await.unwrap(), [1], "60 000 was deleted");
    assert_eq!(store.add_to_rate_windows(&[], 0).await.unwrap(), Vec::<u64>::new());
}

/// A consent record reads back as written, by its case-sensitive receipt id.
pub async fn consent_round_trip(store: Arc<dyn Store>) {
    let stored = record("r-1", "c-1", "site-a", 1_000);
    store.append_consent(&stored).await.unwrap();
    assert_eq!(store.consent_by_receipt("r-1").await.unwrap(), Some(stored));
    assert_eq!(store.consent_by_receipt("missing").await.unwrap(), None);
    assert_eq!(store.consent_by_receipt("R-1").await.unwrap(), None, "receipt ids are case-sensitive");
}

/// Category lists, Unicode and awkward text survive storage.
pub async fn list_and_text_round_trip(store: Arc<dyn Store>) {
    let cases = [
        (vec![], vec![], "pt", ConsentAction::Updated, false, true),
        (vec!["necessary"], vec![], "zh-Hant-TW", ConsentAction::Withdrawn, true, true),
        (vec![], vec!["marketing", "statistics", "préférences"], "ÿ-Ünïcødé-語-🍪", ConsentAction::Given, false, false),
        (
            vec!["a,b", "\"quoted\"", "{brace}", "NULL", ""],
            vec!["back\\slash"],
            "",
            ConsentAction::Updated,
            true,
            false,
        ),
    ];
    for (i, (granted, refused, language, action, gpc, dnt)) in cases.into_iter().enumerate() {
        let mut stored = record(&format!("r-text-{i}"), "c-text", "site-text", 10 + i64::try_from(i).unwrap());
        stored.granted = granted.into_iter().map(str::to_owned).collect();
        stored.refused = refused.into_iter().map(str::to_owned).collect();
        stored.language = language.to_owned();
        stored.action = action;
        stored.gpc = gpc;
        stored.dnt = dnt;
        stored.policy_version = format!("v{i} — “typographic” ✓");
        store.append_consent(&stored).await.unwrap();
        assert_eq!(store.consent_by_receipt(&stored.receipt_id).await.unwrap().as_ref(), Some(&stored), "case {i}");
    }
    let mut big = record("r-text-big", "c-text", "site-text", 99);
    big.recorded_at = i64::MAX;
    big.granted = (0..200).map(|n| format!("category-{n}")).collect();
    store.append_consent(&big).await.unwrap();
    assert_eq!(store.consent_by_receipt("r-text-big").await.unwrap(), Some(big));
}

/// A second record with a stored receipt id is a duplicate; the first is kept.
pub async fn duplicates_refused(store: Arc<dyn Store>) {
    let original = record("r-dup", "c-dup", "site-dup", 1_000);
    store.append_consent(&original).await.unwrap();
    let mut again = record("r-dup", "c-other", "site-other", 2_000);
    again.action = ConsentAction::Withdrawn;
    match store.append_consent(&again).await {
        Err(StoreError::Duplicate) => {}
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert!(matches!(store.append_consent(&original).await, Err(StoreError::Duplicate)));
    assert_eq!(store.consent_by_receipt("r-dup").await.unwrap(), Some(original), "the first record is kept");
    assert_eq!(store.count_consents("site-other").await.unwrap(), 0);
    assert_eq!(store.consent_history("c-other").await.unwrap(), []);
}

/// A consent id's history is oldest first, ties in insertion order.
pub async fn history_in_order(store: Arc<dyn Store>) {
    let mut later = record("r-h3", "c-h", "site-h", 3_000);
    later.action = ConsentAction::Withdrawn;
    later.granted = vec!["necessary".to_owned()];
    // Appended out of time order; two share a millisecond.
    store.append_consent(&later).await.unwrap();
    store.append_consent(&record("r-h2", "c-h", "site-h", 2_000)).await.unwrap();
    store.append_consent(&record("r-h9-first", "c-h", "site-h", 2_500)).await.unwrap();
    store.append_consent(&record("r-h1-second", "c-h", "site-h", 2_500)).await.unwrap();
    store.append_consent(&record("r-h-other", "c-h-other", "site-h", 1)).await.unwrap();
    let history = store.consent_history("c-h").await.unwrap();
    let receipts: Vec<&str> = history.iter().map(|r| r.receipt_id.as_str()).collect();
    assert_eq!(receipts, ["r-h2", "r-h9-first", "r-h1-second", "r-h3"], "oldest first; ties in insertion order");
    assert_eq!(history[3], later);
    assert_eq!(store.consent_history("nobody").await.unwrap(), []);
}

/// Consent records are counted per (case-sensitive) site.
pub async fn counts_per_site(store: Arc<dyn Store>) {
    for (i, site) in ["site-c1", "site-c1", "site-c1", "site-c2"].into_iter().enumerate() {
        store.append_consent(&record(&format!("r-c{i}"), &format!("c-c{i}"), site, 5)).await.unwrap();
    }
    assert_eq!(store.count_consents("site-c1").await.unwrap(), 3);
    assert_eq!(store.count_consents("site-c2").await.unwrap(), 1);
    assert_eq!(store.count_consents("site-C1").await.unwrap(), 0, "sites are case-sensitive");
    assert_eq!(store.count_consents("nobody").await.unwrap(), 0);
}

/// A visitor is created on first sight and counts a visit when one starts.
pub async fn visitors_new_and_returning(store: Arc<dyn Store>) {
    assert_eq!(store.visitor("site-v", "v-1").await.unwrap(), None);
    let first = store.touch_visitor("site-v", "v-1", true, 10).await.unwrap();
    assert_eq!(first.visitor_id, "v-1");
    assert_eq!((first.visits, first.first_seen, first.last_seen), (1, 10, 10));
    assert!(!first.is_returning());
    let same_visit = store.touch_visitor("site-v", "v-1", false, 20).await.unwrap();
    assert_eq!((same_visit.visits, same_visit.first_seen, same_visit.last_seen), (1, 10, 20));
    assert!(!same_visit.is_returning(), "a request in the same visit does not count");
    let next_visit = store.touch_visitor("site-v", "v-1", true, 30).await.unwrap();
    assert_eq!((next_visit.visits, next_visit.first_seen, next_visit.last_seen), (2, 10, 30));
    assert!(next_visit.is_returning());
    assert_eq!(store.visitor("site-v", "v-1").await.unwrap(), Some(next_visit));
    assert_eq!(store.visitor("site-v2", "v-1").await.unwrap(), None, "visitors are per site");
    let elsewhere = store.touch_visitor("site-v2", "v-1", false, 40).await.unwrap();
    assert_eq!(elsewhere.visits, 1, "the first sight is a visit even when not flagged as new");
    assert_eq!(store.visitor("site-v", "v-1").await.unwrap().unwrap().visits, 2);
}

/// First and last seen stay right when requests arrive out of order.
pub async fn visitors_out_of_order(store: Arc<dyn Store>) {
    store.touch_visitor("site-o", "v-o", true, 500).await.unwrap();
    let earlier = store.touch_visitor("site-o", "v-o", false, 100).await.unwrap();
    assert_eq!((earlier.first_seen, earlier.last_seen, earlier.visits), (100, 500, 1));
}

/// Forgetting removes one site's visitor, who then starts afresh.
pub async fn forget_visitor(store: Arc<dyn Store>) {
    store.touch_visitor("site-f", "v-f", true, 1).await.unwrap();
    store.touch_visitor("site-f", "v-f", true, 2).await.unwrap();
    store.touch_visitor("site-f2", "v-f", true, 3).await.unwrap();
    assert!(store.forget_visitor("site-f", "v-f").await.unwrap());
    assert!(!store.forget_visitor("site-f", "v-f").await.unwrap(), "already forgotten");
    assert!(!store.forget_visitor("site-f", "never-seen").await.unwrap());
    assert_eq!(store.visitor("site-f", "v-f").await.unwrap(), None);
    assert!(store.visitor("site-f2", "v-f").await.unwrap().is_some(), "only that site's visitor is forgotten");
    let again = store.touch_visitor("site-f", "v-f", true, 4).await.unwrap();
    assert_eq!((again.visits, again.first_seen), (1, 4), "a forgotten visitor starts afresh");
}

/// Gateway sightings upsert: counts add up, first and last seen widen, the
/// newest sample path and detail win, sites and kinds stay apart.
pub async fn gateway_sightings_add_up(store: Arc<dyn Store>) {
    let sighting = |kind, name: &str, first, last, path: &str, count| GatewaySighting {
        site: "site-g".into(),
        kind,
        name: name.into(),
        domain: "shop.example".into(),
        path: "/".into(),
        detail: format!("seen at {path}"),
        first_seen: first,
        last_seen: last,
        sample_path: path.into(),
        count,
    };
    assert!(store.gateway_sightings("site-g").await.unwrap().is_empty());
    store.record_gateway_sightings(&[]).await.unwrap();
    store
        .record_gateway_sightings(&[
            sighting(SightingKind::Undeclared, "mystery", 100, 200, "/a", 3),
            sighting(SightingKind::BeyondDeclaration, "mystery", 150, 150, "/b", 1),
        ])
        .await
        .unwrap();
    store.record_gateway_sightings(&[sighting(SightingKind::Undeclared, "mystery", 50, 300, "/c", 4)]).await.unwrap();
    let mut other_site = sighting(SightingKind::Undeclared, "mystery", 1, 1, "/x", 1);
    other_site.site = "site-g2".into();
    store.record_gateway_sightings(&[other_site]).await.unwrap();
    let seen = store.gateway_sightings("site-g").await.unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], sighting(SightingKind::Undeclared, "mystery", 50, 300, "/c", 7), "most recent first");
    assert_eq!(seen[1], sighting(SightingKind::BeyondDeclaration, "mystery", 150, 150, "/b", 1));
    assert_eq!(store.gateway_sightings("site-g2").await.unwrap().len(), 1);
}

/// Concurrent touches of one visitor each count exactly once.
pub async fn concurrent_visits_counted_exactly(store: Arc<dyn Store>) {
    // 20 tasks race on an id nobody has seen: one inserts, 19 update.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.touch_visitor("site-x", "v-many", true, 100 + i).await.unwrap() })
        })
        .collect();
    let mut seen_counts = Vec::new();
    for task in tasks {
        seen_counts.push(task.await.unwrap().visits);
    }
    seen_counts.sort_unstable();
    assert_eq!(seen_counts, (1..=20).collect::<Vec<u64>>(), "each touch saw its own count");
    let status = store.visitor("site-x", "v-many").await.unwrap().unwrap();
    assert_eq!((status.visits, status.first_seen, status.last_seen), (20, 100, 119));
    // 20 more in the same visits: the count does not move.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.touch_visitor("site-x", "v-many", false, 200 + i).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let status = store.visitor("site-x", "v-many").await.unwrap().unwrap();
    assert_eq!((status.visits, status.first_seen, status.last_seen), (20, 100, 219));
}

/// Concurrent appends all land, and a receipt raced by many lands once.
pub async fn concurrent_appends(store: Arc<dyn Store>) {
    // Distinct receipts all land; one receipt raced by 10 lands once.
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let receipt = if i < 20 { format!("r-par-{i}") } else { "r-par-same".to_owned() };
                store.append_consent(&record(&receipt, "c-par", "site-par", i)).await
            })
        })
        .collect();
    let (mut ok, mut duplicates) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Duplicate) => duplicates += 1,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!((ok, duplicates), (21, 9));
    assert_eq!(store.count_consents("site-par").await.unwrap(), 21);
    assert_eq!(store.consent_history("c-par").await.unwrap().len(), 21);
}

/// Consent records are counted per UTC day and decision, for one site,
/// from a given moment on; identical decisions of a day are one row.
pub async fn consent_decisions_per_day(store: Arc<dyn Store>) {
    use crate::DecisionCount;
    const DAY: i64 = 86_400_000;
    let day0 = 20_000 * DAY;
    let strings = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let mut refused_all = record("dpd-3", "dpd-c3", "site-dpd", day0 + 5);
    refused_all.granted = strings(&["necessary"]);
    refused_all.refused = strings(&["marketing", "statistics"]);
    for r in [
        record("dpd-0", "dpd-c0", "site-dpd", day0 - 1),
        record("dpd-1", "dpd-c1", "site-dpd", day0),
        record("dpd-2", "dpd-c2", "site-dpd", day0 + DAY - 1),
        refused_all,
        record("dpd-4", "dpd-c4", "site-dpd", day0 + DAY),
        record("dpd-5", "dpd-c5", "site-dpd-other", day0 + 10),
    ] {
        store.append_consent(&r).await.unwrap();
    }
    let mut counts = store.consent_decisions_by_day("site-dpd", day0).await.unwrap();
    assert!(counts.windows(2).all(|w| w[0].day <= w[1].day), "oldest day first");
    counts.sort_by(|a, b| (a.day, &a.granted, &a.refused).cmp(&(b.day, &b.granted, &b.refused)));
    let row = |day: i64, granted: &[&str], refused: &[&str], count: u64| DecisionCount {
        day,
        granted: strings(granted),
        refused: strings(refused),
        count,
    };
    assert_eq!(
        counts,
        [
            row(day0, &["necessary"], &["marketing", "statistics"], 1),
            row(day0, &["necessary", "statistics"], &["marketing"], 2),
            row(day0 + DAY, &["necessary", "statistics"], &["marketing"], 1),
        ]
    );
    assert!(store.consent_decisions_by_day("site-dpd", day0 + 2 * DAY).await.unwrap().is_empty());
    assert!(store.consent_decisions_by_day("nobody", 0).await.unwrap().is_empty());
}
