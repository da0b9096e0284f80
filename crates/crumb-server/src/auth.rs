//! Signed-in sessions over HTTP: the session cookie, remember-me with
//! theft detection and CSRF tokens. Passwords, secrets and session rules
//! are `crumb_core::accounts`.
//!
//! OWASP ASVS v4 V3 and the OWASP Session Management cheat sheet are the
//! rules here; `docs/security.md` maps each requirement to this code.

use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use crumb_core::accounts::credentials::{hash_secret, random_secret, same};
use crumb_core::accounts::session_is_live;
use crumb_store::{Account, RememberToken, SessionRecord};

use crate::problem::{Problem, ProblemKind};
use crate::request_info::cookie;
use crate::state::AppState;

/// A signed-in request.
#[derive(Debug, Clone)]
pub struct SignedInUser {
    /// The account.
    pub account: Account,
    /// The session (as stored).
    pub session: SessionRecord,
    /// The session id from the cookie (for the CSRF token).
    pub session_id: String,
}

/// The CSRF token of a session: HMAC of the session id under the server key.
pub fn csrf_token(state: &AppState, session_id: &str) -> String {
    let mut mac = crumb_cookie::HmacSha256Writer::new(&state.keys.derive("crumb csrf v1"));
    mac.update(session_id.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finish())
}

/// Checks the CSRF token sent with a state-changing request (header
/// `X-CSRF-Token` or form field `csrf`).
pub fn check_csrf(
    state: &AppState,
    signed_in: &SignedInUser,
    headers: &HeaderMap,
    form_token: Option<&str>,
) -> Result<(), Problem> {
    let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).or(form_token).unwrap_or("");
    if same(sent, &csrf_token(state, &signed_in.session_id)) {
        Ok(())
    } else {
        Err(Problem::forbidden("missing or wrong CSRF token"))
    }
}

/// What resolving the request's session did: who is signed in, and the cookies to send.
#[derive(Debug, Default)]
pub struct Resolution {
    /// The signed-in user, if any.
    pub signed_in: Option<SignedInUser>,
    /// `Set-Cookie` values (rotated remember-me, new session, expirations).
    pub set_cookies: Vec<String>,
}

/// Finds the signed-in user: the session cookie if valid (idle and
/// absolute timeouts), else a remember-me token (rotated on every use; an
/// already-used validator revokes everything of that user).
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Resolution, Problem> {
    let Some(settings) = state.config.accounts.clone() else { return Ok(Resolution::default()) };
    let names = &state.names;
    let now = state.now_millis();
    let mut resolution = Resolution::default();

    if let Some(session_id) = cookie(headers, &names.auth) {
        let id_hash = hash_secret(session_id);
        if let Some(session) = state.store.session(&id_hash).await? {
            if session_is_live(&settings, &session, now) {
                if let Some(account) = state.store.account(&session.user_id).await? {
                    state.store.touch_session(&id_hash, now).await?;
                    resolution.signed_in = Some(SignedInUser { account, session, session_id: session_id.to_owned() });
                    return Ok(resolution);
                }
            }
            state.store.delete_session(&id_hash).await?;
        }
        resolution.set_cookies.extend(expire(state, &names.auth));
    }

    let Some(remember) = cookie(headers, &names.remember) else { return Ok(resolution) };
    let Some((selector, validator)) = remember.split_once(':') else {
        resolution.set_cookies.extend(expire(state, &names.remember));
        return Ok(resolution);
    };
    let token = match state.store.remember_token(selector).await? {
        Some(token) if token.expires_at > now => token,
        _ => {
            resolution.set_cookies.extend(expire(state, &names.remember));
            return Ok(resolution);
        }
    };
    let presented = hash_secret(validator);
    if token.previous_validator_hash.as_deref().is_some_and(|previous| same(previous, &presented)) {
        // An old validator came back: someone holds a copy of the cookie.
        tracing::warn!(user = %token.user_id, "remember-me token reuse: revoking every session and token of the user");
        revoke_everything(state, &token.user_id).await?;
        state.store.set_theft_detected(&token.user_id, Some(now)).await?;
        resolution.set_cookies.extend(expire(state, &names.remember));
        return Ok(resolution);
    }
    if !same(&token.validator_hash, &presented) {
        resolution.set_cookies.extend(expire(state, &names.remember));
        return Ok(resolution);
    }
    let new_validator = random_secret();
    if !state.store.rotate_remember_token(selector, &token.validator_hash, &hash_secret(&new_validator)).await? {
        // Rotated concurrently by another request with the same cookie: treat as not signed in.
        return Ok(resolution);
    }
    let Some(account) = state.store.account(&token.user_id).await? else { return Ok(resolution) };
    let (session_id, session) = new_session(state, &account.user_id, &token.device_id).await?;
    resolution.set_cookies.extend(state.own_cookie(&names.auth, session_id.clone()));
    resolution.set_cookies.extend(state.own_cookie(&names.remember, format!("{selector}:{new_validator}")));
    resolution.signed_in = Some(SignedInUser { account, session, session_id });
    Ok(resolution)
}

/// Creates a server-side session; returns the id for the cookie and the record.
pub async fn new_session(state: &AppState, user_id: &str, device_id: &str) -> Result<(String, SessionRecord), Problem> {
    let session_id = random_secret();
    let now = state.now_millis();
    let session = SessionRecord {
        id_hash: hash_secret(&session_id),
        user_id: user_id.to_owned(),
        device_id: device_id.to_owned(),
        created_at: now,
        last_seen: now,
    };
    state.store.create_session(&session).await?;
    Ok((session_id, session))
}

/// Issues a remember-me token; returns the cookie value `selector:validator`.
pub async fn new_remember_token(state: &AppState, user_id: &str, device_id: &str) -> Result<String, Problem> {
    let days = state.config.accounts.as_ref().map_or(30, |a| a.remember_days);
    let (selector, validator) = (random_secret(), random_secret());
    let now = state.now_millis();
    state
        .store
        .create_remember_token(&RememberToken {
            selector: selector.clone(),
            validator_hash: hash_secret(&validator),
            previous_validator_hash: None,
            user_id: user_id.to_owned(),
            device_id: device_id.to_owned(),
            created_at: now,
            expires_at: now + i64::from(days) * 86_400_000,
        })
        .await?;
    Ok(format!("{selector}:{validator}"))
}

/// Deletes every session and remember-me token of a user.
pub async fn revoke_everything(state: &AppState, user_id: &str) -> Result<(), Problem> {
    state.store.delete_user_sessions(user_id).await?;
    state.store.delete_user_remember_tokens(user_id).await?;
    Ok(())
}

/// A `Set-Cookie` that deletes one of crumb's own cookies.
pub fn expire(state: &AppState, name: &str) -> Option<String> {
    state.config.own_cookie(name).and_then(|d| state.expire(d))
}

/// 404 unless `[accounts]` is enabled in `crumb.toml`.
pub fn accounts_enabled(state: &AppState) -> Result<(), Problem> {
    if state.config.accounts.is_some() {
        Ok(())
    } else {
        Err(Problem::not_found("accounts are not enabled on this site"))
    }
}

/// The signed-in user (404 when accounts are off, 401 when nobody is
/// signed in), with the cookies resolving the session refreshed.
pub async fn require_signed_in(state: &AppState, headers: &HeaderMap) -> Result<(SignedInUser, Vec<String>), Problem> {
    accounts_enabled(state)?;
    let resolution = resolve(state, headers).await?;
    match resolution.signed_in {
        Some(signed_in) => Ok((signed_in, resolution.set_cookies)),
        None => Err(Problem::of(ProblemKind::NotSignedIn, "sign in first")),
    }
}
