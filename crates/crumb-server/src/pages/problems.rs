//! `GET /problems/{slug}`: a page per problem type, at the URL every RFC
//! 9457 problem crumb sends names as its `type` (`/problems/<slug>`): the
//! title, the status, what it means and what a client should do.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};

use crate::consent::language_for;
use crate::mount::Mount;
use crate::problem::{Problem, ProblemKind};
use crate::state::AppState;

/// A problem type's page content (`web/templates/problems/kind.html`).
#[derive(Template)]
#[template(path = "problems/kind.html")]
struct ProblemPage<'a> {
    /// Where the problem types' pages are.
    mount: Mount<'a>,
    kind: ProblemKind,
    /// What to do, with the paths it names under the mount.
    advice: String,
    kinds: [ProblemKind; 19],
}

/// `GET /problems/{slug}`: the page of that problem type, or a 404 problem.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, Path(slug): Path<String>) -> Response {
    let Some(kind) = ProblemKind::from_slug(&slug) else {
        let detail = format!(
            "no such problem type; the types are listed at every {} page",
            Mount::of(&state.config).problem_type("<slug>")
        );
        return Problem::not_found(detail).into_response();
    };
    let language = language_for(&state, &headers, None);
    let title = format!("Problem: {}", kind.title());
    let mount = Mount::of(&state.config);
    let main = ProblemPage { mount, kind, advice: paths_under(kind.advice(), mount), kinds: ProblemKind::ALL };
    let mut response = Html(super::page(&state.config, language, &title, main)).into_response();
    // The layout's script and labels follow the visitor's language.
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    response
}

/// `text` with each path it names (a word that starts with `/`: the advice
/// texts name crumb's own endpoints so) under `mount`.
fn paths_under(text: &str, mount: Mount<'_>) -> String {
    text.split(' ')
        .map(|word| if word.starts_with('/') { mount.at(word) } else { word.to_owned() })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_advice_names_crumb_s_paths_under_the_prefix() {
        let advice = ProblemKind::NotSignedIn.advice();
        assert_eq!(paths_under(advice, Mount::new("")), advice);
        let under = paths_under(advice, Mount::new("/_crumb"));
        assert!(under.contains("POST /_crumb/api/account/sign-in, or the form at /_crumb/account)"), "{under}");
    }
}
