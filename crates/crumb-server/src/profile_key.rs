//! Which interest profile a request is about: one choice, used by
//! `/api/interests`, `/interests`, the ad server and the account export.
//!
//! - A signed-in user whose device is linked for cross-device measurement
//!   (`[accounts] cross_device`, `POST /api/account/cross-device`) gets the
//!   profile keyed from the account's pseudonymous cross-device id
//!   ([`crate::state::SharedState::linked_profile_of`]): the same on every
//!   linked device, so they share one profile.
//! - Anyone else gets the profile keyed from their consent cookie's
//!   pseudonymous id ([`crate::state::SharedState::profile_of`]).
//! - Without either (no decision, not linked) there is no profile.
//!
//! Both keys are keyed hashes under a sub-key of the site's key file: the
//! key says nothing about the visitor to anyone without it.

use axum::http::HeaderMap;
use crumb_core::profiles::ProfileKey;
use crumb_store::StoreError;

use crate::consent::{read_consent, ConsentCookie};
use crate::request_info::cookie;
use crate::state::AppState;

/// The profiles a request can reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestProfiles {
    /// This browser's own profile (its consent cookie's id), if it has a decision.
    pub device: Option<ProfileKey>,
    /// The linked account's shared profile, if signed in on a linked device.
    pub linked: Option<ProfileKey>,
}

impl RequestProfiles {
    /// The profile the request uses: the account's when linked, else the browser's.
    pub fn key(&self) -> Option<ProfileKey> {
        self.linked.or(self.device)
    }

    /// Every profile the request can reach (erasure on withdrawal takes both).
    pub fn all(&self) -> Vec<ProfileKey> {
        let mut keys: Vec<ProfileKey> = self.device.into_iter().chain(self.linked).collect();
        keys.dedup();
        keys
    }
}

/// The profiles of the request in `headers` (reads the store for a linked
/// account's device; never changes a cookie).
pub async fn of_request(state: &AppState, headers: &HeaderMap) -> Result<RequestProfiles, StoreError> {
    of_consent(state, headers, read_consent(state, headers).as_ref()).await
}

/// [`of_request`], with the request's consent cookie already read.
pub async fn of_consent(
    state: &AppState,
    headers: &HeaderMap,
    consent: Option<&ConsentCookie>,
) -> Result<RequestProfiles, StoreError> {
    let device = consent.map(|consent| state.profile_of(&consent.consent_id));
    let linked = state.linked_profile_of(cookie(headers, &state.names.auth)).await?;
    Ok(RequestProfiles { device, linked })
}

/// The one profile key of the request in `headers`: the linked account's
/// on a linked device, else the consent cookie's, else none.
pub async fn for_request(state: &AppState, headers: &HeaderMap) -> Result<Option<ProfileKey>, StoreError> {
    Ok(of_request(state, headers).await?.key())
}
