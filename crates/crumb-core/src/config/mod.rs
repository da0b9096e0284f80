//! `crumb.toml`: the one declaration of every cookie a site uses, and the
//! settings that go with it. Parsed, then validated; every error names the
//! file, the line and the rule.

mod campaigns;
mod findings;
mod gateway;
mod interests;
mod raw;
mod sections;
mod transport;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::category::Category;
pub use crate::declaration::{CookieDeclaration, Lifetime, Provider};
use crate::i18n::Language;
use findings::Findings;
pub use gateway::{
    check_path_prefix, parse_upstream, GatewaySettings, UndeclaredCookies, DEFAULT_GATEWAY_PREFIX,
    MAX_UPSTREAM_TIMEOUT_SECONDS,
};
pub use interests::{ClassifierMode, InterestSettings, MAX_PAGE_TOPICS};
use raw::RawConfig;
pub use transport::{development_refusals, is_development_origin, TlsFiles};

/// The longest a cookie may live (RFC 6265bis §5.5): 400 days.
pub const MAX_COOKIE_LIFETIME_SECONDS: i64 = 400 * 86_400;
/// The longest a consent may last before the banner asks again: 13 months (395 days).
pub const MAX_CONSENT_DAYS: u32 = 395;
/// Seconds the gateway waits for the upstream's response headers unless
/// `[gateway] timeout_seconds` says otherwise.
pub const DEFAULT_UPSTREAM_TIMEOUT_SECONDS: u32 = 30;
/// The default consent lifetime: 6 months.
pub const DEFAULT_CONSENT_DAYS: u32 = 182;
/// Distinct values of a dimension kept per day unless `analytics.max_values_per_day` says otherwise.
pub const DEFAULT_MAX_VALUES_PER_DAY: u32 = 1000;
/// The fewest distinct values per day `analytics.max_values_per_day` accepts.
pub const MIN_MAX_VALUES_PER_DAY: u32 = 10;
/// The most distinct values per day `analytics.max_values_per_day` accepts:
/// a day's rollup rows, and a report's work, grow with it.
pub const MAX_MAX_VALUES_PER_DAY: u32 = 100_000;

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
    /// Serve the demo site (never with a gateway: the site is upstream).
    pub demo: bool,
    /// The path crumb's own routes live under on the site's origin: "" (at
    /// the root, the default), or `[server] prefix` such as `/_crumb`
    /// (the default with a gateway). Every page, link, script and API
    /// crumb serves is under it.
    pub prefix: String,
    /// `[gateway]`: crumb in front of the site, if configured.
    pub gateway: Option<GatewaySettings>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`[server]
    /// trusted_proxies`, exact addresses); from anyone else the header is
    /// ignored and the client is the connection's peer.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Time limits and the metrics listener (`[server]`).
    pub server: ServerLimits,
    /// `[server] tls_cert`/`tls_key`: crumb serves HTTPS itself from these
    /// PEM files (else plain HTTP, behind a proxy that terminates TLS).
    pub tls: Option<TlsFiles>,
    /// `[server] development` (or `crumb serve --dev`): every origin is a
    /// development name ([`is_development_origin`]); plain-http `*.test`
    /// origins are not warned about, no HSTS is sent, and the startup log
    /// and the policy page say "development mode". Cookies are chosen as
    /// ever by [`Config::secure_origins`].
    pub development: bool,
    /// Accounts and sign-in, if enabled.
    pub accounts: Option<AccountSettings>,
    /// `[analytics]`.
    pub analytics: AnalyticsSettings,
    /// `[interests]`: the topics of the site's pages (off by default).
    pub interests: InterestSettings,
    /// `[[campaign]]`: the advertising campaigns the site serves itself.
    pub campaigns: Vec<crate::ads::Campaign>,
}

/// `[server]`'s limits: how long a request may take, how long a shutdown
/// waits, and where Prometheus metrics are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// A request still running after this is answered 503 (`request_timeout_seconds`, default 30).
    pub request_timeout: std::time::Duration,
    /// On SIGTERM or SIGINT, requests in flight get this long to finish (`shutdown_seconds`, default 30).
    pub shutdown_grace: std::time::Duration,
    /// A separate address that serves `/metrics` to anyone who can reach it (`metrics_listen`); on the
    /// site's own address `/metrics` needs the token in `CRUMB_METRICS_TOKEN`.
    pub metrics_listen: Option<String>,
    /// Events (`POST /api/event`) one visitor may send per minute (default 600; an address ten times that).
    pub events_per_minute: u32,
    /// Consent decisions (`POST /api/consent`) one browser may send per minute (default 30; an address ten times that).
    pub consents_per_minute: u32,
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
    /// Memory, MB, that password hashing (Argon2id) may hold at once: it
    /// bounds the hashes that run concurrently
    /// (`crate::accounts::hashing::permits_for`).
    pub password_hash_memory_mb: u32,
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
    /// Distinct values of each dimension (page, referrer, event property …)
    /// kept per UTC day; beyond them, values are counted as "(other)".
    pub max_values_per_day: u32,
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
            max_values_per_day: DEFAULT_MAX_VALUES_PER_DAY,
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
        let hex = hex::encode(&digest.finalize()[..4]);
        format!("{}+{hex}", self.policy_version)
    }

    /// Whether cookies can be `Secure` with the `__Host-` prefix: every
    /// origin is https, or loopback (which browsers treat as secure).
    pub fn secure_origins(&self) -> bool {
        self.origins.iter().all(|origin| is_secure_origin(origin))
    }

    /// What is wrong with serving the site at each origin that is not a
    /// secure one ([`is_secure_origin`]): one line per such origin, naming
    /// the consequence. Empty when every origin is secure; in development
    /// mode a plain-http development name ([`is_development_origin`]) is
    /// expected and not warned about ([`Config::development_notice`] says it once).
    pub fn insecure_origin_warnings(&self) -> Vec<String> {
        self.origins
            .iter()
            .filter(|origin| !is_secure_origin(origin))
            .filter(|origin| !(self.development && is_development_origin(origin)))
            .map(|origin| {
                format!(
                    "site.origins: {origin:?} is plain http on a host that is not loopback: browsers refuse Secure \
                     and __Host- cookies there (a consent kept in one would be dropped and the banner would come \
                     back on every page), so crumb sets its own cookies without them, readable and replaceable by \
                     anyone on the network; serve the site over https ([server] tls_cert and tls_key, or a proxy \
                     that terminates TLS), or for a *.test name set [server] development = true"
                )
            })
            .collect()
    }

    /// Turns development mode on (`crumb serve --dev`); `Err` lists the
    /// origins that are not development names, and the mode stays off.
    pub fn enable_development(&mut self) -> Result<(), Vec<String>> {
        let refusals = development_refusals(&self.origins);
        if !refusals.is_empty() {
            return Err(refusals);
        }
        self.development = true;
        Ok(())
    }

    /// In development mode, the one line the startup log says: what the
    /// mode changes, for these origins. `None` outside development mode.
    pub fn development_notice(&self) -> Option<String> {
        let plain: Vec<&str> =
            self.origins.iter().map(String::as_str).filter(|origin| !is_secure_origin(origin)).collect();
        self.development.then(|| {
            let cookies = if plain.is_empty() {
                "crumb's cookies keep Secure and __Host- (every origin is https or loopback)".to_owned()
            } else {
                format!(
                    "crumb's cookies are set without Secure and the __Host- prefix, which browsers refuse on \
                     plain http at {}",
                    plain.join(", ")
                )
            };
            format!(
                "development mode (only for *.test, *.localhost and loopback names): {cookies}; no \
                 Strict-Transport-Security header is sent; the policy page says \"development mode\""
            )
        })
    }

    /// The configured origin a request's `Host` header names, if any: the
    /// host compared without case and a trailing dot, the port explicit or
    /// else the origin scheme's default (80 for http, 443 for https). A request
    /// for any other host — a DNS-rebinding page whose name now points
    /// here, a scanner — is not for this site.
    pub fn origin_for_host(&self, host: &str) -> Option<&str> {
        // Asked on every request: a `Host` written exactly as an origin's
        // authority (the usual case) is that origin's without parsing either.
        let as_written = |origin: &str| origin.split_once("://").is_some_and(|(_, authority)| authority == host);
        let parsed = std::cell::OnceCell::new();
        self.origins.iter().map(String::as_str).find(|origin| {
            as_written(origin)
                || parsed.get_or_init(|| split_authority(host)).as_ref().is_some_and(|(host, port)| {
                    Origin::parse(origin).is_some_and(|own| {
                        own.host == *host && port.unwrap_or(if own.https { 443 } else { 80 }) == own.port
                    })
                })
        })
    }

    /// Whether `origin` (an `Origin` header's value) is one of the site's:
    /// same scheme, host and port.
    pub fn is_own_origin(&self, origin: &str) -> bool {
        let Some(wanted) = Origin::parse(origin) else { return false };
        self.origins.iter().any(|own| Origin::parse(own).as_ref() == Some(&wanted))
    }

    /// Puts crumb in front of `upstream` (`crumb serve --upstream URL`):
    /// the file's `[gateway]` with its upstream replaced, or one with
    /// defaults; crumb's routes move under [`DEFAULT_GATEWAY_PREFIX`] if
    /// they were at the root, and the demo site is off.
    pub fn put_in_front_of(&mut self, upstream: &str) -> Result<(), String> {
        let url = parse_upstream(upstream)?;
        match &mut self.gateway {
            Some(gateway) => gateway.upstream = url,
            None => self.gateway = Some(GatewaySettings::to(upstream)?),
        }
        if self.prefix.is_empty() {
            DEFAULT_GATEWAY_PREFIX.clone_into(&mut self.prefix);
        }
        self.demo = false;
        Ok(())
    }

    /// The built-in demo declaration served at `port` on this machine: its
    /// origins become `http://localhost:PORT` and `http://127.0.0.1:PORT`,
    /// so that the demo works on whatever port `crumb serve --listen` took.
    pub fn demo_on_port(port: u16) -> Config {
        let mut config = demo();
        config.origins = vec![format!("http://localhost:{port}"), format!("http://127.0.0.1:{port}")];
        config
    }
}

/// A `scheme://host[:port]` origin with its port made explicit.
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    fn parse(origin: &str) -> Option<Origin> {
        let (https, rest) = match origin.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (false, origin.strip_prefix("http://")?),
        };
        let (host, port) = split_authority(rest.trim_end_matches('/'))?;
        Some(Origin { https, host, port: port.unwrap_or(if https { 443 } else { 80 }) })
    }
}

/// `host[:port]` (`[v6]:port` for IPv6) as a lower-case host without a
/// trailing dot and the port, if one is written; `None` if it is not one.
fn split_authority(text: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = match text.strip_prefix('[') {
        Some(bracketed) => {
            let (inside, rest) = bracketed.split_once(']')?;
            let port = if rest.is_empty() { None } else { Some(rest.strip_prefix(':')?) };
            (format!("[{inside}]"), port)
        }
        None => match text.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (text.to_owned(), None),
        },
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.bytes().any(|b| matches!(b, b'/' | b'@' | b'\\' | b'?' | b'#') || b <= b' ') {
        return None;
    }
    let port = match port {
        Some(port) => Some(port.parse::<u16>().ok()?),
        None => None,
    };
    Some((host, port))
}

/// The built-in demo declaration, used when `crumb serve` has no config.
pub const DEMO_TOML: &str = include_str!("../../../../web/demo/crumb.toml");

/// The demo declaration without its campaigns (everything before the
/// `# ---- demo campaigns ----` line of `web/demo/crumb.toml`), for a
/// declaration that brings campaigns of its own.
pub fn demo_toml_without_campaigns() -> &'static str {
    DEMO_TOML.split("# ---- demo campaigns ----").next().unwrap_or(DEMO_TOML)
}

/// Reads and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError { file: file.clone(), line: None, message: format!("cannot read: {e}") }])
    })?;
    parse(&text, &file)
}

/// Parses and validates config text; `file` names it in errors. Every
/// section is checked (the errors of all of them are reported together,
/// by line).
pub fn parse(text: &str, file: &str) -> Result<Config, ConfigErrors> {
    let mut findings = Findings::new(file, text);
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().and_then(|span| findings.line_of(span));
        ConfigErrors(vec![ConfigError { file: file.to_owned(), line, message: e.message().to_owned() }])
    })?;
    let site = sections::site(&raw.site, &raw.contact, &mut findings);
    let trusted_proxies = sections::trusted_proxies(&raw.server, &mut findings);
    let server = sections::server_limits(&raw.server, &mut findings);
    let consent_days = sections::consent_days(&raw.consent, &mut findings);
    let storage = sections::storage(&raw.storage, &mut findings);
    let accounts = sections::accounts(raw.accounts.as_ref(), &mut findings);
    let analytics = sections::analytics(raw.analytics.as_ref(), &mut findings);
    let interests = interests::section(raw.interests.as_ref(), &mut findings);
    let campaigns = campaigns::section(&raw.campaigns, &mut findings);
    let (prefix, gateway) = gateway::section(&raw.server, raw.gateway.as_ref(), &mut findings);
    let (tls, development) = transport::section(&raw.server, &site.origins, &mut findings);
    let secure = site.origins.iter().all(|origin| is_secure_origin(origin));
    let remember_days = accounts.as_ref().map(|a| a.remember_days);
    let mut cookies = crate::own_cookies::declarations(secure, consent_days, remember_days);
    sections::site_cookies(&raw.cookies, site.default_language(), &mut cookies, &mut findings);
    findings.into_result()?;
    Ok(Config {
        source: file.to_owned(),
        site_name: raw.site.name,
        origins: site.origins,
        languages: site.languages,
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
        demo: raw.server.demo && gateway.is_none(),
        prefix,
        gateway,
        trusted_proxies,
        server,
        tls,
        development,
        accounts,
        analytics,
        interests,
        campaigns,
    })
}

/// Whether an origin is one where browsers keep `Secure` cookies: `https`,
/// or `http` on a loopback host — `localhost`, a name under `.localhost`,
/// `127.0.0.0/8` or `[::1]` — which browsers treat as potentially
/// trustworthy (W3C Secure Contexts §3.2). The host must be exactly that:
/// `http://localhost.evil.example` is not loopback.
pub fn is_secure_origin(origin: &str) -> bool {
    if origin.starts_with("https://") {
        return true;
    }
    let Some(authority) = origin.strip_prefix("http://") else { return false };
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((inside, _)) => return inside.parse::<std::net::Ipv6Addr>().is_ok_and(|a| a.is_loopback()),
            None => return false,
        },
        None => authority.rsplit_once(':').map_or(authority, |(host, _port)| host),
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

/// The built-in demo configuration.
pub fn demo() -> Config {
    // The demo declaration ships with the binary and is checked by a test.
    parse(DEMO_TOML, "<built-in demo crumb.toml>")
        .unwrap_or_else(|e| unreachable!("built-in demo config is invalid: {e}"))
}

/// The smallest valid declaration (two languages, no cookies of the
/// site's own), for the config sections' tests.
#[cfg(test)]
pub(crate) const MINIMAL_FOR_TESTS: &str = r#"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_without_its_campaigns_is_the_demo_with_none() {
        let demo = parse(DEMO_TOML, "crumb.toml").expect("the demo");
        assert!(!demo.campaigns.is_empty(), "the demo has campaigns");
        let without = parse(demo_toml_without_campaigns(), "crumb.toml").expect("the demo without campaigns");
        assert!(without.campaigns.is_empty());
        assert_eq!(without.interests, demo.interests, "only the campaigns are cut");
    }

    #[test]
    fn a_host_header_names_an_origin_only_with_the_same_host_and_port() {
        let mut config = demo();
        config.origins =
            vec!["https://Shop.example".into(), "http://127.0.0.1:8080".into(), "http://[::1]:9000".into()];
        assert_eq!(config.origin_for_host("shop.example"), Some("https://Shop.example"), "default port, any case");
        assert_eq!(config.origin_for_host("SHOP.example.:443"), Some("https://Shop.example"), "explicit port, dot");
        assert_eq!(config.origin_for_host("127.0.0.1:8080"), Some("http://127.0.0.1:8080"));
        assert_eq!(config.origin_for_host("[::1]:9000"), Some("http://[::1]:9000"));
        for foreign in
            ["rebind.evil:8080", "shop.example:8443", "127.0.0.1", "127.0.0.1:8081", "", "a@shop.example", "[::1]"]
        {
            assert_eq!(config.origin_for_host(foreign), None, "{foreign:?}");
        }
        assert!(config.is_own_origin("https://shop.example"));
        assert!(config.is_own_origin("https://shop.example:443"));
        assert!(!config.is_own_origin("http://shop.example"), "scheme differs");
        assert!(!config.is_own_origin("http://rebind.evil:8080"));
        assert!(!config.is_own_origin("null"));
    }

    #[test]
    fn the_demo_on_a_port_has_that_ports_loopback_origins() {
        let config = Config::demo_on_port(4711);
        assert_eq!(config.origins, ["http://localhost:4711", "http://127.0.0.1:4711"]);
        assert!(config.secure_origins());
    }

    #[test]
    fn server_time_limits_are_bounded() {
        let config = demo();
        assert_eq!(config.server.request_timeout, std::time::Duration::from_secs(30));
        assert_eq!(config.server.shutdown_grace, std::time::Duration::from_secs(30));
        for (setting, fault) in [
            ("request_timeout_seconds = 0", "server.request_timeout_seconds = 0: must be 1 to 600"),
            ("shutdown_seconds = 601", "server.shutdown_seconds = 601: must be 1 to 600"),
            ("metrics_listen = \"everywhere\"", "server.metrics_listen = \"everywhere\": must be an address"),
            ("events_per_minute = 0", "server.events_per_minute = 0: must be 1 to 100000"),
            ("consents_per_minute = 100001", "server.consents_per_minute = 100001: must be 1 to 100000"),
        ] {
            let text = DEMO_TOML.replace("[server]\n", &format!("[server]\n{setting}\n"));
            let errors = parse(&text, "t.toml").expect_err(setting).to_string();
            assert!(errors.contains(fault), "{setting}: {errors}");
        }
        let text = DEMO_TOML
            .replace("[server]\n", "[server]\nrequest_timeout_seconds = 5\nmetrics_listen = \"127.0.0.1:9464\"\n");
        let config = parse(&text, "t.toml").unwrap();
        assert_eq!(config.server.request_timeout, std::time::Duration::from_secs(5));
        assert_eq!(config.server.metrics_listen.as_deref(), Some("127.0.0.1:9464"));
    }

    #[test]
    fn session_timeouts_are_bounded() {
        let with = |lines: &str| DEMO_TOML.replace("idle_minutes = 30\nabsolute_hours = 12", lines);
        assert!(parse(&with("idle_minutes = 30\nabsolute_hours = 12"), "crumb.toml").is_ok());
        assert!(parse(&with("idle_minutes = 1440\nabsolute_hours = 720"), "crumb.toml").is_ok());
        let errors = parse(&with("idle_minutes = 4294967295\nabsolute_hours = 721"), "crumb.toml").unwrap_err();
        let text = errors.to_string();
        assert!(text.contains("accounts.idle_minutes = 4294967295: must be 1 to 1440"), "{text}");
        assert!(text.contains("accounts.absolute_hours = 721: must be 1 to 720"), "{text}");
        assert!(parse(&with("idle_minutes = 0\nabsolute_hours = 12"), "crumb.toml").is_err());
    }

    #[test]
    fn the_password_hashing_memory_budget_defaults_and_holds_at_least_one_hash() {
        let with = |line: &str| DEMO_TOML.replace("idle_minutes = 30\n", &format!("idle_minutes = 30\n{line}\n"));
        let budget = |config: Config| config.accounts.unwrap().password_hash_memory_mb;
        assert_eq!(budget(parse(DEMO_TOML, "crumb.toml").unwrap()), crate::accounts::hashing::DEFAULT_HASH_MEMORY_MB);
        assert_eq!(budget(parse(&with("password_hash_memory_mb = 512"), "crumb.toml").unwrap()), 512);
        let text = parse(&with("password_hash_memory_mb = 20"), "crumb.toml").unwrap_err().to_string();
        assert!(text.contains("accounts.password_hash_memory_mb = 20: must be at least 21"), "{text}");
    }

    #[test]
    fn secure_origins_are_https_or_exactly_loopback() {
        for origin in [
            "https://www.example.com",
            "http://localhost:8080",
            "http://localhost",
            "http://app.localhost:3000",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://[::1]:9000",
        ] {
            assert!(is_secure_origin(origin), "{origin}");
        }
        for origin in [
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example:80",
            "http://[::2]:80",
            "http://example.com",
            "http://[::1",
        ] {
            assert!(!is_secure_origin(origin), "{origin}");
        }
    }

    #[test]
    fn loopback_ipv6_origins_get_secure_host_prefixed_declarations() {
        let text = DEMO_TOML.replace("origins = [", "origins = [\"http://[::1]:9000\", ");
        let config = parse(&text, "crumb.toml").unwrap();
        assert!(config.secure_origins());
        let consent = config.cookies.iter().find(|c| c.set_by_crumb && c.name.ends_with("crumb_consent")).unwrap();
        assert_eq!((consent.name.as_str(), consent.secure), ("__Host-crumb_consent", true));
        let names = crate::own_cookies::OwnCookieNames::new(config.secure_origins());
        assert!(config.own_cookie(&names.consent).is_some(), "the names crumb sets are the names it declared");
    }

    const MINIMAL: &str = super::MINIMAL_FOR_TESTS;

    fn with_cookie(cookie: &str) -> String {
        format!("{MINIMAL}\n[[cookie]]\n{cookie}\n")
    }

    #[test]
    fn demo_config_is_valid() {
        let config = demo();
        assert!(config.cookies.iter().any(|c| c.set_by_crumb));
        assert!(config.honour_gpc && config.honour_dnt);
    }

    fn with_sections(extra: &str) -> Result<Config, ConfigErrors> {
        let base = "[site]\nname = \"S\"\norigins = [\"https://shop.example\"]\npolicy_version = \"1\"\n\
                    [contact]\nname = \"C\"\naddress = \"A\"\nemail = \"p@shop.example\"\n";
        parse(&format!("{base}{extra}"), "t.toml")
    }

    #[test]
    fn a_gateway_moves_crumb_under_a_prefix_and_turns_the_demo_off() {
        let plain = with_sections("").unwrap();
        assert_eq!((plain.prefix.as_str(), plain.gateway.is_none(), plain.demo), ("", true, true));
        let gateway = with_sections("[gateway]\nupstream = \"http://127.0.0.1:3000\"\n").unwrap();
        assert_eq!(gateway.prefix, DEFAULT_GATEWAY_PREFIX);
        assert!(!gateway.demo, "the site is upstream");
        let settings = gateway.gateway.unwrap();
        assert_eq!(settings.upstream.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(settings.undeclared, UndeclaredCookies::Block, "undeclared cookies are blocked by default");
        assert_eq!(settings.timeout.as_secs(), u64::from(DEFAULT_UPSTREAM_TIMEOUT_SECONDS));
        let chosen = with_sections(
            "[server]\nprefix = \"/consent\"\n[gateway]\nupstream = \"http://app:3000\"\nundeclared = \"allow\"\n\
             policy_path = \"/cookie-policy\"\ntimeout_seconds = 5\n",
        )
        .unwrap();
        assert_eq!(chosen.prefix, "/consent");
        let settings = chosen.gateway.unwrap();
        assert_eq!(settings.undeclared, UndeclaredCookies::Allow);
        assert_eq!(settings.policy_path.as_deref(), Some("/cookie-policy"));
        let beside = with_sections("[server]\nprefix = \"/_crumb\"\n").unwrap();
        assert_eq!((beside.prefix.as_str(), beside.gateway.is_none()), ("/_crumb", true), "beside nginx");
    }

    #[test]
    fn gateway_mistakes_are_named_with_their_lines() {
        let errors = with_sections(
            "[server]\nprefix = \"\"\n[gateway]\nupstream = \"ftp://x\"\nundeclared = \"maybe\"\n\
             policy_path = \"/\"\ntimeout_seconds = 0\n",
        )
        .unwrap_err()
        .to_string();
        for expected in [
            "t.toml:10: server.prefix: a gateway needs a prefix",
            "t.toml:12: gateway.upstream: \"ftp://x\"",
            "t.toml:13: gateway.undeclared = \"maybe\"",
            "t.toml:14: gateway.policy_path",
            "t.toml:15: gateway.timeout_seconds = 0",
        ] {
            assert!(errors.contains(expected), "{expected:?} not in:\n{errors}");
        }
        let under =
            with_sections("[gateway]\nupstream = \"http://a\"\npolicy_path = \"/_crumb/p\"\n").unwrap_err().to_string();
        assert!(under.contains("is under the prefix"), "{under}");
    }

    #[test]
    fn tls_files_come_in_pairs_and_faults_name_their_lines() {
        let both = with_sections("[server]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n").unwrap();
        assert_eq!(both.tls, Some(TlsFiles { cert: "cert.pem".into(), key: "key.pem".into() }));
        assert_eq!(with_sections("").unwrap().tls, None, "plain http by default");
        let cert_only = with_sections("[server]\ntls_cert = \"cert.pem\"\n").unwrap_err().to_string();
        assert!(
            cert_only.contains("t.toml:10: server.tls_cert is set but tls_key is not: HTTPS needs both PEM files"),
            "{cert_only}"
        );
        let key_only =
            with_sections("[server]\nlisten = \"127.0.0.1:1\"\ntls_key = \"k.pem\"\n").unwrap_err().to_string();
        assert!(key_only.contains("t.toml:11: server.tls_key is set but tls_cert is not"), "{key_only}");
        let empty = with_sections("[server]\ntls_cert = \"\"\ntls_key = \"k.pem\"\n").unwrap_err().to_string();
        assert!(empty.contains("t.toml:10: server.tls_cert and tls_key must name files"), "{empty}");
    }

    #[test]
    fn development_mode_is_only_for_development_names() {
        let public = with_sections("[server]\ndevelopment = true\n").unwrap_err().to_string();
        assert!(
            public.contains("t.toml:10: server.development: \"https://shop.example\" is not a development name"),
            "{public}"
        );
        assert!(!with_sections("[server]\ndevelopment = false\n").unwrap().development);
        let text = DEMO_TOML.replacen("origins = [", "origins = [\"http://shop.test\", ", 1);
        let plain = parse(&text, "t.toml").unwrap();
        assert!(!plain.development);
        assert_eq!(plain.insecure_origin_warnings().len(), 1, "outside development mode http://shop.test is warned");
        assert!(plain.insecure_origin_warnings()[0].contains("the banner would come back on every page"));
        assert_eq!(plain.development_notice(), None);
        let dev = parse(&text.replacen("[server]\n", "[server]\ndevelopment = true\n", 1), "t.toml").unwrap();
        assert!(dev.development);
        assert!(dev.insecure_origin_warnings().is_empty(), "expected in development mode");
        assert!(!dev.secure_origins(), "cookies still lose Secure and __Host- on plain http");
        let notice = dev.development_notice().unwrap();
        assert!(notice.starts_with("development mode"), "{notice}");
        assert!(notice.contains("without Secure and the __Host- prefix") && notice.contains("http://shop.test"));
        let mut flagged = demo();
        assert!(flagged.enable_development().is_ok(), "the demo's origins are loopback");
        assert!(flagged.development);
        let mut public = with_sections("").unwrap();
        let refusals = public.enable_development().unwrap_err();
        assert_eq!(refusals.len(), 1);
        assert!(!public.development);
    }

    #[test]
    fn serve_upstream_puts_the_demo_declaration_in_front_of_a_site() {
        let mut config = demo();
        config.put_in_front_of("http://127.0.0.1:3000").unwrap();
        assert_eq!((config.prefix.as_str(), config.demo), (DEFAULT_GATEWAY_PREFIX, false));
        assert!(config.put_in_front_of("not a url").is_err());
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
    fn analytics_max_values_per_day_has_a_default_and_bounds() {
        assert_eq!(parse(MINIMAL, "crumb.toml").unwrap().analytics.max_values_per_day, DEFAULT_MAX_VALUES_PER_DAY);
        let with = |n: u32| format!("{MINIMAL}\n[analytics]\nmax_values_per_day = {n}\n");
        for accepted in [MIN_MAX_VALUES_PER_DAY, 250, MAX_MAX_VALUES_PER_DAY] {
            assert_eq!(parse(&with(accepted), "crumb.toml").unwrap().analytics.max_values_per_day, accepted);
        }
        for refused in [0, MIN_MAX_VALUES_PER_DAY - 1, MAX_MAX_VALUES_PER_DAY + 1] {
            let message = parse(&with(refused), "crumb.toml").unwrap_err().to_string();
            assert!(
                message.contains(&format!("analytics.max_values_per_day = {refused}: must be 10 to 100000")),
                "{message}"
            );
        }
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
