//! Accounts: register, sign in (optionally "remember me"), sign out, sign
//! out everywhere, change the password, list and sign out devices, download
//! and erase one's data. Each action is one JSON API endpoint that also
//! accepts an HTML form post (then answers with a redirect to `/account`).

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use crumb_store::{Account, Device};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, accounts_enabled, resolve};
use crate::consent::append_cookies;
use crate::extract::{Admin, Csrf, JsonOrForm, SignedIn};
use crate::pages;
use crate::problem::{Problem, ProblemKind};
use crate::request_info::{check_same_origin, cookie, Peer};
use crate::state::AppState;
use crate::throttle;
use crate::trusted_device::TrustedDevice;
use crumb_core::accounts::credentials::{self, fold_email, MIN_PASSWORD_CHARS};
use crumb_core::accounts::sessions;
use crumb_core::analytics::client::device_family;
use crumb_core::keys::random_id;

/// The notices `/account` shows after a form, by the code its redirect
/// carries (`/account?notice=signed-out`). The page shows only these texts:
/// a link that names any other text shows nothing, so no one can make the
/// site's own page say what they wrote.
const NOTICES: &[(&str, &str)] = &[
    ("registered", "If this address was not registered yet, the account now exists: sign in with it."),
    ("signed-in", "Signed in."),
    (
        "theft",
        "Someone used a stolen copy of your remember-me cookie: we signed out all your devices. Consider changing your password.",
    ),
    ("signed-out", "Signed out."),
    ("signed-out-everywhere", "Signed out on every device."),
    ("password-changed", "Password changed; other devices were signed out."),
    ("device-signed-out", "The device was signed out."),
    ("erased", "Your account and everything linked to it were erased."),
    ("linked", "This device counts with your other devices."),
    ("unlinked", "This device is no longer linked."),
];

/// The text of the notice `code` names, if it names one.
fn notice_text(code: &str) -> Option<&'static str> {
    NOTICES.iter().find(|(known, _)| *known == code).map(|(_, text)| *text)
}

/// A reply: JSON for API callers, a redirect to `/account` for forms.
fn reply(from_form: bool, status: StatusCode, body: serde_json::Value, set_cookies: Vec<String>) -> Response {
    let mut response = if from_form {
        let notice = body.get("notice").and_then(|n| n.as_str()).unwrap_or("");
        match NOTICES.iter().find(|(_, text)| *text == notice) {
            Some((code, _)) => Redirect::to(&format!("/account?notice={code}")).into_response(),
            None => Redirect::to("/account").into_response(),
        }
    } else if status == StatusCode::NO_CONTENT {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (status, Json(body)).into_response()
    };
    append_cookies(&mut response, set_cookies);
    response
}

fn validate_password(password: &str) -> Result<(), Problem> {
    Ok(credentials::check_password_rules(password)?)
}

/// `{email, password}`.
#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    #[serde(default, deserialize_with = "checkbox")]
    remember: bool,
}

fn checkbox<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Value {
        Bool(bool),
        Text(String),
    }
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => b,
        Value::Text(t) => matches!(t.as_str(), "on" | "true" | "1" | "yes"),
    })
}

/// `POST /api/account/register`. The answer is the same whether or not the
/// address was already registered (no user enumeration), and takes as long.
/// Registrations are throttled per client address ([`throttle::REGISTRATION`]).
pub async fn register(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    JsonOrForm { value: credentials, from_form }: JsonOrForm<Credentials>,
) -> Result<Response, Problem> {
    accounts_enabled(&state)?;
    check_same_origin(&headers, &state.config).map_err(Problem::forbidden)?;
    let email_folded =
        credentials::check_email(&credentials.email).map_err(|fault| Problem::unprocessable(fault.to_string()))?;
    validate_password(&credentials.password)?;
    let client = throttle::client(&state, &headers, peer);
    throttle::admit(&state, &[format!("register:{client}")], &throttle::REGISTRATION, "registrations").await?;
    let password_hash = credentials::hash_password(&state.hashing, credentials.password).await?;
    let account = Account {
        user_id: random_id(),
        email: credentials.email.trim().to_owned(),
        email_folded,
        password_hash,
        is_admin: false,
        created_at: state.now_millis(),
        theft_detected_at: None,
    };
    match state.store.create_account(&account).await {
        Ok(()) | Err(crumb_store::StoreError::Duplicate) => {}
        Err(e) => return Err(e.into()),
    }
    let notice = "If this address was not registered yet, the account now exists: sign in with it.";
    Ok(reply(from_form, StatusCode::ACCEPTED, json!({"notice": notice}), vec![]))
}

/// `POST /api/account/sign-in`. Each attempt is counted before the
/// password is checked ([`throttle`]): under the e-mail and the client
/// address, or, when the browser shows a trusted-device cookie for this
/// account, under that device alone.
pub async fn sign_in(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    JsonOrForm { value: credentials, from_form }: JsonOrForm<Credentials>,
) -> Result<Response, Problem> {
    accounts_enabled(&state)?;
    check_same_origin(&headers, &state.config).map_err(Problem::forbidden)?;
    let email_folded = fold_email(&credentials.email);
    let now = state.now_millis();
    let account = state.store.account_by_email(&email_folded).await?;
    let trusted = cookie(&headers, &state.names.trusted_device)
        .and_then(|value| TrustedDevice::verify(&state, value))
        .filter(|device| account.as_ref().is_some_and(|a| credentials::same(&a.user_id, &device.user_id)));
    let keys = match &trusted {
        Some(device) => vec![device.throttle_key()],
        None => {
            let client = throttle::client(&state, &headers, peer);
            vec![format!("email:{email_folded}"), format!("ip:{client}")]
        }
    };
    throttle::admit(&state, &keys, &throttle::SIGN_IN, "failed sign-ins").await?;
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let valid = credentials::verify_password(&state.hashing, credentials.password, hash).await?;
    let Some(account) = account.filter(|_| valid) else {
        return Err(Problem::of(ProblemKind::SignInFailed, "wrong e-mail or password"));
    };
    throttle::clear(&state, &keys).await?;

    let mut set_cookies = Vec::new();
    // No fixation: whatever session came with the request ends; a new id is issued.
    if let Some(old) = cookie(&headers, &state.names.auth) {
        state.store.delete_session(&credentials::hash_secret(old)).await?;
    }
    let device_id =
        cookie(&headers, &state.names.device).filter(|d| d.len() == 22).map_or_else(random_id, str::to_owned);
    let (browser, os) = device_family(headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or(""));
    let existing = state.store.device(&account.user_id, &device_id).await?;
    state
        .store
        .upsert_device(&Device {
            device_id: device_id.clone(),
            user_id: account.user_id.clone(),
            browser,
            os,
            first_seen: existing.as_ref().map_or(now, |d| d.first_seen),
            last_seen: now,
            linked_visitor_id: existing.and_then(|d| d.linked_visitor_id),
        })
        .await?;
    let (session_id, _) = sessions::new_session(&state, &account.user_id, &device_id).await?;
    set_cookies.extend(state.own_cookie(&state.names.auth, session_id.clone()));
    set_cookies.extend(state.own_cookie(&state.names.device, device_id.clone()));
    // Issued again at every sign-in (its lifetime restarts), keeping its nonce.
    let trusted = trusted.unwrap_or_else(|| TrustedDevice::new(&account.user_id));
    set_cookies.extend(state.own_cookie(&state.names.trusted_device, trusted.cookie_value(&state)));
    state.store.delete_device_remember_tokens(&account.user_id, &device_id).await?;
    if credentials.remember {
        let value = sessions::new_remember_token(&state, &account.user_id, &device_id).await?;
        set_cookies.extend(state.own_cookie(&state.names.remember, value));
    } else if cookie(&headers, &state.names.remember).is_some() {
        set_cookies.extend(auth::expire(&state, &state.names.remember));
    }
    let theft = account.theft_detected_at;
    if theft.is_some() {
        state.store.set_theft_detected(&account.user_id, None).await?;
    }
    let body = json!({
        "email": account.email,
        "csrf_token": auth::csrf_token(&state, &session_id),
        "theft_detected_at": theft,
        "notice": if theft.is_some() {
            "Someone used a stolen copy of your remember-me cookie: we signed out all your devices. Consider changing your password."
        } else { "Signed in." },
    });
    Ok(reply(from_form, StatusCode::OK, body, set_cookies))
}

/// Whether `password` is the signed-in account's, throttled like sign-ins
/// but on the account's own key (`account:<user id>`): a stolen session
/// cannot guess the password faster than a sign-in could.
async fn current_password_matches(state: &AppState, account: &Account, password: String) -> Result<bool, Problem> {
    let keys = [format!("account:{}", account.user_id)];
    throttle::admit(state, &keys, &throttle::SIGN_IN, "wrong passwords").await?;
    let valid = credentials::verify_password(&state.hashing, password, Some(account.password_hash.clone())).await?;
    if valid {
        throttle::clear(state, &keys).await?;
    }
    Ok(valid)
}

/// An action with no fields besides the CSRF token (read by `signed_in_action`).
#[derive(Deserialize, Default)]
pub struct CsrfForm {}

/// `POST /api/account/sign-out`: ends this session and this device's remember-me token.
pub async fn sign_out(State(state): State<AppState>, action: Csrf<CsrfForm>) -> Result<Response, Problem> {
    let (signed_in, from_form) = (action.signed_in.user, action.from_form);
    state.store.delete_session(&signed_in.session.id_hash).await?;
    state.store.delete_device_remember_tokens(&signed_in.account.user_id, &signed_in.session.device_id).await?;
    let cookies =
        [&state.names.auth, &state.names.remember].into_iter().filter_map(|n| auth::expire(&state, n)).collect();
    Ok(reply(from_form, StatusCode::NO_CONTENT, json!({"notice": "Signed out."}), cookies))
}

/// `POST /api/account/sign-out-everywhere`.
pub async fn sign_out_everywhere(State(state): State<AppState>, action: Csrf<CsrfForm>) -> Result<Response, Problem> {
    let (signed_in, from_form) = (action.signed_in.user, action.from_form);
    sessions::revoke_everything(&state, &signed_in.account.user_id).await?;
    let cookies =
        [&state.names.auth, &state.names.remember].into_iter().filter_map(|n| auth::expire(&state, n)).collect();
    Ok(reply(from_form, StatusCode::NO_CONTENT, json!({"notice": "Signed out on every device."}), cookies))
}

/// `{current, new}`.
#[derive(Deserialize, Default)]
pub struct PasswordChange {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
}

/// `POST /api/account/password`: a privilege change, so every session and
/// token ends and this browser gets a fresh session id.
pub async fn change_password(State(state): State<AppState>, action: Csrf<PasswordChange>) -> Result<Response, Problem> {
    let (signed_in, change, from_form) = (action.signed_in.user, action.value, action.from_form);
    if !current_password_matches(&state, &signed_in.account, change.current).await? {
        return Err(Problem::of(ProblemKind::SignInFailed, "the current password is wrong"));
    }
    validate_password(&change.new)?;
    let hash = credentials::hash_password(&state.hashing, change.new).await?;
    state.store.set_password(&signed_in.account.user_id, &hash).await?;
    sessions::revoke_everything(&state, &signed_in.account.user_id).await?;
    let (session_id, _) =
        sessions::new_session(&state, &signed_in.account.user_id, &signed_in.session.device_id).await?;
    let mut cookies: Vec<String> = state.own_cookie(&state.names.auth, session_id.clone()).into_iter().collect();
    cookies.extend(auth::expire(&state, &state.names.remember));
    let body = json!({"notice": "Password changed; other devices were signed out.", "csrf_token": auth::csrf_token(&state, &session_id)});
    Ok(reply(from_form, StatusCode::OK, body, cookies))
}

/// `GET /api/account`: who is signed in, their devices and a CSRF token.
pub async fn me(State(state): State<AppState>, who: SignedIn) -> Result<Response, Problem> {
    let signed_in = &who.user;
    let devices = state.store.user_devices(&signed_in.account.user_id).await?;
    let body = json!({
        "email": signed_in.account.email,
        "is_admin": signed_in.account.is_admin,
        "csrf_token": auth::csrf_token(&state, &signed_in.session_id),
        "this_device": signed_in.session.device_id,
        "devices": devices,
    });
    Ok(who.respond(Json(body)))
}

/// `POST /api/account/devices/{device_id}/sign-out`.
pub async fn sign_out_device(
    State(state): State<AppState>,
    Path(device_id): Path<String>,
    action: Csrf<CsrfForm>,
) -> Result<Response, Problem> {
    let (signed_in, cookies, from_form) = (action.signed_in.user, action.signed_in.cookies, action.from_form);
    let user = &signed_in.account.user_id;
    if state.store.device(user, &device_id).await?.is_none() {
        return Err(Problem::not_found("no such device"));
    }
    state.store.delete_device_sessions(user, &device_id).await?;
    state.store.delete_device_remember_tokens(user, &device_id).await?;
    state.store.delete_device(user, &device_id).await?;
    Ok(reply(from_form, StatusCode::NO_CONTENT, json!({"notice": "The device was signed out."}), cookies))
}

/// `GET /api/account/data`: everything crumb holds about the signed-in user.
pub async fn export(State(state): State<AppState>, headers: HeaderMap, who: SignedIn) -> Result<Response, Problem> {
    let signed_in = &who.user;
    let user = &signed_in.account.user_id;
    let consent_receipts = match cookie(&headers, &state.names.consent) {
        Some(_) => match crate::consent::read_consent(&state, &headers) {
            Some(c) => state.store.consent_history(&c.consent_id).await?,
            None => vec![],
        },
        None => vec![],
    };
    let body = json!({
        "account": signed_in.account,
        "sessions": state.store.user_sessions(user).await?,
        "remember_me_tokens": state.store.user_remember_tokens(user).await?,
        "devices": state.store.user_devices(user).await?,
        "consent_receipts_of_this_browser": consent_receipts,
    });
    let disposition = HeaderValue::from_static("attachment; filename=\"my-crumb-data.json\"");
    Ok(who.respond(([(header::CONTENT_DISPOSITION, disposition)], Json(body))))
}

/// `{password}` to confirm erasure.
#[derive(Deserialize, Default)]
pub struct Confirm {
    #[serde(default)]
    password: String,
}

/// `POST /api/account/delete`: erases the account and unlinks its identifiers.
pub async fn erase(State(state): State<AppState>, action: Csrf<Confirm>) -> Result<Response, Problem> {
    let (signed_in, confirm, from_form) = (action.signed_in.user, action.value, action.from_form);
    if !current_password_matches(&state, &signed_in.account, confirm.password).await? {
        return Err(Problem::of(ProblemKind::SignInFailed, "confirm with your password"));
    }
    state.store.delete_account(&signed_in.account.user_id).await?;
    let names = &state.names;
    let cookies = [&names.auth, &names.remember, &names.device, &names.trusted_device]
        .into_iter()
        .filter_map(|n| auth::expire(&state, n))
        .collect();
    Ok(reply(
        from_form,
        StatusCode::NO_CONTENT,
        json!({"notice": "Your account and everything linked to it were erased."}),
        cookies,
    ))
}

/// A device on the account page.
struct DeviceRow {
    id: String,
    browser: String,
    os: String,
    this: bool,
    first_seen: crumb_cookie::Timestamp,
    last_seen: crumb_cookie::Timestamp,
}

/// The signed-in part of the account page.
struct AccountView {
    email: String,
    csrf: String,
    devices: Vec<DeviceRow>,
    linked: bool,
}

/// The account page's content (`web/templates/account/page.html`).
#[derive(askama::Template)]
#[template(path = "account/page.html")]
struct AccountMain<'a> {
    notice: Option<&'a str>,
    signed_in: Option<AccountView>,
    min_password_chars: usize,
}

/// The administrators' page's content (`web/templates/account/admin.html`).
#[derive(askama::Template)]
#[template(path = "account/admin.html")]
struct AdminMain {
    consents: u64,
    accounts: u64,
}

/// `GET /account`: the account page (forms when signed out, the account when signed in).
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, Problem> {
    accounts_enabled(&state)?;
    let resolution = resolve(&state, &headers).await?;
    let language = crate::consent::language_for(&state, &headers, None);
    let signed_in = match &resolution.signed_in {
        None => None,
        Some(signed_in) => {
            let devices = state.store.user_devices(&signed_in.account.user_id).await?;
            let this_device = signed_in.session.device_id.as_str();
            let linked = devices.iter().any(|d| d.device_id == this_device && d.linked_visitor_id.is_some());
            let devices = devices
                .into_iter()
                .map(|d| DeviceRow {
                    this: d.device_id == this_device,
                    first_seen: crumb_cookie::Timestamp::from_unix_micros(d.first_seen * 1000),
                    last_seen: crumb_cookie::Timestamp::from_unix_micros(d.last_seen * 1000),
                    id: d.device_id,
                    browser: d.browser,
                    os: d.os,
                })
                .collect();
            Some(AccountView {
                email: signed_in.account.email.clone(),
                csrf: auth::csrf_token(&state, &signed_in.session_id),
                devices,
                linked,
            })
        }
    };
    let main = AccountMain {
        notice: query.get("notice").and_then(|code| notice_text(code)),
        signed_in,
        min_password_chars: MIN_PASSWORD_CHARS,
    };
    let mut response = Html(pages::page(&state.config, language, "Your account", main)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    append_cookies(&mut response, resolution.set_cookies);
    Ok(response)
}

/// `GET /admin`: the administrators' page (others get 403, signed-out visitors 401).
pub async fn admin(State(state): State<AppState>, headers: HeaderMap, admin: Admin) -> Result<Response, Problem> {
    let consents = state.store.count_consents(&state.config.site_name).await?;
    let accounts = state.store.count_accounts().await?;
    let main = AdminMain { consents, accounts };
    let language = crate::consent::language_for(&state, &headers, None);
    Ok(admin.respond(Html(pages::page(&state.config, language, "Administration", main))))
}

/// `{enabled}`.
#[derive(Deserialize, Default)]
pub struct CrossDevice {
    #[serde(default, deserialize_with = "checkbox")]
    enabled: bool,
}

/// The pseudonymous cross-device id of a user: HMAC of the user id under
/// the server key, so analytics can join a user's devices without ever
/// seeing the account.
pub fn cross_device_id(state: &AppState, user_id: &str) -> String {
    use base64::Engine as _;
    let mut mac = crumb_cookie::HmacSha256Writer::new(&state.keys.derive("crumb cross-device v1"));
    mac.update(user_id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finish()[..16])
}

/// `POST /api/account/cross-device`: links (or unlinks) this device for
/// cross-device measurement. Linking needs the browser's statistics consent
/// and is refused when a privacy signal the site honours objects to statistics.
pub async fn cross_device(
    State(state): State<AppState>,
    headers: HeaderMap,
    action: Csrf<CrossDevice>,
) -> Result<Response, Problem> {
    let (signed_in, cookies, choice, from_form) =
        (action.signed_in.user, action.signed_in.cookies, action.value, action.from_form);
    let user = &signed_in.account.user_id;
    let device = &signed_in.session.device_id;
    if !state.config.accounts.as_ref().is_some_and(|a| a.cross_device) {
        return Err(Problem::not_found("cross-device measurement is not declared in this site's crumb.toml"));
    }
    if choice.enabled {
        let signals = crate::request_info::signals(&headers, &state.config);
        // Following a user across devices is tracking: Global Privacy Control refuses it too.
        let refusal = if signals.gpc {
            Some(crumb_core::category::Signal::Gpc)
        } else {
            signals.refuses(crumb_core::category::Category::Statistics)
        };
        if let Some(signal) = refusal {
            return Err(Problem::of(
                ProblemKind::RefusedBySignal,
                format!("your browser sends {signal:?}, which this site honours: devices are not linked"),
            ));
        }
        let consented = crate::consent::read_consent(&state, &headers).is_some_and(|c| {
            c.granted.contains(&crumb_core::category::Category::Statistics)
                && !crate::consent::needs_prompt(&state, Some(&c))
        });
        if !consented {
            return Err(Problem::of(
                ProblemKind::ConsentRequired,
                "cross-device measurement needs statistics consent in this browser",
            ));
        }
        state.store.link_device_visitor(user, device, Some(&cross_device_id(&state, user))).await?;
    } else {
        state.store.link_device_visitor(user, device, None).await?;
    }
    let notice =
        if choice.enabled { "This device counts with your other devices." } else { "This device is no longer linked." };
    Ok(reply(from_form, StatusCode::OK, json!({"notice": notice, "linked": choice.enabled}), cookies))
}
