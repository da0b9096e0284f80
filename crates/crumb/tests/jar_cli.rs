//! `crumb jar …` end to end, through the built binary.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn crumb(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn replay_speaks_the_runner_protocol() {
    let input = concat!(
        "# a comment, then a blank line\n\n",
        r#"{"name": "domain/parent-cookie", "steps": [{"url": "http://home.example.org/", "set_cookie": ["a=1; Domain=example.org; Path=/"]}, {"url": "http://sub.home.example.org/"}, {"url": "https://example.org/x?y", "advance_seconds": 2}]}"#,
        "\n",
        r#"{"name": "expiry/max-age", "steps": [{"url": "https://a.example.com/", "set_cookie": ["s=1; Max-Age=1; Secure"]}, {"url": "https://a.example.com/"}, {"url": "https://a.example.com/", "advance_seconds": 1}, {"url": "http://a.example.com/"}], "extra": "ignored"}"#,
        "\n",
        "{not json}\n",
        r#"{"name": "syntax/cr", "steps": [{"url": "http://h.example.com/", "set_cookie": ["AAA=BB\rZYX"]}, {"url": "http://h.example.com/"}]}"#,
    );
    let out = crumb(&["jar", "replay"], input.as_bytes());
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], serde_json::json!({"name": "domain/parent-cookie", "observed": ["", "a=1", "a=1"]}));
    assert_eq!(lines[1], serde_json::json!({"name": "expiry/max-age", "observed": ["", "s=1", "", ""]}));
    assert_eq!(lines[2]["observed"], serde_json::json!([]));
    assert!(lines[2]["error"].as_str().unwrap().contains("not a scenario"));
    assert_eq!(lines[3], serde_json::json!({"name": "syntax/cr", "observed": ["", "AAA=BB"]}));
}

#[test]
fn check_explains_storage_or_names_the_rule() {
    let out =
        crumb(&["jar", "check", "--url", "https://www.example.com/a/b", "id=7; Domain=example.com; Max-Age=60"], b"");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("stored"), "{text}");
    assert!(text.contains("domain:    example.com (and its subdomains)"), "{text}");
    assert!(text.contains("path:      /a"), "{text}");

    let cases = [
        ("http://www.example.com/", "a=1; Domain=com", "§5.7 step 9"),
        ("http://www.example.com/", "a=1; Secure", "§5.7 step 13"),
        ("https://www.example.com/", "__Host-a=1; Secure; Domain=example.com; Path=/", "§5.7 step 21"),
        ("https://www.example.com/", "a=1; SameSite=None", "§5.7 step 19"),
        ("https://www.example.com/", "a=b\u{7f}", "§5.6 step 1"),
    ];
    for (url, header, rule) in cases {
        let out = crumb(&["jar", "check", "--url", url, header], b"");
        assert_eq!(out.status.code(), Some(1), "{header}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("dropped: RFC 6265bis ") && text.contains(rule), "{header}: {text}");
    }

    let cross = crumb(&["jar", "check", "--url", "https://t.example/", "--context", "cross-site", "a=1"], b"");
    assert!(String::from_utf8(cross.stdout).unwrap().contains("§5.7 step 18"));
}

#[test]
fn check_takes_domain_cookies_under_unlisted_tlds() {
    // The public-suffix list's default rule: `example.test` is a site like `example.com`.
    for (url, header, domain) in [
        ("http://www.example.test/", "a=1; domain=example.test", "example.test"),
        ("http://www.web-platform.test/", "a=1; Domain=www.web-platform.test", "www.web-platform.test"),
        ("http://api.myapp.localhost/", "a=1; Domain=myapp.localhost", "myapp.localhost"),
    ] {
        let out = crumb(&["jar", "check", "--url", url, header], b"");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{header}: {text}");
        assert!(text.contains(&format!("domain:    {domain} (and its subdomains)")), "{header}: {text}");
    }
    let out = crumb(&["jar", "check", "--url", "http://www.example.test/", "a=1; Domain=test"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().contains("§5.7 step 9"));
}

#[test]
fn replay_runs_document_cookie_steps() {
    let input = r#"{"name": "script/httponly", "steps": [{"url": "http://www.example.com/", "set_cookie": ["h=1; HttpOnly"], "script_set": ["h=2", "v=1"], "script_read": true}, {"url": "http://www.example.com/"}]}"#;
    let out = crumb(&["jar", "replay"], input.as_bytes());
    assert!(out.status.success());
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        line,
        serde_json::json!({"name": "script/httponly", "observed": ["", "h=1; v=1"], "script": ["v=1", null]})
    );
}

#[test]
fn check_names_a_bad_url() {
    let out = crumb(&["jar", "check", "--url", "not a url", "a=1"], b"");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--url \"not a url\"") && err.contains("invalid URL"), "{err}");
}

#[test]
fn import_then_export_cookies_txt() {
    let dir = std::env::temp_dir().join(format!("crumb-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt = dir.join("cookies.txt");
    let jar = dir.join("jar.json");
    let _ = std::fs::remove_file(&jar);
    let far = 4_102_444_800i64; // 2100-01-01: beyond 400 days, kept as written by the file's owner
    std::fs::write(
        &txt,
        format!("# Netscape HTTP Cookie File\n.example.org\tTRUE\t/\tFALSE\t{far}\tga\tGA1\n#HttpOnly_example.org\tFALSE\t/\tTRUE\t{far}\tsid\tx\n"),
    )
    .unwrap();
    let out = crumb(&["jar", "import", txt.to_str().unwrap(), "--jar", jar.to_str().unwrap()], b"");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8(out.stderr).unwrap().contains("imported 2 cookies"));
    let out = crumb(&["jar", "export", "--jar", jar.to_str().unwrap()], b"");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!(".example.org\tTRUE\t/\tFALSE\t{far}\tga\tGA1\n")), "{text}");
    assert!(text.contains(&format!("#HttpOnly_example.org\tFALSE\t/\tTRUE\t{far}\tsid\tx\n")), "{text}");

    std::fs::write(&txt, "example.org\tTRUE\t/\n").unwrap();
    let out = crumb(&["jar", "import", txt.to_str().unwrap(), "--jar", jar.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("cookies.txt line 1: expected 7 tab-separated fields"));
    std::fs::remove_dir_all(&dir).unwrap();
}
