//! The demo site `crumb serve` shows with the built-in declaration: a few
//! pages that embed the script, with statistics and marketing scripts that
//! run only after consent, a preference that needs `preferences` consent,
//! and three topic pages (`/topics/bikes`, `/topics/cooking`,
//! `/topics/travel`, declared in `[[interests.page]]`) each with an ad slot
//! that crumb-ad.js fills from the demo's `[[campaign]]`s.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::consent::{append_cookies, current_state, language_for, needs_prompt, read_consent};
use crate::pages::{self, Layout};
use crate::problem::Problem;
use crate::request_info::check_same_origin;
use crate::state::AppState;
use crumb_core::category::Category;

/// What the demo knows of the visitor.
enum Visitor {
    /// A returning visitor, on their n-th counted visit.
    Returning(u64),
    /// A first visit.
    First,
    /// No statistics consent: the demo cannot tell.
    Unknown,
}

/// Which demo page.
#[derive(Clone, Copy)]
enum Content {
    /// `/`.
    Home,
    /// `/products`.
    Products,
    /// `/about`.
    About,
}

/// A demo page's content (`web/templates/demo/page.html`).
#[derive(Template)]
#[template(path = "demo/page.html")]
struct DemoMain<'a> {
    /// The page's language, carried by the theme form (`?lang=`).
    lang: &'static str,
    title: &'a str,
    theme: &'a str,
    visitor: Visitor,
    content: Content,
    /// The theme was just refused for want of preferences consent: say so.
    theme_refused: bool,
}

/// A demo page's query: the language, and what became of a theme just sent.
#[derive(Debug, Deserialize)]
pub struct DemoQuery {
    /// An explicit language choice.
    pub lang: Option<String>,
    /// `refused` after `POST /demo/preferences` without preferences consent.
    pub preferences: Option<String>,
}

impl DemoQuery {
    fn theme_refused(&self) -> bool {
        self.preferences.as_deref() == Some("refused")
    }
}

async fn demo_page(
    state: &AppState,
    headers: &HeaderMap,
    query: &DemoQuery,
    title: &str,
    content: Content,
) -> Response {
    let language = language_for(state, headers, query.lang.as_deref());
    let (view, set_cookies) = match current_state(state, headers).await {
        Ok(result) => result,
        Err(problem) => return problem.into_response(),
    };
    let visitor = match &view.visitor {
        Some(v) if v.returning => Visitor::Returning(v.visits),
        Some(_) => Visitor::First,
        None => Visitor::Unknown,
    };
    let theme = read_consent(state, headers)
        .filter(|c| c.granted.contains(&Category::Preferences) && !needs_prompt(state, Some(c)))
        .and_then(|_| crate::request_info::cookie(headers, &state.names.preferences))
        .and_then(|p| p.split('&').find_map(|kv| kv.strip_prefix("theme=")).map(str::to_owned))
        .unwrap_or_else(|| "light".to_owned());
    let main = DemoMain {
        lang: language.code(),
        title,
        theme: &theme,
        visitor,
        content,
        theme_refused: query.theme_refused(),
    };
    let html = pages::page_in(Layout::Demo, &state.config, language, title, main);
    let mut response = Html(html).into_response();
    append_cookies(&mut response, set_cookies);
    response
}

/// `GET /`.
pub async fn home(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<DemoQuery>) -> Response {
    demo_page(&state, &headers, &q, "Crumb Demo Shop", Content::Home).await
}

/// `GET /products`.
pub async fn products(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<DemoQuery>) -> Response {
    demo_page(&state, &headers, &q, "Products", Content::Products).await
}

/// `GET /about`.
pub async fn about(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<DemoQuery>) -> Response {
    demo_page(&state, &headers, &q, "About", Content::About).await
}

/// A topic page's subject (`/topics/{name}`).
#[derive(Clone, Copy)]
enum Topic {
    /// `/topics/bikes`: /Autos & Vehicles/Bicycles & Accessories.
    Bikes,
    /// `/topics/cooking`: /Food & Drink/Cooking & Recipes.
    Cooking,
    /// `/topics/travel`: /Travel & Transportation.
    Travel,
}

impl Topic {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "bikes" => Some(Self::Bikes),
            "cooking" => Some(Self::Cooking),
            "travel" => Some(Self::Travel),
            _ => None,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Bikes => "Cycling to the bakery",
            Self::Cooking => "Cooking with biscuits",
            Self::Travel => "Biscuits for the journey",
        }
    }
}

/// A topic page's content (`web/templates/demo/topic.html`): the article,
/// then the page's ad slot.
#[derive(Template)]
#[template(path = "demo/topic.html")]
struct DemoTopic<'a> {
    title: &'a str,
    topic: Topic,
}

/// `GET /topics/{name}`: one of the demo's topic pages, or 404.
pub async fn topic(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<DemoQuery>,
) -> Result<Response, Problem> {
    let topic = Topic::from_name(&name)
        .ok_or_else(|| Problem::not_found("the demo has topic pages for bikes, cooking and travel only"))?;
    let language = language_for(&state, &headers, q.lang.as_deref());
    // The page itself needs no decision: crumb.js shows the banner, and
    // crumb-ad.js asks /api/ad for the slot.
    let title = topic.title();
    let html = pages::page_in(Layout::Demo, &state.config, language, title, DemoTopic { title, topic });
    Ok(Html(html).into_response())
}

/// The theme form.
#[derive(Debug, Deserialize)]
pub struct ThemeForm {
    /// `light` or `dark`.
    pub theme: String,
}

/// `POST /demo/preferences`: saves the theme in the preferences cookie, only
/// with consent; without it, back to the home page that says why.
pub async fn save_preferences(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<crate::request_info::LangQuery>,
    form: Result<Form<ThemeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Problem> {
    check_same_origin(&headers, &state.config).map_err(Problem::forbidden)?;
    let Ok(Form(form)) = form else {
        return Err(Problem::bad_request("send the theme as a form field: theme=light or theme=dark"));
    };
    if form.theme != "light" && form.theme != "dark" {
        return Err(Problem::unprocessable("theme must be light or dark"));
    }
    let allowed = read_consent(&state, &headers)
        .is_some_and(|c| c.granted.contains(&Category::Preferences) && !needs_prompt(&state, Some(&c)));
    // The page's language (the form carries its ?lang=) is saved and kept.
    let language = language_for(&state, &headers, q.lang.as_deref());
    if !allowed {
        let location = format!("/?preferences=refused&lang={}", language.code());
        let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(response);
    }
    let value = format!("lang={}&theme={}", language.code(), form.theme);
    let mut response = Redirect::to(&format!("/?lang={}", language.code())).into_response();
    append_cookies(&mut response, state.own_cookie(&state.names.preferences, value).into_iter().collect());
    Ok(response)
}
