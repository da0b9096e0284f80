//! The embedded SQLite backend (`crumb.db`).
//!
//! Durability: the journal is WAL and `synchronous = FULL`, so every commit
//! fsyncs the WAL before the call returns; a record acknowledged to a client
//! survives SIGKILL and power loss. (`NORMAL`, SQLite's usual WAL setting,
//! would be faster but may lose the last commits on power loss.)
//!
//! Concurrency: one connection behind a mutex. SQLite allows one writer at a
//! time anyway, and crumb's statements are single-row and short; the
//! blocking calls run on tokio's blocking pool, with one exception: the
//! analytics group commit runs on the calling worker when the connection is
//! free (see `with_now_or_blocking`). `busy_timeout` covers other processes
//! (a backup, the `sqlite3` shell) holding the file's lock for a moment.

mod analytics;

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};

use crate::migrations::{self, SQLITE};
use crate::rows::{
    self, changed, count_u32, ACCOUNT_COLUMNS, DEVICE_COLUMNS, RECORD_COLUMNS, SESSION_COLUMNS, TOKEN_COLUMNS,
    VISITOR_COLUMNS,
};
use crate::{
    Account, AccountStore, ConsentRecord, Device, RememberToken, SessionRecord, Store, StoreError, UnixMillis,
    VisitorStatus,
};

const BACKEND: &str = "sqlite";

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

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
    StoreError::backend(BACKEND, error)
}

fn open_error(error: rusqlite::Error) -> StoreError {
    StoreError::open(BACKEND, error)
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
                .map_err(|e| StoreError::open_during(BACKEND, &parent.display().to_string(), e))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)
            .map_err(|e| StoreError::open_during(BACKEND, &path.display().to_string(), e))?;
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
            return Err(StoreError::open_message(
                BACKEND,
                format!("cannot switch the journal to WAL (it is {journal:?})"),
            ));
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
        .map_err(|e| StoreError::backend_during(BACKEND, "blocking task failed", e))?
    }

    /// Runs `work` at once on the calling thread when the connection is
    /// free, else on the blocking pool like [`with`](Self::with).
    ///
    /// For the group commit of analytics events: handing a batch to the
    /// blocking pool wakes a sleeping thread that then waits for a CPU the
    /// request handlers hold (measured: a third of a commit's time at 64
    /// requests in flight on two cores; `docs/benchmarks.md`). Committing on
    /// the caller's thread blocks one runtime worker for the batch's inserts
    /// and one fsync — never for another caller's query, which is why a busy
    /// connection still goes to the pool. The runtime that `crumb serve`
    /// builds has a worker more than the machine has CPUs for this.
    async fn with_now_or_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        {
            let free = match self.connection.try_lock() {
                Ok(guard) => Some(guard),
                // A panic while the lock was held cannot leave SQLite
                // inconsistent (see `with`).
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            };
            if let Some(mut guard) = free {
                return work(&mut guard);
            }
        }
        self.with(work).await
    }

    /// The current value of a pragma such as `journal_mode` or `synchronous`,
    /// as text (for health checks and tests). `name` must be a plain
    /// identifier.
    pub async fn pragma(&self, name: &str) -> Result<String, StoreError> {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::backend_message(BACKEND, format!("not a pragma name: {name:?}")));
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
    let migration_error = |version, e: rusqlite::Error| StoreError::migration(BACKEND, version, e);
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

/// SQLite rows for the shared mappers: a column that does not read is a
/// backend failure (the driver's error kept as its source).
impl rows::Columns for rusqlite::Row<'_> {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn small(&self, i: usize) -> Result<i16, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        self.get(i).map_err(backend_error)
    }

    /// A JSON array of strings.
    fn list(&self, i: usize) -> Result<Vec<String>, StoreError> {
        self.with_text(i, |text| {
            serde_json::from_str(text).map_err(|e| {
                backend_error(rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
            })
        })
    }

    /// A value that is not text is a damaged row.
    fn with_text<T>(&self, i: usize, read: impl FnOnce(&str) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let value = self.get_ref(i).map_err(backend_error)?;
        read(value.as_str().map_err(|e| StoreError::Corrupt { detail: format!("column {i}: {e}") })?)
    }

    /// A value that is not a blob is a damaged row.
    fn with_bytes<T>(&self, i: usize, read: impl FnOnce(&[u8]) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let value = self.get_ref(i).map_err(backend_error)?;
        read(value.as_blob().map_err(|e| StoreError::Corrupt { detail: format!("column {i}: {e}") })?)
    }
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
        self.with(move |c| {
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
        self.with(move |c| {
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

    async fn count_consents(&self, site: &str) -> Result<u64, StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            let count: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM consent_records WHERE site = ?1")
                .and_then(|mut statement| statement.query_row(params![site], |row| row.get(0)))
                .map_err(backend_error)?;
            Ok(rows::count(count))
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
        self.with(move |c| {
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
}

/// Runs one writing statement; returns the number of rows it changed.
fn execute(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
    c.prepare_cached(sql).and_then(|mut statement| statement.execute(params)).map_err(backend_error)
}

/// Runs a query expected to return at most one row.
fn query_opt<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    from_row: impl FnOnce(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    let mut statement = c.prepare_cached(sql).map_err(backend_error)?;
    let mut rows = statement.query(params).map_err(backend_error)?;
    rows.next().map_err(backend_error)?.map(from_row).transpose()
}

/// Runs a query and converts every row.
pub(crate) fn query_all<T>(
    c: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    mut from_row: impl FnMut(&rusqlite::Row<'_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut statement = c.prepare_cached(sql).map_err(backend_error)?;
    let mut rows = statement.query(params).map_err(backend_error)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(backend_error)? {
        out.push(from_row(row)?);
    }
    Ok(out)
}

#[async_trait::async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let a = account.clone();
        self.with(move |c| {
            execute(
                c,
                &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![
                    a.user_id,
                    a.email,
                    a.email_folded,
                    a.password_hash,
                    a.is_admin,
                    a.created_at,
                    a.theft_detected_at
                ],
            )
            .map(|_| ())
        })
        .await
    }

    async fn account_by_email(&self, email_folded: &str) -> Result<Option<Account>, StoreError> {
        let email_folded = email_folded.to_owned();
        self.with(move |c| {
            query_opt(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_folded = ?1"),
                params![email_folded],
                |row| rows::account(row),
            )
        })
        .await
    }

    async fn account(&self, user_id: &str) -> Result<Option<Account>, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            query_opt(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ?1"),
                params![user_id],
                |row| rows::account(row),
            )
        })
        .await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        let (user_id, password_hash) = (user_id.to_owned(), password_hash.to_owned());
        self.with(move |c| {
            execute(c, "UPDATE accounts SET password_hash = ?2 WHERE user_id = ?1", params![user_id, password_hash])
                .map(|_| ())
        })
        .await
    }

    async fn set_admin(&self, user_id: &str, is_admin: bool) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            execute(c, "UPDATE accounts SET is_admin = ?2 WHERE user_id = ?1", params![user_id, is_admin]).map(|_| ())
        })
        .await
    }

    async fn set_theft_detected(&self, user_id: &str, at: Option<UnixMillis>) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            execute(c, "UPDATE accounts SET theft_detected_at = ?2 WHERE user_id = ?1", params![user_id, at])
                .map(|_| ())
        })
        .await
    }

    async fn delete_account(&self, user_id: &str) -> Result<bool, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            // The throttle rows are keyed by e-mail, not by user: no cascade reaches them.
            execute(
                &tx,
                "DELETE FROM login_failures
                 WHERE key = (SELECT 'email:' || email_folded FROM accounts WHERE user_id = ?1)",
                params![user_id],
            )?;
            // Sessions, remember-me tokens and devices go by ON DELETE CASCADE.
            let deleted = execute(&tx, "DELETE FROM accounts WHERE user_id = ?1", params![user_id])?;
            tx.commit().map_err(backend_error)?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let s = session.clone();
        self.with(move |c| {
            execute(
                c,
                &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                params![s.id_hash, s.user_id, s.device_id, s.created_at, s.last_seen],
            )
            .map(|_| ())
        })
        .await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.with(move |c| {
            query_opt(
                c,
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = ?1"),
                params![id_hash],
                |row| rows::session(row),
            )
        })
        .await
    }

    async fn touch_session(&self, id_hash: &str, at: UnixMillis) -> Result<(), StoreError> {
        let id_hash = id_hash.to_owned();
        self.with(move |c| {
            // MAX: a slow request finishing late never moves last_seen back.
            execute(c, "UPDATE sessions SET last_seen = MAX(last_seen, ?2) WHERE id_hash = ?1", params![id_hash, at])
                .map(|_| ())
        })
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let id_hash = id_hash.to_owned();
        self.with(move |c| execute(c, "DELETE FROM sessions WHERE id_hash = ?1", params![id_hash]).map(|n| n > 0)).await
    }

    async fn delete_device_sessions(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.with(move |c| {
            execute(c, "DELETE FROM sessions WHERE user_id = ?1 AND device_id = ?2", params![user_id, device_id])
                .map(changed)
        })
        .await
    }

    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| execute(c, "DELETE FROM sessions WHERE user_id = ?1", params![user_id]).map(changed)).await
    }

    async fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            query_all(
                c,
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY created_at, id_hash"),
                params![user_id],
                |row| rows::session(row),
            )
        })
        .await
    }

    async fn create_remember_token(&self, token: &RememberToken) -> Result<(), StoreError> {
        let t = token.clone();
        self.with(move |c| {
            execute(
                c,
                &format!("INSERT INTO remember_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![
                    t.selector,
                    t.validator_hash,
                    t.previous_validator_hash,
                    t.user_id,
                    t.device_id,
                    t.created_at,
                    t.expires_at
                ],
            )
            .map(|_| ())
        })
        .await
    }

    async fn remember_token(&self, selector: &str) -> Result<Option<RememberToken>, StoreError> {
        let selector = selector.to_owned();
        self.with(move |c| {
            query_opt(
                c,
                &format!("SELECT {TOKEN_COLUMNS} FROM remember_tokens WHERE selector = ?1"),
                params![selector],
                |row| rows::token(row),
            )
        })
        .await
    }

    async fn rotate_remember_token(
        &self,
        selector: &str,
        expected_hash: &str,
        new_hash: &str,
    ) -> Result<bool, StoreError> {
        let (selector, expected, new) = (selector.to_owned(), expected_hash.to_owned(), new_hash.to_owned());
        self.with(move |c| {
            // One conditional statement: of two rotations racing with the same
            // validator, exactly one matches.
            execute(
                c,
                "UPDATE remember_tokens SET previous_validator_hash = ?2, validator_hash = ?3
                 WHERE selector = ?1 AND validator_hash = ?2",
                params![selector, expected, new],
            )
            .map(|n| n > 0)
        })
        .await
    }

    async fn delete_remember_token(&self, selector: &str) -> Result<bool, StoreError> {
        let selector = selector.to_owned();
        self.with(move |c| {
            execute(c, "DELETE FROM remember_tokens WHERE selector = ?1", params![selector]).map(|n| n > 0)
        })
        .await
    }

    async fn delete_user_remember_tokens(&self, user_id: &str) -> Result<u64, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| execute(c, "DELETE FROM remember_tokens WHERE user_id = ?1", params![user_id]).map(changed))
            .await
    }

    async fn delete_device_remember_tokens(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.with(move |c| {
            execute(c, "DELETE FROM remember_tokens WHERE user_id = ?1 AND device_id = ?2", params![user_id, device_id])
                .map(changed)
        })
        .await
    }

    async fn user_remember_tokens(&self, user_id: &str) -> Result<Vec<RememberToken>, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            query_all(
                c,
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM remember_tokens WHERE user_id = ?1 ORDER BY created_at, selector"
                ),
                params![user_id],
                |row| rows::token(row),
            )
        })
        .await
    }

    async fn upsert_device(&self, device: &Device) -> Result<(), StoreError> {
        let d = device.clone();
        self.with(move |c| {
            execute(
                c,
                &format!(
                    "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (user_id, device_id) DO UPDATE SET
                         browser = excluded.browser,
                         os = excluded.os,
                         last_seen = MAX(last_seen, excluded.last_seen)"
                ),
                params![d.device_id, d.user_id, d.browser, d.os, d.first_seen, d.last_seen, d.linked_visitor_id],
            )
            .map(|_| ())
        })
        .await
    }

    async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<Device>, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.with(move |c| {
            query_opt(
                c,
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 AND device_id = ?2"),
                params![user_id, device_id],
                |row| rows::device(row),
            )
        })
        .await
    }

    async fn user_devices(&self, user_id: &str) -> Result<Vec<Device>, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            query_all(
                c,
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 ORDER BY last_seen DESC, device_id"),
                params![user_id],
                |row| rows::device(row),
            )
        })
        .await
    }

    async fn link_device_visitor(
        &self,
        user_id: &str,
        device_id: &str,
        linked: Option<&str>,
    ) -> Result<(), StoreError> {
        let (user_id, device_id, linked) = (user_id.to_owned(), device_id.to_owned(), linked.map(str::to_owned));
        self.with(move |c| {
            execute(
                c,
                "UPDATE devices SET linked_visitor_id = ?3 WHERE user_id = ?1 AND device_id = ?2",
                params![user_id, device_id, linked],
            )
            .map(|_| ())
        })
        .await
    }

    async fn delete_device(&self, user_id: &str, device_id: &str) -> Result<bool, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.with(move |c| {
            execute(c, "DELETE FROM devices WHERE user_id = ?1 AND device_id = ?2", params![user_id, device_id])
                .map(|n| n > 0)
        })
        .await
    }

    async fn record_failed_login(
        &self,
        key: &str,
        at: UnixMillis,
        window_start: UnixMillis,
    ) -> Result<u32, StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            execute(&tx, "INSERT INTO login_failures (key, at) VALUES (?1, ?2)", params![key, at])?;
            execute(&tx, "DELETE FROM login_failures WHERE key = ?1 AND at < ?2", params![key, window_start])?;
            let count: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM login_failures WHERE key = ?1 AND at >= ?2")
                .and_then(|mut statement| statement.query_row(params![key, window_start], |row| row.get(0)))
                .map_err(backend_error)?;
            tx.commit().map_err(backend_error)?;
            Ok(count_u32(count))
        })
        .await
    }

    async fn failed_logins(
        &self,
        key: &str,
        window_start: UnixMillis,
    ) -> Result<(u32, Option<UnixMillis>), StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            let (count, latest): (i64, Option<i64>) = c
                .prepare_cached("SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = ?1 AND at >= ?2")
                .and_then(|mut statement| {
                    statement.query_row(params![key, window_start], |row| Ok((row.get(0)?, row.get(1)?)))
                })
                .map_err(backend_error)?;
            Ok((count_u32(count), latest))
        })
        .await
    }

    async fn clear_failed_logins(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.with(move |c| execute(c, "DELETE FROM login_failures WHERE key = ?1", params![key]).map(|_| ())).await
    }

    async fn count_accounts(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let count: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM accounts")
                .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
                .map_err(backend_error)?;
            Ok(rows::count(count))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_commit_runs_on_the_caller_when_the_connection_is_free_and_waits_on_the_pool_when_not() {
        let store = SqliteStore::open_in_memory().unwrap();
        let caller = std::thread::current().id();
        let ran_on = store.with_now_or_blocking(|_| Ok(std::thread::current().id())).await.unwrap();
        assert_eq!(ran_on, caller, "a free connection is used at once, on the calling thread");

        let connection = Arc::clone(&store.connection);
        let (held, is_held) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            let _query_in_progress = connection.lock().unwrap();
            held.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(100));
        });
        is_held.recv().unwrap();
        let ran_on = store.with_now_or_blocking(|_| Ok(std::thread::current().id())).await.unwrap();
        assert_ne!(ran_on, caller, "a busy connection is waited for on the blocking pool, not by the caller");
        holder.join().unwrap();
    }

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

    #[test]
    fn a_backend_error_keeps_the_driver_error_as_its_source() {
        let c = Connection::open_in_memory().unwrap();
        let error = backend_error(c.execute("INSERT INTO nowhere VALUES (1)", []).unwrap_err());
        assert!(error.to_string().contains("no such table"), "{error}");
        let source = std::error::Error::source(&error).expect("the driver's error is kept");
        assert!(source.downcast_ref::<rusqlite::Error>().is_some(), "{source:?}");
    }

    #[tokio::test]
    async fn pragma_names_are_checked() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(store.pragma("foreign_keys").await.unwrap(), "1");
        assert!(store.pragma("synchronous; DROP TABLE visitors").await.is_err());
        assert!(store.pragma("").await.is_err());
    }
}
