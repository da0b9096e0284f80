//! [`AdStore`] on PostgreSQL: ad counters and the per-profile log.

use super::columns::PgRow;
use super::{backend_error, PgStore};
use crate::ads::{self, AdCountRow, AdEvent, AdEventKey, AdShown, AdStore};
use crate::{StoreError, UnixMillis};

#[async_trait::async_trait]
impl AdStore for PgStore {
    async fn record_ad_event(
        &self,
        site: &str,
        key: &AdEventKey,
        event: AdEvent,
        shown_to: Option<(i64, UnixMillis)>,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let [served, impressions, clicks] = ads::increments(event);
        let topic = ads::stored_topic(key.topic);
        let count = tx.prepare_cached(ads::COUNT).await.map_err(backend_error)?;
        tx.execute(
            &count,
            &[&site, &key.day, &key.campaign, &key.slot, &key.basis, &topic, &served, &impressions, &clicks],
        )
        .await
        .map_err(backend_error)?;
        if let Some((profile, at)) = shown_to {
            let topic = key.topic.map(i64::from);
            let log = tx.prepare_cached(ads::LOG).await.map_err(backend_error)?;
            tx.execute(&log, &[&site, &profile, &at, &key.campaign, &key.basis, &topic])
                .await
                .map_err(backend_error)?;
        }
        tx.commit().await.map_err(backend_error)
    }

    async fn add_ads_served(&self, site: &str, served: &[(AdEventKey, u64)]) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let count = tx.prepare_cached(ads::COUNT).await.map_err(backend_error)?;
        for (key, n) in served {
            let n = i64::try_from(*n).unwrap_or(i64::MAX);
            let topic = ads::stored_topic(key.topic);
            tx.execute(&count, &[&site, &key.day, &key.campaign, &key.slot, &key.basis, &topic, &n, &0_i64, &0_i64])
                .await
                .map_err(backend_error)?;
        }
        tx.commit().await.map_err(backend_error)
    }

    async fn ads_served_on(&self, site: &str, day: i64) -> Result<Vec<(String, u64)>, StoreError> {
        self.query_all(ads::SERVED_ON, &[&site, &day], |row| ads::served_row(&PgRow::record(row))).await
    }

    async fn ads_shown_to(&self, site: &str, profile: i64, since: UnixMillis) -> Result<Vec<AdShown>, StoreError> {
        self.query_all(ads::SHOWN_TO, &[&site, &profile, &since], |row| ads::shown_row(&PgRow::record(row))).await
    }

    async fn ad_counts(&self, site: &str, from_day: i64, to_day: i64) -> Result<Vec<AdCountRow>, StoreError> {
        self.query_all(ads::COUNTS, &[&site, &from_day, &to_day], |row| ads::count_row(&PgRow::record(row))).await
    }
}
