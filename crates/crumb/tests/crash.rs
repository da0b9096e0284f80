//! Durability under SIGKILL: many consent POSTs, the server killed mid-load,
//! restarted on the same data directory — every decision that got a 2xx is
//! still there.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Starts `crumb serve` (built-in demo, SQLite under `dir`) on a free port; returns the child and its address.
fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().expect("server exited before announcing its URL").unwrap();
        if let Some(rest) = line.split("http://localhost:").nth(1) {
            let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
            break format!("127.0.0.1:{port}");
        }
    };
    (child, address)
}

/// One HTTP/1.1 request over a fresh connection; returns status and body.
fn request(address: &str, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.get(9..12).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

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
