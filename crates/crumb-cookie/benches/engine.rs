//! crumb-cookie against its peers, in one run: the `cookie` crate (0.18) for
//! parsing and `cookie_store` (0.22) for the jar: storing and looking up,
//! the cost of one operation at 1k, 10k and 100k cookies, and a 40,000-step
//! browsing replay (`benches/workload`).
//!
//! Run with `cargo bench -p crumb-cookie --bench engine`; the whole run takes
//! about two minutes. Results and caveats: `docs/benchmarks.md`.
//!
//! Fairness rules kept here:
//! - parsing: both sides extract the name, the value and every attribute, and
//!   every extracted field goes through `black_box`;
//! - jar: both sides get their request URLs parsed outside the timed loop and
//!   parse the `Set-Cookie` text inside it; a lookup builds the full `Cookie`
//!   header value on both sides.

mod workload;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use crumb_cookie::{
    parse_cookie_header, CookieHeader, Jar, ManualClock, RequestContext, RequestUrl, SetCookie, Timestamp,
};

/// Realistic `Set-Cookie` header values, 30 to 400 bytes: session ids,
/// analytics, consent banners, load balancers, CSRF tokens, prefixed cookies,
/// long `Expires` dates in the formats servers send, `Max-Age`, `Domain`,
/// `Path`, `SameSite`, quoted values.
const SET_COOKIE_CORPUS: &[&str] = &[
    "PHPSESSID=8f3k2j9d7s6a5q4w3e2r1t0y9u; path=/",
    "JSESSIONID=5E4C1B6A0D9F8E7C3B2A1F0E9D8C7B6A; Path=/app; Secure; HttpOnly",
    "ASP.NET_SessionId=x2k4vq1bz5nmlw0yfj3rth2o; path=/; HttpOnly; SameSite=Lax",
    "sessionid=q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3; expires=Wed, 21 Oct 2026 07:28:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax; Secure",
    "csrftoken=Yb8KpQ2mVx7LzR4nWc1TfH9sJd6Ge3Ua5Ni0Ok2Pl7Qm4Rv8Sw1Xt3Yz6Ab9Cd; expires=Thu, 22 Apr 2027 10:15:30 GMT; Max-Age=31449600; Path=/; SameSite=Lax",
    "_ga=GA1.1.1234567890.1735689600; expires=Sat, 15 May 2027 12:00:00 GMT; path=/; domain=.example.com",
    "_ga_ABC123XYZ9=GS1.1.1735689600.1.1.1735689999.0.0.0; expires=Sat, 15 May 2027 12:00:00 GMT; path=/; domain=.example.com",
    "_gid=GA1.2.987654321.1735689600; expires=Fri, 03 Jan 2026 00:00:00 GMT; path=/; domain=.example.com",
    "_gcl_au=1.1.1735689600.1735689600; expires=Mon, 31 Mar 2026 00:00:00 GMT; path=/; domain=.shop.example.co.uk",
    "_fbp=fb.1.1735689600123.1234567890; Max-Age=7776000; Path=/; Domain=.example.com; SameSite=Lax",
    "__utma=123456789.1234567890.1735689600.1735689600.1735689600.1; expires=Sun, 01-Jan-2028 00:00:00 GMT; path=/; domain=.example.org",
    "__utmz=123456789.1735689600.1.1.utmcsr=google|utmccn=(organic)|utmcmd=organic|utmctr=(not%20provided); expires=Tue, 01-Jul-2026 12:00:00 GMT; path=/; domain=.example.org",
    "NID=511=Kx3yZ8wQ2vB7nM1cR4tL9pF6hJ0sD5gA3eU8iO2kW7qE1rT6yU4iP9oA2sD5fG8hJ1kL4zX7cV0bN3mQ6wE9rT2yU5iO8pA1sD4fG7hJ0kL3zX6cV9bN2mQ5wE8rT1yU4iO7pA0sD3; expires=Fri, 15-Jan-2027 08:30:00 GMT; path=/; domain=.google.com; HttpOnly",
    "1P_JAR=2026-01-01-00; expires=Sat, 31-Jan-2026 00:00:00 GMT; path=/; domain=.google.com; Secure; SameSite=none",
    "AEC=AVYB7cq8Zt3K_Rw9Lm2Nx5Pb7Qc1Sd4Tf6Ug8Vh0Wi3Xj5Yk7Zl9Am2Bn4Co6Dp; expires=Tue, 30-Jun-2026 10:00:00 GMT; path=/; domain=.google.com; Secure; HttpOnly; SameSite=lax",
    "CONSENT=YES+cb.20260101-00-p0.en+FX+123; Domain=.youtube.com; Expires=Sun, 10-Jan-2028 07:59:59 GMT; Path=/; Secure; SameSite=none",
    "SOCS=CAISHAgBEhJnd3NfMjAyNjAxMDEtMF9SQzIaAmVuIAEaBgiA_LyaBg; expires=Sun, 31-Jan-2027 00:00:00 GMT; path=/; domain=.google.com; Secure; SameSite=lax",
    "OptanonConsent=isGpcEnabled=0&datestamp=Thu+Jan+01+2026+12%3A00%3A00+GMT%2B0100&version=202401.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=8c1e8f4a-2b3d-4e5f-9a0b-1c2d3e4f5a6b&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A1%2CC0003%3A1%2CC0004%3A0; expires=Fri, 01 Jan 2027 11:00:00 GMT; path=/; domain=.example.com; SameSite=Lax",
    "OptanonAlertBoxClosed=2026-01-01T11:00:00.000Z; expires=Fri, 01 Jan 2027 11:00:00 GMT; path=/; domain=.example.com; SameSite=Lax",
    "CookieConsent={stamp:%27K9x2Lm4Np6Qr8St0Uv2Wx4Yz6Ab8Cd0Ef2Gh4Ij6Kl8Mn0Op==%27%2Cnecessary:true%2Cpreferences:true%2Cstatistics:false%2Cmarketing:false%2Cmethod:%27explicit%27%2Cver:1%2Cutc:1735729200000%2Cregion:%27de%27}; expires=Fri, 01 Jan 2027 11:00:00 GMT; path=/; SameSite=Lax; Secure",
    "euconsent-v2=CP4xYgAP4xYgAAKAyAENAfEgAP_gAEPgAAwIg1NX_H__bX9j8Xp0aft0eY1f99j7rsQxBhfJk-4FzLvW_JwX32E7NF36tq4KmR4ku1LBIUNlHMHUDUmwaokVryHsak2cpTNKJ6BEkHMZO2dYGF5vmxtj-QKY5_5_d3bx2D-t_9v-39z3z81Xn3d5_-_02PCdU5_9Dfn9fR_b-9KP9_78v8v8_9_rk3_e3_3_79_7_H9-f_87BTgEmGpeQBdmWODJtGlUKIEYVhIdAKACigGFomsIGVwU7K4CPUELABAKEIwIgQYgowYBAAIBAEhEQEgB4IBEARAIAAQAqQEIACNgEFgBYGAQACgGhYgRQBCBIQZHBUcpgQESLRQT2ViCUHexphCGWeBFAo_oqEhEgQVLAAA; Path=/; Domain=.example.de; Expires=Sat, 01 Jan 2028 00:00:00 GMT; SameSite=None; Secure",
    "AWSALB=3fHbWq0ZpLk9XvR2yNc8Tm4Ud7Je1Sg6Hi5Oa3Kb0Lc9Md2Ne7Pf4Qg1Rh8Si5Tj2Uk6Vl3Wm0Xn7Yo4Zp1Aq8Br5Cs2Dt9Eu6Fv3Gw0Hx7Iy4Jz1K; Expires=Thu, 08 Jan 2026 00:00:00 GMT; Path=/",
    "AWSALBCORS=3fHbWq0ZpLk9XvR2yNc8Tm4Ud7Je1Sg6Hi5Oa3Kb0Lc9Md2Ne7Pf4Qg1Rh8Si5Tj2Uk6Vl3Wm0Xn7Yo4Zp1Aq8Br5Cs2Dt9Eu6Fv3Gw0Hx7Iy4Jz1K; Expires=Thu, 08 Jan 2026 00:00:00 GMT; Path=/; SameSite=None; Secure",
    "__cf_bm=hT8sK2pL5nQ9rV3wX7yZ1aB4cD6eF0gH2iJ4kL6mN8oP0qR2sT4uV6wX8yZ0-1735689600-1.0.1.1-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789; path=/; expires=Thu, 01-Jan-26 00:30:00 GMT; domain=.example.com; HttpOnly; Secure; SameSite=None",
    "cf_clearance=Xy7.Zb3-1735689600-0-1-a1b2c3d4.e5f6a7b8.c9d0e1f2-0.2.1735689600; path=/; expires=Fri, 01-Jan-27 00:00:00 GMT; domain=.example.com; HttpOnly; Secure; SameSite=None; Partitioned",
    "__Host-session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwiaWF0IjoxNzM1Njg5NjAwfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c; Path=/; Secure; HttpOnly; SameSite=Strict",
    "__Secure-next-auth.session-token=eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..Xk2Lm3Np4Qr5St6U.v7Wx8Yz9Ab0Cd1Ef2Gh3Ij4Kl5Mn6Op7Qr8St9Uv0Wx1Yz2Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0Qr1St2Uv3Wx4Yz5.Ab6Cd7Ef8Gh9Ij0Kl1Mn2Op3; Path=/; Expires=Sun, 01 Feb 2026 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax",
    "__Secure-3PSID=g.a000ewjK8sT3pL5nQ9rV3wX7yZ1aB4cD6eF0gH2iJ4kL6mN8oP0qR2sT4uV6wX8yZ0aB2cD4eF6gH8iJ0kL2mN4oP6qR8sT0uV2wX4yZ6aB8cD0076; expires=Mon, 01-Feb-2027 00:00:00 GMT; path=/; domain=.google.com; Secure; HttpOnly; priority=high; SameSite=none",
    "__Host-csrf=ab12cd34ef56ab78cd90ef12ab34cd56; Path=/; Secure; SameSite=Lax",
    "theme=dark; Max-Age=31536000; Path=/",
    "lang=en-US; Path=/; Max-Age=31536000; SameSite=Lax",
    "locale=de_DE; expires=Tue, 19 Jan 2038 03:14:07 GMT; path=/",
    "tz=Europe%2FBerlin; path=/; SameSite=Lax",
    "currency=EUR; Path=/shop; Max-Age=2592000; Domain=shop.example.com",
    "cart_id=\"c2b8f0e4-1d3a-4c5b-8e7f-9a0b1c2d3e4f\"; Path=/cart; Max-Age=604800; HttpOnly; SameSite=Lax",
    "remember_token=\"1|a8Bx9Cz0Dy1Ew2Fv3Gu4Ht5Is6Jr7Kq8Lp9Mo0Nn\"; Expires=Thu, 31 Dec 2026 23:59:59 GMT; Path=/; Secure; HttpOnly",
    "user_pref=\"compact=1&sidebar=0&density=2\"; Path=/; Max-Age=15552000",
    "visitor_id=v1_1735689600_8f3e2d1c; Domain=example.net; Path=/; Max-Age=63072000; SameSite=Lax",
    "ajs_anonymous_id=%22f6e5d4c3-b2a1-4098-8765-4321fedcba98%22; Max-Age=31536000; Path=/; Domain=.example.io; SameSite=Lax",
    "ajs_user_id=%2212345678%22; Max-Age=31536000; Path=/; Domain=.example.io; SameSite=Lax",
    "mp_0123456789abcdef0123456789abcdef_mixpanel=%7B%22distinct_id%22%3A%20%22user-1234%22%2C%22%24device_id%22%3A%20%2218c0a1b2c3d4e5-0f1e2d3c4b5a69-1e525636-1fa400-18c0a1b2c3d4e5%22%2C%22%24initial_referrer%22%3A%20%22%24direct%22%7D; expires=Fri, 01 Jan 2027 00:00:00 GMT; path=/; domain=.example.com; SameSite=Lax",
    "_hjSessionUser_1234567=eyJpZCI6ImFiY2RlZjEyLTM0NTYtNzg5MC1hYmNkLWVmMTIzNDU2Nzg5MCIsImNyZWF0ZWQiOjE3MzU2ODk2MDAwMDAsImV4aXN0aW5nIjp0cnVlfQ==; expires=Fri, 01 Jan 2027 00:00:00 GMT; path=/; domain=.example.com; SameSite=Lax",
    "_hjSession_1234567=eyJpZCI6IjEyMzQ1Njc4LTkwYWItY2RlZi0xMjM0LTU2Nzg5MGFiY2RlZiIsImMiOjE3MzU2ODk2MDAwMDAsInMiOjAsInIiOjAsInNiIjowfQ==; Max-Age=1800; path=/; domain=.example.com; SameSite=Lax",
    "_clck=1abc2de%7C2%7Cfs1%7C0%7C1234; expires=Fri, 01 Jan 2027 00:00:00 GMT; path=/; domain=.example.com; SameSite=Lax",
    "MUID=0A1B2C3D4E5F60718293A4B5C6D7E8F9; domain=.bing.com; expires=Sun, 30-Jan-2027 00:00:00 GMT; path=/; secure; SameSite=None",
    "IDE=AHWqTUkX9mL3nP5qR7sT9uV1wX3yZ5aB7cD9eF1gH3iJ5kL7mN9oP1qR3sT5; expires=Tue, 01-Feb-2027 00:00:00 GMT; path=/; domain=.doubleclick.net; Secure; HttpOnly; SameSite=none",
    "test_cookie=CheckForPermission; expires=Thu, 01-Jan-2026 00:15:00 GMT; path=/; domain=.doubleclick.net; Secure; SameSite=none",
    "bcookie=\"v=2&8f7e6d5c-4b3a-2910-8f7e-6d5c4b3a2910\"; domain=.linkedin.com; Path=/; Secure; Expires=Fri, 01-Jan-2027 00:00:00 GMT; SameSite=None",
    "li_gc=MTswOzE3MzU2ODk2MDA7MjswMjE5wDiJ7Qx3Kc8sT0pL2nQ4rV6wX8yZ0aB2cD4eF6gH8; domain=.linkedin.com; Path=/; Secure; Expires=Tue, 30-Jun-2026 00:00:00 GMT; SameSite=None",
    "personalization_id=\"v1_aBcDeFgHiJkLmNoPqRsTuV==\"; Max-Age=63072000; Expires=Sat, 01 Jan 2028 00:00:00 GMT; Path=/; Domain=.x.com; Secure; SameSite=None",
    "guest_id=v1%3A173568960012345678; Max-Age=34214400; Expires=Sat, 01 Jan 2027 00:00:00 GMT; Path=/; Domain=.x.com; Secure; SameSite=None",
    "datr=AbCdEfGhIjKlMnOpQrStUvWx; expires=Sat, 01-Jan-2028 00:00:00 GMT; Max-Age=63072000; path=/; domain=.facebook.com; secure; httponly; SameSite=None",
    "fr=0aBcDeFgHiJkLmNo.AWX1yZ2aB3cD4eF5gH6iJ7kL8mN9.BnX0yZ.AB.AAA.0.0.BnX0yZ.AWXabc12345; expires=Wed, 01-Apr-2026 00:00:00 GMT; Max-Age=7776000; path=/; domain=.facebook.com; secure; httponly; SameSite=None",
    "session-id=131-1234567-7654321; Domain=.amazon.com; Expires=Fri, 01-Jan-2027 00:00:01 GMT; Path=/; Secure",
    "session-id-time=2082787201l; Domain=.amazon.com; Expires=Fri, 01-Jan-2027 00:00:01 GMT; Path=/; Secure",
    "ubid-main=131-9876543-1234567; Domain=.amazon.com; Expires=Fri, 01-Jan-2027 00:00:01 GMT; Path=/; Secure",
    "i18n-prefs=USD; Domain=.amazon.com; Expires=Fri, 01-Jan-2027 00:00:01 GMT; Path=/",
    "laravel_session=eyJpdiI6IkF4Ym5LcDJtVng3THpSNG5XYzFUZkg5c0pkNkdlM1VhIiwidmFsdWUiOiJZYjhLcFEybVZ4N0x6UjRuV2MxVGZIOXNKZDZHZTNVYTVOaTBPazJQbDdRbTRSdjhTdzFYdDNZejZBYjlDZCIsIm1hYyI6ImFiY2RlZjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODkiLCJ0YWciOiIifQ%3D%3D; expires=Thu, 01 Jan 2026 02:00:00 GMT; Max-Age=7200; path=/; httponly; samesite=lax",
    "XSRF-TOKEN=eyJpdiI6IlFtNFJ2OFN3MVh0M1l6NkFiOUNkIiwidmFsdWUiOiJLcFEybVZ4N0x6UjRuV2MxVGZIOXNKZDZHZTNVYTVOaTBPazJQbDdRbTRSdjgiLCJtYWMiOiIwMTIzNDU2Nzg5YWJjZGVmIn0%3D; expires=Thu, 01 Jan 2026 02:00:00 GMT; Max-Age=7200; path=/; samesite=lax",
    "_rails_app_session=Zk9xT2xwR3ZzQ1hKc0N6M2Z2eVlqQT09LS1hYmNkZWYwMTIzNDU2Nzg5--0123456789abcdef0123456789abcdef01234567; path=/; secure; HttpOnly; SameSite=Lax",
    "connect.sid=s%3AaBcDeFgHiJkLmNoPqRsTuVwXyZ012345.Kx3yZ8wQ2vB7nM1cR4tL9pF6hJ0sD5gA3eU8iO2kW7q; Path=/; Expires=Fri, 02 Jan 2026 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict",
    "wordpress_logged_in_0123456789abcdef0123456789abcdef=admin%7C1735862400%7CaBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789%7C0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef; path=/; secure; HttpOnly",
    "wp-settings-time-1=1735689600; expires=Fri, 01-Jan-2027 00:00:00 GMT; Max-Age=31536000; path=/wp-admin",
    "woocommerce_items_in_cart=1; path=/; secure; HttpOnly; SameSite=Lax",
    "SERVERID=web-03; path=/",
    "BIGipServerpool_web=1677787402.20480.0000; path=/; Httponly; Secure",
    "incap_ses_1234_567890=aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789AbCdEfG=; path=/; Domain=.example.com",
    "ak_bmsc=0123456789ABCDEF0123456789ABCDEF~000000000000000000000000000000~YAAQabcdefgh12345678ijklmnopqrstuvwx; Domain=.example.com; Path=/; Expires=Thu, 01 Jan 2026 02:00:00 GMT; Max-Age=7200; HttpOnly",
    "dtCookie=v_4_srv_3_sn_0123456789ABCDEF0123456789ABCDEF_perc_100000_ol_0_mul_1_app-3Aea7c4b59f27d43eb_1; Path=/; Domain=.example.com",
    "__stripe_mid=0a1b2c3d-4e5f-6789-abcd-ef0123456789a1b2c3; expires=Fri, 01 Jan 2027 00:00:00 GMT; path=/; domain=.example.com; SameSite=Strict; secure",
    "__stripe_sid=9f8e7d6c-5b4a-3210-fedc-ba9876543210d4e5f6; max-age=1800; path=/; domain=.example.com; SameSite=Strict; secure",
    "intercom-session-abcd1234=UzJxN3pLOHdRMnZCN25NMWNSNHRMOXBGNmhKMHNENWdBM2VVOGlPMms9LS1hYmNkZWYwMTIzNDU2Nzg5; path=/; domain=.example.com; expires=Thu, 08 Jan 2026 00:00:00 GMT; SameSite=Lax",
    "pref=f6=40000&tz=Europe.London&f7=100; domain=.youtube.com; expires=Sun, 01-Feb-2027 00:00:00 GMT; path=/; Secure",
    "YSC=a1B2c3D4e5F; Domain=.youtube.com; Path=/; Secure; HttpOnly; SameSite=none",
    "VISITOR_INFO1_LIVE=aB3cD5eF7gH; Domain=.youtube.com; Expires=Tue, 30-Jun-2026 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=none",
    "logged_out_marketing_header_id=eyJfcmFpbHMiOnsibWVzc2FnZSI6IkluTmxjM05wYjI0aSIsImV4cCI6bnVsbCwicHVyIjoiY29va2llLmxvZ2dlZF9vdXRfbWFya2V0aW5nX2hlYWRlcl9pZCJ9fQ%3D%3D--0123456789abcdef; path=/; expires=Sat, 01 Jan 2028 00:00:00 GMT; secure; HttpOnly; SameSite=Lax",
    "_octo=GH1.1.1234567890.1735689600; Path=/; Domain=github.com; Expires=Fri, 01 Jan 2027 00:00:00 GMT; Secure; SameSite=Lax",
    "has_recent_activity=1; path=/; expires=Thu, 01 Jan 2026 01:00:00 GMT; secure; HttpOnly; SameSite=Lax",
    "deleted=; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; path=/",
    "old_session=deleted; Max-Age=-1; Path=/; Domain=.example.com",
];

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .noise_threshold(0.03)
}

// ---------------------------------------------------------------------------
// Set-Cookie parsing
// ---------------------------------------------------------------------------

fn parse_set_cookie(c: &mut Criterion) {
    let bytes: usize = SET_COOKIE_CORPUS.iter().map(|s| s.len()).sum();
    let mut group = c.benchmark_group("set_cookie_parse");
    group.throughput(Throughput::Elements(SET_COOKIE_CORPUS.len() as u64));

    group.bench_function(BenchmarkId::new("crumb", format!("{} headers/{bytes} B", SET_COOKIE_CORPUS.len())), |b| {
        b.iter(|| {
            for line in SET_COOKIE_CORPUS {
                let cookie = SetCookie::parse(black_box(line)).expect("corpus parses");
                black_box(cookie.name());
                black_box(cookie.value());
                black_box(cookie.expires());
                black_box(cookie.max_age());
                black_box(cookie.domain_raw());
                black_box(cookie.path());
                black_box(cookie.secure());
                black_box(cookie.http_only());
                black_box(cookie.same_site());
                black_box(cookie.partitioned());
            }
        })
    });

    group.bench_function(BenchmarkId::new("cookie", format!("{} headers/{bytes} B", SET_COOKIE_CORPUS.len())), |b| {
        b.iter(|| {
            for line in SET_COOKIE_CORPUS {
                let cookie = cookie::Cookie::parse(black_box(*line)).expect("corpus parses");
                black_box(cookie.name());
                black_box(cookie.value());
                black_box(cookie.expires_datetime());
                black_box(cookie.max_age());
                black_box(cookie.domain());
                black_box(cookie.path());
                black_box(cookie.secure());
                black_box(cookie.http_only());
                black_box(cookie.same_site());
                black_box(cookie.partitioned());
            }
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// Cookie request header parsing
// ---------------------------------------------------------------------------

/// A `Cookie` header as a browser sends it to a busy site: `pairs` pairs of
/// realistic names and values, joined by `"; "`.
fn cookie_header(pairs: usize) -> String {
    const PAIRS: &[(&str, &str)] = &[
        ("_ga", "GA1.1.1234567890.1735689600"),
        ("sessionid", "q8w7e6r5t4y3u2i1o0p9a8s7d6f5g4h3"),
        ("csrftoken", "Yb8KpQ2mVx7LzR4nWc1TfH9sJd6Ge3Ua5Ni0Ok2Pl7Qm4Rv8Sw1Xt3Yz6Ab9Cd"),
        ("theme", "dark"),
        ("_gid", "GA1.2.987654321.1735689600"),
        ("OptanonAlertBoxClosed", "2026-01-01T11:00:00.000Z"),
        ("lang", "en-US"),
        ("_fbp", "fb.1.1735689600123.1234567890"),
        ("cart_id", "\"c2b8f0e4-1d3a-4c5b-8e7f-9a0b1c2d3e4f\""),
        ("__Host-csrf", "ab12cd34ef56ab78cd90ef12ab34cd56"),
        ("AWSALB", "3fHbWq0ZpLk9XvR2yNc8Tm4Ud7Je1Sg6Hi5Oa3Kb0Lc9Md2Ne7Pf4Qg1Rh8Si5Tj2Uk6Vl3Wm0Xn7Yo4Zp1Aq8Br5"),
        ("_hjSessionUser_1234567", "eyJpZCI6ImFiY2RlZjEyLTM0NTYtNzg5MC1hYmNkLWVmMTIzNDU2Nzg5MCJ9"),
        ("ajs_anonymous_id", "%22f6e5d4c3-b2a1-4098-8765-4321fedcba98%22"),
        ("currency", "EUR"),
        ("tz", "Europe%2FBerlin"),
        ("__stripe_mid", "0a1b2c3d-4e5f-6789-abcd-ef0123456789a1b2c3"),
        ("SERVERID", "web-03"),
        ("_clck", "1abc2de%7C2%7Cfs1%7C0%7C1234"),
    ];
    (0..pairs)
        .map(|i| {
            let (name, value) = PAIRS[i % PAIRS.len()];
            // Repeat names get a suffix, as sites with many cookies have.
            if i < PAIRS.len() {
                format!("{name}={value}")
            } else {
                format!("{name}_{}={value}", i / PAIRS.len())
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn parse_cookie_request_header(c: &mut Criterion) {
    let mut group = c.benchmark_group("cookie_header_parse");
    for pairs in [5, 20, 50] {
        let header = cookie_header(pairs);
        group.throughput(Throughput::Elements(pairs as u64));
        let label = format!("{pairs} pairs/{} B", header.len());

        group.bench_with_input(BenchmarkId::new("crumb", &label), header.as_str(), |b, header| {
            b.iter(|| {
                let mut n = 0;
                for pair in parse_cookie_header(black_box(header.as_bytes())) {
                    black_box(pair.name());
                    black_box(pair.value());
                    n += 1;
                }
                assert_eq!(n, pairs);
            })
        });

        group.bench_with_input(BenchmarkId::new("crumb-collect", &label), header.as_str(), |b, header| {
            b.iter(|| {
                let parsed = CookieHeader::parse(black_box(header));
                for pair in parsed.pairs() {
                    black_box(pair.name());
                    black_box(pair.value());
                }
                assert_eq!(parsed.pairs().len(), pairs);
            })
        });

        group.bench_with_input(BenchmarkId::new("cookie", &label), header.as_str(), |b, header| {
            b.iter(|| {
                let mut n = 0;
                for cookie in cookie::Cookie::split_parse(black_box(header)) {
                    let cookie = cookie.expect("header parses");
                    black_box(cookie.name());
                    black_box(cookie.value());
                    n += 1;
                }
                assert_eq!(n, pairs);
            })
        });
    }
    group.finish();
}

// ---------------------------------------------------------------------------
// Jar: storing and looking up
// ---------------------------------------------------------------------------

const SITES: usize = 1000;
const TLDS: &[&str] = &["com", "co.uk", "org", "de", "io", "com.au", "net", "fr"];

/// One site's registrable domain.
fn site(i: usize) -> String {
    format!("site{i}.{}", TLDS[i % TLDS.len()])
}

/// The work of the jar benchmarks: 3 `Set-Cookie` values per site (3,000 in
/// all) with the URL each comes from, and 1,000 request URLs to look up.
struct JarWork {
    /// (URL, Set-Cookie value) for every cookie to store.
    sets: Vec<(String, String)>,
    /// Request URLs, one per site, over https and http, at varying depths.
    lookups: Vec<String>,
}

fn jar_work() -> JarWork {
    let mut sets = Vec::with_capacity(SITES * 3);
    let mut lookups = Vec::with_capacity(SITES);
    for i in 0..SITES {
        let site = site(i);
        // 1. A host-only session cookie on www, Secure and HttpOnly.
        sets.push((
            format!("https://www.{site}/login"),
            format!("sid=s{i:05}q8w7e6r5t4y3u2i1o0p9a8s7d6f5; Path=/; Secure; HttpOnly; SameSite=Lax"),
        ));
        // 2. A domain cookie for the whole site, persistent.
        sets.push((
            format!("https://www.{site}/"),
            format!(
                "_ga=GA1.1.{i}.1735689600; Domain=.{site}; Path=/; Expires=Fri, 01 Jan 2027 00:00:00 GMT; SameSite=Lax"
            ),
        ));
        // 3. A path cookie: host-only on shop.<site> for a third of the sites,
        //    a domain cookie limited to /cart otherwise.
        if i % 3 == 0 {
            sets.push((
                format!("https://shop.{site}/cart/view"),
                format!("cart=\"c{i}-1d3a-4c5b-8e7f\"; Path=/cart; Max-Age=604800; HttpOnly"),
            ));
        } else {
            sets.push((
                format!("http://{site}/cart/add"),
                format!("cart=c{i}; Domain={site}; Path=/cart; Max-Age=604800"),
            ));
        }
        // The request: one per site, mixing hosts, paths and schemes so that
        // a lookup matches 0 to 3 cookies.
        lookups.push(match i % 5 {
            0 => format!("https://www.{site}/cart/checkout?step=2"),
            1 => format!("https://www.{site}/"),
            2 => format!("http://www.{site}/cart/view"),
            3 => format!("https://shop.{site}/cart/view"),
            _ => format!("http://cdn.{site}/static/app.js"),
        });
    }
    JarWork { sets, lookups }
}

/// Our jar filled with the work's cookies, on a manual clock standing at the
/// real time (so that expiry dates mean the same to both jars).
fn fill_crumb<'c>(clock: &'c ManualClock, sets: &[(RequestUrl, String)]) -> Jar<&'c ManualClock> {
    let mut jar = Jar::with_clock(clock);
    let ctx = RequestContext::typed_navigation();
    for (url, value) in sets {
        jar.set_cookie(url, value.as_bytes(), ctx).expect("the jar accepts the cookie");
    }
    jar
}

fn fill_cookie_store(sets: &[(url::Url, String)]) -> cookie_store::CookieStore {
    let mut store = cookie_store::CookieStore::default();
    for (url, value) in sets {
        store.parse(value, url).expect("cookie_store accepts the cookie");
    }
    store
}

fn jar(c: &mut Criterion) {
    let work = jar_work();
    let crumb_sets: Vec<(RequestUrl, String)> =
        work.sets.iter().map(|(url, value)| (RequestUrl::parse(url).expect("valid URL"), value.clone())).collect();
    let store_sets: Vec<(url::Url, String)> =
        work.sets.iter().map(|(url, value)| (url::Url::parse(url).expect("valid URL"), value.clone())).collect();
    let crumb_lookups: Vec<RequestUrl> =
        work.lookups.iter().map(|url| RequestUrl::parse(url).expect("valid URL")).collect();
    let store_lookups: Vec<url::Url> =
        work.lookups.iter().map(|url| url::Url::parse(url).expect("valid URL")).collect();
    let clock = ManualClock::new(Timestamp::now());

    // Both jars hold the same cookies and send the same headers (modulo order).
    let mut crumb_jar = fill_crumb(&clock, &crumb_sets);
    let store = fill_cookie_store(&store_sets);
    assert_eq!(crumb_jar.len(), SITES * 3);
    assert_eq!(store.iter_unexpired().count(), SITES * 3);
    let ctx = RequestContext::typed_navigation();
    let mut sent = (0, 0);
    for (ours, theirs) in crumb_lookups.iter().zip(&store_lookups) {
        let ours = crumb_jar.cookie_header_bytes(ours, ctx).map_or(0, |h: Vec<u8>| parse_cookie_header(&h).count());
        let theirs = store.get_request_values(theirs).count();
        assert_eq!(ours, theirs, "the jars disagree on a lookup");
        sent.0 += ours;
        sent.1 += theirs;
    }
    assert!(sent.0 > SITES, "lookups should find cookies");

    let mut group = c.benchmark_group("jar");
    group.throughput(Throughput::Elements((SITES * 3) as u64));
    group.bench_function("store 3000 cookies/crumb", |b| {
        b.iter_batched(|| (), |()| fill_crumb(&clock, black_box(&crumb_sets)), BatchSize::LargeInput)
    });
    group.bench_function("store 3000 cookies/cookie_store", |b| {
        b.iter_batched(|| (), |()| fill_cookie_store(black_box(&store_sets)), BatchSize::LargeInput)
    });

    group.throughput(Throughput::Elements(SITES as u64));
    group.bench_function("1000 lookups in 3000 cookies/crumb", |b| {
        b.iter(|| {
            for url in &crumb_lookups {
                black_box(crumb_jar.cookie_header_bytes(black_box(url), ctx));
            }
        })
    });
    group.bench_function("1000 lookups in 3000 cookies/cookie_store", |b| {
        b.iter(|| {
            for url in &store_lookups {
                // Build the header value as ours does, from the same pairs.
                let mut header = String::new();
                for (i, (name, value)) in store.get_request_values(black_box(url)).enumerate() {
                    if i > 0 {
                        header.push_str("; ");
                    }
                    header.push_str(name);
                    header.push('=');
                    header.push_str(value);
                }
                black_box((!header.is_empty()).then_some(header));
            }
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// Jar: cost per operation at any fill
// ---------------------------------------------------------------------------

/// (cookies, sites) for the fill-level benchmark: one cookie a site at 1k
/// and 10k; 100k over 30k sites is over three a site, far past Chromium's
/// global limit (3,300) with every cookie recent, so nothing can be evicted
/// and each operation must not look at the whole jar. 100k over 100k sites
/// (one a site again) tells the jar's size apart from the site's.
const FILLS: &[(usize, usize)] = &[(1_000, 1_000), (10_000, 10_000), (100_000, 30_000), (100_000, 100_000)];

/// The `Set-Cookie` value number `k` of a site: host-only, domain and path
/// cookies in turn.
fn fill_cookie(site: &str, k: usize) -> (String, String) {
    match k % 3 {
        0 => (format!("https://www.{site}/"), format!("h{k}=v{k}; Path=/; Secure; HttpOnly")),
        1 => (format!("https://www.{site}/"), format!("d{k}=v{k}; Domain={site}; Path=/; Max-Age=86400")),
        _ => (format!("https://shop.{site}/cart/x"), format!("p{k}=v{k}; Path=/cart; Max-Age=3600")),
    }
}

fn jar_fill(c: &mut Criterion) {
    let mut group = c.benchmark_group("jar_fill");
    group.sample_size(20);
    let ctx = RequestContext::typed_navigation();
    for &(cookies, sites) in FILLS {
        let clock = ManualClock::new(Timestamp::now());
        let mut crumb_jar = Jar::with_clock(&clock);
        let mut store = cookie_store::CookieStore::default();
        for n in 0..cookies {
            let (url, value) = fill_cookie(&workload::site(n % sites), n / sites);
            crumb_jar.set_cookie(&RequestUrl::parse(&url).expect("valid URL"), &value, ctx).expect("stored");
            store.parse(&value, &url::Url::parse(&url).expect("valid URL")).expect("stored");
        }
        assert_eq!(crumb_jar.len(), cookies, "nothing evicted: every cookie is recent");
        // The operations cycle through 1,024 sites spread over the jar.
        let probe: Vec<usize> = (0..1024).map(|i| (i * 7919) % sites).collect();
        let set_urls: Vec<RequestUrl> = probe
            .iter()
            .map(|&i| RequestUrl::parse(&format!("https://www.{}/", workload::site(i))).expect("URL"))
            .collect();
        let store_urls: Vec<url::Url> = probe
            .iter()
            .map(|&i| url::Url::parse(&format!("https://www.{}/", workload::site(i))).expect("URL"))
            .collect();
        // The first cookie of each probed site again, with a changed value: a
        // replacement, so the jar stays at its fill.
        let values: [&str; 2] = ["h0=a; Path=/; Secure; HttpOnly", "h0=b; Path=/; Secure; HttpOnly"];
        let label = format!("{cookies} cookies, {sites} sites");
        let mut n = 0usize;
        group.bench_function(BenchmarkId::new("set_cookie/crumb", &label), |b| {
            b.iter(|| {
                n += 1;
                black_box(crumb_jar.set_cookie(&set_urls[n % 1024], values[(n / 1024) % 2], ctx))
            })
        });
        group.bench_function(BenchmarkId::new("cookies_for/crumb", &label), |b| {
            b.iter(|| {
                n += 1;
                black_box(crumb_jar.cookie_header_bytes(&set_urls[n % 1024], ctx))
            })
        });
        assert_eq!(crumb_jar.len(), cookies, "still at its fill");
        group.bench_function(BenchmarkId::new("set_cookie/cookie_store", &label), |b| {
            b.iter(|| {
                n += 1;
                black_box(store.parse(values[(n / 1024) % 2], &store_urls[n % 1024]).is_ok())
            })
        });
        group.bench_function(BenchmarkId::new("cookies_for/cookie_store", &label), |b| {
            b.iter(|| {
                n += 1;
                black_box(store.get_request_values(&store_urls[n % 1024]).count())
            })
        });
    }
    group.finish();
}

// ---------------------------------------------------------------------------
// Replay: a browsing workload end to end
// ---------------------------------------------------------------------------

/// A header's pairs, sorted: `cookie_store` does not order them as browsers do.
fn sorted_pairs(header: &str) -> Vec<&str> {
    let mut pairs: Vec<&str> = header.split("; ").filter(|p| !p.is_empty()).collect();
    pairs.sort_unstable();
    pairs
}

fn replay(c: &mut Criterion) {
    let scenario = workload::generate(workload::WorkloadSpec::default());
    let start = Timestamp::now();
    let ours = crumb_cookie::replay::run_scenario(&scenario, start);
    let theirs = workload::cookie_store_replay(&scenario).expect("the workload's URLs parse");
    assert!(ours.error.is_none());
    // Both jars send the same cookies at every step (order aside).
    for (i, (a, b)) in ours.observed.iter().zip(&theirs).enumerate() {
        assert_eq!(sorted_pairs(a), sorted_pairs(b), "step {i} ({})", scenario.steps[i].url);
    }
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.throughput(Throughput::Elements(scenario.steps.len() as u64));
    let label = format!("{} navigations, {} sites", scenario.steps.len(), workload::WorkloadSpec::default().sites);
    group.bench_function(BenchmarkId::new("crumb", &label), |b| {
        b.iter(|| black_box(crumb_cookie::replay::run_scenario(black_box(&scenario), start)))
    });
    group.bench_function(BenchmarkId::new("cookie_store", &label), |b| {
        b.iter(|| black_box(workload::cookie_store_replay(black_box(&scenario))))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse_set_cookie, parse_cookie_request_header, jar, jar_fill, replay
}
criterion_main!(benches);
