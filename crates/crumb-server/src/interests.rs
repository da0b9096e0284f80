//! What the site knows of a visitor's interests, for that visitor only:
//! `GET /api/interests` shows the profile (its epochs, each with its top
//! topics, which are padding, and what was removed) and `DELETE
//! /api/interests` erases it. The profile is found through the consent
//! cookie's pseudonymous id, so no other visitor's profile can be asked for.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crumb_core::category::Category;
use crumb_core::profiles::service;
use serde_json::json;

use crate::consent::{granted_now, read_consent};
use crate::problem::Problem;
use crate::request_info::check_same_origin;
use crate::state::AppState;

fn fault(error: service::ProfileError) -> Problem {
    tracing::error!(%error, "interest profile");
    Problem::unavailable()
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /api/interests`: `{"marketing_consent", "profile"}`; `profile` is
/// `null` for a visitor who has made no decision (nothing can be kept).
pub async fn get(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let consenting = granted_now(&state, &headers).contains(&Category::Marketing);
    let profile = match read_consent(&state, &headers) {
        Some(consent) => {
            let key = state.profile_of(&consent.consent_id);
            Some(service::view(&state.site, &state.profiles, key).await.map_err(fault)?)
        }
        None => None,
    };
    Ok(no_store(Json(json!({"marketing_consent": consenting, "profile": profile})).into_response()))
}

/// `DELETE /api/interests`: erases the visitor's profile (same-origin
/// requests only); `{"erased": {…counts}}`.
pub async fn delete(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    check_same_origin(&headers, &state.config).map_err(Problem::forbidden)?;
    let Some(consent) = read_consent(&state, &headers) else {
        return Ok(no_store(Json(json!({"erased": null})).into_response()));
    };
    let key = state.profile_of(&consent.consent_id);
    let deleted = service::erase(&state.site, key).await.map_err(fault)?;
    tracing::info!("interest profile erased at its visitor's request");
    Ok(no_store(Json(json!({"erased": deleted})).into_response()))
}
