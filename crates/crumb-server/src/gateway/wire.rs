//! Consent enforced on the wire: which cookies the upstream may set
//! (`Set-Cookie` in its responses) and which it may read (`Cookie` in the
//! visitor's requests), given the categories the visitor granted.
//!
//! What it is: pure decisions over header values and the declaration — no
//! I/O, no HTTP types beyond header bytes. What it is not: the reading of
//! the consent cookie (that is [`crate::consent::granted_now`]) nor the
//! recording of what it finds (that is [`super::audit`]); cookies that a
//! page's scripts write through `document.cookie` never cross the wire as
//! `Set-Cookie`, and are crumb.js's to gate.

use std::collections::BTreeSet;

use crumb_cookie::{parse_cookie_header, SetCookie, Timestamp};
use crumb_core::category::Category;
use crumb_core::config::{Config, CookieDeclaration, UndeclaredCookies};
use crumb_core::declaration::Lifetime;

/// What the declaration says of one cookie name.
#[derive(Debug, Clone, Copy)]
pub enum Standing<'a> {
    /// One of crumb's own cookies (declared `set_by_crumb`): never the
    /// upstream's to read or to set. The site has no use for them, and the
    /// session, sign-in and remember-me cookies are credentials for crumb's
    /// accounts and admin pages that a site logging its request headers
    /// must not hold; a site that could set them could forge a consent.
    Own,
    /// Declared by the site, with whether its category is granted.
    Declared(&'a CookieDeclaration, bool),
    /// Not in the declaration, with whether `gateway.undeclared` lets it pass.
    Undeclared(bool),
}

impl Standing<'_> {
    /// Whether the cookie may cross the gateway.
    pub fn passes(self) -> bool {
        match self {
            Standing::Own => false,
            Standing::Declared(_, granted) | Standing::Undeclared(granted) => granted,
        }
    }
}

/// The rules for one request: the declaration and the categories granted.
#[derive(Debug)]
pub struct Rules<'a> {
    config: &'a Config,
    granted: BTreeSet<Category>,
    undeclared: UndeclaredCookies,
}

/// What [`Rules::filter_request`] makes of a request's `Cookie` headers.
#[derive(Debug, Default)]
pub struct RequestCookies<'a> {
    /// The `Cookie` header the upstream gets (`None`: none at all).
    pub header: Option<Vec<u8>>,
    /// Declared cookies the browser still holds although their category is
    /// refused: the response expires them (withdrawal).
    pub to_expire: Vec<&'a CookieDeclaration>,
    /// Names of undeclared cookies the browser sent.
    pub undeclared: Vec<String>,
}

/// What [`Rules::judge_set_cookie`] makes of one upstream `Set-Cookie`.
#[derive(Debug)]
pub struct SetCookieVerdict {
    /// Whether the header stays in the response.
    pub keep: bool,
    /// The cookie's name (`None` when the line does not parse).
    pub name: Option<String>,
    /// Its `Domain` attribute, as sent ("" when none: host-only).
    pub domain: String,
    /// Its `Path` attribute, as sent ("" when none).
    pub path: String,
    /// Whether the declaration does not name it.
    pub undeclared: bool,
    /// For a declared cookie: how it goes beyond its declaration (longer
    /// lifetime, weaker attributes), empty when it does not.
    pub beyond: Vec<String>,
}

/// Seconds of slack when comparing an `Expires` date with a declared
/// lifetime: the upstream computed it from its own clock a moment earlier.
const EXPIRES_SLACK_SECONDS: i64 = 300;

impl<'a> Rules<'a> {
    /// The rules for a visitor who granted `granted` (necessary is always granted).
    pub fn new(config: &'a Config, granted: BTreeSet<Category>, undeclared: UndeclaredCookies) -> Self {
        Rules { config, granted, undeclared }
    }

    /// What the declaration says of `name`.
    pub fn standing(&self, name: &str) -> Standing<'a> {
        match self.config.cookies.iter().find(|d| d.name == name) {
            Some(declaration) if declaration.set_by_crumb => Standing::Own,
            Some(declaration) => Standing::Declared(
                declaration,
                declaration.category == Category::Necessary || self.granted.contains(&declaration.category),
            ),
            None => Standing::Undeclared(self.undeclared == UndeclaredCookies::Allow),
        }
    }

    /// Filters a request's `Cookie` header values (RFC 6265bis §5.8.3 /
    /// §4.2.1: `name=value` pairs joined by `; `): the upstream gets only
    /// the pairs that pass, in their order and bytes.
    pub fn filter_request<'h>(&self, values: impl Iterator<Item = &'h [u8]>) -> RequestCookies<'a> {
        let mut kept: Vec<u8> = Vec::new();
        let mut out = RequestCookies::default();
        for value in values {
            for pair in parse_cookie_header(value) {
                // A name that is not UTF-8 is declared nowhere.
                let name = String::from_utf8_lossy(pair.name()).into_owned();
                let standing = self.standing(&name);
                match standing {
                    Standing::Declared(declaration, false)
                        if !out.to_expire.iter().any(|d| d.name == declaration.name) =>
                    {
                        out.to_expire.push(declaration);
                    }
                    Standing::Undeclared(_) if !out.undeclared.contains(&name) => out.undeclared.push(name),
                    _ => {}
                }
                if standing.passes() {
                    if !kept.is_empty() {
                        kept.extend_from_slice(b"; ");
                    }
                    kept.extend_from_slice(pair.name());
                    kept.push(b'=');
                    kept.extend_from_slice(pair.value());
                }
            }
        }
        out.header = (!kept.is_empty()).then_some(kept);
        out
    }

    /// Judges one `Set-Cookie` value from the upstream (parsed by the
    /// RFC 6265bis §5.6 algorithm). A line a browser would ignore (no
    /// name and value) is removed too: it sets nothing anyway.
    pub fn judge_set_cookie(&self, line: &[u8], now: Timestamp) -> SetCookieVerdict {
        let Ok(cookie) = SetCookie::parse_bytes(line) else {
            return SetCookieVerdict {
                keep: false,
                name: None,
                domain: String::new(),
                path: String::new(),
                undeclared: false,
                beyond: Vec::new(),
            };
        };
        let name = cookie.name_str().into_owned();
        let standing = self.standing(&name);
        let beyond = match standing {
            Standing::Declared(declaration, _) => beyond_declaration(declaration, &cookie, now),
            _ => Vec::new(),
        };
        SetCookieVerdict {
            keep: standing.passes(),
            domain: cookie.domain_attribute().map(|d| String::from_utf8_lossy(d).into_owned()).unwrap_or_default(),
            path: cookie.path().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default(),
            undeclared: matches!(standing, Standing::Undeclared(_)),
            name: Some(name),
            beyond,
        }
    }
}

/// How a `Set-Cookie` goes beyond its declaration: a lifetime longer than
/// declared (`Max-Age` wins over `Expires`, §5.6.2), `Secure` or
/// `HttpOnly` missing where declared.
fn beyond_declaration(declaration: &CookieDeclaration, cookie: &SetCookie<'_>, now: Timestamp) -> Vec<String> {
    let mut found = Vec::new();
    let lifetime = match (cookie.max_age(), cookie.expires()) {
        (Some(seconds), _) => Some(seconds),
        (None, Some(expires)) => Some((expires.unix_micros() - now.unix_micros()) / 1_000_000 - EXPIRES_SLACK_SECONDS),
        (None, None) => None,
    };
    match (declaration.lifetime, lifetime) {
        (Lifetime::Session, Some(seconds)) if seconds > 0 => {
            found.push(format!("lives {seconds} s; declared for the session"));
        }
        (Lifetime::Seconds(declared), Some(seconds)) if seconds > declared => {
            found.push(format!("lives {seconds} s; declared {declared} s"));
        }
        _ => {}
    }
    if declaration.secure && !cookie.secure() {
        found.push("without Secure; declared Secure".to_owned());
    }
    if declaration.http_only && !cookie.http_only() {
        found.push("without HttpOnly; declared HttpOnly".to_owned());
    }
    found
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn config() -> Config {
        crumb_core::config::parse(crumb_testsite::DECLARATION, "crumb.toml").unwrap()
    }

    #[test]
    fn before_consent_only_necessary_cookies_reach_the_upstream_and_refused_ones_are_expired() {
        let config = config();
        let rules = Rules::new(&config, BTreeSet::new(), UndeclaredCookies::Block);
        let header = b"shop_session=b1; site_stats=s1; mystery=m; __Host-crumb_consent=x";
        let out = rules.filter_request(std::iter::once(&header[..]));
        assert_eq!(out.header.as_deref(), Some(&b"shop_session=b1"[..]));
        assert_eq!(out.to_expire.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["site_stats"]);
        assert_eq!(out.undeclared, ["mystery"]);

        let granted = [Category::Statistics].into_iter().collect();
        let allowing = Rules::new(&config, granted, UndeclaredCookies::Allow);
        let out = allowing.filter_request(std::iter::once(&header[..]));
        assert_eq!(out.header.as_deref(), Some(&b"shop_session=b1; site_stats=s1; mystery=m"[..]));
        assert!(out.to_expire.is_empty());
    }

    #[test]
    fn set_cookies_are_judged_by_category_and_compared_with_the_declaration() {
        let config = config();
        let rules = Rules::new(&config, BTreeSet::new(), UndeclaredCookies::Block);
        let now = Timestamp::now();
        let necessary = rules.judge_set_cookie(b"shop_session=b; Path=/; HttpOnly", now);
        assert!(necessary.keep && necessary.beyond.is_empty());
        // Declared for the session and HttpOnly: a year without HttpOnly is beyond it twice.
        let weaker = rules.judge_set_cookie(b"shop_session=b; Path=/; Max-Age=31536000", now);
        assert!(weaker.keep);
        assert_eq!(weaker.beyond.len(), 2, "{:?}", weaker.beyond);
        let stats = rules.judge_set_cookie(b"site_stats=s; Path=/; Max-Age=2592000", now);
        assert!(!stats.keep && stats.beyond.is_empty() && !stats.undeclared);
        let mystery = rules.judge_set_cookie(b"mystery=m; Domain=shop.example; Path=/x", now);
        assert!(!mystery.keep && mystery.undeclared);
        assert_eq!((mystery.domain.as_str(), mystery.path.as_str()), ("shop.example", "/x"));
        let own = rules.judge_set_cookie(b"__Host-crumb_consent=forged; Path=/; Secure", now);
        assert!(!own.keep, "the upstream cannot set crumb's own cookies");
    }
}
