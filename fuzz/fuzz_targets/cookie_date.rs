//! The cookie-date algorithm (RFC 6265bis §5.1.1) on arbitrary bytes.
//!
//! Checked: no panic; a parsed date is a whole second in years 1601–9999 and
//! comes back unchanged from its own IMF-fixdate (`Display`).
#![no_main]

use crumb_cookie::{parse_cookie_date, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(t) = parse_cookie_date(data) else { return };
    assert_eq!(t.unix_micros() % 1_000_000, 0, "{data:?} gave a fraction of a second");
    let civil = t.to_civil();
    assert!((1601..=9999).contains(&civil.year), "{data:?} gave year {}", civil.year);
    let written = t.to_string();
    assert_eq!(parse_cookie_date(written.as_bytes()), Some(t), "{data:?} -> {written:?} does not round-trip");
    assert_eq!(
        Timestamp::from_civil(civil.year, civil.month, civil.day, civil.hour, civil.minute, civil.second),
        Some(t)
    );
});
