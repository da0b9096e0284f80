//! `[interests]`: what the site's pages are about, in topics of the Topics
//! API taxonomy v2 (docs/interests.md), and `[[interests.page]]`, the
//! topics the declaration gives a path and the pages under it.
//!
//! ```toml
//! [interests]
//! enabled = true          # default false
//! classifier = "propose"  # "off" (default) or "propose"
//! max_topics = 3          # 1 to 5, how many topics the classifier proposes
//!
//! [[interests.page]]
//! path = "/products/bikes"
//! topics = [369]
//! ```

use super::findings::Findings;
use super::raw::RawInterests;
use crate::interests::classifier::DEFAULT_MAX_TOPICS;
use crate::interests::pages::{PageEntry, PageTopics};
use crate::interests::taxonomy::Taxonomy;

/// The most topics `max_topics` accepts: the Topics API keeps a user's
/// top 5 per epoch, so a page needs no more.
pub const MAX_PAGE_TOPICS: u32 = 5;

/// What the built-in classifier does for pages the declaration does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassifierMode {
    /// Nothing: only declared pages have topics (the default).
    Off,
    /// Proposes topics for a page no `[[interests.page]]` covers; declared
    /// topics always win.
    Propose,
}

/// `[interests]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterestSettings {
    /// Whether interests are computed at all (default false).
    pub enabled: bool,
    /// The built-in classifier's part.
    pub classifier: ClassifierMode,
    /// How many topics the classifier proposes for a page.
    pub max_topics: usize,
    /// The declared `[[interests.page]]` entries.
    pub pages: PageTopics,
}

impl Default for InterestSettings {
    fn default() -> Self {
        InterestSettings {
            enabled: false,
            classifier: ClassifierMode::Off,
            max_topics: DEFAULT_MAX_TOPICS,
            pages: PageTopics::default(),
        }
    }
}

/// `[interests]` and its `[[interests.page]]` entries; each fault names
/// the entry (its path) and the bad value.
pub(super) fn section(raw: Option<&RawInterests>, findings: &mut Findings<'_>) -> InterestSettings {
    let Some(raw) = raw else { return InterestSettings::default() };
    let classifier = match raw.classifier.as_ref().map(|c| (c.get_ref().as_str(), c.span())) {
        None | Some(("off", _)) => ClassifierMode::Off,
        Some(("propose", _)) => ClassifierMode::Propose,
        Some((other, span)) => {
            findings.error_at(span, format!("interests.classifier = {other:?}: must be \"off\" or \"propose\""));
            ClassifierMode::Off
        }
    };
    let max_topics = match &raw.max_topics {
        None => DEFAULT_MAX_TOPICS,
        Some(value) => {
            let n = *value.get_ref();
            if n == 0 || n > MAX_PAGE_TOPICS {
                findings.error_at(value.span(), format!("interests.max_topics = {n}: must be 1 to {MAX_PAGE_TOPICS}"));
            }
            n.clamp(1, MAX_PAGE_TOPICS) as usize
        }
    };
    let taxonomy = Taxonomy::v2();
    let mut entries: Vec<PageEntry> = Vec::new();
    for page in &raw.pages {
        let entry = page.get_ref();
        match PageEntry::new(&entry.path, &entry.topics, taxonomy) {
            Ok(checked) if entries.iter().any(|seen| seen.path == checked.path) => findings.error_at(
                page.span(),
                format!("interests page {:?}: another [[interests.page]] has this path", entry.path),
            ),
            Ok(checked) => entries.push(checked),
            Err(why) => findings.error_at(page.span(), format!("interests page: {why}")),
        }
    }
    // Paths were made unique above, so this cannot refuse them.
    let pages = PageTopics::new(entries).unwrap_or_default();
    InterestSettings { enabled: raw.enabled, classifier, max_topics, pages }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    use crate::config::MINIMAL_FOR_TESTS as MINIMAL;

    #[test]
    fn interests_are_off_by_default_and_pages_declare_topics() {
        let plain = parse(MINIMAL, "crumb.toml").unwrap().interests;
        assert_eq!(plain, InterestSettings::default());
        assert!(!plain.enabled && plain.classifier == ClassifierMode::Off);
        let text = format!(
            "{MINIMAL}\n[interests]\nenabled = true\nclassifier = \"propose\"\nmax_topics = 2\n\n\
             [[interests.page]]\npath = \"/products/bikes\"\ntopics = [369, 310]\n"
        );
        let interests = parse(&text, "crumb.toml").unwrap().interests;
        assert!(interests.enabled);
        assert_eq!((interests.classifier, interests.max_topics), (ClassifierMode::Propose, 2));
        let declared = interests.pages.topics_for("/products/bikes/road-1").unwrap();
        assert_eq!(declared, [crate::interests::TopicId(369), crate::interests::TopicId(310)]);
        let only_pages = format!("{MINIMAL}\n[[interests.page]]\npath = \"/\"\ntopics = [289]\n");
        assert!(!parse(&only_pages, "crumb.toml").unwrap().interests.enabled, "pages alone do not enable");
        let demo = crate::config::demo().interests;
        assert!(demo.enabled, "the demo shows interests: its topic pages and campaigns (docs/ad-slots.md)");
        assert_eq!(demo.pages.topics_for("/topics/bikes"), Some(&[crate::interests::TopicId(369)][..]), "bikes");
        assert_eq!(demo.pages.topics_for("/products"), Some(&[crate::interests::TopicId(451)][..]), "biscuits");
    }

    #[test]
    fn interest_mistakes_name_the_entry_and_the_bad_value() {
        let text = format!(
            "{MINIMAL}\n[interests]\nclassifier = \"guess\"\nmax_topics = 9\n\n\
             [[interests.page]]\npath = \"/bikes\"\ntopics = [369, 9999]\n\n\
             [[interests.page]]\npath = \"bikes\"\ntopics = [369]\n\n\
             [[interests.page]]\npath = \"/empty\"\ntopics = []\n\n\
             [[interests.page]]\npath = \"/twice\"\ntopics = [1]\n\n\
             [[interests.page]]\npath = \"/twice\"\ntopics = [1]\n"
        );
        let message = parse(&text, "crumb.toml").unwrap_err().to_string();
        for expected in [
            "crumb.toml:14: interests.classifier = \"guess\": must be \"off\" or \"propose\"",
            "crumb.toml:15: interests.max_topics = 9: must be 1 to 5",
            "crumb.toml:17: interests page: path \"/bikes\": topic 9999 is not in the Topics taxonomy v2",
            "interests page: path \"bikes\" must be / or /segments",
            "interests page: path \"/empty\": `topics` lists no topic",
            "interests page \"/twice\": another [[interests.page]] has this path",
        ] {
            assert!(message.contains(expected), "{expected:?} not in:\n{message}");
        }
    }
}
