//! [`AdStore`] on SQLite: ad counters and the per-profile log.

use rusqlite::params;

use super::{backend_error, query_all, SqliteStore};
use crate::ads::{self, AdCountRow, AdEvent, AdEventKey, AdShown, AdStore};
use crate::{StoreError, UnixMillis};

/// `sql` with PostgreSQL's `$n` as SQLite's `?n`.
fn sqlite(sql: &str) -> String {
    sql.replace('$', "?")
}

#[async_trait::async_trait]
impl AdStore for SqliteStore {
    async fn record_ad_event(
        &self,
        site: &str,
        key: &AdEventKey,
        event: AdEvent,
        shown_to: Option<(i64, UnixMillis)>,
    ) -> Result<(), StoreError> {
        let (site, key) = (site.to_owned(), key.clone());
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            let [served, impressions, clicks] = ads::increments(event);
            let topic = ads::stored_topic(key.topic);
            tx.prepare_cached(&sqlite(ads::COUNT))
                .and_then(|mut s| {
                    s.execute(params![
                        site,
                        key.day,
                        key.campaign,
                        key.slot,
                        key.basis,
                        topic,
                        served,
                        impressions,
                        clicks
                    ])
                })
                .map_err(backend_error)?;
            if let Some((profile, at)) = shown_to {
                let topic = key.topic.map(i64::from);
                tx.prepare_cached(&sqlite(ads::LOG))
                    .and_then(|mut s| s.execute(params![site, profile, at, key.campaign, key.basis, topic]))
                    .map_err(backend_error)?;
            }
            tx.commit().map_err(backend_error)
        })
        .await
    }

    async fn add_ads_served(&self, site: &str, served: &[(AdEventKey, u64)]) -> Result<(), StoreError> {
        let (site, served) = (site.to_owned(), served.to_vec());
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            {
                let mut count = tx.prepare_cached(&sqlite(ads::COUNT)).map_err(backend_error)?;
                for (key, n) in &served {
                    let n = i64::try_from(*n).unwrap_or(i64::MAX);
                    let topic = ads::stored_topic(key.topic);
                    count
                        .execute(params![site, key.day, key.campaign, key.slot, key.basis, topic, n, 0_i64, 0_i64])
                        .map_err(backend_error)?;
                }
            }
            tx.commit().map_err(backend_error)
        })
        .await
    }

    async fn ads_served_on(&self, site: &str, day: i64) -> Result<Vec<(String, u64)>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| query_all(c, &sqlite(ads::SERVED_ON), params![site, day], |row| ads::served_row(row))).await
    }

    async fn ads_shown_to(&self, site: &str, profile: i64, since: UnixMillis) -> Result<Vec<AdShown>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            query_all(c, &sqlite(ads::SHOWN_TO), params![site, profile, since], |row| ads::shown_row(row))
        })
        .await
    }

    async fn ad_counts(&self, site: &str, from_day: i64, to_day: i64) -> Result<Vec<AdCountRow>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            query_all(c, &sqlite(ads::COUNTS), params![site, from_day, to_day], |row| ads::count_row(row))
        })
        .await
    }
}
