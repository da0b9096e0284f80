//! [`Store`] on SQLite: consent records and recognised visitors.

use rusqlite::params;

use super::{backend_error, query_all, query_opt, SqliteStore, BACKEND};
use crate::rows::{self, GATEWAY_COLUMNS, RECORD_COLUMNS, VISITOR_COLUMNS};
use crate::{ConsentRecord, DecisionCount, GatewaySighting, Store, StoreError, UnixMillis, VisitorStatus};

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn append_consent(&self, record: &ConsentRecord) -> Result<(), StoreError> {
        let record = record.clone();
        self.with(move |c| {
            let json = |list: &[String]| {
                serde_json::to_string(list).map_err(|e| StoreError::backend_during(BACKEND, "encoding a list", e))
            };
            let (granted, refused) = (json(&record.granted)?, json(&record.refused)?);
            let mut statement = c
                .prepare_cached(&format!(
                    "INSERT INTO consent_records ({RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                ))
                .map_err(backend_error)?;
            statement
                .execute(params![
                    record.receipt_id,
                    record.consent_id,
                    record.site,
                    record.policy_version,
                    granted,
                    refused,
                    record.gpc,
                    record.dnt,
                    record.language,
                    record.action.as_str(),
                    record.recorded_at
                ])
                .map(|_| ())
                .map_err(backend_error)
        })
        .await
    }

    async fn consent_by_receipt(&self, receipt_id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let receipt_id = receipt_id.to_owned();
        self.read(move |c| {
            query_opt(
                c,
                &format!("SELECT {RECORD_COLUMNS} FROM consent_records WHERE receipt_id = ?1"),
                params![receipt_id],
                |row| rows::consent_record(row),
            )
        })
        .await
    }

    async fn consent_history(&self, consent_id: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        let consent_id = consent_id.to_owned();
        self.read(move |c| {
            query_all(
                c,
                &format!(
                    "SELECT {RECORD_COLUMNS} FROM consent_records WHERE consent_id = ?1 ORDER BY recorded_at, rowid"
                ),
                params![consent_id],
                |row| rows::consent_record(row),
            )
        })
        .await
    }

    async fn schema_version(&self) -> Result<u32, StoreError> {
        self.read(|c| {
            let version: i64 = c
                .prepare_cached("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
                .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
                .map_err(backend_error)?;
            Ok(u32::try_from(version).unwrap_or(u32::MAX))
        })
        .await
    }

    fn supported_schema_version(&self) -> u32 {
        crate::migrations::latest(crate::migrations::SQLITE)
    }

    fn connections(&self) -> crate::Connections {
        self.connection_counts()
    }

    async fn add_to_rate_windows(
        &self,
        increments: &[crate::RateIncrement],
        forget_before: UnixMillis,
    ) -> Result<Vec<u64>, StoreError> {
        let increments = increments.to_vec();
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            tx.execute("DELETE FROM rate_windows WHERE window_start < ?1", params![forget_before])
                .map_err(backend_error)?;
            let mut totals = Vec::with_capacity(increments.len());
            {
                let mut statement = tx
                    .prepare_cached(
                        "INSERT INTO rate_windows (key, window_start, count) VALUES (?1, ?2, ?3)
                         ON CONFLICT (key, window_start) DO UPDATE SET count = count + excluded.count
                         RETURNING count",
                    )
                    .map_err(backend_error)?;
                for increment in &increments {
                    let added = i64::try_from(increment.count).unwrap_or(i64::MAX);
                    let total: i64 = statement
                        .query_row(params![increment.key, increment.window_start, added], |row| row.get(0))
                        .map_err(backend_error)?;
                    totals.push(rows::count(total));
                }
            }
            tx.commit().map_err(backend_error)?;
            Ok(totals)
        })
        .await
    }

    async fn count_consents(&self, site: &str) -> Result<u64, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            let count: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM consent_records WHERE site = ?1")
                .and_then(|mut statement| statement.query_row(params![site], |row| row.get(0)))
                .map_err(backend_error)?;
            Ok(rows::count(count))
        })
        .await
    }

    async fn consent_decisions_by_day(&self, site: &str, since: UnixMillis) -> Result<Vec<DecisionCount>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            query_all(
                c,
                "SELECT (recorded_at / 86400000) * 86400000 AS day, granted, refused, COUNT(*) FROM consent_records \
                 WHERE site = ?1 AND recorded_at >= ?2 GROUP BY day, granted, refused ORDER BY day",
                params![site, since],
                |row| rows::decision_count(row),
            )
        })
        .await
    }

    async fn touch_visitor(
        &self,
        site: &str,
        visitor_id: &str,
        new_visit: bool,
        at: UnixMillis,
    ) -> Result<VisitorStatus, StoreError> {
        let (site, visitor_id) = (site.to_owned(), visitor_id.to_owned());
        self.with(move |c| {
            // One statement, so one atomic step even with other processes on
            // the file. MIN/MAX keep first/last seen right when requests
            // arrive out of order.
            query_opt(
                c,
                &format!(
                    "INSERT INTO visitors (site, visitor_id, first_seen, last_seen, visits) VALUES (?1, ?2, ?3, ?3, 1)
                     ON CONFLICT (site, visitor_id) DO UPDATE SET
                         first_seen = MIN(first_seen, excluded.first_seen),
                         last_seen = MAX(last_seen, excluded.last_seen),
                         visits = visits + (CASE WHEN ?4 THEN 1 ELSE 0 END)
                     RETURNING {VISITOR_COLUMNS}"
                ),
                params![site, visitor_id, at, new_visit],
                |row| rows::visitor(row),
            )?
            // An upsert always returns its row.
            .ok_or_else(|| backend_error(rusqlite::Error::QueryReturnedNoRows))
        })
        .await
    }

    async fn visitor(&self, site: &str, visitor_id: &str) -> Result<Option<VisitorStatus>, StoreError> {
        let (site, visitor_id) = (site.to_owned(), visitor_id.to_owned());
        self.read(move |c| {
            query_opt(
                c,
                &format!("SELECT {VISITOR_COLUMNS} FROM visitors WHERE site = ?1 AND visitor_id = ?2"),
                params![site, visitor_id],
                |row| rows::visitor(row),
            )
        })
        .await
    }

    async fn forget_visitor(&self, site: &str, visitor_id: &str) -> Result<bool, StoreError> {
        let (site, visitor_id) = (site.to_owned(), visitor_id.to_owned());
        self.with(move |c| {
            c.prepare_cached("DELETE FROM visitors WHERE site = ?1 AND visitor_id = ?2")
                .and_then(|mut statement| statement.execute(params![site, visitor_id]))
                .map(|removed| removed > 0)
                .map_err(backend_error)
        })
        .await
    }

    async fn record_gateway_sightings(&self, sightings: &[GatewaySighting]) -> Result<(), StoreError> {
        if sightings.is_empty() {
            return Ok(());
        }
        let sightings = sightings.to_vec();
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            {
                let mut statement = tx
                    .prepare_cached(&format!(
                        "INSERT INTO gateway_sightings ({GATEWAY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                         ON CONFLICT (site, kind, name, domain, path) DO UPDATE SET
                           detail = excluded.detail,
                           first_seen = MIN(first_seen, excluded.first_seen),
                           last_seen = MAX(last_seen, excluded.last_seen),
                           sample_path = excluded.sample_path,
                           count = count + excluded.count"
                    ))
                    .map_err(backend_error)?;
                for s in &sightings {
                    statement
                        .execute(params![
                            s.site,
                            s.kind.as_str(),
                            s.name,
                            s.domain,
                            s.path,
                            s.detail,
                            s.first_seen,
                            s.last_seen,
                            s.sample_path,
                            rows::stored(s.count)
                        ])
                        .map_err(backend_error)?;
                }
            }
            tx.commit().map_err(backend_error)
        })
        .await
    }

    async fn gateway_sightings(&self, site: &str) -> Result<Vec<GatewaySighting>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            query_all(
                c,
                &format!(
                    "SELECT {GATEWAY_COLUMNS} FROM gateway_sightings WHERE site = ?1
                     ORDER BY last_seen DESC, kind, name, domain, path"
                ),
                params![site],
                |row| rows::gateway_sighting(row),
            )
        })
        .await
    }
}
