//! `crumb.toml`: the one declaration of every cookie a site uses, and the
//! settings that go with it. Parsed, then validated; every error names the
//! file, the line and the rule.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::category::Category;
use crate::i18n::{self, Language};

/// The longest a cookie may live (RFC 6265bis §5.5): 400 days.
pub const MAX_COOKIE_LIFETIME_SECONDS: i64 = 400 * 86_400;
/// The longest a consent may last before the banner asks again: 13 months (395 days).
pub const MAX_CONSENT_DAYS: u32 = 395;
/// The default consent lifetime: 6 months.
pub const DEFAULT_CONSENT_DAYS: u32 = 182;

/// A configuration error: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file (or `<built-in demo>`).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong, naming the rule.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Several configuration errors, reported together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<ConfigError>);

/// How long a cookie lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Until the browser session ends (no Expires, no Max-Age).
    Session,
    /// A number of seconds.
    Seconds(i64),
}

impl Lifetime {
    /// Parses `session` or `<n>d`, `<n>h`, `<n>min`, `<n>s`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "session" {
            return Ok(Lifetime::Session);
        }
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let n: i64 = number
            .parse()
            .map_err(|_| format!("lifetime {text:?}: expected `session` or a number with d, h, min or s"))?;
        let factor = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "min" => 60,
            "s" => 1,
            _ => return Err(format!("lifetime {text:?}: unit must be d, h, min or s")),
        };
        n.checked_mul(factor).map(Lifetime::Seconds).ok_or_else(|| format!("lifetime {text:?} is too large"))
    }

    /// Seconds, or `None` for a session cookie.
    pub fn seconds(self) -> Option<i64> {
        match self {
            Lifetime::Session => None,
            Lifetime::Seconds(s) => Some(s),
        }
    }
}

/// Who sets a cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// The site itself (or crumb on its behalf).
    FirstParty,
    /// A named third party (e.g. "Google Analytics").
    ThirdParty(String),
}

/// One declared cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieDeclaration {
    /// The cookie's name.
    pub name: String,
    /// Its consent category.
    pub category: Category,
    /// Why it exists, per language code.
    pub purpose: BTreeMap<String, String>,
    /// How long it lives.
    pub lifetime: Lifetime,
    /// Who sets it.
    pub provider: Provider,
    /// `Domain` it is set with, if any.
    pub domain: Option<String>,
    /// `Path` it is set with.
    pub path: String,
    /// Whether it is `Secure`.
    pub secure: bool,
    /// Whether it is `HttpOnly`.
    pub http_only: bool,
    /// Whether crumb itself sets it.
    pub set_by_crumb: bool,
}

impl CookieDeclaration {
    /// The purpose in `language`, falling back to the default language.
    pub fn purpose_in<'a>(&'a self, language: &str, default: &str) -> &'a str {
        self.purpose.get(language).or_else(|| self.purpose.get(default)).map_or("", String::as_str)
    }
}

/// Where crumb keeps its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Embedded SQLite at this path.
    Sqlite(PathBuf),
    /// PostgreSQL at this URL (read from the environment variable named in the file).
    Postgres {
        /// The environment variable that holds the URL (kept out of the file: it has a password).
        url_env: String,
    },
}

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where it came from.
    pub source: String,
    /// Site name.
    pub site_name: String,
    /// Site origins (`https://www.example.com`), the first is canonical.
    pub origins: Vec<String>,
    /// Languages offered, the first is the default.
    pub languages: Vec<Language>,
    /// Policy version; a change re-prompts visitors when `reprompt_on_change`.
    pub policy_version: String,
    /// What changed in this version.
    pub policy_changes: String,
    /// Controller's name.
    pub contact_name: String,
    /// Postal address.
    pub contact_address: String,
    /// Privacy e-mail.
    pub contact_email: String,
    /// Honour `Sec-GPC: 1`.
    pub honour_gpc: bool,
    /// Honour `DNT: 1`.
    pub honour_dnt: bool,
    /// Days a consent lasts.
    pub consent_days: u32,
    /// Ask again when the policy version changes.
    pub reprompt_on_change: bool,
    /// Every cookie, crumb's own included.
    pub cookies: Vec<CookieDeclaration>,
    /// Storage.
    pub storage: StorageConfig,
    /// Where the secret key lives (created on first start).
    pub secret_file: PathBuf,
    /// Address to listen on.
    pub listen: String,
    /// Serve the demo site.
    pub demo: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`[server]
    /// trusted_proxies`, exact addresses); from anyone else the header is
    /// ignored and the client is the connection's peer.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Accounts and sign-in, if enabled.
    pub accounts: Option<AccountSettings>,
    /// `[analytics]`.
    pub analytics: AnalyticsSettings,
}

/// `[accounts]`: sign-in, sessions and remember-me.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    /// Days a remember-me token lasts (at most 400).
    pub remember_days: u32,
    /// Minutes of inactivity after which a session ends.
    pub idle_minutes: u32,
    /// Hours after which a session ends however active.
    pub absolute_hours: u32,
    /// Whether signed-in users may link their devices for cross-device
    /// measurement (with statistics consent; refused by GPC and, as configured, DNT).
    pub cross_device: bool,
}

/// `[analytics]`: aggregated anonymous statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyticsSettings {
    /// Whether the tracker runs and `/api/event` accepts events.
    pub enabled: bool,
    /// Count visitors without statistics consent, without a cookie, by a
    /// daily-salted hash (new vs returning is then unknown).
    pub cookieless: bool,
    /// The anonymity floor k: report rows with fewer distinct visitors fold into "other".
    pub min_visitors: u32,
    /// Days raw events are kept (rollups are kept for good).
    pub raw_retention_days: u32,
    /// Goals: named conversions, each a custom event name or a page path.
    pub goals: Vec<Goal>,
    /// Funnels offered on the dashboard and by name in the API.
    pub funnels: Vec<Funnel>,
}

/// A goal: visitors who fired an event or saw a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Goal {
    /// Shown on the dashboard.
    pub name: String,
    /// A custom event name (`event = "signup"`) …
    pub event: Option<String>,
    /// … or a page path (`path = "/thanks"`).
    pub path: Option<String>,
}

/// A named funnel (`[[analytics.funnel]]`): ordered steps a visit goes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    /// Shown on the dashboard; `funnel=<name>` in the API.
    pub name: String,
    /// Each `/path` (a page view) or `event:name` (a custom event), 2 to 10.
    pub steps: Vec<String>,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        AnalyticsSettings {
            enabled: true,
            cookieless: false,
            min_visitors: 10,
            raw_retention_days: 30,
            goals: vec![],
            funnels: vec![],
        }
    }
}

impl Config {
    /// The default language.
    pub fn default_language(&self) -> Language {
        self.languages[0]
    }

    /// Categories that have at least one declared cookie, in display order.
    pub fn categories(&self) -> Vec<Category> {
        Category::ALL
            .into_iter()
            .filter(|c| *c == Category::Necessary || self.cookies.iter().any(|d| d.category == *c))
            .collect()
    }

    /// The declaration of a cookie crumb sets.
    pub fn own_cookie(&self, name: &str) -> Option<&CookieDeclaration> {
        self.cookies.iter().find(|c| c.set_by_crumb && c.name == name)
    }

    /// The version a consent decision is made against: the policy version
    /// plus a digest of the cookie declaration, so that changing any
    /// declared cookie re-prompts visitors (when `reprompt_on_change`) even
    /// if the policy version was not bumped.
    pub fn consent_version(&self) -> String {
        use sha2::Digest as _;
        let mut digest = sha2::Sha256::new();
        for cookie in &self.cookies {
            digest.update(format!(
                "{}\u{0}{}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{:?}\u{0}{}\u{0}",
                cookie.name,
                cookie.category.id(),
                cookie.lifetime,
                cookie.provider,
                cookie.purpose,
                cookie.domain,
                cookie.path
            ));
        }
        let hex: String = digest.finalize().iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("{}+{hex}", self.policy_version)
    }

    /// Whether cookies can be `Secure` with the `__Host-` prefix: every
    /// origin is https, or loopback (which browsers treat as secure).
    pub fn secure_origins(&self) -> bool {
        self.origins.iter().all(|o| {
            o.starts_with("https://")
                || o.starts_with("http://localhost")
                || o.starts_with("http://127.0.0.1")
                || o.starts_with("http://[::1]")
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    site: RawSite,
    contact: RawContact,
    #[serde(default)]
    signals: RawSignals,
    #[serde(default)]
    consent: RawConsent,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    keys: RawKeys,
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    accounts: Option<RawAccounts>,
    #[serde(default)]
    // Not `Spanned` as a whole: toml cannot give the span of a table that
    // only `[[analytics.goal]]` defines; its fields carry the lines.
    analytics: Option<RawAnalytics>,
    #[serde(default, rename = "cookie")]
    cookies: Vec<Spanned<RawCookie>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccounts {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default = "default_remember_days")]
    remember_days: Spanned<u32>,
    #[serde(default = "default_idle_minutes")]
    idle_minutes: u32,
    #[serde(default = "default_absolute_hours")]
    absolute_hours: u32,
    #[serde(default)]
    cross_device: bool,
}

fn default_remember_days() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}
fn default_idle_minutes() -> u32 {
    30
}
fn default_absolute_hours() -> u32 {
    12
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: String,
    origins: Spanned<Vec<String>>,
    #[serde(default = "default_languages")]
    languages: Spanned<Vec<String>>,
    policy_version: String,
    #[serde(default)]
    changes: String,
}

fn default_languages() -> Spanned<Vec<String>> {
    Spanned::new(0..0, vec!["en".to_owned()])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContact {
    name: String,
    address: String,
    email: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignals {
    #[serde(default = "yes")]
    honour_gpc: bool,
    #[serde(default = "yes")]
    honour_dnt: bool,
}

impl Default for RawSignals {
    fn default() -> Self {
        RawSignals { honour_gpc: true, honour_dnt: true }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAnalytics {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    cookieless: bool,
    #[serde(default = "default_min_visitors")]
    min_visitors: Spanned<u32>,
    #[serde(default = "default_raw_retention_days")]
    raw_retention_days: Spanned<u32>,
    #[serde(default, rename = "goal")]
    goals: Vec<Spanned<RawGoal>>,
    #[serde(default, rename = "funnel")]
    funnels: Vec<Spanned<RawFunnel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunnel {
    name: String,
    steps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGoal {
    name: String,
    event: Option<String>,
    path: Option<String>,
}

fn default_min_visitors() -> Spanned<u32> {
    Spanned::new(0..0, 10)
}
fn default_raw_retention_days() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsent {
    #[serde(default = "default_consent_days")]
    lifetime_days: Spanned<u32>,
    #[serde(default = "yes")]
    reprompt_on_change: bool,
}

fn default_consent_days() -> Spanned<u32> {
    Spanned::new(0..0, DEFAULT_CONSENT_DAYS)
}

impl Default for RawConsent {
    fn default() -> Self {
        RawConsent { lifetime_days: default_consent_days(), reprompt_on_change: true }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    #[serde(default = "default_backend")]
    backend: Spanned<String>,
    #[serde(default = "default_db_path")]
    path: PathBuf,
    #[serde(default = "default_url_env")]
    url_env: String,
}

fn default_backend() -> Spanned<String> {
    Spanned::new(0..0, "sqlite".to_owned())
}
fn default_db_path() -> PathBuf {
    PathBuf::from("crumb-data/crumb.db")
}
fn default_url_env() -> String {
    "CRUMB_POSTGRES_URL".to_owned()
}

impl Default for RawStorage {
    fn default() -> Self {
        RawStorage { backend: default_backend(), path: default_db_path(), url_env: default_url_env() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    #[serde(default = "default_secret_file")]
    secret_file: PathBuf,
}

fn default_secret_file() -> PathBuf {
    PathBuf::from("crumb-data/secret.key")
}

impl Default for RawKeys {
    fn default() -> Self {
        RawKeys { secret_file: default_secret_file() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    #[serde(default = "default_listen")]
    listen: String,
    #[serde(default = "yes")]
    demo: bool,
    #[serde(default = "no_proxies")]
    trusted_proxies: Spanned<Vec<String>>,
}

fn no_proxies() -> Spanned<Vec<String>> {
    Spanned::new(0..0, Vec::new())
}

fn default_listen() -> String {
    "127.0.0.1:8080".to_owned()
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer { listen: default_listen(), demo: true, trusted_proxies: no_proxies() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCookie {
    name: String,
    category: Category,
    #[serde(default)]
    purpose: BTreeMap<String, String>,
    lifetime: Spanned<String>,
    #[serde(default = "default_provider")]
    provider: String,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default = "default_path")]
    path: String,
    #[serde(default = "yes")]
    secure: bool,
    #[serde(default)]
    http_only: bool,
}

fn default_provider() -> String {
    "first-party".to_owned()
}
fn default_path() -> String {
    "/".to_owned()
}

/// The built-in demo declaration, used when `crumb serve` has no config.
pub const DEMO_TOML: &str = include_str!("../../../web/demo/crumb.toml");

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError { file: file.clone(), line: None, message: format!("cannot read: {e}") }])
    })?;
    parse(&text, &file)
}

/// Parses and validates config text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigErrors> {
    let line_of = |span: std::ops::Range<usize>| -> Option<usize> {
        (span.end > 0).then(|| text[..span.start.min(text.len())].matches('\n').count() + 1)
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().and_then(&line_of);
        ConfigErrors(vec![ConfigError { file: file.to_owned(), line, message: e.message().to_owned() }])
    })?;
    let mut errors = Vec::new();
    let mut error =
        |line: Option<usize>, message: String| errors.push(ConfigError { file: file.to_owned(), line, message });

    // Site.
    let origins_line = line_of(raw.site.origins.span());
    let origins: Vec<String> = raw.site.origins.get_ref().iter().map(|o| o.trim_end_matches('/').to_owned()).collect();
    if origins.is_empty() {
        error(origins_line, "site.origins: at least one origin is required".into());
    }
    for origin in &origins {
        let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
            && origin.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
        if !valid {
            error(origins_line, format!("site.origins: {origin:?} is not an origin like https://www.example.com"));
        }
    }
    let languages_line = line_of(raw.site.languages.span());
    let mut languages = Vec::new();
    for code in raw.site.languages.get_ref() {
        match Language::parse(code) {
            Some(language) => languages.push(language),
            None => error(
                languages_line,
                format!("site.languages: no translation for {code:?}; crumb has {}", i18n::codes().join(", ")),
            ),
        }
    }
    if raw.site.languages.get_ref().is_empty() {
        error(languages_line, "site.languages: at least one language is required".into());
    }
    let email = raw.contact.email.get_ref();
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        error(line_of(raw.contact.email.span()), format!("contact.email: {email:?} is not an e-mail address"));
    }
    if raw.site.policy_version.trim().is_empty() {
        error(None, "site.policy_version must not be empty".into());
    }

    // Consent.
    let mut trusted_proxies = Vec::new();
    for proxy in raw.server.trusted_proxies.get_ref() {
        match proxy.trim().parse::<std::net::IpAddr>() {
            Ok(address) => trusted_proxies.push(address),
            Err(_) => error(
                line_of(raw.server.trusted_proxies.span()),
                format!("server.trusted_proxies: {proxy:?} is not an IP address (list each proxy's address)"),
            ),
        }
    }
    let consent_days = *raw.consent.lifetime_days.get_ref();
    if consent_days == 0 || consent_days > MAX_CONSENT_DAYS {
        error(
            line_of(raw.consent.lifetime_days.span()),
            format!("consent.lifetime_days = {consent_days}: must be 1 to {MAX_CONSENT_DAYS} (13 months, the longest regulators accept)"),
        );
    }

    // Storage.
    let storage = match raw.storage.backend.get_ref().as_str() {
        "sqlite" => StorageConfig::Sqlite(raw.storage.path.clone()),
        "postgres" => StorageConfig::Postgres { url_env: raw.storage.url_env.clone() },
        other => {
            error(
                line_of(raw.storage.backend.span()),
                format!("storage.backend = {other:?}: use \"sqlite\" or \"postgres\""),
            );
            StorageConfig::Sqlite(raw.storage.path.clone())
        }
    };

    let default_language = languages.first().copied().unwrap_or(Language::En);
    let secure = origins
        .iter()
        .all(|o| o.starts_with("https://") || o.starts_with("http://localhost") || o.starts_with("http://127.0.0.1"));

    // Accounts.
    let accounts = match &raw.accounts {
        Some(a) if a.enabled => {
            let days = *a.remember_days.get_ref();
            if days == 0 || days > 400 {
                error(
                    line_of(a.remember_days.span()),
                    format!("accounts.remember_days = {days}: must be 1 to 400 (RFC 6265bis §5.5 caps cookie lifetimes at 400 days)"),
                );
            }
            if a.idle_minutes == 0 || a.absolute_hours == 0 {
                error(None, "accounts.idle_minutes and accounts.absolute_hours must be positive".into());
            }
            Some(AccountSettings {
                remember_days: days,
                idle_minutes: a.idle_minutes,
                absolute_hours: a.absolute_hours,
                cross_device: a.cross_device,
            })
        }
        _ => None,
    };

    // Analytics.
    let analytics = match &raw.analytics {
        None => AnalyticsSettings::default(),
        Some(a) => {
            if *a.min_visitors.get_ref() == 0 {
                let line = line_of(a.min_visitors.span());
                error(line, "analytics.min_visitors = 0: the anonymity floor must be at least 1".into());
            }
            let retention = *a.raw_retention_days.get_ref();
            if retention == 0 || retention > 400 {
                let line = line_of(a.raw_retention_days.span());
                error(line, format!("analytics.raw_retention_days = {retention}: must be 1 to 400"));
            }
            for spanned in &a.goals {
                let (line, goal) = (line_of(spanned.span()), spanned.get_ref());
                if goal.event.is_some() == goal.path.is_some() {
                    error(line, format!("analytics goal {:?}: give exactly one of `event` or `path`", goal.name));
                }
                if goal.path.as_deref().is_some_and(|p| !p.starts_with('/')) {
                    error(line, format!("analytics goal {:?}: `path` must start with /", goal.name));
                }
            }
            for (i, spanned) in a.funnels.iter().enumerate() {
                let (line, funnel) = (line_of(spanned.span()), spanned.get_ref());
                if funnel.name.trim().is_empty() {
                    error(line, "analytics funnel: give it a name".into());
                }
                if a.funnels[..i].iter().any(|other| other.get_ref().name == funnel.name) {
                    error(line, format!("analytics funnel {:?}: two funnels have this name", funnel.name));
                }
                if let Err(fault) = crate::analytics::report::check_funnel_steps(&funnel.steps) {
                    error(line, format!("analytics funnel {:?}: {fault}", funnel.name));
                }
            }
            AnalyticsSettings {
                enabled: a.enabled,
                cookieless: a.cookieless,
                min_visitors: *a.min_visitors.get_ref(),
                raw_retention_days: retention,
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
    };

    // Cookies: crumb's own first, then the site's.
    let mut cookies = crate::own_cookies::declarations(secure, consent_days, accounts.as_ref());
    let mut seen: HashSet<(String, Option<String>, String)> =
        cookies.iter().map(|c| (c.name.clone(), c.domain.clone(), c.path.clone())).collect();
    let mut errors_at_line: Vec<(Option<usize>, String)> = Vec::new();
    for spanned in &raw.cookies {
        let line = line_of(spanned.span());
        let raw_cookie = spanned.get_ref();
        let name = &raw_cookie.name;
        let mut cookie_error = |message: String| error(line, format!("cookie `{name}`: {message}"));
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            cookie_error("the name must be a non-empty token (RFC 6265bis §4.1.1)".into());
        }
        let lifetime_line = line_of(raw_cookie.lifetime.span());
        let lifetime_text = raw_cookie.lifetime.get_ref();
        let lifetime = match Lifetime::parse(lifetime_text) {
            Ok(lifetime) => lifetime,
            Err(message) => {
                errors_at_line.push((lifetime_line, format!("cookie `{name}`: {message}")));
                Lifetime::Session
            }
        };
        if let Lifetime::Seconds(seconds) = lifetime {
            if seconds > MAX_COOKIE_LIFETIME_SECONDS {
                errors_at_line.push((
                    lifetime_line,
                    format!(
                        "cookie `{name}`: lifetime {lifetime_text} is over 400 days; browsers cap it (RFC 6265bis §5.5), so the policy would not be true"
                    ),
                ));
            }
            if seconds <= 0 {
                errors_at_line.push((lifetime_line, format!("cookie `{name}`: lifetime must be positive")));
            }
        }
        let lower = name.to_ascii_lowercase();
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
        if !raw_cookie.path.starts_with('/') {
            cookie_error(format!("path {:?} must start with '/'", raw_cookie.path));
        }
        let default_code = default_language.code();
        if raw_cookie.category != Category::Necessary
            && raw_cookie.purpose.get(default_code).is_none_or(|p| p.trim().is_empty())
        {
            cookie_error(format!(
                "a {} cookie needs purpose text (at least purpose.{default_code}); visitors must know what they consent to",
                raw_cookie.category.id()
            ));
        }
        if raw_cookie.category == Category::Necessary && raw_cookie.purpose.is_empty() {
            cookie_error(format!(
                "purpose.{default_code} is required: the policy page must say why the cookie is needed"
            ));
        }
        for code in raw_cookie.purpose.keys() {
            if Language::parse(code).is_none() {
                cookie_error(format!("purpose.{code}: unknown language code"));
            }
        }
        if !seen.insert((name.clone(), raw_cookie.domain.clone(), raw_cookie.path.clone())) {
            cookie_error("declared twice (same name, domain and path)".into());
        }
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

    for (line, message) in errors_at_line {
        errors.push(ConfigError { file: file.to_owned(), line, message });
    }
    errors.sort_by_key(|e| e.line);
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    Ok(Config {
        source: file.to_owned(),
        site_name: raw.site.name,
        origins,
        languages,
        policy_version: raw.site.policy_version,
        policy_changes: raw.site.changes,
        contact_name: raw.contact.name,
        contact_address: raw.contact.address,
        contact_email: raw.contact.email.into_inner(),
        honour_gpc: raw.signals.honour_gpc,
        honour_dnt: raw.signals.honour_dnt,
        consent_days,
        reprompt_on_change: raw.consent.reprompt_on_change,
        cookies,
        storage,
        secret_file: raw.keys.secret_file,
        listen: raw.server.listen,
        demo: raw.server.demo,
        trusted_proxies,
        accounts,
        analytics,
    })
}

/// The built-in demo configuration.
pub fn demo() -> Config {
    // The demo declaration ships with the binary and is checked by a test.
    parse(DEMO_TOML, "<built-in demo crumb.toml>")
        .unwrap_or_else(|e| unreachable!("built-in demo config is invalid: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[site]
name = "Shop"
origins = ["https://shop.example"]
languages = ["en", "fr"]
policy_version = "1"

[contact]
name = "Shop Ltd"
address = "1 Road"
email = "privacy@shop.example"
"#;

    fn with_cookie(cookie: &str) -> String {
        format!("{MINIMAL}\n[[cookie]]\n{cookie}\n")
    }

    #[test]
    fn demo_config_is_valid() {
        let config = demo();
        assert!(config.cookies.iter().any(|c| c.set_by_crumb));
        assert!(config.honour_gpc && config.honour_dnt);
    }

    #[test]
    fn consent_version_changes_with_the_declaration() {
        let config = demo();
        let mut changed = demo();
        assert_eq!(config.consent_version(), changed.consent_version());
        assert!(config.consent_version().starts_with("2026-11-29+"));
        changed.cookies.last_mut().unwrap().lifetime = Lifetime::Seconds(86_400);
        assert_ne!(config.consent_version(), changed.consent_version());
    }

    #[test]
    fn defaults() {
        let config = parse(MINIMAL, "crumb.toml").unwrap();
        assert_eq!(config.consent_days, DEFAULT_CONSENT_DAYS);
        assert_eq!(config.storage, StorageConfig::Sqlite(PathBuf::from("crumb-data/crumb.db")));
        assert!(config.reprompt_on_change);
    }

    #[test]
    fn lifetime_over_400_days_names_file_line_and_rule() {
        let text = with_cookie(
            "name = \"_ga\"\ncategory = \"statistics\"\nlifetime = \"730d\"\npurpose.en = \"Counts visits\"",
        );
        let errors = parse(&text, "crumb.toml").unwrap_err();
        let message = errors.to_string();
        assert!(message.starts_with("crumb.toml:16: cookie `_ga`: lifetime 730d is over 400 days"), "{message}");
        assert!(message.contains("RFC 6265bis §5.5"));
    }

    #[test]
    fn host_cookie_with_domain_is_refused() {
        let text = with_cookie("name = \"__Host-x\"\ncategory = \"necessary\"\nlifetime = \"session\"\ndomain = \"shop.example\"\npurpose.en = \"x\"");
        let message = parse(&text, "crumb.toml").unwrap_err().to_string();
        assert!(message.contains("a __Host- cookie cannot have a domain"), "{message}");
    }

    #[test]
    fn optional_cookie_without_purpose_is_refused() {
        let text = with_cookie("name = \"ads\"\ncategory = \"marketing\"\nlifetime = \"30d\"");
        let message = parse(&text, "crumb.toml").unwrap_err().to_string();
        assert!(message.contains("a marketing cookie needs purpose text"), "{message}");
    }

    #[test]
    fn consent_lifetime_over_13_months_is_refused() {
        let text = format!("{MINIMAL}\n[consent]\nlifetime_days = 400\n");
        let message = parse(&text, "crumb.toml").unwrap_err().to_string();
        assert!(message.contains("consent.lifetime_days = 400: must be 1 to 395"), "{message}");
    }

    #[test]
    fn analytics_funnels_are_checked() {
        let funnel = |name: &str, steps: &str| format!("[[analytics.funnel]]\nname = \"{name}\"\nsteps = {steps}\n");
        let text = format!("{MINIMAL}\n{}", funnel("Buy", r#"["/", "/cart", "event:buy"]"#));
        let config = parse(&text, "crumb.toml").unwrap();
        assert_eq!(
            config.analytics.funnels,
            [Funnel { name: "Buy".into(), steps: vec!["/".into(), "/cart".into(), "event:buy".into()] }]
        );
        for (steps, fault) in [
            (r#"["/"]"#, "a funnel has 2 to 10 steps, not 1"),
            (r#"["/", "cart"]"#, "\"cart\" is neither /path nor event:name"),
            (r#"["/a,b", "/"]"#, "\"/a,b\": a step cannot contain a comma"),
            (r#"["/", "event:"]"#, "\"event:\" is neither"),
        ] {
            let text = format!("{MINIMAL}\n{}", funnel("Buy", steps));
            let message = parse(&text, "crumb.toml").unwrap_err().to_string();
            assert!(message.contains(&format!("analytics funnel \"Buy\": {fault}")), "{steps}: {message}");
        }
        let text = format!("{MINIMAL}\n{}{}", funnel("Buy", r#"["/", "/a"]"#), funnel("Buy", r#"["/", "/b"]"#));
        let message = parse(&text, "crumb.toml").unwrap_err().to_string();
        assert!(
            message.starts_with("crumb.toml:16: analytics funnel \"Buy\": two funnels have this name"),
            "{message}"
        );
    }

    #[test]
    fn analytics_goals_need_no_analytics_header_and_faults_name_their_line() {
        let text = format!("{MINIMAL}\n[[analytics.goal]]\nname = \"Signed up\"\nevent = \"signup\"\n");
        assert_eq!(parse(&text, "crumb.toml").unwrap().analytics.goals.len(), 1);
        let text = format!("{MINIMAL}\n[analytics]\ncookieless = true\nmin_visitors = 0\n\n[[analytics.goal]]\nname = \"x\"\npath = \"thanks\"\n");
        let message = parse(&text, "crumb.toml").unwrap_err().to_string();
        assert!(message.contains("crumb.toml:15: analytics.min_visitors = 0"), "{message}");
        assert!(message.contains("crumb.toml:17: analytics goal \"x\": `path` must start with /"), "{message}");
    }

    #[test]
    fn trusted_proxies_are_addresses() {
        assert!(parse(MINIMAL, "crumb.toml").unwrap().trusted_proxies.is_empty(), "none by default");
        let text = format!("{MINIMAL}\n[server]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n");
        let proxies = parse(&text, "crumb.toml").unwrap().trusted_proxies;
        assert_eq!(proxies, ["127.0.0.1".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]);
        let text = format!("{MINIMAL}\n[server]\ntrusted_proxies = [\"10.0.0.0/8\"]\n");
        let message = parse(&text, "crumb.toml").unwrap_err().to_string();
        assert!(
            message.contains("crumb.toml:14: server.trusted_proxies: \"10.0.0.0/8\" is not an IP address"),
            "{message}"
        );
    }

    #[test]
    fn syntax_and_unknown_fields_report_lines() {
        let message = parse("[site]\nname = \"x\"\nbogus = 1\n", "crumb.toml").unwrap_err().to_string();
        assert!(message.starts_with("crumb.toml:3:") || message.starts_with("crumb.toml:1:"), "{message}");
        let message = parse(&with_cookie("name = \"a\"\ncategory = \"ads\"\nlifetime = \"1d\""), "c.toml")
            .unwrap_err()
            .to_string();
        assert!(message.contains("unknown variant `ads`"), "{message}");
    }

    #[test]
    fn lifetimes_parse() {
        assert_eq!(Lifetime::parse("session"), Ok(Lifetime::Session));
        assert_eq!(Lifetime::parse("30d"), Ok(Lifetime::Seconds(30 * 86_400)));
        assert_eq!(Lifetime::parse("2h"), Ok(Lifetime::Seconds(7_200)));
        assert!(Lifetime::parse("3 weeks").is_err());
    }
}
