//! Checks of [`CampaignStore`](crate::CampaignStore): campaigns managed on
//! `/admin` created, listed, changed and deleted per site.

use std::sync::Arc;

use crate::{Store, StoreError, StoredCampaign};

fn stored(site: &str, id: &str, document: &str, at: i64, by: &str) -> StoredCampaign {
    StoredCampaign {
        site: site.to_owned(),
        id: id.to_owned(),
        document: document.to_owned(),
        created_at: at,
        created_by: by.to_owned(),
        updated_at: at,
        updated_by: by.to_owned(),
    }
}

/// A campaign is stored once per site and id (a second is a duplicate);
/// listed oldest first, then by id; sites are kept apart; its document
/// round-trips byte for byte (JSON with quotes, accents, markup).
pub async fn campaigns_round_trip(store: Arc<dyn Store>) {
    let site = "cmp-1";
    let document = r#"{"name":"Vélos d'été","html":"<p>\"Bikes\" &amp; more</p>","topics":[369]}"#;
    let b = stored(site, "b-second", document, 2000, "admin-1");
    let a = stored(site, "a-first", "{}", 1000, "admin-2");
    let c = stored(site, "c-same-time", "{}", 2000, "admin-1");
    store.insert_campaign(&b).await.unwrap();
    store.insert_campaign(&a).await.unwrap();
    store.insert_campaign(&c).await.unwrap();
    store.insert_campaign(&stored("cmp-1-other", "a-first", "{\"other\":1}", 1, "x")).await.unwrap();
    let again = store.insert_campaign(&stored(site, "a-first", "{}", 3000, "admin-3")).await;
    assert!(matches!(again, Err(StoreError::Duplicate)), "{again:?}");
    assert_eq!(store.stored_campaigns(site).await.unwrap(), [a, b, c]);
    let other = store.stored_campaigns("cmp-1-other").await.unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].document, "{\"other\":1}");
    assert!(store.stored_campaigns("cmp-1-none").await.unwrap().is_empty());
}

/// An update replaces the document and who changed it when, and keeps the
/// creation; an update or a deletion of an unknown campaign says so and
/// changes nothing; a deletion removes only that site's campaign.
pub async fn campaigns_updated_and_deleted(store: Arc<dyn Store>) {
    let site = "cmp-2";
    store.insert_campaign(&stored(site, "x", "{\"v\":1}", 1000, "admin-1")).await.unwrap();
    store.insert_campaign(&stored("cmp-2-other", "x", "{\"v\":9}", 1000, "admin-1")).await.unwrap();
    let mut change = stored(site, "x", "{\"v\":2}", 5000, "admin-2");
    change.created_at = 4000;
    change.created_by = "someone-else".to_owned();
    assert!(store.update_campaign(&change).await.unwrap());
    let [now] = &store.stored_campaigns(site).await.unwrap()[..] else { panic!("one campaign") };
    assert_eq!(
        (now.document.as_str(), now.created_at, now.created_by.as_str(), now.updated_at, now.updated_by.as_str()),
        ("{\"v\":2}", 1000, "admin-1", 5000, "admin-2")
    );
    assert!(!store.update_campaign(&stored(site, "missing", "{}", 1, "a")).await.unwrap());
    assert!(!store.delete_campaign(site, "missing").await.unwrap());
    assert_eq!(store.stored_campaigns(site).await.unwrap().len(), 1, "nothing created by an update");
    assert!(store.delete_campaign(site, "x").await.unwrap());
    assert!(!store.delete_campaign(site, "x").await.unwrap());
    assert!(store.stored_campaigns(site).await.unwrap().is_empty());
    assert_eq!(store.stored_campaigns("cmp-2-other").await.unwrap()[0].document, "{\"v\":9}", "the other site's stays");
}
