//! What the scan judges against: the declared cookies, read from a
//! `crumb.toml` (`--config`) or from the `policy.json` a site running crumb
//! serves, or nothing at all.
//!
//! What it is not: the configuration itself. Only the facts a scan can
//! check are kept: name, category, lifetime, domain, path and attributes.

use crumb_core::category::Category;
use crumb_core::config::Config;
use serde::{Deserialize, Serialize};

/// One declared cookie, as far as a scan can check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declared {
    /// Name.
    pub name: String,
    /// Consent category.
    pub category: Category,
    /// Lifetime in seconds; `None` for a session cookie.
    pub lifetime_seconds: Option<i64>,
    /// `Domain`, if declared.
    pub domain: Option<String>,
    /// `Secure` is promised.
    pub secure: bool,
    /// `HttpOnly` is promised.
    pub http_only: bool,
}

/// Where the declaration came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "location", rename_all = "kebab-case")]
pub enum Source {
    /// `--config FILE`.
    File(String),
    /// The site's own crumb, at this `policy.json` URL.
    Site(String),
    /// None found: every cookie is undeclared.
    None,
}

/// The declaration a scan judges against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    /// Where it came from.
    pub source: Source,
    /// The cookies, crumb's own included.
    pub cookies: Vec<Declared>,
}

impl Declaration {
    /// No declaration.
    pub fn none() -> Declaration {
        Declaration { source: Source::None, cookies: Vec::new() }
    }

    /// Every cookie of a validated `crumb.toml`, crumb's own included.
    pub fn from_config(config: &Config, file: &str) -> Declaration {
        let cookies = config
            .cookies
            .iter()
            .map(|c| Declared {
                name: c.name.clone(),
                category: c.category,
                lifetime_seconds: c.lifetime.seconds(),
                domain: c.domain.clone(),
                secure: c.secure,
                http_only: c.http_only,
            })
            .collect();
        Declaration { source: Source::File(file.to_owned()), cookies }
    }

    /// The cookies of a `GET /policy.json` answer (crumb-core's `policy::Policy`).
    pub fn from_policy_json(text: &str, url: &str) -> Result<Declaration, serde_json::Error> {
        let policy: PolicyJson = serde_json::from_str(text)?;
        let mut cookies = Vec::new();
        for category in policy.categories {
            let Some(id) = Category::parse(&category.id) else { continue };
            cookies.extend(category.cookies.into_iter().map(|c| Declared {
                name: c.name,
                category: id,
                lifetime_seconds: c.lifetime_seconds,
                domain: c.domain,
                secure: c.secure,
                http_only: c.http_only,
            }));
        }
        Ok(Declaration { source: Source::Site(url.to_owned()), cookies })
    }

    /// The categories that have a declared cookie (necessary always).
    pub fn categories(&self) -> Vec<Category> {
        Category::ALL
            .into_iter()
            .filter(|c| *c == Category::Necessary || self.cookies.iter().any(|d| d.category == *c))
            .collect()
    }

    /// The declaration of a cookie named `name` kept for `domain`: one
    /// declared with that domain, or else one declared without a domain.
    pub fn find(&self, name: &str, domain: &str) -> Option<&Declared> {
        let named = || self.cookies.iter().filter(|d| d.name == name);
        named()
            .find(|d| d.domain.as_deref().is_some_and(|declared| declared.trim_start_matches('.') == domain))
            .or_else(|| named().find(|d| d.domain.is_none()))
            .or_else(|| named().next())
    }
}

/// The parts of crumb's `policy.json` a scan reads.
#[derive(Deserialize)]
struct PolicyJson {
    categories: Vec<PolicyCategory>,
}

#[derive(Deserialize)]
struct PolicyCategory {
    id: String,
    cookies: Vec<PolicyCookie>,
}

#[derive(Deserialize)]
struct PolicyCookie {
    name: String,
    lifetime_seconds: Option<i64>,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_json_of_the_demo_gives_the_same_cookies_as_its_config() {
        let config = crumb_core::config::demo();
        let from_config = Declaration::from_config(&config, "demo");
        let policy = crumb_core::policy::build(&config, config.default_language());
        let json = serde_json::to_string(&policy).unwrap();
        let from_site = Declaration::from_policy_json(&json, "http://x/policy.json").unwrap();
        let mut a = from_config.cookies.clone();
        let mut b = from_site.cookies.clone();
        a.sort_by(|x, y| x.name.cmp(&y.name));
        b.sort_by(|x, y| x.name.cmp(&y.name));
        assert_eq!(a, b);
        assert!(from_site.find("demo_ads", "localhost").is_some());
        assert!(from_site.find("nope", "localhost").is_none());
    }
}
