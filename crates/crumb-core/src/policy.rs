//! The cookie policy as a model: what the generated policy page (and
//! `GET /policy.json`, and `crumb policy render`) states, built from the
//! declaration and the live configuration — every declared cookie by
//! category, how long it lives, who sets it, which privacy signals are
//! honoured. Rendering it is the HTTP layer's.

use serde::Serialize;

use crate::category::{Category, Signals};
use crate::config::{Config, CookieDeclaration, Lifetime, Provider};
use crate::i18n::{Language, Strings};

/// One cookie as the policy states it.
#[derive(Debug, Serialize)]
pub struct PolicyCookie {
    /// Name.
    pub name: String,
    /// Purpose, in the policy's language.
    pub purpose: String,
    /// Lifetime in seconds; `null` for a session cookie.
    pub lifetime_seconds: Option<i64>,
    /// Lifetime in words.
    pub lifetime: String,
    /// Who sets it (the site, or the third party whose script does).
    pub provider: String,
    /// Whether it is a third-party cookie: one a browser keeps for a domain
    /// that is not the site's. A cookie a third party's script sets on the
    /// site's own host is first-party, whoever wrote the script.
    pub third_party: bool,
    /// Domain attribute, if any.
    pub domain: Option<String>,
    /// Path.
    pub path: String,
    /// Secure attribute.
    pub secure: bool,
    /// HttpOnly attribute.
    pub http_only: bool,
}

/// One category of the policy.
#[derive(Debug, Serialize)]
pub struct PolicyCategory {
    /// `necessary`, `preferences`, `statistics`, `marketing`.
    pub id: &'static str,
    /// Its name in the policy's language.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Whether consent is asked (false for necessary).
    pub needs_consent: bool,
    /// The categories a signal turns off.
    pub refused_by: Vec<&'static str>,
    /// Its cookies.
    pub cookies: Vec<PolicyCookie>,
}

/// The whole policy as data.
#[derive(Debug, Serialize)]
pub struct Policy {
    /// Site name.
    pub site: String,
    /// The language of the texts.
    pub language: &'static str,
    /// Languages the policy is available in.
    pub languages: Vec<&'static str>,
    /// Version.
    pub policy_version: String,
    /// What changed.
    pub changes: String,
    /// Days a consent lasts.
    pub consent_lifetime_days: u32,
    /// Whether Global Privacy Control is honoured.
    pub honour_gpc: bool,
    /// Whether Do Not Track is honoured.
    pub honour_dnt: bool,
    /// Contact.
    pub contact: Contact,
    /// Categories and cookies.
    pub categories: Vec<PolicyCategory>,
    /// How statistics are counted (when they are).
    pub statistics: Option<PolicyStatistics>,
    /// Interest profiles (only with `[interests] enabled`).
    pub interests: Option<PolicyInterests>,
    /// Whether the site serves its own ads (`[[campaign]]`): chosen from
    /// the page's own topics, they need no cookie.
    pub contextual_ads: bool,
}

/// What the policy says about interest profiles (`crate::profiles`).
#[derive(Debug, Serialize)]
pub struct PolicyInterests {
    /// The cookie whose pseudonymous id, keyed, identifies the profile.
    pub cookie: String,
    /// The topics of the taxonomy a page's topic is one of.
    pub taxonomy_topics: usize,
    /// Days in an epoch.
    pub epoch_days: i64,
    /// Top topics kept per epoch.
    pub top_topics: usize,
    /// Topics an answer holds at most (one per complete epoch).
    pub topics_returned: i64,
    /// Chance of a random topic instead of the profile's, in percent.
    pub noise_percent: f64,
    /// Days after which an epoch is deleted.
    pub retention_days: i64,
    /// The reporting floor k.
    pub min_visitors: u32,
    /// The signals the site honours that stop profiling (`gpc`, `dnt`).
    pub refused_by: Vec<&'static str>,
    /// Where a visitor sees and erases their profile (under crumb's mount).
    pub page: &'static str,
}

/// What the policy says about crumb's own statistics.
#[derive(Debug, Serialize)]
pub struct PolicyStatistics {
    /// The anonymity floor k.
    pub min_visitors: u32,
    /// Days raw events are kept.
    pub raw_retention_days: u32,
    /// Distinct values of each dimension (page, referrer, property …) kept
    /// per day; the rest are counted as "(other)".
    pub max_values_per_day: u32,
    /// Whether visits are counted without consent, without a cookie.
    pub cookieless: bool,
}

/// The controller's contact details.
#[derive(Debug, Serialize)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// E-mail.
    pub email: String,
}

fn lifetime_text(lifetime: Lifetime, strings: &Strings) -> String {
    match lifetime {
        Lifetime::Session => strings.get("session").to_owned(),
        Lifetime::Seconds(s) if s % 86_400 == 0 => strings.count("days", (s / 86_400).unsigned_abs()),
        Lifetime::Seconds(s) => strings.count("hours", (s.unsigned_abs()).div_ceil(3600)),
    }
}

fn policy_cookie(declaration: &CookieDeclaration, config: &Config, language: Language) -> PolicyCookie {
    let strings = language.strings();
    let provider = match &declaration.provider {
        Provider::FirstParty => config.site_name.clone(),
        Provider::ThirdParty(name) => name.clone(),
    };
    let third_party = declaration.domain.as_deref().is_some_and(|domain| !is_own_domain(config, domain));
    PolicyCookie {
        name: declaration.name.clone(),
        purpose: declaration.purpose_in(language.code(), config.default_language().code()).to_owned(),
        lifetime_seconds: declaration.lifetime.seconds(),
        lifetime: lifetime_text(declaration.lifetime, strings),
        provider,
        third_party,
        domain: declaration.domain.clone(),
        path: declaration.path.clone(),
        secure: declaration.secure,
        http_only: declaration.http_only,
    }
}

/// Whether `domain` (a `Domain` attribute) is the host of one of the
/// site's origins or a parent domain of one.
fn is_own_domain(config: &Config, domain: &str) -> bool {
    let domain = domain.trim_start_matches('.').to_ascii_lowercase();
    config.origins.iter().any(|origin| {
        let host = origin.split_once("://").map_or(origin.as_str(), |(_, rest)| rest);
        let host = host.split(['/', ':']).next().unwrap_or("").to_ascii_lowercase();
        host == domain || host.strip_suffix(domain.as_str()).is_some_and(|sub| sub.ends_with('.'))
    })
}

/// Builds the policy in `language`.
pub fn build(config: &Config, language: Language) -> Policy {
    let strings = language.strings();
    let every_signal = Signals { gpc: config.honour_gpc, dnt: config.honour_dnt };
    let categories = config
        .categories()
        .into_iter()
        .map(|category| {
            let gpc_only = Signals { gpc: every_signal.gpc, dnt: false };
            let dnt_only = Signals { gpc: false, dnt: every_signal.dnt };
            let mut refused_by = Vec::new();
            if gpc_only.refuses(category).is_some() {
                refused_by.push("gpc");
            }
            if dnt_only.refuses(category).is_some() {
                refused_by.push("dnt");
            }
            PolicyCategory {
                id: category.id(),
                name: strings.get(&format!("cat_{}", category.id())).to_owned(),
                description: strings.get(&format!("cat_{}_desc", category.id())).to_owned(),
                needs_consent: category != Category::Necessary,
                refused_by,
                cookies: config
                    .cookies
                    .iter()
                    .filter(|d| d.category == category)
                    .map(|d| policy_cookie(d, config, language))
                    .collect(),
            }
        })
        .collect();
    Policy {
        site: config.site_name.clone(),
        language: language.code(),
        languages: config.languages.iter().map(|l| l.code()).collect(),
        policy_version: config.policy_version.clone(),
        changes: config.policy_changes.clone(),
        consent_lifetime_days: config.consent_days,
        honour_gpc: config.honour_gpc,
        honour_dnt: config.honour_dnt,
        statistics: config.analytics.enabled.then_some(PolicyStatistics {
            min_visitors: config.analytics.min_visitors,
            raw_retention_days: config.analytics.raw_retention_days,
            max_values_per_day: config.analytics.max_values_per_day,
            cookieless: config.analytics.cookieless,
        }),
        interests: config.interests.enabled.then(|| interests_section(config, every_signal)),
        contextual_ads: !config.campaigns.is_empty(),
        contact: Contact {
            name: config.contact_name.clone(),
            address: config.contact_address.clone(),
            email: config.contact_email.clone(),
        },
        categories,
    }
}

/// The interest-profile section of the policy, from the declaration and
/// the mechanism's constants.
fn interests_section(config: &Config, signals: Signals) -> PolicyInterests {
    use crate::profiles::{epoch, select, top};
    const DAY_MILLIS: i64 = 86_400_000;
    let marketing_refused_by = |signals: Signals| signals.refuses(Category::Marketing).is_some();
    let mut refused_by = Vec::new();
    if marketing_refused_by(Signals { gpc: signals.gpc, dnt: false }) {
        refused_by.push("gpc");
    }
    if marketing_refused_by(Signals { gpc: false, dnt: signals.dnt }) {
        refused_by.push("dnt");
    }
    PolicyInterests {
        cookie: crate::own_cookies::OwnCookieNames::new(config.secure_origins()).consent,
        taxonomy_topics: crate::interests::Taxonomy::v2().len(),
        epoch_days: epoch::EPOCH_MILLIS / DAY_MILLIS,
        top_topics: top::TOP_TOPICS,
        topics_returned: select::EPOCHS_ANSWERED,
        noise_percent: select::NOISE_RATE * 100.0,
        retention_days: epoch::RETENTION_MILLIS / DAY_MILLIS,
        min_visitors: config.analytics.min_visitors,
        refused_by,
        page: "/interests",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_a_third_partys_script_sets_on_the_sites_own_host_is_first_party() {
        let mut config = Config::demo_on_port(8080);
        let policy = build(&config, config.default_language());
        let ads = policy.categories.iter().flat_map(|c| &c.cookies).find(|c| c.name == "demo_ads").unwrap();
        assert_eq!((ads.provider.as_str(), ads.third_party), ("Demo Ads Network", false));
        let declaration = config.cookies.iter_mut().find(|c| c.name == "demo_ads").unwrap();
        declaration.domain = Some(".ads.example".into());
        let policy = build(&config, config.default_language());
        let ads = policy.categories.iter().flat_map(|c| &c.cookies).find(|c| c.name == "demo_ads").unwrap();
        assert!(ads.third_party, "kept for another site's domain");
        assert!(is_own_domain(&config, "localhost") && is_own_domain(&config, ".LOCALHOST"));
        assert!(!is_own_domain(&config, "host") && !is_own_domain(&config, "calhost"));
    }
}
