//! The router: every route, and the layers every request passes through,
//! outermost first:
//!
//! 1. a request id (`x-request-id`: the client's if it sent one of up to 64
//!    safe characters, else a fresh one), in the trace span and in the
//!    response;
//! 2. tracing, then metrics (`crumb_http_*`);
//! 3. panics caught (500 problem);
//! 4. the `Host` check (421 for a host that is not one of the site's);
//! 5. security headers and the CSP nonce;
//! 6. compression (gzip or br, as the client accepts);
//! 7. the request deadline (503 problem);
//! 8. body limits, and plain-text refusals turned into problems.
//!
//! Where the routes are: crumb's own routes ([`crumb_routes`]) are at the
//! root, or nested under `[server] prefix` ([`crate::mount`]) so that they
//! leave the site's own paths alone. Under a prefix, two more paths are
//! answered outside it: `/.well-known/gpc.json`, which Global Privacy
//! Control §4.2 places at the origin's root, and `[gateway] policy_path`,
//! a path of the site's choosing that serves the policy page as well.
//! The health probes (`/livez`, `/readyz`, `/healthz`) answer under the
//! prefix and at the root as well: load balancers, orchestrators and the
//! image's `HEALTHCHECK` probe crumb's address there whatever the prefix,
//! and they are infrastructure names, not a site's pages. `/metrics` is
//! under the prefix only (a site often has its own; `server.metrics_listen`
//! serves it on an address of its own). Everything else is the fallback,
//! set in one place ([`router`]).
//!
//! With `[gateway]`, [`crate::gateway`] sends every path outside crumb's
//! (the prefix, `policy_path`, gpc.json and the root probes) to the
//! upstream, through layers 1 to 4 only.

use std::future::Future;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::trace::TraceLayer;

use crate::analytics::{dashboard, ingest};
use crate::around::{Answer, AroundLayer, Middleware};
use crate::mount::{GPC_RESOURCE, PROBE_PATHS};
use crate::problem::{Problem, ProblemKind};
use crate::request_info::BODY_LIMIT_BYTES;
use crate::state::AppState;
use crate::{accounts, consent, demo, failsafe, health, host, metrics, policy, script, security_headers};

/// The application: crumb's routes where `[server] prefix` puts them, the
/// demo site's (when `demo = true`), the fallback and every layer.
pub fn router(state: AppState) -> Router {
    let prefix = state.config.prefix.clone();
    let mut router = if prefix.is_empty() {
        crumb_routes().route(GPC_RESOURCE, get(gpc_json))
    } else {
        // axum's `nest` strips the prefix before the nested routes match
        // (handlers that need the whole path read `OriginalUri`).
        with_probes(Router::new().nest(&prefix, crumb_routes()).route(GPC_RESOURCE, get(gpc_json)))
    };
    if state.config.demo {
        // The demo site is the site crumb is embedded in: at the root, whatever the prefix.
        router = router
            .route(DEMO_PATHS[0], get(demo::home))
            .route(DEMO_PATHS[1], get(demo::products))
            .route(DEMO_PATHS[2], get(demo::about))
            .route(DEMO_PATHS[3], post(demo::save_preferences))
            .route("/topics/{name}", get(demo::topic));
    }
    if let Some(path) = state.config.gateway.as_ref().and_then(|g| g.policy_path.as_deref()) {
        // The configuration keeps it out of the prefix; a path already
        // answered at the root keeps its answer (axum refuses a route twice).
        let taken =
            path == GPC_RESOURCE || PROBE_PATHS.contains(&path) || (state.config.demo && DEMO_PATHS.contains(&path));
        if taken {
            tracing::warn!(
                path,
                "gateway.policy_path is one of crumb's own root paths: the policy is not served there"
            );
        } else {
            router = router.route(path, get(policy::policy_html));
        }
    }
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    // crumb's own middlewares are `around::Middleware`s, which call the
    // service inside them directly (axum's `from_fn` clones it on every
    // request).
    let outer = ServiceBuilder::new()
        .layer(AroundLayer(crate::mount::Scope(std::sync::Arc::from(prefix.as_str()))))
        .layer(AroundLayer(WithRequestId))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", id, method = %request.method(), uri = %request.uri().path())
        }))
        .layer(PropagateRequestIdLayer::new(request_id))
        .layer(AroundLayer(metrics::Track))
        .layer(CatchPanicLayer::custom(failsafe::panic_response))
        .layer(AroundLayer(host::RequireOwnHost(state.clone())));
    let crumbs_own = ServiceBuilder::new()
        .layer(AroundLayer(security_headers::Add(state.clone())))
        .layer(CompressionLayer::new())
        .layer(AroundLayer(failsafe::Deadline(state.config.server.request_timeout)));
    // One `layer` call for the whole stack, outermost first: axum boxes a
    // route's service once per `Router::layer`.
    let stack = ServiceBuilder::new()
        .layer(outer.clone())
        .layer(crumbs_own)
        .layer(AroundLayer(crate::page_language::Scope))
        .layer(AroundLayer(crate::pages::negotiate::PagesForBrowsers(state.clone())))
        .layer(AroundLayer(PlainRefusals));
    let app = router
        // THE FALLBACK: every path that is none of the routes above (outside
        // the prefix, or an unknown path under it) ends here, and only here.
        // A gateway in front of a site dispatches the paths outside crumb's
        // to the upstream before they reach this router.
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(stack)
        .with_state(state.clone());
    // With `[gateway]`, crumb's routes sit behind the proxy's dispatch; the
    // proxied side gets the outer layers (prefix scope to Host check) only.
    crate::gateway::wrap(state, app, |proxy| proxy.layer(outer))
}

/// `router` with the health probes ([`PROBE_PATHS`]).
fn with_probes(router: Router<AppState>) -> Router<AppState> {
    router
        .route(PROBE_PATHS[0], get(health::livez))
        .route(PROBE_PATHS[1], get(health::readyz))
        .route(PROBE_PATHS[2], get(health::readyz))
}

/// The demo site's pages (`demo = true`): home, products, about, and its preferences form.
const DEMO_PATHS: [&str; 4] = ["/", "/products", "/about", "/demo/preferences"];

/// crumb's own routes, as paths under its mount point (`/policy` is
/// `{prefix}/policy`). No fallback here: [`router`] sets the one fallback.
fn crumb_routes() -> Router<AppState> {
    with_probes(Router::new())
        .route("/api/consent", post(consent::post_consent).get(consent::get_state))
        .route("/api/consent/{receipt_id}", get(consent::get_receipt))
        .route("/crumb.js", get(script::crumb_js))
        .route("/crumb-ad.js", get(script::crumb_ad_js))
        .route("/policy", get(policy::policy_html))
        .route("/policy.json", get(policy::policy_json))
        .route("/problems/{slug}", get(crate::pages::problems::page))
        .route("/favicon.svg", get(crate::pages::favicon))
        .route("/favicon.ico", get(crate::pages::favicon))
        .route("/metrics", get(metrics::endpoint))
        .route("/account", get(accounts::page))
        .route("/api/account", get(accounts::me))
        .route("/api/account/register", post(accounts::register))
        .route("/api/account/sign-in", post(accounts::sign_in))
        .route("/api/account/sign-out", post(accounts::sign_out))
        .route("/api/account/sign-out-everywhere", post(accounts::sign_out_everywhere))
        .route("/api/account/password", post(accounts::change_password))
        .route("/api/account/devices/{device_id}/sign-out", post(accounts::sign_out_device))
        .route("/api/account/data", get(accounts::export))
        .route("/api/account/delete", post(accounts::erase))
        .route("/api/account/cross-device", post(accounts::cross_device))
        .route("/admin", get(accounts::admin))
        .route("/admin/campaigns", get(crate::admin_campaigns::page))
        .route("/api/admin/campaigns", get(crate::admin_campaigns::list).post(crate::admin_campaigns::create))
        .route(
            "/api/admin/campaigns/{id}",
            put(crate::admin_campaigns::update)
                .post(crate::admin_campaigns::update)
                .delete(crate::admin_campaigns::end),
        )
        .route("/api/admin/campaigns/{id}/end", post(crate::admin_campaigns::end))
        .route("/api/event", post(ingest::post_event))
        .route("/api/ad", get(crate::ads::ad))
        .route("/api/interests", get(crate::interests::get).delete(crate::interests::delete))
        .route("/api/interests/topics/{id}", axum::routing::delete(crate::interests::remove_topic))
        .route("/api/interests/paused", post(crate::interests::set_paused))
        .route("/interests", get(crate::interests_page::page))
        .route("/interests/topics/{id}/remove", post(crate::interests::remove_topic_form))
        .route("/interests/pause", post(crate::interests::pause_form))
        .route("/interests/erase", post(crate::interests::erase_form))
        .route("/ad/click/{token}", get(crate::ads::click))
        .route("/api/ad/seen/{token}", post(crate::ads::seen))
        .route("/api/reports/ads", get(crate::ads::report::json))
        .route("/admin/ads", get(crate::ads::report::page))
        .route("/dashboard", get(dashboard::page))
        .route("/api/stats", get(dashboard::stats_json))
        .route("/api/stats.csv", get(dashboard::stats_csv))
        .route("/api/stats/realtime", get(dashboard::realtime_json))
        .route("/api/stats/funnel", get(dashboard::funnel_json))
}

/// Request ids: the client's own, when it looks like one (1 to 64
/// letters, digits, `-`, `_`, `.`), so that a proxy's id follows the
/// request; else 128 random bits.
#[derive(Clone, Copy, Debug)]
struct WithRequestId;

impl Middleware for WithRequestId {
    fn call<F>(&self, mut request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let given = request.headers().get("x-request-id").is_some_and(|value| {
            let bytes = value.as_bytes();
            !bytes.is_empty()
                && bytes.len() <= 64
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
        if !given {
            if let Ok(fresh) = HeaderValue::from_str(&crumb_core::keys::random_id()) {
                request.headers_mut().insert("x-request-id", fresh);
            }
        }
        Box::pin(run(request))
    }
}

/// A refusal that arrives in plain text — a body over the limits above
/// (tower-http's layer), or any of axum's own rejections (a query, path or
/// form that does not parse, a duplicate query field, a path that is not
/// UTF-8) — gets a problem like every other fault: the kind its status
/// stands for, and axum's text as the detail. Pages and problems pass as
/// they are.
#[derive(Clone, Copy, Debug)]
struct PlainRefusals;

impl Middleware for PlainRefusals {
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        let response = run(request);
        Box::pin(async move { problem_for_a_plain_refusal(response.await).await })
    }
}

/// What [`PlainRefusals`] does to a response.
async fn problem_for_a_plain_refusal(response: Response) -> Response {
    let status = response.status();
    let plain =
        response.headers().get(header::CONTENT_TYPE).is_none_or(|value| value.as_bytes().starts_with(b"text/plain"));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let detail = format!("a request body is at most {BODY_LIMIT_BYTES} bytes");
        return Problem::of(ProblemKind::PayloadTooLarge, detail).into_response();
    }
    // axum's rejection texts are short; a larger body is not one of them.
    let text = match axum::body::to_bytes(response.into_body(), 4096).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let detail = if text.is_empty() { status.canonical_reason().unwrap_or("refused").to_owned() } else { text };
    let mut problem = Problem::of(ProblemKind::for_status(status), detail);
    // The status is the response's own; the kind only names it.
    problem.status = status.as_u16();
    problem.into_response()
}

async fn not_found() -> Problem {
    Problem::not_found("no such page or endpoint")
}

async fn method_not_allowed() -> Problem {
    Problem::of(ProblemKind::MethodNotAllowed, "this endpoint does not accept that method")
}

/// `GET /.well-known/gpc.json` (Global Privacy Control §4.2), when GPC is honoured.
async fn gpc_json(State(state): State<AppState>) -> Response {
    if !state.config.honour_gpc {
        return Problem::not_found("this site does not honour Global Privacy Control").into_response();
    }
    let version = &state.config.policy_version;
    let last_update =
        if version.len() == 10 && version.as_bytes()[4] == b'-' { version.clone() } else { String::new() };
    let mut body = json!({"gpc": true});
    if !last_update.is_empty() {
        body["lastUpdate"] = json!(last_update);
    }
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    response
}
