//! `reqwest` integration (feature `reqwest`): crumb's jar as a reqwest
//! client's cookie store.
//!
//! ```no_run
//! use std::sync::Arc;
//! use crumb_cookie::reqwest_store::SharedJar;
//!
//! let jar = Arc::new(SharedJar::default());
//! let client = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
//! ```
//!
//! A client is not a browser: it has no pages, so every request counts as a
//! same-site, top-level request over HTTP (`SameSite` never withholds a cookie).

use std::sync::{Mutex, MutexGuard, PoisonError};

use reqwest::header::HeaderValue;

use crate::jar::Jar;
use crate::request::{RequestContext, RequestUrl};
use crate::time::{Clock, SystemClock};

/// A [`Jar`] behind a mutex, usable as `reqwest::cookie::CookieStore`.
#[derive(Debug)]
pub struct SharedJar<C: Clock = SystemClock> {
    jar: Mutex<Jar<C>>,
}

impl Default for SharedJar<SystemClock> {
    fn default() -> Self {
        SharedJar::new(Jar::new())
    }
}

impl<C: Clock> SharedJar<C> {
    /// Wraps a jar.
    pub fn new(jar: Jar<C>) -> Self {
        SharedJar { jar: Mutex::new(jar) }
    }

    /// Locks the jar to inspect or change it. A panic while the lock was
    /// held cannot leave the jar half-updated in a way that matters for
    /// reading, so a poisoned lock is recovered.
    pub fn lock(&self) -> MutexGuard<'_, Jar<C>> {
        self.jar.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock> reqwest::cookie::CookieStore for SharedJar<C> {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &url::Url) {
        let Ok(request_url) = RequestUrl::from_url(url) else { return };
        let mut jar = self.lock();
        for header in cookie_headers {
            // A refused cookie is simply not stored, as in a browser.
            let _ = jar.set_cookie(&request_url, header.as_bytes(), RequestContext::typed_navigation());
        }
    }

    fn cookies(&self, url: &url::Url) -> Option<HeaderValue> {
        let request_url = RequestUrl::from_url(url).ok()?;
        let header = self.lock().cookie_header_bytes(&request_url, RequestContext::typed_navigation())?;
        HeaderValue::from_bytes(&header).ok()
    }
}
