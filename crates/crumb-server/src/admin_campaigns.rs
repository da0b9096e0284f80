//! Campaigns managed on `/admin` (crumb_core::ads::managed): the page
//! `/admin/campaigns` lists every campaign of the site — declared in
//! `crumb.toml` (read-only) or managed here — with a form to add or edit
//! one and a button to end one; `GET/POST /api/admin/campaigns` and
//! `PUT/DELETE /api/admin/campaigns/{id}` do the same for API clients.
//! Forms post to the API paths (`POST /api/admin/campaigns/{id}` for an
//! edit, `POST /api/admin/campaigns/{id}/end` to end): a form that worked
//! is sent back to the page, one that failed gets the page with the error
//! next to its field, in the page's language. Administrators only; every
//! change needs the session's CSRF token.
//!
//! After a change the node's ad index is rebuilt at once; other nodes on
//! the same store reload the stored campaigns every
//! [`RELOAD_EVERY`](crate::ads::served::RELOAD_EVERY) ([`spawn_reload`]).

mod picker;

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use crumb_core::ads::creative::sanitise;
use crumb_core::ads::managed::{self, CampaignForm, CampaignInput, Entry, FieldError, ManagedError, Source, Status};
use crumb_core::ads::{Campaign, Creative};
use crumb_core::i18n::{Language, Strings};
use crumb_core::interests::{Taxonomy, TopicId};
use crumb_store::StoreError;
use serde::Deserialize;
use serde_json::json;

use crate::auth;
use crate::extract::{Admin, Csrf, SignedIn};
use crate::mount::Mount;
use crate::pages::{KeptLanguage, Moment};
use crate::problem::Problem;
use crate::state::AppState;

const DAY_MILLIS: i64 = 86_400_000;

/// `?edit=ID`: the campaign the form edits.
#[derive(Debug, Default, Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    edit: Option<String>,
}

/// One campaign, as the list shows it.
struct Row {
    id: String,
    name: String,
    advertiser: String,
    topics: String,
    schedule: String,
    caps: String,
    priority: String,
    slots: String,
    status: &'static str,
    source: &'static str,
    managed: bool,
    updated: Option<Moment>,
}

/// The form's values, as typed (or as stored, to edit).
#[derive(Default)]
struct FormValues {
    id: String,
    name: String,
    advertiser: String,
    link: String,
    html_kind: bool,
    text: String,
    image: String,
    alt: String,
    html: String,
    topics: String,
    /// The topics ticked in the picker ([`picker`]).
    ticked: BTreeSet<u16>,
    slots: String,
    start: String,
    end: String,
    daily_cap: String,
    frequency_cap: String,
    priority: String,
    weight: String,
}

impl FormValues {
    fn of_form(form: &CampaignForm, ticked: BTreeSet<u16>) -> Self {
        FormValues {
            id: form.id.clone(),
            name: form.name.clone(),
            advertiser: form.advertiser.clone(),
            link: form.link.clone(),
            html_kind: form.kind == "html",
            text: form.text.clone(),
            image: form.image.clone(),
            alt: form.alt.clone(),
            html: form.html.clone(),
            topics: form.topics.clone(),
            ticked,
            slots: form.slots.clone(),
            start: form.start.clone(),
            end: form.end.clone(),
            daily_cap: form.daily_cap.clone(),
            frequency_cap: form.frequency_cap.clone(),
            priority: form.priority.clone(),
            weight: form.weight.clone(),
        }
    }

    /// A stored campaign's values, its topics (`targets`, as resolved)
    /// ticked in the picker.
    fn of_input(input: &CampaignInput, targets: &[TopicId]) -> Self {
        let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        FormValues {
            id: input.id.clone(),
            name: input.name.clone(),
            advertiser: input.advertiser.clone(),
            link: input.link.clone(),
            html_kind: input.html.is_some(),
            text: input.text.clone().unwrap_or_default(),
            image: input.image.clone().unwrap_or_default(),
            alt: input.alt.clone().unwrap_or_default(),
            html: input.html.clone().unwrap_or_default(),
            topics: String::new(),
            ticked: targets.iter().map(|t| t.0).collect(),
            slots: input.slots.join(", "),
            start: input.start.clone().unwrap_or_default(),
            end: input.end.clone().unwrap_or_default(),
            daily_cap: number(input.daily_cap),
            frequency_cap: number(input.frequency_cap),
            priority: input.priority.to_string(),
            weight: input.weight.to_string(),
        }
    }
}

/// The page's content (`web/templates/account/admin_campaigns.html`).
#[derive(Template)]
#[template(path = "account/admin_campaigns.html")]
struct CampaignsMain<'a> {
    mount: Mount<'a>,
    keep: KeptLanguage,
    t: &'static Strings,
    csrf: String,
    rows: Vec<Row>,
    /// The id of the campaign the form edits, if it edits one.
    editing: Option<String>,
    values: FormValues,
    /// The topic picker's groups, with the form's topics ticked.
    picker: Vec<picker::Group>,
    /// The field at fault and what is wrong, in the page's language.
    error: Option<(&'static str, String)>,
    /// The form's HTML creative, sanitised (markup safe to show as it is).
    preview: Option<String>,
}

impl CampaignsMain<'_> {
    fn tr(&self, key: &'static str) -> &'static str {
        self.t.get(key)
    }

    fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        self.t.fill(key, values)
    }

    /// `n` as the page's language writes numbers.
    fn count(&self, n: impl std::borrow::Borrow<usize>) -> String {
        self.t.number(u64::try_from(*n.borrow()).unwrap_or(u64::MAX))
    }

    /// The error on `field`, if the form's fault is there.
    fn error_at(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| *f == field).map(|(_, message)| message.as_str())
    }

    /// Where the form posts.
    fn action(&self) -> String {
        match &self.editing {
            Some(id) => format!("{}{}", self.mount.at("/api/admin/campaigns/"), urlencode(id)),
            None => self.mount.at("/api/admin/campaigns"),
        }
    }
}

/// An id for a path: ids are letters, digits, `-` and `_` already; anything
/// else (a declared id never is) is percent-encoded.
fn urlencode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// The row of `entry` on day `day`, in the language of `t`.
fn row(entry: &Entry, day: i64, t: &Strings) -> Row {
    let c: &Campaign = &entry.campaign;
    let taxonomy = Taxonomy::v2();
    let topics = if c.topics.is_empty() {
        t.get("campaigns_every_page").to_owned()
    } else {
        c.topics.iter().filter_map(|id| taxonomy.get(*id)).map(|topic| topic.name).collect::<Vec<_>>().join(", ")
    };
    let date = |day: i64| Moment::at(day * DAY_MILLIS).iso.chars().take(10).collect::<String>();
    let schedule = match (c.schedule.first_day, c.schedule.last_day) {
        (None, None) => t.get("campaigns_always").to_owned(),
        (first, last) => format!("{} – {}", first.map(date).unwrap_or_default(), last.map(date).unwrap_or_default()),
    };
    let cap = |n: Option<u32>| n.map_or_else(|| t.get("campaigns_no_cap").to_owned(), |n| t.number(u64::from(n)));
    Row {
        id: c.id.clone(),
        name: c.name.clone(),
        advertiser: c.advertiser.clone(),
        topics,
        schedule,
        caps: t.fill("campaigns_caps_value", &[("daily", &cap(c.daily_cap)), ("visitor", &cap(c.frequency_cap))]),
        priority: format!("{} / {}", t.number(u64::from(c.priority)), t.number(u64::from(c.weight))),
        slots: if c.slots.is_empty() { t.get("campaigns_any_slot").to_owned() } else { c.slots.join(", ") },
        status: match Status::of(c, day) {
            Status::Running => "campaigns_status_running",
            Status::Scheduled => "campaigns_status_scheduled",
            Status::Ended => "campaigns_status_ended",
        },
        source: match entry.source {
            Source::Declared => "campaigns_source_declared",
            Source::Admin => "campaigns_source_admin",
        },
        managed: entry.source == Source::Admin,
        updated: entry.stored.as_ref().map(|s| Moment::at(s.updated_at)),
    }
}

/// A field error in the page's language.
fn error_text(error: &FieldError, t: &Strings) -> String {
    let field_label = t.get(label_key(error.field));
    let mut values: Vec<(&str, &str)> = error.values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    values.push(("field", field_label));
    t.fill(error.key, &values)
}

/// The label of a field, for messages that name it.
fn label_key(field: &str) -> &'static str {
    match field {
        "id" => "campaigns_id",
        "name" => "campaigns_name",
        "advertiser" => "campaigns_advertiser",
        "link" => "campaigns_link",
        "text" => "campaigns_text",
        "image" => "campaigns_image",
        "alt" => "campaigns_alt",
        "html" => "campaigns_html",
        "topics" => "campaigns_topics",
        "slots" => "campaigns_slots",
        "start" => "campaigns_start",
        "end" => "campaigns_end_date",
        "daily_cap" => "campaigns_daily_cap",
        "frequency_cap" => "campaigns_frequency_cap",
        "priority" => "campaigns_priority",
        _ => "campaigns_weight",
    }
}

/// The page, with the form holding `values` (and its fault, if any).
async fn render_page(
    state: &AppState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    editing: Option<String>,
    values: FormValues,
    error: Option<&FieldError>,
) -> Result<String, Problem> {
    let entries = managed::effective(&state.site).await?;
    let language: Language = crate::consent::language_for(state, headers, None);
    let t = language.strings();
    let day = state.now_millis().div_euclid(DAY_MILLIS);
    let preview = values.html_kind.then(|| sanitise(&values.html).as_str().to_owned()).filter(|h| !h.is_empty());
    let main = CampaignsMain {
        mount: Mount::of(&state.config),
        keep: KeptLanguage::of(language),
        t,
        csrf: auth::csrf_token(state, &signed_in.user.session_id),
        rows: entries.iter().map(|e| row(e, day, t)).collect(),
        editing,
        picker: picker::groups(&values.ticked),
        values,
        error: error.map(|e| (e.field, error_text(e, t))),
        preview,
    };
    Ok(crate::pages::page(&state.config, language, t.get("campaigns_title"), main))
}

/// `GET /admin/campaigns` (`?edit=ID` fills the form with a managed campaign).
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    admin: Admin,
    Query(query): Query<EditQuery>,
) -> Result<Response, Problem> {
    let (editing, values) = match query.edit {
        Some(id) => {
            let entries = managed::effective(&state.site).await?;
            let Some((input, targets)) =
                entries.into_iter().find(|e| e.campaign.id == id).and_then(|e| Some((e.input?, e.campaign.topics)))
            else {
                return Err(Problem::not_found("no campaign with this id is managed here"));
            };
            (Some(id), FormValues::of_input(&input, &targets))
        }
        None => (None, FormValues { weight: "1".into(), priority: "0".into(), ..FormValues::default() }),
    };
    let html = render_page(&state, &headers, &admin.0, editing, values, None).await?;
    Ok(admin.respond(Html(html)))
}

/// `GET /api/admin/campaigns`: every campaign as JSON (`id`, `name`,
/// `advertiser`, `source`, `status`, `topics`, `slots`, `start_day`,
/// `end_day`, `daily_cap`, `frequency_cap`, `priority`, `weight`, `link`,
/// and for managed ones `input`, `updated_at`, `updated_by`).
pub async fn list(State(state): State<AppState>, admin: Admin) -> Result<Response, Problem> {
    let day = state.now_millis().div_euclid(DAY_MILLIS);
    let entries = managed::effective(&state.site).await?;
    let campaigns: Vec<serde_json::Value> = entries.iter().map(|e| campaign_json(e, day)).collect();
    Ok(admin.respond(Json(json!({ "campaigns": campaigns }))))
}

fn campaign_json(entry: &Entry, day: i64) -> serde_json::Value {
    let c = &entry.campaign;
    let html = match &c.creative {
        Creative::Html(html) => Some(html.as_str().to_owned()),
        _ => None,
    };
    json!({
        "id": c.id,
        "name": c.name,
        "advertiser": c.advertiser,
        "source": entry.source,
        "status": Status::of(c, day),
        "link": c.link.as_str(),
        "topics": c.topics.iter().map(|t| t.0).collect::<Vec<_>>(),
        "slots": c.slots,
        "start_day": c.schedule.first_day,
        "end_day": c.schedule.last_day,
        "daily_cap": c.daily_cap,
        "frequency_cap": c.frequency_cap,
        "priority": c.priority,
        "weight": c.weight,
        "html": html,
        "input": entry.input,
        "updated_at": entry.stored.as_ref().map(|s| s.updated_at),
        "updated_by": entry.stored.as_ref().map(|s| s.updated_by.clone()),
    })
}

/// Refuses a signed-in user who is not an administrator.
fn only_admins(signed_in: &SignedIn) -> Result<(), Problem> {
    if signed_in.user.account.is_admin {
        Ok(())
    } else {
        Err(Problem::forbidden("administrators only"))
    }
}

/// A posted form as typed, with the topics ticked in its picker.
type PostedForm = (CampaignForm, BTreeSet<u16>);

/// The request's campaign: a form's fields (the typed topics and the
/// ticked ones), or the JSON body; and the form as posted, to show again
/// with its fault.
fn read_input(request: &Csrf<serde_json::Value>) -> (Result<CampaignInput, FieldError>, Option<PostedForm>) {
    if request.from_form {
        let form: CampaignForm = serde_json::from_value(request.value.clone()).unwrap_or_default();
        let ticked = picker::ticked_in(&request.value);
        let topics = picker::with_ticked(&form.topics, &ticked);
        let input = CampaignForm { topics, ..form.clone() }.into_input();
        (input, Some((form, ticked)))
    } else {
        let input = serde_json::from_value(request.value.clone()).map_err(|e| FieldError {
            field: "",
            message: e.to_string(),
            key: "campaigns_not_saved",
            values: Vec::new(),
        });
        (input, None)
    }
}

/// A refused change: the page with the fault next to its field (forms), or a problem.
async fn refused(
    state: &AppState,
    headers: &HeaderMap,
    request: &Csrf<serde_json::Value>,
    editing: Option<String>,
    form: Option<PostedForm>,
    error: ManagedError,
) -> Result<Response, Problem> {
    match error {
        ManagedError::Invalid(fault) => {
            if let (true, Some((form, ticked))) = (request.from_form, form) {
                let values = FormValues::of_form(&form, ticked);
                let html = render_page(state, headers, &request.signed_in, editing, values, Some(&fault)).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
            }
            let detail =
                if fault.field.is_empty() { fault.message } else { format!("{}: {}", fault.field, fault.message) };
            Err(Problem::unprocessable(detail))
        }
        ManagedError::Declared(id) => {
            Err(Problem::forbidden(format!("campaign {id:?} is declared in crumb.toml: change it there")))
        }
        ManagedError::NotFound(id) => Err(Problem::not_found(format!("no campaign {id:?} is managed here"))),
        ManagedError::Store(error) => Err(error.into()),
    }
}

/// A change made in the store, for the node's index.
enum Change {
    /// A campaign created or changed.
    Upsert(Box<Campaign>),
    /// A campaign ended.
    Remove(String),
}

/// Rebuilds the node's index after `change`: from the store, or — when
/// reading it back fails — from the index with the change applied (logged;
/// the periodic reload catches up). The change is durable either way.
async fn rebuild_after(state: &AppState, change: Change) {
    let Err(error) = reload(state).await else { return };
    tracing::error!(%error, "reading the campaigns back failed; the index takes the change in memory");
    let declared = &state.config.campaigns;
    let mut stored: Vec<Campaign> =
        state.ads.index().campaigns().iter().filter(|c| !declared.iter().any(|d| d.id == c.id)).cloned().collect();
    match change {
        Change::Upsert(campaign) => match stored.iter_mut().find(|c| c.id == campaign.id) {
            Some(slot) => *slot = *campaign,
            None => stored.push(*campaign),
        },
        Change::Remove(id) => stored.retain(|c| c.id != id),
    }
    state.ads.replace_stored(stored);
}

/// A change that worked: the page again (forms), or the campaign as JSON.
async fn done(
    state: &AppState,
    request: Csrf<serde_json::Value>,
    status: StatusCode,
    change: Change,
) -> Result<Response, Problem> {
    let made = match &change {
        Change::Upsert(campaign) => Some(campaign.as_ref().clone()),
        Change::Remove(_) => None,
    };
    rebuild_after(state, change).await;
    let Csrf { signed_in, from_form, .. } = request;
    if from_form {
        let path = crate::pages::account::with_language(&Mount::of(&state.config).at("/admin/campaigns"));
        return Ok(signed_in.respond(Redirect::to(&path)));
    }
    if status == StatusCode::NO_CONTENT {
        return Ok(signed_in.respond(StatusCode::NO_CONTENT));
    }
    let day = state.now_millis().div_euclid(DAY_MILLIS);
    let Some(campaign) = made else { return Ok(signed_in.respond(status)) };
    // As stored (with who changed it when); as made, if the store cannot say.
    let stored = match managed::effective(&state.site).await {
        Ok(entries) => entries.into_iter().find(|e| e.campaign.id == campaign.id),
        Err(error) => {
            tracing::error!(%error, "reading the campaign back failed; answering with it as made");
            None
        }
    };
    let entry = stored.unwrap_or(Entry { campaign, source: Source::Admin, stored: None, input: None });
    Ok(signed_in.respond((status, Json(campaign_json(&entry, day)))))
}

/// `POST /api/admin/campaigns`: creates a campaign (JSON: 201 with it).
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Csrf<serde_json::Value>,
) -> Result<Response, Problem> {
    only_admins(&request.signed_in)?;
    let (input, form) = read_input(&request);
    let input = match input {
        Ok(input) => input,
        Err(fault) => return refused(&state, &headers, &request, None, form, fault.into()).await,
    };
    let admin = request.signed_in.user.account.user_id.clone();
    match managed::create(&state.site, input, &admin).await {
        Ok(campaign) => done(&state, request, StatusCode::CREATED, Change::Upsert(Box::new(campaign))).await,
        Err(error) => refused(&state, &headers, &request, None, form, error).await,
    }
}

/// `PUT /api/admin/campaigns/{id}` (and `POST` from the edit form): changes a managed campaign.
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Csrf<serde_json::Value>,
) -> Result<Response, Problem> {
    only_admins(&request.signed_in)?;
    let (input, form) = read_input(&request);
    let input = match input {
        Ok(input) => input,
        Err(fault) => return refused(&state, &headers, &request, Some(id), form, fault.into()).await,
    };
    let admin = request.signed_in.user.account.user_id.clone();
    match managed::update(&state.site, &id, input, &admin).await {
        Ok(campaign) => done(&state, request, StatusCode::OK, Change::Upsert(Box::new(campaign))).await,
        Err(error) => refused(&state, &headers, &request, Some(id), form, error).await,
    }
}

/// `DELETE /api/admin/campaigns/{id}` (and `POST …/{id}/end` from the page): ends a managed campaign.
pub async fn end(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Csrf<serde_json::Value>,
) -> Result<Response, Problem> {
    only_admins(&request.signed_in)?;
    match managed::end(&state.site, &id).await {
        Ok(()) => done(&state, request, StatusCode::NO_CONTENT, Change::Remove(id)).await,
        Err(error) => refused(&state, &headers, &request, None, None, error).await,
    }
}

/// Rebuilds the node's ad index from the declared and the stored campaigns.
pub async fn reload(state: &AppState) -> Result<(), StoreError> {
    let stored = managed::stored(&state.site).await?;
    state.ads.replace_stored(stored);
    Ok(())
}

/// Loads the stored campaigns now, then every `every` (changes made on
/// other nodes); a store failure is logged and the index kept.
pub fn spawn_reload(state: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            if let Err(error) = reload(&state).await {
                tracing::error!(%error, "reloading the stored campaigns failed; the ad index stays as it was");
            }
        }
    });
}
