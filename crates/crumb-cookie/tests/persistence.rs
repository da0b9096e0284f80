//! Saving and loading jars: crumb's JSON and Netscape `cookies.txt`.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use crumb_cookie::replay::DEFAULT_START;
use crumb_cookie::{Jar, ManualClock, PersistError, RequestContext, RequestUrl};

fn url(text: &str) -> RequestUrl {
    RequestUrl::parse(text).unwrap()
}

fn filled_jar(clock: &ManualClock) -> Jar<&ManualClock> {
    let mut jar = Jar::with_clock(clock);
    let nav = RequestContext::typed_navigation();
    let https = url("https://www.example.com/app/page");
    jar.set_cookie(&https, "sid=abc; Secure; HttpOnly; Path=/; Max-Age=3600", nav).unwrap();
    jar.set_cookie(&https, "theme=dark; Domain=example.com; Max-Age=86400; SameSite=Strict", nav).unwrap();
    jar.set_cookie(&https, "session-only=1", nav).unwrap();
    jar.set_cookie(&https, b"raw=\xff\xfe; Max-Age=60", nav).unwrap();
    jar
}

#[test]
fn json_round_trip_keeps_persistent_cookies_and_drops_session_ones() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = filled_jar(&clock);
    let saved = jar.to_json();
    let mut restored = Jar::with_clock(&clock);
    assert_eq!(restored.load_json(&saved).unwrap(), 3);
    let mut before: Vec<_> = jar.iter().filter(|c| c.is_persistent()).cloned().collect();
    let mut after: Vec<_> = restored.iter().cloned().collect();
    before.sort_by(|a, b| a.name.cmp(&b.name));
    after.sort_by(|a, b| a.name.cmp(&b.name));
    let strip = |c: &crumb_cookie::Cookie| {
        (
            c.name.clone(),
            c.value.clone(),
            c.domain.clone(),
            c.path.clone(),
            c.host_only,
            c.secure,
            c.http_only,
            c.same_site,
            c.expiry,
            c.creation,
        )
    };
    assert_eq!(before.iter().map(strip).collect::<Vec<_>>(), after.iter().map(strip).collect::<Vec<_>>());
    // Non-UTF-8 bytes survive.
    assert!(restored.iter().any(|c| c.value == b"\xff\xfe"));
    // The restored jar answers like the original, minus the session cookie.
    let page = url("https://www.example.com/app/x");
    let nav = RequestContext::typed_navigation();
    jar.end_session();
    assert_eq!(jar.cookie_header_bytes(&page, nav), restored.cookie_header_bytes(&page, nav));
}

#[test]
fn expired_cookies_are_not_loaded() {
    let clock = ManualClock::new(DEFAULT_START);
    let jar = filled_jar(&clock);
    let saved = jar.to_json();
    clock.advance_seconds(3600);
    let mut later = Jar::with_clock(&clock);
    later.load_json(&saved).unwrap();
    let names: Vec<_> = later.iter().map(|c| c.name_str().into_owned()).collect();
    assert_eq!(names, ["theme"]);
}

#[test]
fn json_errors_are_precise() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = Jar::with_clock(&clock);
    assert!(matches!(jar.load_json("{"), Err(PersistError::Json(_))));
    assert!(matches!(
        jar.load_json(r#"{"format":"crumb-jar","version":9,"cookies":[]}"#),
        Err(PersistError::Version(9))
    ));
}

#[test]
fn netscape_round_trip_with_httponly_prefix() {
    let clock = ManualClock::new(DEFAULT_START);
    let jar = filled_jar(&clock);
    let bytes = jar.to_netscape();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("# Netscape HTTP Cookie File"));
    let expiry = DEFAULT_START.add_seconds(3600).unix_seconds();
    assert!(text.contains(&format!("#HttpOnly_www.example.com\tFALSE\t/\tTRUE\t{expiry}\tsid\tabc\n")), "{text}");
    assert!(text.contains("\n.example.com\tTRUE\t/app\tFALSE\t"), "{text}");
    assert!(text.contains("www.example.com\tFALSE\t/app\tFALSE\t0\tsession-only\t1\n"), "{text}");
    let mut restored = Jar::with_clock(&clock);
    assert_eq!(restored.load_netscape(&bytes).unwrap(), 4);
    assert!(restored.iter().any(|c| c.value == b"\xff\xfe"), "raw bytes survive cookies.txt too");
    let sid = restored.iter().find(|c| c.name == b"sid").unwrap();
    assert!(sid.http_only && sid.secure && sid.host_only);
    let theme = restored.iter().find(|c| c.name == b"theme").unwrap();
    assert!(!theme.host_only && theme.domain == "example.com");
    assert!(!restored.iter().find(|c| c.name == b"session-only").unwrap().is_persistent());
}

#[test]
fn netscape_reads_curl_output_and_reports_bad_lines() {
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = Jar::with_clock(&clock);
    let far = DEFAULT_START.add_seconds(86_400).unix_seconds();
    let curl = format!(
        "# Netscape HTTP Cookie File\n# https://curl.se/docs/http-cookies.html\n\n\
         .example.org\tTRUE\t/\tFALSE\t{far}\tga\tGA1.2.3\n\
         #HttpOnly_example.org\tFALSE\t/api\tTRUE\t0\tsid\tx\n\
         old.example.org\tFALSE\t/\tFALSE\t1\texpired\t1\n"
    );
    assert_eq!(jar.load_netscape(curl.as_bytes()).unwrap(), 2);
    let header = jar.cookie_header(&url("https://example.org/api/v1"), RequestContext::typed_navigation());
    assert_eq!(header.as_deref(), Some("sid=x; ga=GA1.2.3"));
    match jar.load_netscape(b"example.org\tMAYBE\t/\tFALSE\t0\ta\tb\n") {
        Err(PersistError::Netscape { line: 1, reason }) => assert!(reason.contains("TRUE or FALSE"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(jar.load_netscape(b"too\tfew\n"), Err(PersistError::Netscape { line: 1, .. })));
}

#[test]
fn netscape_leaves_out_what_it_cannot_express() {
    // Found by the jar_ops fuzz target: a tab inside a Path attribute.
    let clock = ManualClock::new(DEFAULT_START);
    let mut jar = Jar::with_clock(&clock);
    let nav = RequestContext::typed_navigation();
    jar.set_cookie(&url("https://example.com/"), "a=1; Path=/x\ty", nav).unwrap();
    jar.set_cookie(&url("https://example.com/"), "b=2; Path=/", nav).unwrap();
    let text = jar.to_netscape();
    let mut loaded = Jar::with_clock(&clock);
    assert_eq!(loaded.load_netscape(&text).unwrap(), 1);
    assert_eq!(loaded.iter().next().unwrap().name, b"b");
}
