//! Consent rules: what a visitor's decision means for this site's
//! declaration — which categories it grants (only declared ones, never
//! `necessary`, which needs no consent), which a privacy signal the site
//! honours refuses anyway, which are refused, in which language it was
//! made, and whether it gives, updates or withdraws consent.

use std::collections::BTreeSet;

use crumb_store::ConsentAction;

use crate::category::{Category, Signal, Signals};
use crate::config::Config;
use crate::i18n::Language;

/// A decision checked against the declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Optional categories granted (after privacy signals).
    pub granted: BTreeSet<Category>,
    /// Declared optional categories not granted.
    pub refused: Vec<Category>,
    /// Categories the visitor asked for that a signal refused, with the signal.
    pub refused_by_signal: Vec<(Category, Signal)>,
    /// The language the decision was made in.
    pub language: Language,
}

/// Why a decision cannot be recorded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    /// A category crumb does not know.
    #[error("granted: unknown category {0:?}; use preferences, statistics or marketing")]
    UnknownCategory(String),
    /// A category the site declares no cookie of.
    #[error("granted: this site declares no {} cookie, so there is nothing to grant", .0.id())]
    Undeclared(Category),
    /// A language the site does not offer.
    #[error("language: {0:?} is not one of this site's languages")]
    Language(String),
}

/// Checks `granted` (category ids) and `language` against the declaration,
/// and applies the privacy signals the site honours.
pub fn decide(
    config: &Config,
    granted: &[String],
    language: Option<&str>,
    honoured: Signals,
) -> Result<Decision, DecisionError> {
    let declared = config.categories();
    let mut wanted = BTreeSet::new();
    for id in granted {
        match Category::parse(id) {
            Some(Category::Necessary) => {}
            Some(category) if declared.contains(&category) => {
                wanted.insert(category);
            }
            Some(category) => return Err(DecisionError::Undeclared(category)),
            None => return Err(DecisionError::UnknownCategory(id.clone())),
        }
    }
    let language = match language {
        None => config.default_language(),
        Some(code) => Language::parse(code)
            .filter(|l| config.languages.contains(l))
            .ok_or_else(|| DecisionError::Language(code.to_owned()))?,
    };
    let mut refused_by_signal = Vec::new();
    let granted: BTreeSet<Category> = wanted
        .into_iter()
        .filter(|category| match honoured.refuses(*category) {
            Some(signal) => {
                refused_by_signal.push((*category, signal));
                false
            }
            None => true,
        })
        .collect();
    let refused = Category::OPTIONAL.into_iter().filter(|c| declared.contains(c) && !granted.contains(c)).collect();
    Ok(Decision { granted, refused, refused_by_signal, language })
}

/// What a decision does, given the categories the browser's previous
/// decision granted (`None`: there was none): gives consent, withdraws it
/// (something was granted, now nothing is), or updates it.
pub fn action(previously_granted: Option<&BTreeSet<Category>>, granted: &BTreeSet<Category>) -> ConsentAction {
    match previously_granted {
        None => ConsentAction::Given,
        Some(previous) if !previous.is_empty() && granted.is_empty() => ConsentAction::Withdrawn,
        Some(_) => ConsentAction::Updated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn only_declared_optional_categories_are_granted() {
        let config = crate::config::demo();
        let decision = decide(&config, &ids(&["necessary", "statistics"]), None, Signals::default()).unwrap();
        assert_eq!(decision.granted, BTreeSet::from([Category::Statistics]));
        assert!(decision.refused.contains(&Category::Marketing) && !decision.refused.contains(&Category::Necessary));
        assert_eq!(decision.language, config.default_language());
        assert_eq!(
            decide(&config, &ids(&["cookies"]), None, Signals::default()),
            Err(DecisionError::UnknownCategory("cookies".into()))
        );
        assert_eq!(decide(&config, &[], Some("xx"), Signals::default()), Err(DecisionError::Language("xx".into())));
    }

    #[test]
    fn an_honoured_signal_refuses_what_it_objects_to() {
        let config = crate::config::demo();
        let gpc = Signals { gpc: true, dnt: false };
        let decision = decide(&config, &ids(&["statistics", "marketing"]), None, gpc).unwrap();
        assert_eq!(decision.granted, BTreeSet::from([Category::Statistics]));
        assert_eq!(decision.refused_by_signal, vec![(Category::Marketing, Signal::Gpc)]);
        assert!(decision.refused.contains(&Category::Marketing));
    }

    #[test]
    fn given_updated_withdrawn() {
        let some = BTreeSet::from([Category::Statistics]);
        let none = BTreeSet::new();
        assert_eq!(action(None, &none), ConsentAction::Given);
        assert_eq!(action(Some(&some), &none), ConsentAction::Withdrawn);
        assert_eq!(action(Some(&none), &none), ConsentAction::Updated);
        assert_eq!(action(Some(&none), &some), ConsentAction::Updated);
    }
}
