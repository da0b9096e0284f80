//! The scan in real headless Chromium: a fresh profile per consent state,
//! crumb's banner clicked like a visitor would, and every cookie of the
//! profile read through the DevTools protocol (`Network.getAllCookies`),
//! so third-party, `HttpOnly` and script-set cookies are all seen.
//!
//! What it is not: a general browser wrapper (that is `crumb_browser`).

use std::sync::Arc;
use std::time::Duration;

use crumb_browser::{Browser, BrowserOptions, ChromeDriver};
use fantoccini::Locator;
use url::Url;

use crate::agent::{Agent, CrumbSite, Page};
use crate::error::ScanError;
use crate::observe::{from_cdp, ObservedCookie};
use crate::states::ConsentState;

/// How long to wait for crumb's banner or dialog to appear or go.
const UI_WAIT: Duration = Duration::from_secs(8);
/// How often to look again while waiting.
const POLL: Duration = Duration::from_millis(50);
/// How long a page's own scripts get after its load event to set cookies.
const SETTLE: Duration = Duration::from_millis(250);

/// The HTTP status of the page's navigation (Navigation Timing Level 2, `responseStatus`; 0 when none).
const NAVIGATION_STATUS: &str =
    "var n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : 0";
/// Why a page with navigation status 0 is unreachable.
const NO_RESPONSE: &str = "no HTTP response (the connection failed)";

/// Headless Chromium, one profile at a time.
pub struct ChromiumAgent {
    driver: Arc<ChromeDriver>,
    options: BrowserOptions,
    browser: Option<Browser>,
}

impl ChromiumAgent {
    /// Starts chromedriver. The browser visits the real site: host names
    /// are not mapped to loopback.
    pub async fn start() -> Result<ChromiumAgent, ScanError> {
        let mut options = BrowserOptions::detect().map_err(|e| ScanError::browser(&e))?;
        options.map_all_hosts_to_loopback = false;
        options.ignore_certificate_errors = false;
        // Chromium blocks third-party cookies by default; many browsers do not,
        // and a scan must see what the site sets for them (Chromium's
        // `CookieControlsMode::kOff` is 0).
        options.prefs =
            serde_json::json!({"profile.cookie_controls_mode": 0, "profile.block_third_party_cookies": false});
        let driver = Arc::new(ChromeDriver::start(&options.chromedriver).await.map_err(|e| ScanError::browser(&e))?);
        Ok(ChromiumAgent { driver, options, browser: None })
    }

    fn browser(&self) -> Result<&Browser, ScanError> {
        self.browser.as_ref().ok_or_else(|| ScanError::Browser("no browser session is open".into()))
    }

    async fn js(&self, script: &str) -> Result<serde_json::Value, ScanError> {
        self.browser()?.client().execute(script, vec![]).await.map_err(|e| ScanError::browser(&e))
    }

    /// Waits until `script` returns `true`; `false` if it never does.
    async fn wait_for(&self, script: &str) -> bool {
        let tries = UI_WAIT.as_millis() / POLL.as_millis();
        for _ in 0..tries {
            if matches!(self.js(script).await, Ok(serde_json::Value::Bool(true))) {
                return true;
            }
            tokio::time::sleep(POLL).await;
        }
        false
    }

    async fn click(&self, css: &str) -> Result<(), String> {
        let browser = self.browser().map_err(|e| e.to_string())?;
        let element = browser.client().find(Locator::Css(css)).await.map_err(|e| format!("no {css}: {e}"))?;
        element.click().await.map_err(|e| format!("clicking {css}: {e}"))?;
        Ok(())
    }

    async fn urls(&self, script: &str) -> Vec<Url> {
        let Ok(serde_json::Value::Array(values)) = self.js(script).await else { return Vec::new() };
        values.iter().filter_map(|v| v.as_str()).filter_map(|s| Url::parse(s).ok()).collect()
    }

    async fn close_browser(&mut self) {
        if let Some(browser) = self.browser.take() {
            // A session that will not close cleanly is killed with its driver at the end.
            let _ = browser.close().await;
        }
    }
}

impl Agent for ChromiumAgent {
    fn limitation(&self) -> Option<String> {
        None
    }

    async fn fresh(&mut self) -> Result<(), ScanError> {
        self.close_browser().await;
        let browser =
            Browser::launch_on(self.driver.clone(), &self.options).await.map_err(|e| ScanError::browser(&e))?;
        self.browser = Some(browser);
        Ok(())
    }

    async fn visit(&mut self, url: &Url) -> Result<Page, ScanError> {
        self.browser()?
            .navigate_raw(url.as_str())
            .await
            .map_err(|e| ScanError::Unreachable { url: url.to_string(), reason: format!("{e:#}") })?;
        // Chromium shows its own error page when nothing answered: status 0.
        if self.js(NAVIGATION_STATUS).await?.as_u64() == Some(0) {
            return Err(ScanError::Unreachable { url: url.to_string(), reason: NO_RESPONSE.to_owned() });
        }
        tokio::time::sleep(SETTLE).await;
        let links = self
            .urls("return Array.from(document.querySelectorAll('a[href],area[href]')).map(function(a){return a.href})")
            .await;
        let scripts =
            self.urls("return Array.from(document.scripts).map(function(s){return s.src}).filter(Boolean)").await;
        Ok(Page { links, scripts })
    }

    async fn choose(&mut self, state: ConsentState, _crumb: &CrumbSite) -> Result<(), String> {
        if !self.wait_for("return !!document.querySelector('.crumb-b [data-crumb=reject]')").await {
            return Err("crumb's banner did not appear on the first page".to_owned());
        }
        match state {
            ConsentState::BeforeConsent => return Ok(()),
            ConsentState::RejectAll => self.click(".crumb-b [data-crumb=reject]").await?,
            ConsentState::Only(category) => {
                self.click(".crumb-b [data-crumb=choose]").await?;
                if !self.wait_for("return !!document.querySelector('.crumb-d')").await {
                    return Err("crumb's preference centre did not open".to_owned());
                }
                // Every switch off but this category's (web/crumb.js: `#crumb-c-<id>`, `aria-checked`).
                let wanted = format!("crumb-c-{}", category.id());
                let script = format!(
                    "var ok=false; document.querySelectorAll('.crumb-d [role=switch]').forEach(function(s){{\
                       var on = s.id === '{wanted}'; if (on && !s.disabled) ok = true;\
                       if (!s.disabled && (s.getAttribute('aria-checked') === 'true') !== on) s.click(); }}); return ok"
                );
                if self.js(&script).await.map_err(|e| e.to_string())? != serde_json::Value::Bool(true) {
                    return Err(format!(
                        "the preference centre has no switch for {} that can be turned on",
                        category.id()
                    ));
                }
                self.click(".crumb-d [data-crumb=save]").await?;
            }
        }
        if self.wait_for("return !!(window.crumb && window.crumb.receipt)").await {
            tokio::time::sleep(SETTLE).await;
            Ok(())
        } else {
            Err("crumb did not confirm the choice (no receipt)".to_owned())
        }
    }

    async fn cookies(&mut self, site_host: &str) -> Result<Vec<ObservedCookie>, ScanError> {
        let browser = self.browser()?;
        let answer = match browser.cdp("Network.getAllCookies", serde_json::json!({})).await {
            Ok(answer) => answer,
            // Newer Chromium moved it to the Storage domain.
            Err(_) => {
                browser.cdp("Storage.getCookies", serde_json::json!({})).await.map_err(|e| ScanError::browser(&e))?
            }
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let cookies = answer.get("cookies").and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
        Ok(cookies.iter().filter_map(|c| from_cdp(c, now, site_host)).collect())
    }

    async fn fetch_text(&mut self, url: &Url) -> Result<(u16, String), ScanError> {
        // A throwaway profile, so what this fetch sets is in no state's jar.
        let browser =
            Browser::launch_on(self.driver.clone(), &self.options).await.map_err(|e| ScanError::browser(&e))?;
        let result = async {
            browser
                .navigate_raw(url.as_str())
                .await
                .map_err(|e| ScanError::Unreachable { url: url.to_string(), reason: format!("{e:#}") })?;
            let answer = browser
                .client()
                .execute(
                    "var n = performance.getEntriesByType('navigation')[0];\
                     return [n ? n.responseStatus : 0, document.body ? document.body.innerText : ''];",
                    vec![],
                )
                .await
                .map_err(|e| ScanError::browser(&e))?;
            let status =
                answer.get(0).and_then(serde_json::Value::as_u64).and_then(|s| u16::try_from(s).ok()).unwrap_or(0);
            if status == 0 {
                return Err(ScanError::Unreachable { url: url.to_string(), reason: NO_RESPONSE.to_owned() });
            }
            let text = answer.get(1).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
            Ok((status, text))
        }
        .await;
        let _ = browser.close().await;
        result
    }

    async fn finish(mut self) {
        self.close_browser().await;
    }
}
