//! RFC 9457 problem responses: every error the API returns is one, of one of
//! the kinds of [`ProblemKind`], whose status, slug and title live here and
//! nowhere else. The JSON body is in English, for developers; a problem
//! shown to a browser as a page says it in the reader's language
//! ([`PageText`], the messages `problem_<slug>` and `problem_<slug>_text`).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What went wrong, as a client can tell problems apart: each kind has one
/// status, one type slug (the problem's `type` is `/problems/{slug}`) and one
/// title.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// 400: the request is malformed (a query, a path or a body that does not parse).
    BadRequest,
    /// 422: well-formed but not acceptable (a field out of range, an unknown category).
    InvalidField,
    /// 404: no such page, endpoint or record.
    NotFound,
    /// 403: refused (a cross-site request, a wrong origin, not an administrator).
    Forbidden,
    /// 405: the endpoint does not take that method.
    MethodNotAllowed,
    /// 413: the body is over the limit.
    PayloadTooLarge,
    /// 415: the body is not of a type the endpoint reads.
    UnsupportedMediaType,
    /// 429: too many attempts; retry later.
    Throttled,
    /// 401: wrong e-mail or password.
    SignInFailed,
    /// 401: the request needs a signed-in account.
    NotSignedIn,
    /// 409: the browser's privacy signal refuses what was asked.
    RefusedBySignal,
    /// 409: what was asked needs a consent the visitor has not given.
    ConsentRequired,
    /// 503: the store did not answer; nothing was changed.
    StorageUnavailable,
    /// 503: too many password checks at once; retry after `Retry-After`.
    Overloaded,
    /// 421: the request's `Host` is not one of the site's origins.
    MisdirectedRequest,
    /// 503: the request took longer than the server allows.
    TimedOut,
    /// 500: a fault in crumb itself.
    InternalError,
    /// 502: the gateway could not reach the site behind it.
    UpstreamUnreachable,
    /// 504: the site behind the gateway did not answer in time.
    UpstreamTimedOut,
}

impl ProblemKind {
    /// The HTTP status of this kind.
    pub const fn status(self) -> StatusCode {
        match self {
            ProblemKind::BadRequest => StatusCode::BAD_REQUEST,
            ProblemKind::InvalidField => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemKind::NotFound => StatusCode::NOT_FOUND,
            ProblemKind::Forbidden => StatusCode::FORBIDDEN,
            ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
            ProblemKind::SignInFailed | ProblemKind::NotSignedIn => StatusCode::UNAUTHORIZED,
            ProblemKind::RefusedBySignal | ProblemKind::ConsentRequired => StatusCode::CONFLICT,
            ProblemKind::StorageUnavailable | ProblemKind::TimedOut | ProblemKind::Overloaded => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ProblemKind::MisdirectedRequest => StatusCode::MISDIRECTED_REQUEST,
            ProblemKind::InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            ProblemKind::UpstreamUnreachable => StatusCode::BAD_GATEWAY,
            ProblemKind::UpstreamTimedOut => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The type slug: the problem's `type` is `/problems/{slug}`.
    pub const fn slug(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "bad-request",
            ProblemKind::InvalidField => "invalid-field",
            ProblemKind::NotFound => "not-found",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::Throttled => "throttled",
            ProblemKind::SignInFailed => "sign-in-failed",
            ProblemKind::NotSignedIn => "not-signed-in",
            ProblemKind::RefusedBySignal => "refused-by-signal",
            ProblemKind::ConsentRequired => "consent-required",
            ProblemKind::StorageUnavailable => "storage-unavailable",
            ProblemKind::Overloaded => "overloaded",
            ProblemKind::MisdirectedRequest => "misdirected-request",
            ProblemKind::TimedOut => "timed-out",
            ProblemKind::InternalError => "internal-error",
            ProblemKind::UpstreamUnreachable => "upstream-unreachable",
            ProblemKind::UpstreamTimedOut => "upstream-timed-out",
        }
    }

    /// The short, human summary (the same for every problem of the kind).
    pub const fn title(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "Bad request",
            ProblemKind::InvalidField => "Invalid field",
            ProblemKind::NotFound => "Not found",
            ProblemKind::Forbidden => "Forbidden",
            ProblemKind::MethodNotAllowed => "Method not allowed",
            ProblemKind::PayloadTooLarge => "Request too large",
            ProblemKind::UnsupportedMediaType => "Unsupported media type",
            ProblemKind::Throttled => "Too many attempts",
            ProblemKind::SignInFailed => "Sign-in failed",
            ProblemKind::NotSignedIn => "Not signed in",
            ProblemKind::RefusedBySignal => "Refused by your browser's signal",
            ProblemKind::ConsentRequired => "Consent required",
            ProblemKind::StorageUnavailable => "Storage unavailable",
            ProblemKind::Overloaded => "Too busy",
            ProblemKind::MisdirectedRequest => "Not this site",
            ProblemKind::TimedOut => "Timed out",
            ProblemKind::InternalError => "Internal error",
            ProblemKind::UpstreamUnreachable => "Site unreachable",
            ProblemKind::UpstreamTimedOut => "Site timed out",
        }
    }

    /// Every kind, in the order of the problem pages' index.
    pub const ALL: [ProblemKind; 19] = [
        ProblemKind::BadRequest,
        ProblemKind::InvalidField,
        ProblemKind::NotFound,
        ProblemKind::Forbidden,
        ProblemKind::MethodNotAllowed,
        ProblemKind::PayloadTooLarge,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::Throttled,
        ProblemKind::SignInFailed,
        ProblemKind::NotSignedIn,
        ProblemKind::RefusedBySignal,
        ProblemKind::ConsentRequired,
        ProblemKind::StorageUnavailable,
        ProblemKind::Overloaded,
        ProblemKind::MisdirectedRequest,
        ProblemKind::TimedOut,
        ProblemKind::InternalError,
        ProblemKind::UpstreamUnreachable,
        ProblemKind::UpstreamTimedOut,
    ];

    /// The message key of this kind's title on a page (`problem_not_found`).
    pub fn page_title_key(self) -> String {
        format!("problem_{}", self.slug().replace('-', "_"))
    }

    /// What a page says about a problem of this kind when its own request
    /// has nothing more precise to say (`problem_not_found_text`).
    pub fn page_text(self) -> PageText {
        PageText { key: format!("{}_text", self.page_title_key()), values: Vec::new() }
    }

    /// The kind whose type slug is `slug`.
    pub fn from_slug(slug: &str) -> Option<ProblemKind> {
        ProblemKind::ALL.into_iter().find(|kind| kind.slug() == slug)
    }

    /// What a problem of this kind means, for its page at `/problems/{slug}`.
    pub const fn description(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "The request could not be read: a query string, a path segment or a body that does not parse, a field of the wrong type, or a field given twice. The detail names what did not parse.",
            ProblemKind::InvalidField => "The request was read, but a value in it is not acceptable: a category or a language this site does not offer, an event for a page of another site, too many event properties, a password that breaks the rules. The detail names the field.",
            ProblemKind::NotFound => "There is no such page, endpoint or record: a receipt or device id that does not exist, or a feature this site does not enable in its crumb.toml (accounts, cross-device measurement, Global Privacy Control).",
            ProblemKind::Forbidden => "The request was refused: it came from another site (its Origin or Sec-Fetch-Site does not match this one), its CSRF token is missing or wrong, or it needs an administrator.",
            ProblemKind::MethodNotAllowed => "The endpoint exists but does not take this HTTP method (a POST to a page that is only read, for instance).",
            ProblemKind::PayloadTooLarge => "The request's body is over the size crumb accepts; the detail says the limit.",
            ProblemKind::UnsupportedMediaType => "The request's body is not of a type the endpoint reads: the consent, event and account endpoints read application/json, and the account actions an HTML form (application/x-www-form-urlencoded) too.",
            ProblemKind::Throttled => "Too many attempts in a short time (sign-ins from one address, for one e-mail address or from one trusted device, password confirmations of one account, registrations from one address): crumb waits longer after each one. The Retry-After header says how many seconds to wait.",
            ProblemKind::SignInFailed => "The e-mail address or the password is wrong, or the password given to confirm an action (changing the password, erasing the account) is not the account's. crumb does not say which, so that no one can find out who has an account.",
            ProblemKind::NotSignedIn => "The request needs a signed-in account, and came without a valid session (none, expired, or signed out elsewhere).",
            ProblemKind::RefusedBySignal => "The browser sends a privacy signal (Global Privacy Control or Do Not Track) that this site honours, and it refuses what was asked, such as linking devices for measurement.",
            ProblemKind::ConsentRequired => "What was asked needs a consent the visitor has not given in this browser, such as statistics consent to link devices for measurement.",
            ProblemKind::StorageUnavailable => "crumb's store (SQLite or PostgreSQL) did not answer; nothing was changed. It is a fault on the server's side, not in the request.",
            ProblemKind::Overloaded => "Too many passwords are being checked at once (registrations, sign-ins, password changes): each check holds about 20 MB of memory, so crumb runs only a few together and turns the rest away after a short wait. Nothing was changed.",
            ProblemKind::MisdirectedRequest => "The request's Host header names a host that is not one of this site's origins (site.origins in crumb.toml). crumb answers only for its own origins, so that a page on another name that points at this server (DNS rebinding) cannot use it.",
            ProblemKind::TimedOut => "The request took longer than the server allows (server.request_timeout_seconds in crumb.toml) and was stopped. What it would have changed may or may not have been recorded; requests that record something are safe to send again.",
            ProblemKind::InternalError => "A fault in crumb itself stopped this request; it is logged with the request id. It is not caused by the request.",
            ProblemKind::UpstreamUnreachable => "crumb runs as a gateway in front of this site (gateway.upstream in crumb.toml) and could not connect to the site behind it, or the connection failed before an answer came. It is a fault on the server's side, not in the request.",
            ProblemKind::UpstreamTimedOut => "crumb runs as a gateway in front of this site and the site behind it did not send its answer's headers within gateway.timeout_seconds. It is a fault on the server's side, not in the request.",
        }
    }

    /// What a client should do about a problem of this kind.
    pub const fn advice(self) -> &'static str {
        match self {
            ProblemKind::BadRequest => "Fix the request as the detail says and send it again; sending it unchanged fails the same way.",
            ProblemKind::InvalidField => "Change the field the detail names to an accepted value (the site's categories are listed in /policy.json) and send the request again.",
            ProblemKind::NotFound => "Check the path and the id; if the feature is not enabled on this site, do not retry.",
            ProblemKind::Forbidden => "Send the request from the site's own pages (same origin), with the CSRF token of the signed-in session (GET /api/account gives it), or sign in as an administrator.",
            ProblemKind::MethodNotAllowed => "Use the method the endpoint documents (GET to read, POST to act).",
            ProblemKind::PayloadTooLarge => "Send a smaller body: no request crumb takes needs more than the limit.",
            ProblemKind::UnsupportedMediaType => "Send the body with Content-Type: application/json (or, for the account actions, as a form).",
            ProblemKind::Throttled => "Wait the seconds the Retry-After header gives before trying again; do not retry in a loop.",
            ProblemKind::SignInFailed => "Check the e-mail address and the password and try again; repeated failures are throttled.",
            ProblemKind::NotSignedIn => "Sign in (POST /api/account/sign-in, or the form at /account) and send the request again with the session cookie.",
            ProblemKind::RefusedBySignal => "Respect the signal: do not ask again while the browser sends it. The visitor can turn the signal off in the browser if they want this.",
            ProblemKind::ConsentRequired => "Ask the visitor for the consent the detail names (the cookie settings), then send the request again.",
            ProblemKind::StorageUnavailable => "Retry after a short wait, with backoff; the request can be sent again as it was.",
            ProblemKind::Overloaded => "Wait the seconds the Retry-After header gives, then send the request again as it was.",
            ProblemKind::MisdirectedRequest => "Send the request to one of the site's own origins (the host in the site's address), not to another name for the same server.",
            ProblemKind::TimedOut => "Retry after a short wait, with backoff.",
            ProblemKind::InternalError => "Retry later; if it persists, report it to the site with the x-request-id header of the response.",
            ProblemKind::UpstreamUnreachable => "Retry after a short wait; if it persists, tell the site's operator, with the x-request-id header of the response.",
            ProblemKind::UpstreamTimedOut => "Retry after a short wait, with backoff; a request that changes something may or may not have reached the site.",
        }
    }

    /// The kind a bare status stands for, for responses that arrive without
    /// one (axum's own rejections): the kind with that status, or a bad
    /// request (a server error: storage unavailable). A 409 is always one of
    /// crumb's own problems, so it has no kind of its own here.
    pub fn for_status(status: StatusCode) -> ProblemKind {
        match status {
            StatusCode::UNPROCESSABLE_ENTITY => ProblemKind::InvalidField,
            StatusCode::NOT_FOUND => ProblemKind::NotFound,
            StatusCode::FORBIDDEN => ProblemKind::Forbidden,
            StatusCode::METHOD_NOT_ALLOWED => ProblemKind::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ProblemKind::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ProblemKind::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => ProblemKind::Throttled,
            StatusCode::UNAUTHORIZED => ProblemKind::NotSignedIn,
            StatusCode::MISDIRECTED_REQUEST => ProblemKind::MisdirectedRequest,
            StatusCode::INTERNAL_SERVER_ERROR => ProblemKind::InternalError,
            StatusCode::BAD_GATEWAY => ProblemKind::UpstreamUnreachable,
            StatusCode::GATEWAY_TIMEOUT => ProblemKind::UpstreamTimedOut,
            status if status.is_server_error() => ProblemKind::StorageUnavailable,
            _ => ProblemKind::BadRequest,
        }
    }
}

/// A value of a [`PageText`]: a text as it is, or a count in a counted
/// message of the page's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageValue {
    /// A text (an address, a path), shown as it is.
    Text(String),
    /// `n` in the counted message `key` (`err_seconds`: "30 seconds").
    Count(&'static str, u64),
}

/// What a page says about a problem, in the reader's language: a message
/// of `web/i18n/pages/<code>.json` and the values of its placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageText {
    /// The message's key.
    pub key: String,
    /// Its placeholders' values.
    pub values: Vec<(&'static str, PageValue)>,
}

impl PageText {
    /// The message `key` without placeholders.
    pub fn of(key: &str) -> PageText {
        PageText { key: key.to_owned(), values: Vec::new() }
    }

    /// The same message with `{name}` filled with `value`.
    pub fn with(mut self, name: &'static str, value: PageValue) -> PageText {
        self.values.push((name, value));
        self
    }

    /// The text in the language of `strings`.
    pub fn render(&self, strings: &crumb_core::i18n::Strings) -> String {
        let values: Vec<(&str, String)> = self
            .values
            .iter()
            .map(|(name, value)| match value {
                PageValue::Text(text) => (*name, text.clone()),
                PageValue::Count(key, n) => (*name, strings.count(key, *n)),
            })
            .collect();
        let pairs: Vec<(&str, &str)> = values.iter().map(|(name, text)| (*name, text.as_str())).collect();
        strings.fill(&self.key, &pairs)
    }
}

/// An `application/problem+json` response.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI reference naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Seconds for the `Retry-After` header (429 and 503), not in the body.
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// What a page says in the reader's language, when the request has
    /// something more precise to say than its kind's text; not in the body.
    /// (Boxed: a problem is the error of many results, and stays small.)
    #[serde(skip)]
    pub page_text: Option<Box<PageText>>,
}

impl Problem {
    /// A problem of `kind` with what went wrong with this request.
    pub fn of(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Problem {
            // `/problems/{slug}`, under the request's prefix (`crate::mount`).
            kind: crate::mount::current_problem_type(kind.slug()),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            retry_after: None,
            page_text: None,
        }
    }

    /// The same problem, said on a page as `text`.
    pub fn shown_as(mut self, text: PageText) -> Self {
        self.page_text = Some(Box::new(text));
        self
    }

    /// The kind of this problem (by its `type`).
    pub fn problem_kind(&self) -> Option<ProblemKind> {
        ProblemKind::ALL.into_iter().find(|kind| self.is(*kind))
    }

    /// What a page says about this problem: its own text, or its kind's.
    pub fn text_for_page(&self) -> PageText {
        self.page_text.as_deref().cloned().or_else(|| self.problem_kind().map(ProblemKind::page_text)).unwrap_or_else(
            || {
                // A problem always has one of the kinds' types; the generic text otherwise.
                ProblemKind::BadRequest.page_text()
            },
        )
    }

    /// This problem's title on a page, in the language of `strings`.
    pub fn title_for_page(&self, strings: &crumb_core::i18n::Strings) -> String {
        match self.problem_kind() {
            Some(kind) => strings.get(&kind.page_title_key()).to_owned(),
            None => self.title.clone(),
        }
    }

    /// The same problem, answered with `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::of(ProblemKind::BadRequest, detail)
    }

    /// 422: well-formed but not acceptable.
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Problem::of(ProblemKind::InvalidField, detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::of(ProblemKind::NotFound, detail)
    }

    /// 403: refused (cross-site request, wrong origin).
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::of(ProblemKind::Forbidden, detail)
    }

    /// Whether the problem is of `kind`.
    pub fn is(&self, kind: ProblemKind) -> bool {
        // The type is `{prefix}/problems/{slug}`, whatever the prefix.
        self.kind.strip_suffix(kind.slug()).is_some_and(|rest| rest.ends_with("/problems/"))
    }

    /// 503: the store did not answer. The detail is generic (internals stay
    /// in the log) and true of reads and writes alike.
    pub fn unavailable() -> Self {
        Problem::of(ProblemKind::StorageUnavailable, "the store is unavailable; nothing was changed, please retry")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/problem+json"), (header::CACHE_CONTROL, "no-store")], body)
                .into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        // The problem travels with its response, so that a browser's request
        // can get a page that says the same (`pages::negotiate`).
        response.extensions_mut().insert(self);
        response
    }
}

impl From<crumb_store::StoreError> for Problem {
    fn from(error: crumb_store::StoreError) -> Self {
        tracing::error!(%error, "store operation failed");
        Problem::unavailable()
    }
}

impl From<crumb_core::analytics::report::ReportError> for Problem {
    fn from(error: crumb_core::analytics::report::ReportError) -> Self {
        use crumb_core::analytics::report::ReportError;
        match error {
            ReportError::Query(detail) => Problem::bad_request(detail),
            ReportError::Store(error) => Problem::from(error),
            ReportError::Interrupted => {
                tracing::error!(%error, "report failed");
                Problem::unavailable()
            }
        }
    }
}

impl From<crumb_core::accounts::credentials::PasswordHashError> for Problem {
    fn from(error: crumb_core::accounts::credentials::PasswordHashError) -> Self {
        use crumb_core::accounts::credentials::PasswordHashError;
        if let PasswordHashError::Busy(busy) = error {
            return busy.into();
        }
        tracing::error!(%error, "password hashing failed");
        Problem::unavailable()
    }
}

impl From<crumb_core::accounts::hashing::HashBusy> for Problem {
    fn from(busy: crumb_core::accounts::hashing::HashBusy) -> Self {
        tracing::warn!("password hashing is saturated: a request was turned away");
        Problem::of(ProblemKind::Overloaded, "too many password checks at once; retry shortly")
            .retry_after(busy.retry_after_seconds)
    }
}

impl From<crumb_core::accounts::credentials::PasswordRuleError> for Problem {
    fn from(error: crumb_core::accounts::credentials::PasswordRuleError) -> Self {
        use crumb_core::accounts::credentials::{PasswordRuleError, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
        let text = match error {
            PasswordRuleError::TooShort => PageText::of("err_password_short")
                .with("chars", PageValue::Count("account_chars", MIN_PASSWORD_CHARS as u64)),
            PasswordRuleError::TooLong => PageText::of("err_password_long")
                .with("chars", PageValue::Count("account_chars", MAX_PASSWORD_CHARS as u64)),
        };
        Problem::unprocessable(error.to_string()).shown_as(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [ProblemKind; 19] = ProblemKind::ALL;

    #[test]
    fn each_kind_has_its_own_slug_and_an_error_status() {
        let slugs: std::collections::HashSet<&str> = KINDS.iter().map(|k| k.slug()).collect();
        assert_eq!(slugs.len(), KINDS.len());
        for kind in KINDS {
            assert!(kind.status().is_client_error() || kind.status().is_server_error(), "{kind:?}");
            assert!(kind.slug().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{kind:?}");
            let problem = Problem::of(kind, "x");
            assert_eq!((problem.status, problem.title.as_str()), (kind.status().as_u16(), kind.title()));
            assert_eq!(problem.kind, format!("/problems/{}", kind.slug()));
            assert_eq!(ProblemKind::from_slug(kind.slug()), Some(kind));
            assert!(!kind.description().is_empty() && !kind.advice().is_empty(), "{kind:?}");
            assert_eq!(problem.problem_kind(), Some(kind));
            let english = crumb_core::i18n::Language::En.strings();
            assert_eq!(
                problem.title_for_page(english),
                kind.title(),
                "{kind:?}: the page's English title is the JSON's"
            );
            let text = problem.text_for_page().render(english);
            assert!(!text.is_empty() && !text.starts_with("problem_"), "{kind:?}: {text}");
        }
    }

    #[test]
    fn a_bare_status_maps_to_the_kind_that_has_it() {
        for kind in KINDS.iter().filter(|k| k.status() != StatusCode::CONFLICT) {
            let back = ProblemKind::for_status(kind.status());
            assert_eq!(back.status(), kind.status(), "{kind:?}");
        }
        assert_eq!(ProblemKind::for_status(StatusCode::IM_A_TEAPOT), ProblemKind::BadRequest);
    }
}
