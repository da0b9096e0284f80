//! Why a scan could not run at all (the CLI's exit status 2). Violations
//! are not errors: they are the scan's result.

/// A scan that could not run.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The URL to scan is not an `http` or `https` URL with a host.
    #[error("{0:?} is not an http:// or https:// URL with a host")]
    BadUrl(String),
    /// The first page could not be fetched.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The page.
        url: String,
        /// Why.
        reason: String,
    },
    /// `robots.txt` (or the budget) left the first page out: nothing could be scanned.
    #[error("{url} could not be crawled: {why}")]
    NothingCrawled {
        /// The first page.
        url: String,
        /// What `robots.txt` said.
        why: String,
    },
    /// The fallback crawler has no TLS client.
    #[error("{0}: the crawler without a browser speaks plain http only; scan https sites in Chromium (apt-get install chromium chromium-driver)")]
    HttpsWithoutBrowser(String),
    /// Chromium or chromedriver failed while it was driven.
    #[error("Chromium: {0}")]
    Browser(String),
}

impl ScanError {
    /// A browser failure (`crumb_browser` reports with `anyhow`), with its causes.
    pub(crate) fn browser(error: &dyn std::fmt::Display) -> ScanError {
        ScanError::Browser(format!("{error:#}"))
    }
}
