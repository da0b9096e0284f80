//! Parsing a `Set-Cookie` header value, RFC 6265bis §5.6.
//!
//! The parser works on the raw bytes the HTTP layer hands over, borrows from
//! them and does not allocate. It applies only the syntax rules of §5.6; the
//! rules that need the request (domain, path defaults, secure origins,
//! prefixes, public suffixes) belong to the storage model in [`crate::jar`].

use std::borrow::Cow;
use std::fmt;

use crate::date::parse_cookie_date;
use crate::time::Timestamp;

/// The most octets a cookie's name and value may hold together (§5.6 step 5,
/// and §6.1 "Limits").
pub const MAX_NAME_VALUE_BYTES: usize = 4096;

/// The most octets an attribute value may hold; longer ones are ignored
/// (§5.6, "If the cookie-attribute-value contains more than 1024 octets").
pub const MAX_ATTRIBUTE_VALUE_BYTES: usize = 1024;

/// The `SameSite` attribute as parsed (§5.6.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum SameSite {
    /// Absent, or a value other than `Strict`, `Lax` or `None` — the draft's
    /// "Default" enforcement. Browsers treat it as `Lax` when sending.
    #[default]
    Unspecified,
    /// `SameSite=None`: sent cross-site; requires `Secure` (§5.7).
    None,
    /// `SameSite=Lax`: sent cross-site only on safe top-level navigations.
    Lax,
    /// `SameSite=Strict`: sent only same-site.
    Strict,
}

impl SameSite {
    /// The attribute value as written in a `Set-Cookie` header, if any.
    pub fn as_attribute_value(self) -> Option<&'static str> {
        match self {
            SameSite::Unspecified => None,
            SameSite::None => Some("None"),
            SameSite::Lax => Some("Lax"),
            SameSite::Strict => Some("Strict"),
        }
    }
}

/// Why a `Set-Cookie` value was ignored entirely.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A control character other than HTAB appears in the line.
    #[error("RFC 6265bis §5.6 step 1: control character 0x{byte:02X} at byte {index}; the whole line is ignored")]
    ControlCharacter {
        /// The offending byte.
        byte: u8,
        /// Its position in the line.
        index: usize,
    },
    /// Name and value are both empty.
    #[error("RFC 6265bis §5.6 step 5: the cookie has neither a name nor a value")]
    EmptyNameAndValue,
    /// Name and value together exceed [`MAX_NAME_VALUE_BYTES`].
    #[error("RFC 6265bis §5.6 step 6: name and value are {len} bytes together; the limit is 4096")]
    NameValueTooLong {
        /// The combined length.
        len: usize,
    },
    /// HTAB inside the name or the value (after trimming).
    #[error("Chromium (ParsedCookie::IsValidCookieName/Value): a tab inside the cookie's name or value rejects it")]
    TabInNameOrValue,
    /// A nameless cookie whose value holds `=`: it would come back as a
    /// different, named cookie, so Chromium refuses it.
    #[error(
        "Chromium (ParsedCookie): a nameless cookie's value may not contain '=' (it would read back as a named cookie)"
    )]
    NamelessValueWithEquals,
}

/// One parsed `Set-Cookie` header value, borrowing from the input.
///
/// Attributes follow §5.6: the last occurrence of each wins, unknown ones are
/// ignored, values over 1024 bytes are ignored, and `Max-Age` takes precedence
/// over `Expires` when the cookie is stored (§5.7 step 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetCookie<'a> {
    name: &'a [u8],
    value: &'a [u8],
    expires: Option<Timestamp>,
    max_age: Option<i64>,
    domain: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    partitioned: bool,
}

impl<'a> SetCookie<'a> {
    /// Parses a `Set-Cookie` header value given as text.
    pub fn parse(line: &'a str) -> Result<Self, ParseError> {
        Self::parse_bytes(line.as_bytes())
    }

    /// Parses a `Set-Cookie` header value given as raw bytes (§5.6).
    pub fn parse_bytes(line: &'a [u8]) -> Result<Self, ParseError> {
        // §5.6 step 1: a control character other than HTAB rejects the line.
        // A branch-free pass over the whole line vectorises; it also notes
        // whether the line holds any HTAB at all, so that the Chromium tab
        // check below only searches when there is one. The position is looked
        // up only for the error.
        let scan = scan_line(line);
        if scan.control {
            let index = line.iter().position(|&b| is_forbidden_control(b)).unwrap_or(0);
            return Err(ParseError::ControlCharacter { byte: line[index], index });
        }
        // §5.6 step 2: the name-value-pair runs up to the first ';'.
        let (pair, mut unparsed) = match memchr(b';', line) {
            Some(i) => (&line[..i], &line[i..]),
            None => (line, &line[line.len()..]),
        };
        // §5.6 step 3: no '=' makes a nameless cookie whose value is the pair.
        // (Names are short: the word-at-a-time scan beats `memchr` here.)
        let (name, value) = match find_either(b'=', b'=', pair) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (&pair[..0], pair),
        };
        // §5.6 step 4: remove leading and trailing WSP (SP and HTAB only).
        let name = trim_wsp(name);
        let value = trim_wsp(value);
        // §5.6 step 5: a cookie with neither name nor value is ignored.
        if name.is_empty() && value.is_empty() {
            return Err(ParseError::EmptyNameAndValue);
        }
        // §5.6 step 6: name and value may hold 4096 octets together.
        if name.len() + value.len() > MAX_NAME_VALUE_BYTES {
            return Err(ParseError::NameValueTooLong { len: name.len() + value.len() });
        }
        // Chromium: control characters, HTAB included, are invalid inside a
        // name or value; 6265bis tolerates HTAB there. (A line without any
        // HTAB, as step 1's pass found, cannot have one there.)
        if scan.tab && (name.contains(&b'\t') || value.contains(&b'\t')) {
            return Err(ParseError::TabInNameOrValue);
        }
        // Chromium: a nameless cookie must not carry '=' in its value.
        if name.is_empty() && memchr(b'=', value).is_some() {
            return Err(ParseError::NamelessValueWithEquals);
        }

        let mut cookie = SetCookie {
            name,
            value,
            expires: None,
            max_age: None,
            domain: None,
            path: None,
            secure: false,
            http_only: false,
            same_site: SameSite::Unspecified,
            partitioned: false,
        };

        // §5.6 step 9: process the unparsed-attributes one cookie-av at a time.
        // `unparsed` is empty or starts with the ';' that ends the previous part.
        while let [_, rest @ ..] = unparsed {
            // §5.6 step 9.1: discard the leading ';'; the cookie-av runs to
            // the next ';'. §5.6 step 9.2–9.4: the attribute name runs to the
            // first '=' of the cookie-av (all of it when there is none), the
            // value from there to the end of the cookie-av; both are trimmed
            // of WSP. Attribute names and values are short: a word-at-a-time
            // scan (cheaper than `memchr`'s set-up for a few bytes) finds the
            // '=' or ';' that closes the name and the ';' that closes a value.
            let rest = trim_wsp_start(rest);
            let name_len = find_either(b'=', b';', rest).unwrap_or(rest.len());
            let attr_name = trim_wsp_end(&rest[..name_len]);
            let attr_value = match rest.get(name_len) {
                Some(b'=') => {
                    let after = trim_wsp_start(&rest[name_len + 1..]);
                    let end = find_either(b';', b';', after).unwrap_or(after.len());
                    unparsed = &after[end..];
                    trim_wsp_end(&after[..end])
                }
                _ => {
                    unparsed = &rest[name_len..];
                    &rest[..0]
                }
            };
            // §5.6 step 9.5: over-long attribute values are ignored.
            if attr_value.len() > MAX_ATTRIBUTE_VALUE_BYTES {
                continue;
            }
            cookie.apply_attribute(attr_name, attr_value);
        }
        Ok(cookie)
    }

    /// §5.6.1–§5.6.7: one attribute, matched case-insensitively; the last
    /// occurrence of each wins. The names are told apart by length first.
    // Kept out of line: inlined into the attribute loop it made the whole
    // parse about 6 % more instructions (callgrind, benchmark corpus).
    #[inline(never)]
    fn apply_attribute(&mut self, name: &'a [u8], value: &'a [u8]) {
        match name.len() {
            7 if eq_lowercase(name, b"expires") => {
                // §5.6.1 steps 1–2: a value that fails the cookie-date algorithm
                // is ignored. Chromium (ParsedCookie::SetupAttributes) keeps only
                // the last Expires, so an invalid last one cancels an earlier valid one.
                self.expires = parse_expires(value);
            }
            7 if eq_lowercase(name, b"max-age") => {
                // §5.6.2: `-`? DIGIT+ (Chromium also takes a leading `+`); as for
                // Expires, the last Max-Age counts even when it is invalid.
                self.max_age = parse_max_age(value);
            }
            6 if eq_lowercase(name, b"domain") => {
                // §5.6.3 steps 1–2: drop one leading '.'; an empty value is kept
                // and makes the cookie host-only (§5.7 step 9).
                self.domain = Some(value);
            }
            4 if eq_lowercase(name, b"path") => {
                // §5.6.4: kept as written; an empty value or one not starting with
                // '/' means the default-path, resolved against the request.
                self.path = Some(value);
            }
            6 if eq_lowercase(name, b"secure") => {
                // §5.6.5: the value is ignored.
                self.secure = true;
            }
            8 if eq_lowercase(name, b"httponly") => {
                // §5.6.6: the value is ignored.
                self.http_only = true;
            }
            8 if eq_lowercase(name, b"samesite") => {
                // §5.6.7 steps 1–4: an unknown value means "Default".
                self.same_site = match value.len() {
                    4 if eq_lowercase(value, b"none") => SameSite::None,
                    6 if eq_lowercase(value, b"strict") => SameSite::Strict,
                    3 if eq_lowercase(value, b"lax") => SameSite::Lax,
                    _ => SameSite::Unspecified,
                };
            }
            11 if eq_lowercase(name, b"partitioned") => {
                // CHIPS (draft-cutler-httpbis-partitioned-cookies §2.1): the value is ignored.
                self.partitioned = true;
            }
            // §5.6 step 9.6: any other attribute is ignored.
            _ => {}
        }
    }

    /// The cookie's name, as bytes (may be empty: a nameless cookie).
    pub fn name(&self) -> &'a [u8] {
        self.name
    }

    /// The cookie's value, as bytes.
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The name as text (invalid UTF-8 replaced).
    pub fn name_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.name)
    }

    /// The value as text (invalid UTF-8 replaced).
    pub fn value_str(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.value)
    }

    /// The last valid `Expires` date, if any.
    pub fn expires(&self) -> Option<Timestamp> {
        self.expires
    }

    /// The last valid `Max-Age`, in seconds (may be zero or negative).
    pub fn max_age(&self) -> Option<i64> {
        self.max_age
    }

    /// The last `Domain` value with one leading dot removed, as written
    /// (`Some(b"")` for an empty `Domain=`).
    pub fn domain_raw(&self) -> Option<&'a [u8]> {
        self.domain.map(|d| d.strip_prefix(b".").unwrap_or(d))
    }

    /// The last `Domain` value exactly as written (leading dot kept).
    pub fn domain_attribute(&self) -> Option<&'a [u8]> {
        self.domain
    }

    /// The last `Domain` value canonicalised (§5.6.3 step 3 and §5.1.2):
    /// lower-cased, internationalised labels converted to A-labels.
    /// `Ok(None)` when there is no `Domain` attribute, `Ok(Some(""))` when it is empty.
    pub fn domain(&self) -> Result<Option<String>, crate::domain::DomainError> {
        match self.domain_raw() {
            None => Ok(None),
            Some([]) => Ok(Some(String::new())),
            Some(raw) => crate::domain::canonicalize_domain(raw).map(Some),
        }
    }

    /// The last `Path` value as written, if any. Whether it is used or the
    /// default-path replaces it is decided against the request (§5.6.4).
    pub fn path(&self) -> Option<&'a [u8]> {
        self.path
    }

    /// Whether `Secure` is present.
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Whether `HttpOnly` is present.
    pub fn http_only(&self) -> bool {
        self.http_only
    }

    /// The last `SameSite` value.
    pub fn same_site(&self) -> SameSite {
        self.same_site
    }

    /// Whether `Partitioned` is present.
    pub fn partitioned(&self) -> bool {
        self.partitioned
    }
}

impl fmt::Display for SetCookie<'_> {
    /// Writes the cookie back as a `Set-Cookie` value, attributes normalised.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.name.is_empty() {
            write!(f, "{}=", String::from_utf8_lossy(self.name))?;
        }
        f.write_str(&String::from_utf8_lossy(self.value))?;
        if let Some(expires) = self.expires {
            write!(f, "; Expires={expires}")?;
        }
        if let Some(max_age) = self.max_age {
            write!(f, "; Max-Age={max_age}")?;
        }
        if let Some(domain) = self.domain {
            write!(f, "; Domain={}", String::from_utf8_lossy(domain))?;
        }
        if let Some(path) = self.path {
            write!(f, "; Path={}", String::from_utf8_lossy(path))?;
        }
        if self.secure {
            f.write_str("; Secure")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        if let Some(same_site) = self.same_site.as_attribute_value() {
            write!(f, "; SameSite={same_site}")?;
        }
        if self.partitioned {
            f.write_str("; Partitioned")?;
        }
        Ok(())
    }
}

/// §5.1.1 for `Expires`, with Chromium's treatment of years before 1601:
/// the date is the earliest time (the cookie is expired) instead of a
/// failure that would make a session cookie.
fn parse_expires(value: &[u8]) -> Option<Timestamp> {
    parse_cookie_date(value).or_else(|| crate::date::is_before_1601(value).then_some(Timestamp::MIN))
}

/// §5.6.2 steps 1–3: `Max-Age` is an optional sign and one or more digits;
/// anything else is ignored. 6265bis allows only '-'; Chromium
/// (`base::StringToInt64`) also accepts '+'. Large values saturate.
fn parse_max_age(value: &[u8]) -> Option<i64> {
    let (negative, digits) = match value {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, value),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude =
        digits.iter().try_fold(0i64, |n, &d| n.checked_mul(10)?.checked_add(i64::from(d - b'0'))).unwrap_or(i64::MAX);
    Some(if negative { -magnitude } else { magnitude })
}

/// `%x00-08 / %x0A-1F / %x7F`: the controls that reject a line (§5.6 step 1).
pub(crate) fn is_forbidden_control(b: u8) -> bool {
    matches!(b, 0x00..=0x08 | 0x0A..=0x1F | 0x7F)
}

/// What [`scan_line`] found in a whole line.
struct LineScan {
    /// A control character that rejects the line (§5.6 step 1).
    control: bool,
    /// An HTAB anywhere in the line.
    tab: bool,
}

/// Looks for forbidden controls and HTAB in the whole line. A first,
/// branch-free pass only asks whether any byte `b` has `(b + 1) & 0x7F` at
/// most 0x20: that holds for every control (0x00–0x1F, 0x7F), HTAB included,
/// and otherwise only for 0x80–0x9F and 0xFF, never for printable ASCII. It
/// goes through the line in 32-byte blocks with per-lane flags, which the
/// compiler turns into vector add/and/compare/or; a partial last block is read
/// as an overlapping full block (a byte seen twice cannot change an OR) or,
/// for a line shorter than a block, copied into one padded with `a`. Only a
/// line for which it finds such a byte is searched exactly, byte by byte.
#[inline]
fn scan_line(line: &[u8]) -> LineScan {
    const BLOCK: usize = 32;
    #[inline(always)]
    fn flag(block: &[u8; BLOCK], flags: &mut [u8; BLOCK]) {
        for (&b, f) in block.iter().zip(flags.iter_mut()) {
            *f |= u8::from(b.wrapping_add(1) & 0x7F <= 0x20);
        }
    }
    let mut flags = [0u8; BLOCK];
    let mut blocks = line.chunks_exact(BLOCK);
    for block in &mut blocks {
        if let Ok(block) = block.try_into() {
            flag(block, &mut flags);
        }
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        if let Some(last) = line.last_chunk::<BLOCK>() {
            flag(last, &mut flags);
        } else {
            let mut padded = [b'a'; BLOCK];
            padded[..tail.len()].copy_from_slice(tail);
            flag(&padded, &mut flags);
        }
    }
    if flags.iter().all(|&f| f == 0) {
        return LineScan { control: false, tab: false };
    }
    LineScan { control: line.iter().any(|&b| is_forbidden_control(b)), tab: line.contains(&b'\t') }
}

/// Whether `bytes` equals `lower` (lower-case letters and '-') ignoring ASCII
/// case, for bytes from a line without forbidden controls. `| 0x20` maps an
/// ASCII letter to its lower case and no other byte onto a lower-case letter,
/// so for letters it is exactly `eq_ignore_ascii_case`; for '-' (0x2D) it
/// would also take CR (0x0D), which §5.6 step 1 has already rejected. Unlike
/// `eq_ignore_ascii_case` it compares whole 8-byte words (two overlapping
/// ones for names of 9 to 16 bytes).
#[inline(always)]
fn eq_lowercase<const N: usize>(bytes: &[u8], lower: &[u8; N]) -> bool {
    const CASE: u64 = u64::from_le_bytes([0x20; 8]);
    debug_assert!(lower.iter().all(|&b| b.is_ascii_lowercase() || b == b'-'));
    debug_assert!(N <= 16);
    let Ok(bytes) = <&[u8; N]>::try_from(bytes) else {
        return false;
    };
    // The first (up to) 8 bytes as a word, zero-padded, and the last 8.
    let words = |b: &[u8; N]| -> (u64, u64) {
        let mut head = [0u8; 8];
        let n = N.min(8);
        head[..n].copy_from_slice(&b[..n]);
        let tail = b.last_chunk::<8>().map_or(0, |t| u64::from_le_bytes(*t));
        (u64::from_le_bytes(head), tail)
    };
    let ((head, tail), (lower_head, lower_tail)) = (words(bytes), words(lower));
    ((head | CASE) ^ (lower_head | CASE)) | ((tail | CASE) ^ (lower_tail | CASE)) == 0
}

/// The index of the first `a` or `b` in `haystack`, 8 bytes at a time
/// (SWAR): for short haystacks this is cheaper than `memchr`'s set-up.
#[inline(always)]
fn find_either(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
    const LOW: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // Marks the high bit of zero bytes: the lowest mark is always a true
    // zero byte (a borrow can only mark bytes above one), which is all
    // that finding the first match needs.
    let zero_bytes = |w: u64| w.wrapping_sub(LOW) & !w & HIGH;
    let (a_word, b_word) = (LOW * u64::from(a), LOW * u64::from(b));
    let mut words = haystack.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        // `chunks_exact(8)` yields 8-byte slices only; the fallback is unreachable.
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        let found = zero_bytes(w ^ a_word) | zero_bytes(w ^ b_word);
        if found != 0 {
            return Some(offset + (found.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    words.remainder().iter().position(|&c| c == a || c == b).map(|i| offset + i)
}

/// Removes leading and trailing SP and HTAB (WSP).
pub(crate) fn trim_wsp(bytes: &[u8]) -> &[u8] {
    trim_wsp_end(trim_wsp_start(bytes))
}

/// Removes leading SP and HTAB.
#[inline]
fn trim_wsp_start(bytes: &[u8]) -> &[u8] {
    match bytes {
        [b' ' | b'\t', rest @ ..] => {
            let n = rest.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(rest.len());
            &rest[n..]
        }
        _ => bytes,
    }
}

/// Removes trailing SP and HTAB.
#[inline]
fn trim_wsp_end(bytes: &[u8]) -> &[u8] {
    match bytes {
        [rest @ .., b' ' | b'\t'] => {
            let n = rest.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(0, |i| i + 1);
            &rest[..n]
        }
        _ => bytes,
    }
}

/// The first `needle` in `haystack` (SIMD-accelerated by the `memchr` crate).
#[inline]
pub(crate) fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> SetCookie<'_> {
        SetCookie::parse(line).unwrap()
    }

    #[test]
    fn step_1_control_characters_reject_the_line() {
        assert_eq!(SetCookie::parse("a=b\x01c"), Err(ParseError::ControlCharacter { byte: 1, index: 3 }));
        assert!(SetCookie::parse("a=b\rc").is_err());
        assert!(SetCookie::parse("a=b; Path=/\x7f").is_err());
        assert!(SetCookie::parse("a=b; Path=/\tx").is_ok(), "HTAB is no control character for the line");
        assert_eq!(
            SetCookie::parse("a=b\tc"),
            Err(ParseError::TabInNameOrValue),
            "but Chromium refuses it inside a value"
        );
    }

    #[test]
    fn step_3_nameless_cookie() {
        let c = parse("foo");
        assert_eq!(c.name(), b"");
        assert_eq!(c.value(), b"foo");
        let c = parse("=foo");
        assert_eq!((c.name(), c.value()), (&b""[..], &b"foo"[..]));
    }

    #[test]
    fn step_4_only_sp_and_htab_are_trimmed() {
        let c = parse(" \t a \t = \t b \t ");
        assert_eq!((c.name(), c.value()), (&b"a"[..], &b"b"[..]));
        let c = SetCookie::parse("\u{2000}__Host-sid=1").unwrap();
        assert_eq!(c.name(), "\u{2000}__Host-sid".as_bytes(), "Unicode space is part of the name");
    }

    #[test]
    fn step_5_empty_name_and_value_rejected() {
        assert_eq!(SetCookie::parse(""), Err(ParseError::EmptyNameAndValue));
        assert_eq!(SetCookie::parse("="), Err(ParseError::EmptyNameAndValue));
        assert_eq!(SetCookie::parse(" ; Path=/"), Err(ParseError::EmptyNameAndValue));
    }

    #[test]
    fn step_6_size_limit() {
        let ok = format!("{}={}", "n".repeat(2048), "v".repeat(2048));
        assert!(SetCookie::parse(&ok).is_ok());
        let too_long = format!("{}={}", "n".repeat(2048), "v".repeat(2049));
        assert_eq!(SetCookie::parse(&too_long), Err(ParseError::NameValueTooLong { len: 4097 }));
    }

    #[test]
    fn chromium_rejects_nameless_value_with_equals() {
        assert_eq!(SetCookie::parse("=a=bar"), Err(ParseError::NamelessValueWithEquals));
    }

    #[test]
    fn attribute_values_over_1024_bytes_are_ignored() {
        let line = format!("a=b; Path=/{}; Secure", "p".repeat(1024));
        let c = parse(&line);
        assert_eq!(c.path(), None);
        assert!(c.secure());
        let line = format!("a=b; Path=/{}", "p".repeat(1023));
        assert_eq!(parse(&line).path().map(<[u8]>::len), Some(1024));
    }

    #[test]
    fn last_duplicate_attribute_wins() {
        let c = parse("a=b; Path=/one; path=/two; SameSite=Strict; samesite=Lax");
        assert_eq!(c.path(), Some(&b"/two"[..]));
        assert_eq!(c.same_site(), SameSite::Lax);
    }

    #[test]
    fn unknown_attributes_ignored_and_names_case_insensitive() {
        let c = parse("a=b; FOO=bar; sEcUrE; HTTPONLY=whatever; Partitioned");
        assert!(c.secure() && c.http_only() && c.partitioned());
    }

    #[test]
    fn expires_uses_cookie_date_algorithm_and_bad_dates_are_ignored() {
        let c = parse("a=b; Expires=garbage; Expires=Wed, 09 Dec 2009 16:27:23 GMT");
        assert_eq!(c.expires(), Timestamp::from_civil(2009, 12, 9, 16, 27, 23));
        assert_eq!(parse("a=b; Expires=Wed, 09 Dec 2009 16:27:23 GMT; Expires=garbage").expires(), None);
        assert_eq!(parse("a=b; Expires=Sat, 01 Jan 1600 00:00:00 GMT").expires(), Some(Timestamp::MIN));
    }

    #[test]
    fn max_age_forms() {
        assert_eq!(parse("a=b; Max-Age=10").max_age(), Some(10));
        assert_eq!(parse("a=b; Max-Age=0").max_age(), Some(0));
        assert_eq!(parse("a=b; Max-Age=-5").max_age(), Some(-5));
        assert_eq!(parse("a=b; Max-Age=+5").max_age(), Some(5), "Chromium accepts '+'");
        assert_eq!(parse("a=b; Max-Age=0; Max-Age=x").max_age(), None, "the last Max-Age counts");
        assert_eq!(parse("a=b; Max-Age=5s").max_age(), None);
        assert_eq!(parse("a=b; Max-Age=-").max_age(), None);
        assert_eq!(parse("a=b; Max-Age=99999999999999999999999").max_age(), Some(i64::MAX));
    }

    #[test]
    fn domain_leading_dot_case_and_empty() {
        let c = parse("a=b; Domain=.EXAMPLE.com");
        assert_eq!(c.domain_raw(), Some(&b"EXAMPLE.com"[..]));
        assert_eq!(c.domain_attribute(), Some(&b".EXAMPLE.com"[..]));
        assert_eq!(c.domain().unwrap().as_deref(), Some("example.com"));
        let c = parse("a=b; Domain=example.com; Domain=");
        assert_eq!(c.domain().unwrap().as_deref(), Some(""));
        let c = parse("a=b; Domain=bücher.example");
        assert_eq!(c.domain().unwrap().as_deref(), Some("xn--bcher-kva.example"));
    }

    #[test]
    fn same_site_unknown_is_unspecified() {
        assert_eq!(parse("a=b; SameSite=Bogus").same_site(), SameSite::Unspecified);
        assert_eq!(parse("a=b; SameSite=NONE").same_site(), SameSite::None);
    }

    /// The parser as it was before the single-pass attribute scan and the
    /// length-dispatched attribute names (kept verbatim as an oracle).
    fn reference_parse(line: &[u8]) -> Result<SetCookie<'_>, ParseError> {
        fn trim(mut bytes: &[u8]) -> &[u8] {
            while let [b' ' | b'\t', rest @ ..] = bytes {
                bytes = rest;
            }
            while let [rest @ .., b' ' | b'\t'] = bytes {
                bytes = rest;
            }
            bytes
        }
        if let Some(index) = line.iter().position(|&b| is_forbidden_control(b)) {
            return Err(ParseError::ControlCharacter { byte: line[index], index });
        }
        let (pair, mut unparsed) = match memchr(b';', line) {
            Some(i) => (&line[..i], &line[i..]),
            None => (line, &line[line.len()..]),
        };
        let (name, value) = match memchr(b'=', pair) {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (&pair[..0], pair),
        };
        let (name, value) = (trim(name), trim(value));
        if name.is_empty() && value.is_empty() {
            return Err(ParseError::EmptyNameAndValue);
        }
        if name.len() + value.len() > MAX_NAME_VALUE_BYTES {
            return Err(ParseError::NameValueTooLong { len: name.len() + value.len() });
        }
        if name.contains(&b'\t') || value.contains(&b'\t') {
            return Err(ParseError::TabInNameOrValue);
        }
        if name.is_empty() && memchr(b'=', value).is_some() {
            return Err(ParseError::NamelessValueWithEquals);
        }
        let mut c = SetCookie {
            name,
            value,
            expires: None,
            max_age: None,
            domain: None,
            path: None,
            secure: false,
            http_only: false,
            same_site: SameSite::Unspecified,
            partitioned: false,
        };
        while !unparsed.is_empty() {
            unparsed = &unparsed[1..];
            let av = match memchr(b';', unparsed) {
                Some(i) => {
                    let av = &unparsed[..i];
                    unparsed = &unparsed[i..];
                    av
                }
                None => std::mem::take(&mut unparsed),
            };
            let (n, v) = match memchr(b'=', av) {
                Some(i) => (trim(&av[..i]), trim(&av[i + 1..])),
                None => (trim(av), &av[..0]),
            };
            if v.len() > MAX_ATTRIBUTE_VALUE_BYTES {
                continue;
            }
            if n.eq_ignore_ascii_case(b"expires") {
                c.expires = parse_expires(v);
            } else if n.eq_ignore_ascii_case(b"max-age") {
                c.max_age = parse_max_age(v);
            } else if n.eq_ignore_ascii_case(b"domain") {
                c.domain = Some(v);
            } else if n.eq_ignore_ascii_case(b"path") {
                c.path = Some(v);
            } else if n.eq_ignore_ascii_case(b"secure") {
                c.secure = true;
            } else if n.eq_ignore_ascii_case(b"httponly") {
                c.http_only = true;
            } else if n.eq_ignore_ascii_case(b"samesite") {
                c.same_site = if v.eq_ignore_ascii_case(b"none") {
                    SameSite::None
                } else if v.eq_ignore_ascii_case(b"strict") {
                    SameSite::Strict
                } else if v.eq_ignore_ascii_case(b"lax") {
                    SameSite::Lax
                } else {
                    SameSite::Unspecified
                };
            } else if n.eq_ignore_ascii_case(b"partitioned") {
                c.partitioned = true;
            }
        }
        Ok(c)
    }

    /// Pieces that make the parser's branches likely in random lines.
    fn piece() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            prop::sample::select(vec![
                ";",
                "=",
                " ",
                "\t",
                "\r",
                "\x7f",
                "\x00",
                "\x1f",
                "\u{85}",
                "\u{ff}",
                "a",
                "A",
                "-",
                ".",
                "expires",
                "EXPIRES",
                "max-age",
                "Max-Age",
                "mAx\rage",
                "domain",
                "Domain",
                "path",
                "PATH",
                "secure",
                "Secure",
                "httponly",
                "HttpOnly",
                "samesite",
                "SameSite",
                "partitioned",
                "Partitioned",
                "none",
                "None",
                "lax",
                "LAX",
                "strict",
                "Strict",
                "expire",
                "paths",
                "Wed, 21 Oct 2026 07:28:00 GMT",
                "Thu, 01-Jan-26 00:30:00 GMT",
                "sun, 01 jan 1600 00:00:00 gmt",
                "-5",
                "+7",
                "0",
                "99999999999999999999999",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            prop::collection::vec(any::<u8>(), 0..4),
            Just(vec![b'v'; 1030]),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        #[test]
        fn agrees_with_the_reference_parser(pieces in proptest::collection::vec(piece(), 0..24)) {
            let line = pieces.concat();
            proptest::prop_assert_eq!(SetCookie::parse_bytes(&line), reference_parse(&line));
        }
    }

    #[test]
    fn agrees_with_the_reference_parser_on_lines_of_every_length() {
        // Every length around the scan's 32-byte blocks, with a control, a
        // tab, a byte in 0x80–0x9F or nothing special at every position.
        for len in 0..100 {
            for special in [None, Some(b'\x01'), Some(b'\t'), Some(0x85), Some(0x7F), Some(0xFF)] {
                for at in 0..len.max(1) {
                    let mut line: Vec<u8> =
                        (0..len).map(|i| if i % 7 == 3 { b';' } else { b'a' + (i % 5) as u8 }).collect();
                    if let (Some(b), true) = (special, at < len) {
                        line[at] = b;
                    }
                    assert_eq!(SetCookie::parse_bytes(&line), reference_parse(&line), "{line:?}");
                }
            }
        }
    }

    #[test]
    fn display_round_trips_semantics() {
        let c = parse("a=b; path=/x; secure; httponly; samesite=strict; max-age=5");
        let again = c.to_string();
        let reparsed = SetCookie::parse(&again).unwrap();
        assert_eq!(reparsed, c);
    }
}
