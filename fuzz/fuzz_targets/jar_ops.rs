//! A `Jar` on a `ManualClock` driven by a program read from the input.
//!
//! The input is a sequence of operations; each starts with an opcode byte:
//!
//! | opcode % 10 | operation | operand bytes |
//! | --- | --- | --- |
//! | 0, 1, 2 | `set_cookie` | URL, context, length (255: two more bytes), that many header bytes |
//! | 3, 4 | lookup (`cookies_for` and `cookie_header_bytes`) | URL, context |
//! | 5 | advance the clock | one byte, see [`advance`] |
//! | 6 | `end_session` | – |
//! | 7 | `to_json`/`load_json` round trip | one byte: odd keeps the reloaded jar |
//! | 8 | `to_netscape`/`load_netscape` round trip | one byte: odd keeps the reloaded jar |
//! | 9 | `check`, `clear`, or loading the rest of the input as JSON or cookies.txt | one byte, then as `set_cookie` or the rest |
//!
//! The first byte picks the jar's limits: Chromium's, or tiny ones that make
//! eviction happen all the time.
//!
//! Invariants checked after every operation: `len()` equals `iter().count()`;
//! a lookup returns no expired cookie, no `Secure` cookie over plain http
//! (unless the host is localhost or a loopback address), no `HttpOnly` cookie
//! to a script; the header has no control character and is exactly the
//! returned cookies' pairs; `check` changes nothing; a JSON round trip keeps
//! every persistent unexpired cookie and a cookies.txt round trip every
//! unexpired cookie (minus the fields that format does not carry).
#![no_main]

use std::net::IpAddr;
use std::sync::OnceLock;

use crumb_cookie::{Api, Clock, Cookie, Jar, JarConfig, ManualClock, RequestContext, RequestUrl, Timestamp};
use libfuzzer_sys::fuzz_target;

const URLS: &[&str] = &[
    "https://www.example.com/",
    "http://www.example.com/a/b",
    "https://example.com/a/b/c",
    "http://sub.www.example.com/a/",
    "https://shop.example.co.uk/cart/view",
    "http://co.uk/",
    "https://github.io/",
    "https://user.github.io/project/page",
    "http://other.github.io/",
    "http://127.0.0.1/",
    "https://127.0.0.1:8443/x",
    "http://[::1]/admin/",
    "http://localhost:8080/app",
    "http://app.localhost/",
    "http://192.168.1.20/",
    "https://bücher.example/",
    "http://intranet/",
    "https://foo.notatld/",
];

fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("CRUMB_FUZZ_STRICT").is_some_and(|v| v == "1"))
}

fn context(byte: u8) -> RequestContext {
    match byte % 8 {
        0 => RequestContext::typed_navigation(),
        1 => RequestContext::same_site("GET"),
        2 => RequestContext::same_site("POST"),
        3 => RequestContext::cross_site_navigation("GET"),
        4 => RequestContext::cross_site_navigation("POST"),
        5 => RequestContext::cross_site_subresource("GET"),
        6 => RequestContext::cross_site_subresource("POST"),
        _ => RequestContext::script(),
    }
}

/// Seconds to move the clock on: small steps, the edges of Chromium's
/// timers (Lax-allowing-unsafe 2 minutes, 30 days, 400 days) and raw values.
fn advance(byte: u8) -> i64 {
    match byte {
        0 => 119,
        1 => 120,
        2 => 121,
        3 => 3600,
        4 => 86_400,
        5 => 30 * 86_400,
        6 => 400 * 86_400,
        7 => 400 * 86_400 + 1,
        b => i64::from(b) * i64::from(b),
    }
}

fn tiny_config() -> JarConfig {
    JarConfig {
        max_cookies_per_site: 4,
        site_purge: 1,
        max_cookies: 9,
        global_purge: 3,
        safe_from_global_purge_seconds: 60,
        ..JarConfig::default()
    }
}

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }

    /// A length byte; 255 means two more bytes give a length up to 5,000
    /// (past the 4,096-byte name-value limit).
    fn length(&mut self) -> Option<usize> {
        match self.byte()? {
            255 => Some((usize::from(self.byte()?) << 8 | usize::from(self.byte()?)) % 5000),
            n => Some(usize::from(n)),
        }
    }
}

fn is_loopback_or_localhost(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let ip = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    ip.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The fields a JSON round trip keeps.
type Full = (String, String, Vec<u8>, Vec<u8>, bool, bool, bool, String, Option<String>, Option<Timestamp>);
fn full(c: &Cookie) -> Full {
    (
        c.domain.clone(),
        c.path.clone(),
        c.name.clone(),
        c.value.clone(),
        c.host_only,
        c.secure,
        c.http_only,
        format!("{:?}", c.same_site),
        c.partition_key.clone(),
        c.expiry,
    )
}

/// The fields cookies.txt keeps (expiry in whole seconds).
type Netscape = (String, String, Vec<u8>, Vec<u8>, bool, bool, bool, Option<i64>);
fn netscape(c: &Cookie) -> Netscape {
    (
        c.domain.clone(),
        c.path.clone(),
        c.name.clone(),
        c.value.clone(),
        c.host_only,
        c.secure,
        c.http_only,
        c.expiry.map(Timestamp::unix_seconds),
    )
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// A reloaded jar holds what was saved. The one allowed difference: a jar
/// over its global limit whose cookies were all "safe from the global purge"
/// when it last evicted may have aged since; loading runs the purge again.
fn same_or_evicted<C: Clock, T: Ord + std::fmt::Debug>(
    jar: &Jar<C>,
    config: &JarConfig,
    want: &[T],
    got: &[T],
    saved: &str,
) {
    if jar.len() <= config.max_cookies {
        assert_eq!(want, got, "the round trip changed the jar; saved form:\n{saved}");
    } else {
        assert!(got.iter().all(|c| want.binary_search(c).is_ok()), "the round trip invented cookies:\n{saved}");
    }
}

fn check_len<C: Clock>(jar: &Jar<C>) {
    assert_eq!(jar.len(), jar.iter().count(), "len() disagrees with iter()");
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(first) = input.byte() else { return };
    let config = if first & 1 == 0 { JarConfig::default() } else { tiny_config() };
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_767_225_600));
    let mut jar = Jar::with_config(&clock, config.clone());
    let urls: Vec<RequestUrl> = URLS.iter().map(|u| RequestUrl::parse(u).expect("fixed URLs parse")).collect();

    while let Some(op) = input.byte() {
        match op % 10 {
            0..=2 => {
                let (Some(u), Some(c), Some(n)) = (input.byte(), input.byte(), input.length()) else { break };
                let header = input.take(n);
                let _ = jar.set_cookie(&urls[usize::from(u) % urls.len()], header, context(c));
            }
            3 | 4 => {
                let (Some(u), Some(c)) = (input.byte(), input.byte()) else { break };
                let url = &urls[usize::from(u) % urls.len()];
                let ctx = context(c);
                let now = clock.now();
                let secure_origin = url.scheme() == "https" || is_loopback_or_localhost(url.host());
                let mut expected = Vec::new();
                for cookie in jar.cookies_for(url, ctx) {
                    assert!(!cookie.is_expired(now), "expired cookie returned: {cookie:?}");
                    assert!(
                        !cookie.secure || secure_origin,
                        "Secure cookie sent to {}: {cookie:?}",
                        URLS[usize::from(u) % URLS.len()]
                    );
                    assert!(!cookie.http_only || ctx.api == Api::Http, "HttpOnly cookie given to a script: {cookie:?}");
                    if !expected.is_empty() {
                        expected.extend_from_slice(b"; ");
                    }
                    cookie.write_pair(&mut expected);
                }
                let header = jar.cookie_header_bytes(url, ctx);
                if let Some(header) = &header {
                    assert!(!header.iter().any(|&b| b < 0x20 || b == 0x7f), "control character in header {header:?}");
                    assert!(!header.is_empty() || expected.is_empty());
                }
                assert_eq!(header.unwrap_or_default(), expected, "header differs from cookies_for");
            }
            5 => {
                let Some(b) = input.byte() else { break };
                clock.advance_seconds(advance(b));
            }
            6 => {
                jar.end_session();
                assert!(jar.iter().all(Cookie::is_persistent), "a session cookie survived end_session");
            }
            7 => {
                let Some(keep) = input.byte() else { break };
                let now = clock.now();
                let json = jar.to_json();
                let mut loaded = Jar::with_config(&clock, config.clone());
                let added = loaded.load_json(&json).expect("to_json output loads");
                let want = sorted(jar.iter().filter(|c| c.is_persistent() && !c.is_expired(now)).map(full).collect());
                let got = sorted(loaded.iter().map(full).collect());
                assert_eq!(added, got.len());
                same_or_evicted(&jar, &config, &want, &got, &json);
                check_len(&loaded);
                if keep & 1 == 1 {
                    jar = loaded;
                }
            }
            8 => {
                let Some(keep) = input.byte() else { break };
                let now = clock.now();
                let text = jar.to_netscape();
                let mut loaded = Jar::with_config(&clock, config.clone());
                let added = match loaded.load_netscape(&text) {
                    Ok(added) => added,
                    Err(e) => panic!("to_netscape output does not load: {e}\n{}", String::from_utf8_lossy(&text)),
                };
                // Known issue (found by this target, reported, not fixed yet):
                // cookies.txt has no partition key, so a Partitioned cookie and
                // an unpartitioned one of the same name, domain and path load
                // as one cookie (and `load_netscape` still counts two).
                // CRUMB_FUZZ_STRICT=1 turns the filter off.
                let mut identities: Vec<_> = jar
                    .iter()
                    .filter(|c| !c.is_expired(now) && !c.path.contains(['\t', '\r', '\n']))
                    .map(|c| (&c.name, &c.domain, c.host_only, &c.path))
                    .collect();
                let total = identities.len();
                identities.sort();
                identities.dedup();
                if !strict() && identities.len() < total {
                    continue;
                }
                // cookies.txt cannot hold a path with a tab or a line break: `to_netscape` leaves those out.
                let want = sorted(
                    jar.iter()
                        .filter(|c| !c.is_expired(now) && !c.path.contains(['\t', '\r', '\n']))
                        .map(netscape)
                        .collect(),
                );
                let got = sorted(loaded.iter().map(netscape).collect());
                assert_eq!(added, got.len());
                same_or_evicted(&jar, &config, &want, &got, &String::from_utf8_lossy(&text));
                check_len(&loaded);
                if keep & 1 == 1 {
                    jar = loaded;
                }
            }
            _ => {
                let Some(what) = input.byte() else { break };
                match what % 4 {
                    0 => {
                        let (Some(u), Some(c), Some(n)) = (input.byte(), input.byte(), input.length()) else { break };
                        let header = input.take(n);
                        let before = sorted(jar.iter().map(full).collect::<Vec<_>>());
                        let _ = jar.check(&urls[usize::from(u) % urls.len()], header, context(c));
                        assert_eq!(before, sorted(jar.iter().map(full).collect()), "check changed the jar");
                    }
                    1 => {
                        jar.clear();
                        assert!(jar.is_empty());
                    }
                    // Untrusted saved jars: only "no panic" and the length invariant.
                    2 => {
                        let mut other = Jar::with_config(&clock, config.clone());
                        let _ = other.load_json(&String::from_utf8_lossy(input.rest()));
                        check_len(&other);
                        let _ = other.cookie_header_bytes(&urls[0], RequestContext::typed_navigation());
                    }
                    _ => {
                        let mut other = Jar::with_config(&clock, config.clone());
                        let _ = other.load_netscape(input.rest());
                        check_len(&other);
                        let _ = other.to_netscape();
                        let _ = other.cookie_header_bytes(&urls[1], RequestContext::typed_navigation());
                    }
                }
            }
        }
        check_len(&jar);
    }
});
