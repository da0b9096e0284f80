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

use crate::problem::Problem;
use crate::state::AppState;

/// The page (`web/templates/gateway/failure.html`).
#[derive(Template)]
#[template(path = "gateway/failure.html")]
struct FailurePage<'a> {
    problem: &'a Problem,
    site: &'a str,
    /// The problem type's page, under crumb's prefix.
    about: String,
    /// crumb's own pages' stylesheet.
    css: &'static str,
}

/// `problem` as a page (when `html_wanted`) or as itself, uncacheable.
pub fn respond(state: &AppState, html_wanted: bool, problem: Problem) -> Response {
    let mut response = if html_wanted {
        let status = axum::http::StatusCode::from_u16(problem.status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY);
        let page = FailurePage {
            problem: &problem,
            site: &state.config.site_name,
            about: format!("{}{}", state.config.prefix, problem.kind),
            css: crate::pages::SITE_CSS,
        };
        (status, Html(crate::pages::render(&page))).into_response()
    } else {
        problem.into_response()
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
