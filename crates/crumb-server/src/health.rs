//! Probes: `/livez` says the process answers (it touches nothing else);
//! `/readyz` says it can serve — the store answers within a second and its
//! schema is the one this build knows. `/healthz`, the old name, is
//! `/readyz`.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::AppState;

/// How long readiness waits for the store.
const STORE_DEADLINE: Duration = Duration::from_secs(1);

/// `GET /livez`.
pub async fn livez() -> Response {
    no_store(Json(json!({"status": "ok"})).into_response())
}

/// `GET /readyz` (and `/healthz`).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let backend = state.store.backend();
    let supported = state.store.supported_schema_version();
    let (status, body) = match tokio::time::timeout(STORE_DEADLINE, state.store.schema_version()).await {
        Ok(Ok(version)) if version == supported => {
            (StatusCode::OK, json!({"status": "ok", "store": backend, "schema": version}))
        }
        Ok(Ok(version)) => {
            tracing::warn!(version, supported, "not ready: the store's schema is not this build's");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "schema-mismatch", "store": backend, "schema": version, "expected": supported}),
            )
        }
        Ok(Err(error)) => {
            tracing::error!(%error, "not ready: the store failed");
            (StatusCode::SERVICE_UNAVAILABLE, json!({"status": "unavailable", "store": backend}))
        }
        Err(_) => {
            tracing::error!(deadline_ms = STORE_DEADLINE.as_millis(), "not ready: the store did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, json!({"status": "unavailable", "store": backend}))
        }
    };
    no_store((status, Json(body)).into_response())
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
