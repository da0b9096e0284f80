//! [`AnalyticsStore`] on SQLite.

use std::collections::HashMap;
use std::sync::LazyLock;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, TransactionBehavior};

use super::{backend_error, query_all, SqliteStore};
use crate::analytics::rollup::{FunnelEvent, FunnelStep};
use crate::analytics::{
    funnel_step_values, funnel_steps_sql, props_to_json, AnalyticsStore, Counts, Dimension, EventRecord, Granularity,
    OpenVisit, RollupRow, RollupSummary, StoredEvent, DAY_MILLIS,
};
use crate::rows::{self, count, stored, ROLLUP_COLUMNS, STORED_EVENT_COLUMNS};
use crate::{StoreError, UnixMillis};

fn insert_rows(
    tx: &rusqlite::Transaction<'_>,
    site: &str,
    granularity: Granularity,
    rows: &[RollupRow],
) -> Result<(), StoreError> {
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO analytics_rollups (site, granularity, bucket, dimension, value, pageviews, visits, bounces,
                 duration_ms, events, new_visits, visitor_count, visitors)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .map_err(backend_error)?;
    for row in rows {
        let c = &row.counts;
        insert
            .execute(params![
                site,
                granularity.code(),
                row.bucket,
                row.dimension.as_str(),
                row.value,
                stored(c.pageviews),
                stored(c.visits),
                stored(c.bounces),
                stored(c.duration_ms),
                stored(c.events),
                stored(c.new_visits),
                stored(row.visitors.count()),
                row.visitors.to_bytes()?,
            ])
            .map_err(backend_error)?;
    }
    Ok(())
}

/// Columns of `analytics_events` written per event.
const EVENT_COLUMNS: usize = 16;

/// Events inserted by one statement (256 parameters, far under SQLite's
/// limit of 32,766).
const EVENTS_PER_INSERT: usize = 16;

/// `INSERT INTO analytics_events … VALUES (…), (…)` for `rows` rows.
fn insert_events_sql(rows: usize) -> String {
    let row = format!("({})", ["?"; EVENT_COLUMNS].join(", "));
    format!(
        "INSERT INTO analytics_events (site, at, visitor, cookieless, user_key, kind, name, path, source, utm_source,
             utm_medium, utm_campaign, browser, os, device, props) VALUES {}",
        vec![row; rows].join(", ")
    )
}

/// The statements' text, built once (the statement cache is keyed by it).
static INSERT_MANY_EVENTS: LazyLock<String> = LazyLock::new(|| insert_events_sql(EVENTS_PER_INSERT));
static INSERT_ONE_EVENT: LazyLock<String> = LazyLock::new(|| insert_events_sql(1));

/// Binds an event's [`EVENT_COLUMNS`] values, in [`insert_events_sql`]'s order,
/// from parameter `first` (1-based) on.
fn bind_event(insert: &mut rusqlite::Statement<'_>, first: usize, e: &EventRecord) -> Result<(), StoreError> {
    let props = props_to_json(&e.props)?;
    let values: [&dyn rusqlite::ToSql; EVENT_COLUMNS] = [
        &e.site,
        &e.at,
        &e.visitor,
        &e.cookieless,
        &e.user,
        &e.kind.code(),
        &e.name,
        &e.path,
        &e.source,
        &e.utm_source,
        &e.utm_medium,
        &e.utm_campaign,
        &e.browser,
        &e.os,
        &e.device,
        &props,
    ];
    for (offset, value) in values.into_iter().enumerate() {
        // SQLite copies bound text (SQLITE_TRANSIENT), so `props` may go.
        insert.raw_bind_parameter(first + offset, value).map_err(backend_error)?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl AnalyticsStore for SqliteStore {
    async fn append_events(&self, events: Vec<EventRecord>) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            {
                // Rows go in EVENTS_PER_INSERT at a time: one statement step
                // per row costs more than the row itself.
                let mut chunks = events.chunks_exact(EVENTS_PER_INSERT);
                let mut insert = tx.prepare_cached(&INSERT_MANY_EVENTS).map_err(backend_error)?;
                for chunk in &mut chunks {
                    for (row, event) in chunk.iter().enumerate() {
                        bind_event(&mut insert, 1 + EVENT_COLUMNS * row, event)?;
                    }
                    insert.raw_execute().map_err(backend_error)?;
                }
                let mut insert_one = tx.prepare_cached(&INSERT_ONE_EVENT).map_err(backend_error)?;
                for event in chunks.remainder() {
                    bind_event(&mut insert_one, 1, event)?;
                    insert_one.raw_execute().map_err(backend_error)?;
                }
                let mut first_seen = tx
                    .prepare_cached(
                        "INSERT INTO analytics_visitors (site, visitor, first_seen) VALUES (?1, ?2, ?3)
                         ON CONFLICT (site, visitor) DO NOTHING",
                    )
                    .map_err(backend_error)?;
                // One first sighting per visitor of the batch: the earliest.
                let mut earliest: HashMap<(&str, i64), i64> = HashMap::new();
                for e in &events {
                    let at = earliest.entry((e.site.as_str(), e.visitor)).or_insert(e.at);
                    *at = (*at).min(e.at);
                }
                for ((site, visitor), at) in earliest {
                    first_seen.execute(params![site, visitor, at]).map_err(backend_error)?;
                }
            }
            tx.commit().map_err(backend_error)
        })
        .await
    }

    async fn events_between(
        &self,
        site: &str,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT {STORED_EVENT_COLUMNS}
                 FROM analytics_events e
                 LEFT JOIN analytics_visitors v ON v.site = e.site AND v.visitor = e.visitor
                 WHERE e.site = ?1 AND e.at >= ?2 AND e.at < ?3"
            );
            query_all(c, &sql, params![site, from, to], |row| rows::stored_event(&site, row))
        })
        .await
    }

    async fn funnel_events(
        &self,
        site: &str,
        from: UnixMillis,
        to: UnixMillis,
        steps: &[FunnelStep],
    ) -> Result<Vec<FunnelEvent>, StoreError> {
        let sql = format!(
            "SELECT visitor, cookieless, at, {} FROM analytics_events WHERE site = ?1 AND at >= ?2 AND at < ?3",
            funnel_steps_sql(steps, |i| format!("?{}", i + 4))
        );
        let mut values: Vec<Value> = vec![Value::Text(site.to_owned()), Value::Integer(from), Value::Integer(to)];
        values.extend(funnel_step_values(steps).into_iter().map(|value| Value::Text(value.to_owned())));
        self.read(move |c| {
            let mut statement = c.prepare_cached(&sql).map_err(backend_error)?;
            let mut rows = statement.query(params_from_iter(values)).map_err(backend_error)?;
            let mut events = Vec::new();
            while let Some(row) = rows.next().map_err(backend_error)? {
                events.push(FunnelEvent {
                    visitor: row.get(0).map_err(backend_error)?,
                    cookieless: row.get(1).map_err(backend_error)?,
                    at: row.get(2).map_err(backend_error)?,
                    steps: row.get(3).map_err(backend_error)?,
                });
            }
            Ok(events)
        })
        .await
    }

    async fn first_event_at(&self, site: &str) -> Result<Option<UnixMillis>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            c.query_row("SELECT MIN(at) FROM analytics_events WHERE site = ?1", params![site], |row| row.get(0))
                .map_err(backend_error)
        })
        .await
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
        let (site, hourly, daily) = (site.to_owned(), hourly.to_vec(), daily.to_vec());
        let open_visits: Vec<(i64, bool, String)> = open_visits
            .iter()
            .map(|state| Ok((state.visitor, state.cookieless, state.to_json()?)))
            .collect::<Result<_, StoreError>>()?;
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            let mark: Option<i64> = tx
                .query_row("SELECT rolled_until FROM analytics_rollup_marks WHERE site = ?1", params![site], |row| {
                    row.get(0)
                })
                .optional()
                .map_err(backend_error)?;
            if mark.is_some_and(|mark| mark > until) {
                return Ok(false);
            }
            tx.execute(
                "DELETE FROM analytics_rollups WHERE site = ?1 AND bucket >= ?2 AND bucket < ?3",
                params![site, day, day + DAY_MILLIS],
            )
            .map_err(backend_error)?;
            insert_rows(&tx, &site, Granularity::Hour, &hourly)?;
            insert_rows(&tx, &site, Granularity::Day, &daily)?;
            tx.execute("DELETE FROM analytics_open_visits WHERE site = ?1 AND day = ?2", params![site, day])
                .map_err(backend_error)?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO analytics_open_visits (site, day, visitor, cookieless, state)
                         SELECT ?1, ?2, ?3, ?4, ?5
                         WHERE EXISTS (SELECT 1 FROM analytics_visitors WHERE site = ?1 AND visitor = ?3)",
                    )
                    .map_err(backend_error)?;
                for (visitor, cookieless, state) in &open_visits {
                    insert.execute(params![site, day, visitor, cookieless, state]).map_err(backend_error)?;
                }
            }
            tx.execute(
                "INSERT INTO analytics_rollup_marks (site, rolled_until) VALUES (?1, ?2)
                 ON CONFLICT (site) DO UPDATE SET rolled_until = excluded.rolled_until",
                params![site, until],
            )
            .map_err(backend_error)?;
            tx.commit().map_err(backend_error)?;
            Ok(true)
        })
        .await
    }

    async fn open_visits(&self, site: &str, day: UnixMillis) -> Result<Vec<OpenVisit>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            let mut statement = c
                .prepare_cached("SELECT state FROM analytics_open_visits WHERE site = ?1 AND day = ?2")
                .map_err(backend_error)?;
            let mut rows = statement.query(params![site, day]).map_err(backend_error)?;
            let mut open_visits = Vec::new();
            while let Some(row) = rows.next().map_err(backend_error)? {
                let state: String = row.get(0).map_err(backend_error)?;
                open_visits.push(OpenVisit::from_json(&state)?);
            }
            Ok(open_visits)
        })
        .await
    }

    async fn rewind_rolled_until(&self, site: &str, to: UnixMillis) -> Result<(), StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            c.execute(
                "UPDATE analytics_rollup_marks SET rolled_until = ?2 WHERE site = ?1 AND rolled_until > ?2",
                params![site, to],
            )
            .map(|_| ())
            .map_err(backend_error)
        })
        .await
    }

    async fn rolled_until(&self, site: &str) -> Result<Option<UnixMillis>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            c.query_row("SELECT rolled_until FROM analytics_rollup_marks WHERE site = ?1", params![site], |row| {
                row.get(0)
            })
            .optional()
            .map_err(backend_error)
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
        let site = site.to_owned();
        let dimensions = dimensions.to_vec();
        self.read(move |c| {
            let mut out = Vec::new();
            if dimensions.is_empty() {
                let mut statement = c
                    .prepare_cached(&format!(
                        "SELECT {ROLLUP_COLUMNS} FROM analytics_rollups
                         WHERE site = ?1 AND granularity = ?2 AND bucket >= ?3 AND bucket < ?4"
                    ))
                    .map_err(backend_error)?;
                let mut rows = statement.query(params![site, granularity.code(), from, to]).map_err(backend_error)?;
                while let Some(row) = rows.next().map_err(backend_error)? {
                    out.push(rows::rollup_row(row)?);
                }
            } else {
                let mut statement = c
                    .prepare_cached(&format!(
                        "SELECT {ROLLUP_COLUMNS} FROM analytics_rollups INDEXED BY analytics_rollups_by_value
                         WHERE site = ?1 AND granularity = ?2 AND dimension = ?3 AND bucket >= ?4 AND bucket < ?5"
                    ))
                    .map_err(backend_error)?;
                for dimension in &dimensions {
                    let mut rows = statement
                        .query(params![site, granularity.code(), dimension.as_str(), from, to])
                        .map_err(backend_error)?;
                    while let Some(row) = rows.next().map_err(backend_error)? {
                        out.push(rows::rollup_row(row)?);
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    async fn rollup_summary(
        &self,
        site: &str,
        granularity: Granularity,
        from: UnixMillis,
        to: UnixMillis,
    ) -> Result<Vec<RollupSummary>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            // Summed here rather than by GROUP BY: SQLite's grouping sorts
            // the rows first, a hash map does not.
            let mut statement = c
                .prepare_cached(
                    "SELECT dimension, value, pageviews, visits, bounces, duration_ms, events, new_visits, visitor_count
                     FROM analytics_rollups INDEXED BY analytics_rollups_counts
                     WHERE site = ?1 AND granularity = ?2 AND bucket >= ?3 AND bucket < ?4",
                )
                .map_err(backend_error)?;
            let mut rows = statement.query(params![site, granularity.code(), from, to]).map_err(backend_error)?;
            let mut sums: HashMap<Dimension, HashMap<String, RollupSummary>> = HashMap::new();
            while let Some(row) = rows.next().map_err(backend_error)? {
                let text = |i: usize| -> Result<&str, StoreError> {
                    row.get_ref(i)
                        .map_err(backend_error)?
                        .as_str()
                        .map_err(|e| StoreError::Corrupt { detail: format!("rollup key: {e}") })
                };
                let dimension: Dimension = text(0)?.parse()?;
                if dimension == Dimension::Total {
                    continue;
                }
                let value = text(1)?;
                let get =
                    |i: usize| -> Result<u64, StoreError> { row.get::<_, i64>(i).map(count).map_err(backend_error) };
                let counts = Counts {
                    pageviews: get(2)?,
                    visits: get(3)?,
                    bounces: get(4)?,
                    duration_ms: get(5)?,
                    events: get(6)?,
                    new_visits: get(7)?,
                };
                let visitors = get(8)?;
                let values = sums.entry(dimension).or_default();
                // The common case is a value seen before: look it up without allocating.
                let entry = match values.get_mut(value) {
                    Some(entry) => entry,
                    None => values.entry(value.to_owned()).or_insert_with(|| RollupSummary {
                        dimension,
                        value: value.to_owned(),
                        counts: Counts::default(),
                        min_visitors: 0,
                    }),
                };
                entry.counts.add(&counts);
                entry.min_visitors = entry.min_visitors.max(visitors);
            }
            Ok(sums.into_values().flat_map(HashMap::into_values).collect())
        })
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
        let (site, values) = (site.to_owned(), values.to_vec());
        self.read(move |c| {
            let mut statement = c
                .prepare_cached(&format!(
                    "SELECT {ROLLUP_COLUMNS} FROM analytics_rollups INDEXED BY analytics_rollups_by_value
                     WHERE site = ?1 AND granularity = ?2 AND dimension = ?3 AND value = ?4
                       AND bucket >= ?5 AND bucket < ?6"
                ))
                .map_err(backend_error)?;
            let mut out = Vec::new();
            for value in &values {
                let mut rows = statement
                    .query(params![site, granularity.code(), dimension.as_str(), value, from, to])
                    .map_err(backend_error)?;
                while let Some(row) = rows.next().map_err(backend_error)? {
                    out.push(rows::rollup_row(row)?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn cross_device_users(&self, site: &str, from: UnixMillis, to: UnixMillis) -> Result<(u64, u64), StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT COALESCE(SUM(devices > 1), 0), COUNT(*) FROM (
                     SELECT COUNT(DISTINCT visitor) AS devices FROM analytics_events
                     WHERE site = ?1 AND at >= ?2 AND at < ?3 AND user_key IS NOT NULL
                     GROUP BY user_key)",
                params![site, from, to],
                |row| Ok((count(row.get(0)?), count(row.get(1)?))),
            )
            .map_err(backend_error)
        })
        .await
    }

    async fn purge_events_before(&self, site: &str, before: UnixMillis) -> Result<u64, StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            let removed = c
                .execute("DELETE FROM analytics_events WHERE site = ?1 AND at < ?2", params![site, before])
                .map_err(backend_error)?;
            Ok(removed as u64)
        })
        .await
    }

    async fn request_forget(&self, site: &str, visitor: i64, requested_at: UnixMillis) -> Result<(), StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            c.execute(
                "INSERT INTO analytics_forget (site, visitor, requested_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (site, visitor) DO UPDATE SET requested_at = excluded.requested_at",
                params![site, visitor, requested_at],
            )
            .map_err(backend_error)?;
            Ok(())
        })
        .await
    }

    async fn forget_requested(&self, site: &str) -> Result<u64, StoreError> {
        let owned_site = site.to_owned();
        let pending = self
            .read(move |c| {
                c.query_row(
                    "SELECT MAX(requested_at), (SELECT MIN(at) FROM analytics_events WHERE site = ?1),
                            (SELECT MAX(at) FROM analytics_events WHERE site = ?1)
                     FROM analytics_forget WHERE site = ?1",
                    params![owned_site],
                    |row| {
                        Ok((
                            row.get::<_, Option<i64>>(0)?,
                            row.get::<_, Option<i64>>(1)?,
                            row.get::<_, Option<i64>>(2)?,
                        ))
                    },
                )
                .map_err(backend_error)
            })
            .await?;
        let (Some(requested_until), first, last) = pending else { return Ok(0) };
        let mut removed = 0u64;
        // A day of raw events per transaction: SQLite has one writer, and
        // event ingestion waits for it.
        if let (Some(first), Some(last)) = (first, last) {
            let mut day = first - first.rem_euclid(DAY_MILLIS);
            while day <= last {
                let site = site.to_owned();
                removed += self
                    .with(move |c| {
                        c.execute(
                            "DELETE FROM analytics_events WHERE site = ?1 AND at >= ?2 AND at < ?3
                               AND visitor IN (SELECT visitor FROM analytics_forget WHERE site = ?1)",
                            params![site, day, day + DAY_MILLIS],
                        )
                        .map(|n| n as u64)
                        .map_err(backend_error)
                    })
                    .await?;
                day += DAY_MILLIS;
            }
        }
        let site = site.to_owned();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            for table in ["analytics_visitors", "analytics_open_visits"] {
                let forget = format!(
                    "DELETE FROM {table} WHERE site = ?1 AND visitor IN (SELECT visitor FROM analytics_forget WHERE site = ?1)"
                );
                tx.execute(&forget, params![site]).map_err(backend_error)?;
            }
            tx.execute(
                "DELETE FROM analytics_forget WHERE site = ?1 AND requested_at <= ?2",
                params![site, requested_until],
            )
            .map_err(backend_error)?;
            tx.commit().map_err(backend_error)
        })
        .await?;
        Ok(removed)
    }

    async fn shared_salt(&self, day: UnixMillis, candidate: &[u8]) -> Result<Vec<u8>, StoreError> {
        let candidate = candidate.to_vec();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            tx.execute("DELETE FROM analytics_salts WHERE day < ?1", params![day]).map_err(backend_error)?;
            tx.execute(
                "INSERT INTO analytics_salts (day, salt) VALUES (?1, ?2) ON CONFLICT (day) DO NOTHING",
                params![day, candidate],
            )
            .map_err(backend_error)?;
            let salt: Vec<u8> = tx
                .query_row("SELECT salt FROM analytics_salts WHERE day = ?1", params![day], |row| row.get(0))
                .map_err(backend_error)?;
            tx.commit().map_err(backend_error)?;
            Ok(salt)
        })
        .await
    }
}
