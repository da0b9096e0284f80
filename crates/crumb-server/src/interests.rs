//! What the site knows of a visitor's interests, for that visitor only.
//!
//! JSON: `GET /api/interests` shows the profile (its epochs, each with its
//! top topics, which are padding, and what was removed), `DELETE
//! /api/interests` erases it, `DELETE /api/interests/topics/{id}` removes a
//! topic for good and `POST /api/interests/paused` (`{"paused": bool}`)
//! pauses or resumes it. Forms of the `/interests` page
//! (`crate::interests_page`): `POST /interests/topics/{id}/remove`,
//! `POST /interests/pause` (`paused=true|false`) and `POST /interests/erase`,
//! each answered with a 303 back to the page and a notice.
//!
//! The profile is the request's own ([`crate::profile_key`]): found through
//! the consent cookie's pseudonymous id, or the linked account's, so no
//! other visitor's profile can be asked for. Every change is same-origin
//! only (a cross-site request is a 403 problem); a form also carries a
//! token keyed from the profile it changes ([`form_token`]), so a page of
//! another site cannot post one even where `Origin` is missing.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use crumb_core::category::Category;
use crumb_core::interests::TopicId;
use crumb_core::profiles::service::{self, RemoveFrom};
use crumb_core::profiles::ProfileKey;
use serde::Deserialize;
use serde_json::json;

use crate::consent::granted_now;
use crate::mount::Mount;
use crate::problem::Problem;
use crate::profile_key;
use crate::request_info::check_same_origin;
use crate::state::AppState;

fn fault(error: service::ProfileError) -> Problem {
    match error {
        service::ProfileError::UnknownTopic(_) | service::ProfileError::EpochNotKept(_) => {
            Problem::bad_request(error.to_string())
        }
        service::ProfileError::Store(_) => {
            tracing::error!(%error, "interest profile");
            Problem::unavailable()
        }
    }
}

fn store_fault(error: crumb_store::StoreError) -> Problem {
    fault(service::ProfileError::Store(error))
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The request's profile, or a 404 problem when it has none (no decision,
/// not signed in on a linked device): nothing is kept, nothing to change.
async fn profile_or_404(state: &AppState, headers: &HeaderMap) -> Result<ProfileKey, Problem> {
    profile_key::for_request(state, headers)
        .await
        .map_err(store_fault)?
        .ok_or_else(|| Problem::not_found("no interest profile is kept for this browser (no consent decision)"))
}

/// `GET /api/interests`: `{"marketing_consent", "linked", "profile"}`;
/// `profile` is `null` for a visitor who has made no decision (nothing
/// can be kept); `linked` says the profile is a linked account's, shared by
/// its devices.
pub async fn get(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let consenting = granted_now(&state, &headers).contains(&Category::Marketing);
    let profiles = profile_key::of_request(&state, &headers).await.map_err(store_fault)?;
    let profile = match profiles.key() {
        Some(key) => {
            crate::ads::write_gathered_for_view(&state).await;
            Some(service::view(&state.site, &state.profiles, key).await.map_err(fault)?)
        }
        None => None,
    };
    let body = json!({"marketing_consent": consenting, "linked": profiles.linked.is_some(), "profile": profile});
    Ok(no_store(Json(body).into_response()))
}

/// `DELETE /api/interests`: erases the visitor's profile — on a linked
/// device the account's and the browser's own (same-origin requests only);
/// `{"erased": {"observations", "choices"}}`, `{"erased": null}` without one.
pub async fn delete(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    check_same_origin(&headers, &state.config).map_err(Problem::forbidden)?;
    let profiles = profile_key::of_request(&state, &headers).await.map_err(store_fault)?;
    if profiles.key().is_none() {
        return Ok(no_store(Json(json!({"erased": null})).into_response()));
    }
    let deleted = erase_all(&state, profiles).await?;
    Ok(no_store(Json(json!({"erased": deleted})).into_response()))
}

/// Erases every profile the request reaches: the one it uses and, on a
/// linked device, also the browser's own from before linking. The counts
/// are summed.
async fn erase_all(state: &AppState, profiles: profile_key::RequestProfiles) -> Result<serde_json::Value, Problem> {
    let (mut observations, mut choices) = (0, 0);
    for key in profiles.all() {
        state.ads.gathered.forget(key.0);
        let deleted = service::erase(&state.site, key).await.map_err(fault)?;
        state.ads.kept_profiles.forget(&[key.0]);
        observations += deleted.observations;
        choices += deleted.choices;
    }
    tracing::info!("interest profile erased at its visitor's request");
    Ok(json!({"observations": observations, "choices": choices}))
}

/// A topic id from the path: 400 when it is not a number of the taxonomy.
fn topic_of(id: &str) -> Result<TopicId, Problem> {
    id.parse::<u16>()
        .map(TopicId)
        .map_err(|_| Problem::bad_request(format!("{id:?} is not a topic id of the interest taxonomy")))
}

/// `DELETE /api/interests/topics/{id}`: removes the topic from every
/// epoch, for good (it is no longer recorded); `{"removed": id}`. 400 for
/// an id outside the taxonomy, 404 without a profile.
pub async fn remove_topic(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    check_same_origin(&headers, &state.config).map_err(Problem::forbidden)?;
    let topic = topic_of(&id)?;
    let key = profile_or_404(&state, &headers).await?;
    service::remove_topic(&state.site, &state.profiles, key, topic, RemoveFrom::ForGood).await.map_err(fault)?;
    state.ads.kept_profiles.forget(&[key.0]);
    Ok(no_store(Json(json!({"removed": topic})).into_response()))
}

/// `{"paused": bool}`.
#[derive(Debug, Deserialize)]
pub struct Paused {
    /// Pause (true) or resume (false).
    pub paused: bool,
}

/// `POST /api/interests/paused` with `{"paused": bool}`: pauses or resumes
/// the profile; `{"paused": bool}`. 404 without a profile.
pub async fn set_paused(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<Paused>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Problem> {
    check_same_origin(&headers, &state.config).map_err(Problem::forbidden)?;
    let Json(body) = body.map_err(|e| Problem::bad_request(format!("send {{\"paused\": true|false}}: {e}")))?;
    let key = profile_or_404(&state, &headers).await?;
    service::set_paused(&state.site, key, body.paused).await.map_err(fault)?;
    state.ads.kept_profiles.forget(&[key.0]);
    Ok(no_store(Json(json!({"paused": body.paused})).into_response()))
}

/// The token a form of `/interests` carries for `profile`: HMAC-SHA-256 of
/// the profile key under a sub-key of the site's key file. Only a page
/// crumb rendered for that profile has it.
pub fn form_token(state: &AppState, profile: ProfileKey) -> String {
    let mut mac = crumb_cookie::HmacSha256Writer::new(&state.keys.derive("crumb interests form v1"));
    mac.update(&profile.0.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finish())
}

/// The body of every `/interests` form.
#[derive(Debug, Deserialize, Default)]
pub struct InterestsForm {
    /// [`form_token`] of the profile.
    #[serde(default)]
    pub token: String,
    /// For the pause form: `true` pauses, `false` resumes.
    #[serde(default)]
    pub paused: Option<String>,
}

/// The notices `/interests` shows after a form, by the code of its redirect
/// (`/interests?notice=removed`), with their message keys; any other code
/// shows nothing.
pub const NOTICES: &[(&str, &str)] = &[
    ("removed", "interests_notice_removed"),
    ("paused", "interests_notice_paused"),
    ("resumed", "interests_notice_resumed"),
    ("erased", "interests_notice_erased"),
    ("none", "interests_notice_none"),
];

/// The message key of the notice `code` names, if it names one.
pub fn notice_key(code: &str) -> Option<&'static str> {
    NOTICES.iter().find(|(known, _)| *known == code).map(|(_, key)| *key)
}

/// 303 to `/interests` with `notice`, keeping `?lang=`.
fn back(state: &AppState, notice: &str) -> Response {
    let path = crate::pages::account::with_language(&format!("/interests?notice={notice}"));
    let location = Mount::of(&state.config).at(&path);
    no_store((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}

/// A form's checks: same origin (403), the profile (none: back with the
/// notice `none`), the form's token (403 when it is not the profile's).
async fn form_profile(
    state: &AppState,
    headers: &HeaderMap,
    form: &InterestsForm,
) -> Result<Option<ProfileKey>, Problem> {
    check_same_origin(headers, &state.config).map_err(Problem::forbidden)?;
    let Some(key) = profile_key::for_request(state, headers).await.map_err(store_fault)? else { return Ok(None) };
    if !crumb_core::accounts::credentials::same(&form.token, &form_token(state, key)) {
        return Err(Problem::forbidden("this form was not sent from your /interests page"));
    }
    Ok(Some(key))
}

type FormBody = Result<axum::Form<InterestsForm>, axum::extract::rejection::FormRejection>;

fn form_of(body: FormBody) -> Result<InterestsForm, Problem> {
    body.map(|axum::Form(form)| form).map_err(|e| Problem::bad_request(e.to_string()))
}

/// `POST /interests/topics/{id}/remove` (form): removes the topic for good.
pub async fn remove_topic_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: FormBody,
) -> Result<Response, Problem> {
    let form = form_of(body)?;
    let Some(key) = form_profile(&state, &headers, &form).await? else { return Ok(back(&state, "none")) };
    let topic = topic_of(&id)?;
    service::remove_topic(&state.site, &state.profiles, key, topic, RemoveFrom::ForGood).await.map_err(fault)?;
    state.ads.kept_profiles.forget(&[key.0]);
    Ok(back(&state, "removed"))
}

/// `POST /interests/pause` (form, `paused=true|false`): pauses or resumes.
pub async fn pause_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: FormBody,
) -> Result<Response, Problem> {
    let form = form_of(body)?;
    let Some(key) = form_profile(&state, &headers, &form).await? else { return Ok(back(&state, "none")) };
    let paused = match form.paused.as_deref() {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(Problem::bad_request("send paused=true or paused=false")),
    };
    service::set_paused(&state.site, key, paused).await.map_err(fault)?;
    state.ads.kept_profiles.forget(&[key.0]);
    Ok(back(&state, if paused { "paused" } else { "resumed" }))
}

/// `POST /interests/erase` (form): erases the whole profile (on a linked
/// device, the account's and the browser's own).
pub async fn erase_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: FormBody,
) -> Result<Response, Problem> {
    let form = form_of(body)?;
    if form_profile(&state, &headers, &form).await?.is_none() {
        return Ok(back(&state, "none"));
    }
    erase_all(&state, profile_key::of_request(&state, &headers).await.map_err(store_fault)?).await?;
    Ok(back(&state, "erased"))
}
