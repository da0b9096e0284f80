//! Statistics benchmarks, peers in the same run:
//!
//! - `ingest`: `POST /api/event` throughput on loopback, crumb (validation,
//!   bot check, user-agent parsing, keyed hashing, group commit to SQLite
//!   with `synchronous = FULL`: every 202 is durable) against a bare axum
//!   handler that answers 204 (the ceiling), with 64 and with 256 requests in flight,
//!   each server with its client on its own runtime (the bare handler on Tokio's
//!   default, crumb on `crumb_server::runtime::build`, as `crumb serve` runs;
//!   the whole process on mimalloc, `crumb serve`'s allocator);
//!   then paired rounds (bare and crumb back to back, in alternating order)
//!   print the median ratio, which a change in the machine's speed between
//!   criterion's separate runs cannot skew. They follow any measuring of the
//!   ingest benchmarks, `--profile-time` included; `CRUMB_BENCH_PAIRED_ROUNDS=0`
//!   leaves them out (for a profile of one benchmark alone);
//! - `dashboard`: the dashboard's main query (`report::build` over the last
//!   30 days: totals, previous period, series, every table with the floor)
//!   over `CRUMB_BENCH_EVENTS` synthetic events (default 1,000,000) on
//!   SQLite, and on PostgreSQL when `CRUMB_BENCH_POSTGRES_URL` is set.
//!   Then a funnel (`report::funnel`, three steps) over the same 30 days,
//!   not declared (it reads raw events a day at a time) and declared in
//!   the configuration (it reads its rollups).
//!   The filled stores are kept (`target/crumb-bench/`, schema
//!   `crumb_test_<events in hex>_<fill version>`) and reused by later runs.
//!
//! `cargo bench -p crumb-server --bench analytics`
#![allow(clippy::unwrap_used)]

/// The allocator `crumb serve` runs on (see `crates/crumb/src/main.rs`); the
/// bare handler and both clients share it, being in the same process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::post;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crumb_core::analytics::jobs;
use crumb_core::analytics::report::{self, DateRange};
use crumb_core::analytics::synth::{generate, SynthPlan};
use crumb_core::config;
use crumb_server::{router, AppState};
use crumb_store::analytics::DAY_MILLIS;
use crumb_store::Store;

const CHROME: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
/// The synthetic traffic ends at 2026-11-29T12:02:00Z; the benchmark's clock stands there.
const END: i64 = 1_795_953_720_000;

fn keyring() -> crumb_cookie::Keyring {
    crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[7u8; 32]).unwrap())
}

fn bench_config() -> crumb_core::Config {
    let text = format!("{}\n[analytics]\ncookieless = true\nmin_visitors = 10\n", config::DEMO_TOML);
    config::parse(&text, "bench.toml").unwrap()
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap();
    });
    format!("http://{address}/api/event")
}

/// Sends `total` events with `concurrency` in flight; returns the elapsed time and how many got 202.
async fn fire(client: &reqwest::Client, url: &str, total: u64, concurrency: u64) -> (Duration, u64) {
    let next = Arc::new(AtomicU64::new(0));
    let accepted = Arc::new(AtomicU64::new(0));
    let body = r#"{"name":"pageview","url":"http://localhost:8080/products?utm_source=bench","referrer":"https://news.example/"}"#;
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, next, accepted) = (client.clone(), url.to_owned(), next.clone(), accepted.clone());
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("origin", "http://localhost:8080")
                        .header("user-agent", CHROME)
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    if response.status() == StatusCode::ACCEPTED {
                        accepted.fetch_add(1, Ordering::Relaxed);
                    } else {
                        assert_eq!(response.status(), StatusCode::NO_CONTENT);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    (started.elapsed(), accepted.load(Ordering::Relaxed))
}

/// Paired rounds (bare, then crumb, or the other way round) after the criterion
/// runs, unless `CRUMB_BENCH_PAIRED_ROUNDS` says otherwise (0 for a clean profile).
fn paired_rounds() -> usize {
    std::env::var("CRUMB_BENCH_PAIRED_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(12)
}
/// Events per side of a paired round.
const PAIRED_EVENTS: u64 = 20_000;

fn ingest(c: &mut Criterion) {
    // Each server runs with its client on a runtime of its own: the bare
    // handler on Tokio's default (a worker per CPU), crumb on the one `crumb
    // serve` builds (`crumb_server::runtime`, also a worker per CPU since
    // every SQLite commit went to the blocking pool). One runtime idles while
    // the other is measured.
    let bare_runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let crumb_runtime = crumb_server::runtime::build().unwrap();
    let dir = std::env::temp_dir().join(format!("crumb-bench-ingest-{}", std::process::id()));
    let store: Arc<dyn Store> = Arc::new(crumb_store::sqlite::SqliteStore::open(&dir.join("crumb.db")).unwrap());
    let state = AppState::new(bench_config(), store.clone(), keyring());
    let client = || reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let (crumb_url, crumb_client) = crumb_runtime.block_on(async { (serve(router(state.clone())).await, client()) });
    let (bare_url, bare_client) = bare_runtime.block_on(async {
        let bare = axum::Router::new().route("/api/event", post(|| async { StatusCode::NO_CONTENT }));
        (serve(bare).await, client())
    });
    let fire_bare = |total, concurrency| bare_runtime.block_on(fire(&bare_client, &bare_url, total, concurrency));
    let fire_crumb = |total, concurrency| crumb_runtime.block_on(fire(&crumb_client, &crumb_url, total, concurrency));
    let accepted_total = Arc::new(AtomicU64::new(0));
    let bare_total = AtomicU64::new(0);
    let measured = AtomicBool::new(false);
    let mut group = c.benchmark_group("ingest");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    for concurrency in [64u64, 256] {
        group.bench_function(format!("bare_axum_204/{concurrency}_in_flight"), |b| {
            b.iter_custom(|iters| {
                bare_total.fetch_add(iters, Ordering::Relaxed);
                fire_bare(iters, concurrency).0
            });
        });
        group.bench_function(format!("crumb_post_event/{concurrency}_in_flight"), |b| {
            b.iter_custom(|iters| {
                measured.store(true, Ordering::Relaxed);
                let (elapsed, accepted) = fire_crumb(iters, concurrency);
                assert_eq!(accepted, iters, "every event is accepted");
                accepted_total.fetch_add(accepted, Ordering::Relaxed);
                elapsed
            });
        });
    }
    group.finish();
    // Paired rounds, in ABBA order so that a drift of the machine's speed
    // cancels out: the ratio is read within each round, not across runs.
    // Only when the benchmarks above were measured (not filtered out, not `--test`).
    let measuring = measured.load(Ordering::Relaxed) && !std::env::args().any(|arg| arg == "--test");
    let rounds = if measuring { paired_rounds() } else { 0 };
    for concurrency in [64u64, 256].into_iter().filter(|_| rounds > 0) {
        let mut ratios = Vec::new();
        for round in 0..rounds {
            let (bare, crumb) = if round % 2 == 0 {
                let bare = fire_bare(PAIRED_EVENTS, concurrency).0;
                (bare, fire_crumb(PAIRED_EVENTS, concurrency))
            } else {
                let crumb = fire_crumb(PAIRED_EVENTS, concurrency);
                (fire_bare(PAIRED_EVENTS, concurrency).0, crumb)
            };
            assert_eq!(crumb.1, PAIRED_EVENTS, "every event is accepted");
            accepted_total.fetch_add(crumb.1, Ordering::Relaxed);
            bare_total.fetch_add(PAIRED_EVENTS, Ordering::Relaxed);
            ratios.push(bare.as_secs_f64() / crumb.0.as_secs_f64());
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "ingest: {concurrency} in flight, crumb/bare throughput over {rounds} paired rounds of {PAIRED_EVENTS} \
             events: median {:.2} (lowest {:.2}, highest {:.2})",
            ratios[ratios.len() / 2],
            ratios[0],
            ratios[ratios.len() - 1]
        );
    }
    let stored =
        crumb_runtime.block_on(store.events_between(&state.config.site_name, 0, i64::MAX)).unwrap().len() as u64;
    let accepted = accepted_total.load(Ordering::Relaxed);
    println!(
        "ingest: bare handler answered {}; {accepted} events answered 202, {stored} in the store",
        bare_total.load(Ordering::Relaxed)
    );
    assert_eq!(stored, accepted, "every accepted event is durable in the store");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Fills `store` with the synthetic traffic unless a complete fill is there.
async fn ensure_filled(state: &AppState, events: u64) {
    let site = state.config.site_name.clone();
    if state.store.rolled_until(&site).await.unwrap().is_some() {
        return;
    }
    eprintln!(
        "dashboard: filling the {} store with {events} synthetic events (kept for later runs)",
        state.store.backend()
    );
    let plan = SynthPlan { site, events, days: 60, end: END, seed: 1 };
    let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
    let generator =
        tokio::task::spawn_blocking(move || generate(&plan, 20_000, |chunk| sender.blocking_send(chunk).unwrap()));
    let started = Instant::now();
    while let Some(chunk) = receiver.recv().await {
        state.store.append_events(chunk).await.unwrap();
    }
    generator.await.unwrap();
    eprintln!("dashboard: written in {:.0} s; rolling up", started.elapsed().as_secs_f64());
    let report = jobs::run_once(state).await.unwrap();
    eprintln!("dashboard: {} days rolled up, today provisionally: {}", report.days_rolled, report.provisional);
}

/// The funnel the dashboard group measures: home, products, a sign-up.
const FUNNEL_STEPS: &str = "/,/products,event:signup";

/// Bumped whenever what a fill rolls up changes, so that a kept store
/// filled by an older version is not reused (2: the declared funnel's steps;
/// 3: exact visitor sets up to 4,096 keys; 4: only for the totals; 5: in
/// every row again, as sorted vectors).
const FILL_VERSION: u32 = 5;

/// The dashboard group's configuration: the ingest one, with
/// [`FUNNEL_STEPS`] declared as a funnel (rolled up with every day) when
/// `declared`.
fn dashboard_config(declared: bool) -> crumb_core::Config {
    let funnel = "[[analytics.funnel]]\nname = \"Sign-up\"\nsteps = [\"/\", \"/products\", \"event:signup\"]\n";
    let text = format!(
        "{}\n[analytics]\ncookieless = true\nmin_visitors = 10\n{}",
        config::DEMO_TOML,
        if declared { funnel } else { "" }
    );
    config::parse(&text, "bench.toml").unwrap()
}

fn dashboard(c: &mut Criterion) {
    let events: u64 = std::env::var("CRUMB_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let mut stores: Vec<(&str, Arc<dyn Store>)> = Vec::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/crumb-bench");
    let sqlite =
        crumb_store::sqlite::SqliteStore::open(&dir.join(format!("dashboard-{events}-fill{FILL_VERSION}.db"))).unwrap();
    stores.push(("sqlite", Arc::new(sqlite)));
    match std::env::var("CRUMB_BENCH_POSTGRES_URL") {
        Ok(url) => {
            let schema = format!("crumb_test_{events:x}_{FILL_VERSION}");
            let pg = runtime.block_on(crumb_store::postgres::PgStore::connect_to_test_schema(&url, &schema)).unwrap();
            stores.push(("postgres", Arc::new(pg)));
        }
        Err(_) => eprintln!("dashboard: CRUMB_BENCH_POSTGRES_URL not set: PostgreSQL skipped"),
    }
    let mut group = c.benchmark_group(format!("dashboard_{events}_events"));
    group.sample_size(30);
    for (backend, store) in stores {
        let state = AppState::with_clock(dashboard_config(true), store.clone(), keyring(), Arc::new(|| END));
        // The same store, with the funnel not declared: counted from raw events.
        let undeclared = AppState::with_clock(dashboard_config(false), store, keyring(), Arc::new(|| END));
        let today = END - END.rem_euclid(DAY_MILLIS);
        let range = DateRange { from: today - 29 * DAY_MILLIS, to: today + DAY_MILLIS };
        // Filled only when this benchmark runs (not when a filter leaves it out).
        let filled = std::sync::Once::new();
        group.bench_function(format!("{backend}_last_30_days"), |b| {
            filled.call_once(|| {
                runtime.block_on(ensure_filled(&state, events));
                let report = runtime.block_on(report::build(&state, range, 10)).unwrap();
                eprintln!(
                    "dashboard ({backend}): last 30 days: {:?} visitors, {:?} page views, {:?} visits, \
                     {} top pages shown",
                    report.totals.visitors,
                    report.totals.pageviews,
                    report.totals.visits,
                    report.tables["page"].len()
                );
            });
            b.iter(|| runtime.block_on(report::build(&state, range, 10)).unwrap());
        });
        // A funnel not declared reads raw events (kept 30 days), a day at a time.
        let asked = report::FunnelAsked { name: None, steps: FUNNEL_STEPS.to_owned() };
        let raw_funnel = std::sync::OnceLock::new();
        group.bench_function(format!("{backend}_funnel_last_30_days"), |b| {
            filled.call_once(|| runtime.block_on(ensure_filled(&state, events)));
            raw_funnel.get_or_init(|| runtime.block_on(report::funnel(&undeclared, range, &asked)).unwrap());
            b.iter(|| runtime.block_on(report::funnel(&undeclared, range, &asked)).unwrap());
        });
        // The same funnel declared: read from its rollups. Both count the same visitors.
        let compared = std::sync::Once::new();
        group.bench_function(format!("{backend}_declared_funnel_last_30_days"), |b| {
            filled.call_once(|| runtime.block_on(ensure_filled(&state, events)));
            compared.call_once(|| {
                let declared = runtime.block_on(report::funnel(&state, range, &asked)).unwrap();
                let raw =
                    raw_funnel.get_or_init(|| runtime.block_on(report::funnel(&undeclared, range, &asked)).unwrap());
                let visitors =
                    |funnel: &report::FunnelReport| funnel.steps.iter().map(|s| s.visitors).collect::<Vec<_>>();
                eprintln!("dashboard ({backend}): funnel over the last 30 days: {:?} visitors", visitors(&declared));
                assert_eq!(visitors(&declared), visitors(raw), "declared (rollups) and not (raw events) agree");
                assert!(!declared.partial);
            });
            b.iter(|| runtime.block_on(report::funnel(&state, range, &asked)).unwrap());
        });
    }
    group.finish();
}

criterion_group!(benches, ingest, dashboard);
criterion_main!(benches);
