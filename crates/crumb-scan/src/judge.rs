//! The verdict on one consent state: each cookie the browser held against
//! the declaration — undeclared, present before consent, present after
//! refusal or outside the one category granted, living longer than
//! declared, or without the `Secure`/`HttpOnly` the declaration promises.
//!
//! What it is not: the crawl or the report's layout.

use serde::Serialize;

use crate::declared::{Declaration, Source};
use crate::observe::ObservedCookie;
use crate::states::ConsentState;

/// How far past its declared lifetime a cookie may live before it is a
/// violation: a day, or 1 % of the declared lifetime if that is more
/// (an expiry written as a date is rounded by whoever wrote it).
pub fn lifetime_tolerance(declared_seconds: i64) -> i64 {
    (declared_seconds / 100).max(86_400)
}

/// What is wrong with a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    /// Not in the declaration.
    Undeclared,
    /// An optional cookie present before any consent choice.
    BeforeConsent,
    /// An optional cookie present after "Reject all".
    AfterRefusal,
    /// A cookie of a category that was not the one granted.
    OutsideGranted,
    /// It lives longer than declared.
    LifetimeTooLong,
    /// The declaration promises `Secure`; the cookie is not.
    NotSecure,
    /// The declaration promises `HttpOnly`; the cookie is not.
    NotHttpOnly,
    /// It is kept for a wider domain than declared (a `Domain` attribute
    /// the declaration does not have, or another domain than declared).
    WiderDomain,
}

impl ViolationKind {
    /// A short identifier, as in JSON.
    pub fn id(self) -> &'static str {
        match self {
            ViolationKind::Undeclared => "undeclared",
            ViolationKind::BeforeConsent => "before-consent",
            ViolationKind::AfterRefusal => "after-refusal",
            ViolationKind::OutsideGranted => "outside-granted",
            ViolationKind::LifetimeTooLong => "lifetime-too-long",
            ViolationKind::NotSecure => "not-secure",
            ViolationKind::NotHttpOnly => "not-http-only",
            ViolationKind::WiderDomain => "wider-domain",
        }
    }
}

/// One violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The cookie's name.
    pub cookie: String,
    /// The domain it was kept for.
    pub domain: String,
    /// What is wrong.
    pub kind: ViolationKind,
    /// In words.
    pub detail: String,
}

/// The violations among `cookies`, held in `state`.
pub fn judge(state: ConsentState, cookies: &[ObservedCookie], declaration: &Declaration) -> Vec<Violation> {
    let mut violations = Vec::new();
    for cookie in cookies {
        let mut found = |kind, detail: String| {
            violations.push(Violation { cookie: cookie.name.clone(), domain: cookie.domain.clone(), kind, detail });
        };
        let Some(declared) = declaration.find(&cookie.name, &cookie.domain) else {
            let detail = match declaration.source {
                Source::None => format!("{} (no declaration was found to check it against)", cookie.name),
                _ => format!("{} is not declared", cookie.name),
            };
            found(ViolationKind::Undeclared, detail);
            continue;
        };
        if !state.granted().contains(&declared.category) {
            let (kind, when) = match state {
                ConsentState::BeforeConsent => (ViolationKind::BeforeConsent, "before any consent"),
                ConsentState::RejectAll => (ViolationKind::AfterRefusal, "after Reject all"),
                ConsentState::Only(_) => (ViolationKind::OutsideGranted, "when its category was not granted"),
            };
            found(kind, format!("{} ({}) was set {when}", cookie.name, declared.category.id()));
        }
        match (declared.lifetime_seconds, cookie.lifetime_seconds) {
            (None, Some(seen)) => found(
                ViolationKind::LifetimeTooLong,
                format!("{} is declared a session cookie but lives {}", cookie.name, seconds_text(seen)),
            ),
            (Some(limit), Some(seen)) if seen > limit.saturating_add(lifetime_tolerance(limit)) => found(
                ViolationKind::LifetimeTooLong,
                format!("{} lives {}, declared {}", cookie.name, seconds_text(seen), seconds_text(limit)),
            ),
            _ => {}
        }
        if declared.secure && !cookie.secure {
            found(ViolationKind::NotSecure, format!("{} is declared Secure but was set without it", cookie.name));
        }
        if declared.http_only && !cookie.http_only {
            found(ViolationKind::NotHttpOnly, format!("{} is declared HttpOnly but was set without it", cookie.name));
        }
        // A host-only cookie is sent to its host alone; one with `Domain` to every
        // subdomain too (RFC 6265bis §5.7 steps 9-10).
        match declared.domain.as_deref().map(|d| d.trim_start_matches('.').to_ascii_lowercase()) {
            None if !cookie.host_only => found(
                ViolationKind::WiderDomain,
                format!(
                    "{} is declared without a domain but was set for {} and its subdomains",
                    cookie.name, cookie.domain
                ),
            ),
            Some(domain) if !cookie.host_only && domain != cookie.domain.to_ascii_lowercase() => found(
                ViolationKind::WiderDomain,
                format!("{} is declared for {domain} but was set for {}", cookie.name, cookie.domain),
            ),
            _ => {}
        }
    }
    violations
}

/// Seconds in words: days when at least one, else hours, else seconds.
pub fn seconds_text(seconds: i64) -> String {
    if seconds >= 86_400 {
        format!("{:.1} days", seconds as f64 / 86_400.0)
    } else if seconds >= 3_600 {
        format!("{:.1} hours", seconds as f64 / 3_600.0)
    } else {
        format!("{seconds} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declared::Declared;
    use crumb_core::category::Category;

    fn seen(name: &str, lifetime: Option<i64>, secure: bool, http_only: bool) -> ObservedCookie {
        ObservedCookie {
            name: name.to_owned(),
            domain: "shop.example".to_owned(),
            host_only: true,
            path: "/".to_owned(),
            secure,
            http_only,
            same_site: None,
            lifetime_seconds: lifetime,
            third_party: false,
        }
    }

    fn declaration() -> Declaration {
        let d = |name: &str, category, lifetime, secure, http_only| Declared {
            name: name.to_owned(),
            category,
            lifetime_seconds: lifetime,
            domain: None,
            secure,
            http_only,
        };
        Declaration {
            source: Source::File("t".into()),
            cookies: vec![
                d("sid", Category::Necessary, None, true, true),
                d("stats", Category::Statistics, Some(30 * 86_400), false, false),
                d("ads", Category::Marketing, Some(90 * 86_400), false, false),
            ],
        }
    }

    fn kinds(state: ConsentState, cookies: &[ObservedCookie]) -> Vec<(String, ViolationKind)> {
        judge(state, cookies, &declaration()).into_iter().map(|v| (v.cookie, v.kind)).collect()
    }

    #[test]
    fn each_rule_finds_its_violation() {
        use ViolationKind::*;
        let cookies = [
            seen("sid", None, true, true),
            seen("stats", Some(30 * 86_400 + 86_400), false, false),
            seen("ads", Some(200 * 86_400), false, false),
            seen("other", None, false, false),
        ];
        assert_eq!(
            kinds(ConsentState::BeforeConsent, &cookies),
            [
                ("stats".into(), BeforeConsent),
                ("ads".into(), BeforeConsent),
                ("ads".into(), LifetimeTooLong),
                ("other".into(), Undeclared)
            ]
        );
        assert_eq!(kinds(ConsentState::RejectAll, &cookies[1..2]), [("stats".into(), AfterRefusal)]);
        assert_eq!(kinds(ConsentState::Only(Category::Statistics), &cookies[..2]), []);
        assert_eq!(kinds(ConsentState::Only(Category::Marketing), &cookies[1..2]), [("stats".into(), OutsideGranted)]);
        let sloppy = [seen("sid", Some(60), false, false)];
        assert_eq!(
            kinds(ConsentState::BeforeConsent, &sloppy),
            [("sid".into(), LifetimeTooLong), ("sid".into(), NotSecure), ("sid".into(), NotHttpOnly)]
        );
        assert_eq!(judge(ConsentState::BeforeConsent, &cookies[..1], &Declaration::none())[0].kind, Undeclared);
        let mut wide = seen("sid", None, true, true);
        wide.host_only = false;
        assert_eq!(kinds(ConsentState::BeforeConsent, &[wide]), [("sid".into(), WiderDomain)]);
    }
}
