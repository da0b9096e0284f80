//! The jar's storage and retrieval rules, one test per rule, each citing the
//! RFC 6265bis section (or the Chromium behaviour) it checks.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use crumb_cookie::replay::DEFAULT_START;
use crumb_cookie::{
    Api, Jar, JarConfig, ManualClock, ParseError, Rejection, RequestContext, RequestUrl, SameSite, SiteRelation, Stored,
};

fn url(text: &str) -> RequestUrl {
    RequestUrl::parse(text).unwrap()
}

fn nav() -> RequestContext {
    RequestContext::typed_navigation()
}

fn jar(clock: &ManualClock) -> Jar<&ManualClock> {
    Jar::with_clock(clock)
}

fn header(jar: &mut Jar<&ManualClock>, at: &str, ctx: RequestContext) -> String {
    jar.cookie_header(&url(at), ctx).unwrap_or_default()
}

fn set(jar: &mut Jar<&ManualClock>, at: &str, line: &str) -> Result<Stored, Rejection> {
    jar.set_cookie(&url(at), line, nav())
}

#[test]
fn parse_errors_reject_the_cookie_5_6() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    assert_eq!(
        set(&mut jar, "https://a.example.com/", "a=b\x00c"),
        Err(Rejection::Parse(ParseError::ControlCharacter { byte: 0, index: 3 }))
    );
    assert!(jar.is_empty());
}

#[test]
fn host_only_without_domain_5_7_step_10() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://www.example.com/", "a=1").unwrap();
    assert_eq!(header(&mut jar, "http://www.example.com/", nav()), "a=1");
    assert_eq!(header(&mut jar, "http://sub.www.example.com/", nav()), "", "host-only: not for subdomains");
    assert_eq!(header(&mut jar, "http://example.com/", nav()), "");
}

#[test]
fn domain_attribute_covers_subdomains_5_7_step_10() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://www.example.com/", "a=1; Domain=.Example.COM").unwrap();
    assert_eq!(header(&mut jar, "http://example.com/", nav()), "a=1");
    assert_eq!(header(&mut jar, "http://deep.sub.example.com/", nav()), "a=1");
    assert_eq!(header(&mut jar, "http://notexample.com/", nav()), "");
}

#[test]
fn domain_must_domain_match_the_host_5_7_step_10() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    assert!(matches!(
        set(&mut jar, "http://www.example.com/", "a=1; Domain=other.example.com"),
        Err(Rejection::DomainMismatch { .. })
    ));
    assert!(matches!(
        set(&mut jar, "http://www.example.com/", "a=1; Domain=example.org"),
        Err(Rejection::DomainMismatch { .. })
    ));
}

#[test]
fn public_suffixes_rejected_5_7_step_9() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    for (host, domain) in [("www.example.com", "com"), ("a.example.co.uk", "co.uk"), ("me.github.io", "github.io")] {
        assert_eq!(
            set(&mut jar, &format!("http://{host}/"), &format!("a=1; Domain={domain}")),
            Err(Rejection::DomainIsPublicSuffix { domain: domain.to_owned() }),
            "{host} / {domain}"
        );
    }
}

#[test]
fn public_suffix_equal_to_host_becomes_host_only_5_7_step_9() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://github.io/", "a=1; Domain=github.io").unwrap();
    let cookie = jar.iter().next().unwrap();
    assert!(cookie.host_only);
    assert_eq!(header(&mut jar, "http://me.github.io/", nav()), "");
    assert_eq!(header(&mut jar, "http://github.io/", nav()), "a=1");
}

#[test]
fn unlisted_tlds_follow_the_default_rule_like_chromium() {
    // The PSL's default rule `*`: under a TLD the list does not name, the
    // last label is the public suffix and the label before it a site.
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    for (host, domain) in [
        ("www.example.test", "example.test"),
        ("www.example.test", ".example.test"),
        ("www.web-platform.test", "www.web-platform.test"),
        ("api.myapp.localhost", "myapp.localhost"),
        ("db.corp.internal", "corp.internal"),
        ("printer.home.local", "home.local"),
        ("a.b.example", "b.example"),
    ] {
        let name = format!("c{}", jar.len());
        set(&mut jar, &format!("http://{host}/"), &format!("{name}=1; Domain={domain}")).unwrap();
        let cookie = jar.iter().find(|c| c.name == name.as_bytes()).unwrap();
        assert!(!cookie.host_only, "{host} / {domain}: a domain cookie");
        assert_eq!(cookie.domain, domain.trim_start_matches('.'));
    }
    assert_eq!(header(&mut jar, "http://example.test/", nav()), "c0=1; c1=1");
    assert_eq!(header(&mut jar, "http://deep.www.web-platform.test/", nav()), "c2=1");
    // The TLD itself is a public suffix; a sibling site is another site.
    assert_eq!(
        set(&mut jar, "http://www.example.test/", "x=1; Domain=test"),
        Err(Rejection::DomainIsPublicSuffix { domain: "test".to_owned() })
    );
    assert!(matches!(
        set(&mut jar, "http://www.example.test/", "x=1; Domain=other.test"),
        Err(Rejection::DomainMismatch { .. })
    ));
    // A single-label host takes only host cookies, Domain equal to the host included.
    set(&mut jar, "http://intranet/", "h=1; Domain=intranet").unwrap();
    assert!(jar.iter().find(|c| c.name == b"h").unwrap().host_only);
    assert!(set(&mut jar, "http://intranet/", "h=1; Domain=other").is_err());
}

#[test]
fn ip_hosts_take_only_host_cookies() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://127.0.0.1/", "a=1; Domain=127.0.0.1").unwrap();
    assert!(jar.iter().next().unwrap().host_only);
    assert!(set(&mut jar, "http://127.0.0.1/", "b=1; Domain=0.0.1").is_err());
}

#[test]
fn non_ascii_domain_converted_to_a_labels_like_chromium() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://www.xn--bcher-kva.de/", "a=1; Domain=bücher.de").unwrap();
    assert_eq!(jar.iter().next().unwrap().domain, "xn--bcher-kva.de");
    assert_eq!(header(&mut jar, "http://bücher.de/", nav()), "a=1");
}

#[test]
fn domain_dot_only_rejected_like_chromium() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    assert!(matches!(set(&mut jar, "http://www.example.com/", "a=1; Domain=."), Err(Rejection::DomainInvalid(_))));
    set(&mut jar, "http://www.example.com/", "a=1; Domain=").unwrap();
    assert!(jar.iter().next().unwrap().host_only, "an empty Domain makes a host-only cookie");
}

#[test]
fn default_path_and_path_attribute_5_7_step_11() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://example.com/docs/page", "a=1").unwrap();
    set(&mut jar, "http://example.com/", "b=2; Path=/docs/private").unwrap();
    set(&mut jar, "http://example.com/docs/page", "c=3; Path=relative").unwrap();
    assert_eq!(header(&mut jar, "http://example.com/docs/private/x", nav()), "b=2; a=1; c=3");
    assert_eq!(header(&mut jar, "http://example.com/docs", nav()), "a=1; c=3");
    assert_eq!(header(&mut jar, "http://example.com/docsx", nav()), "");
}

#[test]
fn secure_only_from_secure_origins_5_7_step_13() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    assert_eq!(set(&mut jar, "http://example.com/", "a=1; Secure"), Err(Rejection::SecureFromInsecureOrigin));
    set(&mut jar, "https://example.com/", "a=1; Secure").unwrap();
    assert_eq!(header(&mut jar, "http://example.com/", nav()), "", "never sent over http");
    assert_eq!(header(&mut jar, "https://example.com/", nav()), "a=1");
}

#[test]
fn localhost_counts_as_secure_like_chromium() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://localhost/", "a=1; Secure").unwrap();
    assert_eq!(header(&mut jar, "http://localhost/", nav()), "a=1");
    let mut strict = Jar::with_config(&clock, JarConfig { localhost_is_secure: false, ..JarConfig::default() });
    assert_eq!(
        strict.set_cookie(&url("http://localhost/"), "a=1; Secure", nav()),
        Err(Rejection::SecureFromInsecureOrigin)
    );
}

#[test]
fn http_only_hidden_from_and_unsettable_by_scripts_5_7_step_15() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let page = url("https://example.com/");
    assert_eq!(jar.set_cookie(&page, "a=1; HttpOnly", RequestContext::script()), Err(Rejection::HttpOnlyFromScript));
    jar.set_cookie(&page, "a=1; HttpOnly", nav()).unwrap();
    jar.set_cookie(&page, "b=2", RequestContext::script()).unwrap();
    assert_eq!(jar.cookie_header(&page, RequestContext::script()).unwrap(), "b=2");
    assert_eq!(jar.cookie_header(&page, nav()).unwrap(), "a=1; b=2");
    // §5.7 step 23.2: a script cannot overwrite an HttpOnly cookie either.
    assert_eq!(jar.set_cookie(&page, "a=evil", RequestContext::script()), Err(Rejection::OverwritesHttpOnly));
}

#[test]
fn insecure_origin_cannot_overlay_secure_cookie_5_7_step_16() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "https://www.example.com/", "sid=good; Secure; Domain=example.com").unwrap();
    assert_eq!(set(&mut jar, "http://www.example.com/", "sid=evil"), Err(Rejection::OverlaysSecureCookie));
    assert_eq!(
        set(&mut jar, "http://www.example.com/", "sid=evil; Path=/deeper"),
        Err(Rejection::OverlaysSecureCookie)
    );
    // localhost counts as a secure origin (Chromium).
    set(&mut jar, "https://localhost/", "sid=1; Secure").unwrap();
    set(&mut jar, "http://localhost/", "sid=2").unwrap();
    // A different name is fine, and so is the same name over https.
    set(&mut jar, "http://www.example.com/", "other=1").unwrap();
    set(&mut jar, "https://www.example.com/", "sid=new").unwrap();
}

#[test]
fn same_site_cookies_not_set_from_cross_site_subresources_5_7_step_18() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let tracker = url("https://tracker.example/");
    let cross = RequestContext::cross_site_subresource("GET");
    assert_eq!(jar.set_cookie(&tracker, "a=1", cross), Err(Rejection::SameSiteFromCrossSite));
    assert_eq!(jar.set_cookie(&tracker, "a=1; SameSite=Lax", cross), Err(Rejection::SameSiteFromCrossSite));
    jar.set_cookie(&tracker, "a=1; SameSite=None; Secure", cross).unwrap();
    // A cross-site top-level navigation may set them.
    jar.set_cookie(&tracker, "b=1; SameSite=Strict", RequestContext::cross_site_navigation("GET")).unwrap();
}

#[test]
fn same_site_none_requires_secure_5_7_step_19() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    assert_eq!(set(&mut jar, "https://example.com/", "a=1; SameSite=None"), Err(Rejection::SameSiteNoneWithoutSecure));
}

#[test]
fn same_site_enforcement_on_retrieval_5_8_3() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let site = "https://shop.example/";
    set(&mut jar, site, "strict=1; SameSite=Strict").unwrap();
    set(&mut jar, site, "lax=1; SameSite=Lax").unwrap();
    set(&mut jar, site, "none=1; SameSite=None; Secure").unwrap();
    set(&mut jar, site, "default=1").unwrap();
    let all = "strict=1; lax=1; none=1; default=1";
    assert_eq!(header(&mut jar, site, RequestContext::same_site("POST")), all);
    assert_eq!(header(&mut jar, site, RequestContext::cross_site_navigation("GET")), "lax=1; none=1; default=1");
    assert_eq!(header(&mut jar, site, RequestContext::cross_site_subresource("GET")), "none=1");
    // Lax-allowing-unsafe (§5.6.7.2): unspecified cookies younger than 2 minutes go on a cross-site POST navigation.
    assert_eq!(header(&mut jar, site, RequestContext::cross_site_navigation("POST")), "none=1; default=1");
    clock.advance_seconds(121);
    assert_eq!(header(&mut jar, site, RequestContext::cross_site_navigation("POST")), "none=1");
}

#[test]
fn secure_prefix_5_7_step_20() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    assert_eq!(set(&mut jar, "https://example.com/", "__Secure-a=1"), Err(Rejection::SecurePrefix));
    assert_eq!(set(&mut jar, "https://example.com/", "__SECURE-a=1"), Err(Rejection::SecurePrefix), "case-insensitive");
    set(&mut jar, "https://example.com/", "__Secure-a=1; Secure; Domain=example.com").unwrap();
}

#[test]
fn host_prefix_5_7_step_21() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let at = "https://www.example.com/";
    assert_eq!(set(&mut jar, at, "__Host-a=1; Path=/"), Err(Rejection::HostPrefix));
    assert_eq!(set(&mut jar, at, "__Host-a=1; Secure; Path=/; Domain=example.com"), Err(Rejection::HostPrefix));
    assert_eq!(set(&mut jar, at, "__Host-a=1; Secure; Path=/x"), Err(Rejection::HostPrefix));
    assert_eq!(set(&mut jar, at, "__host-a=1; Secure"), Err(Rejection::HostPrefix), "default path is not enough");
    assert_eq!(set(&mut jar, "https://www.example.com/a/b", "__Host-a=1; Secure"), Err(Rejection::HostPrefix));
    set(&mut jar, at, "__Host-a=1; Secure; Path=/").unwrap();
    // A Unicode space before the prefix makes a different name: no bypass.
    set(&mut jar, "http://www.example.com/", "\u{2000}__Host-a=evil").unwrap();
    assert_eq!(header(&mut jar, at, nav()), "__Host-a=1; \u{2000}__Host-a=evil");
}

#[test]
fn http_prefixes_chromium() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let at = "https://www.example.com/";
    assert_eq!(set(&mut jar, at, "__Http-a=1; Secure"), Err(Rejection::HttpPrefix));
    set(&mut jar, at, "__Http-a=1; Secure; HttpOnly").unwrap();
    assert_eq!(set(&mut jar, at, "__Host-Http-a=1; Secure; HttpOnly"), Err(Rejection::HostHttpPrefix));
    set(&mut jar, at, "__Host-Http-a=1; Secure; HttpOnly; Path=/").unwrap();
}

#[test]
fn nameless_cookie_cannot_look_prefixed_5_7_step_22() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    assert_eq!(set(&mut jar, "https://example.com/", "__Host-a; Secure; Path=/"), Err(Rejection::NamelessWithPrefix));
    assert_eq!(set(&mut jar, "https://example.com/", "=__secure-x; Secure"), Err(Rejection::NamelessWithPrefix));
    set(&mut jar, "https://example.com/", "plain").unwrap();
    assert_eq!(header(&mut jar, "https://example.com/", nav()), "plain");
}

#[test]
fn partitioned_requires_secure_chips() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    assert_eq!(set(&mut jar, "https://example.com/", "a=1; Partitioned"), Err(Rejection::PartitionedWithoutSecure));
    set(&mut jar, "https://example.com/", "a=1; Partitioned; Secure").unwrap();
    assert_eq!(jar.iter().next().unwrap().partition_key.as_deref(), Some("example.com"));
    assert_eq!(header(&mut jar, "https://example.com/", nav()), "a=1");
    assert_eq!(header(&mut jar, "https://example.com/", RequestContext::cross_site_subresource("GET")), "");
}

#[test]
fn replacement_keeps_creation_time_for_same_value_5_7_step_23() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let at = "http://example.com/";
    assert_eq!(set(&mut jar, at, "a=1"), Ok(Stored::Inserted));
    clock.advance_seconds(1);
    set(&mut jar, at, "b=2").unwrap();
    clock.advance_seconds(1);
    assert_eq!(set(&mut jar, at, "a=1; Max-Age=100"), Ok(Stored::Replaced));
    assert_eq!(jar.len(), 2);
    assert_eq!(header(&mut jar, at, nav()), "a=1; b=2", "same value: a keeps its earlier creation time");
    let a = jar.iter().find(|c| c.name == b"a").unwrap();
    assert_eq!(a.creation, DEFAULT_START);
    assert!(a.is_persistent());
    // Chromium: a new value is a new cookie for ordering purposes.
    assert_eq!(set(&mut jar, at, "a=changed"), Ok(Stored::Replaced));
    assert_eq!(header(&mut jar, at, nav()), "b=2; a=changed");
}

#[test]
fn host_only_and_domain_cookies_of_one_name_coexist() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://example.com/", "a=host").unwrap();
    set(&mut jar, "http://example.com/", "a=domain; Domain=example.com").unwrap();
    assert_eq!(jar.len(), 2);
    assert_eq!(header(&mut jar, "http://example.com/", nav()), "a=host; a=domain");
}

#[test]
fn expiry_max_age_precedence_and_deletion_5_7_step_6() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let at = "http://example.com/";
    set(&mut jar, at, "a=1; Max-Age=10; Expires=Thu, 01 Jan 2015 00:00:00 GMT").unwrap();
    set(&mut jar, at, "b=1; Expires=Thu, 01 Jan 2015 00:00:00 GMT; Max-Age=10").unwrap();
    assert_eq!(header(&mut jar, at, nav()), "a=1; b=1", "Max-Age wins whatever the order");
    clock.advance_seconds(10);
    assert_eq!(header(&mut jar, at, nav()), "", "expired at exactly Max-Age seconds");
    set(&mut jar, at, "c=1").unwrap();
    assert_eq!(set(&mut jar, at, "c=1; Max-Age=0"), Ok(Stored::Expired { removed_existing: true }));
    assert_eq!(set(&mut jar, at, "d=1; Max-Age=-1"), Ok(Stored::Expired { removed_existing: false }));
    assert!(jar.is_empty());
}

#[test]
fn lifetime_capped_at_400_days_5_5() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://example.com/", "a=1; Max-Age=999999999").unwrap();
    set(&mut jar, "http://example.com/", "b=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT").unwrap();
    for cookie in jar.iter() {
        assert_eq!(cookie.expiry, Some(DEFAULT_START.add_seconds(400 * 86_400)), "{}", cookie.name_str());
    }
    clock.advance_seconds(400 * 86_400 - 1);
    assert_eq!(header(&mut jar, "http://example.com/", nav()), "a=1; b=1");
    clock.advance_seconds(1);
    assert_eq!(header(&mut jar, "http://example.com/", nav()), "");
}

#[test]
fn order_longer_path_then_earlier_creation_5_8_3_step_2() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let at = "http://example.com/a/b/c";
    set(&mut jar, at, "short=1; Path=/").unwrap();
    set(&mut jar, at, "first=1; Path=/a").unwrap();
    set(&mut jar, at, "second=1; Path=/a").unwrap();
    set(&mut jar, at, "long=1; Path=/a/b").unwrap();
    assert_eq!(header(&mut jar, at, nav()), "long=1; first=1; second=1; short=1");
}

#[test]
fn last_access_updated_on_retrieval_5_8_3_step_3() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://example.com/", "a=1").unwrap();
    clock.advance_seconds(30);
    header(&mut jar, "http://example.com/", nav());
    assert_eq!(jar.iter().next().unwrap().last_access, DEFAULT_START.add_seconds(30));
}

#[test]
fn end_of_session_drops_session_cookies() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "http://example.com/", "session=1").unwrap();
    set(&mut jar, "http://example.com/", "persistent=1; Max-Age=3600").unwrap();
    jar.end_session();
    assert_eq!(header(&mut jar, "http://example.com/", nav()), "persistent=1");
}

#[test]
fn per_site_eviction_non_secure_first_then_lru() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    set(&mut jar, "https://example.com/", "secure-old=1; Secure").unwrap();
    for i in 0..179 {
        clock.advance_micros(1);
        set(&mut jar, "https://example.com/", &format!("c{i}=1")).unwrap();
    }
    assert_eq!(jar.len(), 180);
    // Touch c0 so it is recently used.
    clock.advance_micros(1);
    header(&mut jar, "https://example.com/", nav());
    clock.advance_micros(1);
    set(&mut jar, "https://www.example.com/", "overflow=1; Domain=example.com").unwrap();
    // 181 cookies in the site: purged down to 150, non-secure least recently used first.
    assert_eq!(jar.len(), 150);
    assert!(jar.iter().any(|c| c.name == b"secure-old"), "secure cookies go after non-secure ones");
    assert!(jar.iter().any(|c| c.name == b"overflow"), "the newest cookie survives");
    // Other sites are untouched by one site's purge.
    set(&mut jar, "https://other.example/", "x=1").unwrap();
    assert_eq!(jar.len(), 151);
}

#[test]
fn global_eviction_spares_recently_used_cookies() {
    let clock = ManualClock::new(DEFAULT_START);
    let config = JarConfig { max_cookies: 100, global_purge: 10, ..JarConfig::default() };
    let mut jar = Jar::with_config(&clock, config);
    for i in 0..100 {
        jar.set_cookie(&url(&format!("http://site{i}.example/")), "a=1", nav()).unwrap();
    }
    clock.advance_seconds(31 * 86_400);
    jar.set_cookie(&url("http://fresh.example/"), "a=1", nav()).unwrap();
    assert_eq!(jar.len(), 90, "purged to max - purge, old cookies first");
    assert!(jar.iter().any(|c| c.domain == "fresh.example"));
    // When every cookie was used within 30 days, none may be purged and the jar exceeds the limit (Chromium).
    let mut recent = Jar::with_config(&clock, JarConfig { max_cookies: 100, global_purge: 10, ..JarConfig::default() });
    for i in 0..110 {
        recent.set_cookie(&url(&format!("http://new{i}.example/")), "a=1", nav()).unwrap();
    }
    assert_eq!(recent.len(), 110);
}

#[test]
fn global_eviction_waits_until_a_cookie_is_past_the_safe_period() {
    // Chromium `CookieMonster::GarbageCollect`: the global purge runs only
    // when the earliest access time is older than the safe period.
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = Jar::with_config(&clock, JarConfig { max_cookies: 100, global_purge: 10, ..JarConfig::default() });
    for i in 0..120 {
        jar.set_cookie(&url(&format!("http://site{i}.example/")), "a=1", nav()).unwrap();
    }
    assert_eq!(jar.len(), 120, "all recent: nothing to purge");
    clock.advance_seconds(20 * 86_400);
    for i in 0..50 {
        assert_eq!(header(&mut jar, &format!("http://site{i}.example/"), nav()), "a=1");
    }
    clock.advance_seconds(11 * 86_400);
    // 70 cookies are now 31 days unused, 50 were used 11 days ago.
    jar.set_cookie(&url("http://fresh.example/"), "a=1", nav()).unwrap();
    assert_eq!(jar.len(), 90, "purged to max - purge, from the unused ones");
    for i in 0..50 {
        assert!(jar.iter().any(|c| c.domain == format!("site{i}.example")), "site{i} was used: spared");
    }
    assert!(jar.iter().any(|c| c.domain == "fresh.example"));
    // 39 unused cookies are left: going over the limit purges again.
    for i in 0..11 {
        jar.set_cookie(&url(&format!("http://later{i}.example/")), "a=1", nav()).unwrap();
    }
    assert_eq!(jar.len(), 90);
}

#[test]
fn oversize_attributes_are_ignored_not_the_cookie_5_6() {
    // RFC 6265bis §5.6: an attribute value over 1024 octets is ignored; the
    // cookie and the other attributes stand (Chromium alike).
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let big = format!("n={}", "v".repeat(4095));
    let line = format!(
        "{big}; Domain=example.com; Path=/{}; Foo={}; Bar={}; Domain={}; Path=/",
        "p".repeat(1019),
        "f".repeat(1020),
        "b".repeat(1020),
        "d".repeat(1025)
    );
    assert!(line.len() > 8 * 1024);
    assert_eq!(set(&mut jar, "http://www.example.com/x/y", &line), Ok(Stored::Inserted));
    let cookie = jar.iter().next().unwrap();
    assert_eq!(cookie.domain, "example.com", "the earlier valid Domain applies");
    assert!(!cookie.host_only);
    assert_eq!(cookie.path, "/", "the later valid Path applies");
    assert_eq!(header(&mut jar, "http://example.com/", nav()).len(), 4097);
    // An oversize Path alone leaves the default path.
    set(&mut jar, "http://www.example.com/x/y", &format!("q=1; Path=/{}", "q".repeat(1024))).unwrap();
    assert_eq!(jar.iter().find(|c| c.name == b"q").unwrap().path, "/x");
}

#[test]
fn a_loaded_jar_of_old_cookies_over_the_limit_is_purged() {
    // Cookies loaded with an old last access lower the purge's bound.
    let clock = ManualClock::new(DEFAULT_START);
    let config = JarConfig { max_cookies: 100, global_purge: 10, ..JarConfig::default() };
    let mut saved = Jar::with_config(&clock, config.clone());
    for i in 0..100 {
        saved.set_cookie(&url(&format!("http://site{i}.example/")), "a=1; Max-Age=31536000", nav()).unwrap();
    }
    let json = saved.to_json();
    clock.advance_seconds(40 * 86_400);
    let mut jar = Jar::with_config(&clock, config);
    jar.load_json(&json).unwrap();
    assert_eq!(jar.len(), 100);
    jar.set_cookie(&url("http://fresh.example/"), "a=1", nav()).unwrap();
    assert_eq!(jar.len(), 90, "the loaded cookies were unused for 40 days");
}

#[test]
fn over_the_limit_with_recent_cookies_expired_ones_wait_for_their_site() {
    // Chromium: the global purge (and its sweep of expired cookies) is gated
    // on the earliest access; an expired cookie goes when its site is next
    // looked up or stored to, or with the next purge.
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = Jar::with_config(&clock, JarConfig { max_cookies: 100, global_purge: 10, ..JarConfig::default() });
    jar.set_cookie(&url("http://brief.example/"), "b=1; Max-Age=60", nav()).unwrap();
    for i in 0..110 {
        jar.set_cookie(&url(&format!("http://site{i}.example/")), "a=1", nav()).unwrap();
    }
    clock.advance_seconds(120);
    jar.set_cookie(&url("http://late.example/"), "a=1", nav()).unwrap();
    assert_eq!(jar.len(), 112, "nothing is past the safe period: no sweep");
    assert_eq!(header(&mut jar, "http://brief.example/", nav()), "");
    assert_eq!(jar.len(), 111, "the lookup evicted its site's expired cookie");
}

#[test]
fn the_purge_bound_follows_a_clock_that_went_back() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = Jar::with_config(&clock, JarConfig { max_cookies: 100, global_purge: 10, ..JarConfig::default() });
    for i in 0..110 {
        jar.set_cookie(&url(&format!("http://site{i}.example/")), "a=1", nav()).unwrap();
    }
    clock.set(DEFAULT_START.add_seconds(-40 * 86_400));
    assert_eq!(header(&mut jar, "http://site0.example/", nav()), "a=1");
    clock.set(DEFAULT_START.add_seconds(1));
    jar.set_cookie(&url("http://fresh.example/"), "a=1", nav()).unwrap();
    assert_eq!(jar.len(), 110, "the cookie last accessed 40 days back was purged");
    assert!(!jar.iter().any(|c| c.domain == "site0.example"));
}

#[test]
fn document_cookie_writes_follow_the_script_rules_5_7() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    let page = url("https://www.example.com/shop/cart");
    set(&mut jar, "https://www.example.com/", "h=1; Path=/; HttpOnly").unwrap();
    // §5.7 step 15: scripts cannot set HttpOnly; step 23.2: nor replace or delete one.
    assert_eq!(jar.set_from_script(&page, "x=1; HttpOnly"), Err(Rejection::HttpOnlyFromScript));
    assert_eq!(jar.set_from_script(&page, "h=2; path=/"), Err(Rejection::OverwritesHttpOnly));
    assert_eq!(jar.set_from_script(&page, "h=; path=/; max-age=0"), Err(Rejection::OverwritesHttpOnly));
    // Another path is another cookie: allowed, and it shadows nothing from HTTP.
    assert_eq!(jar.set_from_script(&page, "h=3; path=/shop"), Ok(Stored::Inserted));
    // Chromium's __Http- prefixes are for HTTP only.
    assert_eq!(jar.set_from_script(&page, "__Http-a=1; Secure; Path=/"), Err(Rejection::HttpPrefix));
    assert_eq!(jar.set_from_script(&page, "__Host-Http-a=1; Secure; Path=/"), Err(Rejection::HostHttpPrefix));
    assert_eq!(jar.set_from_script(&page, "__Host-a=1; Secure; Path=/"), Ok(Stored::Inserted));
    // §5.1.4: the default path comes from the page; no HTTP layer: a CR is a control character.
    assert_eq!(jar.set_from_script(&page, "d=1"), Ok(Stored::Inserted));
    assert_eq!(jar.iter().find(|c| c.name == b"d").unwrap().path, "/shop");
    assert!(matches!(
        jar.set_from_script(&page, "c=1\rd=2"),
        Err(Rejection::Parse(ParseError::ControlCharacter { .. }))
    ));
    // Reads: no HttpOnly cookie, longer paths first, the header's order otherwise.
    assert_eq!(jar.script_cookie_string(&page), "h=3; d=1; __Host-a=1");
    assert_eq!(header(&mut jar, "https://www.example.com/shop/cart", nav()), "h=3; d=1; h=1; __Host-a=1");
    // Secure cookies only on a secure page.
    assert_eq!(jar.script_cookie_string(&url("http://www.example.com/shop/x")), "h=3; d=1");
}

#[test]
fn document_cookie_reads_undecodable_bytes_as_latin_1() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = jar(&clock);
    jar.set_cookie(&url("https://www.example.com/"), b"a=\xe9t\xe9", nav()).unwrap();
    assert_eq!(jar.script_cookie_string(&url("https://www.example.com/")), "a=\u{e9}t\u{e9}");
}

#[test]
fn script_context_and_cross_site_flags() {
    let ctx = RequestContext::script();
    assert_eq!(ctx.api, Api::Script);
    assert_eq!(RequestContext::cross_site_subresource("GET").site_relation, SiteRelation::CrossSite);
    assert_eq!(SameSite::default(), SameSite::Unspecified);
}
