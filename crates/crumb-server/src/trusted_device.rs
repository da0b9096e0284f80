//! The trusted-device cookie (OWASP, "Slow down online guessing attacks
//! with device cookies"): after a successful sign-in the browser gets a
//! cookie binding the account and a random device nonce, signed with the
//! server key. A later sign-in to that account presenting it is throttled
//! on that device's own key, not on the account-wide one that untrusted
//! clients share — so an attacker failing on purpose locks out untrusted
//! clients only, never the user's own browsers (issue 21, attack 8).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use crumb_core::accounts::credentials::{random_secret, same};

use crate::state::AppState;

/// What a valid trusted-device cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedDevice {
    /// The account it signed in to.
    pub user_id: String,
    /// The device's random nonce.
    pub nonce: String,
}

impl TrustedDevice {
    /// A new device nonce for `user_id`.
    pub fn new(user_id: &str) -> Self {
        TrustedDevice { user_id: user_id.to_owned(), nonce: random_secret() }
    }

    /// Its throttle key.
    pub fn throttle_key(&self) -> String {
        format!("device:{}:{}", self.user_id, self.nonce)
    }

    /// The cookie value: `user_id.nonce.mac` (base64url parts; `.` separates).
    pub fn cookie_value(&self, state: &AppState) -> String {
        format!("{}.{}.{}", self.user_id, self.nonce, mac(state, &self.user_id, &self.nonce))
    }

    /// Reads a cookie value; `None` unless well formed and signed by this server.
    pub fn verify(state: &AppState, value: &str) -> Option<Self> {
        let mut parts = value.split('.');
        let (user_id, nonce, tag) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || user_id.is_empty() || nonce.is_empty() {
            return None;
        }
        same(tag, &mac(state, user_id, nonce))
            .then(|| TrustedDevice { user_id: user_id.to_owned(), nonce: nonce.to_owned() })
    }
}

/// HMAC-SHA-256 of `user_id` and `nonce` under a key derived for this cookie.
fn mac(state: &AppState, user_id: &str, nonce: &str) -> String {
    let mut mac = crumb_cookie::HmacSha256Writer::new(&state.keys.derive("crumb trusted device v1"));
    mac.update(user_id.as_bytes());
    mac.update(b"\0");
    mac.update(nonce.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finish())
}
