//! [`AnalyticsStore`] on PostgreSQL. Batches go in as arrays (`unnest`), so
//! a group commit of hundreds of events is three statements.

use tokio_postgres::Row;

use super::columns::PgRow;
use super::{backend_error, PgStore};
use crate::analytics::rollup::{FunnelEvent, FunnelStep};
use crate::analytics::{
    funnel_step_values, funnel_steps_sql, props_to_json, AnalyticsStore, Counts, Dimension, EventRecord, Granularity,
    OpenVisit, RollupRow, RollupSummary, StoredEvent, DAY_MILLIS, HOUR_MILLIS,
};
use crate::rows::{self, count, stored, ROLLUP_COLUMNS, STORED_EVENT_COLUMNS};
use crate::{StoreError, UnixMillis};

/// Bytes of one event packed by [`AnalyticsStore::funnel_events`]' query:
/// `int8send(visitor)`, `int8send(at)`, `int4send(steps)`, `boolsend(cookieless)`
/// (PostgreSQL's binary forms: big-endian integers, a bool as one byte).
const PACKED_FUNNEL_EVENT: usize = 8 + 8 + 4 + 1;

/// Appends to `events` the events packed in `packed`.
fn unpack_funnel_events(packed: &[u8], events: &mut Vec<FunnelEvent>) -> Result<(), StoreError> {
    let records = packed.chunks_exact(PACKED_FUNNEL_EVENT);
    if !records.remainder().is_empty() {
        return Err(StoreError::Corrupt {
            detail: format!("packed funnel events: {} bytes is not a whole number of events", packed.len()),
        });
    }
    events.reserve(packed.len() / PACKED_FUNNEL_EVENT);
    for record in records {
        let (visitor, rest) = record.split_at(8);
        let (at, rest) = rest.split_at(8);
        let (steps, cookieless) = rest.split_at(4);
        // The slices' lengths are those of the arrays: the conversions cannot fail.
        let visitor = i64::from_be_bytes(visitor.try_into().unwrap_or_else(|_| unreachable!()));
        let at = i64::from_be_bytes(at.try_into().unwrap_or_else(|_| unreachable!()));
        let steps = i32::from_be_bytes(steps.try_into().unwrap_or_else(|_| unreachable!()));
        events.push(FunnelEvent {
            visitor,
            cookieless: cookieless[0] != 0,
            at,
            steps: u32::try_from(steps)
                .map_err(|_| StoreError::Corrupt { detail: format!("funnel step mask {steps}") })?,
        });
    }
    Ok(())
}

/// A column of an analytics row that does not read as its type: the row is
/// damaged ([`StoreError::Corrupt`]), which a report tolerates where it can
/// (unreadable open visits are left out until the next rollup).
fn corrupt_column(e: tokio_postgres::Error) -> StoreError {
    StoreError::Corrupt { detail: format!("analytics column: {e}") }
}

/// An analytics row for the shared mappers (a column that does not read is [`corrupt_column`]).
fn analytics_row(row: &Row) -> PgRow<'_> {
    PgRow::with_column_error(row, corrupt_column)
}

async fn insert_rows(
    tx: &deadpool_postgres::Transaction<'_>,
    site: &str,
    granularity: Granularity,
    rows: &[RollupRow],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let buckets: Vec<i64> = rows.iter().map(|r| r.bucket).collect();
    let dimensions: Vec<&str> = rows.iter().map(|r| r.dimension.as_str()).collect();
    let values: Vec<&str> = rows.iter().map(|r| r.value.as_str()).collect();
    let column = |f: fn(&Counts) -> u64| -> Vec<i64> { rows.iter().map(|r| stored(f(&r.counts))).collect() };
    let (pageviews, visits, bounces) = (column(|c| c.pageviews), column(|c| c.visits), column(|c| c.bounces));
    let (duration, events, new_visits) = (column(|c| c.duration_ms), column(|c| c.events), column(|c| c.new_visits));
    let sketches: Vec<Vec<u8>> = rows.iter().map(|r| r.visitors.to_bytes()).collect::<Result<_, _>>()?;
    let visitor_counts: Vec<i64> = rows.iter().map(|r| stored(r.visitors.count())).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO analytics_rollups (site, granularity, bucket, dimension, value, pageviews, visits, bounces,
                 duration_ms, events, new_visits, visitor_count, visitors)
             SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],
                 $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bytea[])",
        )
        .await
        .map_err(backend_error)?;
    tx.execute(
        &statement,
        &[
            &site,
            &granularity.code(),
            &buckets,
            &dimensions,
            &values,
            &pageviews,
            &visits,
            &bounces,
            &duration,
            &events,
            &new_visits,
            &visitor_counts,
            &sketches,
        ],
    )
    .await
    .map_err(backend_error)?;
    Ok(())
}

/// The rollup job's advisory lock: a session lock on the pair
/// (`hashtext('crumb rollup')`, `hashtext(schema || '/' || site)`), held by
/// one pooled connection for the run. Advisory locks are database-wide: the
/// schema keeps crumbs in other schemas of the database (tests, each in a
/// schema of its own) apart. Two-key advisory locks never collide with the
/// one-key locks of migrations and throttles.
const ROLLUP_TRY_LOCK: &str =
    "SELECT pg_try_advisory_lock(hashtext('crumb rollup'), hashtext(current_schema() || '/' || $1))";
const ROLLUP_UNLOCK: &str =
    "SELECT pg_advisory_unlock(hashtext('crumb rollup'), hashtext(current_schema() || '/' || $1))";

/// The held rollup lock: the connection that took it.
struct PgRollupLock {
    client: Option<deadpool_postgres::Object>,
    site: String,
}

#[async_trait::async_trait]
impl crate::analytics::HeldLock for PgRollupLock {
    async fn release(mut self: Box<Self>) -> Result<(), StoreError> {
        let Some(client) = self.client.take() else { return Ok(()) };
        let unlocked = client.execute(ROLLUP_UNLOCK, &[&self.site]).await;
        match unlocked {
            // Back to the pool, unlocked.
            Ok(_) => Ok(()),
            Err(error) => {
                // Closing the session frees its locks.
                drop(deadpool_postgres::Object::take(client));
                Err(backend_error(error))
            }
        }
    }
}

impl Drop for PgRollupLock {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // Unreleased: the connection leaves the pool and closes, and the
            // server frees the session's locks.
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

#[async_trait::async_trait]
impl AnalyticsStore for PgStore {
    async fn try_lock_rollup(&self, site: &str) -> Result<Option<crate::analytics::RollupLock>, StoreError> {
        let client = self.client().await?;
        let row = client.query_one(ROLLUP_TRY_LOCK, &[&site]).await.map_err(backend_error)?;
        let locked: bool = row.try_get(0).map_err(super::unreadable_column)?;
        Ok(locked.then(|| {
            crate::analytics::RollupLock::held(Box::new(PgRollupLock { client: Some(client), site: site.to_owned() }))
        }))
    }

    async fn append_events(&self, events: Vec<EventRecord>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let text = |f: fn(&EventRecord) -> &str| -> Vec<&str> { events.iter().map(f).collect() };
        let sites = text(|e| &e.site);
        let at: Vec<i64> = events.iter().map(|e| e.at).collect();
        let visitors: Vec<i64> = events.iter().map(|e| e.visitor).collect();
        let cookieless: Vec<bool> = events.iter().map(|e| e.cookieless).collect();
        let users: Vec<Option<i64>> = events.iter().map(|e| e.user).collect();
        let kinds: Vec<i16> = events.iter().map(|e| e.kind.code()).collect();
        let (names, paths, sources) = (text(|e| &e.name), text(|e| &e.path), text(|e| &e.source));
        let (utm_sources, utm_media, utm_campaigns) =
            (text(|e| &e.utm_source), text(|e| &e.utm_medium), text(|e| &e.utm_campaign));
        let (browsers, systems, devices) = (text(|e| &e.browser), text(|e| &e.os), text(|e| &e.device));
        let props: Vec<String> = events.iter().map(|e| props_to_json(&e.props)).collect::<Result<_, _>>()?;

        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let insert = tx
            .prepare_cached(
                "INSERT INTO analytics_events (site, at, visitor, cookieless, user_key, kind, name, path, source,
                     utm_source, utm_medium, utm_campaign, browser, os, device, props)
                 SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::boolean[], $5::bigint[],
                     $6::smallint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                     $13::text[], $14::text[], $15::text[], $16::text[])",
            )
            .await
            .map_err(backend_error)?;
        tx.execute(
            &insert,
            &[
                &sites,
                &at,
                &visitors,
                &cookieless,
                &users,
                &kinds,
                &names,
                &paths,
                &sources,
                &utm_sources,
                &utm_media,
                &utm_campaigns,
                &browsers,
                &systems,
                &devices,
                &props,
            ],
        )
        .await
        .map_err(backend_error)?;
        let first_seen = tx
            .prepare_cached(
                "INSERT INTO analytics_visitors (site, visitor, first_seen)
                 SELECT DISTINCT ON (site, visitor) site, visitor, at
                 FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS batch (site, visitor, at)
                 ORDER BY site, visitor, at
                 ON CONFLICT (site, visitor) DO NOTHING",
            )
            .await
            .map_err(backend_error)?;
        tx.execute(&first_seen, &[&sites, &visitors, &at]).await.map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)
    }

    async fn events_between(
        &self,
        site: &str,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.query_all(
            &format!(
                "SELECT {STORED_EVENT_COLUMNS}
                 FROM analytics_events e
                 LEFT JOIN analytics_visitors v ON v.site = e.site AND v.visitor = e.visitor
                 WHERE e.site = $1 AND e.at >= $2 AND e.at < $3"
            ),
            &[&site, &from, &to],
            |row| rows::stored_event(site, &analytics_row(row)),
        )
        .await
    }

    async fn funnel_events(
        &self,
        site: &str,
        from: UnixMillis,
        to: UnixMillis,
        steps: &[FunnelStep],
    ) -> Result<Vec<FunnelEvent>, StoreError> {
        // A day holds hundreds of thousands of events, and decoding a row
        // each cost the client more than the scan cost the server. So the
        // server packs them, fixed-width ([`PACKED_FUNNEL_EVENT`]), into one
        // `bytea` per hour of the range (each far below `bytea`'s 1 GB limit;
        // each hour a range scan of the index, so nothing is sorted).
        let sql = format!(
            "SELECT (SELECT string_agg(int8send(visitor) || int8send(at) || int4send(steps) || boolsend(cookieless),
                                       ''::bytea)
                     FROM (SELECT visitor, cookieless, at, {} AS steps FROM analytics_events
                           WHERE site = $1 AND at >= hour_start AND at < LEAST(hour_start + {HOUR_MILLIS}, $3))
                          AS hour_events)
             FROM generate_series($2::bigint, $3::bigint - 1, {HOUR_MILLIS}) AS hour_start",
            funnel_steps_sql(steps, |i| format!("${}::text", i + 4))
        );
        let values = funnel_step_values(steps);
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&site, &from, &to];
        params.extend(values.iter().map(|value| value as &(dyn tokio_postgres::types::ToSql + Sync)));
        let client = self.client().await?;
        let hours = client.query(&sql, &params).await.map_err(backend_error)?;
        let mut events = Vec::new();
        for hour in &hours {
            // An hour without events packs to NULL.
            let packed: Option<&[u8]> = hour.try_get(0).map_err(corrupt_column)?;
            unpack_funnel_events(packed.unwrap_or_default(), &mut events)?;
        }
        Ok(events)
    }

    async fn first_event_at(&self, site: &str) -> Result<Option<UnixMillis>, StoreError> {
        let first = self
            .query_opt("SELECT MIN(at) FROM analytics_events WHERE site = $1", &[&site], |row| {
                row.try_get::<_, Option<i64>>(0).map_err(corrupt_column)
            })
            .await?;
        Ok(first.flatten())
    }

    async fn commit_rollup(
        &self,
        site: &str,
        day: UnixMillis,
        until: UnixMillis,
        hourly: &[RollupRow],
        daily: &[RollupRow],
        open_visits: &[OpenVisit],
    ) -> Result<bool, StoreError> {
        let states: Vec<String> = open_visits.iter().map(OpenVisit::to_json).collect::<Result<_, _>>()?;
        let visitors: Vec<i64> = open_visits.iter().map(|state| state.visitor).collect();
        let cookieless: Vec<bool> = open_visits.iter().map(|state| state.cookieless).collect();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        // The mark's row is locked until commit: concurrent rollups of a site take turns.
        tx.execute(
            "INSERT INTO analytics_rollup_marks (site, rolled_until) VALUES ($1, $2) ON CONFLICT (site) DO NOTHING",
            &[&site, &i64::MIN],
        )
        .await
        .map_err(backend_error)?;
        let mark: i64 = tx
            .query_one("SELECT rolled_until FROM analytics_rollup_marks WHERE site = $1 FOR UPDATE", &[&site])
            .await
            .map_err(backend_error)?
            .try_get(0)
            .map_err(corrupt_column)?;
        if mark > until {
            tx.commit().await.map_err(backend_error)?;
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM analytics_rollups WHERE site = $1 AND bucket >= $2 AND bucket < $3",
            &[&site, &day, &(day + DAY_MILLIS)],
        )
        .await
        .map_err(backend_error)?;
        insert_rows(&tx, site, Granularity::Hour, hourly).await?;
        insert_rows(&tx, site, Granularity::Day, daily).await?;
        tx.execute("DELETE FROM analytics_open_visits WHERE site = $1 AND day = $2", &[&site, &day])
            .await
            .map_err(backend_error)?;
        if !open_visits.is_empty() {
            tx.execute(
                "INSERT INTO analytics_open_visits (site, day, visitor, cookieless, state)
                 SELECT $1, $2, o.visitor, o.cookieless, o.state
                 FROM unnest($3::bigint[], $4::boolean[], $5::text[]) AS o (visitor, cookieless, state)
                 WHERE EXISTS (SELECT 1 FROM analytics_visitors v WHERE v.site = $1 AND v.visitor = o.visitor)",
                &[&site, &day, &visitors, &cookieless, &states],
            )
            .await
            .map_err(backend_error)?;
        }
        tx.execute("UPDATE analytics_rollup_marks SET rolled_until = $2 WHERE site = $1", &[&site, &until])
            .await
            .map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(true)
    }

    async fn open_visits(&self, site: &str, day: UnixMillis) -> Result<Vec<OpenVisit>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT state FROM analytics_open_visits WHERE site = $1 AND day = $2")
            .await
            .map_err(backend_error)?;
        let rows = client.query(&statement, &[&site, &day]).await.map_err(backend_error)?;
        rows.iter().map(|row| OpenVisit::from_json(row.try_get::<_, &str>(0).map_err(corrupt_column)?)).collect()
    }

    async fn rewind_rolled_until(&self, site: &str, to: UnixMillis) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "UPDATE analytics_rollup_marks SET rolled_until = $2 WHERE site = $1 AND rolled_until > $2",
                &[&site, &to],
            )
            .await
            .map_err(backend_error)?;
        Ok(())
    }

    async fn rolled_until(&self, site: &str) -> Result<Option<UnixMillis>, StoreError> {
        self.query_opt("SELECT rolled_until FROM analytics_rollup_marks WHERE site = $1", &[&site], |row| {
            row.try_get(0).map_err(corrupt_column)
        })
        .await
    }

    async fn rollups(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
        dimensions: &[Dimension],
    ) -> Result<Vec<RollupRow>, StoreError> {
        if dimensions.is_empty() {
            return self
                .query_all(
                    &format!(
                        "SELECT {ROLLUP_COLUMNS} FROM analytics_rollups
                         WHERE site = $1 AND granularity = $2 AND bucket >= $3 AND bucket < $4"
                    ),
                    &[&site, &granularity.code(), &from, &to],
                    |row| rows::rollup_row(&analytics_row(row)),
                )
                .await;
        }
        let dimensions: Vec<&str> = dimensions.iter().map(|d| d.as_str()).collect();
        self.query_all(
            &format!(
                "SELECT {ROLLUP_COLUMNS} FROM analytics_rollups
                 WHERE site = $1 AND granularity = $2 AND dimension = ANY($5) AND bucket >= $3 AND bucket < $4"
            ),
            &[&site, &granularity.code(), &from, &to, &dimensions],
            |row| rows::rollup_row(&analytics_row(row)),
        )
        .await
    }

    async fn rollup_summary(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<RollupSummary>, StoreError> {
        self.query_all(
            "SELECT dimension, value, SUM(pageviews)::bigint, SUM(visits)::bigint, SUM(bounces)::bigint,
                    SUM(duration_ms)::bigint, SUM(events)::bigint, SUM(new_visits)::bigint, MAX(visitor_count)
             FROM analytics_rollups
             WHERE site = $1 AND granularity = $2 AND bucket >= $3 AND bucket < $4 AND dimension <> 'total'
             GROUP BY dimension, value",
            &[&site, &granularity.code(), &from, &to],
            |row| {
                let get = |i: usize| -> Result<u64, StoreError> {
                    row.try_get::<_, i64>(i).map(count).map_err(corrupt_column)
                };
                Ok(RollupSummary {
                    dimension: row.try_get::<_, &str>(0).map_err(corrupt_column)?.parse()?,
                    value: row.try_get(1).map_err(corrupt_column)?,
                    counts: Counts {
                        pageviews: get(2)?,
                        visits: get(3)?,
                        bounces: get(4)?,
                        duration_ms: get(5)?,
                        events: get(6)?,
                        new_visits: get(7)?,
                    },
                    min_visitors: get(8)?,
                })
            },
        )
        .await
    }

    async fn rollup_values(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
        dimension: Dimension,
        values: &[String],
    ) -> Result<Vec<RollupRow>, StoreError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        self.query_all(
            &format!(
                "SELECT {ROLLUP_COLUMNS} FROM analytics_rollups
                 WHERE site = $1 AND granularity = $2 AND dimension = $3 AND value = ANY($4)
                   AND bucket >= $5 AND bucket < $6"
            ),
            &[&site, &granularity.code(), &dimension.as_str(), &values, &from, &to],
            |row| rows::rollup_row(&analytics_row(row)),
        )
        .await
    }

    async fn cross_device_users(&self, site: &str, from: UnixMillis, to: UnixMillis) -> Result<(u64, u64), StoreError> {
        let counts = self
            .query_opt(
                "SELECT COUNT(*) FILTER (WHERE devices > 1), COUNT(*) FROM (
                     SELECT COUNT(DISTINCT visitor) AS devices FROM analytics_events
                     WHERE site = $1 AND at >= $2 AND at < $3 AND user_key IS NOT NULL
                     GROUP BY user_key) AS per_user",
                &[&site, &from, &to],
                |row| {
                    let cross: i64 = row.try_get(0).map_err(corrupt_column)?;
                    let all: i64 = row.try_get(1).map_err(corrupt_column)?;
                    Ok((count(cross), count(all)))
                },
            )
            .await?;
        Ok(counts.unwrap_or((0, 0)))
    }

    async fn purge_events_before(&self, site: &str, before: UnixMillis) -> Result<u64, StoreError> {
        self.execute("DELETE FROM analytics_events WHERE site = $1 AND at < $2", &[&site, &before]).await
    }

    async fn request_forget(&self, site: &str, visitor: i64, requested_at: UnixMillis) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO analytics_forget (site, visitor, requested_at) VALUES ($1, $2, $3)
             ON CONFLICT (site, visitor) DO UPDATE SET requested_at = excluded.requested_at",
            &[&site, &visitor, &requested_at],
        )
        .await
        .map(|_| ())
    }

    async fn forget_requested(&self, site: &str) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let requested_until: Option<i64> = tx
            .query_one("SELECT MAX(requested_at) FROM analytics_forget WHERE site = $1", &[&site])
            .await
            .map_err(backend_error)?
            .try_get(0)
            .map_err(corrupt_column)?;
        let Some(requested_until) = requested_until else { return Ok(0) };
        // PostgreSQL locks only the rows it deletes: one statement will do.
        let removed = tx
            .execute(
                "DELETE FROM analytics_events
                 WHERE site = $1 AND visitor IN (SELECT visitor FROM analytics_forget WHERE site = $1)",
                &[&site],
            )
            .await
            .map_err(backend_error)?;
        for table in ["analytics_visitors", "analytics_open_visits"] {
            let forget = format!(
                "DELETE FROM {table} WHERE site = $1 AND visitor IN (SELECT visitor FROM analytics_forget WHERE site = $1)"
            );
            tx.execute(&forget, &[&site]).await.map_err(backend_error)?;
        }
        tx.execute("DELETE FROM analytics_forget WHERE site = $1 AND requested_at <= $2", &[&site, &requested_until])
            .await
            .map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(removed)
    }

    async fn shared_salt(&self, day: UnixMillis, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        tx.execute("DELETE FROM analytics_salts WHERE day < $1", &[&day]).await.map_err(backend_error)?;
        tx.execute(
            "INSERT INTO analytics_salts (day, salt) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING",
            &[&day, &candidate],
        )
        .await
        .map_err(backend_error)?;
        let row =
            tx.query_one("SELECT salt FROM analytics_salts WHERE day = $1", &[&day]).await.map_err(backend_error)?;
        let salt: Vec<u8> = row.try_get(0).map_err(corrupt_column)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(salt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_funnel_events_unpack_in_postgres_binary_form() {
        let mut packed = Vec::new();
        for (visitor, at, steps, cookieless) in [(-7i64, 1_795_132_800_000i64, 5i32, true), (i64::MAX, 1, 0, false)] {
            packed.extend(visitor.to_be_bytes());
            packed.extend(at.to_be_bytes());
            packed.extend(steps.to_be_bytes());
            packed.push(u8::from(cookieless));
        }
        let mut events = Vec::new();
        unpack_funnel_events(&packed, &mut events).unwrap();
        assert_eq!(
            events,
            [
                FunnelEvent { visitor: -7, cookieless: true, at: 1_795_132_800_000, steps: 5 },
                FunnelEvent { visitor: i64::MAX, cookieless: false, at: 1, steps: 0 },
            ]
        );
    }

    #[test]
    fn a_torn_or_negative_record_is_corrupt() {
        let mut events = Vec::new();
        let torn = unpack_funnel_events(&[0u8; PACKED_FUNNEL_EVENT + 3], &mut events);
        assert!(matches!(torn, Err(StoreError::Corrupt { .. })), "{torn:?}");
        let mut negative = vec![0u8; 16];
        negative.extend((-1i32).to_be_bytes());
        negative.push(0);
        let negative = unpack_funnel_events(&negative, &mut events);
        assert!(matches!(negative, Err(StoreError::Corrupt { .. })), "{negative:?}");
    }
}
