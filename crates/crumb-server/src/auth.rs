//! Signed-in sessions over HTTP: reading the session and remember-me
//! cookies and writing what `crumb_core::accounts::sessions` decides (who is
//! signed in, rotation, theft detection), CSRF tokens, and the checks that
//! accounts are on and someone is signed in. Passwords and secrets are
//! `crumb_core::accounts::credentials`.
//!
//! OWASP ASVS v4 V3 and the OWASP Session Management cheat sheet are the
//! rules here; `docs/security.md` maps each requirement to this code.

use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use crumb_core::accounts::credentials::same;
use crumb_core::accounts::sessions::{self, CookieChange};

use crate::problem::{Problem, ProblemKind};
use crate::request_info::cookie;
use crate::state::AppState;

pub use crumb_core::accounts::sessions::SignedInUser;

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
        Err(Problem::forbidden("missing or wrong CSRF token").shown_as(crate::problem::PageText::of("err_csrf")))
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

/// Finds the signed-in user from the request's session and remember-me
/// cookies (`crumb_core::accounts::sessions::resolve`), with the
/// `Set-Cookie` values that follow.
pub async fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Resolution, Problem> {
    let names = &state.names;
    let found = sessions::resolve(state, cookie(headers, &names.auth), cookie(headers, &names.remember)).await?;
    let set_cookies = found
        .cookies
        .into_iter()
        .filter_map(|change| match change {
            CookieChange::ExpireSession => expire(state, &names.auth),
            CookieChange::ExpireRemember => expire(state, &names.remember),
            CookieChange::SetSession(id) => state.own_cookie(&names.auth, id),
            CookieChange::SetRemember(value) => state.own_cookie(&names.remember, value),
        })
        .collect();
    Ok(Resolution { signed_in: found.signed_in, set_cookies })
}

/// A `Set-Cookie` that deletes one of crumb's own cookies.
pub fn expire(state: &AppState, name: &str) -> Option<String> {
    state.config.own_cookie(name).and_then(|d| state.expire(d))
}

/// `path` if it is a path on this site to come back to after signing in:
/// it starts with one `/` (not `//` or `/\\`, which browsers read as
/// another host), and has no backslash, control character or space, and
/// at most 1,000 bytes. Anything else (`https://evil.example/`,
/// `//evil.example`, `javascript:`) is refused: no open redirect.
pub fn safe_return(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let fine = path.len() <= 1000
        && !rest.starts_with('/')
        && !path.bytes().any(|b| b == b'\\' || b.is_ascii_control() || b == b' ' || b >= 0x80);
    fine.then_some(path)
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

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_this_sites_own_paths_are_returned_to() {
        for good in ["/", "/dashboard", "/dashboard?from=2026-01-01&to=2026-01-31", "/admin#top"] {
            assert_eq!(safe_return(good), Some(good));
        }
        for bad in [
            "",
            "dashboard",
            "//evil.example/",
            "/\\evil.example",
            "/\\/evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/a\nb",
            "/a b",
            "/\u{e9}",
        ] {
            assert_eq!(safe_return(bad), None, "{bad:?}");
        }
        assert_eq!(safe_return(&format!("/{}", "a".repeat(1000))), None);
    }
}
