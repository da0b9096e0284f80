//! Campaigns managed on `/admin`, beside those declared in `crumb.toml`.
//!
//! An administrator creates, changes and ends campaigns; each is checked
//! exactly as a `[[campaign]]` is ([`CampaignDraft::check`]: the same
//! rules, the same sanitiser for HTML creatives) and its id may not be one
//! of a declared campaign's (those are read-only on `/admin`). The store
//! keeps each as a JSON document ([`CampaignInput`], topics resolved to
//! ids), with who created and last changed it; the campaigns a site serves
//! are the declared ones followed by the stored ones ([`effective`]).
//!
//! A [`CampaignForm`] (a browser form: every field text) becomes a
//! [`CampaignInput`] (the JSON API's body) first; every fault names its
//! field ([`FieldError`]) so that a form can show it next to that field.

use serde::{Deserialize, Serialize};

use crumb_store::{StoreError, StoredCampaign};

use super::campaign::{Campaign, CampaignDraft, CampaignError};
use super::click::is_slot_name;
use crate::analytics::report::parse_day;
use crate::interests::{Taxonomy, TopicId};
use crate::site::Site;

/// Milliseconds in a day.
const DAY_MILLIS: i64 = 86_400_000;

/// A targeted topic as given: its id, or its name or path in the taxonomy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TopicRef {
    /// A taxonomy id.
    Id(u16),
    /// A name (`Bicycles & Accessories`) or path, in any case.
    Name(String),
}

fn one() -> u32 {
    1
}

/// A campaign's fields, as `crumb.toml`'s `[[campaign]]` names them: the
/// JSON API's body and the stored document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignInput {
    /// `id`: 1 to 64 letters, digits, `-` or `_` (the path's, on a change).
    #[serde(default)]
    pub id: String,
    /// `name` (the id when empty).
    #[serde(default)]
    pub name: String,
    /// `advertiser`.
    #[serde(default)]
    pub advertiser: String,
    /// `link`: an http(s) URL.
    #[serde(default)]
    pub link: String,
    /// `text` (with an optional `image`), or …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `image`: a site path or an https URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `alt`: the image's text alternative (the text when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// … `html`, sanitised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// `topics`: ids or names; empty: every page.
    #[serde(default)]
    pub topics: Vec<TopicRef>,
    /// `slots`; empty: any slot.
    #[serde(default)]
    pub slots: Vec<String>,
    /// `start`: `YYYY-MM-DD`, UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// `end`: `YYYY-MM-DD`, UTC, included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// `daily_cap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_cap: Option<u32>,
    /// `frequency_cap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_cap: Option<u32>,
    /// `priority` (0 when absent).
    #[serde(default)]
    pub priority: u8,
    /// `weight` (1 when absent).
    #[serde(default = "one")]
    pub weight: u32,
}

/// A browser form's fields, all text: `topics` and `slots` are lists
/// separated by `;`, `,` or new lines (a name with a comma in it, such as
/// `Jobs & Education/…`, is matched whole first); empty fields are absent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CampaignForm {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `advertiser`.
    pub advertiser: String,
    /// `link`.
    pub link: String,
    /// `kind`: `image` (text with an optional image) or `html`.
    pub kind: String,
    /// `text`.
    pub text: String,
    /// `image`.
    pub image: String,
    /// `alt`.
    pub alt: String,
    /// `html`.
    pub html: String,
    /// `topics`.
    pub topics: String,
    /// `slots`.
    pub slots: String,
    /// `start`.
    pub start: String,
    /// `end`.
    pub end: String,
    /// `daily_cap`.
    pub daily_cap: String,
    /// `frequency_cap`.
    pub frequency_cap: String,
    /// `priority`.
    pub priority: String,
    /// `weight`.
    pub weight: String,
}

/// What is wrong with a campaign, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field (`id`, `link`, `topics` …).
    pub field: &'static str,
    /// What is wrong, in English.
    pub message: String,
    /// What is wrong, as a message of the pages' languages
    /// (`campaign_error_*`), with its values.
    pub key: &'static str,
    /// The message's placeholders.
    pub values: Vec<(&'static str, String)>,
}

impl FieldError {
    fn new(field: &'static str, key: &'static str, message: impl Into<String>) -> Self {
        FieldError { field, message: message.into(), key, values: Vec::new() }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.values.push((name, value.into()));
        self
    }

    /// The fault of a checked draft, on its field.
    fn of(error: CampaignError) -> Self {
        let message = error.to_string();
        match error {
            CampaignError::BadId(_) => FieldError::new("id", "campaign_error_id", message),
            CampaignError::DuplicateId(_) => FieldError::new("id", "campaign_error_id_taken", message),
            CampaignError::Empty { field, .. } => FieldError::new(field, "campaign_error_empty", message),
            CampaignError::BadLink { .. } => FieldError::new("link", "campaign_error_link", message),
            CampaignError::BadImage { .. } => FieldError::new("image", "campaign_error_image", message),
            CampaignError::UnknownTopic { topic, .. } => {
                FieldError::new("topics", "campaign_error_topic", message).with("topic", topic.to_string())
            }
            CampaignError::CreativeShape { .. } => FieldError::new("text", "campaign_error_creative", message),
            CampaignError::EndsBeforeStart { .. } => FieldError::new("end", "campaign_error_ends", message),
            CampaignError::Zero { field, .. } => FieldError::new(field, "campaign_error_zero", message),
        }
    }
}

/// Why a change of the managed campaigns was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManagedError {
    /// A field is wrong.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The campaign is declared in `crumb.toml`: read-only here.
    #[error("campaign {0:?} is declared in crumb.toml: change it there")]
    Declared(String),
    /// No stored campaign has this id.
    #[error("no campaign {0:?} is managed here")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a campaign comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `[[campaign]]` in `crumb.toml` (read-only on `/admin`).
    Declared,
    /// Managed on `/admin`.
    Admin,
}

/// Whether a campaign runs on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Its schedule includes the day.
    Running,
    /// It starts later.
    Scheduled,
    /// It ended before.
    Ended,
}

impl Status {
    /// The campaign's status on Unix day `day`.
    pub fn of(campaign: &Campaign, day: i64) -> Status {
        let schedule = &campaign.schedule;
        if schedule.first_day.is_some_and(|first| day < first) {
            Status::Scheduled
        } else if schedule.last_day.is_some_and(|last| day > last) {
            Status::Ended
        } else {
            Status::Running
        }
    }

    /// `running`, `scheduled` or `ended`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Scheduled => "scheduled",
            Status::Ended => "ended",
        }
    }
}

/// One campaign of the site, with where it comes from.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The campaign, checked.
    pub campaign: Campaign,
    /// Declared or managed.
    pub source: Source,
    /// The stored record (managed campaigns only).
    pub stored: Option<StoredCampaign>,
    /// The input it was made of (managed campaigns: for the edit form).
    pub input: Option<CampaignInput>,
}

/// `text` split into list entries: by new lines and `;`, then by `,`
/// unless the whole entry is a taxonomy name.
fn list_entries(text: &str, taxonomy: Option<&Taxonomy>) -> Vec<String> {
    let mut entries = Vec::new();
    for part in text.split(['\n', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        if taxonomy.is_some_and(|t| find_topic(t, part).is_some()) {
            entries.push(part.to_owned());
        } else {
            entries.extend(part.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned));
        }
    }
    entries
}

/// The topic named `name` (its last path segment or whole path, any case).
fn find_topic(taxonomy: &Taxonomy, name: &str) -> Option<TopicId> {
    let wanted = name.trim().trim_start_matches('/').to_lowercase();
    taxonomy
        .topics()
        .find(|t| t.name.to_lowercase() == wanted || t.path.trim_start_matches('/').to_lowercase() == wanted)
        .map(|t| t.id)
}

impl CampaignForm {
    /// The input the form stands for; a number or list that does not read
    /// is refused on its field.
    pub fn into_input(self) -> Result<CampaignInput, FieldError> {
        let opt = |s: String| {
            let s = s.trim().to_owned();
            (!s.is_empty()).then_some(s)
        };
        let number = |field: &'static str, text: &str| -> Result<Option<u32>, FieldError> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<u32>().map(Some).map_err(|_| {
                FieldError::new(field, "campaign_error_number", format!("{field} {text:?} is not a whole number"))
            })
        };
        let priority = number("priority", &self.priority)?.unwrap_or(0);
        let priority = u8::try_from(priority)
            .map_err(|_| FieldError::new("priority", "campaign_error_priority", "priority must be 0 to 255"))?;
        let weight = number("weight", &self.weight)?.unwrap_or(1);
        let topics = list_entries(&self.topics, Some(Taxonomy::v2()))
            .into_iter()
            .map(|entry| match entry.parse::<u16>() {
                Ok(id) => TopicRef::Id(id),
                Err(_) => TopicRef::Name(entry),
            })
            .collect();
        let html_kind = self.kind == "html";
        Ok(CampaignInput {
            daily_cap: number("daily_cap", &self.daily_cap)?,
            frequency_cap: number("frequency_cap", &self.frequency_cap)?,
            priority,
            weight,
            id: self.id.trim().to_owned(),
            name: self.name.trim().to_owned(),
            advertiser: self.advertiser.trim().to_owned(),
            link: self.link.trim().to_owned(),
            text: if html_kind { None } else { Some(self.text.trim().to_owned()) },
            image: if html_kind { None } else { opt(self.image) },
            alt: if html_kind { None } else { opt(self.alt) },
            html: if html_kind { Some(self.html) } else { None },
            topics,
            slots: list_entries(&self.slots, None),
            start: opt(self.start),
            end: opt(self.end),
        })
    }
}

impl CampaignInput {
    /// The campaign, checked as `[[campaign]]` is, with its topics
    /// resolved to ids (the input to store comes back with them).
    pub fn check(mut self) -> Result<(Campaign, CampaignInput), FieldError> {
        let taxonomy = Taxonomy::v2();
        let mut ids = Vec::with_capacity(self.topics.len());
        for topic in &self.topics {
            let id = match topic {
                TopicRef::Id(id) => *id,
                TopicRef::Name(name) => match find_topic(taxonomy, name) {
                    Some(id) => id.0,
                    None => {
                        return Err(FieldError::new(
                            "topics",
                            "campaign_error_topic_name",
                            format!("{name:?} is not a topic of the Topics taxonomy v2"),
                        )
                        .with("topic", name.clone()))
                    }
                },
            };
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        self.topics = ids.iter().map(|&id| TopicRef::Id(id)).collect();
        if let Some(slot) = self.slots.iter().find(|slot| !is_slot_name(slot)) {
            return Err(FieldError::new(
                "slots",
                "campaign_error_slot",
                format!("slot {slot:?}: use 1 to 32 letters, digits, '-' or '_'"),
            )
            .with("slot", slot.clone()));
        }
        let day = |field: &'static str, text: &Option<String>| match text {
            None => Ok(None),
            Some(text) => parse_day(text).map(|millis| Some(millis.div_euclid(DAY_MILLIS))).ok_or_else(|| {
                FieldError::new(field, "campaign_error_date", format!("{field} {text:?} is not a date like 2026-12-01"))
            }),
        };
        let draft = CampaignDraft {
            id: self.id.clone(),
            name: self.name.clone(),
            advertiser: self.advertiser.clone(),
            link: self.link.clone(),
            text: self.text.clone().filter(|t| !(t.is_empty() && self.html.is_some())),
            image: self.image.clone(),
            alt: self.alt.clone(),
            html: self.html.clone(),
            topics: ids,
            slots: self.slots.clone(),
            first_day: day("start", &self.start)?,
            last_day: day("end", &self.end)?,
            daily_cap: self.daily_cap,
            frequency_cap: self.frequency_cap,
            priority: self.priority,
            weight: self.weight,
        };
        let campaign = draft.check(taxonomy).map_err(FieldError::of)?;
        Ok((campaign, self))
    }
}

/// The stored campaign's input and campaign; a document that no longer
/// reads or checks is `None` (logged).
fn read_stored(record: &StoredCampaign) -> Option<(Campaign, CampaignInput)> {
    let checked = serde_json::from_str::<CampaignInput>(&record.document)
        .map_err(|e| e.to_string())
        .and_then(|input| input.check().map_err(|e| e.to_string()));
    match checked {
        Ok(pair) => Some(pair),
        Err(error) => {
            tracing::error!(campaign = %record.id, %error, "a stored campaign does not check; not served");
            None
        }
    }
}

/// The campaigns stored for the site, checked, oldest first.
pub async fn stored(site: &Site) -> Result<Vec<Campaign>, StoreError> {
    let records = site.store.stored_campaigns(&site.config.site_name).await?;
    Ok(records.iter().filter_map(read_stored).map(|(campaign, _)| campaign).collect())
}

/// Every campaign of the site: the declared ones, then the stored ones
/// (one whose id a declaration took since is left out, logged).
pub async fn effective(site: &Site) -> Result<Vec<Entry>, StoreError> {
    let mut entries: Vec<Entry> = site
        .config
        .campaigns
        .iter()
        .map(|c| Entry { campaign: c.clone(), source: Source::Declared, stored: None, input: None })
        .collect();
    for record in site.store.stored_campaigns(&site.config.site_name).await? {
        let Some((campaign, input)) = read_stored(&record) else { continue };
        if entries.iter().any(|e| e.campaign.id == campaign.id) {
            tracing::warn!(campaign = %campaign.id, "a stored campaign's id is declared in crumb.toml; not served");
            continue;
        }
        entries.push(Entry { campaign, source: Source::Admin, stored: Some(record), input: Some(input) });
    }
    Ok(entries)
}

fn declared(site: &Site, id: &str) -> bool {
    site.config.campaigns.iter().any(|c| c.id == id)
}

/// Creates a campaign from `input`, by the admin `admin` (a user id).
pub async fn create(site: &Site, input: CampaignInput, admin: &str) -> Result<Campaign, ManagedError> {
    let (campaign, input) = input.check()?;
    if declared(site, &campaign.id) {
        return Err(FieldError::new(
            "id",
            "campaign_error_id_declared",
            format!("campaign id {:?} is declared in crumb.toml", campaign.id),
        )
        .into());
    }
    let now = site.now_millis();
    let record = record(site, &campaign.id, &input, now, admin);
    match site.store.insert_campaign(&record).await {
        Ok(()) => Ok(campaign),
        Err(StoreError::Duplicate) => {
            Err(FieldError::new("id", "campaign_error_id_taken", format!("campaign id {:?} is used", campaign.id))
                .into())
        }
        Err(error) => Err(error.into()),
    }
}

/// Changes the stored campaign `id` to `input` (whose id, if given, must
/// be `id`), by the admin `admin`.
pub async fn update(site: &Site, id: &str, mut input: CampaignInput, admin: &str) -> Result<Campaign, ManagedError> {
    if declared(site, id) {
        return Err(ManagedError::Declared(id.to_owned()));
    }
    if input.id.is_empty() {
        input.id = id.to_owned();
    } else if input.id != id {
        return Err(FieldError::new("id", "campaign_error_id_fixed", "a campaign's id cannot change").into());
    }
    let (campaign, input) = input.check()?;
    let now = site.now_millis();
    if site.store.update_campaign(&record(site, id, &input, now, admin)).await? {
        Ok(campaign)
    } else {
        Err(ManagedError::NotFound(id.to_owned()))
    }
}

/// Ends (deletes) the stored campaign `id`.
pub async fn end(site: &Site, id: &str) -> Result<(), ManagedError> {
    if declared(site, id) {
        return Err(ManagedError::Declared(id.to_owned()));
    }
    if site.store.delete_campaign(&site.config.site_name, id).await? {
        Ok(())
    } else {
        Err(ManagedError::NotFound(id.to_owned()))
    }
}

fn record(site: &Site, id: &str, input: &CampaignInput, now: i64, admin: &str) -> StoredCampaign {
    StoredCampaign {
        site: site.config.site_name.clone(),
        id: id.to_owned(),
        // A struct of strings, numbers and lists: serialising cannot fail.
        document: serde_json::to_string(input).unwrap_or_default(),
        created_at: now,
        created_by: admin.to_owned(),
        updated_at: now,
        updated_by: admin.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(id: &str) -> CampaignInput {
        CampaignInput {
            id: id.into(),
            advertiser: "Velo".into(),
            link: "https://velo.example/".into(),
            text: Some("Bikes".into()),
            topics: vec![TopicRef::Name("bicycles & accessories".into()), TopicRef::Id(1)],
            weight: 1,
            ..CampaignInput::default()
        }
    }

    #[test]
    fn topics_by_name_resolve_to_ids_and_faults_name_their_field() {
        let (campaign, stored) = input("a").check().expect("checks");
        let bikes = find_topic(Taxonomy::v2(), "Bicycles & Accessories").expect("a topic");
        assert_eq!(campaign.topics, vec![bikes, TopicId(1)]);
        assert_eq!(stored.topics, vec![TopicRef::Id(bikes.0), TopicRef::Id(1)]);
        let mut bad = input("a");
        bad.topics = vec![TopicRef::Name("Knitting for cats".into())];
        assert_eq!(bad.check().unwrap_err().field, "topics");
        let mut bad = input("a");
        bad.link = "javascript:alert(1)".into();
        assert_eq!(bad.check().unwrap_err().field, "link");
        let mut bad = input("a");
        bad.end = Some("soon".into());
        assert_eq!(bad.check().unwrap_err().field, "end");
        let mut bad = input("a");
        bad.slots = vec!["a b".into()];
        assert_eq!(bad.check().unwrap_err().field, "slots");
    }

    #[test]
    fn a_form_reads_lists_numbers_and_the_creative_kind() {
        let form = CampaignForm {
            id: " f ".into(),
            advertiser: "Velo".into(),
            link: "https://velo.example/".into(),
            kind: "html".into(),
            text: "ignored".into(),
            html: "<b>Hi</b><script>x()</script>".into(),
            topics: "369, 1\nBicycles & Accessories".into(),
            slots: "sidebar; footer".into(),
            daily_cap: "10".into(),
            weight: "".into(),
            ..CampaignForm::default()
        };
        let input = form.into_input().expect("reads");
        assert_eq!(input.id, "f");
        assert_eq!(input.text, None);
        assert_eq!(input.slots, ["sidebar", "footer"]);
        assert_eq!(input.topics.len(), 3);
        assert_eq!((input.daily_cap, input.weight, input.priority), (Some(10), 1, 0));
        let (campaign, _) = input.check().expect("checks");
        let super::super::Creative::Html(html) = campaign.creative else { panic!("html") };
        assert_eq!(html.as_str(), "<b>Hi</b>");
        let bad = CampaignForm { daily_cap: "lots".into(), ..CampaignForm::default() };
        assert_eq!(bad.into_input().unwrap_err().field, "daily_cap");
    }

    #[test]
    fn status_follows_the_schedule() {
        let (mut campaign, _) = input("s").check().expect("checks");
        campaign.schedule = super::super::Schedule { first_day: Some(10), last_day: Some(12) };
        assert_eq!([9, 10, 13].map(|d| Status::of(&campaign, d)), [Status::Scheduled, Status::Running, Status::Ended]);
    }
}
