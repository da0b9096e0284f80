//! The `Cookie` request header: `parse_cookie_header` and `CookieHeader` on
//! arbitrary bytes.
//!
//! Checked: no panic; both APIs see the same pairs; no name or value has
//! surrounding SP/HTAB or a ';', no name an '='; writing the pairs back with
//! `write_cookie_header` and parsing again gives the same pairs (when no pair
//! is nameless with an '=' or empty, which a header cannot express).
#![no_main]

use crumb_cookie::{parse_cookie_header, write_cookie_header, CookieHeader};
use libfuzzer_sys::fuzz_target;

fn trimmed(bytes: &[u8]) -> bool {
    !matches!(bytes.first(), Some(b' ' | b'\t')) && !matches!(bytes.last(), Some(b' ' | b'\t'))
}

fuzz_target!(|data: &[u8]| {
    let pairs: Vec<(&[u8], &[u8])> = parse_cookie_header(data).map(|p| (p.name(), p.value())).collect();
    let header = CookieHeader::parse_bytes(data);
    let via_struct: Vec<(&[u8], &[u8])> = header.pairs().iter().map(|p| (p.name(), p.value())).collect();
    assert_eq!(pairs, via_struct, "iterator and CookieHeader disagree on {data:?}");

    for (i, &(name, value)) in pairs.iter().enumerate() {
        assert!(trimmed(name) && trimmed(value), "pair {i} is not trimmed: {data:?}");
        assert!(!name.contains(&b';') && !value.contains(&b';'), "pair {i} holds ';': {data:?}");
        assert!(!name.contains(&b'='), "pair {i}'s name holds '=': {data:?}");
        let pair = header.pairs()[i];
        let _ = (pair.name_str(), pair.value_str(), pair.value_unquoted());
        if let Some(name) = pair.name_str() {
            // `get` returns the first UTF-8 value under the name.
            let first = pairs.iter().filter(|p| p.0 == name.as_bytes()).find_map(|p| std::str::from_utf8(p.1).ok());
            assert_eq!(header.get(name), first, "get({name:?}) on {data:?}");
        }
    }

    // A nameless pair is written as its value alone: it reads back the same
    // only if that value is non-empty and has no '='.
    let expressible =
        pairs.iter().all(|(name, value)| !name.is_empty() || (!value.is_empty() && !value.contains(&b'=')));
    if expressible {
        let written = write_cookie_header(pairs.iter().copied());
        let again: Vec<(&[u8], &[u8])> = parse_cookie_header(&written).map(|p| (p.name(), p.value())).collect();
        assert_eq!(pairs, again, "round trip of {data:?} through {written:?}");
    }
});
