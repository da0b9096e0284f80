//! The failing store double: it passes the conformance suite while nothing
//! fails, and every method fails (without reaching the real store) when its
//! mode says so.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;

use crumb_store::analytics::{Dimension, EventKind, EventRecord, Granularity};
use crumb_store::failing::{Access, FailMode, FailingStore, InjectedFailure};
use crumb_store::profiles::{GatheredObservation, InterestObservation, ProfileBatch, ProfileChoices, Removal};
use crumb_store::sqlite::SqliteStore;
use crumb_store::{
    Account, AccountStore, AnalyticsStore, ConsentAction, ConsentRecord, Device, ProfileStore, RememberToken,
    SessionRecord, Store, StoreError,
};

/// The conformance suite through a failing store that does not fail: every
/// method reaches the real store with its arguments, and returns its answer.
mod suite_through_the_double {
    use super::*;

    async fn on_a_fresh_store<F: Future<Output = ()>>(check: impl FnOnce(Arc<dyn Store>) -> F) {
        let double = FailingStore::new(Arc::new(SqliteStore::open_in_memory().unwrap()));
        check(Arc::new(double.clone())).await;
        assert!(double.failed().is_empty());
        assert!(!double.calls().is_empty(), "the check went through the double");
    }

    crumb_store::conformance_tests!(on_a_fresh_store);
}

fn consent() -> ConsentRecord {
    ConsentRecord {
        receipt_id: "r".into(),
        consent_id: "c".into(),
        site: "s".into(),
        policy_version: "1".into(),
        granted: vec!["necessary".into()],
        refused: vec![],
        gpc: false,
        dnt: false,
        language: "en".into(),
        action: ConsentAction::Given,
        recorded_at: 1,
    }
}

fn account() -> Account {
    Account {
        user_id: "u".into(),
        email: "u@example.com".into(),
        email_folded: "u@example.com".into(),
        password_hash: "$argon2id$x".into(),
        is_admin: false,
        created_at: 1,
        theft_detected_at: None,
    }
}

fn session() -> SessionRecord {
    SessionRecord { id_hash: "h".into(), user_id: "u".into(), device_id: "d".into(), created_at: 1, last_seen: 1 }
}

fn token() -> RememberToken {
    RememberToken {
        selector: "sel".into(),
        validator_hash: "v".into(),
        previous_validator_hash: None,
        user_id: "u".into(),
        device_id: "d".into(),
        created_at: 1,
        expires_at: 2,
        rotated_at: None,
        successor_salt: None,
    }
}

fn device() -> Device {
    Device {
        device_id: "d".into(),
        user_id: "u".into(),
        browser: "Firefox".into(),
        os: "Linux".into(),
        first_seen: 1,
        last_seen: 1,
        linked_visitor_id: None,
    }
}

fn event() -> EventRecord {
    EventRecord {
        site: "s".into(),
        at: 1,
        visitor: 7,
        cookieless: false,
        user: None,
        kind: EventKind::Pageview,
        name: "pageview".into(),
        path: "/".into(),
        source: String::new(),
        utm_source: String::new(),
        utm_medium: String::new(),
        utm_campaign: String::new(),
        browser: "Firefox".into(),
        os: "Linux".into(),
        device: "desktop".into(),
        props: vec![],
    }
}

fn expect_failure(operation: &str, result: Result<(), StoreError>) {
    match result {
        Err(error @ StoreError::Backend { backend: "sqlite", .. }) => {
            let source = std::error::Error::source(&error).expect("the injected failure is the source");
            let injected = source.downcast_ref::<InjectedFailure>().expect("an InjectedFailure");
            assert_eq!(injected.operation, operation);
            assert!(error.to_string().contains(operation), "{error}");
        }
        other => panic!("{operation}: expected a backend error, got {other:?}"),
    }
}

/// Calls every method of the four traits once.
async fn call_everything(store: &FailingStore) {
    expect_failure("append_consent", store.append_consent(&consent()).await.map(|_| ()));
    expect_failure("consent_by_receipt", store.consent_by_receipt("x").await.map(|_| ()));
    expect_failure("consent_history", store.consent_history("x").await.map(|_| ()));
    expect_failure("count_consents", store.count_consents("x").await.map(|_| ()));
    expect_failure("touch_visitor", store.touch_visitor("x", "x", true, 1).await.map(|_| ()));
    expect_failure("visitor", store.visitor("x", "x").await.map(|_| ()));
    expect_failure("forget_visitor", store.forget_visitor("x", "x").await.map(|_| ()));
    expect_failure("create_account", store.create_account(&account()).await.map(|_| ()));
    expect_failure("account_by_email", store.account_by_email("x").await.map(|_| ()));
    expect_failure("account", store.account("x").await.map(|_| ()));
    expect_failure("set_password", store.set_password("x", "x").await.map(|_| ()));
    expect_failure("set_admin", store.set_admin("x", true).await.map(|_| ()));
    expect_failure("set_theft_detected", store.set_theft_detected("x", None).await.map(|_| ()));
    expect_failure("delete_account", store.delete_account("x").await.map(|_| ()));
    expect_failure("create_session", store.create_session(&session()).await.map(|_| ()));
    expect_failure("session", store.session("x").await.map(|_| ()));
    expect_failure("touch_session", store.touch_session("x", 1).await.map(|_| ()));
    expect_failure("delete_session", store.delete_session("x").await.map(|_| ()));
    expect_failure("delete_device_sessions", store.delete_device_sessions("x", "x").await.map(|_| ()));
    expect_failure("delete_user_sessions", store.delete_user_sessions("x").await.map(|_| ()));
    expect_failure("user_sessions", store.user_sessions("x").await.map(|_| ()));
    expect_failure("create_remember_token", store.create_remember_token(&token()).await.map(|_| ()));
    expect_failure("remember_token", store.remember_token("x").await.map(|_| ()));
    expect_failure("rotate_remember_token", store.rotate_remember_token("x", "x", "x", 1, "x").await.map(|_| ()));
    expect_failure("delete_remember_token", store.delete_remember_token("x").await.map(|_| ()));
    expect_failure("delete_user_remember_tokens", store.delete_user_remember_tokens("x").await.map(|_| ()));
    expect_failure("delete_device_remember_tokens", store.delete_device_remember_tokens("x", "x").await.map(|_| ()));
    expect_failure("user_remember_tokens", store.user_remember_tokens("x").await.map(|_| ()));
    expect_failure("upsert_device", store.upsert_device(&device()).await.map(|_| ()));
    expect_failure("device", store.device("x", "x").await.map(|_| ()));
    expect_failure("user_devices", store.user_devices("x").await.map(|_| ()));
    expect_failure("link_device_visitor", store.link_device_visitor("x", "x", None).await.map(|_| ()));
    expect_failure("delete_device", store.delete_device("x", "x").await.map(|_| ()));
    expect_failure("record_failed_login", store.record_failed_login("x", 1, 1).await.map(|_| ()));
    expect_failure("failed_logins", store.failed_logins("x", 1).await.map(|_| ()));
    let policy = crumb_store::ThrottlePolicy { window_ms: 1, free_attempts: 1, first_delay_ms: 1, max_delay_ms: 1 };
    expect_failure("count_attempt", store.count_attempt(&["x".to_owned()], 1, &policy).await.map(|_| ()));
    expect_failure("clear_failed_logins", store.clear_failed_logins("x").await.map(|_| ()));
    expect_failure("count_accounts", store.count_accounts().await.map(|_| ()));
    expect_failure("append_events", store.append_events(vec![event()]).await.map(|_| ()));
    expect_failure("events_between", store.events_between("x", 1, 1).await.map(|_| ()));
    expect_failure("funnel_events", store.funnel_events("x", 1, 1, &[]).await.map(|_| ()));
    expect_failure("first_event_at", store.first_event_at("x").await.map(|_| ()));
    expect_failure("commit_rollup", store.commit_rollup("x", 1, 1, &[], &[], &[]).await.map(|_| ()));
    expect_failure("open_visits", store.open_visits("x", 1).await.map(|_| ()));
    expect_failure("rolled_until", store.rolled_until("x").await.map(|_| ()));
    expect_failure("rollups", store.rollups("x", Granularity::Day, 1, 1, &[]).await.map(|_| ()));
    expect_failure("rollup_summary", store.rollup_summary("x", Granularity::Day, 1, 1).await.map(|_| ()));
    expect_failure(
        "rollup_values",
        store.rollup_values("x", Granularity::Day, 1, 1, Dimension::Total, &["".to_owned()]).await.map(|_| ()),
    );
    expect_failure("cross_device_users", store.cross_device_users("x", 1, 1).await.map(|_| ()));
    expect_failure("purge_events_before", store.purge_events_before("x", 1).await.map(|_| ()));
    expect_failure("request_forget", store.request_forget("x", 1, 1).await.map(|_| ()));
    expect_failure("forget_requested", store.forget_requested("x").await.map(|_| ()));
    expect_failure("shared_salt", store.shared_salt(1, &[1; 32]).await.map(|_| ()));
    expect_failure("record_interests", store.record_interests("x", 1, 1, 1, &[1], 1).await);
    expect_failure("interest_observations", store.interest_observations("x", 1, 1).await.map(|_| ()));
    expect_failure("profile_choices", store.profile_choices("x", 1).await.map(|_| ()));
    expect_failure("remove_interest_topic", store.remove_interest_topic("x", 1, 1, Removal::ForGood, 1).await);
    expect_failure("set_profile_paused", store.set_profile_paused("x", 1, true, 1).await);
    expect_failure("erase_profile", store.erase_profile("x", 1, 0).await.map(|_| ()));
    expect_failure("write_profile_batch", store.write_profile_batch("x", &one_gathered_page()).await);
    expect_failure("profiles_changed_since", store.profiles_changed_since("x", 1).await.map(|_| ()));
    expect_failure("purge_interest_epochs", store.purge_interest_epochs("x", 1).await.map(|_| ()));
}

const METHODS: usize = 62;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_always_fails_every_method_and_reaches_nothing() {
    let real = Arc::new(SqliteStore::open_in_memory().unwrap());
    let store = FailingStore::new(real.clone());
    store.set_mode(FailMode::Always);
    assert_eq!(store.mode(), FailMode::Always);
    call_everything(&store).await;
    let calls = store.calls();
    assert_eq!(calls.len(), METHODS);
    let mut names: Vec<&str> = calls.iter().map(|c| c.operation).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), METHODS, "each method once");
    assert!(calls.iter().all(|c| c.failed));
    assert!(store.writes_passed().is_empty());
    // Nothing reached the real store.
    assert_eq!(real.consent_by_receipt("r").await.unwrap(), None);
    assert_eq!(real.count_accounts().await.unwrap(), 0);
    assert!(real.events_between("s", 0, 10).await.unwrap().is_empty());
    assert!(real.interest_observations("x", 1, i64::MIN).await.unwrap().is_empty());
    assert_eq!(real.profile_choices("x", 1).await.unwrap(), ProfileChoices::default());
    assert_eq!(store.backend(), "sqlite", "backend() never fails");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_writes_fail_apart_and_the_switch_is_shared_by_clones() {
    let store = FailingStore::new(Arc::new(SqliteStore::open_in_memory().unwrap()));
    let as_dyn: Arc<dyn Store> = Arc::new(store.clone());

    store.set_mode(FailMode::Reads);
    as_dyn.append_consent(&consent()).await.unwrap();
    assert!(matches!(as_dyn.consent_by_receipt("r").await, Err(StoreError::Backend { .. })));
    assert_eq!(store.writes_passed(), ["append_consent"]);

    store.set_mode(FailMode::Writes);
    assert_eq!(as_dyn.consent_by_receipt("r").await.unwrap(), Some(consent()));
    let mut other = consent();
    other.receipt_id = "r-2".into();
    assert!(matches!(as_dyn.append_consent(&other).await, Err(StoreError::Backend { .. })));
    assert!(matches!(as_dyn.touch_visitor("s", "v", true, 1).await, Err(StoreError::Backend { .. })));
    assert_eq!(store.failed(), ["consent_by_receipt", "append_consent", "touch_visitor"]);

    store.set_mode(FailMode::Never);
    assert_eq!(as_dyn.consent_by_receipt("r-2").await.unwrap(), None, "the failed write did not happen");
    assert_eq!(as_dyn.visitor("s", "v").await.unwrap(), None);
    let kinds: Vec<Access> = store.calls().iter().map(|c| c.access).collect();
    assert_eq!(kinds[..2], [Access::Write, Access::Read]);
    store.set_mode(FailMode::Always);
    store.restrict_to(Some(&["visitor"]));
    assert!(matches!(as_dyn.visitor("s", "v").await, Err(StoreError::Backend { .. })));
    assert_eq!(as_dyn.consent_by_receipt("r-2").await.unwrap(), None, "only the named operation fails");
    store.restrict_to(None);
    assert!(as_dyn.consent_by_receipt("r-2").await.is_err());
    store.set_mode(FailMode::Never);
    store.clear_calls();
    assert!(store.calls().is_empty());
    assert!(format!("{store:?}").contains("Never"));
}

#[test]
fn modes_fail_what_they_say() {
    for (mode, read, write) in [
        (FailMode::Never, false, false),
        (FailMode::Reads, true, false),
        (FailMode::Writes, false, true),
        (FailMode::Always, true, true),
    ] {
        assert_eq!((mode.fails(Access::Read), mode.fails(Access::Write)), (read, write), "{mode:?}");
    }
}

/// A batch of one page read, for the calls above.
fn one_gathered_page() -> ProfileBatch {
    let pages = InterestObservation { epoch: 1, epoch_start: 0, topic: 1, count: 1, first_seen: 1, last_seen: 1 };
    ProfileBatch { observations: vec![GatheredObservation { profile: 1, pages }], shown: Vec::new() }
}
