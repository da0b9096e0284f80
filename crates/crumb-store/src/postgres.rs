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
//! logs. Connections are pooled (`deadpool-postgres`) and run with
//! `jit = off` unless the URL's `options` set it.
//!
//! TLS follows the URL's `sslmode` as libpq does: `disable` never, `prefer`
//! (the default) when the server offers it, `require` always, failing when
//! the server refuses; these two encrypt without checking the server's
//! certificate unless `sslrootcert=/path` names a CA file. `verify-ca` and
//! `verify-full` also check the certificate and host name, against
//! `sslrootcert` or the system's trust store (see [`tls`]).

mod accounts;
mod ads;
mod analytics;
mod campaigns;
mod columns;
mod profiles;
mod store;
mod tls;

use std::path::PathBuf;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use crate::migrations::{self, POSTGRES};
use crate::StoreError;

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

/// A connection URL taken apart: the driver's settings and the TLS roots.
struct Target {
    config: tokio_postgres::Config,
    roots: tls::Roots,
}

/// What [`take_tls_params`] took out of a URL.
#[derive(Debug, Default, PartialEq, Eq)]
struct TlsParams {
    /// `sslrootcert`.
    root_file: Option<PathBuf>,
    /// `sslmode` was `verify-ca` or `verify-full`.
    verify: bool,
}

impl TlsParams {
    fn roots(self) -> tls::Roots {
        match (self.root_file, self.verify) {
            (Some(file), _) => tls::Roots::File(file),
            (None, true) => tls::Roots::System,
            (None, false) => tls::Roots::Unchecked,
        }
    }
}

/// Takes out of a URL what tokio-postgres does not parse: `sslrootcert`
/// (a CA file) and `sslmode=verify-ca` / `verify-full` (turned into
/// `require`, with the certificate to be checked). Handles the URL form
/// (`?sslrootcert=…&sslmode=…`, percent-encoded) and the key-value form
/// (`sslrootcert=/path`, unquoted).
fn take_tls_params(url: &str) -> Result<(String, TlsParams), StoreError> {
    let verify_mode = |value: &str| matches!(value, "verify-ca" | "verify-full");
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let mut params = TlsParams::default();
    if is_url {
        let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), params)) };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("sslrootcert", value)) => {
                    let path = percent_encoding::percent_decode_str(value).decode_utf8().map_err(|_| {
                        StoreError::open_message(BACKEND, "the connection URL's sslrootcert is not UTF-8")
                    })?;
                    params.root_file = Some(PathBuf::from(path.as_ref()));
                }
                Some(("sslmode", value)) if verify_mode(value) => {
                    params.verify = true;
                    kept.push("sslmode=require");
                }
                _ => kept.push(pair),
            }
        }
        let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
        return Ok((url, params));
    }
    let (mut kept, mut changed) = (Vec::new(), false);
    for word in url.split_ascii_whitespace() {
        match word.split_once('=') {
            Some(("sslrootcert", value)) => {
                if value.is_empty() || value.starts_with('\'') {
                    return Err(StoreError::open_message(
                        BACKEND,
                        "sslrootcert in a key-value connection string must be an unquoted path",
                    ));
                }
                params.root_file = Some(PathBuf::from(value));
                changed = true;
            }
            Some(("sslmode", value)) if verify_mode(value) => {
                params.verify = true;
                kept.push("sslmode=require");
                changed = true;
            }
            _ => kept.push(word),
        }
    }
    // Rebuilt only when something was taken out: a quoted value may hold
    // runs of spaces that the split above would not keep.
    if !changed {
        return Ok((url.to_owned(), params));
    }
    Ok((kept.join(" "), params))
}

/// Parses a connection URL without ever echoing it (it may hold a password).
fn parse_url(url: &str) -> Result<Target, StoreError> {
    let (url, tls_params) = take_tls_params(url)?;
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
    Ok(Target { config, roots: tls_params.roots() })
}

/// A schema name no other test uses: `crumb_test_` and 16 hex digits.
fn random_test_schema() -> Result<String, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
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
        let mut target = parse_url(url)?;
        let options = target.config.get_options().unwrap_or_default();
        target.config.options(format!("{options} -c search_path={schema}").trim_start());
        Self::connect_with(target, Some(schema.to_owned())).await
    }

    /// The current value of a run-time setting such as `jit` or
    /// `synchronous_commit`, as a pooled connection sees it (for health
    /// checks and tests).
    pub async fn setting(&self, name: &str) -> Result<String, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client.query_one("SELECT current_setting($1)", &[&name]).await.map_err(backend_error)?;
        row.try_get(0).map_err(unreadable_column)
    }

    /// Whether a pooled connection is encrypted (`pg_stat_ssl`), for health
    /// checks and tests.
    pub async fn uses_tls(&self) -> Result<bool, StoreError> {
        let client = self.pool.get().await.map_err(pool_error)?;
        let row = client
            .query_one("SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)", &[])
            .await
            .map_err(backend_error)?;
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

    async fn connect_with(target: Target, test_schema: Option<String>) -> Result<Self, StoreError> {
        let Target { config, roots } = target;
        let manager_config = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = if config.get_ssl_mode() == SslMode::Disable {
            // No roots needed (nor a CA bundle on the machine).
            Manager::from_config(config, NoTls, manager_config)
        } else {
            Manager::from_config(config, tls::MakeRustls::new(&roots)?, manager_config)
        };
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
        let current: i32 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])
            .await
            .map_err(at(0))?
            .try_get(0)
            .map_err(at(0))?;
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
    fn tls_parameters_are_taken_out_of_both_url_forms() {
        let take = |url: &str| take_tls_params(url).unwrap();
        let plain = "postgres://u@h/db?application_name=x";
        assert_eq!(take(plain), (plain.to_owned(), TlsParams::default()));
        assert_eq!(take(plain).1.roots(), tls::Roots::Unchecked);
        let (url, params) =
            take("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20x.pem&connect_timeout=3");
        assert_eq!(url, "postgres://u@h/db?sslmode=require&connect_timeout=3");
        assert_eq!(params.roots(), tls::Roots::File(PathBuf::from("/etc/ca x.pem")));
        let (url, params) = take("postgresql://u@h/db?sslmode=verify-ca");
        assert_eq!((url.as_str(), params.roots()), ("postgresql://u@h/db?sslmode=require", tls::Roots::System));
        let (url, params) = take("postgres://u@h/db?sslrootcert=/ca.pem");
        assert_eq!((url.as_str(), params.roots()), ("postgres://u@h/db", tls::Roots::File(PathBuf::from("/ca.pem"))));

        let (url, params) = take("host=h user=u sslmode=verify-full sslrootcert=/ca.pem dbname=db");
        assert_eq!(url, "host=h user=u sslmode=require dbname=db");
        assert_eq!(params.roots(), tls::Roots::File(PathBuf::from("/ca.pem")));
        let quoted = "host=h password='a  b' sslmode=require";
        assert_eq!(take(quoted), (quoted.to_owned(), TlsParams::default()));
        assert!(take_tls_params("host=h sslrootcert='/ca.pem'").is_err());
        // What tokio-postgres then parses.
        assert!(parse_url("postgres://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem").is_ok());
        assert!(parse_url("host=h user=u sslmode=verify-ca sslrootcert=/ca.pem").is_ok());
    }

    #[test]
    fn invalid_urls_are_not_echoed() {
        let error = parse_url("postgres://alice:s3cret@host:notaport/db").err().unwrap();
        let text = format!("{error} {error:?}");
        assert!(!text.contains("s3cret") && !text.contains("alice"), "{text}");
    }
}
