//! Writing `Set-Cookie` headers on a server, with safe defaults.
//!
//! [`ResponseCookie`] starts `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`
//! and refuses, with a precise error, anything a browser would drop: names
//! that are not tokens, values with characters outside `cookie-octet`,
//! prefix violations, lifetimes over 400 days, oversize cookies.

use std::fmt::Write as _;

use crate::jar::MAX_COOKIE_AGE_SECONDS;
use crate::set_cookie::{SameSite, MAX_ATTRIBUTE_VALUE_BYTES, MAX_NAME_VALUE_BYTES};
use crate::time::Timestamp;

/// Why a cookie cannot be written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The name is empty.
    #[error("RFC 6265bis §4.1.1: a cookie name must not be empty")]
    EmptyName,
    /// The name holds a byte that is not a `token` character.
    #[error("RFC 6265bis §4.1.1: cookie name byte 0x{byte:02X} at {index} is not a token character (RFC 9110 §5.6.2)")]
    InvalidName {
        /// The byte.
        byte: u8,
        /// Its position.
        index: usize,
    },
    /// The value holds a byte outside `cookie-octet`.
    #[error("RFC 6265bis §4.1.1: cookie value byte 0x{byte:02X} at {index} is not a cookie-octet (encode the value, e.g. base64url)")]
    InvalidValue {
        /// The byte.
        byte: u8,
        /// Its position.
        index: usize,
    },
    /// Name and value exceed 4096 bytes together.
    #[error("RFC 6265bis §5.6 step 6: name and value are {len} bytes together; browsers drop cookies over 4096")]
    TooLarge {
        /// The combined length.
        len: usize,
    },
    /// A `Domain` or `Path` value browsers would ignore or that would break the header.
    #[error("RFC 6265bis §4.1.1: invalid {attribute} value: {reason}")]
    InvalidAttribute {
        /// `Domain` or `Path`.
        attribute: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A lifetime over 400 days.
    #[error("RFC 6265bis §5.5: a lifetime of {seconds} s is over the 400-day limit browsers enforce")]
    LifetimeTooLong {
        /// The requested lifetime.
        seconds: i64,
    },
    /// A `__Secure-` cookie without `Secure`.
    #[error("RFC 6265bis §4.1.3.1: a __Secure- cookie must be Secure")]
    SecurePrefix,
    /// A `__Host-` cookie without `Secure`, with a `Domain` or a path other than `/`.
    #[error("RFC 6265bis §4.1.3.2: a __Host- cookie must be Secure, have no Domain and Path=/")]
    HostPrefix,
    /// `SameSite=None` without `Secure`.
    #[error("RFC 6265bis §5.7 step 19: SameSite=None requires Secure")]
    SameSiteNoneWithoutSecure,
    /// `Partitioned` without `Secure`.
    #[error("CHIPS: a Partitioned cookie must be Secure")]
    PartitionedWithoutSecure,
}

/// When a cookie ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// A session cookie: no `Expires`, no `Max-Age`.
    Session,
    /// `Max-Age` in seconds (0 removes the cookie).
    MaxAge(i64),
    /// `Expires` at an instant.
    Expires(Timestamp),
}

/// A `Set-Cookie` header a server sends.
///
/// ```
/// use crumb_cookie::ResponseCookie;
///
/// let header = ResponseCookie::new("theme", "dark").max_age(3600).to_header_value().unwrap();
/// assert_eq!(header, "theme=dark; Max-Age=3600; Path=/; Secure; HttpOnly; SameSite=Lax");
///
/// let session = ResponseCookie::host_prefixed("sid", "k3y").to_header_value().unwrap();
/// assert_eq!(session, "__Host-sid=k3y; Path=/; Secure; HttpOnly; SameSite=Lax");
///
/// assert!(ResponseCookie::new("bad name", "v").to_header_value().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseCookie {
    name: String,
    value: String,
    lifetime: Lifetime,
    domain: Option<String>,
    path: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    partitioned: bool,
}

impl ResponseCookie {
    /// A cookie with the safe defaults: session lifetime, `Path=/`,
    /// `Secure`, `HttpOnly`, `SameSite=Lax`.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        ResponseCookie {
            name: name.into(),
            value: value.into(),
            lifetime: Lifetime::Session,
            domain: None,
            path: Some("/".to_owned()),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            partitioned: false,
        }
    }

    /// A `__Host-` cookie: the strongest binding to this origin a browser offers.
    pub fn host_prefixed(name: &str, value: impl Into<String>) -> Self {
        ResponseCookie::new(format!("__Host-{name}"), value)
    }

    /// A header that removes the cookie `name` (empty value, `Max-Age=0`).
    /// Domain and path must match the cookie being removed.
    pub fn removal(name: impl Into<String>) -> Self {
        ResponseCookie::new(name, "").max_age(0)
    }

    /// Sets `Max-Age`.
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.lifetime = Lifetime::MaxAge(seconds);
        self
    }

    /// Sets `Expires`.
    pub fn expires(mut self, at: Timestamp) -> Self {
        self.lifetime = Lifetime::Expires(at);
        self
    }

    /// Sets the lifetime.
    pub fn lifetime(mut self, lifetime: Lifetime) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// Sets `Domain` (the cookie then goes to subdomains too).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Sets `Path`; `None` leaves it to the browser's default-path.
    pub fn path(mut self, path: Option<&str>) -> Self {
        self.path = path.map(str::to_owned);
        self
    }

    /// Sets or clears `Secure`.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Sets or clears `HttpOnly` (clear it only for cookies scripts must read).
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// Sets `SameSite`.
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Sets or clears `Partitioned` (CHIPS).
    pub fn partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// Checks the cookie against the rules browsers apply, at `now` for an `Expires` date.
    pub fn validate_at(&self, now: Timestamp) -> Result<(), BuildError> {
        validate_name(&self.name)?;
        validate_value(&self.value)?;
        let len = self.name.len() + self.value.len();
        if len > MAX_NAME_VALUE_BYTES {
            return Err(BuildError::TooLarge { len });
        }
        match self.lifetime {
            Lifetime::MaxAge(seconds) if seconds > MAX_COOKIE_AGE_SECONDS => {
                return Err(BuildError::LifetimeTooLong { seconds });
            }
            Lifetime::Expires(at) if at > now.add_seconds(MAX_COOKIE_AGE_SECONDS) => {
                return Err(BuildError::LifetimeTooLong { seconds: at.unix_seconds() - now.unix_seconds() });
            }
            _ => {}
        }
        if let Some(domain) = &self.domain {
            validate_attribute("Domain", domain)?;
            if domain.is_empty() || !domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
                return Err(BuildError::InvalidAttribute { attribute: "Domain", reason: "must be an ASCII host name" });
            }
        }
        if let Some(path) = &self.path {
            validate_attribute("Path", path)?;
            if !path.starts_with('/') {
                return Err(BuildError::InvalidAttribute { attribute: "Path", reason: "must start with '/'" });
            }
        }
        let lower = self.name.to_ascii_lowercase();
        if lower.starts_with("__secure-") && !self.secure {
            return Err(BuildError::SecurePrefix);
        }
        if lower.starts_with("__host-") && (!self.secure || self.domain.is_some() || self.path.as_deref() != Some("/"))
        {
            return Err(BuildError::HostPrefix);
        }
        if self.same_site == SameSite::None && !self.secure {
            return Err(BuildError::SameSiteNoneWithoutSecure);
        }
        if self.partitioned && !self.secure {
            return Err(BuildError::PartitionedWithoutSecure);
        }
        Ok(())
    }

    /// The `Set-Cookie` header value, checked against the system clock.
    pub fn to_header_value(&self) -> Result<String, BuildError> {
        self.to_header_value_at(Timestamp::now())
    }

    /// The `Set-Cookie` header value, checked at `now`.
    pub fn to_header_value_at(&self, now: Timestamp) -> Result<String, BuildError> {
        self.validate_at(now)?;
        let mut out = String::with_capacity(self.name.len() + self.value.len() + 64);
        // Writing to a String cannot fail.
        let _ = write!(out, "{}={}", self.name, self.value);
        match self.lifetime {
            Lifetime::Session => {}
            Lifetime::MaxAge(seconds) => {
                let _ = write!(out, "; Max-Age={seconds}");
            }
            Lifetime::Expires(at) => {
                let _ = write!(out, "; Expires={at}");
            }
        }
        if let Some(domain) = &self.domain {
            let _ = write!(out, "; Domain={domain}");
        }
        if let Some(path) = &self.path {
            let _ = write!(out, "; Path={path}");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if let Some(same_site) = self.same_site.as_attribute_value() {
            let _ = write!(out, "; SameSite={same_site}");
        }
        if self.partitioned {
            out.push_str("; Partitioned");
        }
        Ok(out)
    }
}

/// `cookie-name = token` (RFC 6265bis §4.1.1, RFC 9110 §5.6.2).
fn validate_name(name: &str) -> Result<(), BuildError> {
    if name.is_empty() {
        return Err(BuildError::EmptyName);
    }
    match name.bytes().position(|b| !is_tchar(b)) {
        Some(index) => Err(BuildError::InvalidName { byte: name.as_bytes()[index], index }),
        None => Ok(()),
    }
}

/// `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )`.
fn validate_value(value: &str) -> Result<(), BuildError> {
    let inner = match value.as_bytes() {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    };
    let offset = usize::from(inner.len() != value.len());
    match inner.iter().position(|&b| !is_cookie_octet(b)) {
        Some(index) => Err(BuildError::InvalidValue { byte: inner[index], index: index + offset }),
        None => Ok(()),
    }
}

fn validate_attribute(attribute: &'static str, value: &str) -> Result<(), BuildError> {
    if value.len() > MAX_ATTRIBUTE_VALUE_BYTES {
        return Err(BuildError::InvalidAttribute { attribute, reason: "longer than 1024 bytes, browsers ignore it" });
    }
    if value.bytes().any(|b| b == b';' || b.is_ascii_control()) {
        return Err(BuildError::InvalidAttribute { attribute, reason: "contains ';' or a control character" });
    }
    Ok(())
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 6265bis §4.1.1 `cookie-octet`: `%x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::from_unix_seconds(1_767_225_600)
    }

    #[test]
    fn defaults_are_safe() {
        let header = ResponseCookie::new("a", "b").to_header_value_at(now()).unwrap();
        assert_eq!(header, "a=b; Path=/; Secure; HttpOnly; SameSite=Lax");
    }

    #[test]
    fn refuses_what_browsers_drop() {
        let at = now();
        assert_eq!(ResponseCookie::new("", "b").to_header_value_at(at), Err(BuildError::EmptyName));
        assert_eq!(
            ResponseCookie::new("a;b", "v").to_header_value_at(at),
            Err(BuildError::InvalidName { byte: b';', index: 1 })
        );
        assert_eq!(
            ResponseCookie::new("\u{2000}__Host-sid", "v").to_header_value_at(at),
            Err(BuildError::InvalidName { byte: 0xE2, index: 0 })
        );
        assert_eq!(
            ResponseCookie::new("a", "b c").to_header_value_at(at),
            Err(BuildError::InvalidValue { byte: b' ', index: 1 })
        );
        assert!(ResponseCookie::new("a", "\"quoted\"").to_header_value_at(at).is_ok());
        assert_eq!(
            ResponseCookie::new("a", "b").max_age(400 * 86_400 + 1).to_header_value_at(at),
            Err(BuildError::LifetimeTooLong { seconds: 400 * 86_400 + 1 })
        );
        assert!(ResponseCookie::new("a", "b").max_age(400 * 86_400).to_header_value_at(at).is_ok());
        assert_eq!(
            ResponseCookie::new("a", "b").expires(at.add_seconds(401 * 86_400)).to_header_value_at(at),
            Err(BuildError::LifetimeTooLong { seconds: 401 * 86_400 })
        );
        assert_eq!(
            ResponseCookie::new("a", "x".repeat(4096)).to_header_value_at(at),
            Err(BuildError::TooLarge { len: 4097 })
        );
    }

    #[test]
    fn prefix_rules() {
        let at = now();
        assert_eq!(
            ResponseCookie::new("__Secure-a", "b").secure(false).to_header_value_at(at),
            Err(BuildError::SecurePrefix)
        );
        assert_eq!(
            ResponseCookie::new("__Host-a", "b").domain("example.com").to_header_value_at(at),
            Err(BuildError::HostPrefix)
        );
        assert_eq!(
            ResponseCookie::new("__host-a", "b").path(Some("/x")).to_header_value_at(at),
            Err(BuildError::HostPrefix)
        );
        assert!(ResponseCookie::host_prefixed("a", "b").to_header_value_at(at).is_ok());
        assert_eq!(
            ResponseCookie::new("a", "b").same_site(SameSite::None).secure(false).to_header_value_at(at),
            Err(BuildError::SameSiteNoneWithoutSecure)
        );
    }

    #[test]
    fn removal_and_expires() {
        let at = now();
        assert_eq!(
            ResponseCookie::removal("a").to_header_value_at(at).unwrap(),
            "a=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
        let header = ResponseCookie::new("a", "b").expires(at.add_seconds(60)).to_header_value_at(at).unwrap();
        assert!(header.contains("Expires=Thu, 01 Jan 2026 00:01:00 GMT"), "{header}");
    }
}
