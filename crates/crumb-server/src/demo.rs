//! The demo site `crumb serve` shows with the built-in declaration: a few
//! pages that embed the script, with statistics and marketing scripts that
//! run only after consent, and a preference that needs `preferences` consent.

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::consent::{append_cookies, current_state, language_for, needs_prompt, read_consent};
use crate::html::escape;
use crate::problem::Problem;
use crate::request_info::check_same_origin;
use crate::request_info::LangQuery;
use crate::state::AppState;
use crumb_core::category::Category;
use crumb_core::i18n::Language;

const SITE_CSS: &str = include_str!("../../../web/demo/site.css");

/// The page layout shared by the demo pages and the policy page.
pub fn page(language: Language, title: &str, main: &str, site: &str) -> String {
    let strings = language.strings();
    format!(
        r##"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
<script src="/crumb.js?lang={lang}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><nav aria-label="Site"><a href="/">{site}</a> <a href="/products">Products</a> <a href="/about">About</a> <a href="/policy?lang={lang}">{policy}</a></nav></header>
{main}
<footer><p><a href="/policy?lang={lang}">{policy}</a> · <a href="#" data-crumb-open>{settings}</a></p></footer>
</body>
</html>
"##,
        lang = language.code(),
        title = escape(title),
        css = SITE_CSS,
        site = site,
        policy = escape(strings.get("policy_link")),
        settings = escape(strings.get("settings_title")),
        main = main,
    )
}

const STATS_SCRIPT: &str = r#"<script type="text/plain" data-crumb-category="statistics">
(function () {
  var m = document.cookie.match(/(?:^|; )demo_stats=(\d+)/);
  var n = (m ? Number(m[1]) : 0) + 1;
  document.cookie = "demo_stats=" + n + "; path=/; max-age=2592000; samesite=lax";
  window.demoStatisticsRan = true;
  var out = document.getElementById("stats-status");
  if (out) out.textContent = "The statistics script ran (" + n + " page views counted in this browser).";
})();
</script>"#;

const ADS_SCRIPT: &str = r#"<script type="text/plain" data-crumb-category="marketing">
(function () {
  document.cookie = "demo_ads=interest-" + location.pathname.replace(/\W/g, "") + "; path=/; max-age=7776000; samesite=lax";
  window.demoMarketingRan = true;
  var out = document.getElementById("ads-status");
  if (out) out.textContent = "The advertising script ran.";
})();
</script>"#;

async fn demo_page(state: &AppState, headers: &HeaderMap, lang: Option<&str>, title: &str, content: &str) -> Response {
    let language = language_for(state, headers, lang);
    let (view, set_cookies) = match current_state(state, headers).await {
        Ok(result) => result,
        Err(problem) => return problem.into_response(),
    };
    let welcome = match &view.visitor {
        Some(v) if v.returning => format!("<p id=\"visitor-status\" data-returning=\"true\">Welcome back: this is visit {} of yours that we counted.</p>", v.visits),
        Some(_) => "<p id=\"visitor-status\" data-returning=\"false\">Welcome: this is your first visit that we counted.</p>".to_owned(),
        None => "<p id=\"visitor-status\" data-returning=\"unknown\">Without statistics consent we do not know whether you visited before.</p>".to_owned(),
    };
    let theme = read_consent(state, headers)
        .filter(|c| c.granted.contains(&Category::Preferences) && !needs_prompt(state, Some(c)))
        .and_then(|_| crate::request_info::cookie(headers, &state.names.preferences))
        .and_then(|p| p.split('&').find_map(|kv| kv.strip_prefix("theme=")).map(str::to_owned))
        .unwrap_or_else(|| "light".to_owned());
    let main = format!(
        r##"<main id="main" data-theme="{theme}">
<h1>{title}</h1>
{welcome}
{content}
<p id="stats-status">The statistics script has not run.</p>
<p id="ads-status">The advertising script has not run.</p>
<form method="post" action="/demo/preferences"><fieldset><legend>Theme (needs preferences consent)</legend>
<label><input type="radio" name="theme" value="light"{light}> Light</label>
<label><input type="radio" name="theme" value="dark"{dark}> Dark</label>
<button type="submit">Save theme</button></fieldset></form>
</main>
{STATS_SCRIPT}
{ADS_SCRIPT}"##,
        theme = escape(&theme),
        title = escape(title),
        light = if theme == "light" { " checked" } else { "" },
        dark = if theme == "dark" { " checked" } else { "" },
    );
    let mut response = Html(page(language, title, &main, &escape(&state.config.site_name))).into_response();
    append_cookies(&mut response, set_cookies);
    response
}

/// `GET /`.
pub async fn home(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    demo_page(&state, &headers, q.lang.as_deref(), "Crumb Demo Shop", "<p>Hand-made biscuits, baked daily. This demo shows crumb's banner, consent records and visitor recognition.</p>").await
}

/// `GET /products`.
pub async fn products(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    demo_page(
        &state,
        &headers,
        q.lang.as_deref(),
        "Products",
        "<ul><li>Shortbread</li><li>Oat crumbles</li><li>Ginger snaps</li></ul>",
    )
    .await
}

/// `GET /about`.
pub async fn about(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    demo_page(&state, &headers, q.lang.as_deref(), "About", "<p>We are a demo. Every cookie this site uses is declared in one file, and this page's cookie policy is generated from it.</p>").await
}

/// The theme form.
#[derive(Debug, Deserialize)]
pub struct ThemeForm {
    /// `light` or `dark`.
    pub theme: String,
}

/// `POST /demo/preferences`: saves the theme in the preferences cookie, only with consent.
pub async fn save_preferences(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<ThemeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Err(detail) = check_same_origin(&headers, &state.config) {
        return Problem::forbidden(detail).into_response();
    }
    let Ok(Form(form)) = form else {
        return Problem::bad_request("send the theme as a form field: theme=light or theme=dark").into_response();
    };
    if form.theme != "light" && form.theme != "dark" {
        return Problem::unprocessable("theme must be light or dark").into_response();
    }
    let allowed = read_consent(&state, &headers)
        .is_some_and(|c| c.granted.contains(&Category::Preferences) && !needs_prompt(&state, Some(&c)));
    if !allowed {
        let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/?preferences=refused")]).into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    let language = language_for(&state, &headers, None);
    let value = format!("lang={}&theme={}", language.code(), form.theme);
    let mut response = Redirect::to("/").into_response();
    append_cookies(&mut response, state.own_cookie(&state.names.preferences, value).into_iter().collect());
    response
}
