//! Consent: recording decisions, receipts, the current state, withdrawal.
//!
//! A decision is appended to the store — durably, before the response — and
//! the browser gets a signed consent cookie holding its consent id, the
//! policy version and the granted categories. Refusing or withdrawing a
//! category expires every declared cookie of that category.

use std::collections::BTreeSet;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crumb_store::{ConsentAction, ConsentRecord};
use serde::{Deserialize, Serialize};

use crate::mount::Mount;
use crate::problem::{Problem, ProblemKind};
use crate::rate_limit::{self, Endpoint};
use crate::request_info::{check_same_origin, client_address, cookie, raw_signals, signals, Peer};
use crate::state::AppState;
use crate::visitors::recognise;
use crumb_core::category::{Category, Signal, Signals};
use crumb_core::consent::{self, Decision};
use crumb_core::i18n::{self, Language};
use crumb_core::keys::random_id;

/// What the browser's consent cookie says, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentCookie {
    /// The pseudonymous consent id.
    pub consent_id: String,
    /// The policy version decided on.
    pub policy_version: String,
    /// Granted optional categories.
    pub granted: BTreeSet<Category>,
    /// When it was decided (Unix seconds).
    pub decided_at: i64,
}

impl ConsentCookie {
    fn encode(&self) -> String {
        let granted: Vec<&str> = self.granted.iter().map(|c| c.id()).collect();
        format!("{}|{}|{}|{}", self.consent_id, self.policy_version, granted.join(","), self.decided_at)
    }

    fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(4, '|');
        let consent_id = parts.next()?.to_owned();
        let policy_version = parts.next()?.to_owned();
        let granted = parts.next()?.split(',').filter(|s| !s.is_empty()).map(Category::parse).collect::<Option<_>>()?;
        let decided_at = parts.next()?.parse().ok()?;
        Some(ConsentCookie { consent_id, policy_version, granted, decided_at })
    }
}

/// Reads and verifies the consent cookie; a forged or stale-key cookie counts as none.
pub fn read_consent(state: &AppState, headers: &HeaderMap) -> Option<ConsentCookie> {
    let value = cookie(headers, &state.names.consent)?;
    // Anyone can send any cookie: one that fails verification (forged, or
    // signed by a key no longer kept) is no decision, and the banner asks again.
    let payload = match state.keys.verify(&state.names.consent, value) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::debug!(%error, "consent cookie not accepted; asking again");
            return None;
        }
    };
    ConsentCookie::decode(std::str::from_utf8(&payload).ok()?)
}

/// Whether the visitor must be asked (again).
pub fn needs_prompt(state: &AppState, consent: Option<&ConsentCookie>) -> bool {
    let Some(consent) = consent else { return true };
    let expired = consent.decided_at + i64::from(state.config.consent_days) * 86_400 <= state.now_millis() / 1000;
    let changed = state.config.reprompt_on_change && *consent.policy_version != *state.consent_version;
    expired || changed
}

/// The body of `POST /api/consent`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// Categories granted; the other optional categories are refused.
    pub granted: Vec<String>,
    /// The banner's language.
    #[serde(default)]
    pub language: Option<String>,
}

/// The receipt returned for a recorded decision.
#[derive(Debug, Serialize)]
pub struct Receipt {
    /// The receipt id: `GET /api/consent/{receipt_id}` returns the record.
    pub receipt_id: String,
    /// The browser's pseudonymous consent id.
    pub consent_id: String,
    /// given / updated / withdrawn.
    pub action: ConsentAction,
    /// Categories in force.
    pub granted: Vec<String>,
    /// Categories refused.
    pub refused: Vec<String>,
    /// Categories a privacy signal refused, with the signal.
    pub refused_by_signal: Vec<(String, Signal)>,
    /// The policy version.
    pub policy_version: String,
    /// When it was recorded (Unix ms).
    pub recorded_at: i64,
    /// Where the receipt can be fetched.
    pub receipt_url: String,
}

/// `POST /api/consent`: records a decision.
pub async fn post_consent(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Result<Json<ConsentRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    let address = client_address(&headers, peer, &state.config.trusted_proxies).map(|address| address.to_string());
    let browser = cookie(&headers, &state.names.consent);
    rate_limit::check(&state.rate_limits, Endpoint::Consent, address.as_deref(), browser, state.now_millis())?;
    record_decision(&state, &headers, body).await
}

async fn record_decision(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Json<ConsentRequest>, JsonRejection>,
) -> Result<Response, Problem> {
    check_same_origin(headers, &state.config).map_err(Problem::forbidden)?;
    let Json(request) = body.map_err(|rejection| match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            Problem::of(ProblemKind::UnsupportedMediaType, "send the decision as Content-Type: application/json")
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Problem::of(
            ProblemKind::PayloadTooLarge,
            format!("a consent decision fits in {} bytes", crate::request_info::BODY_LIMIT_BYTES),
        ),
        other => Problem::bad_request(other.body_text()),
    })?;

    let honoured = signals(headers, &state.config);
    let Decision { granted, refused, refused_by_signal, language } =
        consent::decide(&state.config, &request.granted, request.language.as_deref(), honoured)
            .map_err(|fault| Problem::unprocessable(fault.to_string()))?;
    let refused_by_signal = refused_by_signal.into_iter().map(|(c, signal)| (c.id().to_owned(), signal)).collect();
    let previous = read_consent(state, headers);
    let action = consent::action(previous.as_ref().map(|p| &p.granted), &granted);
    let consent_id = previous.as_ref().map_or_else(random_id, |p| p.consent_id.clone());
    let (gpc_sent, dnt_sent) = raw_signals(headers);
    let now = state.now_millis();
    let record = ConsentRecord {
        receipt_id: random_id(),
        consent_id: consent_id.clone(),
        site: state.config.site_name.clone(),
        policy_version: state.consent_version.to_string(),
        granted: std::iter::once("necessary".to_owned()).chain(granted.iter().map(|c| c.id().to_owned())).collect(),
        refused: refused.iter().map(|c| c.id().to_owned()).collect(),
        gpc: gpc_sent,
        dnt: dnt_sent,
        language: language.code().to_owned(),
        action,
        recorded_at: now,
    };
    // Durable before we answer: the store returns only after the commit is on disk.
    state.store.append_consent(&record).await?;
    tracing::info!(receipt = %record.receipt_id, action = action.as_str(), granted = ?record.granted, "consent recorded");
    for (categories, decision) in [(&record.granted, "granted"), (&record.refused, "refused")] {
        for category in categories {
            metrics::counter!("crumb_consent_decisions_total", "category" => category.clone(), "decision" => decision)
                .increment(1);
        }
    }

    let consent_cookie = ConsentCookie {
        consent_id,
        policy_version: record.policy_version.clone(),
        granted: granted.clone(),
        decided_at: now / 1000,
    };
    let mut set_cookies: Vec<String> = Vec::new();
    set_cookies.extend(
        state.own_cookie(
            &state.names.consent,
            state.keys.sign(&state.names.consent, consent_cookie.encode().as_bytes()),
        ),
    );
    set_cookies.extend(withdraw(state, headers, &refused, now).await?);
    // The new decision applies at once: a visitor id starts with statistics
    // consent, and cookies of refused categories that crumb sets are expired.
    let recognition = recognise(state, headers, &granted, honoured).await?;
    set_cookies.extend(recognition.set_cookies);

    let receipt = Receipt {
        receipt_url: Mount::of(&state.config).at(&format!("/api/consent/{}", record.receipt_id)),
        receipt_id: record.receipt_id,
        consent_id: record.consent_id,
        action,
        granted: record.granted,
        refused: record.refused,
        refused_by_signal,
        policy_version: record.policy_version,
        recorded_at: now,
    };
    let mut response = (StatusCode::CREATED, Json(receipt)).into_response();
    append_cookies(&mut response, set_cookies);
    Ok(response)
}

/// Withdrawal is as easy as giving: every declared cookie of a refused
/// category that the browser holds is expired (crumb's own through
/// recognition), and a refused statistics consent forgets the visitor.
async fn withdraw(
    state: &AppState,
    headers: &HeaderMap,
    refused: &[Category],
    now: i64,
) -> Result<Vec<String>, Problem> {
    let mut set_cookies = Vec::new();
    for declaration in state.config.cookies.iter().filter(|d| refused.contains(&d.category) && !d.set_by_crumb) {
        if cookie(headers, &declaration.name).is_some() {
            set_cookies.extend(state.expire(declaration));
        }
    }
    // Withdrawing marketing deletes the interest profiles before the
    // answer: this browser's own and, on a device linked for cross-device
    // measurement, the account's shared one (`crate::profile_key`).
    if refused.contains(&Category::Marketing) {
        let mut profiles: Vec<_> =
            read_consent(state, headers).map(|c| state.profile_of(&c.consent_id)).into_iter().collect();
        profiles.extend(state.linked_profile_of(cookie(headers, &state.names.auth)).await?);
        for profile in profiles {
            state.ads.gathered.forget(profile.0);
            state.store.erase_profile(&state.config.site_name, profile.0, state.now_millis()).await?;
            state.ads.kept_profiles.forget(&[profile.0]);
        }
    }
    if refused.contains(&Category::Statistics) {
        if let Some(visitor_id) = cookie(headers, &state.names.visitor) {
            let site = &state.config.site_name;
            state.store.forget_visitor(site, visitor_id).await?;
            // The raw statistics events of this visitor go too, with the next
            // rollup job (a minute at most under `crumb serve`).
            let visitor_key = state.analytics.visitor_key(site, visitor_id);
            state.store.request_forget(site, visitor_key, now).await?;
        }
    }
    Ok(set_cookies)
}

/// Adds `Set-Cookie` headers and marks the response uncacheable.
pub fn append_cookies(response: &mut Response, set_cookies: Vec<String>) {
    let headers = response.headers_mut();
    for value in set_cookies {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// `GET /api/consent/{receipt_id}`: the recorded decision (proof of consent).
pub async fn get_receipt(
    State(state): State<AppState>,
    Path(receipt_id): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let unknown = || Problem::not_found("no consent record has this receipt id");
    if receipt_id.len() > 64 {
        return Err(unknown());
    }
    let record = state.store.consent_by_receipt(&receipt_id).await?.ok_or_else(unknown)?;
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(record)))
}

/// The visitor's consent state, for the script.
#[derive(Debug, Serialize)]
pub struct ConsentStateView {
    /// Whether a decision is in force.
    pub decided: bool,
    /// Whether the banner must be shown.
    pub needs_prompt: bool,
    /// Granted categories (necessary included).
    pub granted: Vec<String>,
    /// Categories the browser's signals refuse, with the signal.
    pub refused_by_signal: Vec<(String, Signal)>,
    /// The policy version in force, with the declaration digest.
    pub policy_version: String,
    /// New or returning, when statistics consent allows knowing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visitor: Option<VisitorView>,
}

/// What the site may know of a visitor.
#[derive(Debug, Serialize)]
pub struct VisitorView {
    /// Seen in an earlier visit.
    pub returning: bool,
    /// Visits so far.
    pub visits: u64,
}

/// Computes the state view and recognition cookies for a page load.
pub async fn current_state(state: &AppState, headers: &HeaderMap) -> Result<(ConsentStateView, Vec<String>), Problem> {
    let honoured = signals(headers, &state.config);
    let consent = read_consent(state, headers);
    let prompt = needs_prompt(state, consent.as_ref());
    let granted = granted_by(consent.as_ref(), prompt, honoured);
    let recognition = recognise(state, headers, &granted, honoured).await?;
    let view = ConsentStateView {
        decided: consent.is_some() && !prompt,
        needs_prompt: prompt,
        granted: std::iter::once("necessary".to_owned()).chain(granted.iter().map(|c| c.id().to_owned())).collect(),
        refused_by_signal: refused_by_signals(honoured),
        policy_version: state.consent_version.to_string(),
        visitor: recognition.visitor.map(|v| VisitorView { returning: v.is_returning(), visits: v.visits }),
    };
    Ok((view, recognition.set_cookies))
}

/// The optional categories in force for the request: those its consent
/// cookie grants, unless the decision is stale (expired, or for an older
/// policy: nothing until renewed) or an honoured privacy signal refuses
/// them. What crumb's own handlers and the gateway both go by.
pub fn granted_now(state: &AppState, headers: &HeaderMap) -> BTreeSet<Category> {
    granted_by_cookie(state, headers, read_consent(state, headers).as_ref())
}

/// [`granted_now`], with the request's consent cookie already read.
pub fn granted_by_cookie(state: &AppState, headers: &HeaderMap, consent: Option<&ConsentCookie>) -> BTreeSet<Category> {
    let prompt = needs_prompt(state, consent);
    granted_by(consent, prompt, signals(headers, &state.config))
}

fn granted_by(consent: Option<&ConsentCookie>, prompt: bool, honoured: Signals) -> BTreeSet<Category> {
    match consent {
        Some(c) if !prompt => c.granted.iter().copied().filter(|c| honoured.refuses(*c).is_none()).collect(),
        _ => BTreeSet::new(),
    }
}

fn refused_by_signals(signals: Signals) -> Vec<(String, Signal)> {
    Category::OPTIONAL.into_iter().filter_map(|c| signals.refuses(c).map(|s| (c.id().to_owned(), s))).collect()
}

/// `GET /api/consent`: the visitor's consent state; also recognises the visit.
pub async fn get_state(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let (view, set_cookies) = current_state(&state, &headers).await?;
    let mut response = Json(view).into_response();
    append_cookies(&mut response, set_cookies);
    Ok(response)
}

/// Negotiates the language of a request for this site.
pub fn language_for(state: &AppState, headers: &HeaderMap, explicit: Option<&str>) -> Language {
    language_with_consent(state, headers, read_consent(state, headers).as_ref(), explicit)
}

/// [`language_for`], with the request's consent cookie already read.
pub fn language_with_consent(
    state: &AppState,
    headers: &HeaderMap,
    consent: Option<&ConsentCookie>,
    explicit: Option<&str>,
) -> Language {
    let from_preferences = consent
        .filter(|c| c.granted.contains(&Category::Preferences))
        .and_then(|_| cookie(headers, &state.names.preferences))
        .and_then(|prefs| prefs.split('&').find_map(|kv| kv.strip_prefix("lang=")).map(str::to_owned));
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    // The request's own `?lang=` when the caller did not read it (`page_language`).
    let asked = explicit.map(str::to_owned).or_else(crate::page_language::asked);
    i18n::negotiate(&state.config.languages, asked.as_deref().or(from_preferences.as_deref()), accept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_cookie_round_trip() {
        let cookie = ConsentCookie {
            consent_id: "abc".into(),
            policy_version: "2026-11-29".into(),
            granted: [Category::Statistics, Category::Preferences].into_iter().collect(),
            decided_at: 1_700_000_000,
        };
        assert_eq!(ConsentCookie::decode(&cookie.encode()), Some(cookie));
        assert_eq!(ConsentCookie::decode("a|b|bogus|1"), None);
    }
}
