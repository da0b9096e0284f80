//! The PostgreSQL backend, for several crumb nodes behind a load balancer.
//!
//! Durability: PostgreSQL's default `synchronous_commit = on` makes a commit
//! wait until its WAL record is flushed to disk, so every write here is
//! durable when the call returns (each statement is its own transaction).
//! crumb does not change that setting; a server configured with
//! `synchronous_commit = off` would give that guarantee up.
//!
//! Several nodes may start at once: migrations run in one transaction that
//! first takes a transaction-scoped advisory lock (`pg_advisory_xact_lock`),
//! so exactly one node applies each migration and the others wait, then see
//! it applied. The lock is released by the commit or rollback, even if the
//! node dies mid-migration.
//!
//! Connection strings may hold a password: they never appear in errors or
//! logs. Connections are pooled (`deadpool-postgres`), without TLS, and run
//! with `jit = off` unless the URL's `options` set it.

mod analytics;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::migrations::{self, POSTGRES};
use crate::rows::{
    self, count, count_u32, ACCOUNT_COLUMNS, DEVICE_COLUMNS, RECORD_COLUMNS, SESSION_COLUMNS, TOKEN_COLUMNS,
    VISITOR_COLUMNS,
};
use crate::{
    Account, AccountStore, ConsentRecord, Device, RememberToken, SessionRecord, Store, StoreError, UnixMillis,
    VisitorStatus,
};

const BACKEND: &str = "postgres";

/// The advisory-lock key migrations take ("crumb" in ASCII).
const MIGRATION_LOCK: i64 = 0x63_72_75_6d_62;

/// Connections kept by one node.
const POOL_SIZE: usize = 16;

/// How long a new connection may take, unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request waits for a free pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// crumb's records in PostgreSQL.
///
/// Cheap to clone: clones share the connection pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// The private schema of a store made for tests.
    test_schema: Option<String>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No connection details: they may include a password.
        f.debug_struct("PgStore").field("test_schema", &self.test_schema).finish_non_exhaustive()
    }
}

/// Maps a database error; a unique (or primary-key) violation is a duplicate.
fn backend_error(error: tokio_postgres::Error) -> StoreError {
    if error.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        return StoreError::Duplicate;
    }
    StoreError::backend(BACKEND, error)
}

fn pool_error(error: deadpool_postgres::PoolError) -> StoreError {
    StoreError::backend_during(BACKEND, "connection pool", error)
}

/// A column the driver could not read as the type asked for (a type
/// mismatch, a NULL where none is allowed): a backend failure, as SQLite's
/// `row.get` errors are. Analytics rows use [`analytics`]' `corrupt_column`
/// instead, so that a report can tolerate one damaged row.
fn unreadable_column(error: tokio_postgres::Error) -> StoreError {
    StoreError::backend_during(BACKEND, "reading a column", error)
}

/// Parses a connection URL without ever echoing it (it may hold a password).
fn parse_url(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    // The parser's error is dropped, not kept as a source: it may quote the URL.
    let mut config: tokio_postgres::Config = url.parse().map_err(|_| {
        StoreError::open_message(
            BACKEND,
            "the connection URL is not valid (expected postgres://user@host:port/database)",
        )
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("crumb");
    }
    // JIT compiling a query's expressions takes 10 to 170 ms, more than
    // crumb's report queries take to run; with table statistics their cost
    // estimates pass the JIT thresholds once a day holds a few hundred
    // thousand events (measured in docs/benchmarks.md). Off for crumb's
    // sessions, unless the URL's `options` set `jit` themselves.
    let options = config.get_options().unwrap_or_default().to_owned();
    if !options.contains("jit") {
        config.options(format!("-c jit=off {options}").trim_end());
    }
    Ok(config)
}

/// A schema name no other test uses: `crumb_test_` and 16 hex digits.
fn random_test_schema() -> Result<String, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| StoreError::open_message(BACKEND, format!("no randomness for a test schema: {e}")))?;
    Ok(format!("crumb_test_{:016x}", u64::from_le_bytes(bytes)))
}

/// Whether `name` is one of [`random_test_schema`]'s names, or another
/// `crumb_test_` name of lowercase hex digits and underscores (so it can be
/// put in SQL unquoted).
fn is_test_schema_name(name: &str) -> bool {
    name.strip_prefix("crumb_test_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f' | b'_')))
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user[:password]@host:port/database`,
    /// or the key-value form `host=… user=… dbname=…`), and applies pending
    /// migrations under an advisory lock.
    ///
    /// Fails with [`StoreError::Open`] when the database cannot be reached
    /// (the message never includes the URL), and with
    /// [`StoreError::SchemaTooNew`] if a newer crumb migrated it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(parse_url(url)?, None).await
    }

    /// For tests: connects like [`PgStore::connect`], but in a fresh schema
    /// `crumb_test_<random>` of its own (every pooled connection has it as
    /// `search_path`), so tests running at once never see each other's rows.
    /// Call [`PgStore::drop_test_schema`] at the end of the test to remove it.
    pub async fn connect_isolated_for_tests(url: &str) -> Result<Self, StoreError> {
        Self::connect_to_test_schema(url, &random_test_schema()?).await
    }

    /// For tests: connects in the given test schema (as named by
    /// [`PgStore::test_schema`] of another store), creating it if needed —
    /// to reopen a store, or to start several "nodes" on one schema.
    pub async fn connect_to_test_schema(url: &str, schema: &str) -> Result<Self, StoreError> {
        if !is_test_schema_name(schema) {
            return Err(StoreError::open_message(BACKEND, format!("not a test schema name: {schema:?}")));
        }
        let mut config = parse_url(url)?;
        let options = config.get_options().unwrap_or_default();
        config.options(format!("{options} -c search_path={schema}").trim_start());
        Self::connect_with(config, Some(schema.to_owned())).await
    }

    /// The current value of a run-time setting such as `jit` or
    /// `synchronous_commit`, as a pooled connection sees it (for health
    /// checks and tests).
    pub async fn setting(&self, name: &str) -> Result<String, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client.query_one("SELECT current_setting($1)", &[&name]).await.map_err(backend_error)?;
        row.try_get(0).map_err(unreadable_column)
    }

    /// The private schema of a store made by
    /// [`PgStore::connect_isolated_for_tests`] or
    /// [`PgStore::connect_to_test_schema`]; `None` for [`PgStore::connect`].
    pub fn test_schema(&self) -> Option<&str> {
        self.test_schema.as_deref()
    }

    /// For tests: drops this store's test schema with everything in it, and
    /// closes the pool. Does nothing (but close) for a store made by
    /// [`PgStore::connect`].
    pub async fn drop_test_schema(self) -> Result<(), StoreError> {
        if let Some(schema) = &self.test_schema {
            let client = self.pool.get().await.map_err(pool_error)?;
            client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await.map_err(backend_error)?;
        }
        self.pool.close();
        Ok(())
    }

    async fn connect_with(config: tokio_postgres::Config, test_schema: Option<String>) -> Result<Self, StoreError> {
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .build()
            .map_err(|e| StoreError::open(BACKEND, e))?;
        let store = PgStore { pool, test_schema };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(|e| StoreError::open(BACKEND, e))?;
        let at = |version: u32| move |e: tokio_postgres::Error| StoreError::migration(BACKEND, version, e);
        // Everything below is one transaction: the advisory lock is held
        // until it commits or rolls back, and a failed migration leaves no
        // trace (DDL is transactional in PostgreSQL).
        let tx = client.transaction().await.map_err(at(0))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await.map_err(at(0))?;
        if let Some(schema) = &self.test_schema {
            // Under the lock: several test "nodes" may share one schema.
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).await.map_err(at(0))?;
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await
        .map_err(at(0))?;
        let current: i32 =
            tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await.map_err(at(0))?.get(0);
        let supported = migrations::latest(POSTGRES);
        if i64::from(current) > i64::from(supported) {
            let found = u32::try_from(current).unwrap_or(u32::MAX);
            return Err(StoreError::SchemaTooNew { backend: BACKEND, found, supported });
        }
        for migration in POSTGRES.iter().filter(|m| i64::from(m.version) > i64::from(current)) {
            let version =
                i32::try_from(migration.version).map_err(|e| StoreError::migration(BACKEND, migration.version, e))?;
            tx.batch_execute(migration.sql).await.map_err(at(migration.version))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at)
                 VALUES ($1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)",
                &[&version],
            )
            .await
            .map_err(at(migration.version))?;
        }
        tx.commit().await.map_err(at(migrations::latest(POSTGRES)))
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// A PostgreSQL row for the shared mappers, with what a column that does
/// not read is: [`unreadable_column`] for records, `corrupt_column` for
/// analytics rows.
struct PgRow<'a> {
    row: &'a Row,
    column_error: fn(tokio_postgres::Error) -> StoreError,
}

impl<'a> PgRow<'a> {
    /// A record row (consent, visitor, account …).
    fn record(row: &'a Row) -> Self {
        PgRow { row, column_error: unreadable_column }
    }

    fn get<T: tokio_postgres::types::FromSql<'a>>(&self, i: usize) -> Result<T, StoreError> {
        self.row.try_get(i).map_err(self.column_error)
    }
}

impl rows::Columns for PgRow<'_> {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.get(i)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.get(i)
    }

    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.get(i)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.get(i)
    }

    fn small(&self, i: usize) -> Result<i16, StoreError> {
        self.get(i)
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        self.get(i)
    }

    /// A `TEXT[]`.
    fn list(&self, i: usize) -> Result<Vec<String>, StoreError> {
        self.get(i)
    }

    fn with_text<T>(&self, i: usize, read: impl FnOnce(&str) -> Result<T, StoreError>) -> Result<T, StoreError> {
        read(self.get(i)?)
    }

    fn with_bytes<T>(&self, i: usize, read: impl FnOnce(&[u8]) -> Result<T, StoreError>) -> Result<T, StoreError> {
        read(self.get(i)?)
    }
}

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

    async fn count_consents(&self, site: &str) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached("SELECT COUNT(*) FROM consent_records WHERE site = $1")
            .await
            .map_err(backend_error)?;
        let consents: i64 = client.query_one(&statement, &[&site]).await.map_err(backend_error)?.get(0);
        Ok(count(consents))
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
}

impl PgStore {
    /// Runs one writing statement (its own transaction); returns the rows it changed.
    async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(backend_error)?;
        client.execute(&statement, params).await.map_err(backend_error)
    }

    /// Runs a query expected to return at most one row.
    async fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        from_row: impl FnOnce(&Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(backend_error)?;
        let row = client.query_opt(&statement, params).await.map_err(backend_error)?;
        row.as_ref().map(from_row).transpose()
    }

    /// Runs a query and converts every row.
    async fn query_all<T>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        from_row: impl FnMut(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await.map_err(backend_error)?;
        let rows = client.query(&statement, params).await.map_err(backend_error)?;
        rows.iter().map(from_row).collect()
    }
}

#[async_trait::async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let a = account;
        self.execute(
            &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[
                &a.user_id,
                &a.email,
                &a.email_folded,
                &a.password_hash,
                &a.is_admin,
                &a.created_at,
                &a.theft_detected_at,
            ],
        )
        .await
        .map(|_| ())
    }

    async fn account_by_email(&self, email_folded: &str) -> Result<Option<Account>, StoreError> {
        self.query_opt(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_folded = $1"),
            &[&email_folded],
            |row| rows::account(&PgRow::record(row)),
        )
        .await
    }

    async fn account(&self, user_id: &str) -> Result<Option<Account>, StoreError> {
        self.query_opt(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = $1"), &[&user_id], |row| {
            rows::account(&PgRow::record(row))
        })
        .await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        self.execute("UPDATE accounts SET password_hash = $2 WHERE user_id = $1", &[&user_id, &password_hash])
            .await
            .map(|_| ())
    }

    async fn set_admin(&self, user_id: &str, is_admin: bool) -> Result<(), StoreError> {
        self.execute("UPDATE accounts SET is_admin = $2 WHERE user_id = $1", &[&user_id, &is_admin]).await.map(|_| ())
    }

    async fn set_theft_detected(&self, user_id: &str, at: Option<UnixMillis>) -> Result<(), StoreError> {
        self.execute("UPDATE accounts SET theft_detected_at = $2 WHERE user_id = $1", &[&user_id, &at])
            .await
            .map(|_| ())
    }

    async fn delete_account(&self, user_id: &str) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        // Deleting the account first locks its row and returns the e-mail
        // whose throttle rows go with it (they are keyed by e-mail, so no
        // cascade reaches them). Sessions, remember-me tokens and devices go
        // by ON DELETE CASCADE.
        let deleted = tx
            .query_opt("DELETE FROM accounts WHERE user_id = $1 RETURNING email_folded", &[&user_id])
            .await
            .map_err(backend_error)?;
        let Some(row) = deleted else {
            return Ok(false);
        };
        let email_folded: String = row.try_get(0).map_err(unreadable_column)?;
        tx.execute("DELETE FROM login_failures WHERE key = $1", &[&format!("email:{email_folded}")])
            .await
            .map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(true)
    }

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let s = session;
        self.execute(
            &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
            &[&s.id_hash, &s.user_id, &s.device_id, &s.created_at, &s.last_seen],
        )
        .await
        .map(|_| ())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.query_opt(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = $1"), &[&id_hash], |row| {
            rows::session(&PgRow::record(row))
        })
        .await
    }

    async fn touch_session(&self, id_hash: &str, at: UnixMillis) -> Result<(), StoreError> {
        // GREATEST: a slow request finishing late never moves last_seen back.
        self.execute("UPDATE sessions SET last_seen = GREATEST(last_seen, $2) WHERE id_hash = $1", &[&id_hash, &at])
            .await
            .map(|_| ())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        self.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash]).await.map(|n| n > 0)
    }

    async fn delete_device_sessions(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM sessions WHERE user_id = $1 AND device_id = $2", &[&user_id, &device_id]).await
    }

    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id]).await
    }

    async fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.query_all(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at, id_hash"),
            &[&user_id],
            |row| rows::session(&PgRow::record(row)),
        )
        .await
    }

    async fn create_remember_token(&self, token: &RememberToken) -> Result<(), StoreError> {
        let t = token;
        self.execute(
            &format!("INSERT INTO remember_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[
                &t.selector,
                &t.validator_hash,
                &t.previous_validator_hash,
                &t.user_id,
                &t.device_id,
                &t.created_at,
                &t.expires_at,
            ],
        )
        .await
        .map(|_| ())
    }

    async fn remember_token(&self, selector: &str) -> Result<Option<RememberToken>, StoreError> {
        self.query_opt(
            &format!("SELECT {TOKEN_COLUMNS} FROM remember_tokens WHERE selector = $1"),
            &[&selector],
            |row| rows::token(&PgRow::record(row)),
        )
        .await
    }

    async fn rotate_remember_token(
        &self,
        selector: &str,
        expected_hash: &str,
        new_hash: &str,
    ) -> Result<bool, StoreError> {
        // One conditional statement: PostgreSQL locks the row and re-checks
        // the condition, so of two rotations racing with the same validator
        // exactly one matches.
        self.execute(
            "UPDATE remember_tokens SET previous_validator_hash = $2, validator_hash = $3
             WHERE selector = $1 AND validator_hash = $2",
            &[&selector, &expected_hash, &new_hash],
        )
        .await
        .map(|n| n > 0)
    }

    async fn delete_remember_token(&self, selector: &str) -> Result<bool, StoreError> {
        self.execute("DELETE FROM remember_tokens WHERE selector = $1", &[&selector]).await.map(|n| n > 0)
    }

    async fn delete_user_remember_tokens(&self, user_id: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM remember_tokens WHERE user_id = $1", &[&user_id]).await
    }

    async fn delete_device_remember_tokens(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM remember_tokens WHERE user_id = $1 AND device_id = $2", &[&user_id, &device_id]).await
    }

    async fn user_remember_tokens(&self, user_id: &str) -> Result<Vec<RememberToken>, StoreError> {
        self.query_all(
            &format!("SELECT {TOKEN_COLUMNS} FROM remember_tokens WHERE user_id = $1 ORDER BY created_at, selector"),
            &[&user_id],
            |row| rows::token(&PgRow::record(row)),
        )
        .await
    }

    async fn upsert_device(&self, device: &Device) -> Result<(), StoreError> {
        let d = device;
        self.execute(
            &format!(
                "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (user_id, device_id) DO UPDATE SET
                     browser = EXCLUDED.browser,
                     os = EXCLUDED.os,
                     last_seen = GREATEST(devices.last_seen, EXCLUDED.last_seen)"
            ),
            &[&d.device_id, &d.user_id, &d.browser, &d.os, &d.first_seen, &d.last_seen, &d.linked_visitor_id],
        )
        .await
        .map(|_| ())
    }

    async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<Device>, StoreError> {
        self.query_opt(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND device_id = $2"),
            &[&user_id, &device_id],
            |row| rows::device(&PgRow::record(row)),
        )
        .await
    }

    async fn user_devices(&self, user_id: &str) -> Result<Vec<Device>, StoreError> {
        self.query_all(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY last_seen DESC, device_id"),
            &[&user_id],
            |row| rows::device(&PgRow::record(row)),
        )
        .await
    }

    async fn link_device_visitor(
        &self,
        user_id: &str,
        device_id: &str,
        linked: Option<&str>,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE devices SET linked_visitor_id = $3 WHERE user_id = $1 AND device_id = $2",
            &[&user_id, &device_id, &linked],
        )
        .await
        .map(|_| ())
    }

    async fn delete_device(&self, user_id: &str, device_id: &str) -> Result<bool, StoreError> {
        self.execute("DELETE FROM devices WHERE user_id = $1 AND device_id = $2", &[&user_id, &device_id])
            .await
            .map(|n| n > 0)
    }

    async fn record_failed_login(
        &self,
        key: &str,
        at: UnixMillis,
        window_start: UnixMillis,
    ) -> Result<u32, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        tx.execute("INSERT INTO login_failures (key, at) VALUES ($1, $2)", &[&key, &at])
            .await
            .map_err(backend_error)?;
        tx.execute("DELETE FROM login_failures WHERE key = $1 AND at < $2", &[&key, &window_start])
            .await
            .map_err(backend_error)?;
        let count: i64 = tx
            .query_one("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2", &[&key, &window_start])
            .await
            .map_err(backend_error)?
            .try_get(0)
            .map_err(unreadable_column)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(count_u32(count))
    }

    async fn failed_logins(
        &self,
        key: &str,
        window_start: UnixMillis,
    ) -> Result<(u32, Option<UnixMillis>), StoreError> {
        let rows = self
            .query_all(
                "SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = $1 AND at >= $2",
                &[&key, &window_start],
                |row| {
                    let count: i64 = row.try_get(0).map_err(unreadable_column)?;
                    let latest: Option<i64> = row.try_get(1).map_err(unreadable_column)?;
                    Ok((count_u32(count), latest))
                },
            )
            .await?;
        Ok(rows.into_iter().next().unwrap_or((0, None)))
    }

    async fn clear_failed_logins(&self, key: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM login_failures WHERE key = $1", &[&key]).await.map(|_| ())
    }

    async fn count_accounts(&self) -> Result<u64, StoreError> {
        let counts = self
            .query_all("SELECT COUNT(*) FROM accounts", &[], |row| row.try_get::<_, i64>(0).map_err(unreadable_column))
            .await?;
        // An aggregate always returns one row.
        Ok(counts.into_iter().next().map_or(0, count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_schema_names_are_safe_identifiers() {
        let name = random_test_schema().unwrap();
        assert!(is_test_schema_name(&name), "{name}");
        assert_eq!(name.len(), "crumb_test_".len() + 16);
        assert!(is_test_schema_name("crumb_test_989680_2"));
        for bad in [
            "crumb_test_",
            "public",
            "crumb_test_x; DROP TABLE t",
            "crumb_test_ABC",
            "crumb_test_1\"",
            "crumb_test_a-b",
        ] {
            assert!(!is_test_schema_name(bad), "{bad}");
        }
    }

    #[test]
    fn invalid_urls_are_not_echoed() {
        let error = parse_url("postgres://alice:s3cret@host:notaport/db").unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(!text.contains("s3cret") && !text.contains("alice"), "{text}");
    }
}
