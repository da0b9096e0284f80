//! A `crumb serve` child process and raw HTTP/1.1 requests to it, for the
//! tests that stop the process (SIGKILL, SIGTERM).
#![allow(clippy::unwrap_used, dead_code)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts `crumb serve` (built-in demo, SQLite under `dir`) on a free port; returns the child and its address.
pub fn start(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        // Load tests from one address: the per-address limits are not what is tested here.
        .env("CRUMB_CONSENTS_PER_MINUTE", "100000")
        .env("CRUMB_EVENTS_PER_MINUTE", "100000")
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

/// A browser's User-Agent (crumb does not count bots' events).
const BROWSER: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

/// A response: status, `Set-Cookie` values (name=value only) and body.
pub struct Answer {
    pub status: u16,
    pub cookies: Vec<String>,
    pub body: String,
}

/// One HTTP/1.1 request over a fresh connection, with `cookie` if given.
pub fn send(address: &str, method: &str, path: &str, body: &str, cookie: Option<&str>) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\nUser-Agent: {BROWSER}\r\nContent-Type: application/json\r\n{cookie}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.get(9..12).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let cookies = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| value.trim().split(';').next().map(str::to_owned))
        .collect();
    Ok(Answer { status, cookies, body: body.to_owned() })
}

/// One HTTP/1.1 request over a fresh connection; returns status and body.
pub fn request(address: &str, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    send(address, method, path, body, None).map(|answer| (answer.status, answer.body))
}
