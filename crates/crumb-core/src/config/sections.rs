//! One check per section of `crumb.toml`: each reads its raw section,
//! records what is wrong in [`Findings`] and returns the validated value
//! (a placeholder where the section is wrong, so that every section is
//! checked and all errors are reported at once).

use std::collections::{BTreeMap, HashSet};

use super::raw::{RawAccounts, RawAnalytics, RawConsent, RawContact, RawCookie, RawServer, RawSite, RawStorage};
use super::{
    AccountSettings, AnalyticsSettings, Findings, Funnel, Goal, ServerLimits, StorageConfig, MAX_CONSENT_DAYS,
    MAX_COOKIE_LIFETIME_SECONDS, MAX_MAX_VALUES_PER_DAY, MIN_MAX_VALUES_PER_DAY,
};
use crate::accounts::hashing::ARGON2_MEMORY_MB;
use crate::analytics::funnel_steps::check_funnel_steps;
use crate::category::Category;
use crate::declaration::{CookieDeclaration, Lifetime, Provider};
use crate::i18n::{self, Language};

/// `[site]` and `[contact]`, checked.
pub(super) struct SiteSection {
    /// Origins without a trailing slash.
    pub(super) origins: Vec<String>,
    /// Languages offered, the default first.
    pub(super) languages: Vec<Language>,
}

impl SiteSection {
    /// The default language (English when none was valid: an error was recorded).
    pub(super) fn default_language(&self) -> Language {
        self.languages.first().copied().unwrap_or(Language::En)
    }
}

/// `[site]` (origins, languages, policy version) and `[contact]` (the e-mail).
pub(super) fn site(site: &RawSite, contact: &RawContact, findings: &mut Findings<'_>) -> SiteSection {
    let origins_span = site.origins.span();
    let origins: Vec<String> = site.origins.get_ref().iter().map(|o| o.trim_end_matches('/').to_owned()).collect();
    if origins.is_empty() {
        findings.error_at(origins_span.clone(), "site.origins: at least one origin is required".into());
    }
    for origin in &origins {
        let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
            && origin.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
        if !valid {
            findings.error_at(
                origins_span.clone(),
                format!("site.origins: {origin:?} is not an origin like https://www.example.com"),
            );
        }
    }
    let languages_span = site.languages.span();
    let mut languages = Vec::new();
    for code in site.languages.get_ref() {
        match Language::parse(code) {
            Some(language) => languages.push(language),
            None => findings.error_at(
                languages_span.clone(),
                format!("site.languages: no translation for {code:?}; crumb has {}", i18n::codes().join(", ")),
            ),
        }
    }
    if site.languages.get_ref().is_empty() {
        findings.error_at(languages_span, "site.languages: at least one language is required".into());
    }
    let email = contact.email.get_ref();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        findings.error_at(contact.email.span(), format!("contact.email: {email:?} is not an e-mail address"));
    }
    if site.policy_version.trim().is_empty() {
        findings.error(None, "site.policy_version must not be empty".into());
    }
    SiteSection { origins, languages }
}

/// `[server] trusted_proxies`: exact IP addresses.
pub(super) fn trusted_proxies(server: &RawServer, findings: &mut Findings<'_>) -> Vec<std::net::IpAddr> {
    let mut proxies = Vec::new();
    for proxy in server.trusted_proxies.get_ref() {
        match proxy.trim().parse::<std::net::IpAddr>() {
            Ok(address) => proxies.push(address),
            Err(_) => findings.error_at(
                server.trusted_proxies.span(),
                format!("server.trusted_proxies: {proxy:?} is not an IP address (list each proxy's address)"),
            ),
        }
    }
    proxies
}

/// The longest a request may take, in seconds (`server.request_timeout_seconds`).
pub(super) const MAX_REQUEST_TIMEOUT_SECONDS: u32 = 600;
/// The highest per-client rate limit (`server.events_per_minute`, `server.consents_per_minute`).
pub(super) const MAX_REQUESTS_PER_MINUTE: u32 = 100_000;
/// The longest a shutdown may wait for requests in flight (`server.shutdown_seconds`).
pub(super) const MAX_SHUTDOWN_SECONDS: u32 = 600;

/// `[server]`'s limits on time: how long a request may take and how long
/// a shutdown waits for requests in flight, each 1 s to 10 minutes; and the
/// metrics listener's address, which must be a socket address.
pub(super) fn server_limits(server: &RawServer, findings: &mut Findings<'_>) -> ServerLimits {
    for (name, value, max) in [
        ("request_timeout_seconds", &server.request_timeout_seconds, MAX_REQUEST_TIMEOUT_SECONDS),
        ("shutdown_seconds", &server.shutdown_seconds, MAX_SHUTDOWN_SECONDS),
    ] {
        let seconds = *value.get_ref();
        if seconds == 0 || seconds > max {
            findings.error_at(value.span(), format!("server.{name} = {seconds}: must be 1 to {max} (10 minutes)"));
        }
    }
    for (name, value) in
        [("events_per_minute", &server.events_per_minute), ("consents_per_minute", &server.consents_per_minute)]
    {
        let rate = *value.get_ref();
        if rate == 0 || rate > MAX_REQUESTS_PER_MINUTE {
            findings.error_at(value.span(), format!("server.{name} = {rate}: must be 1 to {MAX_REQUESTS_PER_MINUTE}"));
        }
    }
    if let Some(listen) = &server.metrics_listen {
        if listen.get_ref().parse::<std::net::SocketAddr>().is_err() {
            findings.error_at(
                listen.span(),
                format!(
                    "server.metrics_listen = {:?}: must be an address and port like 127.0.0.1:9464",
                    listen.get_ref()
                ),
            );
        }
    }
    ServerLimits {
        request_timeout: std::time::Duration::from_secs((*server.request_timeout_seconds.get_ref()).into()),
        shutdown_grace: std::time::Duration::from_secs((*server.shutdown_seconds.get_ref()).into()),
        metrics_listen: server.metrics_listen.as_ref().map(|listen| listen.get_ref().clone()),
        events_per_minute: *server.events_per_minute.get_ref(),
        consents_per_minute: *server.consents_per_minute.get_ref(),
    }
}

/// `[consent] lifetime_days`: 1 to 13 months.
pub(super) fn consent_days(consent: &RawConsent, findings: &mut Findings<'_>) -> u32 {
    let days = *consent.lifetime_days.get_ref();
    if days == 0 || days > MAX_CONSENT_DAYS {
        findings.error_at(
            consent.lifetime_days.span(),
            format!("consent.lifetime_days = {days}: must be 1 to {MAX_CONSENT_DAYS} (13 months, the longest regulators accept)"),
        );
    }
    days
}

/// `[storage]`: the backend.
pub(super) fn storage(storage: &RawStorage, findings: &mut Findings<'_>) -> StorageConfig {
    match storage.backend.get_ref().as_str() {
        "sqlite" => StorageConfig::Sqlite(storage.path.clone()),
        "postgres" => StorageConfig::Postgres { url_env: storage.url_env.clone() },
        other => {
            findings.error_at(
                storage.backend.span(),
                format!("storage.backend = {other:?}: use \"sqlite\" or \"postgres\""),
            );
            StorageConfig::Sqlite(storage.path.clone())
        }
    }
}

/// The longest idle timeout of a signed-in session, in minutes (one day).
pub(super) const MAX_IDLE_MINUTES: u32 = 24 * 60;
/// The longest a signed-in session lasts however active, in hours (30 days).
pub(super) const MAX_ABSOLUTE_HOURS: u32 = 30 * 24;

/// `[accounts]`, when enabled: remember-me days and session timeouts.
pub(super) fn accounts(accounts: Option<&RawAccounts>, findings: &mut Findings<'_>) -> Option<AccountSettings> {
    let accounts = accounts.filter(|a| a.enabled)?;
    let days = *accounts.remember_days.get_ref();
    if days == 0 || days > 400 {
        findings.error_at(
            accounts.remember_days.span(),
            format!("accounts.remember_days = {days}: must be 1 to 400 (RFC 6265bis §5.5 caps cookie lifetimes at 400 days)"),
        );
    }
    // A signed-in session must end: OWASP's session guidance puts idle
    // timeouts in minutes and absolute ones in hours; a day idle and a month
    // in all are the most crumb accepts.
    if accounts.idle_minutes == 0 || accounts.idle_minutes > MAX_IDLE_MINUTES {
        findings.error(
            None,
            format!("accounts.idle_minutes = {}: must be 1 to {MAX_IDLE_MINUTES} (one day)", accounts.idle_minutes),
        );
    }
    if accounts.absolute_hours == 0 || accounts.absolute_hours > MAX_ABSOLUTE_HOURS {
        findings.error(
            None,
            format!(
                "accounts.absolute_hours = {}: must be 1 to {MAX_ABSOLUTE_HOURS} (30 days)",
                accounts.absolute_hours
            ),
        );
    }
    let hash_memory = accounts.password_hash_memory_mb;
    if hash_memory < ARGON2_MEMORY_MB {
        findings.error(
            None,
            format!(
                "accounts.password_hash_memory_mb = {hash_memory}: must be at least {ARGON2_MEMORY_MB} (one Argon2id hash)"
            ),
        );
    }
    Some(AccountSettings {
        remember_days: days,
        idle_minutes: accounts.idle_minutes,
        absolute_hours: accounts.absolute_hours,
        cross_device: accounts.cross_device,
        password_hash_memory_mb: hash_memory,
    })
}

/// `[analytics]`: the anonymity floor, retention, goals and funnels.
pub(super) fn analytics(analytics: Option<&RawAnalytics>, findings: &mut Findings<'_>) -> AnalyticsSettings {
    let Some(a) = analytics else { return AnalyticsSettings::default() };
    if *a.min_visitors.get_ref() == 0 {
        findings.error_at(
            a.min_visitors.span(),
            "analytics.min_visitors = 0: the anonymity floor must be at least 1".into(),
        );
    }
    let retention = *a.raw_retention_days.get_ref();
    if retention == 0 || retention > 400 {
        findings.error_at(
            a.raw_retention_days.span(),
            format!("analytics.raw_retention_days = {retention}: must be 1 to 400"),
        );
    }
    let max_values = *a.max_values_per_day.get_ref();
    if !(MIN_MAX_VALUES_PER_DAY..=MAX_MAX_VALUES_PER_DAY).contains(&max_values) {
        findings.error_at(
            a.max_values_per_day.span(),
            format!(
                "analytics.max_values_per_day = {max_values}: must be {MIN_MAX_VALUES_PER_DAY} to {MAX_MAX_VALUES_PER_DAY}"
            ),
        );
    }
    for spanned in &a.goals {
        let (line, goal) = (findings.line_of(spanned.span()), spanned.get_ref());
        if goal.event.is_some() == goal.path.is_some() {
            findings.error(line, format!("analytics goal {:?}: give exactly one of `event` or `path`", goal.name));
        }
        if goal.path.as_deref().is_some_and(|p| !p.starts_with('/')) {
            findings.error(line, format!("analytics goal {:?}: `path` must start with /", goal.name));
        }
    }
    for (i, spanned) in a.funnels.iter().enumerate() {
        let (line, funnel) = (findings.line_of(spanned.span()), spanned.get_ref());
        if funnel.name.trim().is_empty() {
            findings.error(line, "analytics funnel: give it a name".into());
        }
        if a.funnels[..i].iter().any(|other| other.get_ref().name == funnel.name) {
            findings.error(line, format!("analytics funnel {:?}: two funnels have this name", funnel.name));
        }
        if let Err(fault) = check_funnel_steps(&funnel.steps) {
            findings.error(line, format!("analytics funnel {:?}: {fault}", funnel.name));
        }
    }
    AnalyticsSettings {
        enabled: a.enabled,
        cookieless: a.cookieless,
        min_visitors: *a.min_visitors.get_ref(),
        raw_retention_days: retention,
        max_values_per_day: max_values,
        goals: a
            .goals
            .iter()
            .map(|g| g.get_ref())
            .map(|g| Goal { name: g.name.clone(), event: g.event.clone(), path: g.path.clone() })
            .collect(),
        funnels: a
            .funnels
            .iter()
            .map(|f| f.get_ref())
            .map(|f| Funnel { name: f.name.clone(), steps: f.steps.clone() })
            .collect(),
    }
}

/// `[[cookie]]`: the site's own declarations, appended to `cookies`
/// (crumb's, which come first). Names are tokens, lifetimes within 400
/// days, prefixes' rules kept, purposes written, nothing declared twice.
pub(super) fn site_cookies(
    raw: &[toml::Spanned<RawCookie>],
    default_language: Language,
    cookies: &mut Vec<CookieDeclaration>,
    findings: &mut Findings<'_>,
) {
    let mut seen: HashSet<(String, Option<String>, String)> =
        cookies.iter().map(|c| (c.name.clone(), c.domain.clone(), c.path.clone())).collect();
    for spanned in raw {
        let line = findings.line_of(spanned.span());
        let raw_cookie = spanned.get_ref();
        let name = &raw_cookie.name;
        let mut cookie_error = |message: String| findings.error(line, format!("cookie `{name}`: {message}"));
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            cookie_error("the name must be a non-empty token (RFC 6265bis §4.1.1)".into());
        }
        check_prefixes(raw_cookie, &mut cookie_error);
        if !raw_cookie.path.starts_with('/') {
            cookie_error(format!("path {:?} must start with '/'", raw_cookie.path));
        }
        check_purposes(raw_cookie, default_language, &mut cookie_error);
        if !seen.insert((name.clone(), raw_cookie.domain.clone(), raw_cookie.path.clone())) {
            cookie_error("declared twice (same name, domain and path)".into());
        }
        let lifetime = lifetime(raw_cookie, findings);
        let provider = match raw_cookie.provider.as_str() {
            "first-party" | "first" | "" => Provider::FirstParty,
            other => Provider::ThirdParty(other.to_owned()),
        };
        cookies.push(CookieDeclaration {
            name: name.clone(),
            category: raw_cookie.category,
            purpose: raw_cookie.purpose.clone(),
            lifetime,
            provider,
            domain: raw_cookie.domain.clone(),
            path: raw_cookie.path.clone(),
            secure: raw_cookie.secure,
            http_only: raw_cookie.http_only,
            set_by_crumb: false,
        });
    }
}

/// A declared cookie's lifetime: `session` or positive, at most 400 days
/// (RFC 6265bis §5.5); errors are on the `lifetime` line.
fn lifetime(raw_cookie: &RawCookie, findings: &mut Findings<'_>) -> Lifetime {
    let name = &raw_cookie.name;
    let line = findings.line_of(raw_cookie.lifetime.span());
    let text = raw_cookie.lifetime.get_ref();
    let lifetime = match Lifetime::parse(text) {
        Ok(lifetime) => lifetime,
        Err(message) => {
            findings.error(line, format!("cookie `{name}`: {message}"));
            Lifetime::Session
        }
    };
    if let Lifetime::Seconds(seconds) = lifetime {
        if seconds > MAX_COOKIE_LIFETIME_SECONDS {
            findings.error(
                line,
                format!("cookie `{name}`: lifetime {text} is over 400 days; browsers cap it (RFC 6265bis §5.5), so the policy would not be true"),
            );
        }
        if seconds <= 0 {
            findings.error(line, format!("cookie `{name}`: lifetime must be positive"));
        }
    }
    lifetime
}

/// The cookie prefixes' rules (RFC 6265bis §4.1.3).
fn check_prefixes(raw_cookie: &RawCookie, cookie_error: &mut impl FnMut(String)) {
    let lower = raw_cookie.name.to_ascii_lowercase();
    if lower.starts_with("__host-") {
        if raw_cookie.domain.is_some() {
            cookie_error("a __Host- cookie cannot have a domain (RFC 6265bis §4.1.3.2)".into());
        }
        if raw_cookie.path != "/" {
            cookie_error("a __Host- cookie must have path \"/\" (RFC 6265bis §4.1.3.2)".into());
        }
    }
    if (lower.starts_with("__host-") || lower.starts_with("__secure-")) && !raw_cookie.secure {
        cookie_error("a __Host- or __Secure- cookie must be secure (RFC 6265bis §4.1.3)".into());
    }
}

/// Purposes: written in the default language (a visitor must know what
/// they consent to; the policy must say why a necessary cookie is needed),
/// under known language codes.
fn check_purposes(raw_cookie: &RawCookie, default_language: Language, cookie_error: &mut impl FnMut(String)) {
    let purpose: &BTreeMap<String, String> = &raw_cookie.purpose;
    let default_code = default_language.code();
    if raw_cookie.category != Category::Necessary && purpose.get(default_code).is_none_or(|p| p.trim().is_empty()) {
        cookie_error(format!(
            "a {} cookie needs purpose text (at least purpose.{default_code}); visitors must know what they consent to",
            raw_cookie.category.id()
        ));
    }
    if raw_cookie.category == Category::Necessary && purpose.is_empty() {
        cookie_error(format!("purpose.{default_code} is required: the policy page must say why the cookie is needed"));
    }
    for code in purpose.keys() {
        if Language::parse(code).is_none() {
            cookie_error(format!("purpose.{code}: unknown language code"));
        }
    }
}
