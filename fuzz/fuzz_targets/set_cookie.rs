//! `SetCookie::parse_bytes` on arbitrary bytes; every parsed cookie is written
//! back with `Display` and parsed again.
//!
//! Always checked: no panic; the written form parses; name, value, Max-Age,
//! Domain, Path and the flags survive the round trip (when they are UTF-8,
//! since `Display` replaces invalid UTF-8).
//! With `CRUMB_FUZZ_STRICT=1` also: `Expires` survives the round trip.
#![no_main]

use std::sync::OnceLock;

use crumb_cookie::{SetCookie, Timestamp};
use libfuzzer_sys::fuzz_target;

fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("CRUMB_FUZZ_STRICT").is_some_and(|v| v == "1"))
}

fn utf8(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let Ok(cookie) = SetCookie::parse_bytes(data) else { return };
    // Every accessor, including the ones that compute.
    let _ = (cookie.name_str(), cookie.value_str(), cookie.domain(), cookie.expires(), cookie.max_age());
    let _ = (cookie.path(), cookie.secure(), cookie.http_only(), cookie.same_site(), cookie.partitioned());

    let written = cookie.to_string();
    let again = match SetCookie::parse(&written) {
        Ok(again) => again,
        Err(e) => {
            if utf8(cookie.name()) && utf8(cookie.value()) {
                panic!("Display output does not parse: {e}\n  input: {data:?}\n  written: {written:?}");
            }
            return;
        }
    };
    let same = |what: &str, ok: bool| {
        assert!(ok, "{what} changed in the round trip\n  input: {data:?}\n  written: {written:?}")
    };
    if utf8(cookie.name()) && utf8(cookie.value()) {
        same("name", again.name() == cookie.name());
        same("value", again.value() == cookie.value());
    }
    if cookie.domain_raw().is_none_or(utf8) {
        same("Domain", again.domain_raw() == cookie.domain_raw());
    }
    if cookie.path().is_none_or(utf8) {
        same("Path", again.path() == cookie.path());
    }
    same("Max-Age", again.max_age() == cookie.max_age());
    same("Secure", again.secure() == cookie.secure());
    same("HttpOnly", again.http_only() == cookie.http_only());
    same("SameSite", again.same_site() == cookie.same_site());
    same("Partitioned", again.partitioned() == cookie.partitioned());
    if strict() || cookie.expires().is_none_or(|t| t > Timestamp::MIN) {
        same("Expires", again.expires() == cookie.expires());
    }
});
