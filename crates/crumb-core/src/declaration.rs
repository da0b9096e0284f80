//! The declaration of one cookie: its name, category, purpose, lifetime,
//! provider and attributes — what the banner asks about, what the policy
//! page lists and what crumb sets or blocks.

use std::collections::BTreeMap;

use crate::category::Category;

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
