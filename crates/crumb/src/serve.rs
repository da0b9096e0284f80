//! `crumb serve`: the consent server (and, by default, the demo site).
//!
//! Every deployment setting can come from the environment as well as from
//! the command line (`crumb serve --help` lists them): `CRUMB_CONFIG`,
//! `CRUMB_LISTEN`, `CRUMB_LOG_FORMAT`, `CRUMB_METRICS_TOKEN`,
//! `CRUMB_METRICS_LISTEN`, `CRUMB_EVENTS_PER_MINUTE`,
//! `CRUMB_CONSENTS_PER_MINUTE`, `CRUMB_SECRET_FILE`, `CRUMB_SQLITE_PATH`,
//! `CRUMB_REQUEST_TIMEOUT_SECONDS`, `CRUMB_SHUTDOWN_SECONDS`,
//! `CRUMB_UPSTREAM` (crumb in front of that site, as a gateway) (and the
//! database URL from the variable `storage.url_env` names,
//! `CRUMB_POSTGRES_URL` by default).
//!
//! On SIGTERM or SIGINT it stops accepting connections, lets the requests
//! in flight finish — each event or consent a client was told is stored is
//! on disk by then, since the group commit answers only after its commit —
//! and exits; after `server.shutdown_seconds` it exits anyway, saying how
//! many connections it cut.

use std::future::IntoFuture as _;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use crumb_core::config::{self, Config, StorageConfig};
use crumb_core::keys;
use crumb_server::{router, AppState};
use crumb_store::Store;

#[derive(Args)]
pub struct ServeArgs {
    /// The cookie declaration; without it crumb serves the built-in demo declaration.
    #[arg(long, short, env = "CRUMB_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the config's server.listen).
    #[arg(long, env = "CRUMB_LISTEN")]
    listen: Option<String>,
    /// Log lines as text (colours only on a terminal) or as JSON, one object per line.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "CRUMB_LOG_FORMAT")]
    log_format: LogFormat,
    /// The bearer token that `/metrics` on the site's address asks for; without it, that `/metrics` is 404.
    #[arg(long, env = "CRUMB_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Serve `/metrics`, without a token, on this address too (overrides server.metrics_listen).
    #[arg(long, env = "CRUMB_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Events one visitor may send per minute (overrides server.events_per_minute; an address gets ten times it).
    #[arg(long, env = "CRUMB_EVENTS_PER_MINUTE", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    events_per_minute: Option<u32>,
    /// Consent decisions one browser may send per minute (overrides server.consents_per_minute; an address gets ten times it).
    #[arg(long, env = "CRUMB_CONSENTS_PER_MINUTE", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    consents_per_minute: Option<u32>,
    /// The signing key's file (overrides keys.secret_file; created on first start).
    #[arg(long, env = "CRUMB_SECRET_FILE")]
    secret_file: Option<PathBuf>,
    /// The SQLite database file (overrides storage.path when the backend is SQLite).
    #[arg(long, env = "CRUMB_SQLITE_PATH")]
    sqlite_path: Option<PathBuf>,
    /// Seconds a request may take (overrides server.request_timeout_seconds).
    #[arg(long, env = "CRUMB_REQUEST_TIMEOUT_SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    request_timeout_seconds: Option<u64>,
    /// Seconds a shutdown waits for requests in flight (overrides server.shutdown_seconds).
    #[arg(long, env = "CRUMB_SHUTDOWN_SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    shutdown_seconds: Option<u64>,
    /// Put crumb in front of this site as a consent-enforcing gateway (`http://127.0.0.1:3000`; overrides gateway.upstream).
    #[arg(long, env = "CRUMB_UPSTREAM")]
    upstream: Option<String>,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines; ANSI colours only when stdout is a terminal.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Loads the configuration named on the command line, or the built-in demo.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<Config> {
    match path {
        Some(path) => config::load(path).map_err(|errors| anyhow::anyhow!("invalid configuration:\n{errors}")),
        None => Ok(config::demo()),
    }
}

pub async fn open_store(config: &Config) -> anyhow::Result<(Arc<dyn Store>, String)> {
    match &config.storage {
        StorageConfig::Sqlite(path) => {
            let store = crumb_store::sqlite::SqliteStore::open(path)?;
            Ok((Arc::new(store), format!("SQLite at {}", path.display())))
        }
        StorageConfig::Postgres { url_env } => {
            let url = std::env::var(url_env).with_context(|| {
                format!("storage.backend is postgres: set the environment variable {url_env} to its URL")
            })?;
            let store = crumb_store::postgres::PgStore::connect(&url).await?;
            Ok((Arc::new(store), "PostgreSQL".to_owned()))
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stdout().is_terminal()).init(),
        LogFormat::Json => builder.json().with_current_span(true).init(),
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let built_in_demo = args.config.is_none();
    let mut config = load_config(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(listen) = args.metrics_listen {
        config.server.metrics_listen = Some(listen);
    }
    if let Some(file) = args.secret_file {
        config.secret_file = file;
    }
    if let (Some(path), StorageConfig::Sqlite(configured)) = (args.sqlite_path, &mut config.storage) {
        *configured = path;
    }
    if let Some(seconds) = args.request_timeout_seconds {
        config.server.request_timeout = std::time::Duration::from_secs(seconds);
    }
    if let Some(seconds) = args.shutdown_seconds {
        config.server.shutdown_grace = std::time::Duration::from_secs(seconds);
    }
    if let Some(upstream) = args.upstream.as_deref() {
        config.put_in_front_of(upstream).map_err(|why| anyhow::anyhow!("--upstream: {why}"))?;
    }
    if let Some(gateway) = &config.gateway {
        // The gateway's client speaks plain HTTP/1.1 (crumb_server::gateway::forward).
        if gateway.upstream.scheme() != "http" {
            anyhow::bail!(
                "gateway upstream {}: only http:// upstreams are supported (put crumb next to the site, on a private network)",
                gateway.upstream
            );
        }
    }
    let limits = (args.events_per_minute, args.consents_per_minute);
    let runtime = crumb_server::runtime::build()?;
    let result = runtime.block_on(serve(config, built_in_demo, limits, args.metrics_token));
    // A store call still running on a blocking thread gets a moment, not forever.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result
}

async fn serve(
    mut config: Config,
    built_in_demo: bool,
    (events_per_minute, consents_per_minute): (Option<u32>, Option<u32>),
    metrics_token: Option<String>,
) -> anyhow::Result<()> {
    for warning in config.insecure_origin_warnings() {
        tracing::warn!("{warning}");
    }
    let (store, store_description) = open_store(&config).await?;
    let keyring = keys::load_or_create(&config.secret_file)?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    if built_in_demo && config.demo {
        // The demo answers for the loopback names of the port it got.
        let listen = std::mem::take(&mut config.listen);
        let demo = Config::demo_on_port(address.port());
        config = Config { listen, origins: demo.origins, ..config };
    }
    if let Some(rate) = events_per_minute {
        config.server.events_per_minute = rate;
    }
    if let Some(rate) = consents_per_minute {
        config.server.consents_per_minute = rate;
    }
    let url = if address.ip().is_loopback() {
        format!("http://localhost:{}/", address.port())
    } else {
        format!("http://{address}/")
    };
    let demo = config.demo;
    let gateway = config.gateway.as_ref().map(|g| g.upstream.to_string());
    let url_prefix = format!("{}{}/", url.trim_end_matches('/'), config.prefix);
    let site = config.site_name.clone();
    let source = config.source.clone();
    let grace = config.server.shutdown_grace;
    let metrics_listen = config.server.metrics_listen.clone();
    // Install the metrics recorder before anything records.
    crumb_server::metrics::handle();
    let state = AppState::new(config, store, keyring).with_metrics_token(metrics_token);
    let metrics_state = state.clone();
    // Roll up closed days (and today, provisionally) and purge old raw events: now, then every minute.
    crumb_core::analytics::jobs::spawn(state.site.clone(), std::time::Duration::from_secs(60));
    if let Some(metrics_address) = metrics_listen {
        let metrics_listener = tokio::net::TcpListener::bind(&metrics_address)
            .await
            .with_context(|| format!("cannot listen for metrics on {metrics_address}"))?;
        tracing::info!(address = %metrics_address, "serving /metrics");
        tokio::spawn(async move {
            if let Err(error) = axum::serve(metrics_listener, crumb_server::metrics::router(metrics_state)).await {
                tracing::error!(%error, "the metrics listener failed");
            }
        });
    }
    let app = router(state);
    println!("crumb is serving {site} ({source}), records in {store_description}");
    if let Some(gateway) = &gateway {
        println!("crumb is a gateway in front of {gateway} on {url}; its own routes are under {url_prefix}");
    } else if demo {
        println!("open {url} to see the demo site with the consent banner; the cookie policy is at {url}policy");
    } else {
        println!("listening on {url}: the site script is {url}crumb.js, the policy {url}policy");
    }
    let (signalled, signal) = tokio::sync::watch::channel(false);
    let stopping = {
        let mut signal = signal.clone();
        async move {
            let _ = signal.wait_for(|stop| *stop).await;
        }
    };
    tokio::spawn(async move {
        let name = shutdown_signal().await;
        tracing::info!(
            signal = name,
            grace_seconds = grace.as_secs(),
            "shutting down: no new connections, finishing requests in flight"
        );
        let _ = signalled.send(true);
    });
    // The client address reaches cookieless counting only as part of a salted hash.
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(stopping)
        .into_future();
    let mut server = std::pin::pin!(server);
    let mut signal = signal;
    tokio::select! {
        result = &mut server => result?,
        _ = async { let _ = signal.wait_for(|stop| *stop).await; tokio::time::sleep(grace).await } => {
            tracing::warn!(grace_seconds = grace.as_secs(), "requests still in flight after the grace period; exiting without them");
            return Ok(());
        }
    }
    tracing::info!("stopped: every request in flight was answered");
    Ok(())
}

/// Waits for SIGTERM (what `systemctl stop`, `docker stop` and Kubernetes
/// send) or SIGINT (Ctrl-C); returns its name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(error) => {
                tracing::warn!(%error, "cannot handle SIGTERM; only Ctrl-C stops crumb gracefully");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
