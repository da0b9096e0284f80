//! What ingestion derives from a request before anything is stored: the
//! browser, OS and device class (from the user agent, which is then
//! dropped), whether it is a bot, the referrer's source and the UTM fields.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Browser, OS and device class of a user agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    /// Browser family, e.g. `Chrome`, `Safari`; `Unknown` when not recognised.
    pub browser: String,
    /// OS family, e.g. `Windows 10`, `Android`, `iOS`; `Unknown` when not recognised.
    pub os: String,
    /// `desktop`, `mobile`, `tablet` or `other`.
    pub device: &'static str,
}

fn bot_list() -> &'static isbot::Bots {
    static BOTS: OnceLock<isbot::Bots> = OnceLock::new();
    BOTS.get_or_init(isbot::Bots::default)
}

/// Whether a user agent is a bot: empty, on the `isbot` list of known
/// crawlers, monitors and HTTP libraries (which includes headless
/// browsers), or a crawler by `woothee`.
pub fn is_bot(user_agent: &str) -> bool {
    classify(user_agent).is_none()
}

/// Classifies a user agent; `None` for a bot (see [`is_bot`]).
pub fn classify(user_agent: &str) -> Option<Client> {
    let user_agent = user_agent.trim();
    if user_agent.is_empty() || bot_list().is_bot(user_agent) {
        return None;
    }
    let Some(result) = woothee::parser::Parser::new().parse(user_agent) else {
        return Some(Client { browser: "Unknown".into(), os: "Unknown".into(), device: "other" });
    };
    if result.category == "crawler" {
        return None;
    }
    let unknown = |s: &str| if s.is_empty() || s == "UNKNOWN" { "Unknown".to_owned() } else { s.to_owned() };
    let tablet = result.os == "iPad" || (result.os == "Android" && !user_agent.contains("Mobile"));
    let device = match result.category {
        "pc" => "desktop",
        "smartphone" | "mobilephone" if tablet => "tablet",
        "smartphone" | "mobilephone" => "mobile",
        _ => "other",
    };
    Some(Client { browser: unknown(result.name), os: unknown(result.os), device })
}

/// Browser and OS family of a user agent, for the devices page of an
/// account ("Chrome on Linux"), bots included: `Other browser` and
/// `Other OS` when `woothee` does not recognise them.
pub fn device_family(user_agent: &str) -> (String, String) {
    let parsed = woothee::parser::Parser::new().parse(user_agent.trim());
    let known = |s: &str| !s.is_empty() && s != "UNKNOWN";
    let browser = parsed.as_ref().map(|r| r.name).filter(|s| known(s)).unwrap_or("Other browser");
    let os = parsed.as_ref().map(|r| r.os).filter(|s| known(s)).unwrap_or("Other OS");
    (browser.to_owned(), os.to_owned())
}

/// [`classify`] with a bounded memory of the user agents seen.
///
/// A site's traffic comes from a few hundred distinct user-agent strings,
/// and parsing one costs microseconds (the bot list's patterns, then
/// `woothee`'s), so each string is classified once. The memory holds at
/// most [`ClientCache::CAPACITY`] strings and is emptied when full: a flood
/// of unique strings costs what no cache would, never unbounded memory.
/// Strings longer than [`ClientCache::LONGEST`] are classified each time
/// and not remembered, so the memory is bounded in bytes too.
#[derive(Debug, Default)]
pub struct ClientCache {
    seen: Mutex<HashMap<Box<str>, Option<Client>>>,
}

impl ClientCache {
    /// User-agent strings remembered at most.
    pub const CAPACITY: usize = 4096;
    /// The longest user-agent string remembered, in bytes (browsers' are
    /// 100 to 300; a header may be hundreds of kilobytes).
    pub const LONGEST: usize = 512;

    /// [`classify`]`(user_agent)`, from memory when the string was seen.
    pub fn classify(&self, user_agent: &str) -> Option<Client> {
        if let Some(known) = self.lock().get(user_agent) {
            return known.clone();
        }
        // Parsed outside the lock: other requests go on meanwhile.
        let client = classify(user_agent);
        if user_agent.len() > Self::LONGEST {
            return client;
        }
        let mut seen = self.lock();
        if seen.len() >= Self::CAPACITY {
            seen.clear();
        }
        seen.insert(user_agent.into(), client.clone());
        client
    }

    /// How many user agents are remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no user agent is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Option<Client>>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (each change is one call), so a poisoned lock is still usable.
        self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where a visit came from: the referrer's host without `www.`, or empty
/// when there is none or it is the site itself (then the visit is direct or
/// internal).
pub fn referrer_source(referrer: &str, own_hosts: &[String]) -> String {
    let Ok(url) = url::Url::parse(referrer) else { return String::new() };
    if !matches!(url.scheme(), "http" | "https" | "android-app") {
        return String::new();
    }
    let Some(host) = url.host_str() else { return String::new() };
    let host = host.to_ascii_lowercase();
    if own_hosts.contains(&host) {
        return String::new();
    }
    let host = host.strip_prefix("www.").unwrap_or(&host);
    truncate(host, 100)
}

/// The path and UTM fields of a page URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageUrl {
    /// The path, without query or fragment, at most 300 bytes.
    pub path: String,
    /// `utm_source` (or `ref`).
    pub utm_source: String,
    /// `utm_medium`.
    pub utm_medium: String,
    /// `utm_campaign`.
    pub utm_campaign: String,
    /// The URL's host, lower-cased.
    pub host: String,
}

/// Parses the page URL an event was sent from; `None` if it is not an http(s) URL.
pub fn page_url(raw: &str) -> Option<PageUrl> {
    let url = url::Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let mut page = PageUrl {
        path: truncate(url.path(), 300),
        host: url.host_str().unwrap_or_default().to_ascii_lowercase(),
        ..PageUrl::default()
    };
    for (key, value) in url.query_pairs() {
        // Decoded values may hold control characters (`%00`, `%0A`), which
        // no report wants and PostgreSQL's text refuses (NUL).
        let value: String = value.chars().filter(|c| !c.is_control()).collect();
        let value = truncate(value.trim(), 100);
        match key.as_ref() {
            "utm_source" => page.utm_source = value,
            "ref" if page.utm_source.is_empty() => page.utm_source = value,
            "utm_medium" => page.utm_medium = value,
            "utm_campaign" => page.utm_campaign = value,
            _ => {}
        }
    }
    Some(page)
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
    const ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    #[test]
    fn bots_are_recognised() {
        for bot in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "curl/8.5.0",
            "python-requests/2.31.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
            "",
            "   ",
        ] {
            assert!(is_bot(bot), "{bot:?}");
        }
        for person in [CHROME_LINUX, SAFARI_IPHONE, ANDROID_TABLET] {
            assert!(!is_bot(person), "{person:?}");
        }
    }

    #[test]
    fn browsers_systems_and_devices() {
        assert_eq!(
            classify(CHROME_LINUX),
            Some(Client { browser: "Chrome".into(), os: "Linux".into(), device: "desktop" })
        );
        let iphone = classify(SAFARI_IPHONE).unwrap();
        assert_eq!((iphone.browser.as_str(), iphone.os.as_str(), iphone.device), ("Safari", "iPhone", "mobile"));
        assert_eq!(classify(ANDROID_TABLET).unwrap().device, "tablet");
        assert_eq!(classify("something odd").unwrap().device, "other");
    }

    #[test]
    fn the_cache_answers_as_classify_does_and_stays_bounded() {
        let cache = ClientCache::default();
        for user_agent in [CHROME_LINUX, SAFARI_IPHONE, ANDROID_TABLET, "curl/8.5.0", "", "something odd"] {
            assert_eq!(cache.classify(user_agent), classify(user_agent), "first sight of {user_agent:?}");
            assert_eq!(cache.classify(user_agent), classify(user_agent), "from memory: {user_agent:?}");
        }
        assert_eq!(cache.len(), 6);
        for n in 0..ClientCache::CAPACITY + 10 {
            let user_agent = format!("{CHROME_LINUX} Extra/{n}");
            assert_eq!(cache.classify(&user_agent), classify(&user_agent));
            assert!(cache.len() <= ClientCache::CAPACITY);
        }
        assert!(cache.len() <= ClientCache::CAPACITY);
        assert!(!cache.is_empty());
        let remembered = cache.len();
        let huge = format!("{CHROME_LINUX} {}", "x".repeat(400 * 1024));
        assert_eq!(cache.classify(&huge), classify(&huge));
        assert_eq!(cache.len(), remembered, "a huge user agent is classified, not remembered");
        assert_eq!(cache.classify("curl/8.5.0"), None, "a bot stays a bot after the memory was emptied");
    }

    #[test]
    fn referrer_sources() {
        let own = vec!["shop.example".to_owned()];
        assert_eq!(referrer_source("https://www.google.com/search?q=x", &own), "google.com");
        assert_eq!(referrer_source("https://news.ycombinator.com/item?id=1", &own), "news.ycombinator.com");
        assert_eq!(referrer_source("https://shop.example/products", &own), "", "internal navigation");
        assert_eq!(referrer_source("", &own), "");
        assert_eq!(referrer_source("javascript:alert(1)", &own), "");
    }

    #[test]
    fn page_urls_and_utm() {
        let page =
            page_url("https://shop.example/p/1?utm_source=newsletter&utm_medium=email&utm_campaign=spring#x").unwrap();
        assert_eq!(page.path, "/p/1");
        assert_eq!((page.utm_source.as_str(), page.utm_medium.as_str()), ("newsletter", "email"));
        assert_eq!(page.utm_campaign, "spring");
        assert_eq!(page.host, "shop.example");
        assert_eq!(page_url("https://shop.example/?ref=producthunt").unwrap().utm_source, "producthunt");
        let controls = page_url("https://shop.example/?utm_source=%00news%0Aletter&utm_medium=%09").unwrap();
        assert_eq!((controls.utm_source.as_str(), controls.utm_medium.as_str()), ("newsletter", ""));
        assert!(page_url("file:///etc/passwd").is_none());
        assert!(page_url("not a url").is_none());
        assert_eq!(truncate("ééé", 3), "é");
    }
}
