//! The scan without a browser: reqwest with crumb's own cookie jar
//! (`crumb_cookie::reqwest_store::SharedJar`), pages fetched and their
//! links read from the HTML, the consent choice posted to crumb's
//! `{prefix}/api/consent` as crumb.js would. Scripts do not run, so
//! cookies set by scripts are not seen; the report says so.
//!
//! What it is not: a browser. No TLS either: this build's reqwest has no
//! TLS backend, so `https` sites need Chromium.

use std::sync::Arc;
use std::time::Duration;

use crumb_cookie::reqwest_store::SharedJar;
use url::Url;

use crate::agent::{Agent, CrumbSite, Page};
use crate::crawl::{links_in_html, urls_in_tags};
use crate::error::ScanError;
use crate::observe::{from_jar, ObservedCookie};
use crate::states::ConsentState;

/// The `User-Agent` of the fallback crawler.
pub const USER_AGENT: &str = concat!("crumb-scan/", env!("CARGO_PKG_VERSION"));
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// reqwest with crumb's jar, one jar per consent state.
pub struct HttpAgent {
    jar: Arc<SharedJar>,
    client: reqwest::Client,
    /// The origin being scanned (sent as `Origin` with the consent choice).
    origin: String,
}

fn client(jar: Option<Arc<SharedJar>>) -> Result<reqwest::Client, ScanError> {
    let mut builder = reqwest::Client::builder().user_agent(USER_AGENT).timeout(REQUEST_TIMEOUT);
    if let Some(jar) = jar {
        builder = builder.cookie_provider(jar);
    }
    builder.build().map_err(|e| ScanError::Browser(format!("building the HTTP client: {e}")))
}

impl HttpAgent {
    /// An agent for the site at `start` (an `http` URL).
    pub fn new(start: &Url) -> Result<HttpAgent, ScanError> {
        if start.scheme() != "http" {
            return Err(ScanError::HttpsWithoutBrowser(start.to_string()));
        }
        let jar = Arc::new(SharedJar::default());
        Ok(HttpAgent { client: client(Some(jar.clone()))?, jar, origin: start.origin().ascii_serialization() })
    }
}

/// The `src` of the `<script>` tags in `html`.
fn scripts_in_html(base: &Url, html: &str) -> Vec<Url> {
    urls_in_tags(base, html, &["script"], "src")
}

impl Agent for HttpAgent {
    fn limitation(&self) -> Option<String> {
        Some("crawled without a browser, with crumb's own cookie jar: cookies set by scripts were NOT seen".to_owned())
    }

    async fn fresh(&mut self) -> Result<(), ScanError> {
        self.jar = Arc::new(SharedJar::default());
        self.client = client(Some(self.jar.clone()))?;
        Ok(())
    }

    async fn visit(&mut self, url: &Url) -> Result<Page, ScanError> {
        let unreachable = |e: reqwest::Error| ScanError::Unreachable { url: url.to_string(), reason: e.to_string() };
        let response = self.client.get(url.clone()).send().await.map_err(unreachable)?;
        let base = response.url().clone();
        let html = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/html"));
        let body = response.bytes().await.map_err(unreachable)?;
        if !html {
            return Ok(Page::default());
        }
        let text = String::from_utf8_lossy(&body);
        Ok(Page { links: links_in_html(&base, &text), scripts: scripts_in_html(&base, &text) })
    }

    async fn choose(&mut self, state: ConsentState, crumb: &CrumbSite) -> Result<(), String> {
        let granted: Vec<&str> = state.granted().iter().map(|c| c.id()).filter(|id| *id != "necessary").collect();
        let body = serde_json::json!({ "granted": granted }).to_string();
        let url = crumb.url("/api/consent");
        let response = self
            .client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ORIGIN, &self.origin)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("POST {url} answered {}", response.status()))
        }
    }

    async fn cookies(&mut self, site_host: &str) -> Result<Vec<ObservedCookie>, ScanError> {
        let now = crumb_cookie::Timestamp::now();
        let jar = self.jar.lock();
        Ok(jar.iter().filter(|c| !c.is_expired(now)).map(|c| from_jar(c, now, site_host)).collect())
    }

    async fn fetch_text(&mut self, url: &Url) -> Result<(u16, String), ScanError> {
        let unreachable = |e: reqwest::Error| ScanError::Unreachable { url: url.to_string(), reason: e.to_string() };
        let response = client(None)?.get(url.clone()).send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(unreachable)?;
        Ok((status, text))
    }

    async fn finish(self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_sources_are_found() {
        let base = Url::parse("http://shop.example/").unwrap();
        let html = r#"<script src="/_crumb/crumb.js" defer></script><script>var a="<a href='/x'>";</script>"#;
        let scripts: Vec<String> = scripts_in_html(&base, html).iter().map(Url::to_string).collect();
        assert_eq!(scripts, ["http://shop.example/_crumb/crumb.js"]);
    }
}
