//! `GET /problems/{slug}`: a page per problem type, at the URL every RFC
//! 9457 problem crumb sends names as its `type` (`/problems/<slug>`): the
//! title, the status, what it means and what a client should do.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};

use crate::consent::language_for;
use crate::problem::{Problem, ProblemKind};
use crate::state::AppState;

/// A problem type's page content (`web/templates/problems/kind.html`).
#[derive(Template)]
#[template(path = "problems/kind.html")]
struct ProblemPage {
    kind: ProblemKind,
    kinds: [ProblemKind; 19],
}

/// `GET /problems/{slug}`: the page of that problem type, or a 404 problem.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>) -> Response {
    let Some(kind) = ProblemKind::from_slug(&slug) else {
        return Problem::not_found("no such problem type; the types are listed at every /problems/<slug> page")
            .into_response();
    };
    let language = language_for(&state, &headers, None);
    let title = format!("Problem: {}", kind.title());
    let main = ProblemPage { kind, kinds: ProblemKind::ALL };
    let mut response = Html(super::page(&state.config, language, &title, main)).into_response();
    // The layout's script and labels follow the visitor's language.
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    response
}
