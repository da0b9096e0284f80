//! CLDR plural rules, from ICU4X (`icu_plurals` with its compiled data):
//! which form of a counted message a number takes in a language.

use std::fmt;

use icu_locale_core::LanguageIdentifier;
use icu_plurals::{PluralCategory, PluralRules};

use super::Language;

/// A CLDR plural category: the form a counted message takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluralForm {
    /// `zero` (Latvian 0, 10–20, 30 …).
    Zero,
    /// `one`.
    One,
    /// `two` (Irish, Maltese, Slovenian).
    Two,
    /// `few` (Czech 2–4, Polish 2–4, 22–24 …).
    Few,
    /// `many` (Polish 5–21, Irish 7–10 …, French 1 000 000).
    Many,
    /// `other`: every language has it.
    Other,
}

impl PluralForm {
    /// The category's CLDR name, the key of the form in a translation file.
    pub fn as_str(self) -> &'static str {
        match self {
            PluralForm::Zero => "zero",
            PluralForm::One => "one",
            PluralForm::Two => "two",
            PluralForm::Few => "few",
            PluralForm::Many => "many",
            PluralForm::Other => "other",
        }
    }

    fn from_icu(category: PluralCategory) -> Self {
        match category {
            PluralCategory::Zero => PluralForm::Zero,
            PluralCategory::One => PluralForm::One,
            PluralCategory::Two => PluralForm::Two,
            PluralCategory::Few => PluralForm::Few,
            PluralCategory::Many => PluralForm::Many,
            PluralCategory::Other => PluralForm::Other,
        }
    }
}

impl fmt::Display for PluralForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The cardinal rules of `language`; `None` only if ICU4X's compiled data
/// lacked the language (a test checks that it has all 24).
fn rules(language: Language) -> Option<PluralRules> {
    let id = LanguageIdentifier::try_from_str(language.code()).ok()?;
    PluralRules::try_new_cardinal((&id).into()).ok()
}

/// The form `n` takes in `language` (`other` if the rules were missing).
pub fn form_for(language: Language, n: u64) -> PluralForm {
    rules(language).map_or(PluralForm::Other, |rules| PluralForm::from_icu(rules.category_for(n)))
}

/// The forms `language` distinguishes for cardinal numbers, in CLDR order
/// (zero, one, two, few, many, other).
pub fn forms(language: Language) -> Vec<PluralForm> {
    let mut forms: Vec<PluralForm> = match rules(language) {
        Some(rules) => rules.categories().map(PluralForm::from_icu).collect(),
        None => vec![PluralForm::Other],
    };
    forms.sort();
    forms
}

/// Whether ICU4X has rules for `language` (for the test that every
/// language crumb offers has them).
pub fn has_rules(language: Language) -> bool {
    rules(language).is_some()
}
