//! Which pages a scan visits: same-origin links found in the pages
//! already visited, breadth first, those `robots.txt` disallows left out,
//! at most so many pages, until the time is up.
//!
//! What it is not: a fetcher or an HTML parser. Chromium lists a page's
//! links itself; for the fallback, [`links_in_html`] reads the `href` of
//! `<a>` and `<area>` tags, which is all a crawl needs.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use url::Url;

use crate::robots::Robots;

/// Pages visited per consent state unless `--max-pages` says otherwise.
pub const DEFAULT_MAX_PAGES: usize = 20;
/// Seconds a whole scan may take unless `--max-seconds` says otherwise.
pub const DEFAULT_MAX_SECONDS: u64 = 120;

/// Path endings that are not pages: a crawl for cookies skips them.
const NOT_PAGES: &[&str] = &[
    ".pdf", ".zip", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".mp4", ".mp3", ".css", ".js",
    ".woff", ".woff2",
];

/// Whether `url` is on the same origin as `start` (scheme, host and port):
/// the scan stays on the site it was given.
pub fn same_origin(start: &Url, url: &Url) -> bool {
    url.scheme() == start.scheme()
        && url.host_str() == start.host_str()
        && url.port_or_known_default() == start.port_or_known_default()
}

/// The path and query of `url`, as `robots.txt` rules see it.
pub fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// The pages still to visit in one consent state.
#[derive(Debug)]
pub struct Frontier {
    start: Url,
    queue: VecDeque<Url>,
    seen: HashSet<String>,
    visited: usize,
    max_pages: usize,
    deadline: Instant,
    /// Links `robots.txt` kept the crawl from (path and query).
    pub disallowed: Vec<String>,
    /// Whether the time ran out before the crawl did.
    pub timed_out: bool,
}

impl Frontier {
    /// A crawl from `start` of at most `max_pages` pages, ending at `deadline`.
    pub fn new(start: Url, robots: &Robots, max_pages: usize, deadline: Instant) -> Frontier {
        let mut frontier = Frontier {
            start: start.clone(),
            queue: VecDeque::new(),
            seen: HashSet::new(),
            visited: 0,
            max_pages,
            deadline,
            disallowed: Vec::new(),
            timed_out: false,
        };
        frontier.offer(start, robots);
        frontier
    }

    /// Queues `url` if it is on the start's origin, a page, new, and allowed.
    pub fn offer(&mut self, mut url: Url, robots: &Robots) {
        url.set_fragment(None);
        if !matches!(url.scheme(), "http" | "https") || !same_origin(&self.start, &url) {
            return;
        }
        let path = url.path().to_ascii_lowercase();
        if NOT_PAGES.iter().any(|ending| path.ends_with(ending)) {
            return;
        }
        if !self.seen.insert(url.as_str().to_owned()) {
            return;
        }
        let target = path_and_query(&url);
        if robots.allows(&target) {
            self.queue.push_back(url);
        } else {
            self.disallowed.push(target);
        }
    }

    /// The next page to visit, if the page and time budgets allow one more.
    pub fn next_page(&mut self) -> Option<Url> {
        if self.visited >= self.max_pages {
            return None;
        }
        if Instant::now() >= self.deadline {
            self.timed_out = !self.queue.is_empty();
            return None;
        }
        let url = self.queue.pop_front()?;
        self.visited += 1;
        Some(url)
    }
}

/// The targets of the `<a href>` and `<area href>` links in `html`,
/// resolved against `base` (HTML's `<base>` is not honoured).
pub fn links_in_html(base: &Url, html: &str) -> Vec<Url> {
    urls_in_tags(base, html, &["a", "area"], "href")
}

/// The URLs in attribute `attribute` of the tags named `tags` (lower case)
/// in `html`, resolved against `base`.
pub fn urls_in_tags(base: &Url, html: &str, tags: &[&str], attribute_name: &str) -> Vec<Url> {
    let lower = html.to_ascii_lowercase();
    let mut urls = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find('<') {
        let start = at + found + 1;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        let name = tag.split(|c: char| c.is_ascii_whitespace() || c == '/').next().unwrap_or_default();
        if tags.contains(&name) {
            if let Some(value) = attribute(&html[start..end], tag, attribute_name) {
                if let Ok(url) = base.join(&unescape(value.trim())) {
                    urls.push(url);
                }
            }
        }
        at = end;
    }
    urls
}

/// The value of attribute `name` in a tag (`original` and its lower-case copy `lower`).
fn attribute<'a>(original: &'a str, lower: &str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = lower[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value_start = lower.len() - rest.len() + 1;
        let value = original[value_start..].trim_start();
        let offset = original.len() - value.len();
        return match value.as_bytes().first() {
            Some(&quote @ (b'"' | b'\'')) => {
                let inner = &original[offset + 1..];
                Some(inner.find(quote as char).map_or(inner, |e| &inner[..e]))
            }
            Some(_) => Some(value.split(|c: char| c.is_ascii_whitespace()).next().unwrap_or_default()),
            None => None,
        };
    }
    None
}

/// The few character references that appear in URLs.
fn unescape(value: &str) -> String {
    value.replace("&amp;", "&").replace("&#38;", "&").replace("&quot;", "\"").replace("&#39;", "'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn links_are_read_from_anchor_tags() {
        let base = Url::parse("http://shop.example/a/").unwrap();
        let html = r#"<A HREF="/x?a=1&amp;b=2">x</A> <a class=y href='rel'>r</a> <a href=plain>p</a> <link href="/no"> <a name="n">"#;
        let links: Vec<String> = links_in_html(&base, html).iter().map(Url::to_string).collect();
        assert_eq!(
            links,
            ["http://shop.example/x?a=1&b=2", "http://shop.example/a/rel", "http://shop.example/a/plain"]
        );
    }

    #[test]
    fn the_frontier_stays_on_the_origin_honours_robots_and_stops_at_the_budget() {
        let start = Url::parse("http://shop.example/").unwrap();
        let robots = Robots::parse("User-agent: *\nDisallow: /private/\n", crate::robots::PRODUCT_TOKEN);
        let mut frontier = Frontier::new(start.clone(), &robots, 3, Instant::now() + Duration::from_secs(60));
        for link in
            ["/a", "/a#top", "/private/p", "https://shop.example/b", "http://other.example/", "/c.pdf", "/d", "/e"]
        {
            frontier.offer(start.join(link).unwrap(), &robots);
        }
        let pages: Vec<String> = std::iter::from_fn(|| frontier.next_page()).map(|u| u.path().to_owned()).collect();
        assert_eq!(pages, ["/", "/a", "/d"]);
        assert_eq!(frontier.disallowed, ["/private/p"]);
        assert!(!frontier.timed_out);
    }

    #[test]
    fn the_frontier_stops_when_the_time_is_up() {
        let start = Url::parse("http://shop.example/").unwrap();
        let robots = Robots::allow_all("");
        let mut frontier = Frontier::new(start, &robots, 20, Instant::now());
        assert_eq!(frontier.next_page(), None);
        assert!(frontier.timed_out, "the start page was left unvisited");
    }
}
