//! Whether a page forbids interest computation.
//!
//! From its response headers: `Permissions-Policy` whose `browsing-topics`
//! member has an empty allowlist, `browsing-topics=()` — the Topics API's
//! per-page opt-out. The header is a Structured Field Dictionary (RFC 8941
//! §3.2, parsed as §4.2.2 says, several header lines joined with commas as
//! §4.2 says; a later member of the same name replaces an earlier one); a
//! member's value is an allowlist (W3C Permissions Policy, "Structured
//! header serialization"): an inner list of `self`, `*` or origin strings,
//! or one such item. Only an empty inner list opts out: `(self)` or `*`
//! allows the page itself. A header that does not parse is ignored as a
//! whole, as a browser ignores it (RFC 8941 §4.2: "fail parsing"). crumb
//! also honours `interest-cohort=()`, the FLoC-era member many sites still
//! send: honouring it opts out more pages, never fewer.
//!
//! From its HTML ([`crate::interests::page_text`] finds these): the
//! attribute `data-crumb-no-interests` on `<html>` or `<body>`, or
//! `<meta name="crumb-interests" content="none">`.

use serde::Serialize;

/// The `Permissions-Policy` members whose empty allowlist opts a page out.
pub const OPT_OUT_FEATURES: [&str; 2] = ["browsing-topics", "interest-cohort"];

/// Why a page is left out of interest computation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum OptOut {
    /// `Permissions-Policy: <feature>=()`.
    PermissionsPolicy {
        /// The member: `browsing-topics` or `interest-cohort`.
        feature: String,
    },
    /// `data-crumb-no-interests` on the named element (`html` or `body`).
    Attribute {
        /// The element.
        element: String,
    },
    /// `<meta name="crumb-interests" content="none">`.
    Meta,
}

impl std::fmt::Display for OptOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptOut::PermissionsPolicy { feature } => write!(f, "Permissions-Policy: {feature}=()"),
            OptOut::Attribute { element } => write!(f, "data-crumb-no-interests on <{element}>"),
            OptOut::Meta => write!(f, "<meta name=\"crumb-interests\" content=\"none\">"),
        }
    }
}

/// What the `Permissions-Policy` lines of a response say about interests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum PolicyVerdict {
    /// No header, or no opting-out member in it.
    Allowed,
    /// An opting-out member has an empty allowlist.
    OptedOut(OptOut),
    /// The header does not parse as a Structured Field Dictionary: ignored.
    Unparsable {
        /// Where and why the parse failed.
        reason: String,
    },
}

/// What the `Permissions-Policy` header lines (`values`, in order) say.
pub fn permissions_policy<'a>(values: impl IntoIterator<Item = &'a str>) -> PolicyVerdict {
    let joined: Vec<&str> = values.into_iter().collect();
    if joined.is_empty() {
        return PolicyVerdict::Allowed;
    }
    let members = match parse_dictionary(&joined.join(", ")) {
        Ok(members) => members,
        Err(reason) => return PolicyVerdict::Unparsable { reason },
    };
    for feature in OPT_OUT_FEATURES {
        // The last member of a name is the one that counts (RFC 8941 §4.2.2).
        if let Some((_, value)) = members.iter().rev().find(|(key, _)| key == feature) {
            if *value == Value::InnerList(0) {
                return PolicyVerdict::OptedOut(OptOut::PermissionsPolicy { feature: feature.to_owned() });
            }
        }
    }
    PolicyVerdict::Allowed
}

/// A dictionary member's value, as much of it as matters here.
#[derive(Debug, PartialEq, Eq)]
enum Value {
    /// An inner list of this many items.
    InnerList(usize),
    /// A single item (a token, string, number, byte sequence or boolean).
    Item,
}

/// RFC 8941 §4.2.2: the members of a dictionary, in order.
fn parse_dictionary(input: &str) -> Result<Vec<(String, Value)>, String> {
    let mut parser = Parser { bytes: input.as_bytes(), at: 0 };
    parser.skip(b" ");
    let mut members = Vec::new();
    if parser.done() {
        return Ok(members);
    }
    loop {
        let key = parser.key()?;
        let value = if parser.eat(b'=') {
            if parser.peek() == Some(b'(') {
                Value::InnerList(parser.inner_list()?)
            } else {
                parser.bare_item()?;
                Value::Item
            }
        } else {
            Value::Item
        };
        parser.parameters()?;
        members.push((key, value));
        parser.skip(b" \t");
        if parser.done() {
            return Ok(members);
        }
        if !parser.eat(b',') {
            return Err(parser.error("expected ',' between members"));
        }
        parser.skip(b" \t");
        if parser.done() {
            return Err(parser.error("a trailing ','"));
        }
    }
}

/// A cursor over a field value.
struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let here = self.peek() == Some(byte);
        self.at += usize::from(here);
        here
    }

    fn skip(&mut self, set: &[u8]) {
        while self.peek().is_some_and(|b| set.contains(&b)) {
            self.at += 1;
        }
    }

    fn take_while(&mut self, accept: impl Fn(u8) -> bool) -> &str {
        let start = self.at;
        while self.peek().is_some_and(&accept) {
            self.at += 1;
        }
        // Only ASCII bytes are accepted by every caller, so the slice is UTF-8.
        std::str::from_utf8(&self.bytes[start..self.at]).unwrap_or_default()
    }

    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.at)
    }

    /// §4.2.3.3: `( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`.
    fn key(&mut self) -> Result<String, String> {
        if !self.peek().is_some_and(|b| b.is_ascii_lowercase() || b == b'*') {
            return Err(self.error("expected a key"));
        }
        Ok(self
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.' | b'*'))
            .to_owned())
    }

    /// §4.2.1.2: `(` items separated by spaces `)` and parameters; the item count.
    fn inner_list(&mut self) -> Result<usize, String> {
        self.at += 1;
        let mut count = 0;
        loop {
            self.skip(b" ");
            if self.eat(b')') {
                return Ok(count);
            }
            self.bare_item()?;
            self.parameters()?;
            count += 1;
            if !matches!(self.peek(), Some(b' ' | b')')) {
                return Err(self.error("expected ' ' or ')' in an inner list"));
            }
        }
    }

    /// §4.2.3.2: `;key[=bare-item]` repeated.
    fn parameters(&mut self) -> Result<(), String> {
        while self.eat(b';') {
            self.skip(b" ");
            self.key()?;
            if self.eat(b'=') {
                self.bare_item()?;
            }
        }
        Ok(())
    }

    /// §4.2.3.1: an integer or decimal, string, token, byte sequence or boolean.
    fn bare_item(&mut self) -> Result<(), String> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => {
                self.eat(b'-');
                let digits = self.take_while(|b| b.is_ascii_digit() || b == b'.').to_owned();
                let valid = !digits.is_empty()
                    && digits.matches('.').count() <= 1
                    && !digits.starts_with('.')
                    && !digits.ends_with('.');
                valid.then_some(()).ok_or_else(|| self.error("a malformed number"))
            }
            Some(b'"') => {
                self.at += 1;
                loop {
                    match self.peek() {
                        Some(b'\\') if matches!(self.bytes.get(self.at + 1), Some(b'"' | b'\\')) => self.at += 2,
                        Some(b'"') => {
                            self.at += 1;
                            return Ok(());
                        }
                        Some(0x20..=0x7e) => self.at += 1,
                        _ => return Err(self.error("an unterminated or invalid string")),
                    }
                }
            }
            Some(b':') => {
                self.at += 1;
                self.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
                self.eat(b':').then_some(()).ok_or_else(|| self.error("an unterminated byte sequence"))
            }
            Some(b'?') => {
                self.at += 1;
                (self.eat(b'0') || self.eat(b'1')).then_some(()).ok_or_else(|| self.error("a malformed boolean"))
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'*' => {
                self.take_while(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b));
                Ok(())
            }
            _ => Err(self.error("expected an item")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(lines: &[&str]) -> PolicyVerdict {
        permissions_policy(lines.iter().copied())
    }

    fn out(feature: &str) -> PolicyVerdict {
        PolicyVerdict::OptedOut(OptOut::PermissionsPolicy { feature: feature.into() })
    }

    #[test]
    fn an_empty_browsing_topics_allowlist_opts_out_among_other_members() {
        assert_eq!(verdict(&["browsing-topics=()"]), out("browsing-topics"));
        assert_eq!(
            verdict(&["camera=(), browsing-topics=(), geolocation=(self \"https://a.example\")"]),
            out("browsing-topics")
        );
        assert_eq!(verdict(&["  geolocation=*,browsing-topics=( )  "]), out("browsing-topics"));
        assert_eq!(verdict(&["camera=()", "browsing-topics=()"]), out("browsing-topics"), "two header lines");
        assert_eq!(verdict(&["interest-cohort=()"]), out("interest-cohort"));
        assert_eq!(verdict(&["browsing-topics=();report-to=main"]), out("browsing-topics"), "parameters");
    }

    #[test]
    fn a_non_empty_allowlist_or_another_member_does_not_opt_out() {
        for allowing in [
            "browsing-topics=(self)",
            "browsing-topics=*",
            "browsing-topics=self",
            "browsing-topics=(\"https://ads.example\")",
            "camera=(), microphone=()",
            "browsing-topics",
            "",
        ] {
            assert_eq!(verdict(&[allowing]), PolicyVerdict::Allowed, "{allowing:?}");
        }
        assert_eq!(verdict(&[]), PolicyVerdict::Allowed);
        assert_eq!(
            verdict(&["browsing-topics=(), browsing-topics=(self)"]),
            PolicyVerdict::Allowed,
            "the last member of a name counts"
        );
        assert_eq!(verdict(&["browsing-topics=(self), browsing-topics=()"]), out("browsing-topics"));
    }

    #[test]
    fn a_header_that_does_not_parse_is_ignored_and_says_why() {
        for broken in ["browsing-topics=(),", "Browsing-Topics=()", "browsing-topics=(", "a=1 b=2", "x=\"open"] {
            assert!(matches!(verdict(&[broken]), PolicyVerdict::Unparsable { .. }), "{broken:?}");
        }
    }
}
