//! crumb's jar as a reqwest cookie store, against a real HTTP server on loopback.
#![cfg(feature = "reqwest")]
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::{Arc, Mutex};

use crumb_cookie::reqwest_store::SharedJar;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `responses` in order (one per connection) and records each request's Cookie header.
async fn serve(listener: TcpListener, responses: Vec<&'static str>, seen: Arc<Mutex<Vec<String>>>) {
    for set_cookies in responses {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&request).into_owned();
        let cookie = text
            .lines()
            .find_map(|l| l.strip_prefix("cookie: ").or_else(|| l.strip_prefix("Cookie: ")))
            .unwrap_or("")
            .to_owned();
        seen.lock().unwrap().push(cookie);
        let mut response = String::from("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n");
        for line in set_cookies.split('\n').filter(|l| !l.is_empty()) {
            response.push_str(&format!("set-cookie: {line}\r\n"));
        }
        response.push_str("\r\n");
        socket.write_all(response.as_bytes()).await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn reqwest_client_uses_the_jar() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = tokio::spawn(serve(
        listener,
        vec!["sid=1; Path=/; HttpOnly\nbad=1; Domain=com\ntheme=dark; Path=/prefs", "", ""],
        seen.clone(),
    ));

    let jar = Arc::new(SharedJar::default());
    let client = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    client.get(format!("{base}/login")).send().await.unwrap();
    client.get(format!("{base}/prefs/page")).send().await.unwrap();
    client.get(format!("{base}/other")).send().await.unwrap();
    server.await.unwrap();

    assert_eq!(*seen.lock().unwrap(), ["", "theme=dark; sid=1", "sid=1"]);
    assert_eq!(jar.lock().len(), 2, "the Domain=com cookie was refused");
}
