//! Accounts: register, sign in (optionally "remember me"), sign out, sign
//! out everywhere, change the password, list and sign out devices, download
//! and erase one's data. Each action is one JSON API endpoint that also
//! accepts an HTML form post: a form that worked answers with a redirect
//! to `/account` (or, after signing in, to the page that asked for it), a
//! form that failed with the account page and the error next to its field
//! (`pages::account`); an API client gets JSON or an RFC 9457 problem.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use crumb_store::{Account, Device};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, accounts_enabled, resolve};
use crate::consent::append_cookies;
use crate::extract::{Csrf, JsonOrForm, SignedIn};
use crate::mount::Mount;
use crate::pages::account::{self as account_page, notice_key, with_language, Extras, NOTICES};
use crate::problem::{PageText, Problem, ProblemKind};
use crate::request_info::{check_same_origin, cookie, Peer};
use crate::state::AppState;
use crate::throttle;
use crate::trusted_device::TrustedDevice;
use crumb_core::accounts::credentials::{self, fold_email};
use crumb_core::accounts::sessions;
use crumb_core::analytics::client::device_family;
use crumb_core::keys::random_id;

/// A reply: JSON for API callers, a redirect to `/account` (under the
/// `mount`) for forms.
fn reply(
    mount: Mount<'_>,
    from_form: bool,
    status: StatusCode,
    body: serde_json::Value,
    set_cookies: Vec<String>,
) -> Response {
    let mut response = if from_form {
        let notice = body.get("notice").and_then(|n| n.as_str()).unwrap_or("");
        match NOTICES.iter().find(|(_, text, _)| *text == notice) {
            Some((code, _, _)) => {
                Redirect::to(&with_language(&mount.at(&format!("/account?notice={code}")))).into_response()
            }
            None => Redirect::to(&with_language(&mount.at("/account"))).into_response(),
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

/// `{email, password}`, and for sign-in `remember` and the path to go
/// back to (`return`, forms only).
#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    #[serde(default, deserialize_with = "checkbox")]
    remember: bool,
    #[serde(default, rename = "return")]
    return_to: Option<String>,
}

/// Where a form's failure is shown: its form on `/account`, the field
/// (`""`: the form as a whole), and what the form had typed in.
struct InPlace {
    form: &'static str,
    field: &'static str,
    email: String,
    return_to: Option<String>,
}

impl InPlace {
    /// Next to `form`'s `field`.
    fn at(form: &'static str, field: &'static str) -> InPlace {
        InPlace { form, field, email: String::new(), return_to: None }
    }
}

/// What an action answers: its reply, or when it failed, the problem (API
/// clients) or the account page with the error in place (browser forms).
/// A wrong password is about the password field (`field`); throttling and
/// the like about the form as a whole. Server faults (5xx) are not about
/// the form: `pages::negotiate` makes their page.
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    from_form: bool,
    place: InPlace,
    outcome: Result<Response, Problem>,
) -> Result<Response, Problem> {
    match outcome {
        Err(problem) if from_form && problem.status < 500 => {
            let field = if problem.is(ProblemKind::Throttled) { "" } else { place.field };
            account_page::failed(state, headers, place.form, field, problem, place.email, place.return_to).await
        }
        outcome => outcome,
    }
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
    let place = |field| InPlace { email: credentials.email.clone(), ..InPlace::at("register", field) };
    let email_folded = match credentials::check_email(&credentials.email) {
        Ok(folded) => folded,
        Err(fault) => {
            let problem = Problem::unprocessable(fault.to_string()).shown_as(PageText::of("err_email_invalid"));
            return answer(&state, &headers, from_form, place("email"), Err(problem)).await;
        }
    };
    if let Err(problem) = validate_password(&credentials.password) {
        return answer(&state, &headers, from_form, place("password"), Err(problem)).await;
    }
    let place = place("");
    let outcome = register_account(&state, peer, &headers, credentials, email_folded, from_form).await;
    answer(&state, &headers, from_form, place, outcome).await
}

async fn register_account(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    credentials: Credentials,
    email_folded: String,
    from_form: bool,
) -> Result<Response, Problem> {
    let client = throttle::client(state, headers, peer);
    throttle::admit(state, &[format!("register:{client}")], &throttle::REGISTRATION, "registrations").await?;
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
    Ok(reply(Mount::of(&state.config), from_form, StatusCode::ACCEPTED, json!({"notice": notice}), vec![]))
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
    let place = InPlace {
        email: credentials.email.clone(),
        return_to: credentials.return_to.clone(),
        ..InPlace::at("sign-in", "password")
    };
    let outcome = sign_in_account(&state, peer, &headers, credentials, from_form).await;
    answer(&state, &headers, from_form, place, outcome).await
}

async fn sign_in_account(
    state: &AppState,
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    credentials: Credentials,
    from_form: bool,
) -> Result<Response, Problem> {
    let (state, headers) = (state.clone(), headers.clone());
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
        return Err(Problem::of(ProblemKind::SignInFailed, "wrong e-mail or password")
            .shown_as(PageText::of("err_sign_in_failed")));
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
    // A form goes back where it came from (`?return=`, this site's paths only), unless there is a theft to tell.
    let back = credentials.return_to.as_deref().and_then(auth::safe_return).filter(|_| theft.is_none());
    if let (true, Some(path)) = (from_form, back) {
        let mut response = Redirect::to(path).into_response();
        append_cookies(&mut response, set_cookies);
        return Ok(response);
    }
    Ok(reply(Mount::of(&state.config), from_form, StatusCode::OK, body, set_cookies))
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
    Ok(reply(Mount::of(&state.config), from_form, StatusCode::NO_CONTENT, json!({"notice": "Signed out."}), cookies))
}

/// `POST /api/account/sign-out-everywhere`: ends every session and
/// remember-me token of the account, forgets its devices (so no browser's
/// device cookie names one of them any more), and deletes this browser's
/// session, remember-me, device and trusted-device cookies.
pub async fn sign_out_everywhere(State(state): State<AppState>, action: Csrf<CsrfForm>) -> Result<Response, Problem> {
    let (signed_in, from_form) = (action.signed_in.user, action.from_form);
    let user = &signed_in.account.user_id;
    sessions::revoke_everything(&state, user).await?;
    for device in state.store.user_devices(user).await? {
        state.store.delete_device(user, &device.device_id).await?;
    }
    let names = &state.names;
    let cookies = [&names.auth, &names.remember, &names.device, &names.trusted_device]
        .into_iter()
        .filter_map(|n| auth::expire(&state, n))
        .collect();
    Ok(reply(
        Mount::of(&state.config),
        from_form,
        StatusCode::NO_CONTENT,
        json!({"notice": "Signed out on every device."}),
        cookies,
    ))
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
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    action: Csrf<PasswordChange>,
) -> Result<Response, Problem> {
    let from_form = action.from_form;
    let new_is_valid = validate_password(&action.value.new);
    let outcome =
        match current_password_matches(&state, &action.signed_in.user.account, action.value.current.clone()).await {
            Ok(true) => match new_is_valid {
                Ok(()) => Ok(set_new_password(&state, action).await),
                Err(problem) => {
                    return answer(&state, &headers, from_form, InPlace::at("password", "new"), Err(problem)).await
                }
            },
            Ok(false) => Err(Problem::of(ProblemKind::SignInFailed, "the current password is wrong")
                .shown_as(PageText::of("err_current_password"))),
            Err(problem) => Err(problem),
        };
    answer(&state, &headers, from_form, InPlace::at("password", "current"), outcome.and_then(|r| r)).await
}

/// Sets the new password of a change whose current password matched.
async fn set_new_password(state: &AppState, action: Csrf<PasswordChange>) -> Result<Response, Problem> {
    let state = state.clone();
    let (signed_in, change, from_form) = (action.signed_in.user, action.value, action.from_form);
    let hash = credentials::hash_password(&state.hashing, change.new).await?;
    state.store.set_password(&signed_in.account.user_id, &hash).await?;
    sessions::revoke_everything(&state, &signed_in.account.user_id).await?;
    let (session_id, _) =
        sessions::new_session(&state, &signed_in.account.user_id, &signed_in.session.device_id).await?;
    let mut cookies: Vec<String> = state.own_cookie(&state.names.auth, session_id.clone()).into_iter().collect();
    cookies.extend(auth::expire(&state, &state.names.remember));
    let body = json!({"notice": "Password changed; other devices were signed out.", "csrf_token": auth::csrf_token(&state, &session_id)});
    Ok(reply(Mount::of(&state.config), from_form, StatusCode::OK, body, cookies))
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
    Ok(reply(
        Mount::of(&state.config),
        from_form,
        StatusCode::NO_CONTENT,
        json!({"notice": "The device was signed out."}),
        cookies,
    ))
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
    // The account's interest profile, shared by its linked devices
    // (`crate::profile_key`): only when this device is linked.
    let interest_profile = match state.linked_profile_of(cookie(&headers, &state.names.auth)).await? {
        Some(key) => {
            crate::ads::write_gathered_for_view(&state).await;
            Some(crumb_core::profiles::service::export(&state.site, &state.profiles, key).await.map_err(|error| {
                tracing::error!(%error, "interest profile export");
                Problem::unavailable()
            })?)
        }
        None => None,
    };
    let body = json!({
        "account": signed_in.account,
        "interest_profile": interest_profile,
        "sessions": state.store.user_sessions(user).await?,
        "remember_me_tokens": state.store.user_remember_tokens(user).await?,
        "devices": state.store.user_devices(user).await?,
        "consent_receipts_of_this_browser": consent_receipts,
    });
    let disposition = HeaderValue::from_static("attachment; filename=\"my-crumb-data.json\"");
    Ok(who.respond(([(header::CONTENT_DISPOSITION, disposition)], Json(body))))
}

/// Erases the interest profile the account's linked devices share
/// (`crate::profile_key`): it is the account's, so it goes with it.
async fn erase_linked_profiles(state: &AppState, user_id: &str) -> Result<(), Problem> {
    let mut erased = Vec::new();
    for device in state.store.user_devices(user_id).await? {
        let Some(cross_device_id) = device.linked_visitor_id else { continue };
        let source = crumb_core::profiles::ProfileSource::Linked(&cross_device_id);
        let profile = state.profiles.keys.profile_key(&state.config.site_name, source);
        if erased.contains(&profile) {
            continue;
        }
        state.ads.gathered.forget(profile.0);
        crumb_core::profiles::service::erase(&state.site, profile).await.map_err(|error| {
            tracing::error!(%error, "interest profile of a deleted account");
            Problem::unavailable()
        })?;
        state.ads.kept_profiles.forget(&[profile.0]);
        erased.push(profile);
    }
    Ok(())
}

/// `{password}` to confirm erasure.
#[derive(Deserialize, Default)]
pub struct Confirm {
    #[serde(default)]
    password: String,
}

/// `POST /api/account/delete`: erases the account and unlinks its identifiers.
pub async fn erase(
    State(state): State<AppState>,
    headers: HeaderMap,
    action: Csrf<Confirm>,
) -> Result<Response, Problem> {
    let (signed_in, confirm, from_form) = (action.signed_in.user, action.value, action.from_form);
    let confirmed = match current_password_matches(&state, &signed_in.account, confirm.password).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Problem::of(ProblemKind::SignInFailed, "that is not your password: nothing was erased")
            .shown_as(PageText::of("err_erase_password"))),
        Err(problem) => Err(problem),
    };
    if let Err(problem) = confirmed {
        return answer(&state, &headers, from_form, InPlace::at("erase", "password"), Err(problem)).await;
    }
    erase_linked_profiles(&state, &signed_in.account.user_id).await?;
    state.store.delete_account(&signed_in.account.user_id).await?;
    let names = &state.names;
    let cookies = [&names.auth, &names.remember, &names.device, &names.trusted_device]
        .into_iter()
        .filter_map(|n| auth::expire(&state, n))
        .collect();
    Ok(reply(
        Mount::of(&state.config),
        from_form,
        StatusCode::NO_CONTENT,
        json!({"notice": "Your account and everything linked to it were erased."}),
        cookies,
    ))
}

/// `GET /account`: the account page (forms when signed out, the account
/// when signed in); `?notice=` names a notice of a form that worked,
/// `?return=` the page to go back to after signing in.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, Problem> {
    accounts_enabled(&state)?;
    let resolution = resolve(&state, &headers).await?;
    let extras = Extras {
        notice: query.get("notice").and_then(|code| notice_key(code)),
        return_to: query.get("return").cloned(),
        ..Extras::default()
    };
    account_page::render(&state, &headers, resolution, extras, StatusCode::OK).await
}

pub use crate::pages::admin::page as admin;

/// `{enabled}`.
#[derive(Deserialize, Default)]
pub struct CrossDevice {
    #[serde(default, deserialize_with = "checkbox")]
    enabled: bool,
}

/// The pseudonymous cross-device id of a user: HMAC of the user id under
/// the server key, so analytics can join a user's devices without ever
/// seeing the account. Under the key file's oldest key (as interest
/// profiles), so that a device linked after a key rotation gets the same
/// id, and so the same profile, as one linked before.
pub fn cross_device_id(state: &AppState, user_id: &str) -> String {
    use base64::Engine as _;
    let mut mac = crumb_cookie::HmacSha256Writer::new(&state.keys.derive_lasting("crumb cross-device v1"));
    mac.update(user_id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finish()[..16])
}

/// Whether this browser may be linked: 409 under a privacy signal the site
/// honours (Global Privacy Control always refuses linking, Do Not Track
/// when it refuses statistics), or without statistics consent.
fn may_link(state: &AppState, headers: &HeaderMap) -> Result<(), Problem> {
    use crumb_core::category::{Category, Signal};
    let signals = crate::request_info::signals(headers, &state.config);
    // Following a user across devices is tracking: Global Privacy Control refuses it too.
    let refusal = if signals.gpc { Some(Signal::Gpc) } else { signals.refuses(Category::Statistics) };
    if let Some(signal) = refusal {
        let (name, key) = match signal {
            Signal::Gpc => ("Global Privacy Control (GPC)", "err_link_gpc"),
            Signal::Dnt => ("Do Not Track (DNT)", "err_link_dnt"),
        };
        let detail = format!("your browser sends {name}, which this site honours: this device is not linked");
        return Err(Problem::of(ProblemKind::RefusedBySignal, detail).shown_as(PageText::of(key)));
    }
    let consented = crate::consent::read_consent(state, headers)
        .is_some_and(|c| c.granted.contains(&Category::Statistics) && !crate::consent::needs_prompt(state, Some(&c)));
    if !consented {
        return Err(Problem::of(
            ProblemKind::ConsentRequired,
            "linking needs statistics consent in this browser: allow statistics in the cookie settings first",
        )
        .shown_as(PageText::of("err_link_consent")));
    }
    Ok(())
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
        if let Err(problem) = may_link(&state, &headers) {
            return answer(&state, &headers, from_form, InPlace::at("link", "enabled"), Err(problem)).await;
        }
        state.store.link_device_visitor(user, device, Some(&cross_device_id(&state, user))).await?;
    } else {
        state.store.link_device_visitor(user, device, None).await?;
    }
    let notice =
        if choice.enabled { "This device counts with your other devices." } else { "This device is no longer linked." };
    Ok(reply(
        Mount::of(&state.config),
        from_form,
        StatusCode::OK,
        json!({"notice": notice, "linked": choice.enabled}),
        cookies,
    ))
}
