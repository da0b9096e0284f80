//! Languages and the text of the banner, the preference centre and the
//! policy page (`web/i18n/<code>.json`, embedded at build time).

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A language crumb has a translation for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// English.
    En,
    /// French.
    Fr,
    /// German.
    De,
    /// Spanish.
    Es,
    /// Italian.
    It,
    /// Dutch.
    Nl,
    /// Portuguese.
    Pt,
    /// Polish.
    Pl,
}

const ALL: [Language; 8] =
    [Language::En, Language::Fr, Language::De, Language::Es, Language::It, Language::Nl, Language::Pt, Language::Pl];

/// The language codes crumb has translations for.
pub fn codes() -> Vec<&'static str> {
    ALL.iter().map(|l| l.code()).collect()
}

impl Language {
    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::De => "de",
            Language::Es => "es",
            Language::It => "it",
            Language::Nl => "nl",
            Language::Pt => "pt",
            Language::Pl => "pl",
        }
    }

    /// Parses a code such as `fr` or `fr-CA` (the region is ignored).
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        ALL.into_iter().find(|l| l.code() == primary)
    }

    fn source(self) -> &'static str {
        match self {
            Language::En => include_str!("../../../web/i18n/en.json"),
            Language::Fr => include_str!("../../../web/i18n/fr.json"),
            Language::De => include_str!("../../../web/i18n/de.json"),
            Language::Es => include_str!("../../../web/i18n/es.json"),
            Language::It => include_str!("../../../web/i18n/it.json"),
            Language::Nl => include_str!("../../../web/i18n/nl.json"),
            Language::Pt => include_str!("../../../web/i18n/pt.json"),
            Language::Pl => include_str!("../../../web/i18n/pl.json"),
        }
    }

    /// This language's strings.
    pub fn strings(self) -> &'static Strings {
        static TABLES: OnceLock<Vec<Strings>> = OnceLock::new();
        let tables = TABLES.get_or_init(|| {
            ALL.iter()
                .map(|language| Strings {
                    // The files are checked by a test; a broken one shows its keys instead of text.
                    entries: serde_json::from_str(language.source()).unwrap_or_else(|error| {
                        tracing::error!(language = language.code(), %error, "built-in translation is not valid JSON");
                        BTreeMap::new()
                    }),
                })
                .collect()
        });
        &tables[ALL.iter().position(|l| *l == self).unwrap_or(0)]
    }
}

/// Picks the visitor's language among `offered`: an explicit choice first,
/// then `Accept-Language` in order of preference, then the first offered.
pub fn negotiate(offered: &[Language], explicit: Option<&str>, accept_language: Option<&str>) -> Language {
    let fallback = offered.first().copied().unwrap_or(Language::En);
    if let Some(language) = explicit.and_then(Language::parse).filter(|l| offered.contains(l)) {
        return language;
    }
    let Some(header) = accept_language else { return fallback };
    let mut ranges: Vec<(f32, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(index, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (quality > 0.0).then_some((quality, index, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.iter().find_map(|(_, _, tag)| Language::parse(tag).filter(|l| offered.contains(l))).unwrap_or(fallback)
}

/// One language's strings.
#[derive(Debug, Default)]
pub struct Strings {
    entries: BTreeMap<String, String>,
}

impl Strings {
    /// The string for `key` (the key itself when missing, so a gap is visible, not silent).
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.entries.get(key).map_or(key, String::as_str)
    }

    /// The string for `key` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// Every entry, for the script.
    pub fn entries(&self) -> &BTreeMap<String, String> {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_translation_has_every_key() {
        let english: Vec<&String> = Language::En.strings().entries().keys().collect();
        assert!(english.len() > 40);
        for language in ALL {
            let keys: Vec<&String> = language.strings().entries().keys().collect();
            assert_eq!(keys, english, "{}", language.code());
            for (key, value) in language.strings().entries() {
                assert!(!value.trim().is_empty(), "{}:{key} is empty", language.code());
            }
        }
    }

    #[test]
    fn negotiation() {
        let offered = [Language::En, Language::Fr, Language::De];
        assert_eq!(negotiate(&offered, None, Some("de-CH, fr;q=0.9, en;q=0.8")), Language::De);
        assert_eq!(negotiate(&offered, None, Some("es, fr;q=0.5")), Language::Fr);
        assert_eq!(negotiate(&offered, None, Some("fr;q=0.2, de;q=0.7")), Language::De);
        assert_eq!(negotiate(&offered, Some("fr"), Some("de")), Language::Fr);
        assert_eq!(negotiate(&offered, Some("pl"), None), Language::En, "not offered");
        assert_eq!(negotiate(&offered, None, Some("de;q=0")), Language::En);
    }
}
