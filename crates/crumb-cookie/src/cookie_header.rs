//! The `Cookie` request header: parsing it on a server, and writing it as
//! Chromium does.
//!
//! Browsers send `name=value` pairs joined by `"; "`, in the jar's order
//! (longest path first), and can send the same name more than once (a host
//! cookie and a domain cookie, or two paths). A server must see every pair,
//! in order, and must not lose the rest of the header to one odd pair.

use crate::set_cookie::{memchr, trim_wsp};

/// One `name=value` pair of a `Cookie` header, borrowing from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookiePair<'a> {
    name: &'a [u8],
    value: &'a [u8],
}

impl<'a> CookiePair<'a> {
    /// The name (empty for a nameless cookie, which browsers send as its value alone).
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The value, exactly as sent (quotes included).
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The name as text, if it is valid UTF-8.
    pub fn name_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.name).ok()
    }

    /// The value as text, if it is valid UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.value).ok()
    }

    /// The value without one pair of surrounding double quotes, if present
    /// (RFC 6265bis §4.1.1 allows `cookie-value = DQUOTE *cookie-octet DQUOTE`).
    pub fn value_unquoted(&self) -> &'a [u8] {
        match self.value {
            [b'"', inner @ .., b'"'] => inner,
            other => other,
        }
    }
}

/// Iterates over the pairs of a `Cookie` header value, in the order sent.
///
/// Pairs are split at `;`, trimmed of SP and HTAB, and split at the first
/// `=`; a pair without `=` is a nameless cookie (name empty, value the pair),
/// mirroring how browsers serialise one (§5.8.3 step 4). Empty pairs are
/// skipped. Nothing is dropped because of its content.
///
/// ```
/// use crumb_cookie::parse_cookie_header;
///
/// let pairs: Vec<_> = parse_cookie_header(b"sid=1; theme=dark; sid=2; flag")
///     .map(|p| (p.name_str().unwrap(), p.value_str().unwrap()))
///     .collect();
/// assert_eq!(pairs, [("sid", "1"), ("theme", "dark"), ("sid", "2"), ("", "flag")]);
/// ```
pub fn parse_cookie_header(header: &[u8]) -> CookieHeaderIter<'_> {
    CookieHeaderIter { rest: header }
}

/// The iterator returned by [`parse_cookie_header`].
#[derive(Clone, Debug)]
pub struct CookieHeaderIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for CookieHeaderIter<'a> {
    type Item = CookiePair<'a>;

    fn next(&mut self) -> Option<CookiePair<'a>> {
        while !self.rest.is_empty() {
            let segment = match memchr(b';', self.rest) {
                Some(i) => {
                    let segment = &self.rest[..i];
                    self.rest = &self.rest[i + 1..];
                    segment
                }
                None => std::mem::take(&mut self.rest),
            };
            let segment = trim_wsp(segment);
            if segment.is_empty() {
                continue;
            }
            return Some(match memchr(b'=', segment) {
                Some(i) => CookiePair { name: trim_wsp(&segment[..i]), value: trim_wsp(&segment[i + 1..]) },
                None => CookiePair { name: &segment[..0], value: segment },
            });
        }
        None
    }
}

/// A parsed `Cookie` header with lookups by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CookieHeader<'a> {
    pairs: Vec<CookiePair<'a>>,
}

impl<'a> CookieHeader<'a> {
    /// Parses a header value given as text.
    pub fn parse(header: &'a str) -> Self {
        Self::parse_bytes(header.as_bytes())
    }

    /// Parses a header value given as bytes.
    pub fn parse_bytes(header: &'a [u8]) -> Self {
        CookieHeader { pairs: parse_cookie_header(header).collect() }
    }

    /// Every pair, in the order sent.
    pub fn pairs(&self) -> &[CookiePair<'a>] {
        &self.pairs
    }

    /// The first value sent under `name` (the most specific one: browsers
    /// send longer paths first).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.get_all(name).next()
    }

    /// Every UTF-8 value sent under `name`, in order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a str> + 's {
        self.pairs.iter().filter(move |p| p.name == name.as_bytes()).filter_map(CookiePair::value_str)
    }
}

/// `Cookie` header bytes as text: UTF-8 when valid, Latin-1 otherwise (each
/// byte its own code point), as the replay protocol and `document.cookie`
/// reads report them.
pub(crate) fn text_or_latin1(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
    }
}

/// Writes a `Cookie` header value from pairs as Chromium does: `name=value`
/// joined by `"; "`, a nameless cookie as its value alone.
pub fn write_cookie_header<'p>(pairs: impl IntoIterator<Item = (&'p [u8], &'p [u8])>) -> Vec<u8> {
    let mut header = Vec::new();
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            header.extend_from_slice(b"; ");
        }
        if !name.is_empty() {
            header.extend_from_slice(name);
            header.push(b'=');
        }
        header.extend_from_slice(value);
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(header: &[u8]) -> Vec<(&[u8], &[u8])> {
        parse_cookie_header(header).map(|p| (p.name(), p.value())).collect()
    }

    #[test]
    fn keeps_duplicates_in_order() {
        assert_eq!(pairs(b"a=1; a=2; b=3"), [(&b"a"[..], &b"1"[..]), (b"a", b"2"), (b"b", b"3")]);
        let header = CookieHeader::parse("a=1; a=2");
        assert_eq!(header.get("a"), Some("1"));
        assert_eq!(header.get_all("a").collect::<Vec<_>>(), ["1", "2"]);
    }

    #[test]
    fn tolerates_nameless_and_malformed_pairs() {
        assert_eq!(
            pairs(b";;a=1;  ; =x; lone ;b=;c==d"),
            [(&b"a"[..], &b"1"[..]), (b"", b"x"), (b"", b"lone"), (b"b", b""), (b"c", b"=d"),]
        );
    }

    #[test]
    fn works_on_non_utf8_bytes() {
        let header = b"a=\xff\xfe; b=ok";
        assert_eq!(pairs(header), [(&b"a"[..], &b"\xff\xfe"[..]), (b"b", b"ok")]);
        let parsed = CookieHeader::parse_bytes(header);
        assert_eq!(parsed.get("a"), None, "non-UTF-8 values are not returned as text");
        assert_eq!(parsed.get("b"), Some("ok"));
    }

    #[test]
    fn unquoting() {
        let pair = parse_cookie_header(br#"a="quoted""#).next().unwrap();
        assert_eq!(pair.value(), br#""quoted""#);
        assert_eq!(pair.value_unquoted(), b"quoted");
    }

    #[test]
    fn writes_like_chromium() {
        let header = write_cookie_header([(&b"a"[..], &b"1"[..]), (b"", b"solo"), (b"b", b"")]);
        assert_eq!(header, b"a=1; solo; b=");
    }
}
