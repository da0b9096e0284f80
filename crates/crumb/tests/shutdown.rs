//! Graceful shutdown (issue 21): SIGTERM under load — the server stops
//! accepting, answers what is in flight, and exits 0 well within its
//! deadline; every consent decision and every event it acknowledged is in
//! the store afterwards. Before the fix SIGTERM ended the process at once
//! (exit status 143 after 4 ms), cutting requests mid-answer.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![cfg(unix)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{send, start};
use crumb_store::{AnalyticsStore as _, Store as _};

#[test]
fn sigterm_drains_requests_in_flight_and_loses_nothing_acknowledged() {
    let dir = std::env::temp_dir().join(format!("crumb-sigterm-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (mut server, address) = start(&dir);

    let receipts = Arc::new(Mutex::new(Vec::<String>::new()));
    let events = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let (address, receipts, events, stop) = (address.clone(), receipts.clone(), events.clone(), stop.clone());
            std::thread::spawn(move || {
                // Statistics consent first; its cookies make the events count.
                let Ok(consent) = send(&address, "POST", "/api/consent", r#"{"granted":["statistics"]}"#, None) else {
                    return;
                };
                assert_eq!(consent.status, 201, "{}", consent.body);
                let cookie = consent.cookies.join("; ");
                let event = r#"{"name":"pageview","url":"http://localhost/"}"#;
                let mut n = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let answer = if (n + worker) % 2 == 0 {
                        send(&address, "POST", "/api/consent", r#"{"granted":["statistics"]}"#, Some(&cookie))
                    } else {
                        send(&address, "POST", "/api/event", &event.replace("localhost", &address), Some(&cookie))
                    };
                    match answer {
                        Ok(answer) if answer.status == 201 => {
                            let receipt: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
                            receipts.lock().unwrap().push(receipt["receipt_id"].as_str().unwrap().to_owned());
                        }
                        Ok(answer) if answer.status == 202 => {
                            events.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(answer) => panic!("unexpected {}: {}", answer.status, answer.body),
                        // Refused or cut: the server has stopped accepting, nothing was acknowledged.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();

    let started = Instant::now();
    while events.load(Ordering::Relaxed) < 200 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let signalled = Instant::now();
    let killed = std::process::Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(30), "still running 30 s (the deadline) after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = signalled.elapsed();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    assert!(status.success(), "SIGTERM is a clean exit, not a kill: {status:?}");

    let receipts = receipts.lock().unwrap().clone();
    let acknowledged_events = events.load(Ordering::Relaxed);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (stored_events, missing) = runtime.block_on(async {
        let demo = crumb_core::config::demo();
        let crumb_core::config::StorageConfig::Sqlite(path) = &demo.storage else { panic!("the demo is on SQLite") };
        let store = crumb_store::sqlite::SqliteStore::open(&dir.join(path)).unwrap();
        let site = demo.site_name;
        let stored = store.events_between(&site, 0, i64::MAX).await.unwrap().len();
        let mut missing = Vec::new();
        for receipt in &receipts {
            if store.consent_by_receipt(receipt).await.unwrap().is_none() {
                missing.push(receipt.clone());
            }
        }
        (stored, missing)
    });
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!(
        "SIGTERM: exited in {took:?}; {} decisions and {acknowledged_events} events acknowledged, {stored_events} events stored",
        receipts.len()
    );
    assert!(missing.is_empty(), "acknowledged decisions lost: {missing:?}");
    assert!(stored_events >= acknowledged_events, "{acknowledged_events} events acknowledged, {stored_events} stored");
}
