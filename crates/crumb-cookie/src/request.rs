//! The request a jar stores cookies from or attaches cookies to: its URL, as
//! a browser canonicalises it, and its context (same-site or cross-site,
//! method, top-level navigation, HTTP or script).

use crate::domain;

/// Why a URL cannot be used with a cookie jar.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The URL does not parse.
    #[error("invalid URL: {0}")]
    Invalid(#[from] url::ParseError),
    /// The URL has no host (`data:`, `file:` and the like).
    #[error("the URL has no host, so it cannot hold cookies")]
    NoHost,
}

/// A request URL reduced to what cookies care about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestUrl {
    scheme: String,
    host: String,
    path: String,
}

impl RequestUrl {
    /// Parses and canonicalises a URL (WHATWG URL): host lower-cased with
    /// A-labels. Percent-escapes in the path are kept as they are: Chromium
    /// does not path-match `/f%6Fo` against a cookie path `/foo`
    /// (http-state `disabled-path0029`).
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let url = url::Url::parse(input)?;
        Self::from_url(&url)
    }

    /// From an already parsed URL.
    pub fn from_url(url: &url::Url) -> Result<Self, UrlError> {
        let host = url.host_str().ok_or(UrlError::NoHost)?;
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        Ok(RequestUrl { scheme: url.scheme().to_owned(), host: host.to_owned(), path: url.path().to_owned() })
    }

    /// The scheme, lower-case.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The canonical host (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The canonical path, without the query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the scheme is a secure one (`https`, `wss`).
    pub fn has_secure_scheme(&self) -> bool {
        matches!(self.scheme.as_str(), "https" | "wss")
    }

    /// The request's site: its registrable domain, or its host when it has none.
    pub fn site(&self) -> &str {
        domain::site_key(&self.host)
    }
}

/// How the request relates to the page that caused it (RFC 6265bis §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SiteRelation {
    /// Same-site: the request's site equals the top-level site and every
    /// ancestor's.
    SameSite,
    /// Cross-site.
    CrossSite,
}

/// Who is reading or writing cookies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// The HTTP layer (`Cookie` and `Set-Cookie` headers).
    Http,
    /// A "non-HTTP" API such as `document.cookie`: no `HttpOnly` cookies.
    Script,
}

/// The context of a request, which decides `SameSite` and `HttpOnly`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestContext {
    /// Same-site or cross-site (§5.2).
    pub site_relation: SiteRelation,
    /// Whether the method is "safe" (GET, HEAD, OPTIONS, TRACE).
    pub safe_method: bool,
    /// Whether the request navigates a top-level traversable.
    pub top_level_navigation: bool,
    /// HTTP or script.
    pub api: Api,
}

impl RequestContext {
    /// A top-level navigation the user typed: same-site, GET, HTTP.
    pub const fn typed_navigation() -> Self {
        RequestContext {
            site_relation: SiteRelation::SameSite,
            safe_method: true,
            top_level_navigation: true,
            api: Api::Http,
        }
    }

    /// A same-site subresource or fetch made over HTTP with `method`.
    pub fn same_site(method: &str) -> Self {
        RequestContext {
            site_relation: SiteRelation::SameSite,
            safe_method: is_safe_method(method),
            top_level_navigation: false,
            api: Api::Http,
        }
    }

    /// A cross-site top-level navigation (a link followed from another site) with `method`.
    pub fn cross_site_navigation(method: &str) -> Self {
        RequestContext {
            site_relation: SiteRelation::CrossSite,
            safe_method: is_safe_method(method),
            top_level_navigation: true,
            api: Api::Http,
        }
    }

    /// A cross-site subresource request (an image, an iframe, a fetch) with `method`.
    pub fn cross_site_subresource(method: &str) -> Self {
        RequestContext {
            site_relation: SiteRelation::CrossSite,
            safe_method: is_safe_method(method),
            top_level_navigation: false,
            api: Api::Http,
        }
    }

    /// `document.cookie` in a same-site document.
    pub const fn script() -> Self {
        RequestContext {
            site_relation: SiteRelation::SameSite,
            safe_method: true,
            top_level_navigation: false,
            api: Api::Script,
        }
    }
}

/// RFC 9110 §9.2.1 safe methods.
pub fn is_safe_method(method: &str) -> bool {
    ["GET", "HEAD", "OPTIONS", "TRACE"].iter().any(|m| m.eq_ignore_ascii_case(method))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalises_like_chromium() {
        let url = RequestUrl::parse("HTTP://Home.Example.ORG/cookie-parser-result/f%6Fo/bar?x").unwrap();
        assert_eq!(url.host(), "home.example.org");
        assert_eq!(url.path(), "/cookie-parser-result/f%6Fo/bar", "escapes are not decoded");
        assert_eq!(url.scheme(), "http");
    }

    #[test]
    fn hosts_are_required() {
        assert_eq!(RequestUrl::parse("data:text/plain,hi"), Err(UrlError::NoHost));
    }

    #[test]
    fn safe_methods() {
        assert!(is_safe_method("get"));
        assert!(!is_safe_method("POST"));
    }
}
