//! TLS to PostgreSQL: rustls behind tokio-postgres's [`MakeTlsConnect`].
//!
//! tokio-postgres decides from the URL's `sslmode` whether to ask for TLS
//! (`disable`: never; `prefer`, the default: when the server offers it;
//! `require`: always, failing if the server refuses). This module only does
//! the handshake, checking the server's certificate as [`Roots`] says: as
//! libpq does, `prefer` and `require` encrypt without checking it (a
//! distribution's PostgreSQL often runs with a self-signed "snakeoil"
//! certificate) unless `sslrootcert` names a CA file; `verify-ca` and
//! `verify-full` check it against that file or the system's trust store.
//! A checked certificate is always checked with its host name (libpq's
//! `verify-ca` skips the name; here it is as strict as `verify-full`).
//!
//! No channel binding (`tls-server-end-point`) is offered: SCRAM runs
//! without the `-PLUS` variant, which `channel_binding=prefer` (the
//! default) accepts.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use super::BACKEND;
use crate::StoreError;

/// How the server's certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    /// Not at all: the connection is encrypted against eavesdropping, not
    /// against a man in the middle (libpq's `prefer` and `require`).
    Unchecked,
    /// The system's trust store (`rustls-native-certs`: the distribution's
    /// CA bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR`).
    System,
    /// The PEM file named by `sslrootcert`.
    File(PathBuf),
}

/// Makes a rustls handshake per connection; cheap to clone.
#[derive(Clone)]
pub(crate) struct MakeRustls {
    config: Arc<ClientConfig>,
}

impl MakeRustls {
    /// Loads the roots and builds the client configuration (ring, TLS 1.2
    /// and 1.3). Fails if no root certificate can be loaded.
    pub(crate) fn new(roots: &Roots) -> Result<Self, StoreError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::open_during(BACKEND, "TLS configuration", e))?;
        let mut store = RootCertStore::empty();
        match roots {
            Roots::Unchecked => {
                let config = builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
                    .with_no_client_auth();
                return Ok(MakeRustls { config: Arc::new(config) });
            }
            Roots::System => {
                // Unreadable entries are skipped, as a browser would; none at all is an error.
                let found = rustls_native_certs::load_native_certs();
                let (added, _ignored) = store.add_parsable_certificates(found.certs);
                if added == 0 {
                    return Err(StoreError::open_message(
                        BACKEND,
                        "TLS: no root certificate in the system's trust store (install the CA bundle, \
                         or name the server's CA with sslrootcert=/path, or set sslmode=disable)",
                    ));
                }
            }
            Roots::File(path) => {
                for certificate in read_pem(path)? {
                    store.add(certificate).map_err(|e| {
                        StoreError::open_during(BACKEND, &format!("TLS: sslrootcert {}", path.display()), e)
                    })?;
                }
            }
        }
        let config = builder.with_root_certificates(store).with_no_client_auth();
        Ok(MakeRustls { config: Arc::new(config) })
    }
}

/// Accepts any certificate (libpq's `sslmode=prefer` and `require`), but
/// still checks the handshake's signatures: the session is encrypted to
/// whoever holds the key of the certificate shown.
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The certificates of a PEM file; at least one.
fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, StoreError> {
    let during = format!("TLS: reading sslrootcert {}", path.display());
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|e| StoreError::open_during(BACKEND, &during, e))?;
    if certificates.is_empty() {
        return Err(StoreError::open_message(BACKEND, format!("{during}: no certificate in it")));
    }
    Ok(certificates)
}

impl<S> MakeTlsConnect<S> for MakeRustls
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnect, io::Error> {
        // A Unix socket has no host name (""): the connector is made anyway,
        // and fails only if the server offers TLS there.
        let name = ServerName::try_from(domain.to_owned()).ok();
        Ok(RustlsConnect { config: Arc::clone(&self.config), name })
    }
}

/// One connection's handshake.
pub(crate) struct RustlsConnect {
    config: Arc<ClientConfig>,
    name: Option<ServerName<'static>>,
}

impl<S> TlsConnect<S> for RustlsConnect
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let name = self.name.ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "no valid host name to check the certificate against")
            })?;
            let stream = tokio_rustls::TlsConnector::from(self.config).connect(name, stream).await?;
            Ok(RustlsStream(stream))
        })
    }
}

/// A TLS connection to the server.
pub(crate) struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}
