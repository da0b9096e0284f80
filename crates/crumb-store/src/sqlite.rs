//! The embedded SQLite backend (`crumb.db`).
//!
//! Durability: the journal is WAL and `synchronous = FULL`, so every commit
//! fsyncs the WAL before the call returns; a record acknowledged to a client
//! survives SIGKILL and power loss. (`NORMAL`, SQLite's usual WAL setting,
//! would be faster but may lose the last commits on power loss.)
//!
//! Concurrency: one writer connection behind a mutex, used by every method
//! that writes (a method that writes and reads back, such as an upsert with
//! `RETURNING`, is a write), and a pool of [`READERS`] read-only connections
//! on the same file for the methods that only read. In WAL mode readers work
//! on a snapshot and neither wait for the writer nor make it wait, so a
//! report reading a day of events does not hold up consent writes. SQLite
//! allows one writer at a time anyway, and crumb's writes are short. Every
//! blocking call — each query, each commit and its fsync — runs on tokio's
//! blocking pool, never on a runtime worker, so no fsync stalls the requests
//! a worker is serving. `busy_timeout` covers other processes (a backup, the
//! `sqlite3` shell) holding the file's lock for a moment.
//!
//! A store from [`SqliteStore::open_in_memory`] has no reader pool: a
//! private in-memory database lives in one connection, so its reads go to
//! the writer.

mod accounts;
mod ads;
mod analytics;
mod campaigns;
mod columns;
mod profiles;
mod store;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};

use crate::migrations::{self, SQLITE};
use crate::StoreError;

const BACKEND: &str = "sqlite";

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read-only connections a store on a file opens beside its writer.
///
/// Four: enough for the dashboard's reports and the rollup job to read at
/// once while sign-ins look up sessions, few enough that a two-core machine
/// is not asked for more parallel reads than it can serve.
pub const READERS: usize = 4;

/// crumb's records in one SQLite file.
///
/// Cheap to clone: clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    connection: Arc<Mutex<Connection>>,
    /// `None` in memory: reads then go to the writer.
    readers: Option<Arc<Readers>>,
}

/// The read-only connections: a permit of `permits` entitles its holder to
/// one connection out of `idle`.
struct Readers {
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // Pushing and popping cannot leave the list half-changed.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A reader taken out of the pool; it goes back when the lease is dropped,
/// also when the work panicked (an unfinished transaction rolls back when
/// it is dropped, so the connection is clean). The permit is released
/// after the connection is back.
struct Lease {
    readers: Arc<Readers>,
    connection: Option<Connection>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.readers.idle().push(connection);
        }
    }
}

impl SqliteStore {
    /// The writer and the readers, and which are idle now (waiting callers
    /// are not counted: tokio's semaphore does not say).
    fn connection_counts(&self) -> crate::Connections {
        let writer_idle = usize::from(self.connection.try_lock().is_ok());
        let (readers, readers_idle) =
            self.readers.as_ref().map_or((0, 0), |readers| (READERS, readers.permits.available_permits()));
        crate::Connections { open: 1 + readers, idle: writer_idle + readers_idle, waiting: 0 }
    }
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
        let mut store = Self::setup(connection, true)?;
        // After the writer: the file, its schema and its WAL exist by now.
        let read_only = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let readers = (0..READERS)
            .map(|_| {
                let reader = Connection::open_with_flags(path, read_only)
                    .map_err(|e| StoreError::open_during(BACKEND, &path.display().to_string(), e))?;
                reader.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
                Ok(reader)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        store.readers =
            Some(Arc::new(Readers { idle: Mutex::new(readers), permits: Arc::new(Semaphore::new(READERS)) }));
        Ok(store)
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
        Ok(SqliteStore { connection: Arc::new(Mutex::new(connection)), readers: None })
    }

    /// Runs `work` with the writer on the blocking pool.
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

    /// Runs read-only `work` with a reader on the blocking pool, with the
    /// writer if the store has no readers (in memory).
    ///
    /// The wait for a free reader is asynchronous: no blocking thread is
    /// parked while all readers are busy.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let Some(readers) = &self.readers else { return self.with(work).await };
        let readers = Arc::clone(readers);
        let permit = Arc::clone(&readers.permits)
            .acquire_owned()
            .await
            .map_err(|e| StoreError::backend_during(BACKEND, "waiting for a reader", e))?;
        tokio::task::spawn_blocking(move || {
            let connection = readers.idle().pop();
            let mut lease = Lease { readers, connection, _permit: permit };
            // A permit stands for an idle reader, so there is one.
            let connection = lease
                .connection
                .as_mut()
                .ok_or_else(|| StoreError::backend_message(BACKEND, "no idle reader for a reader's permit"))?;
            work(connection)
        })
        .await
        .map_err(|e| StoreError::backend_during(BACKEND, "blocking task failed", e))?
    }

    /// The current value of a pragma such as `journal_mode` or `synchronous`,
    /// as text (for health checks and tests), as the writer sees it. `name` must be a plain
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_call_runs_on_the_blocking_pool_not_on_a_runtime_worker() {
        let store = SqliteStore::open_in_memory().unwrap();
        let caller = std::thread::current().id();
        let ran_on = store.with(|_| Ok(std::thread::current().id())).await.unwrap();
        assert_ne!(ran_on, caller, "a commit's fsync never blocks the worker that serves requests");
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).unwrap();
            let dir = std::env::temp_dir().join(format!("crumb-sqlite-{name}-{:016x}", u64::from_le_bytes(bytes)));
            TempDir(dir)
        }

        fn db(&self) -> std::path::PathBuf {
            self.0.join("crumb.db")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn consent(receipt: &str) -> crate::ConsentRecord {
        crate::ConsentRecord {
            receipt_id: receipt.to_owned(),
            consent_id: "c".to_owned(),
            site: "s".to_owned(),
            policy_version: "1".to_owned(),
            granted: vec!["necessary".to_owned()],
            refused: vec![],
            gpc: false,
            dnt: false,
            language: "en".to_owned(),
            action: crate::ConsentAction::Given,
            recorded_at: 7,
        }
    }

    /// The order is forced by channels: the reader opens a read transaction
    /// and waits; the write is awaited to completion; only then is the
    /// reader let go. With reads and writes on one connection the write
    /// could never start, and the test would not finish.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_completes_while_a_reader_holds_a_read_transaction() {
        use crate::Store;
        let dir = TempDir::new("long-read");
        let store = SqliteStore::open(&dir.db()).unwrap();
        store.append_consent(&consent("r1")).await.unwrap();

        let (opened, is_open) = tokio::sync::oneshot::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let long_read = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .read(move |c| {
                        let count = |tx: &rusqlite::Transaction<'_>| -> Result<i64, StoreError> {
                            tx.query_row("SELECT COUNT(*) FROM consent_records", [], |row| row.get(0))
                                .map_err(backend_error)
                        };
                        let tx = c.transaction().map_err(backend_error)?;
                        // The first read takes the snapshot (and a WAL read lock).
                        let before = count(&tx)?;
                        let _ = opened.send(());
                        let _ = released.recv();
                        let after = count(&tx)?;
                        tx.commit().map_err(backend_error)?;
                        Ok((before, after))
                    })
                    .await
            })
        };
        is_open.await.unwrap();

        store.append_consent(&consent("r2")).await.unwrap();
        assert_eq!(store.count_consents("s").await.unwrap(), 2, "another reader sees the committed write");
        assert!(store.consent_by_receipt("r2").await.unwrap().is_some());

        release.send(()).unwrap();
        let (before, after) = long_read.await.unwrap().unwrap();
        assert_eq!((before, after), (1, 1), "the long read kept its snapshot while the write committed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readers_cannot_write_and_every_reader_serves() {
        let dir = TempDir::new("read-only");
        let store = SqliteStore::open(&dir.db()).unwrap();
        let error = store.read(|c| execute(c, "DELETE FROM visitors", [])).await.unwrap_err();
        assert!(error.to_string().contains("readonly"), "{error}");

        // Hold every reader at once (each waits until all have started), so
        // the pool really has READERS connections.
        let barrier = Arc::new(std::sync::Barrier::new(READERS));
        let reads: Vec<_> = (0..READERS)
            .map(|_| {
                let (store, barrier) = (store.clone(), Arc::clone(&barrier));
                tokio::spawn(async move {
                    store
                        .read(move |c| {
                            barrier.wait();
                            c.query_row("SELECT COUNT(*) FROM visitors", [], |row| row.get::<_, i64>(0))
                                .map_err(backend_error)
                        })
                        .await
                })
            })
            .collect();
        for read in reads {
            assert_eq!(read.await.unwrap().unwrap(), 0);
        }
        let readers = store.readers.as_ref().unwrap();
        assert_eq!((readers.idle().len(), readers.permits.available_permits()), (READERS, READERS));
    }

    #[tokio::test]
    async fn a_reader_goes_back_to_the_pool_after_a_panic() {
        let dir = TempDir::new("panic");
        let store = SqliteStore::open(&dir.db()).unwrap();
        let panicked = store.read(|_| -> Result<(), StoreError> { panic!("a bug in a query") }).await;
        assert!(panicked.is_err());
        let readers = store.readers.as_ref().unwrap();
        assert_eq!((readers.idle().len(), readers.permits.available_permits()), (READERS, READERS));
    }

    #[tokio::test]
    async fn in_memory_reads_go_to_the_writer() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert!(store.readers.is_none());
        store.read(|c| execute(c, "DELETE FROM visitors", [])).await.unwrap();
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
