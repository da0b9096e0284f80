//! A loopback HTTP + HTTPS server that records `Cookie` request headers and answers with scripted
//! `Set-Cookie` headers, byte for byte.
//!
//! It is a deliberately tiny HTTP/1.1 implementation written on raw sockets, so that response
//! header values reach the browser exactly as scripted (including bytes, such as a bare CR, that
//! general-purpose HTTP libraries refuse to send) and the request's `Cookie` header is recorded
//! exactly as the browser sent it.
//!
//! Routing: every expected request is registered first and gets a unique token, which the caller
//! puts into the URL's query (`?crumbstep=TOKEN`). The query plays no part in cookie matching, so the
//! token does not change what the browser sends. Requests without a known token (e.g.
//! `/favicon.ico`) get a 404 without cookies.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Name of the query parameter that carries the routing token.
pub const TOKEN_PARAM: &str = "crumbstep";

/// The two schemes served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTPS with a self-signed certificate.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// What the server saw of one routed request.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The connection's scheme.
    pub scheme: Scheme,
    /// The `Host` header as sent.
    pub host: String,
    /// The request target (path and query) as sent.
    pub target: String,
    /// The raw `Cookie` header value (several headers joined by `"; "`), empty when absent.
    pub cookie: Vec<u8>,
    /// How many `Cookie` header lines there were.
    pub cookie_header_count: usize,
}

struct Pending {
    set_cookie: Vec<Vec<u8>>,
    tx: Option<oneshot::Sender<RecordedRequest>>,
    hits: usize,
}

#[derive(Default)]
struct State {
    pending: HashMap<String, Pending>,
    unrouted: usize,
}

/// A registered expected request: its token and a receiver for what arrives.
pub struct Expectation {
    /// The routing token to put into the URL.
    pub token: String,
    /// Resolves when the first request carrying the token has been answered.
    pub rx: oneshot::Receiver<RecordedRequest>,
    server_state: Arc<Mutex<State>>,
}

impl Expectation {
    /// How many requests carried this token so far (more than one means the browser repeated it).
    pub fn hits(&self) -> usize {
        lock(&self.server_state).pending.get(&self.token).map_or(0, |p| p.hits)
    }
}

impl Drop for Expectation {
    fn drop(&mut self) {
        lock(&self.server_state).pending.remove(&self.token);
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding this lock cannot leave the map inconsistent; keep going.
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// The running server. Dropping it stops accepting connections.
pub struct CookieServer {
    http_addr: SocketAddr,
    https_addr: SocketAddr,
    state: Arc<Mutex<State>>,
    counter: AtomicU64,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for CookieServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl CookieServer {
    /// Binds one plain-HTTP and one HTTPS port on 127.0.0.1 (ephemeral ports) and starts serving.
    ///
    /// Must be called inside a Tokio runtime.
    pub async fn start() -> anyhow::Result<CookieServer> {
        Self::start_on(0, 0).await
    }

    /// Like [`CookieServer::start`] with chosen ports (0 = ephemeral).
    pub async fn start_on(http_port: u16, https_port: u16) -> anyhow::Result<CookieServer> {
        let tls = Arc::new(tls_config()?);
        let http = TcpListener::bind(("127.0.0.1", http_port)).await.context("binding the HTTP port")?;
        let https = TcpListener::bind(("127.0.0.1", https_port)).await.context("binding the HTTPS port")?;
        let state = Arc::new(Mutex::new(State::default()));
        let mut tasks = Vec::new();
        let http_addr = http.local_addr()?;
        let https_addr = https.local_addr()?;
        {
            let state = state.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let Ok((sock, _)) = http.accept().await else {
                        continue;
                    };
                    let state = state.clone();
                    tokio::spawn(async move {
                        let _ = serve_connection(sock, Scheme::Http, state).await;
                    });
                }
            }));
        }
        {
            let state = state.clone();
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            tasks.push(tokio::spawn(async move {
                loop {
                    let Ok((sock, _)) = https.accept().await else {
                        continue;
                    };
                    let state = state.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(sock)).await
                        else {
                            return;
                        };
                        let _ = serve_connection(tls, Scheme::Https, state).await;
                    });
                }
            }));
        }
        Ok(CookieServer { http_addr, https_addr, state, counter: AtomicU64::new(0), tasks })
    }

    /// The port serving `scheme`.
    pub fn port(&self, scheme: Scheme) -> u16 {
        match scheme {
            Scheme::Http => self.http_addr.port(),
            Scheme::Https => self.https_addr.port(),
        }
    }

    /// Registers an expected request whose response carries `set_cookie` (raw header values).
    ///
    /// Fails on a value containing LF, which would split the header.
    pub fn expect(&self, set_cookie: &[String]) -> anyhow::Result<Expectation> {
        if let Some(v) = set_cookie.iter().find(|v| v.contains('\n')) {
            bail!("Set-Cookie value contains LF, which cannot be sent in one header: {v:?}");
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let token = format!("s{n}x{}", std::process::id());
        let (tx, rx) = oneshot::channel();
        lock(&self.state).pending.insert(
            token.clone(),
            Pending { set_cookie: set_cookie.iter().map(|s| s.as_bytes().to_vec()).collect(), tx: Some(tx), hits: 0 },
        );
        Ok(Expectation { token, rx, server_state: self.state.clone() })
    }

    /// How many requests arrived without a known token (favicons and the like).
    pub fn unrouted_requests(&self) -> usize {
        lock(&self.state).unrouted
    }
}

fn tls_config() -> anyhow::Result<rustls::ServerConfig> {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .context("generating a self-signed certificate")?;
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .context("TLS certificate")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

const MAX_HEAD: usize = 256 * 1024;

struct RequestHead {
    target: String,
    host: String,
    cookie: Vec<u8>,
    cookie_header_count: usize,
}

/// Serves HTTP/1.1 requests (GET, no bodies) on one connection until it closes.
async fn serve_connection<S>(mut sock: S, scheme: Scheme, state: Arc<Mutex<State>>) -> anyhow::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    loop {
        // Read until a complete head is buffered.
        let head_end = loop {
            if let Some(pos) = find(&buf, b"\r\n\r\n") {
                break pos;
            }
            if buf.len() > MAX_HEAD {
                bail!("request head too large");
            }
            let mut chunk = [0u8; 8192];
            let n = tokio::time::timeout(Duration::from_secs(120), sock.read(&mut chunk))
                .await
                .context("idle connection")??;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head: Vec<u8> = buf.drain(..head_end + 4).collect();
        let req = parse_head(&head[..head_end])?;
        let token = token_of(&req.target);
        let mut set_cookie = Vec::new();
        let mut found = false;
        {
            let mut st = lock(&state);
            match token.and_then(|t| st.pending.get_mut(t)) {
                Some(p) => {
                    found = true;
                    p.hits += 1;
                    if let Some(tx) = p.tx.take() {
                        set_cookie = p.set_cookie.clone();
                        let _ = tx.send(RecordedRequest {
                            scheme,
                            host: req.host.clone(),
                            target: req.target.clone(),
                            cookie: req.cookie.clone(),
                            cookie_header_count: req.cookie_header_count,
                        });
                    }
                }
                None => st.unrouted += 1,
            }
        }
        let body: &[u8] = if found {
            b"<!doctype html><html><head><title>crumb</title></head><body>ok</body></html>\n"
        } else {
            b"not found\n"
        };
        let mut resp: Vec<u8> = Vec::with_capacity(512);
        resp.extend_from_slice(if found { b"HTTP/1.1 200 OK\r\n" } else { b"HTTP/1.1 404 Not Found\r\n" });
        resp.extend_from_slice(b"Content-Type: text/html; charset=utf-8\r\n");
        resp.extend_from_slice(b"Cache-Control: no-store\r\n");
        resp.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        for v in &set_cookie {
            resp.extend_from_slice(b"Set-Cookie: ");
            resp.extend_from_slice(v);
            resp.extend_from_slice(b"\r\n");
        }
        resp.extend_from_slice(b"\r\n");
        resp.extend_from_slice(body);
        sock.write_all(&resp).await?;
        sock.flush().await?;
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &[u8]) -> anyhow::Result<RequestHead> {
    let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = lines.next().context("empty request")?;
    let request_line = String::from_utf8_lossy(request_line);
    let mut parts = request_line.split(' ');
    let _method = parts.next().context("no method")?;
    let target = parts.next().context("no request target")?.to_owned();
    let mut host = String::new();
    let mut cookies: Vec<&[u8]> = Vec::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &line[..colon];
        let value = trim_ows(&line[colon + 1..]);
        if name.eq_ignore_ascii_case(b"host") {
            host = String::from_utf8_lossy(value).into_owned();
        } else if name.eq_ignore_ascii_case(b"cookie") {
            cookies.push(value);
        }
    }
    Ok(RequestHead { target, host, cookie: cookies.join(&b"; "[..]), cookie_header_count: cookies.len() })
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

fn token_of(target: &str) -> Option<&str> {
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|kv| kv.strip_prefix(TOKEN_PARAM).and_then(|rest| rest.strip_prefix('=')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_in_query() {
        assert_eq!(token_of("/a?b=1&crumbstep=s1x2"), Some("s1x2"));
        assert_eq!(token_of("/a?crumbstep=s1x2"), Some("s1x2"));
        assert_eq!(token_of("/crumbstep=s1"), None);
    }

    #[test]
    fn head_parsing_keeps_cookie_bytes() {
        let head = b"GET /x?y HTTP/1.1\r\nHost: a.example.com:80\r\nCookie:  a=\xc3\xa9; b=2 \r\nX: y";
        let h = parse_head(head).expect("parses");
        assert_eq!(h.target, "/x?y");
        assert_eq!(h.host, "a.example.com:80");
        assert_eq!(h.cookie, "a=é; b=2".as_bytes());
        assert_eq!(h.cookie_header_count, 1);
    }
}
