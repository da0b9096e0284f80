//! The built-in classifier: proposes the topics of the taxonomy a page is
//! about from its URL path, `<title>`, `<meta name="keywords">` and
//! headings. A deterministic keyword model ([`model`]) built from the
//! taxonomy's own names and a small synonym file; no learning, no network.
//!
//! Scoring: every term of the model found in a field adds its weight times
//! the field's ([`Field::weight`]: title 3, headings 2, keywords 1.5, path
//! 1; a term counts once per field) to the topics that have it. A topic's
//! score is its own plus half its parent's, a quarter its grandparent's
//! (and so on), so that "Comedy Films" with the word "movies" beats
//! "Movies" when the page also says "comedy" (words a topic has itself
//! count once, at its own weight). Only topics with words of their own
//! are proposed, best first (ties: the shallower, whose words they are,
//! then the lower id); a topic is left out when a proposed topic above or
//! below it is already proposed (the better of the two carries the words). Its accuracy on a labelled set is in docs/interests.md.

pub mod model;
pub mod words;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;

use crate::interests::taxonomy::{Taxonomy, TopicId};
use model::{Model, TermSource};
use words::words;

/// How many topics [`Classifier::classify`] proposes unless told otherwise.
pub const DEFAULT_MAX_TOPICS: usize = 3;
/// The lowest score proposed. A word only one topic has (weight about 6)
/// passes in any field, the path included; a word a dozen topics share
/// (about 3.7) passes in the keywords, headings or title, not the path alone.
pub const MIN_SCORE: f64 = 4.0;

/// The text of a page the classifier reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageText {
    /// The URL path (`/products/bikes/road-1`).
    pub path: String,
    /// The `<title>`.
    pub title: String,
    /// `<meta name="keywords" content="…">`.
    pub keywords: String,
    /// The `<h1>`–`<h3>` headings, in order.
    pub headings: Vec<String>,
}

/// Where on the page a word was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    /// The `<title>`.
    Title,
    /// An `<h1>`–`<h3>` heading.
    Heading,
    /// `<meta name="keywords">`.
    Keywords,
    /// The URL path.
    Path,
}

impl Field {
    /// How much a term found here counts.
    pub fn weight(self) -> f64 {
        match self {
            Field::Title => 3.0,
            Field::Heading => 2.0,
            Field::Keywords => 1.5,
            Field::Path => 1.0,
        }
    }

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Heading => "heading",
            Field::Keywords => "keywords",
            Field::Path => "path",
        }
    }
}

/// One reason for a proposal: words of a field that are a term of a topic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// Where the words are.
    pub field: Field,
    /// The words, as the page writes them (lower case).
    pub words: String,
    /// The topic whose term they are: the proposed one or one above it.
    pub topic: TopicId,
    /// Whether the term is from the topic's name or the synonym file.
    pub from_synonyms: bool,
    /// What it added to the proposal's score.
    pub points: f64,
}

/// A topic the classifier proposes, with its score and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Proposal {
    /// The topic.
    pub topic: TopicId,
    /// Its score (the sum of its evidence's points).
    pub score: f64,
    /// The words that led to it.
    pub evidence: Vec<Evidence>,
}

/// The classifier: the model of the embedded taxonomy v2.
#[derive(Debug)]
pub struct Classifier {
    model: Model,
    taxonomy: &'static Taxonomy,
}

impl Classifier {
    /// The classifier of the embedded taxonomy and synonym file.
    pub fn v2() -> &'static Classifier {
        static V2: OnceLock<Classifier> = OnceLock::new();
        V2.get_or_init(|| match Model::v2() {
            Ok(model) => Classifier { model, taxonomy: Taxonomy::v2() },
            // The synonym file is a constant of the build and the unit test
            // `a_synonym_line_must_name_a_topic` reads it: it cannot fail here.
            Err(error) => unreachable!("the embedded synonym file does not read: {error}"),
        })
    }

    /// Up to `max` topics `page` is about, best first; empty when nothing
    /// scores [`MIN_SCORE`].
    pub fn classify(&self, page: &PageText, max: usize) -> Vec<Proposal> {
        let own = self.own_evidence(page);
        let mut scored: Vec<Proposal> = own
            .keys()
            .map(|&topic| {
                let mut evidence = Vec::new();
                let mut factor = 1.0;
                let mut current = Some(topic);
                while let Some(id) = current {
                    for item in own.get(&id).into_iter().flatten() {
                        // Words the topic has itself count once, at its own weight.
                        let counted =
                            evidence.iter().any(|e: &Evidence| e.field == item.field && e.words == item.words);
                        if !counted {
                            evidence.push(Evidence { points: item.points * factor, ..item.clone() });
                        }
                    }
                    factor /= 2.0;
                    current = self.taxonomy.get(id).and_then(|t| t.parent);
                }
                let score = evidence.iter().map(|e| e.points).sum();
                Proposal { topic, score, evidence }
            })
            .filter(|proposal| proposal.score >= MIN_SCORE)
            .collect();
        let depth = |id: TopicId| self.taxonomy.get(id).map_or(0, |t| t.depth);
        scored.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| depth(a.topic).cmp(&depth(b.topic)))
                .then_with(|| a.topic.cmp(&b.topic))
        });
        let mut chosen: Vec<Proposal> = Vec::new();
        for proposal in scored {
            if chosen.len() >= max {
                break;
            }
            let covered = chosen.iter().any(|c| {
                self.taxonomy.is_within(c.topic, proposal.topic) || self.taxonomy.is_within(proposal.topic, c.topic)
            });
            if !covered {
                chosen.push(proposal);
            }
        }
        chosen
    }

    /// Each topic's own evidence: the terms of its own found on the page.
    fn own_evidence(&self, page: &PageText) -> BTreeMap<TopicId, Vec<Evidence>> {
        let fields = [
            (Field::Title, words(&page.title)),
            (Field::Heading, words(&page.headings.join(" | "))),
            (Field::Keywords, words(&page.keywords)),
            (Field::Path, words(&page.path)),
        ];
        let mut own: BTreeMap<TopicId, Vec<Evidence>> = BTreeMap::new();
        for (field, text) in &fields {
            for (term, written) in self.model.matches(text) {
                for &(topic, source) in &term.topics {
                    own.entry(topic).or_default().push(Evidence {
                        field: *field,
                        words: written.clone(),
                        topic,
                        from_synonyms: source == TermSource::Synonym,
                        points: field.weight() * term.weight,
                    });
                }
            }
        }
        own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(path: &str, title: &str) -> PageText {
        PageText { path: path.into(), title: title.into(), ..PageText::default() }
    }

    #[test]
    fn a_bicycle_page_is_about_bicycles_and_says_why() {
        let proposals = Classifier::v2().classify(&page("/products/bikes", "Bicycles and bicycle accessories"), 3);
        let first = proposals.first().expect("a proposal");
        assert_eq!(first.topic, TopicId(369));
        assert!(first.evidence.iter().any(|e| e.field == Field::Title && e.words == "bicycles"), "{first:?}");
        let sum: f64 = first.evidence.iter().map(|e| e.points).sum();
        assert!((sum - first.score).abs() < 1e-9);
    }

    #[test]
    fn a_child_with_its_own_word_beats_its_parent_and_hides_it() {
        let proposals = Classifier::v2().classify(&page("/", "Comedy films and movies"), 3);
        assert_eq!(proposals[0].topic, TopicId(15), "{proposals:?}");
        assert!(proposals.iter().all(|p| p.topic != TopicId(12)), "Movies is carried by Comedy Films");
    }

    #[test]
    fn the_same_page_gives_the_same_answer_and_nothing_gives_nothing() {
        let text = page("/a/b", "Jazz concerts and rock music festivals");
        assert_eq!(Classifier::v2().classify(&text, 3), Classifier::v2().classify(&text, 3));
        assert!(Classifier::v2().classify(&page("/", "Welcome"), 3).is_empty());
        assert!(Classifier::v2().classify(&text, 1).len() <= 1);
    }
}
