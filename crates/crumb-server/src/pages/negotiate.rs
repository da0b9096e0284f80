//! Pages for browsers, problems for API clients: a request that asks for
//! HTML (a browser's navigation or form post sends `Accept: text/html`) and
//! gets an RFC 9457 problem gets a page that says the same instead, with
//! the same status; any other client keeps the problem as it was.
//!
//! A browser that is not signed in where it must be (`401 not-signed-in`,
//! e.g. `/dashboard` or `/admin` signed out) is sent to the sign-in form
//! with a return link (`/account?return=/dashboard`), which brings it back
//! after signing in ([`crate::auth::safe_return`] keeps that to this
//! site's own paths). Under `[server] prefix` both carry it
//! (`/_crumb/account?return=/_crumb/dashboard`).

use askama::Template;
use axum::extract::{OriginalUri, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use std::future::Future;

use crate::around::{Answer, Middleware};
use crate::consent::language_for;
use crate::mount::Mount;
use crate::problem::{Problem, ProblemKind};
use crate::state::AppState;
use crumb_core::i18n::Strings;

/// Whether the request asks for a page: its `Accept` names `text/html`
/// (browsers' navigations and form posts do; `fetch` and API clients do not).
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| item.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case("text/html")))
}

/// The page that stands for a problem (`web/templates/problems/error.html`),
/// in the reader's language.
#[derive(Template)]
#[template(path = "problems/error.html")]
pub struct ErrorPage<'a> {
    problem: &'a Problem,
    /// The kind's title in the page's language.
    title: String,
    /// What the page says about the problem, in its language.
    text: String,
    /// The problem's own detail (English, as in its JSON), shown when the
    /// page has only its kind's text to say: it names what went wrong.
    detail: Option<&'a str>,
    /// The problem type's page (`{prefix}/problems/<slug>`: the problem's `type`).
    about: &'a str,
    /// "What this means and what to do", in the page's language.
    about_label: &'static str,
    /// "In detail:", in the page's language.
    detail_label: &'static str,
}

impl<'a> ErrorPage<'a> {
    /// The page for `problem` in the language of `t`, linking to `about`.
    pub fn new(problem: &'a Problem, about: &'a str, t: &'static Strings) -> ErrorPage<'a> {
        ErrorPage {
            problem,
            title: problem.title_for_page(t),
            text: problem.text_for_page().render(t),
            detail: problem.page_text.is_none().then_some(problem.detail.as_str()).filter(|d| !d.is_empty()),
            about,
            about_label: t.get("problem_about"),
            detail_label: t.get("problem_detail"),
        }
    }

    /// The page's title.
    pub fn title(&self) -> &str {
        &self.title
    }
}

/// The middleware: see the module's documentation.
#[derive(Clone)]
pub struct PagesForBrowsers(pub AppState);

impl Middleware for PagesForBrowsers {
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        if !wants_html(request.headers()) {
            return Box::pin(run(request));
        }
        let headers = request.headers().clone();
        // The whole path, prefix included: the middleware runs outside the
        // nested routes, but `OriginalUri` is what the browser asked for wherever it runs.
        let uri = request
            .extensions()
            .get::<OriginalUri>()
            .map_or_else(|| request.uri().clone(), |original| original.0.clone());
        let back_to =
            (request.method() == Method::GET).then(|| uri.path_and_query().map(|p| p.as_str().to_owned())).flatten();
        let response = run(request);
        let state = self.0.clone();
        Box::pin(async move { page_for_a_problem(&state, &headers, back_to, response.await) })
    }
}

/// `response` as the browser that sent `headers` should get it: a problem
/// becomes a page (or, not signed in, a redirect to the sign-in form that
/// returns to `back_to`); anything else passes.
fn page_for_a_problem(state: &AppState, headers: &HeaderMap, back_to: Option<String>, response: Response) -> Response {
    let Some(problem) = response.extensions().get::<Problem>().cloned() else {
        return response;
    };
    let mount = Mount::of(&state.config);
    let mut page = if problem.is(ProblemKind::NotSignedIn) {
        let account = mount.at("/account");
        // The sign-in page in the language asked for (`?lang=` of the page that needed it).
        let lang = crate::page_language::asked()
            .map(|lang| format!("lang={}", url::form_urlencoded::byte_serialize(lang.as_bytes()).collect::<String>()));
        let mut target = match back_to.as_deref().and_then(crate::auth::safe_return) {
            Some(path) if path != account => {
                format!(
                    "{account}?return={}",
                    url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
                )
            }
            _ => account,
        };
        if let Some(lang) = lang {
            target = format!("{target}{}{lang}", if target.contains('?') { '&' } else { '?' });
        }
        Redirect::to(&target).into_response()
    } else {
        let language = language_for(state, headers, None);
        let main = ErrorPage::new(&problem, &problem.kind, language.strings());
        let title = main.title().to_owned();
        let status = response.status();
        let mut page = (status, Html(super::page(&state.config, language, &title, main))).into_response();
        page.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
            page.headers_mut().insert(header::RETRY_AFTER, retry.clone());
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            if let Some(allow) = response.headers().get(header::ALLOW) {
                page.headers_mut().insert(header::ALLOW, allow.clone());
            }
        }
        page
    };
    for cookie in response.headers().get_all(header::SET_COOKIE) {
        page.headers_mut().append(header::SET_COOKIE, cookie.clone());
    }
    page.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept, Accept-Language, Cookie"));
    page
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_a_request_naming_text_html_wants_a_page() {
        let with = |accept: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
            wants_html(&headers)
        };
        assert!(with("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"));
        assert!(with("TEXT/HTML"));
        assert!(!with("*/*"));
        assert!(!with("application/json"));
        assert!(!with("application/problem+json, text/htmlx"));
        assert!(!wants_html(&HeaderMap::new()));
    }
}
