//! Ad decisions with 10,000 campaigns (issue 20's target: at least half a
//! bare axum handler's throughput, p99 under 2 ms).
//!
//! - `decide/10000_campaigns`: `crumb_core::ads::decide` alone, for
//!   100,000 synthetic profiles of 3 topics each (the interests basis, as a
//!   profile would give them), then their pages' topics (context); the
//!   latency of every one of the 100,000 decisions is recorded and its
//!   percentiles printed.
//! - `http/…`: `GET /api/ad?slot=sidebar&url=/topic/N` against crumb (every
//!   topic of the taxonomy declared as a page) from visitors without
//!   consent, so the choice runs on the context basis and nothing is read
//!   or written per request, and a bare axum handler that answers a fixed
//!   JSON body, both on loopback in this process, 64 requests in flight,
//!   then paired rounds; each crumb request's latency is recorded for its
//!   p99.
//! - then paired rounds of the same requests from 1,000 visitors
//!   (`CRUMB_BENCH_VISITORS`: another number) who gave
//!   marketing consent (`POST /api/consent` first), so that every request
//!   takes the interests basis: it gathers the page's topics for the
//!   visitor's profile (written with the node's once-a-second batch), reads
//!   the profile (its choices and recent epochs: kept by the node after the
//!   visitor's first request of the epoch, one store read before) and
//!   gathers the serve's log row. The store is a SQLite file in WAL mode with its
//!   readers, as `crumb serve` keeps `crumb.db` (`CRUMB_BENCH_MEMORY=1`:
//!   one in-memory connection).
//!
//! `cargo bench -p crumb-server --bench ads`
//! (`CRUMB_BENCH_VISITORS=100000 cargo bench -p crumb-server --bench ads -- http`
//! for as many consenting visitors as profiles)
#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::get;
use criterion::{criterion_group, criterion_main, Criterion};
use crumb_core::ads::campaign::CampaignDraft;
use crumb_core::ads::decide::{decide, AdRequest, NothingServed};
use crumb_core::ads::CampaignIndex;
use crumb_core::config;
use crumb_core::interests::{Taxonomy, TopicId};
use crumb_server::{router, AppState};

const CAMPAIGNS: usize = 10_000;
const PROFILES: usize = 100_000;
const IN_FLIGHT: u64 = 64;
const PAIRED_REQUESTS: u64 = 10_000;
/// Visitors with marketing consent, for the interests basis over HTTP:
/// 1,000 (each returns many times: the steady state, where the node keeps
/// every profile), or `CRUMB_BENCH_VISITORS` (100,000: each visitor's
/// first request of the epoch reads the store).
fn visitors() -> usize {
    std::env::var("CRUMB_BENCH_VISITORS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000)
}
/// Paired rounds on the interests basis, each of [`INTERESTS_REQUESTS`]:
/// enough for every crumb round to take about two seconds, so that each
/// includes the node's once-a-second batch writes (with rounds of a
/// fraction of a second, one write fell in some rounds and not others, and
/// the ratio ranged from 0.27 to 0.60 within one run).
const INTERESTS_ROUNDS: usize = 7;
const INTERESTS_REQUESTS: u64 = 50_000;

/// A small deterministic generator (SplitMix64), so every run sees the same campaigns.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Every topic id, for the pages the HTTP requests name.
fn ids() -> &'static [u16] {
    static IDS: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    IDS.get_or_init(|| topics().iter().map(|t| t.0).collect())
}

fn topics() -> Vec<TopicId> {
    Taxonomy::v2().topics().map(|t| t.id).collect()
}

fn campaigns() -> Vec<crumb_core::ads::Campaign> {
    let all = topics();
    let mut mix = Mix(1);
    (0..CAMPAIGNS)
        .map(|i| {
            let targets = (0..1 + mix.below(2)).map(|_| all[mix.below(all.len())].0).collect();
            CampaignDraft {
                id: format!("c{i}"),
                advertiser: format!("Advertiser {}", i % 500),
                link: format!("https://ads{}.example/landing?c={i}", i % 500),
                text: Some(format!("Campaign {i}: something worth a look")),
                topics: targets,
                slots: vec!["sidebar".into()],
                priority: (mix.below(3)) as u8,
                weight: 1 + mix.below(5) as u32,
                daily_cap: Some(1_000_000),
                ..CampaignDraft::default()
            }
            .check(Taxonomy::v2())
            .unwrap()
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn decisions(c: &mut Criterion) {
    let index = CampaignIndex::new(campaigns(), Taxonomy::v2());
    let all = topics();
    let mut mix = Mix(2);
    let profiles: Vec<[TopicId; 3]> = (0..PROFILES)
        .map(|_| [all[mix.below(all.len())], all[mix.below(all.len())], all[mix.below(all.len())]])
        .collect();
    let mut latencies = Vec::with_capacity(PROFILES * 2);
    let mut served = 0usize;
    for (i, profile) in profiles.iter().enumerate() {
        let page = [all[i % all.len()]];
        for (interests, page) in [(&profile[..], &page[..]), (&[][..], &page[..])] {
            let request = AdRequest { slot: "sidebar", day: 20_000, interests, page_topics: page, random: mix.next() };
            let started = Instant::now();
            let decision = decide(&index, &request, &NothingServed);
            latencies.push(started.elapsed());
            served += usize::from(decision.is_some());
        }
    }
    latencies.sort();
    eprintln!(
        "decide, {CAMPAIGNS} campaigns, {PROFILES} profiles (interests, then context): {} decisions, {served} served; \
         p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().unwrap()
    );
    let mut group = c.benchmark_group("decide");
    let mut at = 0usize;
    group.bench_function(format!("{CAMPAIGNS}_campaigns"), |b| {
        b.iter(|| {
            at = (at + 1) % PROFILES;
            let page = [all[at % all.len()]];
            let request = AdRequest {
                slot: "sidebar",
                day: 20_000,
                interests: &profiles[at],
                page_topics: &page,
                random: at as u64,
            };
            decide(&index, &request, &NothingServed).map(|d| d.campaign.weight)
        })
    });
    group.finish();
}

async fn serve(listener: tokio::net::TcpListener, app: axum::Router) -> String {
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    format!("http://{address}")
}

async fn loopback() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// Sends `total` requests with `IN_FLIGHT` in flight; returns the elapsed
/// time; every latency goes into `latencies` when given.
async fn fire(
    client: &reqwest::Client,
    base: &str,
    total: u64,
    latencies: Option<Arc<Mutex<Vec<Duration>>>>,
) -> Duration {
    fire_as(client, base, total, IN_FLIGHT, latencies, Arc::new(Vec::new())).await
}

/// [`fire`] with `in_flight` requests in flight, request `n` with the
/// `Cookie` header `cookies[n % len]` (none when empty).
async fn fire_as(
    client: &reqwest::Client,
    base: &str,
    total: u64,
    in_flight: u64,
    latencies: Option<Arc<Mutex<Vec<Duration>>>>,
    cookies: Arc<Vec<String>>,
) -> Duration {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (client, base, next, latencies) = (client.clone(), base.to_owned(), next.clone(), latencies.clone());
            let cookies = cookies.clone();
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total {
                        break;
                    }
                    let ids = &ids();
                    let topic = ids[(n as usize) % ids.len()];
                    let url = format!("{base}/api/ad?slot=sidebar&url=%2Ftopic%2F{topic}");
                    let began = Instant::now();
                    let mut request = client.get(&url);
                    if !cookies.is_empty() {
                        request = request.header("cookie", &cookies[(n as usize) % cookies.len()]);
                    }
                    let response = request.send().await.unwrap();
                    assert_eq!(response.status(), reqwest::StatusCode::OK);
                    response.bytes().await.unwrap();
                    if let Some(latencies) = &latencies {
                        latencies.lock().unwrap().push(began.elapsed());
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    started.elapsed()
}

fn http(c: &mut Criterion) {
    let pages: String = Taxonomy::v2()
        .topics()
        .map(|t| format!("[[interests.page]]\npath = \"/topic/{0}\"\ntopics = [{0}]\n\n", t.id))
        .collect();
    let mut config = config::parse(&format!("{}\n{pages}", config::DEMO_TOML), "bench.toml").unwrap();
    config.campaigns = campaigns();
    // The consenting visitors below all come from one address.
    config.server.consents_per_minute = 100_000;
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[7u8; 32]).unwrap());
    // A file in WAL mode with its readers, as `crumb serve` keeps `crumb.db`
    // (`CRUMB_BENCH_MEMORY=1`: one in-memory connection instead).
    let directory = tempfile::tempdir().unwrap();
    let store = match std::env::var_os("CRUMB_BENCH_MEMORY") {
        Some(_) => Arc::new(crumb_store::sqlite::SqliteStore::open_in_memory().unwrap()),
        None => Arc::new(crumb_store::sqlite::SqliteStore::open(&directory.path().join("crumb.db")).unwrap()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    // crumb's clock: now, plus this many milliseconds (the interests basis
    // below needs weeks of history).
    let offset = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let client = reqwest::Client::builder().pool_max_idle_per_host(IN_FLIGHT as usize).build().unwrap();
    let (crumb, bare) = runtime.block_on(async {
        let listener = loopback().await;
        // crumb answers only its own origins (421 otherwise).
        config.origins = vec![format!("http://{}", listener.local_addr().unwrap())];
        let clock_offset = Arc::clone(&offset);
        let clock: crumb_server::state::Clock = Arc::new(move || {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
            now + clock_offset.load(Ordering::Relaxed)
        });
        let crumb = serve(listener, router(AppState::with_clock(config, store, keys, clock))).await;
        let bare = axum::Router::new()
            .route("/api/ad", get(|| async { axum::Json(serde_json::json!({"campaign": "c1", "basis": "context"})) }));
        (crumb, serve(loopback().await, bare).await)
    });
    let mut group = c.benchmark_group("http");
    group.sample_size(10);
    for (name, base) in [("bare_axum_json", &bare), ("crumb_api_ad", &crumb)] {
        group.bench_function(format!("{name}/{IN_FLIGHT}_in_flight"), |b| {
            b.iter_custom(|iters| runtime.block_on(fire(&client, base, iters, None)))
        });
    }
    group.finish();
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut ratios = Vec::new();
    for round in 0..6 {
        let (bare_time, crumb_time) = if round % 2 == 0 {
            let bare_time = runtime.block_on(fire(&client, &bare, PAIRED_REQUESTS, None));
            (bare_time, runtime.block_on(fire(&client, &crumb, PAIRED_REQUESTS, Some(latencies.clone()))))
        } else {
            let crumb_time = runtime.block_on(fire(&client, &crumb, PAIRED_REQUESTS, Some(latencies.clone())));
            (runtime.block_on(fire(&client, &bare, PAIRED_REQUESTS, None)), crumb_time)
        };
        ratios.push(bare_time.as_secs_f64() / crumb_time.as_secs_f64());
    }
    eprintln!(
        "http: crumb/bare throughput over 6 paired rounds of {PAIRED_REQUESTS} requests, {IN_FLIGHT} in flight: {}",
        summary(ratios, &latencies)
    );

    // Latency below saturation: at 64 in flight a request mostly waits its
    // turn (Little's law), so the latency is also measured with 4 in flight.
    let low_latency = |cookies: Arc<Vec<String>>| {
        let latencies = Arc::new(Mutex::new(Vec::new()));
        runtime.block_on(fire_as(&client, &crumb, PAIRED_REQUESTS, 4, Some(latencies.clone()), cookies));
        let mut latencies = latencies.lock().unwrap().clone();
        latencies.sort();
        format!(
            "p50 {:?}, p99 {:?} over {} requests",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99),
            latencies.len()
        )
    };
    eprintln!("http, context basis, 4 in flight: crumb's latency {}", low_latency(Arc::new(Vec::new())));

    // The interests basis: visitors with marketing consent.
    // Consent a month ago, then a page a week for three weeks, so that
    // every profile has three finished weekly epochs; then back to now.
    const DAY: i64 = 86_400_000;
    offset.store(-30 * DAY, Ordering::Relaxed);
    let visitors = visitors();
    let cookies = Arc::new(runtime.block_on(consenting_visitors(&client, &crumb, visitors)));
    for _week in 0..3 {
        runtime.block_on(fire_as(&client, &crumb, visitors as u64 * 2, IN_FLIGHT, None, cookies.clone()));
        offset.fetch_add(8 * DAY, Ordering::Relaxed);
    }
    offset.store(0, Ordering::Relaxed);
    let bases = runtime.block_on(async {
        let mut interests = 0;
        for (n, cookie) in cookies.iter().enumerate().take(100) {
            let url = format!("{crumb}/api/ad?slot=sidebar&url=%2Ftopic%2F{}", ids()[n % ids().len()]);
            let body: serde_json::Value =
                client.get(&url).header("cookie", cookie).send().await.unwrap().json().await.unwrap();
            interests += usize::from(body["basis"] == "interests");
        }
        interests
    });
    // The rest: the profile's topic for the slot has no campaign, so the page's decides.
    assert!(bases >= 50, "{bases} of 100 consenting requests on the interests basis");
    eprintln!("http, interests basis: {bases} of 100 sample requests answered on it");
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut ratios = Vec::new();
    for round in 0..INTERESTS_ROUNDS {
        let crumb_round = || {
            let latencies = Some(latencies.clone());
            runtime.block_on(fire_as(&client, &crumb, INTERESTS_REQUESTS, IN_FLIGHT, latencies, cookies.clone()))
        };
        // Which runs first alternates, as in the context basis's rounds.
        let (bare_time, crumb_time) = if round % 2 == 0 {
            let bare_time = runtime.block_on(fire(&client, &bare, INTERESTS_REQUESTS, None));
            (bare_time, crumb_round())
        } else {
            let crumb_time = crumb_round();
            (runtime.block_on(fire(&client, &bare, INTERESTS_REQUESTS, None)), crumb_time)
        };
        ratios.push(bare_time.as_secs_f64() / crumb_time.as_secs_f64());
    }
    eprintln!(
        "http, interests basis ({visitors} consenting visitors): crumb/bare throughput over {INTERESTS_ROUNDS} paired rounds of \
         {INTERESTS_REQUESTS} requests, {IN_FLIGHT} in flight: {}",
        summary(ratios, &latencies)
    );
    eprintln!("http, interests basis, 4 in flight: crumb's latency {}", low_latency(cookies));
}

/// The paired rounds' throughput ratios (median, min, max) and crumb's latencies (p50, p99).
fn summary(mut ratios: Vec<f64>, latencies: &Mutex<Vec<Duration>>) -> String {
    ratios.sort_by(f64::total_cmp);
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    format!(
        "median {:.2} (min {:.2}, max {:.2}); crumb's latency p50 {:?}, p99 {:?} over {} requests",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len()
    )
}

/// Visitors who gave marketing consent: each one's `Cookie` header.
async fn consenting_visitors(client: &reqwest::Client, base: &str, count: usize) -> Vec<String> {
    let mut cookies = Vec::with_capacity(count);
    for _ in 0..count {
        let response = client
            .post(format!("{base}/api/consent"))
            .header("content-type", "application/json")
            .header("origin", base)
            .header("sec-fetch-site", "same-origin")
            .body(r#"{"granted": ["marketing"], "language": "en"}"#)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        let pairs: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok()?.split(';').next().map(str::to_owned))
            .collect();
        cookies.push(pairs.join("; "));
    }
    cookies
}

criterion_group!(benches, decisions, http);
criterion_main!(benches);
