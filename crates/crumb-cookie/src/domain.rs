//! Host names, domain matching and public suffixes (RFC 6265bis §5.1.2,
//! §5.1.3 and the public-suffix step of §5.7).
//!
//! The public suffix list is the `psl` crate's compiled-in copy, ICANN and
//! private sections both, as Chromium uses for cookies.

use std::net::{IpAddr, Ipv6Addr};

/// Why a `Domain` attribute value cannot name a host.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The value is not valid UTF-8.
    #[error("the Domain value is not valid UTF-8")]
    NotUtf8,
    /// The value holds a '%', which Chromium refuses outright.
    #[error("the Domain value contains '%'")]
    PercentEscape,
    /// The value is not a valid host name (§5.1.2).
    #[error("the Domain value is not a valid host name: {0}")]
    InvalidHost(String),
}

/// Canonicalises a `Domain` attribute value (§5.1.2): lower-case, IDNA
/// A-labels, IP addresses in their canonical form.
pub fn canonicalize_domain(raw: &[u8]) -> Result<String, DomainError> {
    if raw.contains(&b'%') {
        return Err(DomainError::PercentEscape);
    }
    let text = std::str::from_utf8(raw).map_err(|_| DomainError::NotUtf8)?;
    if text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_') {
        // The common case needs no IDNA processing.
        return Ok(text.to_ascii_lowercase());
    }
    match url::Host::parse(text) {
        Ok(url::Host::Domain(domain)) => Ok(domain),
        Ok(url::Host::Ipv4(ip)) => Ok(ip.to_string()),
        Ok(url::Host::Ipv6(ip)) => Ok(format!("[{ip}]")),
        Err(e) => Err(DomainError::InvalidHost(e.to_string())),
    }
}

/// Whether `host` (canonical) is an IP address literal, IPv6 in brackets.
pub fn is_ip_literal(host: &str) -> bool {
    // Cheap pre-check: an IPv4 literal ends in a digit, an IPv6 one starts with '['.
    if !host.starts_with('[') && !host.ends_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok();
    }
    host.parse::<IpAddr>().is_ok()
}

/// Domain matching, RFC 6265bis §5.1.3: `host` equals `domain`, or `domain`
/// is a suffix of `host` preceded by a '.' and `host` is a host name, not an
/// IP address.
pub fn domain_match(host: &str, domain: &str) -> bool {
    if host == domain {
        return true;
    }
    host.len() > domain.len()
        && host.ends_with(domain)
        && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
        && !is_ip_literal(host)
}

/// The registrable domain (eTLD+1) of a canonical host, as Chromium computes
/// it for cookies (`GetDomainAndRegistry` with unknown registries included):
/// `None` for IP addresses, single-label hosts and public suffixes themselves.
///
/// A top-level domain the list does not name (`.test`, `.localhost`,
/// `.internal`, anything made up) falls under the list's default rule `*`:
/// its last label is the public suffix, so `www.example.test` has the
/// registrable domain `example.test`, exactly as for `www.example.com`.
pub fn registrable_domain(host: &str) -> Option<&str> {
    if is_ip_literal(host) {
        return None;
    }
    let trimmed = host.strip_suffix('.').unwrap_or(host);
    // PSL algorithm step "if no rules match, the prevailing rule is *": the
    // `psl` crate applies it, and Chromium (`GetRegistryLengthImpl` with
    // INCLUDE_UNKNOWN_REGISTRIES) does too, so an unknown suffix is kept.
    // A single label has no registrable domain: `psl::domain` answers `None`.
    let domain = psl::domain(trimmed.as_bytes())?;
    let len = domain.as_bytes().len();
    // The registrable domain is a suffix of the host; keep a trailing dot if the host had one.
    let start = trimmed.len() - len;
    Some(&host[start..])
}

/// Whether `domain` is a public suffix: one the list names, or a single label
/// (the list's default rule `*` makes every top-level domain one).
pub fn is_public_suffix(domain: &str) -> bool {
    let trimmed = domain.strip_suffix('.').unwrap_or(domain);
    match psl::suffix(trimmed.as_bytes()) {
        Some(suffix) => suffix.as_bytes().len() == trimmed.len(),
        None => false,
    }
}

/// The key a jar files a cookie under: the registrable domain of its domain,
/// or the domain itself when it has none (IP addresses, single labels,
/// public suffixes). Every host that can receive the cookie has the
/// same key, so a lookup only visits the cookies of one site.
pub fn site_key(domain: &str) -> &str {
    registrable_domain(domain).unwrap_or(domain)
}

/// Whether a host counts as a potentially trustworthy origin for cookies
/// (`localhost`, `*.localhost`, and loopback addresses), as Chromium treats
/// them like secure schemes.
pub fn is_localhost(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_match_5_1_3() {
        assert!(domain_match("example.com", "example.com"));
        assert!(domain_match("www.example.com", "example.com"));
        assert!(!domain_match("wwwexample.com", "example.com"));
        assert!(!domain_match("example.com", "www.example.com"));
        assert!(!domain_match("1.2.3.4", "2.3.4"), "IP addresses never domain-match a suffix");
    }

    #[test]
    fn registrable_domain_follows_the_list() {
        assert_eq!(registrable_domain("a.b.example.co.uk"), Some("example.co.uk"));
        assert_eq!(registrable_domain("foo.github.io"), Some("foo.github.io"));
        assert_eq!(registrable_domain("co.uk"), None);
        assert_eq!(registrable_domain("127.0.0.1"), None);
    }

    #[test]
    fn unlisted_tlds_fall_under_the_default_rule() {
        // PSL default rule `*`, as Chromium's GetDomainAndRegistry applies it.
        for (host, site) in [
            ("foo.notatld", "foo.notatld"),
            ("www.example.test", "example.test"),
            ("example.test", "example.test"),
            ("a.b.app.localhost", "app.localhost"),
            ("db.corp.internal", "corp.internal"),
            ("printer.local", "printer.local"),
            ("www.example.example", "example.example"),
            ("www.example.test.", "example.test."),
        ] {
            assert_eq!(registrable_domain(host), Some(site), "{host}");
        }
        for host in ["test", "localhost", "internal", "intranet", "[::1]", "10.0.0.1"] {
            assert_eq!(registrable_domain(host), None, "{host}");
        }
        assert!(is_public_suffix("test"));
        assert!(is_public_suffix("localhost"));
        assert!(!is_public_suffix("example.test"));
        assert_eq!(site_key("www.example.test"), "example.test");
        assert_eq!(site_key("intranet"), "intranet");
    }

    #[test]
    fn public_suffixes() {
        assert!(is_public_suffix("com"));
        assert!(is_public_suffix("co.uk"));
        assert!(is_public_suffix("github.io"));
        assert!(!is_public_suffix("example.com"));
    }

    #[test]
    fn canonicalize() {
        assert_eq!(canonicalize_domain(b"ExAmple.COM").unwrap(), "example.com");
        assert_eq!(canonicalize_domain("bücher.de".as_bytes()).unwrap(), "xn--bcher-kva.de");
        assert_eq!(canonicalize_domain(b"ex%41mple.com"), Err(DomainError::PercentEscape));
        assert!(canonicalize_domain(b"exa mple.com").is_err());
    }

    #[test]
    fn localhost_and_loopback() {
        assert!(is_localhost("localhost"));
        assert!(is_localhost("app.localhost"));
        assert!(is_localhost("127.0.0.1"));
        assert!(is_localhost("[::1]"));
        assert!(!is_localhost("example.com"));
    }
}
