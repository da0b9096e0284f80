//! Durability under SIGKILL: many consent POSTs, the server killed mid-load,
//! restarted on the same data directory — every decision that got a 2xx is
//! still there.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{request, start};

#[test]
fn every_acknowledged_consent_survives_sigkill() {
    let dir = std::env::temp_dir().join(format!("crumb-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (mut server, address) = start(&dir);

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            let (address, acknowledged, stop) = (address.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let granted = ["[]", r#"["statistics"]"#, r#"["marketing","preferences"]"#][worker % 3];
                while !stop.load(Ordering::Relaxed) {
                    match request(&address, "POST", "/api/consent", &format!(r#"{{"granted":{granted}}}"#)) {
                        Ok((201, body)) => {
                            let receipt: serde_json::Value = serde_json::from_str(&body).unwrap();
                            acknowledged.lock().unwrap().push(receipt["receipt_id"].as_str().unwrap().to_owned());
                        }
                        Ok((status, body)) => panic!("unexpected {status}: {body}"),
                        // The server is gone: whatever was in flight was never acknowledged.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();

    // Kill the server in the middle of the load, without warning.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 300 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill().unwrap(); // SIGKILL on Unix
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 300, "only {} consents acknowledged before the kill", acknowledged.len());

    let (mut restarted, address) = start(&dir);
    let mut missing = Vec::new();
    for receipt in &acknowledged {
        let (status, body) = request(&address, "GET", &format!("/api/consent/{receipt}"), "").unwrap();
        if status != 200 || !body.contains(receipt.as_str()) {
            missing.push(receipt.clone());
        }
    }
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!("{} consents acknowledged before SIGKILL, {} missing after restart", acknowledged.len(), missing.len());
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
}
