//! `crumb serve`: the consent server (and, by default, the demo site).
//!
//! Every deployment setting can come from the environment as well as from
//! the command line (`crumb serve --help` lists them): `CRUMB_CONFIG`,
//! `CRUMB_LISTEN`, `CRUMB_LOG_FORMAT`, `CRUMB_METRICS_TOKEN`,
//! `CRUMB_METRICS_LISTEN`, `CRUMB_EVENTS_PER_MINUTE`,
//! `CRUMB_CONSENTS_PER_MINUTE`, `CRUMB_SECRET_FILE`, `CRUMB_SQLITE_PATH`,
//! `CRUMB_REQUEST_TIMEOUT_SECONDS`, `CRUMB_SHUTDOWN_SECONDS`,
//! `CRUMB_TLS_CERT`, `CRUMB_TLS_KEY`, `CRUMB_DEVELOPMENT`, `CRUMB_UPSTREAM`
//! (crumb in front of that site, as a gateway) (and the
//! database URL from the variable `storage.url_env` names,
//! `CRUMB_POSTGRES_URL` by default).
//!
//! With a certificate and key (`[server] tls_cert`/`tls_key` or
//! `--tls-cert`/`--tls-key`) it serves HTTPS itself ([`crate::tls`]);
//! without, plain HTTP (behind a proxy that terminates TLS, or on loopback).
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
use axum::serve::ListenerExt as _;
use clap::{Args, ValueEnum};
use crumb_core::config::{self, Config, StorageConfig, TlsFiles};
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
    /// Serve HTTPS with this PEM certificate chain (overrides server.tls_cert; needs a key too).
    #[arg(long, env = "CRUMB_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key that goes with the certificate (overrides server.tls_key).
    #[arg(long, env = "CRUMB_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Development mode (server.development): only for *.test, *.localhost and loopback origins.
    #[arg(long, env = "CRUMB_DEVELOPMENT")]
    dev: bool,
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
    if args.tls_cert.is_some() || args.tls_key.is_some() {
        let (cert, key) = (config.tls.as_ref().map(|t| t.cert.clone()), config.tls.as_ref().map(|t| t.key.clone()));
        config.tls = TlsFiles::pair(args.tls_cert.or(cert), args.tls_key.or(key))
            .map_err(|fault| anyhow::anyhow!("--tls-cert/--tls-key: {fault}"))?;
    }
    if args.dev && !built_in_demo {
        config.enable_development().map_err(|refusals| {
            anyhow::anyhow!("--dev: refusing to start in development mode:\n{}", refusals.join("\n"))
        })?;
    }
    if let Some(upstream) = args.upstream.as_deref() {
        config.put_in_front_of(upstream).map_err(|why| anyhow::anyhow!("--upstream: {why}"))?;
    }
    let limits = (args.events_per_minute, args.consents_per_minute);
    let flags = Flags { built_in_demo, dev: args.dev };
    let runtime = crumb_server::runtime::build()?;
    let result = runtime.block_on(serve(config, flags, limits, args.metrics_token));
    // A store call still running on a blocking thread gets a moment, not forever.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    result
}

/// What the command line said beyond the configuration.
struct Flags {
    /// No `--config`: the built-in demo, whose origins follow the port.
    built_in_demo: bool,
    /// `--dev` (for the built-in demo, applied once its origins are known).
    dev: bool,
}

async fn serve(
    mut config: Config,
    Flags { built_in_demo, dev }: Flags,
    (events_per_minute, consents_per_minute): (Option<u32>, Option<u32>),
    metrics_token: Option<String>,
) -> anyhow::Result<()> {
    // A bad certificate or key stops the start here, naming the file.
    let tls = config.tls.as_ref().map(crate::tls::acceptor).transpose()?;
    let (store, store_description) = open_store(&config).await?;
    let keyring = keys::load_or_create(&config.secret_file)?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    if built_in_demo {
        config = demo_config(config, address.port(), tls.is_some(), dev)?;
    }
    for warning in config.insecure_origin_warnings() {
        tracing::warn!("{warning}");
    }
    if let Some(notice) = config.development_notice() {
        tracing::warn!("{notice}");
    }
    if let Some(rate) = events_per_minute {
        config.server.events_per_minute = rate;
    }
    if let Some(rate) = consents_per_minute {
        config.server.consents_per_minute = rate;
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = if address.ip().is_loopback() {
        format!("{scheme}://localhost:{}/", address.port())
    } else {
        format!("{scheme}://{address}/")
    };
    let announcement = announcement(&config, &url, &store_description);
    let grace = config.server.shutdown_grace;
    let metrics_listen = config.server.metrics_listen.clone();
    // Install the metrics recorder before anything records.
    crumb_server::metrics::handle();
    let state = AppState::new(config, store, keyring).with_metrics_token(metrics_token);
    let metrics_state = state.clone();
    // Roll up closed days (and today, provisionally) and purge old raw events: now, then every minute.
    crumb_core::analytics::jobs::spawn(state.site.clone(), std::time::Duration::from_secs(60));
    // Delete interest profiles' epochs four weeks after they began: now, then every hour.
    crumb_core::profiles::jobs::spawn(state.site.clone(), std::time::Duration::from_secs(3600));
    // Campaigns managed on /admin: loaded now, then reloaded every 30 s for changes made on other nodes.
    crumb_server::admin_campaigns::spawn_reload(state.clone(), crumb_server::ads::served::RELOAD_EVERY);
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
    let stopped_state = state.clone();
    let app = router(state);
    let signal_received = shutdown_signal();
    println!("{announcement}");
    let (signalled, signal) = tokio::sync::watch::channel(false);
    let stopping = {
        let mut signal = signal.clone();
        async move {
            let _ = signal.wait_for(|stop| *stop).await;
        }
    };
    tokio::spawn(async move {
        let name = signal_received.await;
        tracing::info!(
            signal = name,
            grace_seconds = grace.as_secs(),
            "shutting down: no new connections, finishing requests in flight"
        );
        let _ = signalled.send(true);
    });
    // The client address reaches cookieless counting only as part of a salted hash.
    let make_service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let mut server = accept(listener, tls, make_service, stopping)?;
    let mut signal = signal;
    tokio::select! {
        result = &mut server => result?,
        _ = async { let _ = signal.wait_for(|stop| *stop).await; tokio::time::sleep(grace).await } => {
            tracing::warn!(grace_seconds = grace.as_secs(), "requests still in flight after the grace period; exiting without them");
            write_gathered(&stopped_state).await;
            return Ok(());
        }
    }
    tracing::info!("stopped: every request in flight was answered");
    write_gathered(&stopped_state).await;
    Ok(())
}

/// Writes what the ad server gathered and has not reported yet (serve
/// counts, interest pages, ads shown to profiles) before crumb exits.
async fn write_gathered(state: &AppState) {
    if let Err(error) = state.ads.report(state.store.as_ref(), &state.config.site_name).await {
        tracing::error!(%error, "the last second's ad serves and interest pages could not be written");
    }
}

/// What `crumb serve` prints once it listens: the site, its records, and
/// where to go — the demo, the gateway's site, or crumb's own script and
/// policy (under `[server] prefix`). Tests read the URL from it.
fn announcement(config: &Config, url: &str, store_description: &str) -> String {
    let own = format!("{}{}/", url.trim_end_matches('/'), config.prefix);
    let serving = format!("crumb is serving {} ({}), records in {store_description}", config.site_name, config.source);
    let next = match &config.gateway {
        Some(gateway) => {
            format!("crumb is a gateway in front of {} on {url}; its own routes are under {own}", gateway.upstream)
        }
        None if config.demo => {
            format!("open {url} to see the demo site with the consent banner; the cookie policy is at {own}policy")
        }
        None => format!("listening on {url}: the site script is {own}crumb.js, the policy {own}policy"),
    };
    format!("{serving}\n{next}")
}

/// The built-in demo's configuration once its port is known: it answers
/// for the loopback names of that port (`https://` with TLS), in
/// development mode with `--dev` (always accepted: they are loopback).
fn demo_config(config: Config, port: u16, tls: bool, dev: bool) -> anyhow::Result<Config> {
    let demo = Config::demo_on_port(port);
    let origins = match tls {
        true => demo.origins.iter().map(|origin| origin.replacen("http://", "https://", 1)).collect(),
        false => demo.origins,
    };
    let mut config = Config { origins, ..config };
    if dev {
        config
            .enable_development()
            .map_err(|refusals| anyhow::anyhow!("--dev: refusing development mode:\n{}", refusals.join("\n")))?;
    }
    Ok(config)
}

/// A server future of the right kind: plain HTTP on `listener`, or HTTPS
/// through [`crate::tls::TlsListener`]; both stop accepting when `stopping` resolves.
fn accept(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    make_service: axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, std::net::SocketAddr>,
    stopping: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>> + Send>>> {
    Ok(match tls {
        Some(acceptor) => {
            // `tap_io` (a no-op) gives the TLS listener axum's `ConnectInfo<SocketAddr>`.
            let listener = crate::tls::TlsListener::new(listener, acceptor)?.tap_io(|_| {});
            Box::pin(axum::serve(listener, make_service).with_graceful_shutdown(stopping).into_future())
        }
        None => Box::pin(axum::serve(listener, make_service).with_graceful_shutdown(stopping).into_future()),
    })
}

/// Installs the handlers for SIGTERM (what `systemctl stop`, `docker stop`
/// and Kubernetes send) and SIGINT (Ctrl-C) now, and returns a future that
/// waits for either and gives its name. Installed before the URL is
/// announced: a signal sent as soon as the URL is printed is then a
/// graceful stop, not the default action's abrupt exit.
fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => tokio::select! {
                    _ = terminate.recv() => "SIGTERM",
                    _ = interrupt.recv() => "SIGINT",
                },
                (Err(error), _) | (_, Err(error)) => {
                    tracing::warn!(%error, "cannot handle SIGTERM or SIGINT; only Ctrl-C stops crumb gracefully");
                    let _ = tokio::signal::ctrl_c().await;
                    "SIGINT"
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}
