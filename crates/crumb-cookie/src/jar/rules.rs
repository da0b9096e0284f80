//! The rules the jar applies to one cookie: the Domain attribute (§5.7
//! steps 9–10), SameSite (§5.8.3 step 1) and CHIPS partitions.

use super::Rejection;
use crate::cookie::Cookie;
use crate::domain::{self, domain_match};
use crate::request::{Api, RequestContext, SiteRelation};
use crate::set_cookie::SameSite;
use crate::time::Timestamp;

/// §5.7 steps 9–10 as Chromium implements them (`GetCookieDomainWithString`):
/// the domain attribute must share the request host's registrable domain and
/// be the host or one of its parents; on a host with no registrable domain
/// (a public suffix, an IP address) only the host itself is allowed, as a
/// host-only cookie.
pub(super) fn resolve_domain_attribute(host: &str, attr: String) -> Result<(String, bool), Rejection> {
    let Some(host_site) = domain::registrable_domain(host) else {
        if attr == host {
            return Ok((host.to_owned(), true));
        }
        if domain::is_public_suffix(&attr) {
            return Err(Rejection::DomainIsPublicSuffix { domain: attr });
        }
        return Err(Rejection::DomainMismatch { host: host.to_owned(), domain: attr });
    };
    if domain::registrable_domain(&attr) != Some(host_site) {
        if domain::is_public_suffix(&attr) {
            return Err(Rejection::DomainIsPublicSuffix { domain: attr });
        }
        return Err(Rejection::DomainMismatch { host: host.to_owned(), domain: attr });
    }
    if !domain_match(host, &attr) {
        return Err(Rejection::DomainMismatch { host: host.to_owned(), domain: attr });
    }
    Ok((attr, false))
}

/// §5.8.3 step 1, SameSite: cross-site requests carry `Strict` cookies never,
/// `Lax` (and unspecified) ones only on safe top-level navigations, and
/// unspecified ones younger than the Lax-allowing-unsafe age also on unsafe
/// top-level navigations (§5.6.7.2).
pub(super) fn same_site_allows(cookie: &Cookie, ctx: RequestContext, now: Timestamp, lax_unsafe: Option<i64>) -> bool {
    if ctx.site_relation == SiteRelation::SameSite {
        return true;
    }
    match cookie.same_site {
        SameSite::None => true,
        SameSite::Strict => false,
        SameSite::Lax => ctx.top_level_navigation && ctx.safe_method && ctx.api == Api::Http,
        SameSite::Unspecified => {
            ctx.top_level_navigation
                && ctx.api == Api::Http
                && (ctx.safe_method || lax_unsafe.is_some_and(|age| cookie.creation.add_seconds(age) > now))
        }
    }
}

/// CHIPS: a partitioned cookie goes only to requests whose top-level site is
/// its partition key. The jar knows the top-level site only for same-site
/// requests and top-level navigations (where it is the request's own site),
/// so cross-site subresource requests carry no partitioned cookie.
pub(super) fn partition_allows(cookie: &Cookie, request_site: &str, ctx: RequestContext) -> bool {
    match &cookie.partition_key {
        None => true,
        Some(key) => key == request_site && (ctx.site_relation == SiteRelation::SameSite || ctx.top_level_navigation),
    }
}

pub(super) fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}
