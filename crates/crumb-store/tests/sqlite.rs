//! The conformance suite on SQLite (one test per check, in memory and on a
//! file), plus SQLite's own guarantees: durable
//! pragmas, persistence across reopen, migrations, two stores on one file.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crumb_store::sqlite::SqliteStore;
use crumb_store::{AccountStore, ConsentAction, ConsentRecord, Store, StoreError};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        TempDir(std::env::temp_dir().join(format!("crumb-store-{name}-{:016x}", u64::from_le_bytes(bytes))))
    }

    fn db(&self) -> PathBuf {
        // Not created yet: open() creates the directory.
        self.0.join("data").join("crumb.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn migration_rows(path: &Path) -> Vec<(u32, i64)> {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut statement =
        connection.prepare("SELECT version, applied_at FROM schema_migrations ORDER BY version").unwrap();
    statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

fn consent(receipt: &str) -> ConsentRecord {
    ConsentRecord {
        receipt_id: receipt.to_owned(),
        consent_id: "c".to_owned(),
        site: "s".to_owned(),
        policy_version: "1".to_owned(),
        granted: vec!["necessary".to_owned()],
        refused: vec![],
        gpc: false,
        dnt: true,
        language: "de".to_owned(),
        action: ConsentAction::Given,
        recorded_at: 7,
    }
}

/// The conformance suite, one test per check, each on a fresh in-memory database.
mod suite_in_memory {
    use super::*;

    async fn on_a_fresh_store<F: Future<Output = ()>>(check: impl FnOnce(Arc<dyn Store>) -> F) {
        check(Arc::new(SqliteStore::open_in_memory().unwrap())).await;
    }

    crumb_store::conformance_tests!(on_a_fresh_store);
}

/// The conformance suite, one test per check, each on a fresh file (WAL, fsync'd commits).
mod suite_on_a_file {
    use super::*;

    async fn on_a_fresh_store<F: Future<Output = ()>>(check: impl FnOnce(Arc<dyn Store>) -> F) {
        let dir = TempDir::new("suite");
        check(Arc::new(SqliteStore::open(&dir.db()).unwrap())).await;
    }

    crumb_store::conformance_tests!(on_a_fresh_store);
}

/// The whole suite in order on one store, as another crate may run it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_suite_on_one_store() {
    crumb_store::suite::run(Arc::new(SqliteStore::open_in_memory().unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wal_and_synchronous_full() {
    let dir = TempDir::new("pragmas");
    let store = SqliteStore::open(&dir.db()).unwrap();
    assert_eq!(store.pragma("journal_mode").await.unwrap(), "wal");
    assert_eq!(store.pragma("synchronous").await.unwrap(), "2", "2 is FULL: every commit is fsync'd");
    assert_eq!(store.pragma("foreign_keys").await.unwrap(), "1");
    assert_eq!(store.pragma("busy_timeout").await.unwrap(), "5000");
    assert_eq!(store.backend(), "sqlite");
    // WAL is a property of the file: a plain connection sees it too.
    let plain = rusqlite::Connection::open(dir.db()).unwrap();
    let mode: String = plain.query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_persists_across_reopen() {
    let dir = TempDir::new("persist");
    let store = SqliteStore::open(&dir.db()).unwrap();
    store.append_consent(&consent("r-persist")).await.unwrap();
    store.touch_visitor("s", "v", true, 5).await.unwrap();
    drop(store);
    let reopened = SqliteStore::open(&dir.db()).unwrap();
    assert_eq!(reopened.consent_by_receipt("r-persist").await.unwrap(), Some(consent("r-persist")));
    assert_eq!(reopened.visitor("s", "v").await.unwrap().unwrap().visits, 1);
    assert!(matches!(reopened.append_consent(&consent("r-persist")).await, Err(StoreError::Duplicate)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_recorded_once() {
    let dir = TempDir::new("migrations");
    drop(SqliteStore::open(&dir.db()).unwrap());
    let first = migration_rows(&dir.db());
    assert_eq!(
        first.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        crumb_store::migrations::SQLITE.iter().map(|m| m.version).collect::<Vec<_>>(),
        "version 3: analytics, 4: forgetting, 5: open visits, 6: remember-me grace, 7: rate windows, 8: gateway sightings, 9: interest profiles, 10: ad counters, 11: campaigns"
    );
    assert!(first[0].1 > 1_700_000_000_000, "applied_at is Unix milliseconds: {}", first[0].1);
    drop(SqliteStore::open(&dir.db()).unwrap());
    drop(SqliteStore::open(&dir.db()).unwrap());
    assert_eq!(migration_rows(&dir.db()), first, "reopening applies nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_newer_schema() {
    let dir = TempDir::new("schema");
    drop(SqliteStore::open(&dir.db()).unwrap());
    let connection = rusqlite::Connection::open(dir.db()).unwrap();
    connection.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)", []).unwrap();
    drop(connection);
    match SqliteStore::open(&dir.db()) {
        Err(StoreError::SchemaTooNew { backend: "sqlite", found: 999, supported })
            if supported == crumb_store::migrations::latest(crumb_store::migrations::SQLITE) => {}
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    let message = SqliteStore::open(&dir.db()).unwrap_err().to_string();
    assert!(message.contains("999") && message.contains("upgrade"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_fails_cleanly_where_no_file_can_be() {
    let dir = TempDir::new("blocked");
    std::fs::create_dir_all(&dir.0).unwrap();
    let blocker = dir.0.join("a-file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    match SqliteStore::open(&blocker.join("crumb.db")) {
        Err(StoreError::Open { backend: "sqlite", source: Some(source), .. }) => {
            assert!(source.downcast_ref::<std::io::Error>().is_some(), "the OS error is kept: {source:?}");
        }
        other => panic!("expected Open error, got {other:?}"),
    }
    match SqliteStore::open(&blocker) {
        Err(StoreError::Open { .. } | StoreError::Migration { .. }) => {}
        other => panic!("a file that is not a database must be refused, got {other:?}"),
    }
}

/// Two stores on one file stand for two processes: the upsert stays atomic
/// and `busy_timeout` absorbs the lock contention.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_count_exactly() {
    let dir = TempDir::new("two");
    let a: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.db()).unwrap());
    let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.db()).unwrap());
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { store.touch_visitor("s", "shared", true, i).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(a.visitor("s", "shared").await.unwrap().unwrap().visits, 20);
    assert_eq!(b.visitor("s", "shared").await.unwrap().unwrap().visits, 20);
}

/// A file made by a crumb that knew only version 1 is brought to the latest
/// version at open, its records kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_a_version_1_file() {
    let dir = TempDir::new("upgrade");
    std::fs::create_dir_all(dir.db().parent().unwrap()).unwrap();
    let connection = rusqlite::Connection::open(dir.db()).unwrap();
    connection
        .execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY NOT NULL, applied_at INTEGER NOT NULL) STRICT",
        )
        .unwrap();
    connection.execute_batch(crumb_store::migrations::SQLITE[0].sql).unwrap();
    connection.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (1, 1700000000001)", []).unwrap();
    connection.execute("INSERT INTO visitors VALUES ('s', 'v-old', 1, 2, 3)", []).unwrap();
    drop(connection);
    let store = SqliteStore::open(&dir.db()).unwrap();
    let versions: Vec<u32> = crumb_store::migrations::SQLITE.iter().map(|m| m.version).collect();
    assert_eq!(migration_rows(&dir.db()).iter().map(|(v, _)| *v).collect::<Vec<_>>(), versions);
    assert_eq!(store.visitor("s", "v-old").await.unwrap().unwrap().visits, 3);
    assert_eq!(store.count_accounts().await.unwrap(), 0);
}

/// A rollup row written before sketches were versioned (its sketch in the
/// unversioned form, as the old encoder stored it) still reads back, with
/// its estimate; an unknown dimension name is a damaged row, not a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollup_rows_stored_before_versioning_still_read() {
    use crumb_store::analytics::{AnalyticsStore, Dimension, Granularity};
    let dir = TempDir::new("legacy-sketch");
    drop(SqliteStore::open(&dir.db()).unwrap());
    // Three distinct visitor keys, fine precision, by the unversioned encoder.
    let legacy: Vec<u8> = (0..54)
        .step_by(2)
        .map(|i| u8::from_str_radix(&"0c818cf1b7edae9580030103c1d7cdbb04c2e0dc840482e7d6ae02"[i..i + 2], 16).unwrap())
        .collect();
    let connection = rusqlite::Connection::open(dir.db()).unwrap();
    let insert = "INSERT INTO analytics_rollups VALUES ('s', 'd', 0, ?1, '', 4, 3, 1, 0, 0, 3, 3, ?2)";
    connection.execute(insert, rusqlite::params!["total", legacy]).unwrap();
    drop(connection);
    let store = SqliteStore::open(&dir.db()).unwrap();
    let rows = store.rollups("s", Granularity::Day, 0, 1, &[Dimension::Total]).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].dimension, rows[0].counts.visits, rows[0].visitors.count()), (Dimension::Total, 3, 3));

    let connection = rusqlite::Connection::open(dir.db()).unwrap();
    connection.execute(insert, rusqlite::params!["no-such-dimension", Vec::<u8>::new()]).unwrap();
    drop(connection);
    match store.rollups("s", Granularity::Day, 0, 1, &[]).await {
        Err(StoreError::Corrupt { detail }) => assert!(detail.contains("no-such-dimension"), "{detail}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}
