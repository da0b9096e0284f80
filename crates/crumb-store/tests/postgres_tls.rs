//! TLS to PostgreSQL against a stand-in server: it answers the client's
//! `SSLRequest` with `S`, does the TLS handshake with a certificate made
//! here, reads the startup message through TLS and refuses the login. What
//! it read proves the handshake (and the certificate check against
//! `sslrootcert`) succeeded. No PostgreSQL is needed.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;

use crumb_store::postgres::PgStore;
use crumb_store::StoreError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).unwrap();
        let dir = std::env::temp_dir().join(format!("crumb-pg-tls-{:016x}", u64::from_le_bytes(bytes)));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A self-signed certificate for `localhost` (PEM) and the server's TLS configuration with it.
fn certificate() -> (String, Arc<rustls::ServerConfig>) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
    (cert.pem(), Arc::new(config))
}

/// What the stand-in server saw on its one connection.
#[derive(Debug, PartialEq)]
enum Seen {
    /// The startup message, read through TLS.
    StartupOverTls(Vec<u8>),
    /// The client gave up during the handshake.
    HandshakeFailed,
    /// The server said it has no TLS.
    TlsRefused,
}

/// Serves one connection on a free port of 127.0.0.1, with TLS if `config`
/// is given, else answering `N` (no TLS here) and closing; returns the port
/// and what it saw.
async fn stand_in_server(config: Option<Arc<rustls::ServerConfig>>) -> (u16, tokio::task::JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // SSLRequest: length 8, code 80877103.
        let mut request = [0u8; 8];
        socket.read_exact(&mut request).await.unwrap();
        assert_eq!(request, [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f], "the client asks for TLS first");
        let Some(config) = config else {
            socket.write_all(b"N").await.unwrap();
            return Seen::TlsRefused;
        };
        socket.write_all(b"S").await.unwrap();
        let Ok(mut tls) = tokio_rustls::TlsAcceptor::from(config).accept(socket).await else {
            return Seen::HandshakeFailed;
        };
        let mut length = [0u8; 4];
        tls.read_exact(&mut length).await.unwrap();
        let mut startup = vec![0u8; usize::try_from(u32::from_be_bytes(length)).unwrap() - 4];
        tls.read_exact(&mut startup).await.unwrap();
        // ErrorResponse: FATAL 28000 (invalid authorization).
        let fields = b"SFATAL\0VFATAL\0C28000\0Mthe stand-in refuses every login\0\0";
        let mut reply = vec![b'E'];
        reply.extend_from_slice(&u32::try_from(fields.len() + 4).unwrap().to_be_bytes());
        reply.extend_from_slice(fields);
        tls.write_all(&reply).await.unwrap();
        let _ = tls.shutdown().await;
        Seen::StartupOverTls(startup)
    });
    (port, task)
}

#[tokio::test]
async fn require_with_sslrootcert_talks_tls_to_the_server() {
    let dir = TempDir::new();
    let (pem, config) = certificate();
    let root = dir.0.join("root ca.pem");
    std::fs::write(&root, pem).unwrap();
    let (port, server) = stand_in_server(Some(config)).await;
    // The path percent-encoded, as in any URL.
    let root = root.display().to_string().replace(' ', "%20");
    let url = format!("postgres://crumb_tls@localhost:{port}/crumb?sslmode=verify-full&sslrootcert={root}");

    let error = PgStore::connect(&url).await.unwrap_err();
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    match server.await.unwrap() {
        Seen::StartupOverTls(startup) => {
            let text = String::from_utf8_lossy(&startup);
            assert!(text.contains("user\0crumb_tls\0") && text.contains("database\0crumb\0"), "{text:?}");
        }
        other => panic!("the handshake should have succeeded: {other:?}"),
    }
}

#[tokio::test]
async fn a_certificate_no_root_vouches_for_is_refused() {
    let (_, config) = certificate();
    let (other_pem, _) = certificate();
    let dir = TempDir::new();
    let root = dir.0.join("other.pem");
    std::fs::write(&root, other_pem).unwrap();
    let (port, server) = stand_in_server(Some(config)).await;
    let url = format!("postgres://crumb_tls@localhost:{port}/crumb?sslmode=require&sslrootcert={}", root.display());

    let error = PgStore::connect(&url).await.unwrap_err().to_string();
    assert!(error.contains("TLS") || error.contains("certificate"), "{error}");
    assert_eq!(server.await.unwrap(), Seen::HandshakeFailed);
}

#[tokio::test]
async fn an_unreadable_sslrootcert_is_an_open_error_naming_it() {
    let url = "postgres://crumb_tls@localhost:1/crumb?sslmode=require&sslrootcert=/nonexistent/ca.pem";
    let error = PgStore::connect(url).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    assert!(text.contains("sslrootcert") && text.contains("/nonexistent/ca.pem"), "{text}");
}

#[tokio::test]
async fn require_fails_naming_tls_when_the_server_has_none() {
    let (port, server) = stand_in_server(None).await;
    let error =
        PgStore::connect(&format!("postgres://crumb_tls@localhost:{port}/crumb?sslmode=require")).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    assert!(text.contains("TLS"), "{text}");
    assert_eq!(server.await.unwrap(), Seen::TlsRefused);
}

#[tokio::test]
async fn prefer_encrypts_without_checking_the_certificate() {
    let (_, config) = certificate();
    let (port, server) = stand_in_server(Some(config)).await;
    // No sslrootcert: the self-signed certificate is accepted, as libpq does.
    PgStore::connect(&format!("postgres://crumb_tls@localhost:{port}/crumb")).await.unwrap_err();
    assert!(matches!(server.await.unwrap(), Seen::StartupOverTls(_)));
}
