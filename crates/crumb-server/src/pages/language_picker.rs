//! The language picker (`web/templates/layout/language_picker.html`): on the
//! demo's pages and on the policy page, a form that asks for the same page
//! with `?lang=` set. The page's own links carry `?lang=` on, so a language
//! chosen once is kept from page to page without a cookie.

use crumb_core::i18n::Language;

/// One language in the picker.
pub struct PickerOption {
    /// Its code, the value sent as `?lang=`.
    pub code: &'static str,
    /// Its name in itself ("Deutsch", "Polski"), marked with its own `lang`.
    pub name: &'static str,
    /// Whether it is the page's language.
    pub selected: bool,
}

/// What the picker template shows.
pub struct LanguagePicker {
    /// The select's label, in the page's language.
    pub label: &'static str,
    /// The submit button's text, in the page's language.
    pub submit: &'static str,
    /// The site's languages, in the order `crumb.toml` lists them.
    pub options: Vec<PickerOption>,
}

impl LanguagePicker {
    /// The picker for a page in `current` on a site offering `offered`;
    /// `None` when there is nothing to pick (one language).
    pub fn new(offered: &[Language], current: Language) -> Option<Self> {
        if offered.len() < 2 {
            return None;
        }
        let strings = current.strings();
        Some(LanguagePicker {
            label: strings.get("language_label"),
            submit: strings.get("language_submit"),
            options: offered
                .iter()
                .map(|&language| PickerOption {
                    code: language.code(),
                    name: language.strings().get("language_name"),
                    selected: language == current,
                })
                .collect(),
        })
    }
}
