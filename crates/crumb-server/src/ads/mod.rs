//! The site's own advertising over HTTP: `GET /api/ad` chooses a campaign
//! for a slot on a page (crumb_core::ads::decide) and counts it served,
//! `POST /api/ad/seen/{token}` counts its impression once the slot is
//! visible, and `GET /ad/click/{token}` counts a click and sends it on to
//! the campaign's link. Reports: [`report`].
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
//!
//! A page view asks once per slot; every slot after the first sends
//! `again=1`, so that the page's topics are recorded once per page view.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use crumb_core::ads::click::is_slot_name;
use crumb_core::ads::decide::{AdRequest, Basis};
use crumb_core::ads::seen::SEEN_TOKEN_SECONDS;
use crumb_core::ads::{ClickError, ClickToken, Creative, SeenToken};
use crumb_core::category::Category;
use crumb_core::config::Config;
use crumb_core::i18n::Strings;
use crumb_core::interests::{Taxonomy, TopicId};
use crumb_core::profiles::service::AnswerInputs;
use crumb_core::profiles::{service, Consenting, ProfileKey};
use crumb_store::ads::{AdEvent, AdEventKey};
use crumb_store::profiles::GatheredShown;
use serde::Deserialize;

pub mod gathered;
pub mod profile_cache;
pub mod report;
pub mod served;

use profile_cache::KeptProfile;
use served::{Chosen, DAY_MILLIS};

use crate::consent::ConsentCookie;
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
    /// `1`: another slot of a page view that already asked (its topics are
    /// not recorded again).
    again: Option<String>,
}

/// The markup of one ad.
#[derive(Template)]
#[template(path = "ads/creative.html")]
struct CreativeMarkup<'a> {
    creative: &'a Creative,
    click_url: &'a str,
    /// "Advertisement · {advertiser}", in the visitor's language.
    label: &'a str,
    /// Why it is shown, in the visitor's language ("" on the none basis).
    because: &'a str,
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

/// A store failure, logged, as a 503.
fn unavailable(error: impl std::fmt::Display) -> Problem {
    tracing::error!(%error, "ads");
    Problem::unavailable()
}

/// `GET /api/ad?slot=NAME&url=PAGE[&again=1]`: the ad for the slot as JSON
/// (`campaign`, `name`, `advertiser`, `html`, `click_url`,
/// `impression_url`, `basis`, `because`), or 204 when no campaign may fill
/// it. The serve is counted (and, on the interests basis, logged for the
/// visitor's profile) in the node's memory and reported to the store about
/// once a second ([`served`], [`gathered`]).
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
    let again = match query.again.as_deref() {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(Problem::bad_request("again: give 1 for a page view's later slots, or leave it out")),
    };
    let now = state.now_millis();
    let day = now.div_euclid(DAY_MILLIS);
    let page_topics: Vec<TopicId> =
        state.config.interests.pages.topics_for(&path).map(<[TopicId]>::to_vec).unwrap_or_default();
    let consent = crate::consent::read_consent(&state, &headers);
    let (interests, profile, _reading) =
        interest_topics(&state, &headers, consent.as_ref(), &slot, &page_topics, again).await?;
    let visitor = match profile {
        Some(profile) if !interests.is_empty() && state.ads.has_frequency_caps() => {
            shown_today(&state, profile, day).await?
        }
        _ => HashMap::new(),
    };
    let request =
        AdRequest { slot: &slot, day, interests: &interests, page_topics: &page_topics, random: rand::random() };
    let Some(chosen) = state.ads.choose(&request, &visitor) else {
        return Ok(no_store(StatusCode::NO_CONTENT.into_response()));
    };
    let key = event_key(day, &chosen.campaign().id, &slot, chosen.basis, chosen.topic);
    if let Some(profile) = profile.filter(|_| chosen.basis == Basis::Interests) {
        // Shown to a profile: logged for it (the frequency cap and the
        // visitor's own list read the log), with the next report.
        let ad = GatheredShown {
            profile: profile.0,
            at: now,
            campaign: key.campaign.clone(),
            basis: key.basis.clone(),
            topic: key.topic,
        };
        if let Err(ad) = state.ads.gathered.shown(ad) {
            // Too much waits for the store: written now, serve and log row.
            let shown_to = Some((ad.profile, ad.at));
            let site = &state.config.site_name;
            state.store.record_ad_event(site, &key, AdEvent::Served, shown_to).await.map_err(unavailable)?;
            return answer(&state, &headers, consent.as_ref(), chosen, slot, now);
        }
    }
    state.ads.count_served(key, &state.store, &state.config.site_name);
    answer(&state, &headers, consent.as_ref(), chosen, slot, now)
}

/// The answer for `chosen`, counted as served: the creative in the
/// visitor's language with its click and impression links.
fn answer(
    state: &AppState,
    headers: &HeaderMap,
    consent: Option<&ConsentCookie>,
    chosen: Chosen,
    slot: String,
    now: i64,
) -> Result<Response, Problem> {
    let (campaign, basis, topic) = (chosen.campaign(), chosen.basis, chosen.topic);
    let mount = Mount::of(&state.config);
    let issued = now / 1000;
    let click = ClickToken { campaign: campaign.id.clone(), slot, basis, topic, issued };
    let click_url = format!("{}{}", mount.at("/ad/click/"), click.sign(&state.keys));
    let seen = SeenToken { campaign: click.campaign, slot: click.slot, basis, topic, issued, serve: rand::random() };
    let impression_url = format!("{}{}", mount.at("/api/ad/seen/"), seen.sign(&state.keys));
    let strings = crate::consent::language_with_consent(state, headers, consent, None).strings();
    let topic_entry = topic.and_then(|t| Taxonomy::v2().get(t));
    let because_text = because(strings, basis, topic_entry.map(|t| t.name));
    let html = crate::pages::render(&CreativeMarkup {
        creative: &campaign.creative,
        click_url: &click_url,
        label: &strings.fill("ad_label", &[("advertiser", &campaign.advertiser)]),
        because: &because_text,
    });
    let body = AdBody {
        campaign: &campaign.id,
        name: &campaign.name,
        advertiser: &campaign.advertiser,
        html: &html,
        click_url: &click_url,
        impression_url: &impression_url,
        basis: basis.as_str(),
        because: topic_entry.map(|t| Because { topic: t.id.0, name: t.name }),
    };
    Ok(no_store(Json(body).into_response()))
}

/// `GET /api/ad`'s answer.
#[derive(serde::Serialize)]
struct AdBody<'a> {
    campaign: &'a str,
    name: &'a str,
    advertiser: &'a str,
    html: &'a str,
    click_url: &'a str,
    impression_url: &'a str,
    basis: &'static str,
    /// The topic it was chosen through, if any (`null` on the none basis).
    because: Option<Because>,
}

/// The topic an ad was chosen through.
#[derive(serde::Serialize)]
struct Because {
    topic: u16,
    name: &'static str,
}

/// Why an ad is shown, in the language of `strings`.
fn because(strings: &Strings, basis: Basis, topic: Option<&str>) -> String {
    match (basis, topic) {
        (Basis::Interests, Some(topic)) => strings.fill("ad_because_topic", &[("topic", topic)]),
        (Basis::Context, _) => strings.get("ad_because_page").to_owned(),
        _ => String::new(),
    }
}

/// What a counter row of this serve is about.
fn event_key(day: i64, campaign: &str, slot: &str, basis: Basis, topic: Option<TopicId>) -> AdEventKey {
    AdEventKey {
        day,
        campaign: campaign.to_owned(),
        slot: slot.to_owned(),
        basis: basis.as_str().to_owned(),
        topic: topic.map(|t| t.0),
    }
}

/// The ads shown to `profile` on Unix day `day`, per campaign.
async fn shown_today(state: &AppState, profile: ProfileKey, day: i64) -> Result<HashMap<String, u32>, Problem> {
    let shown =
        state.store.ads_shown_to(&state.config.site_name, profile.0, day * DAY_MILLIS).await.map_err(unavailable)?;
    let mut counts: HashMap<String, u32> = HashMap::new();
    for ad in shown {
        *counts.entry(ad.campaign).or_default() += 1;
    }
    state.ads.gathered.add_shown_since(profile.0, day * DAY_MILLIS, &mut counts);
    Ok(counts)
}

/// With `[interests] enabled`, marketing consent and no refusing signal:
/// records that the visitor read a page about `page_topics` (unless
/// `again`: another slot of the same page view), and returns the profile's
/// topics for `slot` and the profile. Otherwise nothing is read or stored.
async fn interest_topics<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    consent: Option<&ConsentCookie>,
    slot: &str,
    page_topics: &[TopicId],
    again: bool,
) -> Result<(Vec<TopicId>, Option<ProfileKey>, Option<ReadingProfile<'a>>), Problem> {
    if !state.config.interests.enabled {
        return Ok((Vec::new(), None, None));
    }
    let granted = crate::consent::granted_by_cookie(state, headers, consent);
    if !granted.contains(&Category::Marketing) {
        return Ok((Vec::new(), None, None));
    }
    let signals = crate::request_info::signals(headers, &state.config);
    if signals.refuses(Category::Marketing).is_some() {
        return Ok((Vec::new(), None, None));
    }
    // The account's profile on a linked device, else the consent cookie's.
    let profile = crate::profile_key::of_consent(state, headers, consent).await.map_err(unavailable)?.key();
    let Some(Ok(who)) = profile.map(|key| Consenting::check(key, &granted, signals)) else {
        return Ok((Vec::new(), None, None));
    };
    let fault = |error: service::ProfileError| unavailable(error);
    // A page gathered now goes with the next batch, whether or not one is
    // being written.
    if !again {
        if let Some(read) = service::page_read(&state.profiles, who, page_topics, state.now_millis()) {
            if state.ads.gathered.page(&read) {
                state.ads.start_reporter(&state.store, &state.config.site_name);
            } else {
                // Too much waits for the store: written now.
                service::observe(&state.site, &state.profiles, who, page_topics).await.map_err(fault)?;
            }
        }
    }
    // Kept by this node, and no frequency cap to read: nothing is read
    // from the store, so nothing waits for a batch being written. A kept
    // profile is never from its epoch's first ten seconds, so the pages
    // gathered for it are of its current epoch, which no answer reads
    // (unless the store failed and older ones wait: then they are counted,
    // and the answer is not held).
    let clock = state.profiles.clock(who.key());
    let current = clock.epoch_at(state.now_millis());
    if !state.ads.has_frequency_caps() {
        if let Ok(kept) = state.ads.kept_profiles.get(who.key().0, current) {
            let unstored = state.ads.gathered.history_in(who.key().0, answered(current));
            let answer = |inputs: &AnswerInputs| {
                let returned = service::topics_from(&state.profiles, who, slot, current, inputs, &unstored);
                returned.into_iter().map(|r| r.topic).collect()
            };
            // The same inputs give the same answer all epoch.
            let topics = if unstored.is_empty() { kept.topics_for(slot, answer) } else { answer(&kept.inputs) };
            return Ok((topics, Some(who.key()), None));
        }
    }
    // Otherwise the profile is read from this node's gathered rows and the
    // store's with no batch written in between (held until the choice,
    // which a frequency cap makes read the ads shown, is counted).
    let reading = state.ads.writing_gathered.read().await;
    // The epoch once the lock is held (a write may have taken a while).
    let current = clock.epoch_at(state.now_millis());
    let unstored = state.ads.gathered.history_in(who.key().0, answered(current));
    let kept = answer_inputs(state, who.key(), current).await.map_err(fault)?;
    let returned = service::topics_from(&state.profiles, who, slot, current, &kept.inputs, &unstored);
    Ok((returned.into_iter().map(|r| r.topic).collect(), Some(who.key()), Some(reading)))
}

/// What answering in `profile`'s epoch `current` reads of it: kept by the
/// node ([`profile_cache`]), else read from the store (and kept, unless the
/// epoch began less than [`profile_cache::SETTLE_MILLIS`] ago).
async fn answer_inputs(
    state: &AppState,
    profile: ProfileKey,
    current: i64,
) -> Result<Arc<KeptProfile>, service::ProfileError> {
    let now = state.now_millis();
    let clock = state.profiles.clock(profile);
    let miss = match state.ads.kept_profiles.get(profile.0, current) {
        Ok(kept) => return Ok(kept),
        Err(miss) => miss,
    };
    let inputs = Arc::new(KeptProfile::new(service::answer_inputs(&state.site, profile, current).await?));
    if now - clock.start_of(current) >= profile_cache::SETTLE_MILLIS {
        state.ads.kept_profiles.keep(profile.0, current, miss, Arc::clone(&inputs));
        // Its reports forget what changed on other nodes, even while no
        // ad is served.
        state.ads.start_reporter(&state.store, &state.config.site_name);
    }
    Ok(inputs)
}

/// The epochs an answer in epoch `current` reads (the last complete ones).
fn answered(current: i64) -> std::ops::Range<i64> {
    current - crumb_core::profiles::select::EPOCHS_ANSWERED..current
}

/// Writes the pages and ads shown this node gathered ([`gathered`]) before
/// a visitor looks at their own profile, so that it shows their latest
/// pages; when the store fails, the view shows what is stored (the rows
/// wait for the next report).
pub(crate) async fn write_gathered_for_view(state: &AppState) {
    if let Err(error) = state.ads.write_gathered(state.store.as_ref(), &state.config.site_name).await {
        tracing::warn!(%error, "gathered interest pages not written before a profile view");
    }
}

/// Held while a request reads a profile: see `AdServer::writing_gathered`.
type ReadingProfile<'a> = tokio::sync::RwLockReadGuard<'a, ()>;

/// `POST /api/ad/seen/{token}`: the served ad's slot was visible; counts
/// one impression per serve id (204). A node remembers the serve ids it
/// counted for as long as their tokens are valid (half an hour), so a
/// replayed token is not counted twice on that node; on another node it
/// could be, once. 400 for a forged token, 404 for a stale one, 403
/// cross-site.
pub async fn seen(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, Problem> {
    crate::request_info::check_same_origin(&headers, &state.config).map_err(Problem::forbidden)?;
    let now = state.now_millis();
    let token = SeenToken::verify(&token, &state.keys, now / 1000).map_err(|error| match error {
        ClickError::Invalid => Problem::bad_request("this impression token is not valid"),
        ClickError::Expired => Problem::not_found("this impression token has expired"),
    })?;
    if state.ads.first_sighting(token.serve, token.issued + SEEN_TOKEN_SECONDS, now / 1000) {
        let key = event_key(
            (token.issued * 1000).div_euclid(DAY_MILLIS),
            &token.campaign,
            &token.slot,
            token.basis,
            token.topic,
        );
        let counted = state.store.record_ad_event(&state.config.site_name, &key, AdEvent::Impression, None).await;
        if let Err(error) = counted {
            // Not counted: a retry of the same token may count it.
            state.ads.forget_sighting(token.serve);
            return Err(unavailable(error));
        }
    }
    Ok(no_store(StatusCode::NO_CONTENT.into_response()))
}

/// `GET /ad/click/{token}`: counts the click and answers 303 to the
/// campaign's link as the declaration has it. A forged or stale token, or
/// one for a campaign no longer declared, gets a problem (a page, for a
/// browser) and goes nowhere.
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
    let location = HeaderValue::from_str(campaign.link.as_str())
        .map_err(|_| Problem::not_found("this ad's link is not usable"))?;
    let key =
        event_key((token.issued * 1000).div_euclid(DAY_MILLIS), &campaign.id, &token.slot, token.basis, token.topic);
    if let Err(error) = state.store.record_ad_event(&state.config.site_name, &key, AdEvent::Click, None).await {
        // The visitor still goes where they clicked; the click is not counted.
        tracing::error!(%error, campaign = %campaign.id, "ad click not counted");
    }
    Ok(no_store((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()))
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
