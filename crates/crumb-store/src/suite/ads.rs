//! Checks of [`AdStore`](crate::AdStore): counters and the per-profile log.

use std::sync::Arc;

use crate::ads::{AdCountRow, AdEvent, AdEventKey, AdShown};
use crate::profiles::ProfileDeletion;
use crate::Store;

fn key(day: i64, campaign: &str, slot: &str, basis: &str, topic: Option<u16>) -> AdEventKey {
    AdEventKey { day, campaign: campaign.into(), slot: slot.into(), basis: basis.into(), topic }
}

/// Served, seen and clicked add up per (day, campaign, slot, basis, topic),
/// concurrent writers included; served per campaign sums the slots, bases
/// and topics of one day; reports list a range, ordered.
pub async fn ad_counters_add_up(store: Arc<dyn Store>) {
    let site = "ad-1";
    let bikes = key(20_000, "bikes", "sidebar", "interests", Some(369));
    let none = key(20_000, "bikes", "top", "none", None);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (store, bikes) = (Arc::clone(&store), bikes.clone());
        tasks.push(tokio::spawn(async move { store.record_ad_event(site, &bikes, AdEvent::Served, None).await }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    for event in [AdEvent::Impression, AdEvent::Impression, AdEvent::Click] {
        store.record_ad_event(site, &bikes, event, None).await.unwrap();
    }
    store.record_ad_event(site, &none, AdEvent::Served, None).await.unwrap();
    store.record_ad_event(site, &key(20_001, "bikes", "top", "none", None), AdEvent::Served, None).await.unwrap();
    store.record_ad_event(site, &key(20_000, "food", "top", "context", Some(10)), AdEvent::Served, None).await.unwrap();
    store.record_ad_event("ad-1-other", &bikes, AdEvent::Served, None).await.unwrap();

    assert_eq!(store.ads_served_on(site, 20_000).await.unwrap(), [("bikes".to_owned(), 21), ("food".to_owned(), 1)]);
    assert_eq!(store.ads_served_on(site, 20_001).await.unwrap(), [("bikes".to_owned(), 1)]);
    assert!(store.ads_served_on(site, 19_999).await.unwrap().is_empty());

    let rows = store.ad_counts(site, 20_000, 20_000).await.unwrap();
    assert_eq!(
        rows,
        [
            AdCountRow { key: bikes.clone(), served: 20, impressions: 2, clicks: 1 },
            AdCountRow { key: none.clone(), served: 1, impressions: 0, clicks: 0 },
            AdCountRow { key: key(20_000, "food", "top", "context", Some(10)), served: 1, impressions: 0, clicks: 0 },
        ]
    );
    assert_eq!(store.ad_counts(site, 20_000, 20_001).await.unwrap().len(), 4);
    assert!(store.ad_counts(site, 20_002, 20_010).await.unwrap().is_empty());

    // A node's gathered serves, added in one batch: onto existing rows and as new ones.
    let fresh = key(20_000, "food", "footer", "none", None);
    store.add_ads_served(site, &[(bikes.clone(), 5), (fresh.clone(), 3)]).await.unwrap();
    store.add_ads_served(site, &[]).await.unwrap();
    assert_eq!(store.ads_served_on(site, 20_000).await.unwrap(), [("bikes".to_owned(), 26), ("food".to_owned(), 4)]);
    let rows = store.ad_counts(site, 20_000, 20_000).await.unwrap();
    assert!(rows.contains(&AdCountRow { key: bikes.clone(), served: 25, impressions: 2, clicks: 1 }), "{rows:?}");
    assert!(rows.contains(&AdCountRow { key: fresh, served: 3, impressions: 0, clicks: 0 }), "{rows:?}");
}

/// The log of ads shown to a profile: only for events given a profile,
/// newest first from `since`; erased with the profile and purged with its
/// epochs, no one else's.
pub async fn ads_shown_logged_erased_and_purged(store: Arc<dyn Store>) {
    let site = "ad-2";
    let bikes = key(20_000, "bikes", "sidebar", "interests", Some(369));
    for (profile, at) in [(1, 1_000), (1, 2_000), (2, 1_500), (2, 3_000)] {
        store.record_ad_event(site, &bikes, AdEvent::Served, Some((profile, at))).await.unwrap();
    }
    store.record_ad_event(site, &bikes, AdEvent::Served, None).await.unwrap();
    let shown = |at| AdShown { at, campaign: "bikes".into(), basis: "interests".into(), topic: Some(369) };
    assert_eq!(store.ads_shown_to(site, 1, 0).await.unwrap(), [shown(2_000), shown(1_000)]);
    assert_eq!(store.ads_shown_to(site, 1, 1_001).await.unwrap(), [shown(2_000)]);
    assert!(store.ads_shown_to("ad-2-other", 1, 0).await.unwrap().is_empty());
    assert_eq!(store.ads_served_on(site, 20_000).await.unwrap(), [("bikes".to_owned(), 5)]);

    let erased = store.erase_profile(site, 1, 2_500).await.unwrap();
    assert_eq!(erased, ProfileDeletion { ads_shown: 2, ..ProfileDeletion::default() });
    assert!(store.ads_shown_to(site, 1, 0).await.unwrap().is_empty());
    assert_eq!(store.ads_shown_to(site, 2, 0).await.unwrap().len(), 2, "another profile stays");

    let purged = store.purge_interest_epochs(site, 1_500).await.unwrap();
    assert_eq!(purged, ProfileDeletion { ads_shown: 1, ..ProfileDeletion::default() });
    assert_eq!(store.ads_shown_to(site, 2, 0).await.unwrap(), [shown(3_000)]);
    assert_eq!(store.ads_served_on(site, 20_000).await.unwrap(), [("bikes".to_owned(), 5)], "counters stay");
}
