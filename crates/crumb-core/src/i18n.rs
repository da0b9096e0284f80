//! Languages and the text of every page crumb shows: the banner, the
//! preference centre and the policy page (`web/i18n/<code>.json`), and the
//! account, administration, statistics and problem pages
//! (`web/i18n/pages/<code>.json`), both embedded at build time and read as
//! one set of messages per language (no key is in both).
//!
//! A message is either a string with `{name}` placeholders or, when it holds
//! a count, an object with one form per CLDR plural category of its
//! language (`{"one": "{n} day", "other": "{n} days"}`); [`Strings::count`]
//! picks the form with the language's CLDR rules ([`plural`]). Which
//! languages, which register and why ICU4X: `docs/languages.md`. Numbers
//! in messages and on pages are written the language's way ([`numbers`]).

pub mod numbers;
pub mod plural;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

pub use plural::PluralForm;

macro_rules! languages {
    ($($variant:ident $code:literal $english:literal,)*) => {
        /// A language crumb has a translation for: the 24 official
        /// languages of the European Union.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Language {
            $(#[doc = $english] $variant,)*
        }

        impl Language {
            /// Every language crumb has a translation for, by code.
            pub const ALL: &'static [Language] = &[$(Language::$variant,)*];

            /// The ISO 639-1 code.
            pub fn code(self) -> &'static str {
                match self {
                    $(Language::$variant => $code,)*
                }
            }

            /// The language's name in English (for logs and documentation).
            pub fn english_name(self) -> &'static str {
                match self {
                    $(Language::$variant => $english,)*
                }
            }

            /// The banner's and the policy's messages, then the pages'.
            fn sources(self) -> [&'static str; 2] {
                match self {
                    $(Language::$variant => [
                        include_str!(concat!("../../../web/i18n/", $code, ".json")),
                        include_str!(concat!("../../../web/i18n/pages/", $code, ".json")),
                    ],)*
                }
            }
        }
    };
}

languages! {
    Bg "bg" "Bulgarian",
    Cs "cs" "Czech",
    Da "da" "Danish",
    De "de" "German",
    El "el" "Greek",
    En "en" "English",
    Es "es" "Spanish",
    Et "et" "Estonian",
    Fi "fi" "Finnish",
    Fr "fr" "French",
    Ga "ga" "Irish",
    Hr "hr" "Croatian",
    Hu "hu" "Hungarian",
    It "it" "Italian",
    Lt "lt" "Lithuanian",
    Lv "lv" "Latvian",
    Mt "mt" "Maltese",
    Nl "nl" "Dutch",
    Pl "pl" "Polish",
    Pt "pt" "Portuguese",
    Ro "ro" "Romanian",
    Sk "sk" "Slovak",
    Sl "sl" "Slovenian",
    Sv "sv" "Swedish",
}

/// The language codes crumb has translations for.
pub fn codes() -> Vec<&'static str> {
    Language::ALL.iter().map(|l| l.code()).collect()
}

impl Language {
    /// Parses a code such as `fr` or `fr-CA` (the region is ignored).
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Language::ALL.iter().copied().find(|l| l.code() == primary)
    }

    /// This language's strings.
    pub fn strings(self) -> &'static Strings {
        static TABLES: OnceLock<Vec<Strings>> = OnceLock::new();
        let tables = TABLES.get_or_init(|| {
            Language::ALL
                .iter()
                .map(|&language| Strings {
                    language,
                    entries: language.sources().into_iter().flat_map(|source| parse(language, source)).collect(),
                })
                .collect()
        });
        // Every language is in ALL, so the position is always found; En is the
        // fallback only to avoid an unwrap.
        let index = Language::ALL.iter().position(|l| *l == self).unwrap_or(5);
        &tables[index]
    }

    /// The CLDR plural categories this language distinguishes for cardinal
    /// numbers (always including `other`), in CLDR order.
    pub fn plural_forms(self) -> Vec<PluralForm> {
        plural::forms(self)
    }
}

/// The messages of one translation file. The files are checked by a test;
/// a broken one shows its keys instead of text.
fn parse(language: Language, source: &str) -> BTreeMap<String, Message> {
    serde_json::from_str(source).unwrap_or_else(|error| {
        tracing::error!(language = language.code(), %error, "built-in translation is not valid JSON");
        BTreeMap::new()
    })
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

/// One message of a translation file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Message {
    /// A text with `{name}` placeholders.
    Text(String),
    /// A text that holds a count `{n}`: one form per CLDR plural category
    /// (`zero`, `one`, `two`, `few`, `many`, `other`) the language has.
    Plural(BTreeMap<String, String>),
}

/// One language's strings.
#[derive(Debug)]
pub struct Strings {
    language: Language,
    entries: BTreeMap<String, Message>,
}

impl Strings {
    /// The string for `key` (the key itself when missing, so a gap is
    /// visible, not silent). For a plural message, its `other` form.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        match self.entries.get(key) {
            Some(Message::Text(text)) => text,
            Some(Message::Plural(forms)) => forms.get("other").map_or(key, String::as_str),
            None => key,
        }
    }

    /// The string for `key` with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, values: &[(&str, &str)]) -> String {
        let template = self.get(key);
        let mut text = String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
        let mut rest = template;
        // One pass: each `{name}` with a value is replaced, anything else kept.
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after.find('}').and_then(|close| {
                let name = &after[..close];
                values.iter().find(|(n, _)| *n == name).map(|(_, value)| (*value, close))
            });
            match value {
                Some((value, close)) => {
                    text.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    text.push('{');
                    rest = after;
                }
            }
        }
        text.push_str(rest);
        text
    }

    /// The plural message `key` in the form CLDR's rules pick for `n` in
    /// this language, with `{n}` filled in as the language writes numbers:
    /// `count("days", 1)` is "1 day", `count("days", 5)` in Polish "5 dni",
    /// in Czech "5 dní", `count("days", 1000)` in German "1.000 Tage".
    pub fn count(&self, key: &str, n: u64) -> String {
        self.counted_form(key, n).replace("{n}", &self.number(n))
    }

    /// The form of the plural message `key` for `n`, `{n}` left in.
    fn counted_form<'a>(&'a self, key: &'a str, n: u64) -> &'a str {
        let form = plural::form_for(self.language, n);
        match self.entries.get(key) {
            Some(Message::Plural(forms)) => {
                forms.get(form.as_str()).or_else(|| forms.get("other")).map_or(key, String::as_str)
            }
            Some(Message::Text(text)) => text,
            None => key,
        }
    }

    /// The plural message `key` for `n` in three parts, the text before
    /// the number, the number, the text after it, for a page that marks
    /// the number up (`<strong>1.234</strong> Konten`).
    pub fn count_parts(&self, key: &str, n: u64) -> (String, String, String) {
        let text = self.counted_form(key, n);
        let (before, after) = text.split_once("{n}").unwrap_or((text, ""));
        (before.to_owned(), self.number(n), after.to_owned())
    }

    /// The message `key` with `values` filled in, in two parts around the
    /// placeholder `{at}`, for a page that puts the value there in markup
    /// of its own (`Signed in as <strong>…</strong>`).
    pub fn around(&self, key: &str, at: &str, values: &[(&str, &str)]) -> (String, String) {
        let text = self.fill(key, values);
        let mark = format!("{{{at}}}");
        match text.split_once(&mark) {
            Some((before, after)) => (before.to_owned(), after.to_owned()),
            None => (text, String::new()),
        }
    }

    /// A whole number as this language writes it ([`numbers::integer`]).
    pub fn number(&self, n: u64) -> String {
        numbers::integer(self.language, n)
    }

    /// A number with up to `fraction_digits` decimals, as this language
    /// writes it ([`numbers::decimal`]).
    pub fn decimal(&self, value: f64, fraction_digits: u8) -> String {
        numbers::decimal(self.language, value, fraction_digits)
    }

    /// The message for `key`, as the translation file has it.
    pub fn message(&self, key: &str) -> Option<&Message> {
        self.entries.get(key)
    }

    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The language these strings are in.
    pub fn language(&self) -> Language {
        self.language
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn fill_replaces_each_named_placeholder_once() {
        let en = Language::En.strings();
        assert_eq!(en.fill("ad_label", &[("advertiser", "Velo")]), "Advertisement · Velo");
        // A value is not read for placeholders (an advertiser may be called anything).
        assert_eq!(
            en.fill("ad_label", &[("advertiser", "{topic} {advertiser}"), ("topic", "x")]),
            "Advertisement · {topic} {advertiser}"
        );
        // A placeholder with no value stays, for `around`.
        assert_eq!(en.fill("ad_because_topic", &[]), "Because you read about {topic}");
        assert_eq!(en.around("ad_because_topic", "topic", &[]), ("Because you read about ".to_owned(), String::new()));
    }

    #[test]
    fn the_fallback_index_is_english() {
        assert_eq!(Language::ALL[5], Language::En);
        assert_eq!(Language::ALL.len(), 24);
    }
}
