//! Prometheus metrics: what crumb counts, and `/metrics`, which is not
//! public by default.
//!
//! Recorded here: requests by route, method and status, and their latency
//! (`crumb_http_requests_total`, `crumb_http_request_duration_seconds`).
//! Elsewhere, through the `metrics` facade: group-commit batch sizes and
//! commit time (`analytics::writer`), rollup duration (crumb-core's jobs),
//! consent decisions by category (`consent`); the store's connections, read
//! at each scrape (`crumb_store_connections`, `crumb_store_waiting`).
//!
//! `/metrics` on the site's own address answers only a request that
//! carries `Authorization: Bearer` with the token from
//! `CRUMB_METRICS_TOKEN` (compared in constant time); without a token it
//! does not exist (404). `server.metrics_listen` serves it without a token
//! on an address of its own, for a scraper on a private network.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq as _;

use crate::around::{Answer, Middleware};
use crate::problem::Problem;
use crate::state::AppState;

/// Latency buckets, seconds: 1 ms to 10 s.
const SECONDS_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process's recorder, installed on first use. A process has one
/// global recorder; if something else installed one first, crumb keeps its
/// own (unexported) handle so that `/metrics` still renders.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = || {
            PrometheusBuilder::new().set_buckets(SECONDS_BUCKETS).and_then(|b| {
                b.set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full("crumb_group_commit_batch_events".into()),
                    &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0],
                )
            })
        };
        match builder().and_then(PrometheusBuilder::install_recorder) {
            Ok(handle) => handle,
            Err(error) => {
                tracing::warn!(%error, "metrics recorder not installed; /metrics shows crumb's own figures only");
                // The buckets above are constants that build; a builder error here is impossible.
                builder()
                    .map(|b| b.build_recorder().handle())
                    .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
            }
        }
    })
}

/// The middleware: counts every request by route (the route's pattern, not
/// the path, so ids do not make new series), method and status.
#[derive(Clone, Copy, Debug)]
pub struct Track;

impl Middleware for Track {
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "(unmatched)".to_owned(), |path| path.as_str().to_owned());
        let method = request.method().as_str().to_owned();
        let started = Instant::now();
        let response = run(request);
        Box::pin(async move {
            let response = response.await;
            let status = response.status().as_u16().to_string();
            metrics::counter!("crumb_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
                .increment(1);
            metrics::histogram!("crumb_http_request_duration_seconds", "route" => route).record(started.elapsed());
            response
        })
    }
}

/// `GET /metrics` on the site's address: the token or nothing.
pub async fn endpoint(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.metrics_token.as_deref() else {
        return Problem::not_found("no such page or endpoint").into_response();
    };
    let offered = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "))
        .unwrap_or_default();
    if !bool::from(offered.ct_eq(token.as_bytes())) {
        let mut response =
            Problem::of(crate::problem::ProblemKind::NotSignedIn, "metrics need the bearer token").into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    exposition(&state)
}

/// A router that serves `/metrics` to anyone (for `server.metrics_listen`).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(|State(state): State<AppState>| async move { exposition(&state) }))
        .with_state(state)
}

fn exposition(state: &AppState) -> Response {
    // The store's connections, as they are at the scrape.
    let connections = state.store.connections();
    #[allow(clippy::cast_precision_loss)] // connection counts are small
    {
        metrics::gauge!("crumb_store_connections", "state" => "idle").set(connections.idle as f64);
        metrics::gauge!("crumb_store_connections", "state" => "busy")
            .set(connections.open.saturating_sub(connections.idle) as f64);
        metrics::gauge!("crumb_store_waiting").set(connections.waiting as f64);
    }
    let mut response = handle().render().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}
