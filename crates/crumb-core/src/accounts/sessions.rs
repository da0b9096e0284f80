//! Signed-in sessions and remember-me tokens, as the store keeps them:
//! who a browser's session or remember-me cookie signs in, new sessions
//! (a fresh random id at every sign-in: no fixation), remember-me tokens
//! rotated at every use, and theft detection — an already-used validator
//! coming back revokes every session and token of the user (OWASP ASVS v4
//! V3; the "persistent login cookie" scheme of selector and validator),
//! except within a short grace window after its rotation
//! ([`REMEMBER_GRACE_MS`]), when it gets the same successor.
//! The cookies themselves are the HTTP layer's: resolving returns what to
//! do with them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use crumb_store::{Account, RememberToken, SessionRecord, StoreError, UnixMillis};
use sha2::{Digest, Sha256};

use super::credentials::{hash_secret, random_secret, same};
use super::session_is_live;
use crate::site::Site;

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct SignedInUser {
    /// The account.
    pub account: Account,
    /// The session (as stored).
    pub session: SessionRecord,
    /// The session id from the cookie (for the CSRF token).
    pub session_id: String,
}

/// What the browser's session cookies should become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieChange {
    /// The session cookie names no live session: delete it.
    ExpireSession,
    /// The remember-me cookie is unknown, expired, wrong or stolen: delete it.
    ExpireRemember,
    /// A new session id (signed in again by remember-me).
    SetSession(String),
    /// The rotated remember-me value, `selector:validator`.
    SetRemember(String),
}

/// Who is signed in, and what to change in the browser's cookies.
#[derive(Debug, Default)]
pub struct Resolution {
    /// The signed-in user, if any.
    pub signed_in: Option<SignedInUser>,
    /// Cookie changes, in order.
    pub cookies: Vec<CookieChange>,
}

/// Finds the signed-in user from the session cookie's value if its session
/// is live (idle and absolute timeouts), else from the remember-me cookie's
/// (rotated on every use; an already-used validator revokes everything of
/// that user and marks the theft for their next sign-in).
pub async fn resolve(site: &Site, session: Option<&str>, remember: Option<&str>) -> Result<Resolution, StoreError> {
    let Some(settings) = site.config.accounts.clone() else { return Ok(Resolution::default()) };
    let now = site.now_millis();
    let mut resolution = Resolution::default();

    if let Some(session_id) = session {
        let id_hash = hash_secret(session_id);
        if let Some(session) = site.store.session(&id_hash).await? {
            if session_is_live(&settings, &session, now) {
                if let Some(account) = site.store.account(&session.user_id).await? {
                    site.store.touch_session(&id_hash, now).await?;
                    resolution.signed_in = Some(SignedInUser { account, session, session_id: session_id.to_owned() });
                    return Ok(resolution);
                }
            }
            site.store.delete_session(&id_hash).await?;
        }
        resolution.cookies.push(CookieChange::ExpireSession);
    }

    let Some(remember) = remember else { return Ok(resolution) };
    let Some((selector, validator)) = remember.split_once(':') else {
        resolution.cookies.push(CookieChange::ExpireRemember);
        return Ok(resolution);
    };
    let mut token = match site.store.remember_token(selector).await? {
        Some(token) if token.expires_at > now => token,
        _ => {
            resolution.cookies.push(CookieChange::ExpireRemember);
            return Ok(resolution);
        }
    };
    let presented = hash_secret(validator);
    if same(&token.validator_hash, &presented) {
        let salt = random_secret();
        let next = successor(validator, &salt);
        if site.store.rotate_remember_token(selector, &token.validator_hash, &hash_secret(&next), now, &salt).await? {
            return signed_in_by_token(site, &token, selector, &next, resolution).await;
        }
        // Rotated concurrently by another request with the same cookie: its
        // rotation has just made this validator the previous one, within the
        // grace window below.
        match site.store.remember_token(selector).await? {
            Some(fresh) => token = fresh,
            None => {
                resolution.cookies.push(CookieChange::ExpireRemember);
                return Ok(resolution);
            }
        }
    }
    if token.previous_validator_hash.as_deref().is_some_and(|previous| same(previous, &presented)) {
        if let Some(next) = grace_successor(&token, validator, now) {
            // The same browser, twice in a moment (tabs restored together):
            // it gets the successor the first request was given.
            return signed_in_by_token(site, &token, selector, &next, resolution).await;
        }
        // An old validator came back: someone holds a copy of the cookie.
        tracing::warn!(user = %token.user_id, "remember-me token reuse: revoking every session and token of the user");
        revoke_everything(site, &token.user_id).await?;
        site.store.set_theft_detected(&token.user_id, Some(now)).await?;
        resolution.cookies.push(CookieChange::ExpireRemember);
        return Ok(resolution);
    }
    resolution.cookies.push(CookieChange::ExpireRemember);
    Ok(resolution)
}

/// How long after a rotation the validator it replaced still signs in —
/// to the same successor, not to a new one — instead of raising the theft
/// alarm: a browser restoring its tabs sends several requests with the same
/// remember-me cookie within milliseconds, and one on a slow network may
/// retry within seconds (issue 21, attack 4: two requests 30 ms apart
/// revoked everything). 30 s covers both; a thief replaying a copied cookie
/// later than that is still caught, and one inside it only shares the
/// successor, whose next rotation exposes the copy again.
pub const REMEMBER_GRACE_MS: i64 = 30_000;

/// The validator that follows `validator` at a rotation with `salt`:
/// SHA-256 over both, domain-separated. Only a holder of `validator` can
/// compute it; the store keeps the salt and hashes, never a validator.
fn successor(validator: &str, salt: &str) -> String {
    let digest = Sha256::digest(format!("crumb remember-me successor v1\0{validator}\0{salt}").as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// The successor of `validator`, the token's previous validator, if the
/// rotation that replaced it is within [`REMEMBER_GRACE_MS`] of `now` and
/// the token still holds that successor (no later rotation happened).
fn grace_successor(token: &RememberToken, validator: &str, now: UnixMillis) -> Option<String> {
    let rotated_at = token.rotated_at?;
    if now - rotated_at >= REMEMBER_GRACE_MS || now < rotated_at {
        return None;
    }
    let next = successor(validator, token.successor_salt.as_deref()?);
    same(&hash_secret(&next), &token.validator_hash).then_some(next)
}

/// Signs in the token's user on a new session, with the remember-me cookie
/// set to `selector:validator`.
async fn signed_in_by_token(
    site: &Site,
    token: &RememberToken,
    selector: &str,
    validator: &str,
    mut resolution: Resolution,
) -> Result<Resolution, StoreError> {
    let Some(account) = site.store.account(&token.user_id).await? else { return Ok(resolution) };
    let (session_id, session) = new_session(site, &account.user_id, &token.device_id).await?;
    resolution.cookies.push(CookieChange::SetSession(session_id.clone()));
    resolution.cookies.push(CookieChange::SetRemember(format!("{selector}:{validator}")));
    resolution.signed_in = Some(SignedInUser { account, session, session_id });
    Ok(resolution)
}

/// Creates a server-side session; returns the id for the cookie and the
/// record (only the id's SHA-256 is stored).
pub async fn new_session(site: &Site, user_id: &str, device_id: &str) -> Result<(String, SessionRecord), StoreError> {
    let session_id = random_secret();
    let now = site.now_millis();
    let session = SessionRecord {
        id_hash: hash_secret(&session_id),
        user_id: user_id.to_owned(),
        device_id: device_id.to_owned(),
        created_at: now,
        last_seen: now,
    };
    site.store.create_session(&session).await?;
    Ok((session_id, session))
}

/// Issues a remember-me token for `remember_days`; returns the cookie value
/// `selector:validator` (only the validator's SHA-256 is stored).
pub async fn new_remember_token(site: &Site, user_id: &str, device_id: &str) -> Result<String, StoreError> {
    let days = site.config.accounts.as_ref().map_or(30, |a| a.remember_days);
    let (selector, validator) = (random_secret(), random_secret());
    let now = site.now_millis();
    site.store
        .create_remember_token(&RememberToken {
            selector: selector.clone(),
            validator_hash: hash_secret(&validator),
            previous_validator_hash: None,
            rotated_at: None,
            successor_salt: None,
            user_id: user_id.to_owned(),
            device_id: device_id.to_owned(),
            created_at: now,
            expires_at: now + i64::from(days) * 86_400_000,
        })
        .await?;
    Ok(format!("{selector}:{validator}"))
}

/// Deletes every session and remember-me token of a user.
pub async fn revoke_everything(site: &Site, user_id: &str) -> Result<(), StoreError> {
    site.store.delete_user_sessions(user_id).await?;
    site.store.delete_user_remember_tokens(user_id).await?;
    Ok(())
}
