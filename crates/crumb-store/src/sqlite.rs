//! The embedded SQLite backend (`crumb.db`).
//!
//! Durability: the journal is WAL and `synchronous = FULL`, so every commit
//! fsyncs the WAL before the call returns; a record acknowledged to a client
//! survives SIGKILL and power loss. (`NORMAL`, SQLite's usual WAL setting,
//! would be faster but may lose the last commits on power loss.)
//!
//! Concurrency: one connection behind a mutex. SQLite allows one writer at a
//! time anyway, and crumb's statements are single-row and short; the
//! blocking calls run on tokio's blocking pool, never on the async workers.
//! `busy_timeout` covers other processes (a backup, the `sqlite3` shell)
//! holding the file's lock for a moment.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::migrations::{self, SQLITE};
use crate::{ConsentAction, ConsentRecord, Store, StoreError, UnixMillis, VisitorStatus};

const BACKEND: &str = "sqlite";

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const RECORD_COLUMNS: &str =
    "receipt_id, consent_id, site, policy_version, granted, refused, gpc, dnt, language, action, recorded_at";

/// crumb's records in one SQLite file.
///
/// Cheap to clone: clones share the connection.
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

/// Maps a SQLite error; a primary-key or unique violation is a duplicate.
fn backend_error(error: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, _) = &error {
        if matches!(
            failure.extended_code,
            rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        ) {
            return StoreError::Duplicate;
        }
    }
    StoreError::Backend { backend: BACKEND, detail: error.to_string() }
}

fn open_error(error: rusqlite::Error) -> StoreError {
    StoreError::Open { backend: BACKEND, detail: error.to_string() }
}

impl SqliteStore {
    /// Opens the database at `path`, creating the file (and its parent
    /// directories) if needed, sets the durable pragmas and applies pending
    /// migrations.
    ///
    /// This blocks (file I/O, migrations): call it at startup, or from
    /// `spawn_blocking`. Fails with [`StoreError::SchemaTooNew`] if a newer
    /// crumb migrated the file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Open { backend: BACKEND, detail: format!("{}: {e}", parent.display()) })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .map_err(|e| StoreError::Open { backend: BACKEND, detail: format!("{}: {e}", path.display()) })?;
        Self::setup(connection, true)
    }

    /// A private, empty in-memory database (for tests). Nothing survives
    /// the store, and the journal is in memory rather than WAL.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::setup(Connection::open_in_memory().map_err(open_error)?, false)
    }

    fn setup(mut connection: Connection, on_disk: bool) -> Result<Self, StoreError> {
        connection.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        let journal: String =
            connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(open_error)?;
        if on_disk && !journal.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Open {
                backend: BACKEND,
                detail: format!("cannot switch the journal to WAL (it is {journal:?})"),
            });
        }
        connection.pragma_update(None, "synchronous", "FULL").map_err(open_error)?;
        connection.pragma_update(None, "foreign_keys", "ON").map_err(open_error)?;
        migrate(&mut connection)?;
        Ok(SqliteStore { connection: Arc::new(Mutex::new(connection)) })
    }

    /// Runs `work` with the connection on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held cannot leave SQLite inconsistent:
            // an unfinished transaction rolls back when it is dropped.
            let mut guard = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Backend { backend: BACKEND, detail: format!("blocking task failed: {e}") })?
    }

    /// The current value of a pragma such as `journal_mode` or `synchronous`,
    /// as text (for health checks and tests). `name` must be a plain
    /// identifier.
    pub async fn pragma(&self, name: &str) -> Result<String, StoreError> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Backend { backend: BACKEND, detail: format!("not a pragma name: {name:?}") });
        }
        let name = name.to_owned();
        self.with(move |c| {
            c.query_row(&format!("PRAGMA {name}"), [], |row| row.get::<_, rusqlite::types::Value>(0))
                .map(|value| match value {
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    other => format!("{other:?}"),
                })
                .map_err(backend_error)
        })
        .await
    }
}

/// Applies pending migrations. `BEGIN IMMEDIATE` takes the write lock before
/// reading the version, so two processes opening one file at once cannot
/// both apply a migration.
fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let migration_error =
        |version, e: rusqlite::Error| StoreError::Migration { backend: BACKEND, version, detail: e.to_string() };
    let current = {
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(open_error)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY NOT NULL,
                 applied_at INTEGER NOT NULL
             ) STRICT",
        )
        .map_err(|e| migration_error(0, e))?;
        let current: i64 = tx
            .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |row| row.get(0))
            .map_err(|e| migration_error(0, e))?;
        tx.commit().map_err(|e| migration_error(0, e))?;
        current
    };
    let supported = migrations::latest(SQLITE);
    if current > i64::from(supported) {
        let found = u32::try_from(current).unwrap_or(u32::MAX);
        return Err(StoreError::SchemaTooNew { backend: BACKEND, found, supported });
    }
    for migration in SQLITE {
        let apply = |connection: &mut Connection| -> Result<(), rusqlite::Error> {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process may have applied it since we looked.
            let done: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                params![migration.version],
                |row| row.get(0),
            )?;
            if !done {
                tx.execute_batch(migration.sql)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at)
                     VALUES (?1, CAST(unixepoch('subsec') * 1000 AS INTEGER))",
                    params![migration.version],
                )?;
            }
            tx.commit()
        };
        if i64::from(migration.version) > current {
            apply(connection).map_err(|e| migration_error(migration.version, e))?;
        }
    }
    Ok(())
}

fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ConsentRecord> {
    let list = |index: usize| -> rusqlite::Result<Vec<String>> {
        let text: String = row.get(index)?;
        serde_json::from_str(&text)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e)))
    };
    let action: String = row.get(9)?;
    Ok(ConsentRecord {
        receipt_id: row.get(0)?,
        consent_id: row.get(1)?,
        site: row.get(2)?,
        policy_version: row.get(3)?,
        granted: list(4)?,
        refused: list(5)?,
        gpc: row.get(6)?,
        dnt: row.get(7)?,
        language: row.get(8)?,
        action: ConsentAction::parse(&action).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                9,
                rusqlite::types::Type::Text,
                format!("action {action:?}").into(),
            )
        })?,
        recorded_at: row.get(10)?,
    })
}

fn visitor_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<VisitorStatus> {
    let visits: i64 = row.get(3)?;
    Ok(VisitorStatus {
        visitor_id: row.get(0)?,
        first_seen: row.get(1)?,
        last_seen: row.get(2)?,
        visits: u64::try_from(visits).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(3, visits))?,
    })
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn append_consent(&self, record: &ConsentRecord) -> Result<(), StoreError> {
        let record = record.clone();
        self.with(move |c| {
            let json = |list: &[String]| {
                serde_json::to_string(list)
                    .map_err(|e| StoreError::Backend { backend: BACKEND, detail: format!("encoding a list: {e}") })
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
        self.with(move |c| {
            c.prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM consent_records WHERE receipt_id = ?1"))
                .and_then(|mut statement| statement.query_row(params![receipt_id], record_from_row).optional())
                .map_err(backend_error)
        })
        .await
    }

    async fn consent_history(&self, consent_id: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        let consent_id = consent_id.to_owned();
        self.with(move |c| {
            let mut statement = c
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM consent_records WHERE consent_id = ?1 ORDER BY recorded_at, rowid"
                ))
                .map_err(backend_error)?;
            let rows = statement.query_map(params![consent_id], record_from_row).map_err(backend_error)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(backend_error)
        })
        .await
    }

    async fn count_consents(&self, site: &str) -> Result<u64, StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            let count: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM consent_records WHERE site = ?1")
                .and_then(|mut statement| statement.query_row(params![site], |row| row.get(0)))
                .map_err(backend_error)?;
            // COUNT(*) is never negative.
            Ok(u64::try_from(count).unwrap_or(0))
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
            c.prepare_cached(
                "INSERT INTO visitors (site, visitor_id, first_seen, last_seen, visits) VALUES (?1, ?2, ?3, ?3, 1)
                 ON CONFLICT (site, visitor_id) DO UPDATE SET
                     first_seen = MIN(first_seen, excluded.first_seen),
                     last_seen = MAX(last_seen, excluded.last_seen),
                     visits = visits + (CASE WHEN ?4 THEN 1 ELSE 0 END)
                 RETURNING visitor_id, first_seen, last_seen, visits",
            )
            .and_then(|mut statement| statement.query_row(params![site, visitor_id, at, new_visit], visitor_from_row))
            .map_err(backend_error)
        })
        .await
    }

    async fn visitor(&self, site: &str, visitor_id: &str) -> Result<Option<VisitorStatus>, StoreError> {
        let (site, visitor_id) = (site.to_owned(), visitor_id.to_owned());
        self.with(move |c| {
            c.prepare_cached(
                "SELECT visitor_id, first_seen, last_seen, visits FROM visitors WHERE site = ?1 AND visitor_id = ?2",
            )
            .and_then(|mut statement| statement.query_row(params![site, visitor_id], visitor_from_row).optional())
            .map_err(backend_error)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_key_violations_are_duplicates() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (k TEXT PRIMARY KEY, u TEXT UNIQUE, n INTEGER NOT NULL CHECK (n > 0)) STRICT")
            .unwrap();
        c.execute("INSERT INTO t VALUES ('a', 'x', 1)", []).unwrap();
        let insert = |sql: &str| backend_error(c.execute(sql, []).unwrap_err());
        assert!(matches!(insert("INSERT INTO t VALUES ('a', 'y', 1)"), StoreError::Duplicate));
        assert!(matches!(insert("INSERT INTO t VALUES ('b', 'x', 1)"), StoreError::Duplicate));
        assert!(matches!(insert("INSERT INTO t VALUES ('c', 'z', 0)"), StoreError::Backend { .. }));
        assert!(matches!(insert("INSERT INTO t VALUES ('c', 'z', NULL)"), StoreError::Backend { .. }));
        assert!(matches!(insert("INSERT INTO t VALUES ('c', 'z', 'text')"), StoreError::Backend { .. }));
    }

    #[tokio::test]
    async fn pragma_names_are_checked() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(store.pragma("foreign_keys").await.unwrap(), "1");
        assert!(store.pragma("synchronous; DROP TABLE visitors").await.is_err());
        assert!(store.pragma("").await.is_err());
    }
}
