//! HTTPS served by crumb itself, from PEM files (`[server] tls_cert` and
//! `tls_key`, or `crumb serve --tls-cert/--tls-key`): the rustls server
//! configuration (the ring provider, the one the workspace uses; TLS 1.2
//! and 1.3; ALPN `http/1.1` only — HTTP/2 is not offered: over TLS, an
//! idle HTTP/2 client kept a graceful stop waiting out its whole grace
//! period) and a listener that hands axum connections
//! whose handshake is done.
//!
//! It is not a certificate manager: no ACME, no reload — renewing a
//! certificate means restarting crumb (a graceful stop drains requests).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use crumb_core::config::TlsFiles;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to finish its TLS handshake before the
/// connection is dropped (a client that opens connections and says nothing
/// holds only a task, and only this long).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshaken connections waiting for axum to take them.
const QUEUE: usize = 128;

/// Reads the certificate chain and key and builds the TLS acceptor; every
/// error names the file and what is wrong with it.
pub fn acceptor(files: &TlsFiles) -> anyhow::Result<TlsAcceptor> {
    let chain = certificates(&files.cert)?;
    let key = private_key(&files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS: the ring provider offers no safe protocol version")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "TLS: the key in {} does not go with the certificate in {} (or is of a kind rustls cannot use)",
                files.key.display(),
                files.cert.display()
            )
        })?;
    // RFC 7301 §3.1: a client that offers only h2 gets no_application_protocol.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("TLS {what} file {}: cannot read it", path.display()))
}

/// The PEM certificates in `path`, leaf first; at least one.
fn certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = read(path, "certificate")?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("TLS certificate file {}: not valid PEM", path.display()))?;
    if chain.is_empty() {
        anyhow::bail!(
            "TLS certificate file {}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(chain)
}

/// The first PEM private key in `path` (PKCS#8, PKCS#1 or SEC1).
fn private_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let bytes = read(path, "key")?;
    PrivateKeyDer::from_pem_slice(&bytes).with_context(|| {
        format!("TLS key file {}: holds no PEM private key (-----BEGIN PRIVATE KEY-----)", path.display())
    })
}

/// A listener whose connections have finished their TLS handshake.
/// Handshakes run in their own tasks, so a slow or silent client does not
/// hold up the others.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `listener` and runs each connection's handshake with
    /// `acceptor`; stops accepting (closing the socket) once this listener
    /// is dropped, as axum does on a graceful shutdown.
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (handshaken, ready) = mpsc::channel(QUEUE);
        tokio::spawn(accept_loop(listener, acceptor, handshaken));
        Ok(TlsListener { ready, local })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    handshaken: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let accepted = tokio::select! {
            () = handshaken.closed() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(connection) => connection,
            Err(error) => {
                // Out of file descriptors and the like: wait, as axum does for plain TCP.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let (acceptor, handshaken) = (acceptor.clone(), handshaken.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let _ = handshaken.send((stream, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accept loop ends only when this receiver is gone, so this is not reached.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
