//! `crumb analytics synth` and `crumb analytics rollup`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;
use crumb_core::analytics::jobs;
use crumb_core::analytics::synth::{generate, SynthPlan};
use crumb_core::Site;
use crumb_store::analytics::DAY_MILLIS;

#[derive(Subcommand)]
pub enum AnalyticsCommand {
    /// Generate realistic synthetic traffic into the store, then roll it up.
    Synth {
        /// Events to generate.
        #[arg(long)]
        events: u64,
        /// Days to spread them over, ending today.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// Random seed (same seed, same traffic).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The declaration whose store to fill (the built-in demo's without it).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Roll up closed days and purge raw events past retention, now.
    Rollup {
        /// The declaration whose store to use (the built-in demo's without it).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

pub fn run(command: AnalyticsCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        match command {
            AnalyticsCommand::Synth { events, days, seed, config } => {
                if events == 0 {
                    anyhow::bail!("--events must be at least 1");
                }
                if days == 0 || days > 400 {
                    anyhow::bail!("--days must be 1 to 400 (it is {days})");
                }
                let config = crate::serve::load_config(config.as_deref())?;
                let (store, description) = crate::serve::open_store(&config).await?;
                let site = Site::new(std::sync::Arc::new(config), store.clone());
                let end = site.now_millis();
                let plan = SynthPlan { site: site.config.site_name.clone(), events, days, end, seed };
                // The days synth writes are rolled up again afterwards, also
                // those the store rolled up already (real traffic under
                // `crumb serve`): only those whose raw events are all kept.
                let first_day = end - end.rem_euclid(DAY_MILLIS) - (i64::from(days) - 1) * DAY_MILLIS;
                let allowed = jobs::earliest_day_to_roll_up_again(&site, first_day).await?;
                if allowed > first_day {
                    let most = (end - allowed) / DAY_MILLIS + 1;
                    anyhow::bail!(
                        "--days {days} reaches back to days that are rolled up already and whose raw events are \
                         purged (kept {} days): synthetic events there could not be counted; use --days {most} or fewer",
                        site.config.analytics.raw_retention_days
                    );
                }
                let started = Instant::now();
                let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
                let generator = tokio::task::spawn_blocking(move || {
                    generate(&plan, 20_000, |chunk| {
                        let _ = sender.blocking_send(chunk);
                    })
                });
                let mut written = 0u64;
                while let Some(chunk) = receiver.recv().await {
                    let chunk_len = chunk.len() as u64;
                    store.append_events(chunk).await?;
                    written += chunk_len;
                    if written % 1_000_000 < chunk_len {
                        eprintln!("{written} events written");
                    }
                }
                generator.await?;
                let write_time = started.elapsed();
                let rolled = Instant::now();
                let report = jobs::run_again_from(&site, first_day).await?;
                println!(
                    "wrote {written} synthetic events to {description} in {:.1} s ({:.0} events/s); rolled up {} days in {:.1} s",
                    write_time.as_secs_f64(),
                    written as f64 / write_time.as_secs_f64().max(1e-9),
                    report.days_rolled,
                    rolled.elapsed().as_secs_f64()
                );
                Ok(ExitCode::SUCCESS)
            }
            AnalyticsCommand::Rollup { config } => {
                let config = crate::serve::load_config(config.as_deref())?;
                let (store, _) = crate::serve::open_store(&config).await?;
                let site = Site::new(std::sync::Arc::new(config), store);
                let report = jobs::run_once(&site).await?;
                println!(
                    "rolled up {} days, purged {} raw events, deleted {} of visitors who withdrew consent",
                    report.days_rolled, report.events_purged, report.events_forgotten
                );
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
