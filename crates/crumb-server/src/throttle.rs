//! Throttling of everything that checks a password or creates an account,
//! counted in the store (so every node of a cluster shares the counts) by
//! one atomic check-and-count per attempt
//! ([`crumb_store::AccountStore::count_attempt`]): an attempt is counted
//! before its password is checked, so concurrent attempts cannot all slip
//! through (issue 21, attack 5), and a success clears its keys.
//!
//! The keys:
//! - `email:<folded>` and `ip:<client>`: sign-ins from clients that are not
//!   trusted for the account (no valid trusted-device cookie);
//! - `device:<user id>:<nonce>`: sign-ins from one trusted device — its
//!   own budget, so others' failures cannot lock the user out (attack 8);
//! - `account:<user id>`: current-password checks of a signed-in user
//!   (changing the password, erasing the account; attack 6);
//! - `register:<client>`: registrations per client address (attack 2).

use std::net::IpAddr;

use axum::http::HeaderMap;
use crumb_store::{Admission, ThrottlePolicy};

use crate::problem::{PageText, PageValue, Problem, ProblemKind};
use crate::request_info::client_address;
use crate::state::AppState;

/// Sign-ins and password checks: three free attempts in 15 minutes, then
/// delays doubling from 1 s, at most 15 minutes.
pub const SIGN_IN: ThrottlePolicy =
    ThrottlePolicy { window_ms: 15 * 60_000, free_attempts: 3, first_delay_ms: 1_000, max_delay_ms: 15 * 60_000 };

/// Registrations from one client address: ten an hour, then delays
/// doubling from a minute, at most an hour. Each one costs an Argon2id hash,
/// and no success clears them.
pub const REGISTRATION: ThrottlePolicy =
    ThrottlePolicy { window_ms: 60 * 60_000, free_attempts: 10, first_delay_ms: 60_000, max_delay_ms: 60 * 60_000 };

/// The throttle key of the request's client: its address (the connection's
/// peer, or what a trusted proxy forwarded), or `unknown`.
pub fn client(state: &AppState, headers: &HeaderMap, peer: Option<IpAddr>) -> String {
    client_address(headers, peer, &state.config.trusted_proxies)
        .map_or_else(|| "unknown".to_owned(), |address| address.to_string())
}

/// Counts an attempt under `keys` now, or refuses it: 429 with
/// `Retry-After` when one of them demands a wait (`what` names the attempts
/// in the detail).
pub async fn admit(state: &AppState, keys: &[String], policy: &ThrottlePolicy, what: &str) -> Result<(), Problem> {
    match state.store.count_attempt(keys, state.now_millis(), policy).await? {
        Admission::Proceed => Ok(()),
        Admission::Wait(ms) => {
            // Whole seconds, rounded up, at least one.
            let seconds = u64::try_from((ms + 999) / 1_000).unwrap_or(1).max(1);
            let text = PageText::of("err_throttled").with("time", PageValue::Count("err_seconds", seconds));
            Err(Problem::of(ProblemKind::Throttled, format!("too many {what}; try again in {seconds} s"))
                .retry_after(seconds)
                .shown_as(text))
        }
    }
}

/// Forgets the attempts of `keys` (after a success).
pub async fn clear(state: &AppState, keys: &[String]) -> Result<(), Problem> {
    for key in keys {
        state.store.clear_failed_logins(key).await?;
    }
    Ok(())
}
