//! Background work: rolling up closed days and purging old raw events.
//!
//! A UTC day is rolled up once it has been over for [`GRACE_MILLIS`] (its
//! visits are cut at midnight, so nothing after it can change it). Raw
//! events older than the retention are deleted only after their day was
//! rolled up. Both steps are idempotent: several nodes may run them.

use std::time::Duration;

use crumb_store::analytics::{rollup, DAY_MILLIS};
use crumb_store::StoreError;

use crate::state::AppState;

/// How long after midnight a day is rolled up.
pub const GRACE_MILLIS: i64 = 30 * 60 * 1000;

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Days rolled up.
    pub days_rolled: u32,
    /// Raw events purged.
    pub events_purged: u64,
}

/// Rolls up every closed day not rolled up yet, then purges raw events past retention.
pub async fn run_once(state: &AppState) -> Result<JobReport, StoreError> {
    let site = &state.config.site_name;
    let store = &state.store;
    let now = state.now_millis();
    let mut report = JobReport::default();
    let first_open = match store.rolled_until(site).await? {
        Some(until) => until,
        None => match store.first_event_at(site).await? {
            Some(first) => first - first.rem_euclid(DAY_MILLIS),
            None => return Ok(report),
        },
    };
    let mut day = first_open;
    while day + DAY_MILLIS + GRACE_MILLIS <= now {
        let events = store.events_between(site, day, day + DAY_MILLIS).await?;
        let rolled = tokio::task::spawn_blocking(move || rollup::aggregate(events))
            .await
            .map_err(|e| StoreError::Backend { backend: "rollup", detail: e.to_string() })?;
        store.commit_day_rollup(site, day, &rolled.hourly, &rolled.daily).await?;
        report.days_rolled += 1;
        day += DAY_MILLIS;
    }
    let retention = i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS;
    let keep_from = (now - retention).min(store.rolled_until(site).await?.unwrap_or(i64::MIN));
    report.events_purged = store.purge_events_before(site, keep_from).await?;
    Ok(report)
}

/// Runs [`run_once`] now and then every `every`, for the life of the process.
pub fn spawn(state: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        loop {
            ticker.tick().await;
            match run_once(&state).await {
                Ok(report) if report.days_rolled > 0 || report.events_purged > 0 => {
                    tracing::info!(days = report.days_rolled, purged = report.events_purged, "analytics rollup");
                }
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "analytics rollup failed"),
            }
        }
    })
}
