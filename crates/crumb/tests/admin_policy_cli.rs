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

/// Issue 21 item 7: one secure-origin rule, enforced by `policy check` —
/// plain http is refused unless the host is exactly loopback.
#[test]
fn policy_check_refuses_plain_http_origins_that_are_not_loopback() {
    let dir = temp_dir("origins");
    let demo = crumb_core::config::DEMO_TOML;
    let with_origins = |origins: &str| {
        let text = demo.replacen("origins = [", &format!("origins = [{origins}, "), 1);
        std::fs::write(dir.join("crumb.toml"), text).unwrap();
        crumb(&dir, &["policy", "check", "crumb.toml"], "")
    };
    for plain in ["\"http://shop.example\"", "\"http://localhost.evil.example\""] {
        let out = with_origins(plain);
        assert_eq!(out.status.code(), Some(1), "{plain}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is plain http on a host that is not loopback"), "{plain}: {err}");
        assert!(err.contains("the banner would come back on every page"), "names the consequence: {err}");
    }
    // Issue 19: in development mode a plain-http *.test origin is expected, and said once.
    let dev = demo.replacen("origins = [", "origins = [\"http://shop.test\", ", 1).replacen(
        "[server]\n",
        "[server]\ndevelopment = true\n",
        1,
    );
    std::fs::write(dir.join("crumb.toml"), dev).unwrap();
    let out = crumb(&dir, &["policy", "check", "crumb.toml"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("note: crumb.toml: development mode") && !err.contains("is plain http"), "{err}");
    for secure in ["\"https://shop.example\"", "\"http://[::1]:9000\"", "\"http://app.localhost:3000\""] {
        assert!(with_origins(secure).status.success(), "{secure}");
    }
    let out = crumb(&dir, &["policy", "check", "--allow-insecure-origins", "crumb.toml"], "");
    assert!(out.status.success());
    std::fs::write(dir.join("crumb.toml"), demo.replacen("origins = [", "origins = [\"http://shop.example\", ", 1))
        .unwrap();
    let out = crumb(&dir, &["policy", "check", "--allow-insecure-origins", "crumb.toml"], "");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: crumb.toml: site.origins: \"http://shop.example\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `crumb policy audit`: what the gateway recorded in the store named by
/// the declaration; exit 1 when anything goes beyond the declaration.
#[test]
fn policy_audit_lists_what_the_gateway_saw_and_fails_when_there_is_any() {
    use crumb_store::Store as _;
    let dir = temp_dir("audit");
    std::fs::write(dir.join("crumb.toml"), include_str!("../../crumb-testsite/crumb.toml")).unwrap();
    let out = crumb(&dir, &["policy", "audit", "--config", "crumb.toml"], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("the gateway has seen no cookie beyond the declaration"));

    let config = crumb_core::config::load(&dir.join("crumb.toml")).unwrap();
    let crumb_core::config::StorageConfig::Sqlite(path) = &config.storage else { panic!("SQLite expected") };
    let db = if path.is_absolute() { path.clone() } else { dir.join(path) };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = crumb_store::sqlite::SqliteStore::open(&db).unwrap();
        let sighting = |kind, name: &str, detail: &str| crumb_store::GatewaySighting {
            site: config.site_name.clone(),
            kind,
            name: name.into(),
            domain: String::new(),
            path: "/".into(),
            detail: detail.into(),
            first_seen: 1_700_000_000_000,
            last_seen: 1_700_000_100_000,
            sample_path: "/products".into(),
            count: 3,
        };
        store
            .record_gateway_sightings(&[
                sighting(crumb_store::SightingKind::Undeclared, "mystery", ""),
                sighting(
                    crumb_store::SightingKind::BeyondDeclaration,
                    "shop_session",
                    "without HttpOnly; declared HttpOnly",
                ),
            ])
            .await
            .unwrap();
    });
    let out = crumb(&dir, &["policy", "audit", "--config", "crumb.toml"], "");
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mystery\tundeclared\tdomain (host only)\tpath /\tseen 3 times"), "{text}");
    assert!(text.contains("shop_session\tbeyond its declaration: without HttpOnly"), "{text}");
    let out = crumb(&dir, &["policy", "audit", "--config", "crumb.toml", "--json"], "");
    assert_eq!(out.status.code(), Some(1));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed.as_array().unwrap().iter().any(|s| s["name"] == "mystery" && s["kind"] == "undeclared"));
    std::fs::remove_dir_all(&dir).unwrap();
}
