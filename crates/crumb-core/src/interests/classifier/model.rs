//! The keyword model: for every topic of the taxonomy, the terms that say
//! a page is about it, each with a weight.
//!
//! A topic's terms come from its own name, split at `&`, `,`, `/` and
//! parentheses ("Bicycles & Accessories" gives "bicycle" and "accessory";
//! a part of several words, "Science Fiction", is also a phrase; a
//! hyphenated word, "Off-Road", only a phrase), and from
//! the hand-written synonym file `data/interests-synonyms.tsv`. A term's
//! weight is its inverse topic frequency, `ln(1 + N / n)` for `N` topics
//! of which `n` have the term, so that a word many topics share
//! ("equipment", "music") counts for less than one only a few have; a
//! phrase of `k` words counts `1 + (k - 1) / 2` times that; the generic
//! words of [`WEAK_WORDS`] a quarter.

use std::collections::BTreeMap;

use super::words::{words, Word};
use crate::interests::taxonomy::{Taxonomy, TopicId};

/// The embedded synonym file: `id<TAB>term; term; …` per line, `#` comments.
const SYNONYMS: &str = include_str!("../../../data/interests-synonyms.tsv");

/// Name words that say little on their own: they count a quarter.
const WEAK_WORDS: &[&str] = &[
    "accessori",
    "care",
    "equipment",
    "general",
    "good",
    "item",
    "product",
    "resource",
    "service",
    "special",
    "suppli",
    "system",
    "type",
];

/// Where a term of a topic comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TermSource {
    /// A word or phrase of the topic's own name.
    Name,
    /// The synonym file.
    Synonym,
}

/// One term: a word or a phrase of stems, the topics that have it and
/// what it weighs.
#[derive(Clone, Debug)]
pub struct Term {
    /// Its stems, in order (one for a single word).
    pub stems: Vec<String>,
    /// The topics that have it, with where each got it.
    pub topics: Vec<(TopicId, TermSource)>,
    /// Its weight (see the module's documentation).
    pub weight: f64,
}

/// Why the synonym file does not read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SynonymError {
    /// A line is not `id<TAB>terms`.
    #[error("interests-synonyms.tsv line {line}: expected `id<TAB>term; term; …`")]
    Malformed {
        /// The 1-based line.
        line: usize,
    },
    /// A line names a topic the taxonomy does not have.
    #[error("interests-synonyms.tsv line {line}: topic {id} is not in the taxonomy")]
    UnknownTopic {
        /// The 1-based line.
        line: usize,
        /// The id.
        id: u16,
    },
}

/// Every term, by its first stem.
#[derive(Debug)]
pub struct Model {
    by_first_stem: BTreeMap<String, Vec<Term>>,
}

impl Model {
    /// The model of `taxonomy` with the synonyms of `synonyms` (the file's format).
    pub fn build(taxonomy: &Taxonomy, synonyms: &str) -> Result<Model, SynonymError> {
        let mut terms: BTreeMap<Vec<String>, Vec<(TopicId, TermSource)>> = BTreeMap::new();
        let mut add = |stems: Vec<String>, topic: TopicId, source: TermSource| {
            let single_letter = stems.len() == 1 && stems[0].chars().count() < 2;
            if stems.is_empty() || single_letter {
                return;
            }
            let owners = terms.entry(stems).or_default();
            if !owners.iter().any(|&(owner, _)| owner == topic) {
                owners.push((topic, source));
            }
        };
        for topic in taxonomy.topics() {
            for part in topic.name.split(['&', ',', '/', '(', ')']) {
                let stems: Vec<String> = words(part).into_iter().map(|w| w.stem).collect();
                if stems.len() > 1 {
                    add(stems, topic.id, TermSource::Name);
                }
                // A hyphenated word ("Off-Road", "Make-Up") is a phrase
                // only: its halves alone ("road") would mislead.
                for chunk in part.split_whitespace() {
                    let stems: Vec<String> = words(chunk).into_iter().map(|w| w.stem).collect();
                    if stems.len() == 1 || !chunk.contains('-') {
                        for stem in stems {
                            add(vec![stem], topic.id, TermSource::Name);
                        }
                    } else {
                        add(stems, topic.id, TermSource::Name);
                    }
                }
            }
        }
        for (index, line) in synonyms.lines().enumerate() {
            let number = index + 1;
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let (id, list) = line.split_once('\t').ok_or(SynonymError::Malformed { line: number })?;
            let id: u16 = id.trim().parse().map_err(|_| SynonymError::Malformed { line: number })?;
            if !taxonomy.contains(TopicId(id)) {
                return Err(SynonymError::UnknownTopic { line: number, id });
            }
            for synonym in list.split(';') {
                let stems: Vec<String> = words(synonym).into_iter().map(|w| w.stem).collect();
                add(stems, TopicId(id), TermSource::Synonym);
            }
        }
        let count = taxonomy.len() as f64;
        let mut by_first_stem: BTreeMap<String, Vec<Term>> = BTreeMap::new();
        for (stems, topics) in terms {
            let idf = (1.0 + count / topics.len() as f64).ln();
            let weak = stems.len() == 1 && WEAK_WORDS.contains(&stems[0].as_str());
            let length = 1.0 + (stems.len() as f64 - 1.0) / 2.0;
            let weight = idf * length * if weak { 0.25 } else { 1.0 };
            by_first_stem.entry(stems[0].clone()).or_default().push(Term { stems, topics, weight });
        }
        Ok(Model { by_first_stem })
    }

    /// The model of the embedded taxonomy and synonym file.
    pub fn v2() -> Result<Model, SynonymError> {
        Model::build(Taxonomy::v2(), SYNONYMS)
    }

    /// The terms found in `text`'s words, each once, with the words of
    /// the text that matched it.
    pub fn matches<'m>(&'m self, text: &[Word]) -> Vec<(&'m Term, String)> {
        let mut found: Vec<(&Term, String)> = Vec::new();
        for start in 0..text.len() {
            let Some(candidates) = self.by_first_stem.get(&text[start].stem) else { continue };
            for term in candidates {
                let end = start + term.stems.len();
                let matched = end <= text.len()
                    && text[start..end].iter().zip(&term.stems).all(|(word, stem)| &word.stem == stem);
                if matched && !found.iter().any(|(seen, _)| std::ptr::eq(*seen, term)) {
                    let written: Vec<&str> = text[start..end].iter().map(|w| w.text.as_str()).collect();
                    found.push((term, written.join(" ")));
                }
            }
        }
        found
    }

    /// How many distinct terms the model has.
    pub fn term_count(&self) -> usize {
        self.by_first_stem.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_words_and_phrases_weighted_by_rarity() {
        let model = Model::build(Taxonomy::v2(), "").expect("no synonyms");
        let text = words("science fiction equipment");
        let found = model.matches(&text);
        let phrase = found.iter().find(|(t, _)| t.stems.len() == 2).expect("the phrase");
        assert_eq!(phrase.1, "science fiction");
        assert!(phrase.0.topics.contains(&(TopicId(358), TermSource::Name)));
        let equipment = found.iter().find(|(t, _)| t.stems == ["equipment"]).expect("equipment");
        assert!(equipment.0.topics.len() > 5, "many topics are equipment");
        assert!(equipment.0.weight < phrase.0.weight);
    }

    #[test]
    fn a_synonym_line_must_name_a_topic() {
        assert_eq!(Model::build(Taxonomy::v2(), "369\tbike").map(|m| m.term_count() > 0), Ok(true));
        assert_eq!(
            Model::build(Taxonomy::v2(), "# c\n9999\tbike").unwrap_err(),
            SynonymError::UnknownTopic { line: 2, id: 9999 }
        );
        assert_eq!(Model::build(Taxonomy::v2(), "bike").unwrap_err(), SynonymError::Malformed { line: 1 });
        assert!(Model::v2().is_ok(), "the embedded file reads");
    }
}
