//! The answer when the upstream fails: a page for a browser's navigation
//! (`web/templates/gateway/failure.html`, decided the way
//! [`crate::pages::negotiate::wants_html`] decides for crumb's own
//! problems), an RFC 9457 problem for any other client.
//!
//! What it is not: the page negotiation middleware of crumb's routes, which
//! the proxied side does not pass through.

use askama::Template;
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};

use crate::pages::negotiate::ErrorPage;
use crate::pages::Embed;
use crate::problem::Problem;
use crate::state::AppState;
use crumb_core::i18n::Language;

/// The page (`web/templates/gateway/failure.html`), in the reader's language.
#[derive(Template)]
#[template(path = "gateway/failure.html")]
struct FailurePage<'a> {
    /// The page's language's code (`<html lang>`).
    lang: &'static str,
    /// The title, text and link of the problem, as crumb's own problem pages have them.
    main: Embed<ErrorPage<'a>>,
    /// The title, in the page's language.
    title: String,
    site: &'a str,
    /// crumb's own pages' stylesheet.
    css: &'static str,
}

/// `problem` as a page in `page_language` (when a page is wanted) or as
/// itself, uncacheable.
pub fn respond(state: &AppState, page_language: Option<Language>, problem: Problem) -> Response {
    let mut response = if let Some(language) = page_language {
        let status = axum::http::StatusCode::from_u16(problem.status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
        // The problem type's page, under crumb's prefix.
        let about = format!("{}{}", state.config.prefix, problem.kind);
        let main = ErrorPage::new(&problem, &about, language.strings());
        let page = FailurePage {
            lang: language.code(),
            title: main.title().to_owned(),
            main: Embed(main),
            site: &state.config.site_name,
            css: crate::pages::SITE_CSS,
        };
        (status, Html(crate::pages::render(&page))).into_response()
    } else {
        problem.into_response()
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
