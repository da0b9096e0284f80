//! `document.cookie` against the HTTP layer: a `Jar` on a `ManualClock`
//! driven by a program read from the input, mixing `Set-Cookie` headers,
//! script writes (`Jar::set_from_script`) and script reads
//! (`Jar::script_cookie_string`).
//!
//! | opcode % 5 | operation | operand bytes |
//! | --- | --- | --- |
//! | 0 | `set_cookie` over HTTP | URL, length, that many bytes |
//! | 1, 2 | `set_from_script` | URL, length, that many bytes |
//! | 3 | `script_cookie_string` | URL |
//! | 4 | advance the clock | one byte (seconds) |
//!
//! Checked after every operation: `len()` equals `iter().count()`; a script
//! write never creates, changes or replaces an `HttpOnly` cookie, never
//! stores a `__Http-`/`__Host-Http-` cookie and never stores anything from a
//! value holding a control character other than HTAB; a script read shows
//! no `HttpOnly` cookie, no `Secure` cookie on plain http (but localhost),
//! no expired cookie, and is exactly the pairs of the cookies a script
//! request would get, joined by "; ".
#![no_main]

use std::collections::HashSet;

use crumb_cookie::{Clock, Jar, ManualClock, RequestContext, RequestUrl, Timestamp};
use libfuzzer_sys::fuzz_target;

const URLS: &[&str] = &[
    "https://www.example.com/",
    "http://www.example.com/a/b",
    "https://example.com/a/b/c",
    "http://sub.www.example.com/a/",
    "https://shop.example.co.uk/cart/view",
    "http://127.0.0.1/",
    "http://localhost:8080/app",
    "http://app.localhost/",
    "https://www.example.test/x/",
    "http://intranet/",
];

/// The HttpOnly cookies of the jar: identity and value.
fn http_only(jar: &Jar<&ManualClock>) -> HashSet<(Vec<u8>, String, String, Vec<u8>)> {
    jar.iter()
        .filter(|c| c.http_only)
        .map(|c| (c.name.clone(), c.domain.clone(), c.path.clone(), c.value.clone()))
        .collect()
}

fn take<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (&len, rest) = data.split_first()?;
    let len = usize::from(len) * 8;
    let len = len.min(rest.len());
    let (value, rest) = rest.split_at(len);
    *data = rest;
    Some(value)
}

fuzz_target!(|input: &[u8]| {
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_767_225_600));
    let mut jar = Jar::with_clock(&clock);
    let mut data = input;
    while let Some((&op, rest)) = data.split_first() {
        data = rest;
        let Some((&u, rest)) = data.split_first() else { break };
        let url = RequestUrl::parse(URLS[usize::from(u) % URLS.len()]).expect("fixed URLs parse");
        match op % 5 {
            0 => {
                data = rest;
                let Some(value) = take(&mut data) else { break };
                let _ = jar.set_cookie(&url, value, RequestContext::typed_navigation());
            }
            1 | 2 => {
                data = rest;
                let Some(value) = take(&mut data) else { break };
                let before = http_only(&jar);
                let stored = jar.set_from_script(&url, value);
                let after = http_only(&jar);
                assert!(after.is_subset(&before), "a script write created or changed an HttpOnly cookie: {value:?}");
                if stored.is_ok() {
                    let has_control = value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f);
                    assert!(!has_control, "a script write with a control character was stored: {value:?}");
                    for c in jar.iter() {
                        let name = c.name.to_ascii_lowercase();
                        assert!(
                            !name.starts_with(b"__http-") && !name.starts_with(b"__host-http-") || c.http_only,
                            "a script stored an __Http- cookie: {value:?}"
                        );
                    }
                }
            }
            3 => {
                data = rest;
                let text = jar.script_cookie_string(&url);
                let now = clock.now();
                let cookies = jar.cookies_for(&url, RequestContext::script());
                let mut expected = Vec::new();
                for (i, c) in cookies.iter().enumerate() {
                    assert!(!c.http_only, "a script read an HttpOnly cookie");
                    assert!(!c.is_expired(now), "a script read an expired cookie");
                    assert!(
                        !c.secure || url.has_secure_scheme() || crumb_cookie::domain::is_localhost(url.host()),
                        "a script read a Secure cookie on plain http"
                    );
                    if i > 0 {
                        expected.extend_from_slice(b"; ");
                    }
                    c.write_pair(&mut expected);
                }
                let expected = match String::from_utf8(expected) {
                    Ok(t) => t,
                    Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
                };
                assert_eq!(text, expected);
                assert!(!text.chars().any(|c| c.is_ascii_control() && c != '\t'), "control character in {text:?}");
            }
            _ => {
                clock.advance_seconds(i64::from(u) * 97);
                data = rest;
            }
        }
        assert_eq!(jar.len(), jar.iter().count());
    }
});
