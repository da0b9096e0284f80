//! `GET /interests`: the visitor's own interest profile as a page, in the
//! production layout and the reader's language (`interests_*` messages of
//! `web/i18n/pages/<code>.json`, `?lang=` kept): whether marketing consent
//! is given and the profile paused, the topics of the current week and the
//! three before (with their dates, padding and removals marked), a button
//! per topic to remove it for good, pause or resume, and erase everything.
//! The forms post to `crate::interests`'s form routes, which answer 303
//! back here with a notice (`?notice=`).
//!
//! "Ads shown to you and why" lists the ads the ad server showed this
//! profile on its interests over the last four weeks
//! (`crumb_core::ads::shown::recent`), each with the topic that chose it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use crumb_core::ads::decide::Basis;
use crumb_core::category::Category;
use crumb_core::i18n::Strings;
use crumb_core::profiles::service;

use crate::consent::{granted_now, language_for};
use crate::interests::{form_token, notice_key};
use crate::mount::Mount;
use crate::pages::{KeptLanguage, Layout, Moment};
use crate::problem::Problem;
use crate::profile_key;
use crate::state::AppState;

/// One ad shown to the visitor, and why (filled by the lead from the ad
/// server's record; empty for now).
pub struct AdShownRow {
    /// Who advertised.
    pub advertiser: String,
    /// The campaign's name.
    pub name: String,
    /// Why, in the page's language ("because you read about …" / "because of this page").
    pub because: String,
    /// When it was shown.
    pub at: Moment,
}

/// One topic row of a week.
struct TopicRow {
    id: u16,
    /// Its taxonomy path (`/Autos & Vehicles/Bicycles & Accessories`).
    name: String,
    /// "Pages read: 3", in the page's language.
    pages: String,
    padding: bool,
    removed: bool,
    /// The remove button's accessible name ("Remove … for good").
    remove_label: String,
}

/// One week of the profile.
struct WeekRow {
    current: bool,
    start: Moment,
    end: Moment,
    topics: Vec<TopicRow>,
}

/// The profile as the page shows it.
struct ProfileRows {
    /// Whether anything is kept (a topic in a week, or one removed for good).
    has_topics: bool,
    paused: bool,
    weeks: Vec<WeekRow>,
    removed_for_good: Vec<String>,
    /// [`form_token`] of the profile.
    token: String,
}

/// The page's content (`web/templates/interests/page.html`).
#[derive(Template)]
#[template(path = "interests/page.html")]
pub struct InterestsMain<'a> {
    mount: Mount<'a>,
    keep: KeptLanguage,
    t: &'static Strings,
    notice: Option<&'static str>,
    marketing: bool,
    linked: bool,
    profile: Option<ProfileRows>,
    /// Ads shown to the visitor and why: the place the ad record fills.
    pub ads_shown: Vec<AdShownRow>,
}

impl InterestsMain<'_> {
    /// The message `key` of the page's language.
    fn tr(&self, key: &'static str) -> &'static str {
        self.t.get(key)
    }
}

/// `GET /interests[?notice=…][&lang=…]`.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, Problem> {
    let language = language_for(&state, &headers, None);
    let t = language.strings();
    let profiles = profile_key::of_request(&state, &headers).await.map_err(|error| {
        tracing::error!(%error, "interest profile");
        Problem::unavailable()
    })?;
    let profile = match profiles.key() {
        None => None,
        Some(key) => {
            crate::ads::write_gathered_for_view(&state).await;
            let view = service::view(&state.site, &state.profiles, key).await.map_err(|error| {
                tracing::error!(%error, "interest profile");
                Problem::unavailable()
            })?;
            let has_topics = view.epochs.iter().any(|e| !e.topics.is_empty()) || !view.removed_for_good.is_empty();
            let weeks = view
                .epochs
                .iter()
                .map(|epoch| WeekRow {
                    current: !epoch.complete,
                    start: Moment::at(epoch.start),
                    end: Moment::at(epoch.end),
                    topics: epoch
                        .topics
                        .iter()
                        .map(|topic| TopicRow {
                            id: topic.topic.id.0,
                            name: topic.topic.path.to_owned(),
                            pages: t.fill("interests_pages_read", &[("count", &topic.pages.to_string())]),
                            padding: topic.padding,
                            removed: topic.removed,
                            remove_label: t.fill("interests_remove_label", &[("topic", topic.topic.path)]),
                        })
                        .collect(),
                })
                .collect();
            Some(ProfileRows {
                has_topics,
                paused: view.paused,
                weeks,
                removed_for_good: view.removed_for_good.iter().map(|t| t.path.to_owned()).collect(),
                token: form_token(&state, key),
            })
        }
    };
    let ads_shown = match profiles.key() {
        None => Vec::new(),
        Some(key) => crumb_core::ads::shown::recent(&state.site, &state.ads.index(), key)
            .await
            .map_err(|error| {
                tracing::error!(%error, "ads shown");
                Problem::unavailable()
            })?
            .into_iter()
            .map(|ad| AdShownRow {
                because: match (ad.basis, ad.topic_name) {
                    (Basis::Interests, Some(topic)) => t.fill("ad_because_topic", &[("topic", topic)]),
                    _ => t.get("ad_because_page").to_owned(),
                },
                advertiser: ad.advertiser,
                name: ad.name,
                at: Moment::at(ad.at),
            })
            .collect(),
    };
    let main = InterestsMain {
        mount: Mount::of(&state.config),
        keep: KeptLanguage::of(language),
        t,
        notice: query.get("notice").and_then(|code| notice_key(code)),
        marketing: granted_now(&state, &headers).contains(&Category::Marketing),
        linked: profiles.linked.is_some(),
        profile,
        ads_shown,
    };
    let html = crate::pages::page_in(Layout::Site, &state.config, language, t.get("interests_title"), main);
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    Ok(response)
}
