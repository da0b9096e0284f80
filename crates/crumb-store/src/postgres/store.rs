//! [`Store`] on PostgreSQL: consent records and recognised visitors.

use super::columns::PgRow;
use super::{backend_error, PgStore, BACKEND};
use crate::rows::{self, count, GATEWAY_COLUMNS, RECORD_COLUMNS, VISITOR_COLUMNS};
use crate::{ConsentRecord, DecisionCount, GatewaySighting, Store, StoreError, UnixMillis, VisitorStatus};

#[async_trait::async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn append_consent(&self, record: &ConsentRecord) -> Result<(), StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "INSERT INTO consent_records ({RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .await
            .map_err(backend_error)?;
        client
            .execute(
                &statement,
                &[
                    &record.receipt_id,
                    &record.consent_id,
                    &record.site,
                    &record.policy_version,
                    &record.granted,
                    &record.refused,
                    &record.gpc,
                    &record.dnt,
                    &record.language,
                    &record.action.as_str(),
                    &record.recorded_at,
                ],
            )
            .await
            .map(|_| ())
            .map_err(backend_error)
    }

    async fn consent_by_receipt(&self, receipt_id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM consent_records WHERE receipt_id = $1"))
            .await
            .map_err(backend_error)?;
        let row = client.query_opt(&statement, &[&receipt_id]).await.map_err(backend_error)?;
        row.as_ref().map(|row| rows::consent_record(&PgRow::record(row))).transpose()
    }

    async fn consent_history(&self, consent_id: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM consent_records WHERE consent_id = $1 ORDER BY recorded_at, seq"
            ))
            .await
            .map_err(backend_error)?;
        let rows = client.query(&statement, &[&consent_id]).await.map_err(backend_error)?;
        rows.iter().map(|row| rows::consent_record(&PgRow::record(row))).collect()
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            .await
            .map_err(backend_error)?;
        let version: i32 =
            client.query_one(&statement, &[]).await.map_err(backend_error)?.try_get(0).map_err(backend_error)?;
        Ok(u32::try_from(version).unwrap_or(u32::MAX))
    }

    fn supported_schema_version(&self) -> u32 {
        crate::migrations::latest(crate::migrations::POSTGRES)
    }

    fn connections(&self) -> crate::Connections {
        let status = self.pool.status();
        crate::Connections { open: status.size, idle: status.available, waiting: status.waiting }
    }

    async fn add_to_rate_windows(
        &self,
        increments: &[crate::RateIncrement],
        forget_before: UnixMillis,
    ) -> Result<Vec<u64>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        tx.execute("DELETE FROM rate_windows WHERE window_start < $1", &[&forget_before])
            .await
            .map_err(backend_error)?;
        let statement = tx
            .prepare_cached(
                "INSERT INTO rate_windows (key, window_start, count) VALUES ($1, $2, $3)
                 ON CONFLICT (key, window_start) DO UPDATE SET count = rate_windows.count + EXCLUDED.count
                 RETURNING count",
            )
            .await
            .map_err(backend_error)?;
        let mut totals = Vec::with_capacity(increments.len());
        for increment in increments {
            let added = i64::try_from(increment.count).unwrap_or(i64::MAX);
            let row = tx
                .query_one(&statement, &[&increment.key, &increment.window_start, &added])
                .await
                .map_err(backend_error)?;
            let total: i64 = row.try_get(0).map_err(backend_error)?;
            totals.push(count(total));
        }
        tx.commit().await.map_err(backend_error)?;
        Ok(totals)
    }

    async fn count_consents(&self, site: &str) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT COUNT(*) FROM consent_records WHERE site = $1")
            .await
            .map_err(backend_error)?;
        let consents: i64 =
            client.query_one(&statement, &[&site]).await.map_err(backend_error)?.try_get(0).map_err(backend_error)?;
        Ok(count(consents))
    }

    async fn consent_decisions_by_day(&self, site: &str, since: UnixMillis) -> Result<Vec<DecisionCount>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(
                "SELECT (recorded_at / 86400000) * 86400000 AS day, granted, refused, COUNT(*) FROM consent_records \
                 WHERE site = $1 AND recorded_at >= $2 GROUP BY day, granted, refused ORDER BY day",
            )
            .await
            .map_err(backend_error)?;
        let rows = client.query(&statement, &[&site, &since]).await.map_err(backend_error)?;
        rows.iter().map(|row| rows::decision_count(&PgRow::record(row))).collect()
    }

    async fn touch_visitor(
        &self,
        site: &str,
        visitor_id: &str,
        new_visit: bool,
        at: UnixMillis,
    ) -> Result<VisitorStatus, StoreError> {
        let client = self.client().await?;
        // One statement: PostgreSQL locks the conflicting row, so concurrent
        // nodes each add their visit. LEAST/GREATEST keep first/last seen
        // right when requests arrive out of order.
        let statement = client
            .prepare_cached(&format!(
                "INSERT INTO visitors (site, visitor_id, first_seen, last_seen, visits) VALUES ($1, $2, $3, $3, 1)
                 ON CONFLICT (site, visitor_id) DO UPDATE SET
                     first_seen = LEAST(visitors.first_seen, EXCLUDED.first_seen),
                     last_seen = GREATEST(visitors.last_seen, EXCLUDED.last_seen),
                     visits = visitors.visits + (CASE WHEN $4 THEN 1 ELSE 0 END)
                 RETURNING {VISITOR_COLUMNS}"
            ))
            .await
            .map_err(backend_error)?;
        let row = client.query_one(&statement, &[&site, &visitor_id, &at, &new_visit]).await.map_err(backend_error)?;
        rows::visitor(&PgRow::record(&row))
    }

    async fn visitor(&self, site: &str, visitor_id: &str) -> Result<Option<VisitorStatus>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!("SELECT {VISITOR_COLUMNS} FROM visitors WHERE site = $1 AND visitor_id = $2"))
            .await
            .map_err(backend_error)?;
        let row = client.query_opt(&statement, &[&site, &visitor_id]).await.map_err(backend_error)?;
        row.as_ref().map(|row| rows::visitor(&PgRow::record(row))).transpose()
    }

    async fn forget_visitor(&self, site: &str, visitor_id: &str) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("DELETE FROM visitors WHERE site = $1 AND visitor_id = $2")
            .await
            .map_err(backend_error)?;
        let removed = client.execute(&statement, &[&site, &visitor_id]).await.map_err(backend_error)?;
        Ok(removed > 0)
    }

    async fn record_gateway_sightings(&self, sightings: &[GatewaySighting]) -> Result<(), StoreError> {
        if sightings.is_empty() {
            return Ok(());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let statement = tx
            .prepare_cached(&format!(
                "INSERT INTO gateway_sightings ({GATEWAY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (site, kind, name, domain, path) DO UPDATE SET
                   detail = EXCLUDED.detail,
                   first_seen = LEAST(gateway_sightings.first_seen, EXCLUDED.first_seen),
                   last_seen = GREATEST(gateway_sightings.last_seen, EXCLUDED.last_seen),
                   sample_path = EXCLUDED.sample_path,
                   count = gateway_sightings.count + EXCLUDED.count"
            ))
            .await
            .map_err(backend_error)?;
        for s in sightings {
            let stored_count = rows::stored(s.count);
            tx.execute(
                &statement,
                &[
                    &s.site,
                    &s.kind.as_str(),
                    &s.name,
                    &s.domain,
                    &s.path,
                    &s.detail,
                    &s.first_seen,
                    &s.last_seen,
                    &s.sample_path,
                    &stored_count,
                ],
            )
            .await
            .map_err(backend_error)?;
        }
        tx.commit().await.map_err(backend_error)
    }

    async fn gateway_sightings(&self, site: &str) -> Result<Vec<GatewaySighting>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {GATEWAY_COLUMNS} FROM gateway_sightings WHERE site = $1
                 ORDER BY last_seen DESC, kind, name, domain, path"
            ))
            .await
            .map_err(backend_error)?;
        let rows = client.query(&statement, &[&site]).await.map_err(backend_error)?;
        rows.iter().map(|row| rows::gateway_sighting(&PgRow::record(row))).collect()
    }
}
