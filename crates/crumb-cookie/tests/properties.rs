//! Property tests: serialise → parse round trips, and jar invariants under
//! arbitrary operation sequences.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use crumb_cookie::replay::DEFAULT_START;
use crumb_cookie::{
    parse_cookie_header, write_cookie_header, Jar, ManualClock, RequestContext, RequestUrl, ResponseCookie, SameSite,
    SetCookie,
};
use proptest::prelude::*;

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}"
}

fn cookie_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'()*+./:<=>?@\\[\\]^_`{|}~-]{0,40}"
}

fn same_site() -> impl Strategy<Value = SameSite> {
    prop_oneof![Just(SameSite::Unspecified), Just(SameSite::Lax), Just(SameSite::Strict), Just(SameSite::None)]
}

proptest! {
    /// Whatever the builder accepts, the parser reads back unchanged.
    #[test]
    fn builder_output_parses_back(
        name in token(),
        value in cookie_value(),
        max_age in proptest::option::of(-10i64..400 * 86_400),
        path in proptest::option::of("/[a-z/]{0,10}"),
        domain in proptest::option::of("[a-z]{1,8}\\.(com|org)"),
        http_only: bool,
        same_site in same_site(),
        partitioned: bool,
    ) {
        let mut cookie = ResponseCookie::new(name.clone(), value.clone()).http_only(http_only).same_site(same_site).partitioned(partitioned).path(path.as_deref());
        if let Some(seconds) = max_age { cookie = cookie.max_age(seconds); }
        if let Some(domain) = &domain { cookie = cookie.domain(domain.clone()); }
        // Prefixed names have their own rules; skip them here.
        prop_assume!(!name.to_ascii_lowercase().starts_with("__"));
        let header = cookie.to_header_value_at(DEFAULT_START).unwrap();
        let parsed = SetCookie::parse(&header).unwrap();
        prop_assert_eq!(parsed.name(), name.as_bytes());
        prop_assert_eq!(parsed.value(), value.as_bytes());
        prop_assert_eq!(parsed.max_age(), max_age);
        prop_assert_eq!(parsed.path(), path.as_deref().map(str::as_bytes));
        prop_assert_eq!(parsed.domain().unwrap(), domain);
        prop_assert!(parsed.secure());
        prop_assert_eq!(parsed.http_only(), http_only);
        prop_assert_eq!(parsed.same_site(), same_site);
        prop_assert_eq!(parsed.partitioned(), partitioned);
    }

    /// A parsed Set-Cookie printed and parsed again is the same cookie.
    #[test]
    fn set_cookie_display_round_trip(line in "[ -~]{0,80}") {
        if let Ok(parsed) = SetCookie::parse(&line) {
            let printed = parsed.to_string();
            let reparsed = SetCookie::parse(&printed).unwrap();
            prop_assert_eq!(reparsed.name(), parsed.name());
            prop_assert_eq!(reparsed.value(), parsed.value());
            prop_assert_eq!(reparsed.secure(), parsed.secure());
            prop_assert_eq!(reparsed.http_only(), parsed.http_only());
            prop_assert_eq!(reparsed.same_site(), parsed.same_site());
            prop_assert_eq!(reparsed.max_age(), parsed.max_age());
            prop_assert_eq!(reparsed.expires(), parsed.expires());
        }
    }

    /// Writing pairs as a Cookie header and parsing it gives the pairs back.
    #[test]
    fn cookie_header_round_trip(pairs in proptest::collection::vec((token(), cookie_value()), 0..20)) {
        let header = write_cookie_header(pairs.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())));
        let parsed: Vec<(Vec<u8>, Vec<u8>)> = parse_cookie_header(&header).map(|p| (p.name().to_vec(), p.value().to_vec())).collect();
        let expected: Vec<(Vec<u8>, Vec<u8>)> = pairs.iter().map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
        prop_assert_eq!(parsed, expected);
    }

    /// Parsing never panics on arbitrary bytes.
    #[test]
    fn parsers_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = SetCookie::parse_bytes(&bytes);
        let _ = parse_cookie_header(&bytes).count();
        let _ = crumb_cookie::parse_cookie_date(&bytes);
    }

    /// Jar invariants under arbitrary sequences of sets, lookups and clock moves.
    #[test]
    fn jar_invariants(ops in proptest::collection::vec((0usize..6, 0usize..8, "[a-c]{1,2}(=[a-z0-9]{0,3})?(; (Secure|HttpOnly|Max-Age=[0-9]|Max-Age=-1|Domain=example\\.com|Domain=com|Path=/a|Path=/|SameSite=(Lax|Strict|None)|__Host-x)){0,4}", 0i64..5), 1..60)) {
        const URLS: [&str; 6] = [
            "http://example.com/", "https://example.com/a/b", "https://www.example.com/a",
            "http://other.example.org/", "http://localhost/", "https://127.0.0.1/",
        ];
        let clock = ManualClock::new(DEFAULT_START);
        let mut jar = Jar::with_clock(&clock);
        for (url_index, kind, line, advance) in ops {
            let url = RequestUrl::parse(URLS[url_index]).unwrap();
            clock.advance_seconds(advance);
            if kind < 5 {
                let _ = jar.set_cookie(&url, line.as_bytes(), RequestContext::typed_navigation());
            } else {
                let ctx = RequestContext::cross_site_subresource("GET");
                let now = clock.now_for_test();
                let secure_origin = url.has_secure_scheme() || url.host() == "localhost" || url.host() == "127.0.0.1";
                for cookie in jar.cookies_for(&url, ctx) {
                    prop_assert!(!cookie.is_expired(now));
                    prop_assert!(!cookie.secure || secure_origin);
                    prop_assert_eq!(cookie.same_site, SameSite::None, "cross-site subresources only get SameSite=None");
                }
            }
            prop_assert_eq!(jar.len(), jar.iter().count());
            // At most one cookie per (name, domain, host-only, path, partition).
            let mut identities: Vec<_> = jar.iter().map(|c| (c.name.clone(), c.domain.clone(), c.host_only, c.path.clone(), c.partition_key.clone())).collect();
            let total = identities.len();
            identities.sort();
            identities.dedup();
            prop_assert_eq!(identities.len(), total);
            // Every stored domain cookie's domain is a registrable domain or below it, never a public suffix.
            for cookie in jar.iter() {
                prop_assert!(cookie.host_only || !crumb_cookie::domain::is_public_suffix(&cookie.domain));
            }
        }
        // The header, when present, is exactly the pairs joined by "; ".
        let url = RequestUrl::parse("https://www.example.com/a").unwrap();
        if let Some(header) = jar.cookie_header_bytes(&url, RequestContext::typed_navigation()) {
            let rebuilt = write_cookie_header(jar.cookies_for(&url, RequestContext::typed_navigation()).iter().map(|c| (c.name.as_slice(), c.value.as_slice())));
            prop_assert_eq!(header, rebuilt);
        }
    }
}

trait NowForTest {
    fn now_for_test(&self) -> crumb_cookie::Timestamp;
}

impl NowForTest for ManualClock {
    fn now_for_test(&self) -> crumb_cookie::Timestamp {
        crumb_cookie::Clock::now(self)
    }
}
