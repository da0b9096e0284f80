//! Where crumb's own routes live on the site's origin (`[server] prefix`),
//! and `[gateway]`: crumb in front of a site, as a reverse proxy that
//! enforces the declaration on the wire.

use std::time::Duration;

use super::findings::Findings;
use super::raw::{RawGateway, RawServer};
use super::DEFAULT_UPSTREAM_TIMEOUT_SECONDS;

/// The prefix crumb's own routes move under when it is a gateway and
/// `[server] prefix` does not say otherwise.
pub const DEFAULT_GATEWAY_PREFIX: &str = "/_crumb";
/// The longest `[gateway] timeout_seconds` accepts.
pub const MAX_UPSTREAM_TIMEOUT_SECONDS: u32 = 600;

/// What the gateway does with a cookie the declaration does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UndeclaredCookies {
    /// Removed from responses and requests (the default): the policy can
    /// only be true if nothing undeclared lands.
    Block,
    /// Passed through (still recorded for the audit).
    Allow,
}

/// `[gateway]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    /// The site behind crumb: `http://127.0.0.1:3000` (scheme, host, port;
    /// a path, if any, is prepended to every forwarded path).
    pub upstream: url::Url,
    /// What happens to undeclared cookies.
    pub undeclared: UndeclaredCookies,
    /// A path of the site's choosing that also serves the policy page
    /// (`/cookie-policy`), besides `{prefix}/policy`.
    pub policy_path: Option<String>,
    /// How long the upstream may take to send its response headers (504 after).
    pub timeout: Duration,
}

impl GatewaySettings {
    /// A gateway to `upstream` with every other setting at its default
    /// (what `crumb serve --upstream URL` builds when the file has no
    /// `[gateway]`).
    pub fn to(upstream: &str) -> Result<GatewaySettings, String> {
        Ok(GatewaySettings {
            upstream: parse_upstream(upstream)?,
            undeclared: UndeclaredCookies::Block,
            policy_path: None,
            timeout: Duration::from_secs(DEFAULT_UPSTREAM_TIMEOUT_SECONDS.into()),
        })
    }
}

/// An upstream URL: `http` or `https`, with a host, without a query,
/// fragment or credentials.
pub fn parse_upstream(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?}: the upstream must be an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?}: the upstream URL needs a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?}: the upstream URL must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text:?}: the upstream URL must not hold credentials"));
    }
    Ok(url)
}

/// Whether `path` can be a mount point: empty (the root), or `/` followed
/// by segments of letters, digits, `-`, `_` and `.`, without a trailing
/// slash, `..` or an empty segment.
pub fn check_path_prefix(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Ok(());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("{path:?} must start with /"));
    };
    let well_formed = !rest.is_empty()
        && rest.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if !well_formed {
        return Err(format!(
            "{path:?} must be / and segments of letters, digits, '-', '_' or '.', with no trailing slash"
        ));
    }
    Ok(())
}

/// `[server] prefix` and `[gateway]`: the prefix crumb's routes live under
/// ("" at the root; [`DEFAULT_GATEWAY_PREFIX`] for a gateway) and the
/// gateway, if any.
pub(super) fn section(
    server: &RawServer,
    gateway: Option<&RawGateway>,
    findings: &mut Findings<'_>,
) -> (String, Option<GatewaySettings>) {
    let prefix = match (&server.prefix, gateway) {
        (Some(prefix), _) => {
            if let Err(why) = check_path_prefix(prefix.get_ref()) {
                findings.error_at(prefix.span(), format!("server.prefix: {why}"));
            }
            if prefix.get_ref().is_empty() && gateway.is_some() {
                findings.error_at(
                    prefix.span(),
                    "server.prefix: a gateway needs a prefix for crumb's own routes (such as \"/_crumb\"), or they \
                     would hide the site's own pages"
                        .into(),
                );
            }
            prefix.get_ref().clone()
        }
        (None, Some(_)) => DEFAULT_GATEWAY_PREFIX.to_owned(),
        (None, None) => String::new(),
    };
    let Some(gateway) = gateway else { return (prefix, None) };
    let upstream = match parse_upstream(gateway.upstream.get_ref()) {
        Ok(url) => Some(url),
        Err(why) => {
            findings.error_at(gateway.upstream.span(), format!("gateway.upstream: {why}"));
            None
        }
    };
    let undeclared = match gateway.undeclared.as_ref().map(|u| (u.get_ref().as_str(), u.span())) {
        None | Some(("block", _)) => UndeclaredCookies::Block,
        Some(("allow", _)) => UndeclaredCookies::Allow,
        Some((other, span)) => {
            findings.error_at(span, format!("gateway.undeclared = {other:?}: must be \"block\" or \"allow\""));
            UndeclaredCookies::Block
        }
    };
    if let Some(path) = &gateway.policy_path {
        let problem = match check_path_prefix(path.get_ref()) {
            Err(why) => Some(why),
            Ok(()) if path.get_ref().is_empty() => Some("must not be empty".to_owned()),
            Ok(()) if path.get_ref() == &prefix || path.get_ref().starts_with(&format!("{prefix}/")) => {
                Some(format!("is under the prefix {prefix:?}, where the policy already is"))
            }
            Ok(()) => None,
        };
        if let Some(why) = problem {
            findings.error_at(path.span(), format!("gateway.policy_path: {why}"));
        }
    }
    let seconds = *gateway.timeout_seconds.get_ref();
    if seconds == 0 || seconds > MAX_UPSTREAM_TIMEOUT_SECONDS {
        findings.error_at(
            gateway.timeout_seconds.span(),
            format!("gateway.timeout_seconds = {seconds}: must be 1 to {MAX_UPSTREAM_TIMEOUT_SECONDS}"),
        );
    }
    let settings = upstream.map(|upstream| GatewaySettings {
        upstream,
        undeclared,
        policy_path: gateway.policy_path.as_ref().map(|p| p.get_ref().clone()),
        timeout: Duration::from_secs(seconds.into()),
    });
    (prefix, settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_empty_or_slash_separated_plain_segments() {
        for good in ["", "/_crumb", "/consent/v1", "/a.b-c_d"] {
            assert_eq!(check_path_prefix(good), Ok(()), "{good:?}");
        }
        for bad in ["_crumb", "/", "/_crumb/", "//x", "/a/../b", "/a b", "/a?b", "/%2e"] {
            assert!(check_path_prefix(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn an_upstream_is_an_http_url_with_a_host_and_nothing_secret() {
        assert_eq!(parse_upstream("http://127.0.0.1:3000").map(|u| u.port()), Ok(Some(3000)));
        assert!(parse_upstream("https://app.internal/base").is_ok());
        for bad in ["ftp://x", "127.0.0.1:3000", "http://u:p@x", "http://x/?a=1", "nonsense"] {
            assert!(parse_upstream(bad).is_err(), "{bad:?} accepted");
        }
    }
}
