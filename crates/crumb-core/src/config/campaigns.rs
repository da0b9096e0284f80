//! `[[campaign]]`: the advertising campaigns the site serves itself
//! (`crumb_core::ads`), each checked against the taxonomy.
//!
//! ```toml
//! [[campaign]]
//! id = "spring-bikes"
//! name = "Spring bikes"
//! advertiser = "Velo & Co"
//! link = "https://velo.example/spring"
//! text = "Road bikes, 20% off"
//! image = "/ads/bike.svg"        # optional; alt defaults to the text
//! topics = [369]                 # empty: every page (run of site)
//! slots = ["sidebar"]            # empty: any slot
//! start = "2026-12-01"           # optional, UTC days, both ends included
//! end = "2027-01-31"
//! daily_cap = 10000              # impressions a day, site-wide
//! frequency_cap = 3              # a day, per visitor with a profile
//! priority = 0                   # higher first
//! weight = 1                     # share among the same priority
//! ```

use toml::Spanned;

use super::findings::Findings;
use super::raw::RawCampaign;
use crate::ads::campaign::CampaignDraft;
use crate::ads::click::is_slot_name;
use crate::ads::Campaign;
use crate::analytics::report::parse_day;
use crate::interests::Taxonomy;

/// Milliseconds in a day.
const DAY_MILLIS: i64 = 86_400_000;

/// Every `[[campaign]]`, checked; each fault names the campaign and its line.
pub(super) fn section(raw: &[Spanned<RawCampaign>], findings: &mut Findings<'_>) -> Vec<Campaign> {
    let taxonomy = Taxonomy::v2();
    let mut campaigns: Vec<Campaign> = Vec::with_capacity(raw.len());
    for spanned in raw {
        let span = spanned.span();
        let c = spanned.get_ref();
        let mut day = |field: &str, text: &Option<String>| match text {
            None => Some(None),
            Some(text) => match parse_day(text) {
                Some(millis) => Some(Some(millis.div_euclid(DAY_MILLIS))),
                None => {
                    findings.error_at(
                        span.clone(),
                        format!("campaign {:?}: {field} {text:?} is not a date like 2026-12-01", c.id),
                    );
                    None
                }
            },
        };
        let (Some(first_day), Some(last_day)) = (day("start", &c.start), day("end", &c.end)) else { continue };
        if let Some(slot) = c.slots.iter().find(|slot| !is_slot_name(slot)) {
            findings.error_at(
                span.clone(),
                format!("campaign {:?}: slot {slot:?}: use 1 to 32 letters, digits, '-' or '_'", c.id),
            );
            continue;
        }
        let draft = CampaignDraft {
            id: c.id.clone(),
            name: c.name.clone(),
            advertiser: c.advertiser.clone(),
            link: c.link.clone(),
            text: c.text.clone(),
            image: c.image.clone(),
            alt: c.alt.clone(),
            html: c.html.clone(),
            topics: c.topics.clone(),
            slots: c.slots.clone(),
            first_day,
            last_day,
            daily_cap: c.daily_cap,
            frequency_cap: c.frequency_cap,
            priority: c.priority,
            weight: c.weight,
        };
        match draft.check(taxonomy) {
            Ok(campaign) if campaigns.iter().any(|seen| seen.id == campaign.id) => {
                findings.error_at(span, format!("campaign id {:?} is used twice", campaign.id));
            }
            Ok(campaign) => campaigns.push(campaign),
            Err(why) => findings.error_at(span, why.to_string()),
        }
    }
    campaigns
}

#[cfg(test)]
mod tests {
    use crate::ads::{Creative, Schedule};
    use crate::config::parse;
    use crate::interests::TopicId;

    use crate::config::MINIMAL_FOR_TESTS as MINIMAL;

    #[test]
    fn a_campaign_is_read_with_its_defaults() {
        let text = format!(
            "{MINIMAL}\n[[campaign]]\nid = \"bikes\"\nadvertiser = \"Velo\"\nlink = \"https://velo.example/\"\n\
             text = \"Road bikes\"\ntopics = [369]\nstart = \"1970-01-02\"\nend = \"1970-01-03\"\n"
        );
        let config = parse(&text, "crumb.toml").unwrap();
        let [campaign] = &config.campaigns[..] else { panic!("one campaign: {:?}", config.campaigns) };
        assert_eq!(
            (campaign.id.as_str(), campaign.name.as_str(), campaign.weight, campaign.priority),
            ("bikes", "bikes", 1, 0)
        );
        assert_eq!(campaign.topics, [TopicId(369)]);
        assert_eq!(campaign.creative, Creative::Text { text: "Road bikes".into() });
        assert_eq!(campaign.schedule, Schedule { first_day: Some(1), last_day: Some(2) });
        assert!(parse(MINIMAL, "crumb.toml").unwrap().campaigns.is_empty());
    }

    #[test]
    fn campaign_mistakes_name_the_campaign_and_the_line() {
        let base = "[[campaign]]\nadvertiser = \"Velo\"\nlink = \"https://velo.example/\"\ntext = \"Bikes\"\n";
        for (extra, expected) in [
            ("id = \"x\"\ntopics = [9999]\n", "topic 9999 is not in the Topics taxonomy"),
            ("id = \"x\"\nstart = \"tomorrow\"\n", "start \"tomorrow\" is not a date"),
            ("id = \"x\"\nslots = [\"a b\"]\n", "slot \"a b\""),
            ("id = \"a b\"\n", "campaign id \"a b\""),
        ] {
            let text = format!("{MINIMAL}\n{base}{extra}");
            let errors = parse(&text, "crumb.toml").unwrap_err().to_string();
            assert!(errors.contains(expected), "{extra}: {errors}");
            assert!(errors.contains("crumb.toml:"), "a line: {errors}");
        }
        let twice = format!("{MINIMAL}\n{base}id = \"x\"\n\n{base}id = \"x\"\n");
        assert!(parse(&twice, "crumb.toml").unwrap_err().to_string().contains("used twice"));
    }
}
