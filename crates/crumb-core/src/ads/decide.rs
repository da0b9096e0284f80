//! The choice of a campaign for one slot on one page view.
//!
//! The visitor's interest topics are tried first, then the page's own
//! topics, then campaigns that target no topic; the first of these that
//! has an eligible campaign decides, and its [`Basis`] is what the visitor
//! is told. Among the eligible campaigns, those of the highest priority
//! compete, each in proportion to its weight.

use crate::interests::TopicId;

use super::campaign::Campaign;
use super::index::{CampaignIndex, Listed};

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

/// How often campaigns were served, for their caps. `position` is the
/// campaign's place in the index the choice runs on
/// ([`CampaignIndex::campaigns`]), so a count can be kept by it.
pub trait Served {
    /// Impressions of `campaign` today, site-wide.
    fn today(&self, position: usize, campaign: &Campaign) -> u32;
    /// Impressions of `campaign` today to this visitor. Asked only on the
    /// interests basis: without a profile nothing is counted per visitor,
    /// so frequency caps bind only where one may be kept.
    fn to_visitor_today(&self, campaign: &Campaign) -> u32;
}

/// Nothing served yet (a new day, or a test).
pub struct NothingServed;

impl Served for NothingServed {
    fn today(&self, _: usize, _: &Campaign) -> u32 {
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
    /// Its position in the index.
    pub position: usize,
    /// Why.
    pub basis: Basis,
    /// The topic that matched (of the visitor's or of the page's); `None`
    /// on [`Basis::None`].
    pub topic: Option<TopicId>,
}

/// The campaign to show for `request`, or `None` when no campaign may fill
/// the slot.
pub fn decide<'a>(index: &'a CampaignIndex, request: &AdRequest<'_>, served: &impl Served) -> Option<Decision<'a>> {
    let slot_bit = index.slot_bit(request.slot);
    let pick = |lists: &[(Option<TopicId>, &[Listed])], basis: Basis| {
        let (position, topic) = pick(index, lists, request, slot_bit, served, basis)?;
        let campaign = index.at(position);
        Some(Decision { campaign, position: position as usize, basis, topic })
    };
    let by_topics = |topics: &[TopicId], basis: Basis| {
        let lists: Vec<_> = topics.iter().map(|&topic| (Some(topic), index.for_topic(topic))).collect();
        pick(&lists, basis)
    };
    by_topics(request.interests, Basis::Interests)
        .or_else(|| by_topics(request.page_topics, Basis::Context))
        .or_else(|| pick(&[(None, index.untargeted())], Basis::None))
}

/// The weighted draw among the eligible campaigns of the highest priority
/// in `lists` (each a topic's campaigns, highest priority first): the
/// chosen campaign's position and the topic it matched through. A
/// campaign matched through several topics competes once, through the
/// first.
fn pick(
    index: &CampaignIndex,
    lists: &[(Option<TopicId>, &[Listed])],
    request: &AdRequest<'_>,
    slot_bit: u64,
    served: &impl Served,
    basis: Basis,
) -> Option<(u32, Option<TopicId>)> {
    let mut draw = Draw { chosen: None, priority: 0, total: 0, random: request.random };
    for (k, &(topic, list)) in lists.iter().enumerate() {
        for &listed in list {
            // Below the priority of a campaign already drawn from: this one
            // cannot win, nor can the rest of the list, which come lower.
            if draw.chosen.is_some() && listed.priority() < draw.priority {
                break;
            }
            // Listed under an earlier topic: it competed there (or was not
            // eligible there either).
            if lists[..k].iter().any(|&(_, earlier)| CampaignIndex::holds(earlier, listed)) {
                continue;
            }
            let position = listed.position;
            let brief = index.brief(position);
            // Whether it may fill the request's slot today.
            let eligible = index.fills(position, request.slot, slot_bit)
                && brief.schedule.runs_on(request.day)
                && brief.daily_cap.is_none_or(|cap| served.today(position as usize, index.at(position)) < cap)
                && (basis != Basis::Interests
                    || brief.frequency_cap.is_none_or(|cap| served.to_visitor_today(index.at(position)) < cap));
            if eligible {
                draw.offer(listed.priority(), brief.weight, (position, topic));
            }
        }
    }
    draw.chosen
}

/// A weighted draw in one pass (a weighted reservoir of one, after Chao,
/// 1982): each campaign offered replaces the one held with probability
/// its weight over the weights offered so far, so that in the end each is
/// held in proportion to its weight. A campaign of a higher priority
/// starts the draw afresh.
struct Draw {
    /// The position of the campaign held, and the topic it matched through.
    chosen: Option<(u32, Option<TopicId>)>,
    /// The priority of the campaigns drawn from.
    priority: u8,
    /// Their weights' sum.
    total: u64,
    /// The request's randomness, stepped for each offer (SplitMix64).
    random: u64,
}

impl Draw {
    fn offer(&mut self, priority: u8, weight: u32, candidate: (u32, Option<TopicId>)) {
        let weight = u64::from(weight);
        if weight == 0 {
            return;
        }
        if self.chosen.is_none() || priority > self.priority {
            (self.priority, self.total) = (priority, 0);
        }
        self.total += weight;
        if self.next_random() % self.total < weight {
            self.chosen = Some(candidate);
        }
    }

    fn next_random(&mut self) -> u64 {
        self.random = self.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::ads::campaign::CampaignDraft;
    use crate::interests::Taxonomy;
    use std::collections::HashMap;

    const BIKES: u16 = 369; // /Autos & Vehicles/Bicycles & Accessories

    /// /Autos & Vehicles, the parent of Bicycles & Accessories.
    fn autos() -> u16 {
        Taxonomy::v2().get(TopicId(BIKES)).and_then(|b| b.parent).expect("a parent").0
    }

    /// A campaign for `topics`, weight 1, priority 0.
    pub(in crate::ads) fn campaign(id: &str, topics: Vec<u16>) -> CampaignDraft {
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
            fn today(&self, _: usize, c: &Campaign) -> u32 {
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

    /// A campaign that matches through two of the visitor's topics has
    /// one chance, not two, and is told as matched through the first.
    #[test]
    fn a_campaign_matched_through_two_topics_competes_once() {
        let ix = index(vec![campaign("both", vec![BIKES, cooking().0]), campaign("bikes-only", vec![BIKES])]);
        let topics = [cooking(), TopicId(BIKES)];
        let mut both = 0u32;
        for random in 0..4_000u64 {
            let r = AdRequest { random: random.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7, ..request(&topics, &[]) };
            let d = decide(&ix, &r, &NothingServed).expect("an ad");
            if d.campaign.id == "both" {
                assert_eq!(d.topic, Some(cooking()), "through the first topic that matched");
                both += 1;
            }
        }
        let share = f64::from(both) / 4_000.0;
        assert!((share - 0.5).abs() < 0.03, "share of the campaign matched twice: {share}");
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
