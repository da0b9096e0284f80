//! `crumb.toml` as written: the serde structs the file is read into, with
//! the defaults of every omitted field. [`super::sections`] checks them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::DEFAULT_CONSENT_DAYS;
use crate::category::Category;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) site: RawSite,
    pub(super) contact: RawContact,
    #[serde(default)]
    pub(super) signals: RawSignals,
    #[serde(default)]
    pub(super) consent: RawConsent,
    #[serde(default)]
    pub(super) storage: RawStorage,
    #[serde(default)]
    pub(super) keys: RawKeys,
    #[serde(default)]
    pub(super) server: RawServer,
    #[serde(default)]
    pub(super) accounts: Option<RawAccounts>,
    #[serde(default)]
    // Not `Spanned` as a whole: toml cannot give the span of a table that
    // only `[[analytics.goal]]` defines; its fields carry the lines.
    pub(super) analytics: Option<RawAnalytics>,
    #[serde(default)]
    pub(super) gateway: Option<RawGateway>,
    #[serde(default)]
    // Not `Spanned` as a whole, like `analytics`: `[[interests.page]]`
    // alone defines the table.
    pub(super) interests: Option<RawInterests>,
    #[serde(default, rename = "cookie")]
    pub(super) cookies: Vec<Spanned<RawCookie>>,
    #[serde(default, rename = "campaign")]
    pub(super) campaigns: Vec<Spanned<RawCampaign>>,
}

/// `[[campaign]]`: an advertising campaign (crumb_core::ads).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCampaign {
    pub(super) id: String,
    #[serde(default)]
    pub(super) name: String,
    pub(super) advertiser: String,
    pub(super) link: String,
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) image: Option<String>,
    #[serde(default)]
    pub(super) alt: Option<String>,
    #[serde(default)]
    pub(super) html: Option<String>,
    #[serde(default)]
    pub(super) topics: Vec<u16>,
    #[serde(default)]
    pub(super) slots: Vec<String>,
    #[serde(default)]
    pub(super) start: Option<String>,
    #[serde(default)]
    pub(super) end: Option<String>,
    #[serde(default)]
    pub(super) daily_cap: Option<u32>,
    #[serde(default)]
    pub(super) frequency_cap: Option<u32>,
    #[serde(default)]
    pub(super) priority: u8,
    #[serde(default = "one")]
    pub(super) weight: u32,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGateway {
    pub(super) upstream: Spanned<String>,
    #[serde(default)]
    pub(super) undeclared: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) policy_path: Option<Spanned<String>>,
    #[serde(default = "default_upstream_timeout")]
    pub(super) timeout_seconds: Spanned<u32>,
}

fn default_upstream_timeout() -> Spanned<u32> {
    Spanned::new(0..0, super::DEFAULT_UPSTREAM_TIMEOUT_SECONDS)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInterests {
    #[serde(default)]
    pub(super) enabled: bool,
    #[serde(default)]
    pub(super) classifier: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) max_topics: Option<Spanned<u32>>,
    #[serde(default, rename = "page")]
    pub(super) pages: Vec<Spanned<RawInterestPage>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInterestPage {
    pub(super) path: String,
    pub(super) topics: Vec<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAccounts {
    #[serde(default = "yes")]
    pub(super) enabled: bool,
    #[serde(default = "default_remember_days")]
    pub(super) remember_days: Spanned<u32>,
    #[serde(default = "default_idle_minutes")]
    pub(super) idle_minutes: u32,
    #[serde(default = "default_absolute_hours")]
    pub(super) absolute_hours: u32,
    #[serde(default)]
    pub(super) cross_device: bool,
    #[serde(default = "default_password_hash_memory_mb")]
    pub(super) password_hash_memory_mb: u32,
}

fn default_remember_days() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}
fn default_password_hash_memory_mb() -> u32 {
    crate::accounts::hashing::DEFAULT_HASH_MEMORY_MB
}
fn default_idle_minutes() -> u32 {
    30
}
fn default_absolute_hours() -> u32 {
    12
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSite {
    pub(super) name: String,
    pub(super) origins: Spanned<Vec<String>>,
    #[serde(default = "default_languages")]
    pub(super) languages: Spanned<Vec<String>>,
    pub(super) policy_version: String,
    #[serde(default)]
    pub(super) changes: String,
}

fn default_languages() -> Spanned<Vec<String>> {
    Spanned::new(0..0, vec!["en".to_owned()])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContact {
    pub(super) name: String,
    pub(super) address: String,
    pub(super) email: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSignals {
    #[serde(default = "yes")]
    pub(super) honour_gpc: bool,
    #[serde(default = "yes")]
    pub(super) honour_dnt: bool,
}

impl Default for RawSignals {
    fn default() -> Self {
        RawSignals { honour_gpc: true, honour_dnt: true }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAnalytics {
    #[serde(default = "yes")]
    pub(super) enabled: bool,
    #[serde(default)]
    pub(super) cookieless: bool,
    #[serde(default = "default_min_visitors")]
    pub(super) min_visitors: Spanned<u32>,
    #[serde(default = "default_raw_retention_days")]
    pub(super) raw_retention_days: Spanned<u32>,
    #[serde(default = "default_max_values_per_day")]
    pub(super) max_values_per_day: Spanned<u32>,
    #[serde(default, rename = "goal")]
    pub(super) goals: Vec<Spanned<RawGoal>>,
    #[serde(default, rename = "funnel")]
    pub(super) funnels: Vec<Spanned<RawFunnel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFunnel {
    pub(super) name: String,
    pub(super) steps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGoal {
    pub(super) name: String,
    pub(super) event: Option<String>,
    pub(super) path: Option<String>,
}

fn default_min_visitors() -> Spanned<u32> {
    Spanned::new(0..0, 10)
}
fn default_raw_retention_days() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}
fn default_max_values_per_day() -> Spanned<u32> {
    Spanned::new(0..0, super::DEFAULT_MAX_VALUES_PER_DAY)
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConsent {
    #[serde(default = "default_consent_days")]
    pub(super) lifetime_days: Spanned<u32>,
    #[serde(default = "yes")]
    pub(super) reprompt_on_change: bool,
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
pub(super) struct RawStorage {
    #[serde(default = "default_backend")]
    pub(super) backend: Spanned<String>,
    #[serde(default = "default_db_path")]
    pub(super) path: PathBuf,
    #[serde(default = "default_url_env")]
    pub(super) url_env: String,
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
pub(super) struct RawKeys {
    #[serde(default = "default_secret_file")]
    pub(super) secret_file: PathBuf,
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
pub(super) struct RawServer {
    #[serde(default = "default_listen")]
    pub(super) listen: String,
    #[serde(default = "yes")]
    pub(super) demo: bool,
    #[serde(default = "no_proxies")]
    pub(super) trusted_proxies: Spanned<Vec<String>>,
    #[serde(default = "default_request_timeout")]
    pub(super) request_timeout_seconds: Spanned<u32>,
    #[serde(default = "default_shutdown")]
    pub(super) shutdown_seconds: Spanned<u32>,
    #[serde(default)]
    pub(super) metrics_listen: Option<Spanned<String>>,
    #[serde(default = "default_events_per_minute")]
    pub(super) events_per_minute: Spanned<u32>,
    #[serde(default = "default_consents_per_minute")]
    pub(super) consents_per_minute: Spanned<u32>,
    #[serde(default)]
    pub(super) prefix: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) tls_cert: Option<Spanned<PathBuf>>,
    #[serde(default)]
    pub(super) tls_key: Option<Spanned<PathBuf>>,
    #[serde(default)]
    pub(super) development: Option<Spanned<bool>>,
}

fn default_events_per_minute() -> Spanned<u32> {
    Spanned::new(0..0, 600)
}

fn default_consents_per_minute() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}

fn default_request_timeout() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}

fn default_shutdown() -> Spanned<u32> {
    Spanned::new(0..0, 30)
}

fn no_proxies() -> Spanned<Vec<String>> {
    Spanned::new(0..0, Vec::new())
}

fn default_listen() -> String {
    "127.0.0.1:8080".to_owned()
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: default_listen(),
            demo: true,
            trusted_proxies: no_proxies(),
            request_timeout_seconds: default_request_timeout(),
            shutdown_seconds: default_shutdown(),
            metrics_listen: None,
            events_per_minute: default_events_per_minute(),
            consents_per_minute: default_consents_per_minute(),
            prefix: None,
            tls_cert: None,
            tls_key: None,
            development: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCookie {
    pub(super) name: String,
    pub(super) category: Category,
    #[serde(default)]
    pub(super) purpose: BTreeMap<String, String>,
    pub(super) lifetime: Spanned<String>,
    #[serde(default = "default_provider")]
    pub(super) provider: String,
    #[serde(default)]
    pub(super) domain: Option<String>,
    #[serde(default = "default_path")]
    pub(super) path: String,
    #[serde(default = "yes")]
    pub(super) secure: bool,
    #[serde(default)]
    pub(super) http_only: bool,
}

fn default_provider() -> String {
    "first-party".to_owned()
}
fn default_path() -> String {
    "/".to_owned()
}
