//! The translations: every language has every message of English, with the
//! same placeholders, and every counted message has exactly the plural forms
//! CLDR gives its language; the forms are picked by CLDR's rules. Both file
//! sets are covered: the banner's and policy's (`web/i18n/<code>.json`) and
//! the pages' (`web/i18n/pages/<code>.json`); numbers are written each
//! language's way.

use std::collections::BTreeSet;

use crumb_core::config::Lifetime;
use crumb_core::i18n::{codes, negotiate, Language, Message, PluralForm};

/// The `{name}` placeholders of a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else { break };
        found.insert(rest[start + 1..start + end].to_owned());
        rest = &rest[start + end + 1..];
    }
    found
}

fn forms(names: &[&str]) -> Vec<PluralForm> {
    let mut forms: Vec<PluralForm> = names
        .iter()
        .map(|name| match *name {
            "zero" => PluralForm::Zero,
            "one" => PluralForm::One,
            "two" => PluralForm::Two,
            "few" => PluralForm::Few,
            "many" => PluralForm::Many,
            _ => PluralForm::Other,
        })
        .collect();
    forms.sort();
    forms
}

#[test]
fn the_24_official_languages_of_the_eu() {
    assert_eq!(
        codes(),
        [
            "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv", "mt", "nl",
            "pl", "pt", "ro", "sk", "sl", "sv"
        ]
    );
    for language in Language::ALL {
        assert_eq!(Language::parse(language.code()), Some(*language));
        assert_eq!(Language::parse(&format!("{}-XX", language.code().to_uppercase())), Some(*language));
    }
}

/// CLDR's cardinal categories per language (CLDR 46, as ICU4X 2 ships
/// them): a second source, so that a language ICU4X lacked (and answered
/// with the root locale's "other" only) would fail here.
#[test]
fn icu4x_has_the_cldr_plural_rules_of_every_language() {
    let expected: &[(&str, &[&str])] = &[
        ("bg", &["one", "other"]),
        ("cs", &["one", "few", "many", "other"]),
        ("da", &["one", "other"]),
        ("de", &["one", "other"]),
        ("el", &["one", "other"]),
        ("en", &["one", "other"]),
        ("es", &["one", "many", "other"]),
        ("et", &["one", "other"]),
        ("fi", &["one", "other"]),
        ("fr", &["one", "many", "other"]),
        ("ga", &["one", "two", "few", "many", "other"]),
        ("hr", &["one", "few", "other"]),
        ("hu", &["one", "other"]),
        ("it", &["one", "many", "other"]),
        ("lt", &["one", "few", "many", "other"]),
        ("lv", &["zero", "one", "other"]),
        ("mt", &["one", "two", "few", "many", "other"]),
        ("nl", &["one", "other"]),
        ("pl", &["one", "few", "many", "other"]),
        ("pt", &["one", "many", "other"]),
        ("ro", &["one", "few", "other"]),
        ("sk", &["one", "few", "many", "other"]),
        ("sl", &["one", "two", "few", "other"]),
        ("sv", &["one", "other"]),
    ];
    assert_eq!(expected.len(), Language::ALL.len());
    for (code, names) in expected {
        let language = Language::parse(code).unwrap();
        assert_eq!(language.plural_forms(), forms(names), "{code}");
    }
}

#[test]
fn every_language_has_every_message_of_english_with_the_same_placeholders_and_its_plural_forms() {
    let english = Language::En.strings();
    let keys: Vec<&str> = english.keys().collect();
    assert!(keys.len() > 60, "{}", keys.len());
    let plural_keys: Vec<&str> =
        keys.iter().copied().filter(|k| matches!(english.message(k), Some(Message::Plural(_)))).collect();
    assert!(
        [
            "days",
            "hours",
            "consent_days",
            "stats_visitors",
            "stats_days",
            "stats_values",
            "account_chars",
            "err_seconds",
            "admin_consent_records",
            "admin_accounts"
        ]
        .iter()
        .all(|k| plural_keys.contains(k)),
        "{plural_keys:?}"
    );
    let mut problems = Vec::new();
    for &language in Language::ALL {
        let code = language.code();
        let strings = language.strings();
        let theirs: Vec<&str> = strings.keys().collect();
        for key in &keys {
            if !theirs.contains(key) {
                problems.push(format!("{code}: {key} is missing"));
            }
        }
        for key in &theirs {
            if !keys.contains(key) {
                problems.push(format!("{code}: {key} is not in en.json"));
            }
        }
        let required = language.plural_forms();
        for key in &keys {
            let (Some(ours), Some(message)) = (english.message(key), strings.message(key)) else { continue };
            match (ours, message) {
                (Message::Text(en), Message::Text(text)) => {
                    if text.trim().is_empty() {
                        problems.push(format!("{code}: {key} is empty"));
                    }
                    if placeholders(text) != placeholders(en) {
                        problems.push(format!(
                            "{code}: {key} has placeholders {:?}, English {:?}",
                            placeholders(text),
                            placeholders(en)
                        ));
                    }
                }
                (Message::Plural(en), Message::Plural(plural)) => {
                    let wanted = placeholders(&en["other"]);
                    let have: Vec<PluralForm> = forms(&plural.keys().map(String::as_str).collect::<Vec<_>>());
                    let unknown: Vec<&String> = plural
                        .keys()
                        .filter(|k| !["zero", "one", "two", "few", "many", "other"].contains(&k.as_str()))
                        .collect();
                    if have != required || !unknown.is_empty() {
                        problems.push(format!("{code}: {key} has forms {:?}, CLDR wants {required:?}", plural.keys()));
                    }
                    for (form, text) in plural {
                        if text.trim().is_empty() {
                            problems.push(format!("{code}: {key}.{form} is empty"));
                        }
                        if placeholders(text) != wanted {
                            problems.push(format!("{code}: {key}.{form} has placeholders {:?}", placeholders(text)));
                        }
                    }
                }
                _ => problems.push(format!("{code}: {key} is plural in one language and not in the other")),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn counts_take_the_form_cldr_gives_them() {
    let day = |code: &str, n: u64| Language::parse(code).unwrap().strings().count("days", n);
    assert_eq!(day("en", 1), "1 day");
    assert_eq!(day("en", 400), "400 days");
    // Polish: one, few (2–4, 22–24 …), many (5–21, 25 …, 112).
    assert_eq!(day("pl", 1), "1 dzień");
    assert_eq!(day("pl", 3), "3 dni");
    let hour = |code: &str, n: u64| Language::parse(code).unwrap().strings().count("hours", n);
    assert_eq!(hour("pl", 1), "1 godzina");
    assert_eq!(hour("pl", 2), "2 godziny");
    assert_eq!(hour("pl", 5), "5 godzin");
    assert_eq!(hour("pl", 22), "22 godziny");
    assert_eq!(hour("pl", 112), "112 godzin");
    // Czech: one, few (2–4), other (5 and more).
    assert_eq!(day("cs", 1), "1 den");
    assert_eq!(day("cs", 4), "4 dny");
    assert_eq!(day("cs", 400), "400 dní");
    // Lithuanian: one (1, 21, 31 … but not 11), few (2–9, 22 …), other (10–20, 30 …).
    assert_eq!(day("lt", 1), "1 diena");
    assert_eq!(day("lt", 11), "11 dienų");
    assert_eq!(day("lt", 21), "21 diena");
    assert_eq!(day("lt", 22), "22 dienos");
    assert_eq!(day("lt", 30), "30 dienų");
    // Irish: one, two, few (3–6), many (7–10), other.
    assert_eq!(hour("ga", 1), "1 uair an chloig");
    assert_eq!(hour("ga", 2), "2 uair an chloig");
    assert_eq!(hour("ga", 3), "3 huaire an chloig");
    assert_eq!(hour("ga", 8), "8 n-uaire an chloig");
    assert_eq!(hour("ga", 11), "11 uair an chloig");
    // Slovenian: one (1, 101), two (2, 102), few (3–4), other.
    assert_eq!(day("sl", 1), "1 dan");
    assert_eq!(day("sl", 2), "2 dneva");
    assert_eq!(day("sl", 3), "3 dnevi");
    assert_eq!(day("sl", 5), "5 dni");
    assert_eq!(day("sl", 101), "101 dan");
    assert_eq!(day("sl", 102), "102 dneva");
    // Latvian: zero (0, 10–20, 30 …), one (1, 21 … but not 11), other.
    assert_eq!(day("lv", 10), "10 dienu");
    assert_eq!(day("lv", 21), "21 diena");
    assert_eq!(day("lv", 22), "22 dienas");
    // Maltese: one, two, few (0, 3–10), many (11–19), other.
    assert_eq!(day("mt", 2), "2 jiem");
    assert_eq!(day("mt", 7), "7 ijiem");
    assert_eq!(day("mt", 13), "13-il jum");
    assert_eq!(day("mt", 400), "400 jum");
    // Romanian: one, few (0, 2–19, 101–119 …), other ("de").
    assert_eq!(day("ro", 19), "19 zile");
    assert_eq!(day("ro", 400), "400 de zile");
    // French: one (0 and 1), many (a million), other; the count grouped the French way.
    assert_eq!(day("fr", 0), "0 jour");
    assert_eq!(day("fr", 1_000_000), "1\u{202f}000\u{202f}000 de jours");
}

#[test]
fn the_policy_states_lifetimes_in_the_right_form() {
    let mut config = crumb_core::config::demo();
    let lifetime = |config: &crumb_core::config::Config, code: &str, name: &str| {
        let policy = crumb_core::policy::build(config, Language::parse(code).unwrap());
        policy.categories.iter().flat_map(|c| &c.cookies).find(|c| c.name == name).unwrap().lifetime.clone()
    };
    let name = config.cookies.last().unwrap().name.clone();
    for (seconds, code, expected) in [
        (86_400, "en", "1 day"),
        (2 * 86_400, "pl", "2 dni"),
        (3_600, "en", "1 hour"),
        (5 * 3_600, "pl", "5 godzin"),
        (2 * 3_600, "sl", "2 uri"),
        (3 * 86_400, "cs", "3 dny"),
        (4 * 3_600, "ga", "4 huaire an chloig"),
    ] {
        config.cookies.last_mut().unwrap().lifetime = Lifetime::Seconds(seconds);
        assert_eq!(lifetime(&config, code, &name), expected, "{code} {seconds}");
    }
}

#[test]
fn negotiation_offers_only_the_sites_languages() {
    let offered = [Language::En, Language::Ga, Language::Mt];
    assert_eq!(negotiate(&offered, None, Some("ga-IE, en;q=0.5")), Language::Ga);
    assert_eq!(negotiate(&offered, Some("mt"), Some("ga")), Language::Mt);
    assert_eq!(negotiate(&offered, None, Some("sv, fi;q=0.9")), Language::En);
}

/// The two file sets of a language are one set of messages: no key is in both.
#[test]
fn the_pages_messages_are_a_second_file_set_with_keys_of_their_own() {
    let banner: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../web/i18n/en.json")).unwrap();
    let pages: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(include_str!("../../../web/i18n/pages/en.json")).unwrap();
    assert!(pages.len() > 200, "{}", pages.len());
    let both: Vec<&String> = pages.keys().filter(|k| banner.contains_key(*k)).collect();
    assert!(both.is_empty(), "keys in both files: {both:?}");
    let english = Language::En.strings();
    assert_eq!(english.keys().count(), banner.len() + pages.len());
    for language in Language::ALL {
        let strings = language.strings();
        for key in ["account_sign_in", "admin_title", "dash_pageviews", "problem_not_found", "policy_title"] {
            assert_ne!(strings.get(key), key, "{}: {key}", language.code());
        }
    }
}

#[test]
fn the_pages_counts_take_their_cldr_forms() {
    let count = |code: &str, key: &str, n: u64| Language::parse(code).unwrap().strings().count(key, n);
    // Polish: one, few, many.
    assert_eq!(count("pl", "admin_accounts", 1), "1 konto");
    assert_eq!(count("pl", "admin_accounts", 2), "2 konta");
    assert_eq!(count("pl", "admin_accounts", 5), "5 kont");
    assert_eq!(count("pl", "admin_accounts", 22), "22 konta");
    assert_eq!(count("pl", "account_chars", 12), "12 znaków");
    // Czech, Slovenian (two), Latvian (zero), Lithuanian, Romanian ("de"), Irish and Maltese.
    assert_eq!(count("cs", "admin_accounts", 3), "3 účty");
    assert_eq!(count("cs", "admin_accounts", 12), "12 účtů");
    assert_eq!(count("sl", "admin_accounts", 2), "2 računa");
    assert_eq!(count("sl", "admin_accounts", 102), "102 računa");
    assert_eq!(count("lv", "admin_accounts", 10), "10 kontu");
    assert_eq!(count("lv", "admin_accounts", 21), "21 konts");
    assert_eq!(count("lt", "account_chars", 12), "12 ženklų");
    assert_eq!(count("lt", "account_chars", 22), "22 ženklai");
    assert_eq!(count("ro", "err_seconds", 30), "30 de secunde");
    assert_eq!(count("ro", "err_seconds", 5), "5 secunde");
    assert_eq!(count("ga", "admin_accounts", 8), "8 gcuntas");
    assert_eq!(count("mt", "account_chars", 12), "12-il karattru");
    assert_eq!(count("de", "account_chars", 12), "12 Zeichen");
    // The count itself is grouped the language's way.
    assert_eq!(count("de", "admin_accounts", 1_234), "1.234 Konten");
    assert_eq!(count("en", "admin_accounts", 1_234), "1,234 accounts");
}

#[test]
fn numbers_are_written_the_way_each_language_writes_them() {
    use crumb_core::i18n::numbers;
    for language in Language::ALL {
        assert!(numbers::has_symbols(*language), "{}", language.code());
    }
    let number = |code: &str, n: u64| Language::parse(code).unwrap().strings().number(n);
    assert_eq!(number("en", 41_380), "41,380");
    assert_eq!(number("de", 41_380), "41.380");
    assert_eq!(number("fr", 41_380), "41\u{202f}380");
    assert_eq!(number("sv", 41_380), "41\u{a0}380");
    // Polish and Spanish leave four digits ungrouped (CLDR: minimum grouping digits 2).
    assert_eq!(number("pl", 1_234), "1234");
    assert_eq!(number("pl", 12_345), "12\u{a0}345");
    assert_eq!(number("es", 1_234), "1234");
    assert_eq!(number("es", 12_345), "12.345");
    let decimal = |code: &str, value: f64| Language::parse(code).unwrap().strings().decimal(value, 1);
    assert_eq!(decimal("en", 42.46), "42.5");
    assert_eq!(decimal("de", 42.46), "42,5");
    assert_eq!(decimal("fr", 1_234.5), "1\u{202f}234,5");
    assert_eq!(decimal("de", 40.0), "40");
}
