//! Words as the classifier compares them: text split into words, lower
//! case, stop words dropped, and plurals folded by a light suffix stemmer
//! (after Harman's "S" stemmer, 1991, with the final `y`/`ie` written `i`
//! so that "movie" and "movies", "accessory" and "accessories" meet). It
//! is not a full stemmer: "cycling" and "cyclist" stay apart (the synonym
//! file joins such words where a topic needs them).

/// One word of a text: as written (lower case) and its stem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The word as the text has it, in lower case.
    pub text: String,
    /// Its stem: what is compared.
    pub stem: String,
}

/// Words that say nothing about a topic: articles, prepositions, pronouns,
/// and the words every page title uses ("best", "guide", "online", "review").
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "an", "and", "any", "are", "as", "aspx", "at", "be", "best", "buy", "by", "can",
    "do", "every", "find", "for", "free", "from", "get", "guide", "has", "have", "how", "htm", "html", "i", "in",
    "index", "into", "is", "it", "its", "just", "latest", "more", "most", "my", "near", "new", "now", "of", "on",
    "one", "online", "open", "or", "our", "out", "page", "php", "really", "review", "reviews", "right", "s", "shop",
    "so", "still", "than", "that", "the", "their", "them", "these", "they", "this", "those", "to", "today", "top",
    "under", "up", "us", "v", "vs", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with", "www",
    "you", "your",
];

/// Words that end in `s` without being plurals.
const NOT_PLURALS: &[&str] = &[
    "news",
    "series",
    "species",
    "chess",
    "tennis",
    "lens",
    "gas",
    "bus",
    "plus",
    "canvas",
    "christmas",
    "athletics",
    "politics",
    "economics",
    "electronics",
    "gymnastics",
    "aerobics",
    "pilates",
    "physics",
    "mathematics",
    "always",
    "perhaps",
];

/// Whether a (lower-case) word is a stop word.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok() || word.bytes().all(|b| b.is_ascii_digit())
}

/// The stem of a lower-case word.
pub fn stem(word: &str) -> String {
    let mut stem = if NOT_PLURALS.contains(&word) {
        word.to_owned()
    } else if let Some(base) = word.strip_suffix("sses") {
        format!("{base}ss")
    } else if let Some(base) = ["xes", "ches", "shes", "zzes"]
        .iter()
        .find_map(|suffix| word.strip_suffix(suffix).map(|base| (base, &suffix[..suffix.len() - 2])))
        .map(|(base, kept)| format!("{base}{kept}"))
    {
        base
    } else if word.len() > 4 && word.ends_with("ies") && !word.ends_with("eies") && !word.ends_with("aies") {
        format!("{}y", &word[..word.len() - 3])
    } else if word.len() > 3
        && word.ends_with('s')
        && !(word.ends_with("ss") || word.ends_with("us") || word.ends_with("is"))
    {
        word[..word.len() - 1].to_owned()
    } else {
        word.to_owned()
    };
    if stem.len() > 3 && stem.ends_with("ie") {
        stem.pop();
    } else if stem.len() > 2 && stem.ends_with('y') {
        stem.pop();
        stem.push('i');
    }
    stem
}

/// The words of `text` in order, stop words left out: split at every
/// character that is not a letter or digit (a possessive `'s` goes with
/// its word), lower-cased and stemmed.
pub fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let flush = |current: &mut String, words: &mut Vec<Word>| {
        if !current.is_empty() && !is_stop_word(current) {
            words.push(Word { stem: stem(current), text: current.clone() });
        }
        current.clear();
    };
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
            continue;
        }
        if matches!(c, '\'' | '\u{2019}') && !current.is_empty() {
            let mut ahead = chars.clone();
            if matches!(ahead.next(), Some('s' | 'S')) && !ahead.next().is_some_and(char::is_alphanumeric) {
                chars.next();
            }
        }
        flush(&mut current, &mut words);
    }
    flush(&mut current, &mut words);
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(text: &str) -> Vec<String> {
        words(text).into_iter().map(|w| w.stem).collect()
    }

    #[test]
    fn the_stop_word_list_is_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|pair| pair[0] < pair[1]), "STOP_WORDS must stay sorted");
    }

    #[test]
    fn plurals_meet_their_singulars() {
        for (one, many) in [
            ("movie", "movies"),
            ("accessory", "accessories"),
            ("bicycle", "bicycles"),
            ("box", "boxes"),
            ("dress", "dresses"),
            ("watch", "watches"),
            ("toy", "toys"),
            ("course", "courses"),
        ] {
            assert_eq!(stem(one), stem(many), "{one} / {many}");
        }
        for kept in ["news", "tennis", "glass", "bus", "pilates"] {
            assert_ne!(stem(kept), kept.trim_end_matches('s'), "{kept}");
        }
    }

    #[test]
    fn text_splits_at_punctuation_drops_stop_words_and_possessives() {
        assert_eq!(stems("The Best Road-Bikes of 2025!"), ["road", "bike"]);
        assert_eq!(stems("Children's Books & Men’s Clothing"), ["children", "book", "men", "clothing"]);
        assert_eq!(stems("T-Shirts"), ["t", "shirt"]);
        assert_eq!(words("Café")[0].text, "café");
    }
}
