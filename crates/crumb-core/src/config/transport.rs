//! How crumb itself is reached: `[server] tls_cert`/`tls_key` (HTTPS served
//! by crumb from PEM files) and `[server] development` (development mode
//! for `*.test`, `*.localhost` and loopback names).
//!
//! This checks the settings as written (both files or neither; development
//! mode only for development names); it does not read the PEM files — the
//! binary does that at startup and names the file that is wrong.

use std::path::PathBuf;

use super::findings::Findings;
use super::raw::RawServer;

/// `[server] tls_cert` and `tls_key`: the PEM files crumb serves HTTPS from.
/// Relative paths are relative to the working directory, like
/// `keys.secret_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, PEM (`-----BEGIN CERTIFICATE-----`), leaf first.
    pub cert: PathBuf,
    /// The private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl TlsFiles {
    /// Both files, or neither; `Err` names the one that is missing.
    pub fn pair(cert: Option<PathBuf>, key: Option<PathBuf>) -> Result<Option<TlsFiles>, String> {
        match (cert, key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) if cert.as_os_str().is_empty() || key.as_os_str().is_empty() => {
                Err("tls_cert and tls_key must name files, not be empty".to_owned())
            }
            (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
            (Some(_), None) => Err("tls_cert is set but tls_key is not: HTTPS needs both PEM files".to_owned()),
            (None, Some(_)) => Err("tls_key is set but tls_cert is not: HTTPS needs both PEM files".to_owned()),
        }
    }
}

/// `[server] tls_cert`, `tls_key` and `development`, checked: the TLS
/// files (both or neither) and whether development mode is on (only for
/// origins [`is_development_origin`] accepts).
pub(super) fn section(server: &RawServer, origins: &[String], findings: &mut Findings<'_>) -> (Option<TlsFiles>, bool) {
    let cert = server.tls_cert.as_ref().map(|c| c.get_ref().clone());
    let key = server.tls_key.as_ref().map(|k| k.get_ref().clone());
    let tls = match TlsFiles::pair(cert, key) {
        Ok(tls) => tls,
        Err(message) => {
            let span = server.tls_cert.as_ref().or(server.tls_key.as_ref()).map(|s| s.span()).unwrap_or(0..0);
            findings.error_at(span, format!("server.{message}"));
            None
        }
    };
    let development = server.development.as_ref().is_some_and(|d| *d.get_ref());
    if let Some(setting) = server.development.as_ref().filter(|_| development) {
        for refusal in development_refusals(origins) {
            findings.error_at(setting.span(), format!("server.development: {refusal}"));
        }
    }
    (tls, development)
}

/// Why development mode cannot serve these origins: one line per origin
/// that is not a development name. Empty when it can.
pub fn development_refusals(origins: &[String]) -> Vec<String> {
    origins
        .iter()
        .filter(|origin| !is_development_origin(origin))
        .map(|origin| {
            format!(
                "{origin:?} is not a development name: development mode is only for *.test, *.localhost, \
                 localhost and loopback addresses (RFC 6761 §6.2, §6.3), never for a public site"
            )
        })
        .collect()
}

/// Whether an origin's host is a development name: a loopback address,
/// `localhost`, a name under `.localhost` (RFC 6761 §6.3) or under `.test`
/// (RFC 6761 §6.2, reserved for testing, never delegated), on http or https.
pub fn is_development_origin(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")) else {
        return false;
    };
    let Some((host, _port)) = super::split_authority(rest.trim_end_matches('/')) else { return false };
    if let Some(inside) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inside.parse::<std::net::Ipv6Addr>().is_ok_and(|a| a.is_loopback());
    }
    host == "localhost"
        || (host.ends_with(".localhost") && host.len() > ".localhost".len())
        || (host.ends_with(".test") && host.len() > ".test".len())
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_names_are_test_localhost_and_loopback_only() {
        for origin in [
            "http://shop.test",
            "http://www.shop.test:8080",
            "https://shop.test",
            "http://app.localhost:3000",
            "http://localhost",
            "http://127.0.0.1:8080",
            "http://[::1]:9000",
        ] {
            assert!(is_development_origin(origin), "{origin}");
        }
        for origin in [
            "https://shop.example",
            "http://test",
            "http://shop.test.example",
            "http://localhost.evil.example",
            "http://10.0.0.1",
            "ftp://shop.test",
        ] {
            assert!(!is_development_origin(origin), "{origin}");
        }
    }

    #[test]
    fn tls_files_come_in_pairs() {
        assert_eq!(TlsFiles::pair(None, None), Ok(None));
        let pair = TlsFiles::pair(Some("c.pem".into()), Some("k.pem".into())).unwrap().unwrap();
        assert_eq!((pair.cert, pair.key), (PathBuf::from("c.pem"), PathBuf::from("k.pem")));
        assert!(TlsFiles::pair(Some("c.pem".into()), None).unwrap_err().contains("tls_key is not"));
        assert!(TlsFiles::pair(None, Some("k.pem".into())).unwrap_err().contains("tls_cert is not"));
        assert!(TlsFiles::pair(Some("".into()), Some("k.pem".into())).unwrap_err().contains("not be empty"));
    }
}
