//! `crumb serve --upstream`: a bad upstream is refused at start with a
//! message that names it (an `https://` one is served: `tests/tls.rs`).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::process::Command;

fn serve_with_upstream(upstream: &str) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("crumb-gateway-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("crumb.toml"), include_str!("../../crumb-testsite/crumb.toml")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(["serve", "--config", "crumb.toml", "--listen", "127.0.0.1:0", "--upstream", upstream])
        .env_remove("CRUMB_UPSTREAM")
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn an_upstream_that_is_not_an_http_url_is_refused_at_start() {
    let (code, stderr) = serve_with_upstream("ftp://127.0.0.1:3000");
    assert_ne!(code, Some(0));
    assert!(
        stderr.contains("--upstream: \"ftp://127.0.0.1:3000\": the upstream must be an http:// or https:// URL"),
        "{stderr}"
    );
    let (code, stderr) = serve_with_upstream("https://user:secret@127.0.0.1:3443");
    assert_ne!(code, Some(0));
    assert!(stderr.contains("the upstream URL must not hold credentials"), "{stderr}");
}
