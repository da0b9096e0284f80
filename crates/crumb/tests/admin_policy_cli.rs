//! `crumb admin create` and `crumb policy …` through the built binary.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn crumb(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("crumb-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn admin_create_makes_then_promotes() {
    let dir = temp_dir("admin");
    let out = crumb(&dir, &["admin", "create", "--email", "root@example.com"], "short\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the password must have 12 to 128 characters"));
    let out = crumb(&dir, &["admin", "create", "--email", "Root@Example.com"], "a long admin passphrase\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("administrator Root@Example.com created"));
    let out = crumb(&dir, &["admin", "create", "--email", "root@example.com"], "a long admin passphrase\n");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("is now an administrator"),
        "the folded address is the same account"
    );
    assert!(dir.join("crumb-data/crumb.db").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn policy_check_names_file_line_and_rule() {
    let dir = temp_dir("policy");
    let config = dir.join("crumb.toml");
    std::fs::write(
        &config,
        "[site]\nname = \"S\"\norigins = [\"https://s.example\"]\npolicy_version = \"1\"\n\n[contact]\nname = \"S\"\naddress = \"A\"\nemail = \"p@s.example\"\n\n[[cookie]]\nname = \"_ga\"\ncategory = \"statistics\"\nlifetime = \"730d\"\npurpose.en = \"Counts visits\"\n",
    )
    .unwrap();
    let out = crumb(&dir, &["policy", "check", "crumb.toml"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("crumb.toml:14: cookie `_ga`: lifetime 730d is over 400 days"), "{err}");
    let out = crumb(&dir, &["policy", "show", "--lang", "de", "--json"], "");
    assert!(out.status.success());
    let policy: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(policy["language"], "de");
    std::fs::remove_dir_all(&dir).unwrap();
}
