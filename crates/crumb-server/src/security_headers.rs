//! Security headers on every response, and the Content-Security-Policy
//! nonce of HTML pages.
//!
//! Every response gets `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: strict-origin-when-cross-origin`; over an https origin,
//! `Strict-Transport-Security`. Every HTML page gets a strict CSP — no
//! `unsafe-inline`: scripts and styles only from the site itself or
//! carrying the response's nonce — with `frame-ancestors 'none'` and
//! `X-Frame-Options: DENY`, so that no other site can frame a page and
//! trick a visitor into clicking its buttons (sign out everywhere, link a
//! device).
//!
//! The nonce is fresh for every request. Templates read it with
//! [`current_nonce`] (a task-local value set around the handler, so that no
//! handler has to pass it along); `crumb.js` copies it from its own
//! `<script>` element onto the style and the consented scripts it adds.

use std::future::Future;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::Response;

use crate::around::{Answer, Middleware};
use crate::state::AppState;

tokio::task_local! {
    static NONCE: String;
}

/// HSTS for a year, on https origins only (never in development mode).
const HSTS: &str = "max-age=31536000";

/// The nonce of the response being built, if the request went through
/// [`add`] (templates rendered elsewhere, as in unit tests, get none).
pub fn current_nonce() -> Option<String> {
    NONCE.try_with(Clone::clone).ok()
}

/// The Content-Security-Policy of an HTML page whose nonce is `nonce`.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// 128 random bits, base64url: unguessable per response (CSP3 §2.3.1 asks for at least 128 bits).
fn fresh_nonce() -> String {
    crumb_core::keys::random_id()
}

/// The middleware: runs the request with a fresh nonce in scope, then sets
/// the headers on its response.
#[derive(Clone)]
pub struct Add(pub AppState);

impl Middleware for Add {
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        // `Host` over HTTP/1.1, `:authority` over HTTP/2.
        let https = crate::host::named_host(&request)
            .and_then(|host| self.0.config.origin_for_host(&host).map(|origin| origin.starts_with("https://")))
            .unwrap_or(false);
        let nonce = fresh_nonce();
        let response = NONCE.sync_scope(nonce.clone(), || run(request));
        let development = self.0.config.development;
        Box::pin(async move {
            let response = NONCE.scope(nonce.clone(), response).await;
            with_headers(response, https && !development, &nonce)
        })
    }
}

/// `response` with the security headers: HSTS when `hsts`, and on an HTML
/// page the policy with `nonce`.
fn with_headers(mut response: Response, hsts: bool, nonce: &str) -> Response {
    let html =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|value| value.as_bytes().starts_with(b"text/html"));
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    // Not in development mode (the caller's part): a year of HSTS would pin
    // a *.test or *.localhost name to https in the developer's browser.
    if hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if html {
        // Base64 is header-safe, so the policy always is a valid value.
        if let Ok(policy) = HeaderValue::from_str(&content_security_policy(nonce)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}
