//! A browsing workload for replay benchmarks: one scenario of many top-level
//! navigations over many sites, in the replay protocol's form
//! (`docs/replay.md`), deterministic for a seed.
//!
//! Shared by `benches/engine.rs` and the examples `replay_workload` (which
//! writes it as JSON Lines for `crumb jar replay`) and `cookie_store_replay`
//! (the peer's replay of the same input, [`cookie_store_replay`]).

use crumb_cookie::replay::{Scenario, Step};

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct WorkloadSpec {
    /// Top-level navigations (steps).
    pub navigations: usize,
    /// Distinct sites (registrable domains).
    pub sites: usize,
    /// The generator's seed.
    pub seed: u64,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        WorkloadSpec { navigations: 40_000, sites: 1_000, seed: 0x5eed_c0ff_ee00_0001 }
    }
}

const TLDS: &[&str] = &["com", "co.uk", "org", "de", "io", "com.au", "net", "fr", "test", "example"];
const HOSTS: &[&str] = &["www.", "", "shop.", "cdn.", "api."];
const PATHS: &[&str] = &["/", "/cart/view", "/cart/checkout", "/blog/post-1", "/account/settings", "/static/app.js"];

/// xorshift64*: small, fast and reproducible; not for anything secret.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One site's registrable domain.
pub fn site(i: usize) -> String {
    format!("site{i}.{}", TLDS[i % TLDS.len()])
}

/// The workload: one scenario whose steps visit sites with a skewed
/// popularity (a fifth of the sites get four fifths of the visits), each
/// response setting zero to three cookies from the site's four names —
/// a host-only session id, a domain-wide analytics id, a path cookie and a
/// preference — and now and then deleting one (`Max-Age=0`). With the
/// defaults the jar holds about 3,150 cookies after the first round of
/// visits and about 3,500 at the end, past Chromium's global limit (3,300)
/// from about the 15,000th step, with every cookie accessed recently, so
/// nothing can be evicted.
pub fn generate(spec: WorkloadSpec) -> Scenario {
    let mut rng = Rng(spec.seed | 1);
    let popular = (spec.sites / 5).max(1);
    let mut steps = Vec::with_capacity(spec.navigations);
    // Each site is visited once first, in order, so every site has cookies.
    for n in 0..spec.navigations {
        let i = if n < spec.sites {
            n
        } else if rng.chance(80) {
            rng.below(popular)
        } else {
            rng.below(spec.sites)
        };
        let site = site(i);
        let scheme = if rng.chance(85) { "https" } else { "http" };
        let host = HOSTS[rng.below(HOSTS.len())];
        let path = PATHS[rng.below(PATHS.len())];
        let url = format!("{scheme}://{host}{site}{path}");
        let mut set_cookie = Vec::new();
        let first_visit = n < spec.sites;
        let cookies = if first_visit { 4 } else { [0, 0, 0, 1, 1, 2, 3][rng.below(7)] };
        for _ in 0..cookies {
            let mut which = if first_visit { set_cookie.len() } else { rng.below(4) };
            // The session id is Secure and lives on www only: over http it
            // could not be set (and §5.7 step 16 would refuse to shadow it),
            // so those responses and other hosts set the preference instead.
            if which == 0 && (scheme == "http" || host != "www.") {
                which = 3;
            }
            let value = rng.next() % 1_000_000;
            set_cookie.push(match which {
                0 if rng.chance(5) && !first_visit => "sid=; Max-Age=0; Path=/; Secure".to_owned(),
                0 => format!("sid=s{value:06}q8w7e6r5t4y3u2i1o0p9; Path=/; Secure; HttpOnly; SameSite=Lax"),
                1 => format!("_ga=GA1.1.{value}.1735689600; Domain={site}; Path=/; Max-Age=34560000; SameSite=Lax"),
                2 => format!("cart=c{value}; Domain={site}; Path=/cart; Max-Age=604800"),
                _ => format!("prefs=theme-{}; Domain={site}; Path=/; Max-Age=2592000", value % 3),
            });
        }
        steps.push(Step::navigate(url, set_cookie));
    }
    Scenario { name: format!("workload/{}-navigations-{}-sites", spec.navigations, spec.sites), steps }
}

/// A scenario through `cookie_store` 0.22, as crumb's replay runs one: per
/// step, the `Cookie` header value built from `get_request_values` (pairs
/// joined by "; ", in `cookie_store`'s order, not a browser's), then each
/// `Set-Cookie` value stored (a refused one is no error, as in a browser).
/// `cookie_store` has no virtual clock: `advance_seconds` is ignored, and the
/// workload above never moves the clock. A step whose URL does not parse
/// ends the replay with the error.
pub fn cookie_store_replay(scenario: &Scenario) -> Result<Vec<String>, String> {
    let mut store = cookie_store::CookieStore::default();
    let mut observed = Vec::with_capacity(scenario.steps.len());
    for step in &scenario.steps {
        let url = url::Url::parse(&step.url).map_err(|e| format!("{}: {e}", step.url))?;
        let mut header = String::new();
        for (i, (name, value)) in store.get_request_values(&url).enumerate() {
            if i > 0 {
                header.push_str("; ");
            }
            header.push_str(name);
            header.push('=');
            header.push_str(value);
        }
        observed.push(header);
        for value in &step.set_cookie {
            let _ = store.parse(value, &url);
        }
    }
    Ok(observed)
}
