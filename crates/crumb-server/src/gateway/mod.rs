//! The gateway: crumb in front of a site it does not control
//! (`[gateway]` in `crumb.toml`, or `crumb serve --upstream URL`).
//!
//! A request whose path is under `server.prefix` (`/_crumb` by default), or
//! is one of the few root paths crumb answers outside it
//! (`gateway.policy_path`, `/.well-known/gpc.json` and the health probes:
//! [`crate::mount`]), goes to crumb's own router with all its layers; every other request goes to the upstream through
//! [`forward::proxy`], wrapped only in the outer layers (request id,
//! tracing, metrics, caught panics, the `Host` check) — not the security
//! headers, compression, deadline, body limits, problem conversion or page
//! negotiation of crumb's routes, which are not crumb's to impose on the
//! site's pages.
//!
//! Modules: [`forward`] (the proxy), [`wire`] (consent on `Cookie` and
//! `Set-Cookie`), [`inject`] (the script tag in HTML), [`audit`] (the
//! live audit), [`failure`] (502 and 504).
//!
//! What it is not: the mounting of crumb's own routes under the prefix
//! ([`crate::app`] and [`crate::mount`] do that); the dispatch only decides
//! whose a path is, and never rewrites it.

pub mod audit;
pub mod failure;
pub mod forward;
pub mod inject;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use crumb_core::config::UndeclaredCookies;
use tower::ServiceExt as _;

use crate::mount::{GPC_RESOURCE, PROBE_PATHS};
use crate::state::AppState;

/// What the proxy handler shares.
#[derive(Clone)]
pub struct Gateway {
    state: AppState,
    client: forward::Client,
    upstream: Arc<url::Url>,
    undeclared: UndeclaredCookies,
    timeout: Duration,
}

/// `crumb` (crumb's router, with its layers and state) behind the gateway
/// of `state.config.gateway`; `crumb` itself when there is none. `outer`
/// puts the outer layers around the proxy.
pub fn wrap(state: AppState, crumb: Router, outer: impl FnOnce(Router) -> Router) -> Router {
    let Some(settings) = state.config.gateway.clone() else { return crumb };
    let gateway = Gateway {
        state: state.clone(),
        client: forward::client(),
        upstream: Arc::new(settings.upstream.clone()),
        undeclared: settings.undeclared,
        timeout: settings.timeout,
    };
    let proxy = outer(Router::new().fallback(forward::proxy).with_state(gateway));
    spawn_audit_flush(&state);
    let prefix = state.config.prefix.clone();
    let policy_path = settings.policy_path;
    Router::new().fallback(move |request: Request| {
        let (crumb, proxy) = (crumb.clone(), proxy.clone());
        let (prefix, policy_path) = (prefix.clone(), policy_path.clone());
        async move { dispatch(request, &prefix, policy_path.as_deref(), crumb, proxy).await }
    })
}

/// Sends a request to crumb or to the upstream, by its path alone.
async fn dispatch(request: Request, prefix: &str, policy_path: Option<&str>, crumb: Router, proxy: Router) -> Response {
    let result = match is_crumbs(request.uri().path(), prefix, policy_path) {
        true => crumb.oneshot(request).await,
        false => proxy.oneshot(request).await,
    };
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Whether crumb answers `path`: under the prefix, or one of its root paths.
fn is_crumbs(path: &str, prefix: &str, policy_path: Option<&str>) -> bool {
    path == prefix
        || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
        || policy_path == Some(path)
        || path == GPC_RESOURCE
        || PROBE_PATHS.contains(&path)
}

/// Flushes the audit's tally every [`audit::FLUSH_EVERY`] while the runtime runs.
fn spawn_audit_flush(state: &AppState) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let state = state.clone();
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(audit::FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = state.gateway_audit.flush(state.store.as_ref()).await {
                tracing::warn!(%error, "gateway audit not written; kept for the next try");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn crumb_answers_its_prefix_and_its_root_paths_and_the_site_the_rest() {
        let policy = Some("/cookie-policy");
        for path in ["/_crumb", "/_crumb/", "/_crumb/crumb.js", "/cookie-policy", "/.well-known/gpc.json", "/livez"] {
            assert!(is_crumbs(path, "/_crumb", policy), "{path}");
        }
        for path in ["/", "/_crumbs", "/_crumb.js", "/account", "/policy", "/cookie-policy/x", "/x/_crumb/"] {
            assert!(!is_crumbs(path, "/_crumb", policy), "{path}");
        }
    }
}
