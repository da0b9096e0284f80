//! The conformance suite on PostgreSQL (one test per check), plus its migrations and multi-node start.
//!
//! Needs `CRUMB_TEST_POSTGRES_URL` (CI: `postgres://postgres@127.0.0.1:5432/test`);
//! without it each test says `SKIPPED` on the real stderr (shown on a passing
//! run too) and passes, except under `CI=true`, where it fails: CI starts
//! PostgreSQL, so a skip there would hide tests that never ran. Each test
//! works in a schema of its own and drops it at the end.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;

use crumb_store::postgres::PgStore;
use crumb_store::{AccountStore, AnalyticsStore, ConsentAction, ConsentRecord, Store, StoreError};

fn url() -> Option<String> {
    let url = std::env::var("CRUMB_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "CRUMB_TEST_POSTGRES_URL is not set under CI=true: the PostgreSQL tests must run in CI");
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "SKIPPED (PostgreSQL): CRUMB_TEST_POSTGRES_URL not set");
    }
    url
}

/// A plain client whose `search_path` is `schema`.
async fn raw_client(url: &str, schema: &str) -> tokio_postgres::Client {
    let mut config: tokio_postgres::Config = url.parse().unwrap();
    config.options(format!("-c search_path={schema}"));
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// Every version this build's PostgreSQL list has, in order.
fn all_versions() -> Vec<i32> {
    crumb_store::migrations::POSTGRES.iter().map(|m| i32::try_from(m.version).unwrap()).collect()
}

async fn migration_versions(url: &str, schema: &str) -> Vec<i32> {
    let client = raw_client(url, schema).await;
    let rows = client.query("SELECT version FROM schema_migrations ORDER BY version", &[]).await.unwrap();
    rows.iter().map(|row| row.get(0)).collect()
}

fn fresh_schema_name() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    format!("crumb_test_{:016x}", u64::from_le_bytes(bytes))
}

fn consent(receipt: &str) -> ConsentRecord {
    ConsentRecord {
        receipt_id: receipt.to_owned(),
        consent_id: "c".to_owned(),
        site: "s".to_owned(),
        policy_version: "1".to_owned(),
        granted: vec!["necessary".to_owned()],
        refused: vec!["marketing".to_owned()],
        gpc: true,
        dnt: true,
        language: "fr-CA".to_owned(),
        action: ConsentAction::Updated,
        recorded_at: 7,
    }
}

/// The conformance suite, one test per check, each in a schema of its own.
mod suite {
    use super::*;

    async fn on_a_fresh_store<F: Future<Output = ()>>(check: impl FnOnce(Arc<dyn Store>) -> F) {
        let Some(url) = url() else { return };
        let store = PgStore::connect_isolated_for_tests(&url).await.unwrap();
        assert_eq!(store.backend(), "postgres");
        check(Arc::new(store.clone())).await;
        store.drop_test_schema().await.unwrap();
    }

    crumb_store::conformance_tests!(on_a_fresh_store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_keeps_data_and_applies_nothing() {
    let Some(url) = url() else { return };
    let store = PgStore::connect_isolated_for_tests(&url).await.unwrap();
    let schema = store.test_schema().unwrap().to_owned();
    store.append_consent(&consent("r-keep")).await.unwrap();
    store.touch_visitor("s", "v", true, 3).await.unwrap();
    assert_eq!(migration_versions(&url, &schema).await, all_versions());
    let again = PgStore::connect_to_test_schema(&url, &schema).await.unwrap();
    assert_eq!(migration_versions(&url, &schema).await, all_versions(), "migrations are applied once");
    assert_eq!(again.consent_by_receipt("r-keep").await.unwrap(), Some(consent("r-keep")));
    assert_eq!(again.visitor("s", "v").await.unwrap().unwrap().visits, 1);
    drop(again);
    store.drop_test_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_newer_schema() {
    let Some(url) = url() else { return };
    let store = PgStore::connect_isolated_for_tests(&url).await.unwrap();
    let schema = store.test_schema().unwrap().to_owned();
    raw_client(&url, &schema)
        .await
        .execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)", &[])
        .await
        .unwrap();
    match PgStore::connect_to_test_schema(&url, &schema).await {
        Err(StoreError::SchemaTooNew { backend: "postgres", found: 999, supported })
            if supported == crumb_store::migrations::latest(crumb_store::migrations::POSTGRES) => {}
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    store.drop_test_schema().await.unwrap();
}

/// Several nodes starting at once on an empty database: the advisory lock
/// lets one migrate, and the others find the schema ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once() {
    let Some(url) = url() else { return };
    let schema = fresh_schema_name();
    let nodes: Vec<_> = (0..5)
        .map(|_| {
            let (url, schema) = (url.clone(), schema.clone());
            tokio::spawn(async move { PgStore::connect_to_test_schema(&url, &schema).await })
        })
        .collect();
    let mut stores = Vec::new();
    for node in nodes {
        stores.push(node.await.unwrap().unwrap());
    }
    assert_eq!(migration_versions(&url, &schema).await, all_versions());
    stores[0].touch_visitor("s", "v", true, 1).await.unwrap();
    assert_eq!(stores[4].touch_visitor("s", "v", true, 2).await.unwrap().visits, 2, "nodes share the tables");
    let first = stores.swap_remove(0);
    drop(stores);
    first.drop_test_schema().await.unwrap();
}

/// crumb relies on PostgreSQL's default: a commit returns once it is on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_commits_synchronously() {
    let Some(url) = url() else { return };
    let client = raw_client(&url, "public").await;
    let setting: String = client.query_one("SHOW synchronous_commit", &[]).await.unwrap().get(0);
    assert_ne!(setting, "off", "synchronous_commit = off would lose acknowledged consent on a crash");
}

/// JIT compilation costs crumb's report queries more than it saves: off,
/// unless the URL's `options` set it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_run_without_jit_unless_the_url_says() {
    let Some(url) = url() else { return };
    let store = PgStore::connect_isolated_for_tests(&url).await.unwrap();
    assert_eq!(store.setting("jit").await.unwrap(), "off");
    assert!(store.setting("search_path").await.unwrap().starts_with("crumb_test_"), "the test schema's options kept");
    store.drop_test_schema().await.unwrap();

    let separator = if url.contains('?') { '&' } else { '?' };
    let store = PgStore::connect_isolated_for_tests(&format!("{url}{separator}options=-c%20jit%3Don")).await.unwrap();
    assert_eq!(store.setting("jit").await.unwrap(), "on", "the URL's own setting wins");
    store.drop_test_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_never_show_the_url() {
    // Needs no server: nothing listens on port 1.
    let error = PgStore::connect("postgres://user:s3cret@127.0.0.1:1/none").await.unwrap_err();
    assert!(matches!(error, StoreError::Open { backend: "postgres", .. }), "{error:?}");
    let text = format!("{error} {error:?}");
    assert!(!text.contains("s3cret"), "{text}");
    let mut cause = std::error::Error::source(&error);
    assert!(cause.is_some(), "the connection failure is kept as the source: {error:?}");
    while let Some(inner) = cause {
        assert!(!format!("{inner} {inner:?}").contains("s3cret"), "{inner:?}");
        cause = inner.source();
    }
    let error = PgStore::connect("postgres://user:s3cret@127.0.0.1:notaport/none").await.unwrap_err();
    assert!(!format!("{error} {error:?}").contains("s3cret"));
    let error = PgStore::connect_to_test_schema("postgres://127.0.0.1:1/x", "public; DROP TABLE x").await.unwrap_err();
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
}

/// A database made by a crumb that knew only version 1 is brought to the
/// latest version at connect, its records kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_a_version_1_database() {
    let Some(url) = url() else { return };
    let schema = fresh_schema_name();
    let client = raw_client(&url, &schema).await;
    client.batch_execute(&format!("CREATE SCHEMA {schema}")).await.unwrap();
    client
        .batch_execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .await
        .unwrap();
    client.batch_execute(crumb_store::migrations::POSTGRES[0].sql).await.unwrap();
    client.batch_execute("INSERT INTO schema_migrations VALUES (1, 1700000000001)").await.unwrap();
    client.batch_execute("INSERT INTO visitors VALUES ('s', 'v-old', 1, 2, 3)").await.unwrap();
    let store = PgStore::connect_to_test_schema(&url, &schema).await.unwrap();
    assert_eq!(migration_versions(&url, &schema).await, all_versions());
    assert_eq!(store.visitor("s", "v-old").await.unwrap().unwrap().visits, 3);
    assert_eq!(store.count_accounts().await.unwrap(), 0);
    store.drop_test_schema().await.unwrap();
}

/// The rollup job's lock: while one node holds it, a second acquirer (another
/// node on the same database) is refused; another site's or schema's lock is separate;
/// once released, or once its holder is dropped unreleased (a node dying
/// mid-run), it can be taken again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_at_a_time_rolls_up() {
    let Some(url) = url() else { return };
    let schema = fresh_schema_name();
    let first = PgStore::connect_to_test_schema(&url, &schema).await.unwrap();
    let second = PgStore::connect_to_test_schema(&url, &schema).await.unwrap();
    let held = first.try_lock_rollup("shop").await.unwrap().expect("free at first");
    assert!(second.try_lock_rollup("shop").await.unwrap().is_none(), "a second node is refused");
    assert!(first.try_lock_rollup("shop").await.unwrap().is_none(), "and so is another run on the same node");
    let other = second.try_lock_rollup("other site").await.unwrap().expect("another site's lock is separate");
    other.release().await.unwrap();
    // Advisory locks are database-wide; a crumb in another schema (another
    // test) has a lock of its own.
    let elsewhere = PgStore::connect_isolated_for_tests(&url).await.unwrap();
    elsewhere
        .try_lock_rollup("shop")
        .await
        .unwrap()
        .expect("another schema's lock is separate")
        .release()
        .await
        .unwrap();
    elsewhere.drop_test_schema().await.unwrap();
    held.release().await.unwrap();
    let again = second.try_lock_rollup("shop").await.unwrap().expect("released: free again");
    drop(again); // unreleased: its connection closes, and the server frees the lock
    let mut retaken = None;
    for _ in 0..100 {
        retaken = first.try_lock_rollup("shop").await.unwrap();
        if retaken.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    retaken.expect("a dropped lock is freed with its connection").release().await.unwrap();
    drop(second);
    first.drop_test_schema().await.unwrap();
}

/// `url` with `params` added to its query string.
fn with_params(url: &str, params: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{params}")
}

/// `disable` connects in plain text; `prefer` and `require` encrypt when
/// the server has TLS (CI's PostgreSQL has, with Debian's self-signed
/// "snakeoil" certificate: unchecked, as with libpq) and `require` fails,
/// naming TLS, when it has not; `verify-full` checks the certificate
/// against the system's roots, which do not vouch for a self-signed one.
/// (A server that refuses TLS and a checked certificate are tested against
/// a stand-in server in `postgres_tls.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_is_honoured() {
    let Some(url) = url() else { return };
    let ssl: String = raw_client(&url, "public").await.query_one("SHOW ssl", &[]).await.unwrap().get(0);
    let server_has_tls = ssl == "on";

    let connect = |mode: &str| {
        let url = with_params(&url, &format!("sslmode={mode}"));
        async move { PgStore::connect_isolated_for_tests(&url).await }
    };
    for (mode, encrypted) in [("disable", false), ("prefer", server_has_tls), ("require", true)] {
        let store = match connect(mode).await {
            Ok(store) => store,
            Err(error @ StoreError::Open { .. }) if mode == "require" && !server_has_tls => {
                let text = error.to_string();
                assert!(text.contains("TLS"), "sslmode=require, server without TLS: {text}");
                continue;
            }
            Err(error) => panic!("sslmode={mode}: {error}"),
        };
        assert_eq!(store.uses_tls().await.unwrap(), encrypted, "sslmode={mode}");
        store.append_consent(&consent(mode)).await.unwrap();
        assert!(store.consent_by_receipt(mode).await.unwrap().is_some());
        store.drop_test_schema().await.unwrap();
    }
    if server_has_tls {
        let error = connect("verify-full").await.unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, StoreError::Open { .. }) && text.contains("TLS"), "{text}");
    }
}
