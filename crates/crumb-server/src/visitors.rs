//! Recognising visits and visitors (the seed policy's "recognise new or old
//! users" and "the user's preferences"), only as far as consent allows:
//!
//! - the visit session cookie is necessary and always set;
//! - the persistent visitor id exists only with `statistics` consent;
//! - the preferences cookie exists only with `preferences` consent.
//!
//! A cookie whose consent is missing is expired on sight.

use std::collections::BTreeSet;

use axum::http::HeaderMap;
use crumb_store::VisitorStatus;

use crate::problem::Problem;
use crate::request_info::cookie;
use crate::state::AppState;
use crumb_core::category::{Category, Signals};
use crumb_core::keys::random_id;

/// What recognition found and which cookies it sets.
#[derive(Debug, Default)]
pub struct Recognition {
    /// `Set-Cookie` values to send.
    pub set_cookies: Vec<String>,
    /// Whether this request opened a new visit (no session cookie came).
    pub new_visit: bool,
    /// The visitor, when statistics consent allows one.
    pub visitor: Option<VisitorStatus>,
    /// The visitor's saved preferences (`lang=..&theme=..`), when allowed.
    pub preferences: Option<String>,
}

/// Runs recognition for one request of a visitor who granted `granted`.
pub async fn recognise(
    state: &AppState,
    headers: &HeaderMap,
    granted: &BTreeSet<Category>,
    signals: Signals,
) -> Result<Recognition, Problem> {
    let names = &state.names;
    let mut recognition = Recognition::default();

    if cookie(headers, &names.session).is_none() {
        recognition.new_visit = true;
        recognition.set_cookies.extend(state.own_cookie(&names.session, random_id()));
    }

    let statistics = granted.contains(&Category::Statistics) && signals.refuses(Category::Statistics).is_none();
    let existing_visitor = cookie(headers, &names.visitor).filter(|v| is_id(v)).map(str::to_owned);
    if statistics {
        let (visitor_id, first_sight) = match existing_visitor {
            Some(id) => (id, false),
            None => (random_id(), true),
        };
        let status = state
            .store
            .touch_visitor(
                &state.config.site_name,
                &visitor_id,
                recognition.new_visit || first_sight,
                state.now_millis(),
            )
            .await?;
        if first_sight {
            recognition.set_cookies.extend(state.own_cookie(&names.visitor, visitor_id));
        }
        recognition.visitor = Some(status);
    } else if cookie(headers, &names.visitor).is_some() {
        recognition.set_cookies.extend(state.config.own_cookie(&names.visitor).and_then(|d| state.expire(d)));
    }

    let preferences = granted.contains(&Category::Preferences);
    match cookie(headers, &names.preferences) {
        Some(value) if preferences => recognition.preferences = Some(value.to_owned()),
        Some(_) => {
            recognition.set_cookies.extend(state.config.own_cookie(&names.preferences).and_then(|d| state.expire(d)))
        }
        None => {}
    }
    Ok(recognition)
}

/// Whether a cookie value looks like one of crumb's ids (22 base64url characters).
pub(crate) fn is_id(value: &str) -> bool {
    value.len() == 22 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
