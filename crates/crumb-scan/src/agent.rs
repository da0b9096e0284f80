//! What a scan needs from whatever visits the site: a fresh profile per
//! consent state, page visits, the consent choice, and the cookies held.
//! Two implement it: `chromium` (real headless Chromium) and `http`
//! (crumb's own jar behind reqwest, without scripts).
//!
//! What it is not: the crawl order or the judgement.

use url::Url;

use crate::error::ScanError;
use crate::observe::ObservedCookie;
use crate::states::ConsentState;

/// What a visited page offers the crawl.
#[derive(Debug, Default)]
pub struct Page {
    /// Its links.
    pub links: Vec<Url>,
    /// The `src` of its scripts (to find crumb's `…/crumb.js`).
    pub scripts: Vec<Url>,
}

/// Crumb as the scanned site runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrumbSite {
    /// The origin, e.g. `https://shop.example`.
    pub origin: String,
    /// The path crumb's routes live under: "" or e.g. `/_crumb`.
    pub prefix: String,
}

impl CrumbSite {
    /// Crumb's site, if one of `scripts` is crumb's `…/crumb.js` on `start`'s origin.
    pub fn from_scripts(start: &Url, scripts: &[Url]) -> Option<CrumbSite> {
        scripts.iter().filter(|s| crate::crawl::same_origin(start, s)).find_map(|script| {
            let prefix = script.path().strip_suffix("/crumb.js")?;
            Some(CrumbSite { origin: start.origin().ascii_serialization(), prefix: prefix.to_owned() })
        })
    }

    /// A URL of one of crumb's routes, e.g. `/policy.json`.
    pub fn url(&self, route: &str) -> String {
        format!("{}{}{route}", self.origin, self.prefix)
    }
}

/// A way of visiting the site.
#[allow(async_fn_in_trait)] // used with generics inside this crate only
pub trait Agent {
    /// A note for the report on what this agent cannot see, if anything.
    fn limitation(&self) -> Option<String>;

    /// Starts a fresh profile: no cookies, no storage.
    async fn fresh(&mut self) -> Result<(), ScanError>;

    /// Visits a page in the current profile.
    async fn visit(&mut self, url: &Url) -> Result<Page, ScanError>;

    /// Makes the choice of `state` on the page just visited (or through
    /// crumb's API); `Err` says why the state cannot be reached.
    async fn choose(&mut self, state: ConsentState, crumb: &CrumbSite) -> Result<(), String>;

    /// The cookies the current profile holds.
    async fn cookies(&mut self, site_host: &str) -> Result<Vec<ObservedCookie>, ScanError>;

    /// Fetches a text resource (`robots.txt`, `policy.json`) outside the
    /// current profile: its status and body.
    async fn fetch_text(&mut self, url: &Url) -> Result<(u16, String), ScanError>;

    /// Ends the agent (closes the browser).
    async fn finish(self);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crumb_is_found_by_its_script() {
        let start = Url::parse("http://shop.example/a").unwrap();
        let scripts = [
            Url::parse("http://cdn.example/crumb.js").unwrap(),
            Url::parse("http://shop.example/_crumb/crumb.js?v=1").unwrap(),
        ];
        let crumb = CrumbSite::from_scripts(&start, &scripts).unwrap();
        assert_eq!(crumb.url("/policy.json"), "http://shop.example/_crumb/policy.json");
        assert_eq!(CrumbSite::from_scripts(&start, &scripts[..1]), None);
    }
}
