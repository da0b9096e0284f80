//! The conformance suite every backend must pass: `tests/sqlite.rs` and
//! `tests/postgres.rs` run it on a fresh store. Public (but hidden from the
//! docs) so another crate's tests can run it on a store it builds. It panics
//! on the first failed check, after printing the check's name.
#![doc(hidden)]
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // test code: a failed unwrap is a failed check

use std::sync::Arc;

use crate::analytics::{rollup, Dimension, EventKind, EventRecord, Granularity};
use crate::{Account, ConsentAction, ConsentRecord, Device, RememberToken, SessionRecord, Store, StoreError};

/// A typical record; checks adjust the fields they test.
fn record(receipt: &str, consent: &str, site: &str, at: i64) -> ConsentRecord {
    ConsentRecord {
        receipt_id: receipt.to_owned(),
        consent_id: consent.to_owned(),
        site: site.to_owned(),
        policy_version: "2026-11-29".to_owned(),
        granted: vec!["necessary".to_owned(), "statistics".to_owned()],
        refused: vec!["marketing".to_owned()],
        gpc: true,
        dnt: false,
        language: "pl".to_owned(),
        action: ConsentAction::Given,
        recorded_at: at,
    }
}

/// Runs every check against `store`, which must be empty.
pub async fn run(store: Arc<dyn Store>) {
    eprintln!("suite: {} backend", store.backend());
    check("consent_round_trip", consent_round_trip(&*store)).await;
    check("list_and_text_round_trip", list_and_text_round_trip(&*store)).await;
    check("duplicates_refused", duplicates_refused(&*store)).await;
    check("history_in_order", history_in_order(&*store)).await;
    check("counts_per_site", counts_per_site(&*store)).await;
    check("visitors_new_and_returning", visitors_new_and_returning(&*store)).await;
    check("visitors_out_of_order", visitors_out_of_order(&*store)).await;
    check("forget_visitor", forget_visitor(&*store)).await;
    check("concurrent_visits_counted_exactly", concurrent_visits_counted_exactly(store.clone())).await;
    check("concurrent_appends", concurrent_appends(store.clone())).await;
    check("accounts_round_trip", accounts_round_trip(&*store)).await;
    check("account_updates", account_updates(&*store)).await;
    check("sessions", sessions(&*store)).await;
    check("remember_tokens", remember_tokens(&*store)).await;
    check("concurrent_rotations_one_wins", concurrent_rotations_one_wins(store.clone())).await;
    check("devices", devices(&*store)).await;
    check("login_throttle", login_throttle(&*store)).await;
    check("delete_account_leaves_nothing", delete_account_leaves_nothing(&*store)).await;
    check("rows_need_an_account", rows_need_an_account(&*store)).await;
    check("analytics_events_round_trip", analytics_events_round_trip(&*store)).await;
    check("analytics_rollups_equal_raw_counts", analytics_rollups_equal_raw_counts(&*store)).await;
    check("analytics_cross_device_and_purge", analytics_cross_device_and_purge(&*store)).await;
    check("analytics_forget_a_visitor", analytics_forget_a_visitor(&*store)).await;
    check("analytics_open_visits", analytics_open_visits(&*store)).await;
    check("analytics_funnel_events", analytics_funnel_events(&*store)).await;
    check("analytics_shared_salt", analytics_shared_salt(&*store)).await;
}

async fn check(name: &str, work: impl std::future::Future<Output = ()>) {
    eprintln!("suite: {name}");
    work.await;
}

async fn consent_round_trip(store: &dyn Store) {
    let stored = record("r-1", "c-1", "site-a", 1_000);
    store.append_consent(&stored).await.unwrap();
    assert_eq!(store.consent_by_receipt("r-1").await.unwrap(), Some(stored));
    assert_eq!(store.consent_by_receipt("missing").await.unwrap(), None);
    assert_eq!(store.consent_by_receipt("R-1").await.unwrap(), None, "receipt ids are case-sensitive");
}

async fn list_and_text_round_trip(store: &dyn Store) {
    let cases = [
        (vec![], vec![], "pt", ConsentAction::Updated, false, true),
        (vec!["necessary"], vec![], "zh-Hant-TW", ConsentAction::Withdrawn, true, true),
        (vec![], vec!["marketing", "statistics", "préférences"], "ÿ-Ünïcødé-語-🍪", ConsentAction::Given, false, false),
        (
            vec!["a,b", "\"quoted\"", "{brace}", "NULL", ""],
            vec!["back\\slash"],
            "",
            ConsentAction::Updated,
            true,
            false,
        ),
    ];
    for (i, (granted, refused, language, action, gpc, dnt)) in cases.into_iter().enumerate() {
        let mut stored = record(&format!("r-text-{i}"), "c-text", "site-text", 10 + i64::try_from(i).unwrap());
        stored.granted = granted.into_iter().map(str::to_owned).collect();
        stored.refused = refused.into_iter().map(str::to_owned).collect();
        stored.language = language.to_owned();
        stored.action = action;
        stored.gpc = gpc;
        stored.dnt = dnt;
        stored.policy_version = format!("v{i} — “typographic” ✓");
        store.append_consent(&stored).await.unwrap();
        assert_eq!(store.consent_by_receipt(&stored.receipt_id).await.unwrap().as_ref(), Some(&stored), "case {i}");
    }
    let mut big = record("r-text-big", "c-text", "site-text", 99);
    big.recorded_at = i64::MAX;
    big.granted = (0..200).map(|n| format!("category-{n}")).collect();
    store.append_consent(&big).await.unwrap();
    assert_eq!(store.consent_by_receipt("r-text-big").await.unwrap(), Some(big));
}

async fn duplicates_refused(store: &dyn Store) {
    let original = record("r-dup", "c-dup", "site-dup", 1_000);
    store.append_consent(&original).await.unwrap();
    let mut again = record("r-dup", "c-other", "site-other", 2_000);
    again.action = ConsentAction::Withdrawn;
    match store.append_consent(&again).await {
        Err(StoreError::Duplicate) => {}
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert!(matches!(store.append_consent(&original).await, Err(StoreError::Duplicate)));
    assert_eq!(store.consent_by_receipt("r-dup").await.unwrap(), Some(original), "the first record is kept");
    assert_eq!(store.count_consents("site-other").await.unwrap(), 0);
    assert_eq!(store.consent_history("c-other").await.unwrap(), []);
}

async fn history_in_order(store: &dyn Store) {
    let mut later = record("r-h3", "c-h", "site-h", 3_000);
    later.action = ConsentAction::Withdrawn;
    later.granted = vec!["necessary".to_owned()];
    // Appended out of time order; two share a millisecond.
    store.append_consent(&later).await.unwrap();
    store.append_consent(&record("r-h2", "c-h", "site-h", 2_000)).await.unwrap();
    store.append_consent(&record("r-h9-first", "c-h", "site-h", 2_500)).await.unwrap();
    store.append_consent(&record("r-h1-second", "c-h", "site-h", 2_500)).await.unwrap();
    store.append_consent(&record("r-h-other", "c-h-other", "site-h", 1)).await.unwrap();
    let history = store.consent_history("c-h").await.unwrap();
    let receipts: Vec<&str> = history.iter().map(|r| r.receipt_id.as_str()).collect();
    assert_eq!(receipts, ["r-h2", "r-h9-first", "r-h1-second", "r-h3"], "oldest first; ties in insertion order");
    assert_eq!(history[3], later);
    assert_eq!(store.consent_history("nobody").await.unwrap(), []);
}

async fn counts_per_site(store: &dyn Store) {
    for (i, site) in ["site-c1", "site-c1", "site-c1", "site-c2"].into_iter().enumerate() {
        store.append_consent(&record(&format!("r-c{i}"), &format!("c-c{i}"), site, 5)).await.unwrap();
    }
    assert_eq!(store.count_consents("site-c1").await.unwrap(), 3);
    assert_eq!(store.count_consents("site-c2").await.unwrap(), 1);
    assert_eq!(store.count_consents("site-C1").await.unwrap(), 0, "sites are case-sensitive");
    assert_eq!(store.count_consents("nobody").await.unwrap(), 0);
}

async fn visitors_new_and_returning(store: &dyn Store) {
    assert_eq!(store.visitor("site-v", "v-1").await.unwrap(), None);
    let first = store.touch_visitor("site-v", "v-1", true, 10).await.unwrap();
    assert_eq!(first.visitor_id, "v-1");
    assert_eq!((first.visits, first.first_seen, first.last_seen), (1, 10, 10));
    assert!(!first.is_returning());
    let same_visit = store.touch_visitor("site-v", "v-1", false, 20).await.unwrap();
    assert_eq!((same_visit.visits, same_visit.first_seen, same_visit.last_seen), (1, 10, 20));
    assert!(!same_visit.is_returning(), "a request in the same visit does not count");
    let next_visit = store.touch_visitor("site-v", "v-1", true, 30).await.unwrap();
    assert_eq!((next_visit.visits, next_visit.first_seen, next_visit.last_seen), (2, 10, 30));
    assert!(next_visit.is_returning());
    assert_eq!(store.visitor("site-v", "v-1").await.unwrap(), Some(next_visit));
    assert_eq!(store.visitor("site-v2", "v-1").await.unwrap(), None, "visitors are per site");
    let elsewhere = store.touch_visitor("site-v2", "v-1", false, 40).await.unwrap();
    assert_eq!(elsewhere.visits, 1, "the first sight is a visit even when not flagged as new");
    assert_eq!(store.visitor("site-v", "v-1").await.unwrap().unwrap().visits, 2);
}

async fn visitors_out_of_order(store: &dyn Store) {
    store.touch_visitor("site-o", "v-o", true, 500).await.unwrap();
    let earlier = store.touch_visitor("site-o", "v-o", false, 100).await.unwrap();
    assert_eq!((earlier.first_seen, earlier.last_seen, earlier.visits), (100, 500, 1));
}

async fn forget_visitor(store: &dyn Store) {
    store.touch_visitor("site-f", "v-f", true, 1).await.unwrap();
    store.touch_visitor("site-f", "v-f", true, 2).await.unwrap();
    store.touch_visitor("site-f2", "v-f", true, 3).await.unwrap();
    assert!(store.forget_visitor("site-f", "v-f").await.unwrap());
    assert!(!store.forget_visitor("site-f", "v-f").await.unwrap(), "already forgotten");
    assert!(!store.forget_visitor("site-f", "never-seen").await.unwrap());
    assert_eq!(store.visitor("site-f", "v-f").await.unwrap(), None);
    assert!(store.visitor("site-f2", "v-f").await.unwrap().is_some(), "only that site's visitor is forgotten");
    let again = store.touch_visitor("site-f", "v-f", true, 4).await.unwrap();
    assert_eq!((again.visits, again.first_seen), (1, 4), "a forgotten visitor starts afresh");
}

async fn concurrent_visits_counted_exactly(store: Arc<dyn Store>) {
    // 20 tasks race on an id nobody has seen: one inserts, 19 update.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.touch_visitor("site-x", "v-many", true, 100 + i).await.unwrap() })
        })
        .collect();
    let mut seen_counts = Vec::new();
    for task in tasks {
        seen_counts.push(task.await.unwrap().visits);
    }
    seen_counts.sort_unstable();
    assert_eq!(seen_counts, (1..=20).collect::<Vec<u64>>(), "each touch saw its own count");
    let status = store.visitor("site-x", "v-many").await.unwrap().unwrap();
    assert_eq!((status.visits, status.first_seen, status.last_seen), (20, 100, 119));
    // 20 more in the same visits: the count does not move.
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.touch_visitor("site-x", "v-many", false, 200 + i).await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let status = store.visitor("site-x", "v-many").await.unwrap().unwrap();
    assert_eq!((status.visits, status.first_seen, status.last_seen), (20, 100, 219));
}

async fn concurrent_appends(store: Arc<dyn Store>) {
    // Distinct receipts all land; one receipt raced by 10 lands once.
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let receipt = if i < 20 { format!("r-par-{i}") } else { "r-par-same".to_owned() };
                store.append_consent(&record(&receipt, "c-par", "site-par", i)).await
            })
        })
        .collect();
    let (mut ok, mut duplicates) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Duplicate) => duplicates += 1,
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!((ok, duplicates), (21, 9));
    assert_eq!(store.count_consents("site-par").await.unwrap(), 21);
    assert_eq!(store.consent_history("c-par").await.unwrap().len(), 21);
}

fn account(user_id: &str, email: &str, at: i64) -> Account {
    Account {
        user_id: user_id.to_owned(),
        email: email.to_owned(),
        email_folded: email.to_lowercase(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        is_admin: false,
        created_at: at,
        theft_detected_at: None,
    }
}

fn session(id_hash: &str, user_id: &str, device_id: &str, at: i64) -> SessionRecord {
    SessionRecord {
        id_hash: id_hash.to_owned(),
        user_id: user_id.to_owned(),
        device_id: device_id.to_owned(),
        created_at: at,
        last_seen: at,
    }
}

fn token(selector: &str, user_id: &str, device_id: &str, at: i64) -> RememberToken {
    RememberToken {
        selector: selector.to_owned(),
        validator_hash: format!("hash-{selector}-0"),
        previous_validator_hash: None,
        user_id: user_id.to_owned(),
        device_id: device_id.to_owned(),
        created_at: at,
        expires_at: at + 400 * 86_400_000,
    }
}

fn device(user_id: &str, device_id: &str, first_seen: i64, last_seen: i64) -> Device {
    Device {
        device_id: device_id.to_owned(),
        user_id: user_id.to_owned(),
        browser: "Firefox".to_owned(),
        os: "Linux".to_owned(),
        first_seen,
        last_seen,
        linked_visitor_id: None,
    }
}

async fn accounts_round_trip(store: &dyn Store) {
    let before = store.count_accounts().await.unwrap();
    let alice = account("u-alice", "Alice@Example.COM", 1_000);
    store.create_account(&alice).await.unwrap();
    assert_eq!(store.account("u-alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(store.account_by_email("alice@example.com").await.unwrap(), Some(alice.clone()));
    assert_eq!(store.account_by_email("Alice@Example.COM").await.unwrap(), None, "looked up by the folded e-mail");
    assert_eq!(store.account("nobody").await.unwrap(), None);
    assert_eq!(store.account_by_email("nobody@example.com").await.unwrap(), None);
    assert_eq!(store.count_accounts().await.unwrap(), before + 1);

    // The folded e-mail is unique, whatever the case typed and the user id.
    let twin = account("u-alice-twin", "ALICE@example.com", 2_000);
    assert!(matches!(store.create_account(&twin).await, Err(StoreError::Duplicate)));
    // So is the user id.
    let same_id = account("u-alice", "other@example.com", 2_000);
    assert!(matches!(store.create_account(&same_id).await, Err(StoreError::Duplicate)));
    assert_eq!(store.account("u-alice-twin").await.unwrap(), None);
    assert_eq!(store.account_by_email("other@example.com").await.unwrap(), None);
    assert_eq!(store.count_accounts().await.unwrap(), before + 1);
    assert_eq!(store.account("u-alice").await.unwrap(), Some(alice.clone()), "the first account is kept");

    let mut admin = account("u-admin", "root@example.com", 3_000);
    admin.is_admin = true;
    admin.theft_detected_at = Some(3_500);
    store.create_account(&admin).await.unwrap();
    assert_eq!(store.account("u-admin").await.unwrap(), Some(admin));
}

async fn account_updates(store: &dyn Store) {
    let mut bob = account("u-bob", "bob@example.com", 1_000);
    store.create_account(&bob).await.unwrap();
    let carol = account("u-carol", "carol@example.com", 1_000);
    store.create_account(&carol).await.unwrap();

    store.set_password("u-bob", "$argon2id$new").await.unwrap();
    bob.password_hash = "$argon2id$new".to_owned();
    assert_eq!(store.account("u-bob").await.unwrap(), Some(bob.clone()));

    store.set_admin("u-bob", true).await.unwrap();
    bob.is_admin = true;
    assert_eq!(store.account("u-bob").await.unwrap(), Some(bob.clone()));
    store.set_admin("u-bob", false).await.unwrap();
    bob.is_admin = false;
    assert_eq!(store.account("u-bob").await.unwrap(), Some(bob.clone()));

    store.set_theft_detected("u-bob", Some(5_000)).await.unwrap();
    bob.theft_detected_at = Some(5_000);
    assert_eq!(store.account("u-bob").await.unwrap(), Some(bob.clone()));
    store.set_theft_detected("u-bob", None).await.unwrap();
    bob.theft_detected_at = None;
    assert_eq!(store.account_by_email("bob@example.com").await.unwrap(), Some(bob));

    assert_eq!(store.account("u-carol").await.unwrap(), Some(carol), "other accounts are untouched");
    // Updating an unknown account changes nothing and creates nothing.
    store.set_password("nobody", "x").await.unwrap();
    store.set_admin("nobody", true).await.unwrap();
    store.set_theft_detected("nobody", Some(1)).await.unwrap();
    assert_eq!(store.account("nobody").await.unwrap(), None);
}

async fn sessions(store: &dyn Store) {
    store.create_account(&account("u-sess", "sess@example.com", 1)).await.unwrap();
    store.create_account(&account("u-sess-other", "sess-other@example.com", 1)).await.unwrap();
    let first = session("s-hash-1", "u-sess", "d-laptop", 100);
    store.create_session(&first).await.unwrap();
    assert_eq!(store.session("s-hash-1").await.unwrap(), Some(first.clone()));
    assert_eq!(store.session("S-HASH-1").await.unwrap(), None);
    assert_eq!(store.session("missing").await.unwrap(), None);
    assert!(matches!(store.create_session(&first).await, Err(StoreError::Duplicate)));

    store.touch_session("s-hash-1", 250).await.unwrap();
    let touched = store.session("s-hash-1").await.unwrap().unwrap();
    assert_eq!((touched.created_at, touched.last_seen), (100, 250));
    store.touch_session("missing", 250).await.unwrap();
    assert_eq!(store.session("missing").await.unwrap(), None, "touching does not create");

    store.create_session(&session("s-hash-2", "u-sess", "d-laptop", 200)).await.unwrap();
    store.create_session(&session("s-hash-3", "u-sess", "d-phone", 300)).await.unwrap();
    store.create_session(&session("s-hash-4", "u-sess", "d-phone", 400)).await.unwrap();
    store.create_session(&session("s-hash-other", "u-sess-other", "d-laptop", 500)).await.unwrap();
    let ids = |list: Vec<SessionRecord>| list.into_iter().map(|s| s.id_hash).collect::<Vec<_>>();
    assert_eq!(ids(store.user_sessions("u-sess").await.unwrap()), ["s-hash-1", "s-hash-2", "s-hash-3", "s-hash-4"]);
    assert_eq!(store.user_sessions("nobody").await.unwrap(), []);

    assert!(store.delete_session("s-hash-2").await.unwrap());
    assert!(!store.delete_session("s-hash-2").await.unwrap(), "already deleted");
    assert_eq!(store.session("s-hash-2").await.unwrap(), None);

    assert_eq!(store.delete_device_sessions("u-sess", "d-phone").await.unwrap(), 2);
    assert_eq!(store.delete_device_sessions("u-sess", "d-phone").await.unwrap(), 0);
    assert_eq!(ids(store.user_sessions("u-sess").await.unwrap()), ["s-hash-1"]);
    // Another user's session on a device of the same id is not touched.
    assert_eq!(store.delete_device_sessions("u-sess", "d-laptop").await.unwrap(), 1);
    assert!(store.session("s-hash-other").await.unwrap().is_some());

    store.create_session(&session("s-hash-5", "u-sess", "d-a", 600)).await.unwrap();
    store.create_session(&session("s-hash-6", "u-sess", "d-b", 700)).await.unwrap();
    assert_eq!(store.delete_user_sessions("u-sess").await.unwrap(), 2);
    assert_eq!(store.user_sessions("u-sess").await.unwrap(), []);
    assert_eq!(ids(store.user_sessions("u-sess-other").await.unwrap()), ["s-hash-other"]);
    assert_eq!(store.delete_user_sessions("u-sess").await.unwrap(), 0);
}

async fn remember_tokens(store: &dyn Store) {
    store.create_account(&account("u-tok", "tok@example.com", 1)).await.unwrap();
    store.create_account(&account("u-tok-other", "tok-other@example.com", 1)).await.unwrap();
    let issued = token("sel-1", "u-tok", "d-laptop", 100);
    store.create_remember_token(&issued).await.unwrap();
    assert_eq!(store.remember_token("sel-1").await.unwrap(), Some(issued.clone()));
    assert_eq!(store.remember_token("missing").await.unwrap(), None);
    assert!(matches!(store.create_remember_token(&issued).await, Err(StoreError::Duplicate)));

    // Rotation with the current hash succeeds and remembers the old one.
    assert!(store.rotate_remember_token("sel-1", "hash-sel-1-0", "hash-sel-1-1").await.unwrap());
    let rotated = store.remember_token("sel-1").await.unwrap().unwrap();
    assert_eq!(rotated.validator_hash, "hash-sel-1-1");
    assert_eq!(rotated.previous_validator_hash.as_deref(), Some("hash-sel-1-0"));
    assert_eq!((rotated.created_at, rotated.expires_at), (issued.created_at, issued.expires_at));
    // Replaying the old validator (a stale hash) changes nothing.
    assert!(!store.rotate_remember_token("sel-1", "hash-sel-1-0", "hash-sel-1-evil").await.unwrap());
    assert_eq!(store.remember_token("sel-1").await.unwrap(), Some(rotated.clone()));
    assert!(!store.rotate_remember_token("missing", "hash-sel-1-1", "x").await.unwrap());
    // The next legitimate rotation moves both hashes on.
    assert!(store.rotate_remember_token("sel-1", "hash-sel-1-1", "hash-sel-1-2").await.unwrap());
    let again = store.remember_token("sel-1").await.unwrap().unwrap();
    assert_eq!(again.validator_hash, "hash-sel-1-2");
    assert_eq!(again.previous_validator_hash.as_deref(), Some("hash-sel-1-1"));

    store.create_remember_token(&token("sel-2", "u-tok", "d-laptop", 200)).await.unwrap();
    store.create_remember_token(&token("sel-3", "u-tok", "d-phone", 300)).await.unwrap();
    store.create_remember_token(&token("sel-4", "u-tok", "d-phone", 400)).await.unwrap();
    store.create_remember_token(&token("sel-other", "u-tok-other", "d-phone", 500)).await.unwrap();
    let selectors = |list: Vec<RememberToken>| list.into_iter().map(|t| t.selector).collect::<Vec<_>>();
    assert_eq!(selectors(store.user_remember_tokens("u-tok").await.unwrap()), ["sel-1", "sel-2", "sel-3", "sel-4"]);
    assert_eq!(store.user_remember_tokens("nobody").await.unwrap(), []);

    assert!(store.delete_remember_token("sel-2").await.unwrap());
    assert!(!store.delete_remember_token("sel-2").await.unwrap());
    assert_eq!(store.delete_device_remember_tokens("u-tok", "d-phone").await.unwrap(), 2);
    assert_eq!(store.delete_device_remember_tokens("u-tok", "d-phone").await.unwrap(), 0);
    assert_eq!(selectors(store.user_remember_tokens("u-tok").await.unwrap()), ["sel-1"]);
    assert!(store.remember_token("sel-other").await.unwrap().is_some(), "another user's token is kept");

    store.create_remember_token(&token("sel-5", "u-tok", "d-tablet", 600)).await.unwrap();
    assert_eq!(store.delete_user_remember_tokens("u-tok").await.unwrap(), 2);
    assert_eq!(store.user_remember_tokens("u-tok").await.unwrap(), []);
    assert_eq!(selectors(store.user_remember_tokens("u-tok-other").await.unwrap()), ["sel-other"]);
}

async fn concurrent_rotations_one_wins(store: Arc<dyn Store>) {
    store.create_account(&account("u-race", "race@example.com", 1)).await.unwrap();
    store.create_remember_token(&token("sel-race", "u-race", "d", 1)).await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store.rotate_remember_token("sel-race", "hash-sel-race-0", &format!("new-{i}")).await.unwrap()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1, "exactly one rotation with the same validator succeeds");
    let after = store.remember_token("sel-race").await.unwrap().unwrap();
    assert!(after.validator_hash.starts_with("new-"));
    assert_eq!(after.previous_validator_hash.as_deref(), Some("hash-sel-race-0"));
}

async fn devices(store: &dyn Store) {
    store.create_account(&account("u-dev", "dev@example.com", 1)).await.unwrap();
    store.create_account(&account("u-dev-other", "dev-other@example.com", 1)).await.unwrap();
    assert_eq!(store.device("u-dev", "d-1").await.unwrap(), None);
    let laptop = device("u-dev", "d-1", 100, 100);
    store.upsert_device(&laptop).await.unwrap();
    assert_eq!(store.device("u-dev", "d-1").await.unwrap(), Some(laptop.clone()));
    assert_eq!(store.device("u-dev-other", "d-1").await.unwrap(), None, "devices are per user");

    // Seen again: last_seen (and browser/os) move on, first_seen stays.
    let mut again = device("u-dev", "d-1", 900, 500);
    again.browser = "Chrome".to_owned();
    again.os = "Windows".to_owned();
    store.upsert_device(&again).await.unwrap();
    let updated = store.device("u-dev", "d-1").await.unwrap().unwrap();
    assert_eq!((updated.first_seen, updated.last_seen), (100, 500));
    assert_eq!((updated.browser.as_str(), updated.os.as_str()), ("Chrome", "Windows"));

    store.upsert_device(&device("u-dev", "d-2", 200, 300)).await.unwrap();
    store.upsert_device(&device("u-dev", "d-3", 50, 700)).await.unwrap();
    store.upsert_device(&device("u-dev-other", "d-1", 1, 1_000)).await.unwrap();
    let order = |list: Vec<Device>| list.into_iter().map(|d| d.device_id).collect::<Vec<_>>();
    assert_eq!(order(store.user_devices("u-dev").await.unwrap()), ["d-3", "d-1", "d-2"], "most recent first");
    store.upsert_device(&device("u-dev", "d-2", 200, 800)).await.unwrap();
    assert_eq!(order(store.user_devices("u-dev").await.unwrap()), ["d-2", "d-3", "d-1"]);
    assert_eq!(store.user_devices("nobody").await.unwrap(), []);

    store.link_device_visitor("u-dev", "d-1", Some("hmac-visitor")).await.unwrap();
    assert_eq!(store.device("u-dev", "d-1").await.unwrap().unwrap().linked_visitor_id.as_deref(), Some("hmac-visitor"));
    assert_eq!(store.device("u-dev-other", "d-1").await.unwrap().unwrap().linked_visitor_id, None);
    store.upsert_device(&device("u-dev", "d-1", 100, 900)).await.unwrap();
    assert_eq!(
        store.device("u-dev", "d-1").await.unwrap().unwrap().linked_visitor_id.as_deref(),
        Some("hmac-visitor"),
        "a later sign-in keeps the link"
    );
    store.link_device_visitor("u-dev", "d-1", None).await.unwrap();
    assert_eq!(store.device("u-dev", "d-1").await.unwrap().unwrap().linked_visitor_id, None);
    store.link_device_visitor("u-dev", "missing", Some("x")).await.unwrap();
    assert_eq!(store.device("u-dev", "missing").await.unwrap(), None, "linking does not create");

    assert!(store.delete_device("u-dev", "d-1").await.unwrap());
    assert!(!store.delete_device("u-dev", "d-1").await.unwrap());
    assert_eq!(store.device("u-dev", "d-1").await.unwrap(), None);
    assert!(store.device("u-dev-other", "d-1").await.unwrap().is_some(), "only that user's device is deleted");
    assert_eq!(order(store.user_devices("u-dev").await.unwrap()), ["d-2", "d-3"]);
}

async fn login_throttle(store: &dyn Store) {
    let key = "email:throttle@example.com";
    assert_eq!(store.failed_logins(key, 0).await.unwrap(), (0, None));
    assert_eq!(store.record_failed_login(key, 1_000, 0).await.unwrap(), 1);
    assert_eq!(store.record_failed_login(key, 2_000, 0).await.unwrap(), 2);
    assert_eq!(store.record_failed_login(key, 3_000, 0).await.unwrap(), 3);
    assert_eq!(store.failed_logins(key, 0).await.unwrap(), (3, Some(3_000)));
    assert_eq!(store.failed_logins(key, 2_000).await.unwrap(), (2, Some(3_000)), "the window includes its start");
    assert_eq!(store.failed_logins(key, 3_001).await.unwrap(), (0, None));
    // Two failures in the same millisecond both count.
    assert_eq!(store.record_failed_login(key, 3_000, 0).await.unwrap(), 4);
    // A later window forgets the older failures.
    assert_eq!(store.record_failed_login(key, 10_000, 2_500).await.unwrap(), 3);
    assert_eq!(store.failed_logins(key, 0).await.unwrap(), (3, Some(10_000)), "older failures were deleted");

    let other = "ip:192.0.2.1";
    assert_eq!(store.record_failed_login(other, 5_000, 0).await.unwrap(), 1, "keys are counted apart");
    store.clear_failed_logins(key).await.unwrap();
    assert_eq!(store.failed_logins(key, 0).await.unwrap(), (0, None));
    assert_eq!(store.failed_logins(other, 0).await.unwrap(), (1, Some(5_000)), "other keys are kept");
    assert_eq!(store.record_failed_login(key, 11_000, 0).await.unwrap(), 1, "counting starts afresh");
    store.clear_failed_logins("ip:never-failed").await.unwrap();
}

async fn delete_account_leaves_nothing(store: &dyn Store) {
    let doomed = account("u-doomed", "Doomed@Example.com", 1);
    let kept = account("u-kept", "kept@example.com", 1);
    store.create_account(&doomed).await.unwrap();
    store.create_account(&kept).await.unwrap();
    for (user, email) in [("u-doomed", "doomed@example.com"), ("u-kept", "kept@example.com")] {
        for d in ["d-1", "d-2"] {
            store.create_session(&session(&format!("s-{user}-{d}"), user, d, 10)).await.unwrap();
            store.create_remember_token(&token(&format!("t-{user}-{d}"), user, d, 10)).await.unwrap();
            store.upsert_device(&device(user, d, 10, 20)).await.unwrap();
        }
        store.record_failed_login(&format!("email:{email}"), 30, 0).await.unwrap();
        store.record_failed_login(&format!("email:{email}"), 40, 0).await.unwrap();
    }
    store.record_failed_login("ip:198.51.100.7", 50, 0).await.unwrap();
    let before = store.count_accounts().await.unwrap();

    assert!(store.delete_account("u-doomed").await.unwrap());
    assert_eq!(store.account("u-doomed").await.unwrap(), None);
    assert_eq!(store.account_by_email("doomed@example.com").await.unwrap(), None);
    assert_eq!(store.count_accounts().await.unwrap(), before - 1);
    assert_eq!(store.user_sessions("u-doomed").await.unwrap(), []);
    assert_eq!(store.user_remember_tokens("u-doomed").await.unwrap(), []);
    assert_eq!(store.user_devices("u-doomed").await.unwrap(), []);
    assert_eq!(store.failed_logins("email:doomed@example.com", 0).await.unwrap(), (0, None));
    assert_eq!(store.session("s-u-doomed-d-1").await.unwrap(), None);
    assert_eq!(store.remember_token("t-u-doomed-d-2").await.unwrap(), None);
    assert_eq!(store.device("u-doomed", "d-1").await.unwrap(), None);

    // Everyone else's rows are intact.
    assert_eq!(store.account("u-kept").await.unwrap(), Some(kept));
    assert_eq!(store.user_sessions("u-kept").await.unwrap().len(), 2);
    assert_eq!(store.user_remember_tokens("u-kept").await.unwrap().len(), 2);
    assert_eq!(store.user_devices("u-kept").await.unwrap().len(), 2);
    assert_eq!(store.failed_logins("email:kept@example.com", 0).await.unwrap(), (2, Some(40)));
    assert_eq!(store.failed_logins("ip:198.51.100.7", 0).await.unwrap(), (1, Some(50)));

    assert!(!store.delete_account("u-doomed").await.unwrap(), "already deleted");
    assert!(!store.delete_account("nobody").await.unwrap());
    assert_eq!(store.count_accounts().await.unwrap(), before - 1);
    // The e-mail is free again.
    store.create_account(&account("u-reborn", "doomed@example.com", 99)).await.unwrap();
    assert_eq!(store.user_sessions("u-reborn").await.unwrap(), []);
}

async fn rows_need_an_account(store: &dyn Store) {
    // Sessions, tokens and devices reference an existing account.
    assert!(store.create_session(&session("s-orphan", "no-such-user", "d", 1)).await.is_err());
    assert!(store.create_remember_token(&token("t-orphan", "no-such-user", "d", 1)).await.is_err());
    assert!(store.upsert_device(&device("no-such-user", "d", 1, 1)).await.is_err());
    assert_eq!(store.session("s-orphan").await.unwrap(), None);
    assert_eq!(store.remember_token("t-orphan").await.unwrap(), None);
    assert_eq!(store.user_devices("no-such-user").await.unwrap(), []);
}

// ---- analytics ----

const DAY: i64 = crate::analytics::DAY_MILLIS;
const DAY0: i64 = 20_000 * DAY;

fn analytics_event(site: &str, visitor: i64, at: i64, path: &str) -> EventRecord {
    EventRecord {
        site: site.to_owned(),
        at,
        visitor,
        cookieless: false,
        user: None,
        kind: EventKind::Pageview,
        name: "pageview".to_owned(),
        path: path.to_owned(),
        source: "news.example".to_owned(),
        utm_source: "letter".to_owned(),
        utm_medium: String::new(),
        utm_campaign: "spring".to_owned(),
        browser: "Firefox".to_owned(),
        os: "Linux".to_owned(),
        device: "desktop".to_owned(),
        props: vec![],
    }
}

async fn analytics_events_round_trip(store: &dyn Store) {
    let mut custom = analytics_event("an-1", -5, DAY0 + 10, "/join");
    custom.kind = EventKind::Custom;
    custom.name = "signup".to_owned();
    custom.props = vec![("plan".to_owned(), "pro ✓".to_owned()), ("n".to_owned(), "1".to_owned())];
    custom.user = Some(i64::MIN);
    custom.cookieless = true;
    let view = analytics_event("an-1", -5, DAY0 + 5, "/");
    store.append_events(vec![view.clone(), custom.clone()]).await.unwrap();
    store.append_events(vec![analytics_event("an-other", 9, DAY0, "/")]).await.unwrap();
    store.append_events(Vec::new()).await.unwrap();
    let mut events = store.events_between("an-1", DAY0, DAY0 + DAY).await.unwrap();
    events.sort_by_key(|e| e.event.at);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event, view);
    assert_eq!(events[1].event, custom);
    assert!(events.iter().all(|e| e.first_seen == DAY0 + 5), "first sighting is the visitor's earliest event");
    assert!(store.events_between("an-1", DAY0 + 11, DAY0 + DAY).await.unwrap().is_empty(), "[from, to)");
    assert_eq!(store.first_event_at("an-1").await.unwrap(), Some(DAY0 + 5));
    assert_eq!(store.first_event_at("an-none").await.unwrap(), None);
}

async fn analytics_rollups_equal_raw_counts(store: &dyn Store) {
    let site = "an-2";
    let mut events = Vec::new();
    for i in 0..600i64 {
        let visitor = i % 37;
        let at = DAY0 + (i * 131 % 1440) * 60_000 + i;
        events.push(analytics_event(site, visitor, at, ["/", "/a", "/b", "/c"][(i % 4) as usize]));
    }
    for batch in events.chunks(100) {
        store.append_events(batch.to_vec()).await.unwrap();
    }
    let raw = store.events_between(site, DAY0, DAY0 + DAY).await.unwrap();
    assert_eq!(raw.len(), 600);
    let rollup = rollup::aggregate(raw, &[]);
    assert_eq!(store.rolled_until(site).await.unwrap(), None);
    store.commit_rollup(site, DAY0, DAY0 + DAY, &rollup.hourly, &rollup.daily, &[]).await.unwrap();
    // Committing again replaces rather than doubles.
    store.commit_rollup(site, DAY0, DAY0 + DAY, &rollup.hourly, &rollup.daily, &[]).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0 + DAY));

    let daily = store.rollups(site, Granularity::Day, DAY0, DAY0 + DAY, &[]).await.unwrap();
    let hourly = store.rollups(site, Granularity::Hour, DAY0, DAY0 + DAY, &[]).await.unwrap();
    assert_eq!(daily.len(), rollup.daily.len());
    assert_eq!(hourly.len(), rollup.hourly.len());
    let total = daily.iter().find(|r| r.dimension == Dimension::Total).unwrap();
    assert_eq!(total.counts.pageviews, 600, "every raw page view is in the daily total");
    assert_eq!(total.visitors.count(), 37, "distinct visitors survive storage");
    let hourly_views: u64 = hourly.iter().filter(|r| r.dimension == Dimension::Page).map(|r| r.counts.pageviews).sum();
    assert_eq!(hourly_views, 600);
    let pages: u64 = daily.iter().filter(|r| r.dimension == Dimension::Page).map(|r| r.counts.pageviews).sum();
    assert_eq!(pages, 600);
    for stored in &daily {
        let fresh = rollup.daily.iter().find(|r| r.dimension == stored.dimension && r.value == stored.value).unwrap();
        assert_eq!(stored.counts, fresh.counts, "{} {}", stored.dimension, stored.value);
        assert_eq!(stored.visitors.count(), fresh.visitors.count());
    }
    // Selected dimensions, summaries and values agree with the full rows.
    let pages_only =
        store.rollups(site, Granularity::Day, DAY0, DAY0 + DAY, &[Dimension::Page, Dimension::Total]).await.unwrap();
    assert_eq!(
        pages_only.len(),
        daily.iter().filter(|r| r.dimension == Dimension::Page || r.dimension == Dimension::Total).count()
    );
    let summary = store.rollup_summary(site, Granularity::Hour, DAY0, DAY0 + DAY).await.unwrap();
    assert!(summary.iter().all(|s| s.dimension != Dimension::Total));
    let views: u64 = summary.iter().filter(|s| s.dimension == Dimension::Page).map(|s| s.counts.pageviews).sum();
    assert_eq!(views, 600, "hourly sums add up to the day");
    let slash = summary.iter().find(|s| s.dimension == Dimension::Page && s.value == "/a").unwrap();
    let values = store
        .rollup_values(
            site,
            Granularity::Hour,
            DAY0,
            DAY0 + DAY,
            Dimension::Page,
            &["/a".to_owned(), "/none".to_owned()],
        )
        .await
        .unwrap();
    assert!(values.iter().all(|r| r.value == "/a"));
    assert_eq!(values.iter().map(|r| r.counts.pageviews).sum::<u64>(), slash.counts.pageviews);
    let mut merged = crate::analytics::VisitorSketch::new();
    values.iter().for_each(|r| merged.merge(&r.visitors));
    assert!(slash.min_visitors <= merged.count(), "a single hour's count is a lower bound");
    // An earlier day committed later (another node's, late) changes nothing.
    store.commit_rollup(site, DAY0 - DAY, DAY0, &[], &[], &[]).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0 + DAY));
    store.commit_rollup(site, DAY0, DAY0 + DAY / 2, &[], &[], &[]).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(DAY0 + DAY));
    assert_eq!(store.rollups(site, Granularity::Day, DAY0, DAY0 + DAY, &[]).await.unwrap().len(), daily.len());
    assert!(store.rollups(site, Granularity::Day, DAY0 + DAY, DAY0 + 2 * DAY, &[]).await.unwrap().is_empty());
}

async fn analytics_cross_device_and_purge(store: &dyn Store) {
    let site = "an-3";
    let mut batch = Vec::new();
    for (user, visitor) in [(1, 10), (1, 11), (2, 20), (2, 20), (3, 30), (3, 31), (3, 32)] {
        let mut event = analytics_event(site, visitor, DAY0 + visitor, "/");
        event.user = Some(user);
        batch.push(event);
    }
    batch.push(analytics_event(site, 99, DAY0 + 99, "/"));
    store.append_events(batch).await.unwrap();
    assert_eq!(store.cross_device_users(site, DAY0, DAY0 + DAY).await.unwrap(), (2, 3));
    assert_eq!(store.cross_device_users(site, DAY0 + DAY, DAY0 + 2 * DAY).await.unwrap(), (0, 0));
    assert_eq!(store.purge_events_before(site, DAY0 + 30).await.unwrap(), 4);
    assert_eq!(store.events_between(site, 0, i64::MAX).await.unwrap().len(), 4);
}

async fn analytics_forget_a_visitor(store: &dyn Store) {
    let site = "an-4";
    assert_eq!(store.forget_requested(site).await.unwrap(), 0, "nothing asked, nothing done");
    let mut batch = Vec::new();
    for day in 0..3 {
        for visitor in [1, 2] {
            batch.push(analytics_event(site, visitor, DAY0 + day * DAY + visitor, "/"));
        }
    }
    batch.push(analytics_event("an-4-other-site", 1, DAY0, "/"));
    store.append_events(batch).await.unwrap();
    store.request_forget(site, 1, DAY0 + 3 * DAY).await.unwrap();
    assert_eq!(store.events_between(site, 0, i64::MAX).await.unwrap().len(), 6, "deleted by the job, not at once");
    assert_eq!(store.forget_requested(site).await.unwrap(), 3, "visitor 1's events of three days");
    let left = store.events_between(site, 0, i64::MAX).await.unwrap();
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|e| e.event.visitor == 2 && e.first_seen == DAY0 + 2));
    assert_eq!(store.events_between("an-4-other-site", 0, i64::MAX).await.unwrap().len(), 1, "other sites untouched");
    assert_eq!(store.forget_requested(site).await.unwrap(), 0, "the request is done");
    // The first sighting went too: the same key seen again is new.
    store.append_events(vec![analytics_event(site, 1, DAY0 + 5 * DAY, "/")]).await.unwrap();
    let again = store.events_between(site, DAY0 + 5 * DAY, DAY0 + 6 * DAY).await.unwrap();
    assert_eq!(again[0].first_seen, DAY0 + 5 * DAY);
}

async fn analytics_open_visits(store: &dyn Store) {
    let site = "an-5";
    let cut = DAY0 + DAY / 2;
    let mut signup = analytics_event(site, 2, cut - 60_000, "/join");
    signup.kind = EventKind::Custom;
    signup.name = "signup".to_owned();
    signup.props = vec![("plan".to_owned(), "pro ✓".to_owned())];
    let events = vec![analytics_event(site, 1, cut - 120_000, "/"), signup, analytics_event(site, 3, DAY0, "/")];
    store.append_events(events).await.unwrap();
    let (rollup, open) = rollup::aggregate_provisional(store.events_between(site, DAY0, cut).await.unwrap(), cut, &[]);
    assert_eq!(open.len(), 2, "visitors 1 and 2 were seen in the last half hour");
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), vec![], "none before a rollup");
    store.commit_rollup(site, DAY0, cut, &rollup.hourly, &rollup.daily, &open).await.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(cut));
    let mut stored = store.open_visits(site, DAY0).await.unwrap();
    stored.sort_by_key(|state| state.visitor);
    assert_eq!(stored, open, "the state survives storage");
    assert_eq!(store.open_visits(site, DAY0 - DAY).await.unwrap(), vec![], "kept per day");

    // The next rollup of the day replaces them; a late one (another node's,
    // at an earlier cut) changes nothing; the final one leaves none.
    assert!(store.commit_rollup(site, DAY0, cut + 300_000, &rollup.hourly, &rollup.daily, &open[..1]).await.unwrap());
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), open[..1]);
    assert!(!store.commit_rollup(site, DAY0, cut, &rollup.hourly, &rollup.daily, &open).await.unwrap());
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), open[..1], "the late rollup was not stored");
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(cut + 300_000));
    // Two nodes committing at once: the later cut wins, whichever lands last.
    let (earlier, later) = tokio::join!(
        store.commit_rollup(site, DAY0, cut + 600_000, &rollup.hourly, &rollup.daily, &open),
        store.commit_rollup(site, DAY0, cut + 900_000, &rollup.hourly, &rollup.daily, &open[1..]),
    );
    assert!(later.unwrap(), "the later cut is always stored");
    earlier.unwrap();
    assert_eq!(store.rolled_until(site).await.unwrap(), Some(cut + 900_000));
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), open[1..], "the later cut's open visits");
    store.commit_rollup(site, DAY0, DAY0 + DAY, &rollup.hourly, &rollup.daily, &[]).await.unwrap();
    assert_eq!(store.open_visits(site, DAY0).await.unwrap(), vec![]);

    // A visitor forgotten takes their open visit along (stored under the
    // next day here: the mark has passed this one).
    let (_, open) = rollup::aggregate_provisional(store.events_between(site, DAY0, cut).await.unwrap(), cut, &[]);
    store.commit_rollup(site, DAY0 + DAY, DAY0 + DAY + 60_000, &[], &[], &open).await.unwrap();
    store.request_forget(site, 1, cut).await.unwrap();
    store.forget_requested(site).await.unwrap();
    let left = store.open_visits(site, DAY0 + DAY).await.unwrap();
    assert_eq!(left.iter().map(|state| state.visitor).collect::<Vec<_>>(), [2]);
    // A rollup read before the forgetting and committed after it (another
    // node's) does not bring the forgotten visit back.
    store.commit_rollup(site, DAY0 + DAY, DAY0 + DAY + 120_000, &[], &[], &open).await.unwrap();
    let left = store.open_visits(site, DAY0 + DAY).await.unwrap();
    assert_eq!(left.iter().map(|state| state.visitor).collect::<Vec<_>>(), [2]);
}

async fn analytics_funnel_events(store: &dyn Store) {
    use crate::analytics::rollup::{FunnelEvent, FunnelStep};
    let site = "an-6";
    let of_kind = |kind: EventKind, name: &str, path: &str, at: i64| {
        let mut event = analytics_event(site, 7, at, path);
        (event.kind, event.name) = (kind, name.to_owned());
        event
    };
    let mut cookieless = analytics_event(site, 8, DAY0 + 5, "/cart");
    cookieless.cookieless = true;
    store
        .append_events(vec![
            analytics_event(site, 7, DAY0 + 1, "/"),
            of_kind(EventKind::Custom, "buy", "/cart", DAY0 + 2),
            of_kind(EventKind::Outbound, "buy", "/", DAY0 + 3),
            of_kind(EventKind::Custom, "other", "/cart", DAY0 + 4),
            cookieless,
            // Another hour: a backend may read (or pack) a range an hour at a time.
            analytics_event(site, 9, DAY0 + 5 * 3_600_000, "/cart"),
            analytics_event(site, 7, DAY0 + DAY, "/"),
            analytics_event("an-6-other-site", 7, DAY0 + 6, "/"),
        ])
        .await
        .unwrap();
    // A page view of "/" matches steps 0 and 3; an outbound click named
    // "buy" is no custom event; a custom event's path is not a page view.
    let steps = [
        FunnelStep::Page("/".to_owned()),
        FunnelStep::Page("/cart".to_owned()),
        FunnelStep::Event("buy".to_owned()),
        FunnelStep::Page("/".to_owned()),
    ];
    let mut events = store.funnel_events(site, DAY0, DAY0 + DAY, &steps).await.unwrap();
    events.sort_by_key(|e| e.at);
    let at = |visitor: i64, cookieless: bool, offset: i64, steps: u32| FunnelEvent {
        visitor,
        cookieless,
        at: DAY0 + offset,
        steps,
    };
    assert_eq!(
        events,
        [
            at(7, false, 1, 0b1001),
            at(7, false, 2, 0b0100),
            at(7, false, 3, 0),
            at(7, false, 4, 0),
            at(8, true, 5, 0b0010),
            at(9, false, 5 * 3_600_000, 0b0010),
        ]
    );
    assert_eq!(store.funnel_events(site, DAY0 - DAY, DAY0, &steps).await.unwrap(), [], "a range without events");
    assert!(store.funnel_events(site, DAY0, DAY0 + DAY, &[]).await.unwrap().iter().all(|e| e.steps == 0));
}

async fn analytics_shared_salt(store: &dyn Store) {
    let first = store.shared_salt(DAY0, &[1; 32]).await.unwrap();
    assert_eq!(first, vec![1; 32]);
    assert_eq!(store.shared_salt(DAY0, &[2; 32]).await.unwrap(), vec![1; 32], "the first node's salt wins");
    assert_eq!(store.shared_salt(DAY0 + DAY, &[3; 32]).await.unwrap(), vec![3; 32]);
    assert_eq!(store.shared_salt(DAY0, &[4; 32]).await.unwrap(), vec![4; 32], "an earlier day's salt was forgotten");
}
