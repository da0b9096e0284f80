//! `crumb serve`: the consent server (and, by default, the demo site).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use crumb_core::config::{self, Config, StorageConfig};
use crumb_core::keys;
use crumb_server::{router, AppState};
use crumb_store::Store;

#[derive(Args)]
pub struct ServeArgs {
    /// The cookie declaration; without it crumb serves the built-in demo declaration.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the config's server.listen).
    #[arg(long)]
    listen: Option<String>,
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

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .init();
    let mut config = load_config(args.config.as_deref())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let runtime = crumb_server::runtime::build()?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let (store, store_description) = open_store(&config).await?;
    let keyring = keys::load_or_create(&config.secret_file)?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    let url = if address.ip().is_loopback() {
        format!("http://localhost:{}/", address.port())
    } else {
        format!("http://{address}/")
    };
    let demo = config.demo;
    let site = config.site_name.clone();
    let source = config.source.clone();
    let state = AppState::new(config, store, keyring);
    // Roll up closed days (and today, provisionally) and purge old raw events: now, then every minute.
    crumb_core::analytics::jobs::spawn(state.site.clone(), std::time::Duration::from_secs(60));
    let app = router(state);
    println!("crumb is serving {site} ({source}), records in {store_description}");
    if demo {
        println!("open {url} to see the demo site with the consent banner; the cookie policy is at {url}policy");
    } else {
        println!("listening on {url}: the site script is {url}crumb.js, the policy {url}policy");
    }
    // The client address reaches cookieless counting only as part of a salted hash.
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    // If the signal handler cannot be installed the server runs until killed.
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
}
