//! Deployment settings from the environment (issue 21): `CRUMB_*` variables
//! put the key file and the database where an operator says, and
//! `CRUMB_LOG_FORMAT=json` makes every log line a JSON object — here the
//! lines SIGTERM's graceful shutdown writes.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn settings_come_from_crumb_variables_and_json_logs_are_json() {
    let dir = std::env::temp_dir().join(format!("crumb-env-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .arg("serve")
        .current_dir(&dir)
        .env("CRUMB_LISTEN", "127.0.0.1:0")
        .env("CRUMB_SECRET_FILE", dir.join("keys/site.key"))
        .env("CRUMB_SQLITE_PATH", dir.join("db/records.db"))
        .env("CRUMB_LOG_FORMAT", "json")
        .env("CRUMB_SHUTDOWN_SECONDS", "5")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut announced = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("http://localhost:");
        announced.push(line);
        if done {
            break;
        }
    }
    assert!(
        announced.iter().any(|line| line.contains("records in SQLite at") && line.contains("records.db")),
        "{announced:?}"
    );
    assert!(dir.join("keys/site.key").is_file(), "the key file is where CRUMB_SECRET_FILE says");
    assert!(dir.join("db/records.db").is_file(), "the database is where CRUMB_SQLITE_PATH says");
    assert!(!dir.join("crumb-data").exists(), "nothing in the default places");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let logged: Vec<serde_json::Value> = lines
        .map(Result::unwrap)
        .map(|line| serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(child.wait().unwrap().success());
    let messages: Vec<&str> = logged.iter().filter_map(|line| line["fields"]["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.starts_with("shutting down")), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("stopped")), "{messages:?}");
    assert!(logged.iter().any(|line| line["fields"]["signal"] == "SIGTERM"), "{logged:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
