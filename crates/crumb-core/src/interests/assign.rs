//! Which topics a page gets, and why: nothing when the page opts out;
//! else the declared topics when an `[[interests.page]]` entry covers its
//! path (they win); else the classifier's proposal when the site lets it
//! propose; else nothing. The proposal is computed in every case, so
//! that `crumb interests classify` can show it beside what wins.

use serde::Serialize;

use super::classifier::{Classifier, PageText, Proposal};
use super::opt_out::OptOut;
use super::pages::{PageEntry, PageTopics};
use super::taxonomy::TopicId;

/// What decided a page's topics.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Decision {
    /// The page opts out: no topics.
    OptedOut {
        /// How it opts out.
        opt_out: OptOut,
    },
    /// An `[[interests.page]]` entry covers the path.
    Declaration {
        /// The entry's path.
        entry: String,
    },
    /// The classifier proposed them (`classifier = "propose"`).
    Classifier,
    /// No entry covers the path and the classifier may not propose (or
    /// proposed nothing).
    Nothing,
}

/// A page's topics, what decided them, and what the classifier proposed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assignment {
    /// The topics the page gets (empty when it opts out or nothing applies).
    pub topics: Vec<TopicId>,
    /// What decided them.
    pub decision: Decision,
    /// The entry covering the path, if any (whether or not it won).
    pub declared: Option<PageEntry>,
    /// The classifier's proposal, best first (whether or not it won).
    pub proposals: Vec<Proposal>,
}

/// How a site assigns topics: its declared pages, whether the classifier
/// may propose, and how many topics it proposes.
#[derive(Clone, Copy, Debug)]
pub struct Rules<'a> {
    /// The `[[interests.page]]` entries.
    pub pages: &'a PageTopics,
    /// `classifier = "propose"`.
    pub propose: bool,
    /// How many topics the classifier proposes.
    pub max_topics: usize,
}

/// The topics of the page `text` (whose `path` is the request's path),
/// given its opt-out marker, if any.
pub fn assign(rules: Rules<'_>, text: &PageText, opt_out: Option<&OptOut>) -> Assignment {
    let declared = rules.pages.entry_for(&text.path).cloned();
    let proposals = Classifier::v2().classify(text, rules.max_topics);
    let (topics, decision) = match (opt_out, &declared) {
        (Some(opt_out), _) => (Vec::new(), Decision::OptedOut { opt_out: opt_out.clone() }),
        (None, Some(entry)) => (entry.topics.clone(), Decision::Declaration { entry: entry.path.clone() }),
        (None, None) if rules.propose && !proposals.is_empty() => {
            (proposals.iter().map(|p| p.topic).collect(), Decision::Classifier)
        }
        (None, None) => (Vec::new(), Decision::Nothing),
    };
    Assignment { topics, decision, declared, proposals }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interests::taxonomy::Taxonomy;

    fn text(path: &str, title: &str) -> PageText {
        PageText { path: path.into(), title: title.into(), ..PageText::default() }
    }

    #[test]
    fn declared_topics_win_over_the_classifier_and_an_opt_out_over_both() {
        let entry = PageEntry::new("/products", &[289], Taxonomy::v2()).unwrap();
        let pages = PageTopics::new(vec![entry]).unwrap();
        let rules = Rules { pages: &pages, propose: true, max_topics: 3 };
        let bikes = text("/products/bikes", "Road bikes and bicycle helmets");
        let declared = assign(rules, &bikes, None);
        assert_eq!(declared.topics, [TopicId(289)]);
        assert_eq!(declared.decision, Decision::Declaration { entry: "/products".into() });
        assert_eq!(declared.proposals[0].topic, TopicId(369), "the proposal is still shown");
        let out = assign(rules, &bikes, Some(&OptOut::Meta));
        assert!(out.topics.is_empty());
        assert_eq!(out.decision, Decision::OptedOut { opt_out: OptOut::Meta });
    }

    #[test]
    fn the_classifier_assigns_only_when_it_may_propose() {
        let pages = PageTopics::default();
        let bikes = text("/bikes", "Road bikes and bicycle helmets");
        let proposing = assign(Rules { pages: &pages, propose: true, max_topics: 3 }, &bikes, None);
        assert_eq!((proposing.topics[0], &proposing.decision), (TopicId(369), &Decision::Classifier));
        let off = assign(Rules { pages: &pages, propose: false, max_topics: 3 }, &bikes, None);
        assert!(off.topics.is_empty());
        assert_eq!(off.decision, Decision::Nothing);
        assert!(!off.proposals.is_empty());
    }
}
