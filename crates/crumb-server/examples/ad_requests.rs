//! Sends `GET /api/ad` (or a bare axum JSON handler's route, with `bare`)
//! N times through the router in-process (`tower::ServiceExt::oneshot`, no
//! sockets), on one thread: a workload to count instructions with, as
//! `docs/benchmarks.md` does for `/api/ad`. The declaration is the demo's
//! with every topic of the taxonomy declared as a page.
//!
//! ```sh
//! cargo build --release -p crumb-server --example ad_requests
//! for n in 2000 4000; do valgrind --tool=callgrind --callgrind-out-file=cg.$n \
//!   target/release/examples/ad_requests crumb $n; done
//! ```
//! The difference of the two totals divided by 2,000 is one request's.
#![allow(clippy::unwrap_used)] // an example: a failed unwrap is a failed run

use std::sync::Arc;

use crumb_core::config;
use crumb_core::interests::Taxonomy;
use crumb_server::{router, AppState};
use tower::ServiceExt;

fn main() {
    let bare = std::env::args().nth(1).as_deref() == Some("bare");
    let requests: usize = std::env::args().nth(2).map_or(2000, |n| n.parse().unwrap());
    let pages: String = Taxonomy::v2()
        .topics()
        .map(|t| format!("[[interests.page]]\npath = \"/topic/{0}\"\ntopics = [{0}]\n\n", t.id))
        .collect();
    let mut config = config::parse(&format!("{}\n{pages}", config::DEMO_TOML), "bench.toml").unwrap();
    config.origins = vec!["http://127.0.0.1:9".to_owned()];
    let keys = crumb_cookie::Keyring::new(crumb_cookie::Key::from_secret(&[7u8; 32]).unwrap());
    let store = Arc::new(crumb_store::sqlite::SqliteStore::open_in_memory().unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let app = if bare {
            axum::Router::new().route(
                "/api/ad",
                axum::routing::get(|| async { axum::Json(serde_json::json!({"campaign": "c1", "basis": "context"})) }),
            )
        } else {
            router(AppState::new(config, store, keys))
        };
        for i in 0..requests {
            let request = axum::http::Request::builder()
                .uri(format!("/api/ad?slot=sidebar&url=%2Ftopic%2F{}", 1 + i % 300))
                .header("host", "127.0.0.1:9")
                .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 5555))))
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.clone().oneshot(request).await.unwrap();
            assert!(response.status().is_success(), "{}", response.status());
            axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        }
    });
}
