//! A campaign: who advertises what, where, to whom, when and how often.

use crate::interests::{Taxonomy, TopicId};

use super::creative::{sanitise, SanitisedHtml};

/// The longest campaign id: ids appear in click tokens and reports.
pub const MAX_ID_LEN: usize = 64;

/// What a campaign shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Creative {
    /// An image with its text alternative and a line of text.
    Image {
        /// The image's URL (a path on the site or an `https://` URL).
        src: String,
        /// The image's text alternative (WCAG 1.1.1); required.
        alt: String,
        /// A line of text shown beside the image.
        text: String,
    },
    /// A line of text alone.
    Text {
        /// The text.
        text: String,
    },
    /// Markup of the advertiser's, sanitised when the campaign is checked.
    Html(SanitisedHtml),
}

/// The days a campaign runs, as Unix days (days since 1970-01-01, UTC),
/// both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The first day, if any.
    pub first_day: Option<i64>,
    /// The last day, if any.
    pub last_day: Option<i64>,
}

impl Schedule {
    /// Every day.
    pub const ALWAYS: Schedule = Schedule { first_day: None, last_day: None };

    /// Whether the campaign runs on Unix day `day`.
    pub fn runs_on(&self, day: i64) -> bool {
        self.first_day.is_none_or(|first| day >= first) && self.last_day.is_none_or(|last| day <= last)
    }
}

/// A campaign, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    /// Its id: letters, digits, `-` and `_`, unique in the declaration.
    pub id: String,
    /// Its name, for reports and the visitor's "why this ad".
    pub name: String,
    /// Who pays for it, shown with the ad.
    pub advertiser: String,
    /// What it shows.
    pub creative: Creative,
    /// Where a click goes: an `http(s)://` URL of the declaration's.
    pub link: url::Url,
    /// The topics it targets; a visitor or page topic within one of them
    /// (the topic or one below it) matches. Empty: run of site.
    pub topics: Vec<TopicId>,
    /// The slots it may fill; empty: any slot.
    pub slots: Vec<String>,
    /// When it runs.
    pub schedule: Schedule,
    /// At most this many impressions a day, site-wide.
    pub daily_cap: Option<u32>,
    /// At most this many impressions a day to one visitor (counted only
    /// for a visitor whose profile may be kept: with marketing consent).
    pub frequency_cap: Option<u32>,
    /// Higher goes first: a campaign is chosen among the eligible ones of
    /// the highest priority.
    pub priority: u8,
    /// Its share among campaigns of the same priority.
    pub weight: u32,
}

/// What a campaign as declared gets wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CampaignError {
    /// The id is empty, too long or has other characters.
    #[error("campaign id {0:?}: use 1 to 64 letters, digits, '-' or '_'")]
    BadId(String),
    /// Two campaigns share an id.
    #[error("campaign id {0:?} is used twice")]
    DuplicateId(String),
    /// A required text is empty.
    #[error("campaign {id:?}: {field} must not be empty")]
    Empty {
        /// The campaign.
        id: String,
        /// The field.
        field: &'static str,
    },
    /// The link is not an absolute http(s) URL.
    #[error("campaign {id:?}: link {link:?} must be an http:// or https:// URL")]
    BadLink {
        /// The campaign.
        id: String,
        /// The link as written.
        link: String,
    },
    /// The image is neither a site path nor an https URL.
    #[error("campaign {id:?}: image {src:?} must be a path on the site (/…) or an https:// URL")]
    BadImage {
        /// The campaign.
        id: String,
        /// The image as written.
        src: String,
    },
    /// A targeted topic is not in the taxonomy.
    #[error("campaign {id:?}: topic {topic} is not in the Topics taxonomy v2")]
    UnknownTopic {
        /// The campaign.
        id: String,
        /// The topic.
        topic: u16,
    },
    /// Both or neither of `html` and `text` are given.
    #[error("campaign {id:?}: give either text (with an optional image) or html")]
    CreativeShape {
        /// The campaign.
        id: String,
    },
    /// The last day comes before the first.
    #[error("campaign {id:?}: it ends before it starts")]
    EndsBeforeStart {
        /// The campaign.
        id: String,
    },
    /// A weight of 0 would never be chosen; a cap of 0 never shown.
    #[error("campaign {id:?}: {field} must be at least 1")]
    Zero {
        /// The campaign.
        id: String,
        /// The field.
        field: &'static str,
    },
}

/// A campaign as written in the declaration, before its checks.
#[derive(Clone, Debug, Default)]
pub struct CampaignDraft {
    /// `id`.
    pub id: String,
    /// `name` (the id when empty).
    pub name: String,
    /// `advertiser`.
    pub advertiser: String,
    /// `link`.
    pub link: String,
    /// `text`.
    pub text: Option<String>,
    /// `image`.
    pub image: Option<String>,
    /// `alt` (the image's text alternative; the text when absent).
    pub alt: Option<String>,
    /// `html`.
    pub html: Option<String>,
    /// `topics`.
    pub topics: Vec<u16>,
    /// `slots`.
    pub slots: Vec<String>,
    /// `start`, as a Unix day.
    pub first_day: Option<i64>,
    /// `end`, as a Unix day.
    pub last_day: Option<i64>,
    /// `daily_cap`.
    pub daily_cap: Option<u32>,
    /// `frequency_cap`.
    pub frequency_cap: Option<u32>,
    /// `priority`.
    pub priority: u8,
    /// `weight`.
    pub weight: u32,
}

impl CampaignDraft {
    /// The campaign, checked against the taxonomy.
    pub fn check(self, taxonomy: &Taxonomy) -> Result<Campaign, CampaignError> {
        let id = self.id;
        let valid_id = !id.is_empty()
            && id.len() <= MAX_ID_LEN
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_id {
            return Err(CampaignError::BadId(id));
        }
        if self.advertiser.trim().is_empty() {
            return Err(CampaignError::Empty { id, field: "advertiser" });
        }
        let link = match url::Url::parse(&self.link) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => url,
            _ => return Err(CampaignError::BadLink { id, link: self.link }),
        };
        let creative = match (self.text, self.html) {
            (Some(text), None) => {
                if text.trim().is_empty() {
                    return Err(CampaignError::Empty { id, field: "text" });
                }
                match self.image {
                    Some(src) => {
                        let path = src.starts_with('/') && !src.starts_with("//");
                        if !path && !src.starts_with("https://") {
                            return Err(CampaignError::BadImage { id, src });
                        }
                        let alt = self.alt.unwrap_or_else(|| text.clone());
                        if alt.trim().is_empty() {
                            return Err(CampaignError::Empty { id, field: "alt" });
                        }
                        Creative::Image { src, alt, text }
                    }
                    None => Creative::Text { text },
                }
            }
            (None, Some(html)) if self.image.is_none() => {
                let clean = sanitise(&html);
                if clean.as_str().trim().is_empty() {
                    return Err(CampaignError::Empty { id, field: "html" });
                }
                Creative::Html(clean)
            }
            _ => return Err(CampaignError::CreativeShape { id }),
        };
        let mut topics = Vec::with_capacity(self.topics.len());
        for topic in self.topics {
            if !taxonomy.contains(TopicId(topic)) {
                return Err(CampaignError::UnknownTopic { id, topic });
            }
            topics.push(TopicId(topic));
        }
        if let (Some(first), Some(last)) = (self.first_day, self.last_day) {
            if last < first {
                return Err(CampaignError::EndsBeforeStart { id });
            }
        }
        for (field, value) in
            [("weight", Some(self.weight)), ("daily_cap", self.daily_cap), ("frequency_cap", self.frequency_cap)]
        {
            if value == Some(0) {
                return Err(CampaignError::Zero { id, field });
            }
        }
        let name = if self.name.trim().is_empty() { id.clone() } else { self.name };
        Ok(Campaign {
            id,
            name,
            advertiser: self.advertiser,
            creative,
            link,
            topics,
            slots: self.slots,
            schedule: Schedule { first_day: self.first_day, last_day: self.last_day },
            daily_cap: self.daily_cap,
            frequency_cap: self.frequency_cap,
            priority: self.priority,
            weight: self.weight,
        })
    }
}

/// Checks every draft and that no id is used twice.
pub fn check_all(drafts: Vec<CampaignDraft>, taxonomy: &Taxonomy) -> Result<Vec<Campaign>, CampaignError> {
    let mut campaigns: Vec<Campaign> = Vec::with_capacity(drafts.len());
    let mut seen = std::collections::HashSet::new();
    for draft in drafts {
        let campaign = draft.check(taxonomy)?;
        if !seen.insert(campaign.id.clone()) {
            return Err(CampaignError::DuplicateId(campaign.id));
        }
        campaigns.push(campaign);
    }
    Ok(campaigns)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn draft(id: &str) -> CampaignDraft {
        CampaignDraft {
            id: id.into(),
            name: "Spring bikes".into(),
            advertiser: "Velo & Co".into(),
            link: "https://velo.example/spring".into(),
            text: Some("Road bikes, 20% off".into()),
            topics: vec![369],
            weight: 1,
            ..CampaignDraft::default()
        }
    }

    #[test]
    fn a_well_formed_campaign_checks() {
        let campaign = draft("bikes").check(Taxonomy::v2()).expect("checks");
        assert_eq!(campaign.topics, vec![TopicId(369)]);
        assert_eq!(campaign.creative, Creative::Text { text: "Road bikes, 20% off".into() });
        assert_eq!(campaign.schedule, Schedule::ALWAYS);
    }

    #[test]
    fn each_fault_is_named() {
        let t = Taxonomy::v2();
        assert_eq!(draft("a b").check(t).unwrap_err(), CampaignError::BadId("a b".into()));
        assert_eq!(draft(&"x".repeat(65)).check(t).unwrap_err(), CampaignError::BadId("x".repeat(65)));
        let mut d = draft("c");
        d.link = "javascript:alert(1)".into();
        assert!(matches!(d.check(t).unwrap_err(), CampaignError::BadLink { .. }));
        let mut d = draft("c");
        d.topics = vec![9999];
        assert_eq!(d.check(t).unwrap_err(), CampaignError::UnknownTopic { id: "c".into(), topic: 9999 });
        let mut d = draft("c");
        d.html = Some("<b>hi</b>".into());
        assert_eq!(d.check(t).unwrap_err(), CampaignError::CreativeShape { id: "c".into() });
        let mut d = draft("c");
        d.image = Some("//evil.example/x.png".into());
        assert!(matches!(d.check(t).unwrap_err(), CampaignError::BadImage { .. }));
        let mut d = draft("c");
        (d.first_day, d.last_day) = (Some(10), Some(9));
        assert_eq!(d.check(t).unwrap_err(), CampaignError::EndsBeforeStart { id: "c".into() });
        let mut d = draft("c");
        d.weight = 0;
        assert_eq!(d.check(t).unwrap_err(), CampaignError::Zero { id: "c".into(), field: "weight" });
        assert_eq!(check_all(vec![draft("a"), draft("a")], t).unwrap_err(), CampaignError::DuplicateId("a".into()));
    }

    #[test]
    fn html_is_sanitised_when_checked() {
        let mut d = draft("h");
        d.text = None;
        d.html = Some("<p onclick=\"steal()\">Bikes<script>steal()</script></p>".into());
        let campaign = d.check(Taxonomy::v2()).expect("checks");
        let Creative::Html(html) = campaign.creative else { panic!("html creative") };
        assert!(!html.as_str().contains("script") && !html.as_str().contains("onclick"), "{}", html.as_str());
        assert!(html.as_str().contains("Bikes"));
    }

    #[test]
    fn a_schedule_includes_both_ends() {
        let s = Schedule { first_day: Some(10), last_day: Some(12) };
        assert_eq!((9..=13).map(|d| s.runs_on(d)).collect::<Vec<_>>(), [false, true, true, true, false]);
    }
}
