//! The gateway: crumb in front of a site it does not control
//! (`[gateway]` in `crumb.toml`, or `crumb serve --upstream URL`).
//!
//! A request whose path is under `server.prefix` (`/_crumb` by default), or
//! is `gateway.policy_path`, goes to crumb's own router with all its
//! layers; every other request goes to the upstream through
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
//! What it is not: the prefixing of crumb's own routes. Until they answer
//! under the prefix themselves, [`dispatch`] strips it before handing the
//! request to crumb's router ([`CRUMB_ROUTES_AT_ROOT`]).

pub mod audit;
pub mod failure;
pub mod forward;
pub mod inject;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::Uri;
use axum::response::Response;
use axum::Router;
use crumb_core::config::UndeclaredCookies;
use tower::ServiceExt as _;

use crate::state::AppState;

/// crumb's router still answers at the root: a request for
/// `{prefix}/crumb.js` reaches it as `/crumb.js`. When crumb's routes are
/// mounted under the prefix themselves, this becomes `false`.
pub const CRUMB_ROUTES_AT_ROOT: bool = true;

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

/// Sends a request to crumb or to the upstream.
async fn dispatch(request: Request, prefix: &str, policy_path: Option<&str>, crumb: Router, proxy: Router) -> Response {
    let path = request.uri().path();
    let crumbs = if policy_path == Some(path) {
        Some("/policy".to_owned())
    } else if path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/')) {
        Some(if CRUMB_ROUTES_AT_ROOT { path[prefix.len()..].to_owned() } else { path.to_owned() })
    } else {
        None
    };
    let result = match crumbs {
        Some(path) => {
            let mut request = request;
            *request.uri_mut() = with_path(request.uri(), &path);
            crumb.oneshot(request).await
        }
        None => proxy.oneshot(request).await,
    };
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// `uri` with its path replaced (`/` for an empty one), the query kept.
fn with_path(uri: &Uri, path: &str) -> Uri {
    let path = if path.is_empty() { "/" } else { path };
    let text = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    // The path is a suffix of a path that parsed, and the query is the one that parsed.
    text.parse().unwrap_or_else(|_| uri.clone())
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
    fn a_path_is_replaced_and_the_query_kept() {
        let uri: Uri = "/_crumb/api/consent?x=1".parse().unwrap();
        assert_eq!(with_path(&uri, "/api/consent").to_string(), "/api/consent?x=1");
        assert_eq!(with_path(&"/_crumb".parse().unwrap(), "").to_string(), "/");
    }
}
