//! Requests for a host that is not one of the site's origins get 421.
//!
//! A DNS-rebinding page — `http://rebind.evil:8080`, whose name the
//! attacker points at crumb's address after the page has loaded — sends
//! `Host: rebind.evil:8080` and a matching `Origin`. Neither is one of
//! `site.origins`, so nothing it sends reaches a handler. The probes a load
//! balancer or an orchestrator sends by address (`/livez`, `/readyz`,
//! `/healthz`, `/metrics`; under `[server] prefix` when there is one, and
//! the first three at the root as well) are not site pages and pass.

use std::future::Future;

use axum::extract::Request;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::around::{Answer, Middleware};

use crate::mount::PROBE_PATHS;
use crate::problem::{Problem, ProblemKind};
use crate::state::AppState;

/// Paths (as crumb's routes name them, without the prefix) that answer whatever the `Host`.
const ANY_HOST: &[&str] = &["/livez", "/readyz", "/healthz", "/metrics"];

/// The middleware.
#[derive(Clone)]
pub struct RequireOwnHost(pub AppState);

impl Middleware for RequireOwnHost {
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let config = &self.0.config;
        let route = crate::mount::Mount::of(config).route_of(request.uri().path());
        if route.is_some_and(|path| ANY_HOST.contains(&path)) || PROBE_PATHS.contains(&request.uri().path()) {
            return Box::pin(run(request));
        }
        match named_host(&request) {
            Some(host) if config.origin_for_host(&host).is_none() => {
                let refusal = Problem::of(
                    ProblemKind::MisdirectedRequest,
                    format!(
                        "this server answers for {}, not for the host this request names",
                        config.origins.join(", ")
                    ),
                )
                .into_response();
                Box::pin(std::future::ready(refusal))
            }
            // A request that names no host (HTTP/1.0) comes from no browser page.
            _ => Box::pin(run(request)),
        }
    }
}

/// The host a request names: HTTP/1.1 in `Host` (RFC 9112 §3.2), HTTP/2 in
/// the URI's authority, from `:authority` (RFC 9113 §8.3.1). A `Host` that
/// is not text becomes U+FFFD, which names no origin. `None` when neither is
/// there (HTTP/1.0).
pub fn named_host(request: &Request) -> Option<String> {
    match request.headers().get(header::HOST) {
        Some(value) => Some(value.to_str().unwrap_or("\u{fffd}").to_owned()),
        None => request.uri().authority().map(|authority| authority.as_str().to_owned()),
    }
}
