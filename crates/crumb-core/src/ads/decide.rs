//! The choice of a campaign for one slot on one page view.
//!
//! The visitor's interest topics are tried first, then the page's own
//! topics, then campaigns that target no topic; the first of these that
//! has an eligible campaign decides, and its [`Basis`] is what the visitor
//! is told. Among the eligible campaigns, those of the highest priority
//! compete, each in proportion to its weight.

use crate::interests::TopicId;

use super::campaign::Campaign;
use super::index::CampaignIndex;

/// Why an ad was chosen: what the visitor is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// A topic of the visitor's interest profile.
    Interests,
    /// A topic of the page being read.
    Context,
    /// Nothing about the visitor or the page: a campaign for every page.
    None,
}

impl Basis {
    /// The basis as the API and reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Interests => "interests",
            Basis::Context => "context",
            Basis::None => "none",
        }
    }

    /// The basis named `text` (as [`Basis::as_str`] writes it).
    pub fn parse(text: &str) -> Option<Basis> {
        match text {
            "interests" => Some(Basis::Interests),
            "context" => Some(Basis::Context),
            "none" => Some(Basis::None),
            _ => None,
        }
    }
}

/// One request for an ad.
#[derive(Clone, Copy, Debug)]
pub struct AdRequest<'a> {
    /// The slot's name (`data-crumb-ad="sidebar"`).
    pub slot: &'a str,
    /// Today, as a Unix day (UTC).
    pub day: i64,
    /// The visitor's topics from their interest profile: empty unless the
    /// visitor gave marketing consent and sends no honoured privacy signal.
    pub interests: &'a [TopicId],
    /// The page's topics (declared, or proposed by the classifier).
    pub page_topics: &'a [TopicId],
    /// Fresh randomness for the weighted draw.
    pub random: u64,
}

/// How often campaigns were served, for their caps.
pub trait Served {
    /// Impressions of `campaign` today, site-wide.
    fn today(&self, campaign: &Campaign) -> u32;
    /// Impressions of `campaign` today to this visitor. Asked only on the
    /// interests basis: without a profile nothing is counted per visitor,
    /// so frequency caps bind only where one may be kept.
    fn to_visitor_today(&self, campaign: &Campaign) -> u32;
}

/// Nothing served yet (a new day, or a test).
pub struct NothingServed;

impl Served for NothingServed {
    fn today(&self, _: &Campaign) -> u32 {
        0
    }
    fn to_visitor_today(&self, _: &Campaign) -> u32 {
        0
    }
}

/// The chosen campaign and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision<'a> {
    /// The campaign.
    pub campaign: &'a Campaign,
    /// Why.
    pub basis: Basis,
    /// The topic that matched (of the visitor's or of the page's); `None`
    /// on [`Basis::None`].
    pub topic: Option<TopicId>,
}

/// The campaign to show for `request`, or `None` when no campaign may fill
/// the slot.
pub fn decide<'a>(index: &'a CampaignIndex, request: &AdRequest<'_>, served: &impl Served) -> Option<Decision<'a>> {
    let by_topics = |topics: &[TopicId], basis: Basis| {
        let candidates = topics.iter().flat_map(|&topic| index.for_topic(topic).map(move |c| (c, Some(topic))));
        pick(candidates, request, served, basis).map(|(campaign, topic)| Decision { campaign, basis, topic })
    };
    by_topics(request.interests, Basis::Interests).or_else(|| by_topics(request.page_topics, Basis::Context)).or_else(
        || {
            let candidates = index.untargeted().map(|c| (c, None));
            pick(candidates, request, served, Basis::None).map(|(campaign, topic)| Decision {
                campaign,
                basis: Basis::None,
                topic,
            })
        },
    )
}

/// Whether `campaign` may fill the request's slot today.
fn eligible(campaign: &Campaign, request: &AdRequest<'_>, served: &impl Served, basis: Basis) -> bool {
    (campaign.slots.is_empty() || campaign.slots.iter().any(|slot| slot == request.slot))
        && campaign.schedule.runs_on(request.day)
        && campaign.daily_cap.is_none_or(|cap| served.today(campaign) < cap)
        && (basis != Basis::Interests
            || campaign.frequency_cap.is_none_or(|cap| served.to_visitor_today(campaign) < cap))
}

/// The weighted draw among the eligible candidates of the highest
/// priority. A campaign matched through several topics competes once,
/// through the first.
fn pick<'a>(
    candidates: impl Iterator<Item = (&'a Campaign, Option<TopicId>)>,
    request: &AdRequest<'_>,
    served: &impl Served,
    basis: Basis,
) -> Option<(&'a Campaign, Option<TopicId>)> {
    let mut best: Vec<(&'a Campaign, Option<TopicId>)> = Vec::new();
    let mut priority = 0u8;
    for (campaign, topic) in candidates {
        if !eligible(campaign, request, served, basis) {
            continue;
        }
        if !best.is_empty() && campaign.priority < priority {
            continue;
        }
        if best.is_empty() || campaign.priority > priority {
            best.clear();
            priority = campaign.priority;
        }
        if !best.iter().any(|(seen, _)| std::ptr::eq(*seen, campaign)) {
            best.push((campaign, topic));
        }
    }
    let total: u64 = best.iter().map(|(c, _)| u64::from(c.weight)).sum();
    if total == 0 {
        return None;
    }
    let mut ticket = request.random % total;
    for (campaign, topic) in best {
        let weight = u64::from(campaign.weight);
        if ticket < weight {
            return Some((campaign, topic));
        }
        ticket -= weight;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ads::campaign::CampaignDraft;
    use crate::interests::Taxonomy;
    use std::collections::HashMap;

    const BIKES: u16 = 369; // /Autos & Vehicles/Bicycles & Accessories

    /// /Autos & Vehicles, the parent of Bicycles & Accessories.
    fn autos() -> u16 {
        Taxonomy::v2().get(TopicId(BIKES)).and_then(|b| b.parent).expect("a parent").0
    }

    fn campaign(id: &str, topics: Vec<u16>) -> CampaignDraft {
        CampaignDraft {
            id: id.into(),
            advertiser: "A".into(),
            link: "https://a.example/".into(),
            text: Some(id.into()),
            topics,
            weight: 1,
            ..CampaignDraft::default()
        }
    }

    fn index(drafts: Vec<CampaignDraft>) -> CampaignIndex {
        let t = Taxonomy::v2();
        CampaignIndex::new(crate::ads::campaign::check_all(drafts, t).expect("checks"), t)
    }

    fn request<'a>(interests: &'a [TopicId], page: &'a [TopicId]) -> AdRequest<'a> {
        AdRequest { slot: "sidebar", day: 20_000, interests, page_topics: page, random: 7 }
    }

    fn cooking() -> TopicId {
        let t = Taxonomy::v2();
        t.topics().find(|x| x.name.contains("Cooking")).map(|x| x.id).expect("a cooking topic")
    }

    #[test]
    fn interests_come_before_the_page_and_the_page_before_run_of_site() {
        let ix =
            index(vec![campaign("bikes", vec![BIKES]), campaign("food", vec![cooking().0]), campaign("any", vec![])]);
        let bikes = [TopicId(BIKES)];
        let food = [cooking()];
        let d = decide(&ix, &request(&bikes, &food), &NothingServed).expect("an ad");
        assert_eq!((d.campaign.id.as_str(), d.basis, d.topic), ("bikes", Basis::Interests, Some(TopicId(BIKES))));
        let d = decide(&ix, &request(&[], &food), &NothingServed).expect("an ad");
        assert_eq!((d.campaign.id.as_str(), d.basis), ("food", Basis::Context));
        let d = decide(&ix, &request(&[], &[]), &NothingServed).expect("an ad");
        assert_eq!((d.campaign.id.as_str(), d.basis, d.topic), ("any", Basis::None, None));
        assert!(decide(&index(vec![campaign("bikes", vec![BIKES])]), &request(&[], &[]), &NothingServed).is_none());
    }

    #[test]
    fn a_campaign_for_a_parent_topic_matches_its_children() {
        let ix = index(vec![campaign("autos", vec![autos()])]);
        let d = decide(&ix, &request(&[TopicId(BIKES)], &[]), &NothingServed).expect("an ad");
        assert_eq!((d.campaign.id.as_str(), d.topic), ("autos", Some(TopicId(BIKES))));
        let ix = index(vec![campaign("bikes", vec![BIKES])]);
        assert!(decide(&ix, &request(&[TopicId(autos())], &[]), &NothingServed).is_none(), "not upwards");
    }

    #[test]
    fn slot_schedule_and_caps_are_kept() {
        struct Counts(HashMap<&'static str, (u32, u32)>);
        impl Served for Counts {
            fn today(&self, c: &Campaign) -> u32 {
                self.0.get(c.id.as_str()).map_or(0, |x| x.0)
            }
            fn to_visitor_today(&self, c: &Campaign) -> u32 {
                self.0.get(c.id.as_str()).map_or(0, |x| x.1)
            }
        }
        let mut other_slot = campaign("banner-only", vec![BIKES]);
        other_slot.slots = vec!["banner".into()];
        let mut over = campaign("over", vec![BIKES]);
        (over.first_day, over.last_day) = (Some(19_990), Some(19_999));
        let mut capped = campaign("capped", vec![BIKES]);
        capped.daily_cap = Some(10);
        let mut frequent = campaign("frequent", vec![BIKES]);
        frequent.frequency_cap = Some(2);
        let ix = index(vec![other_slot, over, capped, frequent]);
        let bikes = [TopicId(BIKES)];
        let counts = Counts(HashMap::from([("capped", (10, 0)), ("frequent", (5, 2))]));
        // On interests the frequency cap binds; nothing is left.
        assert!(decide(&ix, &request(&bikes, &[]), &counts).is_none());
        // On context nothing is counted per visitor: the frequency cap cannot bind.
        let d = decide(&ix, &request(&[], &bikes), &counts).expect("an ad");
        assert_eq!((d.campaign.id.as_str(), d.basis), ("frequent", Basis::Context));
        let fresh = Counts(HashMap::from([("frequent", (0, 2))]));
        let d = decide(&ix, &request(&bikes, &[]), &fresh).expect("an ad");
        assert_eq!(d.campaign.id, "capped");
    }

    #[test]
    fn the_highest_priority_wins_and_weights_share_the_rest() {
        let mut low = campaign("low", vec![BIKES]);
        low.weight = 100;
        let mut heavy = campaign("heavy", vec![BIKES]);
        (heavy.priority, heavy.weight) = (1, 3);
        let mut light = campaign("light", vec![BIKES]);
        (light.priority, light.weight) = (1, 1);
        let ix = index(vec![low, heavy, light]);
        let bikes = [TopicId(BIKES)];
        let mut counts: HashMap<String, u32> = HashMap::new();
        for random in 0..4_000u64 {
            let r = AdRequest { random: random.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7, ..request(&bikes, &[]) };
            let d = decide(&ix, &r, &NothingServed).expect("an ad");
            *counts.entry(d.campaign.id.clone()).or_default() += 1;
        }
        assert_eq!(counts.get("low"), None, "{counts:?}");
        let heavy = f64::from(counts["heavy"]) / 4_000.0;
        assert!((heavy - 0.75).abs() < 0.03, "heavy share {heavy} ({counts:?})");
    }
}
