//! `robots.txt` as RFC 9309 defines it: the groups, the rules that apply to
//! one crawler, and whether a path may be fetched.
//!
//! What it is not: a fetcher. The scanner fetches `/robots.txt` and hands
//! the status and text to [`Robots::from_response`]; sitemaps, crawl-delay
//! and other non-standard lines are ignored (§2.2.4 lets a crawler do so).

/// The product token `crumb scan` looks for in `User-agent` lines (RFC 9309 §2.2.1).
pub const PRODUCT_TOKEN: &str = "crumb-scan";

/// The most of a `robots.txt` that is parsed: 500 KiB (RFC 9309 §2.5).
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// One `allow` or `disallow` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: String,
}

/// The rules that apply to this crawler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Robots {
    rules: Vec<Rule>,
    /// Everything is disallowed: the file was unreachable (RFC 9309 §2.3.1.4).
    disallow_all: bool,
    /// How the rules were found, for the report.
    pub origin_note: String,
}

impl Robots {
    /// No rules: every path may be fetched.
    pub fn allow_all(note: &str) -> Robots {
        Robots { rules: Vec::new(), disallow_all: false, origin_note: note.to_owned() }
    }

    /// The rules for [`PRODUCT_TOKEN`] from a `/robots.txt` response: 2xx is
    /// parsed; 4xx means "unavailable", so every path may be fetched
    /// (§2.3.1.3); 5xx means "unreachable", so none may (§2.3.1.4).
    pub fn from_response(status: u16, body: &str) -> Robots {
        match status {
            200..=299 => {
                let mut robots = Robots::parse(body, PRODUCT_TOKEN);
                robots.origin_note = format!("robots.txt: {} rule(s) for {PRODUCT_TOKEN}", robots.rules.len());
                robots
            }
            400..=499 => {
                Robots::allow_all(&format!("robots.txt: status {status}, every path allowed (RFC 9309 §2.3.1.3)"))
            }
            _ => Robots::unreachable(&format!("status {status}")),
        }
    }

    /// An unreachable `robots.txt`: nothing may be fetched (RFC 9309 §2.3.1.4).
    pub fn unreachable(why: &str) -> Robots {
        Robots {
            rules: Vec::new(),
            disallow_all: true,
            origin_note: format!("robots.txt unreachable ({why}): nothing crawled (RFC 9309 §2.3.1.4)"),
        }
    }

    /// Parses `text` and keeps the rules of the groups that name `token`
    /// (case-insensitively), or else those of the `*` groups (§2.2.1); the
    /// rules of several matching groups are combined.
    pub fn parse(text: &str, token: &str) -> Robots {
        let text = truncate(text, MAX_ROBOTS_BYTES);
        let mut groups: Vec<(Vec<String>, Vec<Rule>)> = Vec::new();
        let mut in_agents = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else { continue };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push((Vec::new(), Vec::new()));
                        in_agents = true;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.0.push(value.to_ascii_lowercase());
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    // An empty `disallow` is no rule (§2.2.2: "the rule is ignored").
                    if value.is_empty() {
                        continue;
                    }
                    if let Some(group) = groups.last_mut() {
                        group.1.push(Rule { allow: key == "allow", pattern: percent_encode_non_ascii(value) });
                    }
                }
                _ => {}
            }
        }
        let token = token.to_ascii_lowercase();
        let named: Vec<Rule> =
            groups.iter().filter(|(agents, _)| agents.contains(&token)).flat_map(|(_, rules)| rules.clone()).collect();
        let rules = if named.is_empty() && !groups.iter().any(|(agents, _)| agents.contains(&token)) {
            groups.iter().filter(|(agents, _)| agents.iter().any(|a| a == "*")).flat_map(|(_, r)| r.clone()).collect()
        } else {
            named
        };
        Robots { rules, disallow_all: false, origin_note: String::new() }
    }

    /// Whether `path` (with its query, as in a request line) may be
    /// fetched: the longest matching rule decides, `allow` winning a tie
    /// (§2.2.2); `/robots.txt` itself is always allowed.
    pub fn allows(&self, path: &str) -> bool {
        if path == "/robots.txt" {
            return true;
        }
        if self.disallow_all {
            return false;
        }
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if matches(&rule.pattern, path) {
                let length = rule.pattern.len();
                best = match best {
                    Some((l, allow)) if l > length || (l == length && allow) => Some((l, allow)),
                    _ => Some((length, rule.allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// A pattern with its non-ASCII octets percent-encoded, as the paths it is
/// compared with are (RFC 9309 §2.2.2).
fn percent_encode_non_ascii(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for byte in pattern.bytes() {
        if byte.is_ascii() {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Whether `pattern` matches the start of `path`: `*` is any run of
/// characters, a final `$` anchors the end (RFC 9309 §2.2.3).
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let pattern = pattern.as_bytes();
    let path = path.as_bytes();
    // Positions in `path` the pattern so far can end at.
    let mut positions = vec![0_usize];
    for &byte in pattern {
        let mut next = Vec::new();
        if byte == b'*' {
            if let Some(&first) = positions.iter().min() {
                next.extend(first..=path.len());
            }
        } else {
            next.extend(positions.iter().filter(|&&p| p < path.len() && path[p] == byte).map(|p| p + 1));
        }
        next.dedup();
        if next.is_empty() {
            return false;
        }
        positions = next;
    }
    !anchored || positions.contains(&path.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_match_decides_and_allow_wins_a_tie() {
        let robots = Robots::parse(
            "User-agent: *\nDisallow: /private/\nAllow: /private/open\nDisallow: /*.pdf$\n\nUser-agent: other\nDisallow: /\n",
            PRODUCT_TOKEN,
        );
        assert!(!robots.allows("/private/page"));
        assert!(robots.allows("/private/open/x"));
        assert!(robots.allows("/"));
        assert!(!robots.allows("/a/b.pdf"));
        assert!(robots.allows("/a/b.pdf?x"));
        assert!(robots.allows("/robots.txt"));
        let tie = Robots::parse("User-agent: *\nDisallow: /a\nAllow: /a\n", PRODUCT_TOKEN);
        assert!(tie.allows("/a"));
        let unicode = Robots::parse("User-agent: *\nDisallow: /caf\u{e9}\n", PRODUCT_TOKEN);
        assert!(!unicode.allows("/caf%C3%A9/menu"));
    }

    #[test]
    fn a_group_naming_the_crawler_replaces_the_star_groups() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: other\nUser-agent: Crumb-Scan\nDisallow: /x\n";
        let robots = Robots::parse(text, PRODUCT_TOKEN);
        assert!(robots.allows("/"));
        assert!(!robots.allows("/x/y"));
    }

    #[test]
    fn statuses_follow_rfc_9309() {
        assert!(Robots::from_response(404, "").allows("/anything"));
        assert!(!Robots::from_response(503, "").allows("/anything"));
        assert!(!Robots::from_response(200, "User-agent: *\nDisallow: /\n").allows("/page"));
        assert!(Robots::from_response(200, "User-agent: *\nDisallow:\n").allows("/page"));
    }
}
