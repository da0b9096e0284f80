//! Extractors for who is asking and what they may do, so that handlers
//! start from checked facts:
//!
//! - [`JsonOrForm`]: a body sent as JSON (API clients) or as a form (a
//!   browser), remembering which;
//! - [`SignedIn`]: a signed-in user (404 when accounts are off, 401 when
//!   nobody is signed in);
//! - [`Admin`]: a signed-in administrator (403 for anyone else);
//! - [`Csrf`]: a signed-in user's state-changing request, same-origin and
//!   carrying the session's CSRF token, with its body.
//!
//! Each rejects with a [`Problem`]. Resolving a session may refresh cookies
//! (a rotated remember-me token, a new session): they travel with the
//! extractor and go on the response through `respond`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::auth::{check_csrf, require_signed_in, SignedInUser};
use crate::consent::append_cookies;
use crate::problem::{Problem, ProblemKind};
use crate::request_info::{check_same_origin, BODY_LIMIT_BYTES};
use crate::state::AppState;

/// A body sent as `application/json` or as a form
/// (`application/x-www-form-urlencoded`); anything else is 415.
pub struct JsonOrForm<T> {
    /// The parsed body.
    pub value: T,
    /// Whether a browser form sent it (it expects a page or a redirect back).
    pub from_form: bool,
}

impl<T: DeserializeOwned> JsonOrForm<T> {
    /// Parses `body` as the `Content-Type` in `headers` says.
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, Problem> {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if content_type.starts_with("application/json") {
            serde_json::from_slice(body)
                .map(|value| JsonOrForm { value, from_form: false })
                .map_err(|e| Problem::bad_request(e.to_string()))
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            serde_urlencoded::from_bytes(body)
                .map(|value| JsonOrForm { value, from_form: true })
                .map_err(|e| Problem::bad_request(e.to_string()))
        } else {
            Err(Problem::of(ProblemKind::UnsupportedMediaType, "send application/json or a form"))
        }
    }
}

/// The body, at most [`BODY_LIMIT_BYTES`] (413 beyond).
async fn body_bytes(body: axum::body::Body) -> Result<Bytes, Problem> {
    axum::body::to_bytes(body, BODY_LIMIT_BYTES).await.map_err(|_| {
        Problem::of(ProblemKind::PayloadTooLarge, format!("a request body is at most {BODY_LIMIT_BYTES} bytes"))
    })
}

impl<T: DeserializeOwned> FromRequest<AppState> for JsonOrForm<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Problem> {
        let (parts, body) = request.into_parts();
        JsonOrForm::parse(&parts.headers, &body_bytes(body).await?)
    }
}

/// A signed-in user, and the cookies that resolving the session refreshed.
pub struct SignedIn {
    /// Who, with the session.
    pub user: SignedInUser,
    /// `Set-Cookie` values for the response.
    pub cookies: Vec<String>,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let (user, cookies) = require_signed_in(state, &parts.headers).await?;
        Ok(SignedIn { user, cookies })
    }
}

impl SignedIn {
    /// `response`, uncacheable (it is about one user), with the refreshed cookies.
    pub fn respond(self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        append_cookies(&mut response, self.cookies);
        response
    }
}

/// A signed-in administrator.
pub struct Admin(pub SignedIn);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if !signed_in.user.account.is_admin {
            return Err(Problem::forbidden("administrators only"));
        }
        Ok(Admin(signed_in))
    }
}

impl Admin {
    /// See [`SignedIn::respond`].
    pub fn respond(self, response: impl IntoResponse) -> Response {
        self.0.respond(response)
    }
}

/// A signed-in user's state-changing request: same-origin (`Sec-Fetch-Site`,
/// `Origin`), with the session's CSRF token (header `X-CSRF-Token` or form
/// field `csrf`), and its body as `T` (`T::default()` when the body is empty).
pub struct Csrf<T> {
    /// Who.
    pub signed_in: SignedIn,
    /// The body.
    pub value: T,
    /// Whether a browser form sent it.
    pub from_form: bool,
}

impl<T: DeserializeOwned + Default> FromRequest<AppState> for Csrf<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Problem> {
        let (mut parts, body) = request.into_parts();
        check_same_origin(&parts.headers, &state.config).map_err(Problem::forbidden)?;
        let signed_in = SignedIn::from_request_parts(&mut parts, state).await?;
        let body = body_bytes(body).await?;
        let (value, from_form, token) = if body.is_empty() {
            (T::default(), false, None)
        } else {
            let input = JsonOrForm::<serde_json::Value>::parse(&parts.headers, &body)?;
            let token = input.value.get("csrf").and_then(|c| c.as_str()).map(str::to_owned);
            let value = serde_json::from_value(input.value).map_err(|e| Problem::bad_request(e.to_string()))?;
            (value, input.from_form, token)
        };
        check_csrf(state, &signed_in.user, &parts.headers, token.as_deref())?;
        Ok(Csrf { signed_in, value, from_form })
    }
}
