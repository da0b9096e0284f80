//! The site's own advertising over HTTP: `GET /api/ad` chooses a campaign
//! for a slot on a page (crumb_core::ads::decide) and `GET /ad/click/{token}`
//! sends a click on to the campaign's link.
//!
//! The `interests` basis is tried only with `[interests] enabled`, for a
//! visitor whose current decision grants marketing and who sends no privacy
//! signal the site honours: the request's page topics are recorded in the
//! visitor's interest profile (keyed by the consent cookie's pseudonymous
//! id) and the profile's topics for the slot (crumb_core::profiles) are
//! offered first. Everyone else gets the `context` basis (the page's
//! declared topics, `[[interests.page]]`) or a run-of-site campaign
//! (`none`): their request reads no cookie for the choice and nothing about
//! them is stored. No route sets a cookie.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crumb_core::ads::click::is_slot_name;
use crumb_core::ads::decide::{decide, AdRequest};
use crumb_core::ads::{ClickError, ClickToken, Creative};
use crumb_core::category::Category;
use crumb_core::config::Config;
use crumb_core::interests::{Taxonomy, TopicId};
use crumb_core::profiles::{service, Consenting, ProfileKey};
use serde::Deserialize;
use serde_json::json;

pub mod served;

use served::{Counts, DAY_MILLIS};

use crate::mount::Mount;
use crate::problem::Problem;
use crate::state::AppState;

/// `GET /api/ad`'s query.
#[derive(Deserialize)]
pub struct AdQuery {
    /// The slot's name.
    slot: Option<String>,
    /// The page the slot is on: a path, or a URL on one of the site's origins.
    url: Option<String>,
}

/// The markup of one ad.
#[derive(Template)]
#[template(path = "ads/creative.html")]
struct CreativeMarkup<'a> {
    creative: &'a Creative,
    click_url: &'a str,
    advertiser: &'a str,
}

/// The path of `url` if it is a page of this site: a path (`/a/b`) or a
/// URL on one of `config`'s origins; its query and fragment are dropped.
fn page_path(config: &Config, url: &str) -> Option<String> {
    if url.starts_with('/') && !url.starts_with("//") {
        let end = url.find(['?', '#']).unwrap_or(url.len());
        return Some(url[..end].to_owned());
    }
    let parsed = url::Url::parse(url).ok()?;
    let origin = parsed.origin().ascii_serialization();
    config.origins.contains(&origin).then(|| parsed.path().to_owned())
}

/// `GET /api/ad?slot=NAME&url=PAGE`: the ad for the slot as JSON
/// (`campaign`, `html`, `click_url`, `basis`, `because`), or 204 when no
/// campaign may fill it.
pub async fn ad(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AdQuery>,
) -> Result<Response, Problem> {
    let slot = query.slot.unwrap_or_default();
    if !is_slot_name(&slot) {
        return Err(Problem::bad_request("slot: give the slot's name, 1 to 32 letters, digits, '-' or '_'"));
    }
    let url = query.url.unwrap_or_default();
    let Some(path) = page_path(&state.config, &url) else {
        return Err(Problem::bad_request("url: give the page's path, or its URL on one of the site's origins"));
    };
    let now = state.now_millis();
    let day = now.div_euclid(DAY_MILLIS);
    let page_topics: Vec<TopicId> =
        state.config.interests.pages.topics_for(&path).map(<[TopicId]>::to_vec).unwrap_or_default();
    let interests = interest_topics(&state, &headers, &slot, &page_topics).await?;
    let ads = &state.ads;
    let decision = {
        let today = ads.today();
        let empty = HashMap::new();
        let counts = Counts(if today.0 == day { &today.1 } else { &empty });
        let request =
            AdRequest { slot: &slot, day, interests: &interests, page_topics: &page_topics, random: rand::random() };
        decide(&ads.index(), &request, &counts).map(|d| (d.campaign.clone(), d.basis, d.topic))
    };
    let Some((campaign, basis, topic)) = decision else {
        return Ok(no_store(StatusCode::NO_CONTENT.into_response()));
    };
    ads.count(&campaign.id, day);
    let token = ClickToken { campaign: campaign.id.clone(), slot: slot.clone(), basis, topic, issued: now / 1000 };
    let click_url = format!("{}{}", Mount::of(&state.config).at("/ad/click/"), token.sign(&state.keys));
    let html = crate::pages::render(&CreativeMarkup {
        creative: &campaign.creative,
        click_url: &click_url,
        advertiser: &campaign.advertiser,
    });
    let because = topic.and_then(|t| Taxonomy::v2().get(t)).map(|t| json!({"topic": t.id, "name": t.name}));
    let body = json!({
        "campaign": campaign.id,
        "name": campaign.name,
        "advertiser": campaign.advertiser,
        "html": html,
        "click_url": click_url,
        "basis": basis.as_str(),
        "because": because,
    });
    Ok(no_store(Json(body).into_response()))
}

/// The interest profile of the request's visitor, if one may be kept: the
/// consent cookie's pseudonymous id, keyed.
pub fn profile_of(state: &AppState, consent_id: &str) -> ProfileKey {
    state.profile_of(consent_id)
}

/// With `[interests] enabled`, marketing consent and no refusing signal:
/// records that the visitor read a page about `page_topics`, and returns
/// the profile's topics for `slot`. Otherwise nothing is read or stored.
async fn interest_topics(
    state: &AppState,
    headers: &HeaderMap,
    slot: &str,
    page_topics: &[TopicId],
) -> Result<Vec<TopicId>, Problem> {
    if !state.config.interests.enabled {
        return Ok(Vec::new());
    }
    let granted = crate::consent::granted_now(state, headers);
    if !granted.contains(&Category::Marketing) {
        return Ok(Vec::new());
    }
    let Some(consent) = crate::consent::read_consent(state, headers) else { return Ok(Vec::new()) };
    let signals = crate::request_info::signals(headers, &state.config);
    let Ok(who) = Consenting::check(profile_of(state, &consent.consent_id), &granted, signals) else {
        return Ok(Vec::new());
    };
    let fault = |error: service::ProfileError| {
        tracing::error!(%error, "interest profile");
        Problem::unavailable()
    };
    service::observe(&state.site, &state.profiles, who, page_topics).await.map_err(fault)?;
    let returned = service::topics_for(&state.site, &state.profiles, who, slot).await.map_err(fault)?;
    Ok(returned.into_iter().map(|r| r.topic).collect())
}

/// `GET /ad/click/{token}`: 303 to the campaign's link as the declaration
/// has it. A forged or stale token, or one for a campaign no longer
/// declared, gets a problem (a page, for a browser) and goes nowhere.
pub async fn click(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, Problem> {
    let now = state.now_millis() / 1000;
    let token = ClickToken::verify(&token, &state.keys, now).map_err(|error| match error {
        ClickError::Invalid => Problem::bad_request("this ad link is not valid"),
        ClickError::Expired => Problem::not_found("this ad link has expired"),
    })?;
    let index = state.ads.index();
    let Some(campaign) = index.get(&token.campaign) else {
        return Err(Problem::not_found("this ad's campaign has ended"));
    };
    tracing::info!(campaign = %campaign.id, slot = %token.slot, basis = token.basis.as_str(), "ad click");
    let location = HeaderValue::from_str(campaign.link.as_str())
        .map_err(|_| Problem::not_found("this ad's link is not usable"))?;
    Ok(no_store((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()))
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
