//! The account page (`GET /account`): the sign-in and registration forms,
//! or the signed-in account (devices, cross-device measurement, password,
//! data). A form posted from it that fails comes back as this page, with
//! the error next to the field it is about ([`FormError`]) and the status
//! of the problem an API client would get. Every text is in the reader's
//! language (`account_*`, `notice_*` and `err_*` messages of
//! `web/i18n/pages/<code>.json`).

use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::{KeptLanguage, Moment};
use crate::auth::{self, safe_return, Resolution};
use crate::consent::append_cookies;
use crate::mount::Mount;
use crate::problem::{PageText, Problem};
use crate::state::AppState;
use crumb_core::accounts::credentials::MIN_PASSWORD_CHARS;
use crumb_core::i18n::Strings;

/// The notices `/account` shows after a form, by the code its redirect
/// carries (`/account?notice=signed-out`), with their English text (the
/// API's `notice`) and their message key (the page's, in the reader's
/// language). The page shows only these texts: a link that names any other
/// text shows nothing, so no one can make the site's own page say what
/// they wrote.
pub const NOTICES: &[(&str, &str, &str)] = &[
    (
        "registered",
        "If this address was not registered yet, the account now exists: sign in with it.",
        "notice_registered",
    ),
    (
        "theft",
        "Someone used a stolen copy of your remember-me cookie: we signed out all your devices. Consider changing your password.",
        "notice_theft",
    ),
    ("signed-out", "Signed out.", "notice_signed_out"),
    ("signed-out-everywhere", "Signed out on every device.", "notice_signed_out_everywhere"),
    ("password-changed", "Password changed; other devices were signed out.", "notice_password_changed"),
    ("device-signed-out", "The device was signed out.", "notice_device_signed_out"),
    ("erased", "Your account and everything linked to it were erased.", "notice_erased"),
    ("linked", "This device counts with your other devices.", "notice_linked"),
    ("unlinked", "This device is no longer linked.", "notice_unlinked"),
];

/// The message key of the notice `code` names, if it names one.
pub fn notice_key(code: &str) -> Option<&'static str> {
    NOTICES.iter().find(|(known, _, _)| *known == code).map(|(_, _, key)| *key)
}

/// `path` on the account page's side of the site, keeping the request's
/// `?lang=` (`page_language`): `/account?notice=signed-out&lang=de`.
pub fn with_language(path: &str) -> String {
    match crate::page_language::asked() {
        Some(lang) => {
            let joint = if path.contains('?') { '&' } else { '?' };
            let lang: String = url::form_urlencoded::byte_serialize(lang.as_bytes()).collect();
            format!("{path}{joint}lang={lang}")
        }
        None => path.to_owned(),
    }
}

/// A failed form, shown in place: which form, next to which field (empty:
/// at the top of the form), and what went wrong.
#[derive(Debug)]
pub struct FormError {
    /// The form's id: `sign-in`, `register`, `password`, `erase`, `link`.
    pub form: &'static str,
    /// The field's name in that form, or `""` for the form as a whole.
    pub field: &'static str,
    /// What went wrong, for the reader (rendered in the page's language).
    pub text: PageText,
}

/// What the page shows besides the account itself.
#[derive(Debug, Default)]
pub struct Extras {
    /// A notice after a form that worked: its message key.
    pub notice: Option<&'static str>,
    /// A form that failed.
    pub error: Option<FormError>,
    /// Where to go back to after signing in (`?return=`), when it is one
    /// of this site's paths.
    pub return_to: Option<String>,
    /// The e-mail address typed in the form that failed (sign-in, register).
    pub email: String,
}

/// A device on the account page.
struct DeviceRow {
    id: String,
    /// "Chrome on Linux", in the page's language.
    name: String,
    /// The sign-out button's accessible name ("Sign out Chrome on Linux (this device)").
    sign_out_label: String,
    this: bool,
    first_seen: Moment,
    last_seen: Moment,
}

/// The signed-in part of the account page.
struct AccountView {
    email: String,
    is_admin: bool,
    csrf: String,
    devices: Vec<DeviceRow>,
    linked: bool,
    cross_device: bool,
}

/// The account page's content (`web/templates/account/page.html`).
#[derive(Template)]
#[template(path = "account/page.html")]
struct AccountMain<'a> {
    /// Where the forms post and the links go (`[server] prefix`).
    mount: Mount<'a>,
    /// The language the forms' actions keep (`?lang=`).
    keep: KeptLanguage,
    /// The page's messages.
    t: &'static Strings,
    extras: Extras,
    /// The failed form's error, in the page's language.
    error: Option<String>,
    signed_in: Option<AccountView>,
    min_password_chars: usize,
}

impl AccountMain<'_> {
    /// The error of `form`'s `field`, if that is where the failed form's is.
    fn error_at(&self, form: &str, field: &str) -> Option<&str> {
        let at = self.extras.error.as_ref().is_some_and(|e| e.form == form && e.field == field);
        if at {
            self.error.as_deref()
        } else {
            None
        }
    }

    /// The message `key` of the page's language.
    fn tr(&self, key: &'static str) -> &'static str {
        self.t.get(key)
    }

    /// The password hint `key` ("At least 12 characters."), counted in the page's language.
    fn chars_hint(&self, key: &str) -> String {
        let chars = self.t.count("account_chars", self.min_password_chars as u64);
        self.t.fill(key, &[("chars", &chars)])
    }

    /// The message `key` in two parts around its placeholder `at`, for markup there.
    fn around(&self, key: &str, at: &str) -> (String, String) {
        self.t.around(key, at, &[])
    }

    /// The sign-in and registration e-mail fields' value: what was typed
    /// in the form that failed.
    fn typed(&self, form: &str) -> &str {
        match &self.extras.error {
            Some(error) if error.form == form => &self.extras.email,
            _ => "",
        }
    }
}

/// The account page for the request's session (`resolution`), with
/// `extras`, answered with `status`.
pub async fn render(
    state: &AppState,
    headers: &HeaderMap,
    resolution: Resolution,
    extras: Extras,
    status: StatusCode,
) -> Result<Response, Problem> {
    let language = crate::consent::language_for(state, headers, None);
    let t = language.strings();
    let signed_in = match &resolution.signed_in {
        None => None,
        Some(signed_in) => {
            let devices = state.store.user_devices(&signed_in.account.user_id).await?;
            let this_device = signed_in.session.device_id.as_str();
            let linked = devices.iter().any(|d| d.device_id == this_device && d.linked_visitor_id.is_some());
            let devices = devices
                .into_iter()
                .map(|d| {
                    let this = d.device_id == this_device;
                    let name = t.fill("account_device", &[("browser", &d.browser), ("os", &d.os)]);
                    let label = if this { "account_sign_out_this_device" } else { "account_sign_out_device" };
                    DeviceRow {
                        this,
                        sign_out_label: t.fill(label, &[("device", &name)]),
                        name,
                        first_seen: Moment::at(d.first_seen),
                        last_seen: Moment::at(d.last_seen),
                        id: d.device_id,
                    }
                })
                .collect();
            Some(AccountView {
                email: signed_in.account.email.clone(),
                is_admin: signed_in.account.is_admin,
                csrf: auth::csrf_token(state, &signed_in.session_id),
                devices,
                linked,
                cross_device: state.config.accounts.as_ref().is_some_and(|a| a.cross_device),
            })
        }
    };
    let extras = Extras { return_to: extras.return_to.filter(|path| safe_return(path).is_some()), ..extras };
    let error = extras.error.as_ref().map(|e| e.text.render(t));
    let main = AccountMain {
        mount: Mount::of(&state.config),
        keep: KeptLanguage::of(language),
        t,
        extras,
        error,
        signed_in,
        min_password_chars: MIN_PASSWORD_CHARS,
    };
    let title = t.get(if main.signed_in.is_some() { "account_title" } else { "account_sign_in" });
    let mut response = (status, Html(super::page(&state.config, language, title, main))).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    append_cookies(&mut response, resolution.set_cookies);
    Ok(response)
}

/// The account page again, after `form` failed with `problem` (shown next
/// to `field`), with the problem's status and `Retry-After`.
pub async fn failed(
    state: &AppState,
    headers: &HeaderMap,
    form: &'static str,
    field: &'static str,
    problem: Problem,
    email: String,
    return_to: Option<String>,
) -> Result<Response, Problem> {
    let resolution = auth::resolve(state, headers).await?;
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::BAD_REQUEST);
    let text = problem.text_for_page();
    let extras = Extras { error: Some(FormError { form, field, text }), email, return_to, notice: None };
    let mut response = render(state, headers, resolution, extras, status).await?;
    if let Some(seconds) = problem.retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Ok(response)
}
