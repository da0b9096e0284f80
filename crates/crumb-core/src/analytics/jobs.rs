//! Background work: rolling up days and purging old raw events.
//!
//! A UTC day is rolled up for good once it has been over for
//! [`GRACE_MILLIS`] (its visits are cut at midnight, so nothing after it
//! can change it). Today is rolled up *provisionally* up to the last
//! [`PROVISIONAL_STEP_MILLIS`] boundary at least [`PROVISIONAL_LAG_MILLIS`]
//! ago, so a report reads at most a few minutes of raw events; visits that
//! may still go on at that cut are stored as open visits, which the
//! report's raw tail continues, so none counts twice
//! ([`rollup::aggregate_provisional`]). Raw events older than the retention
//! are deleted only after their day was rolled up. First, the raw events of
//! visitors who withdrew statistics consent are deleted. Every step is
//! idempotent: several nodes may run them. Still, only one node runs them
//! at a time ([`AnalyticsStore::try_lock_rollup`](crumb_store::AnalyticsStore::try_lock_rollup):
//! a PostgreSQL advisory lock); the others skip that minute's run.

use std::time::Duration;

use crumb_store::analytics::{rollup, Dimension, Granularity, DAY_MILLIS};
use crumb_store::StoreError;

use crate::site::Site;

/// How long after midnight a day is rolled up for good.
pub const GRACE_MILLIS: i64 = 30 * 60 * 1000;

/// Today's provisional rollup advances in steps of this length.
pub const PROVISIONAL_STEP_MILLIS: i64 = 5 * 60 * 1000;

/// Today's provisional cut stays at least this far behind the clock, so
/// that every event received before it is written when the cut is rolled
/// up (a group commit takes milliseconds; nodes' clocks may differ a little).
pub const PROVISIONAL_LAG_MILLIS: i64 = 60 * 1000;

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobReport {
    /// Days rolled up for good.
    pub days_rolled: u32,
    /// Whether today's provisional rollup advanced.
    pub provisional: bool,
    /// Raw events purged.
    pub events_purged: u64,
    /// Raw events deleted because their visitor withdrew consent.
    pub events_forgotten: u64,
    /// Whether the run was skipped, another node holding the rollup lock.
    pub skipped: bool,
}

/// Deletes the raw events of visitors who withdrew consent, rolls up every
/// closed day not rolled up yet, then purges raw events past retention —
/// unless another node is doing it: then it does nothing and says
/// [`JobReport::skipped`].
pub async fn run_once(state: &Site) -> Result<JobReport, StoreError> {
    let Some(lock) = state.store.try_lock_rollup(&state.config.site_name).await? else {
        return Ok(JobReport { skipped: true, ..JobReport::default() });
    };
    let report = run_locked(state).await;
    let released = lock.release().await;
    let report = report?;
    released?;
    Ok(report)
}

/// The earliest day from which the days up to `from` can be rolled up again
/// from raw events without losing counts: `from` itself when no day between
/// it and the retention horizon (before which raw events are purged) was
/// rolled up; else the first day whose raw events are all still kept.
pub async fn earliest_day_to_roll_up_again(state: &Site, from: i64) -> Result<i64, StoreError> {
    let from = from - from.rem_euclid(DAY_MILLIS);
    let retention = i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS;
    let horizon = state.now_millis() - retention;
    let kept_whole = horizon - horizon.rem_euclid(DAY_MILLIS) + DAY_MILLIS;
    if from >= kept_whole {
        return Ok(from);
    }
    let rolled =
        state.store.rollups(&state.config.site_name, Granularity::Day, from, kept_whole, &[Dimension::Total]).await?;
    Ok(if rolled.is_empty() { from } else { kept_whole })
}

/// [`run_once`], after moving the rolled-up mark back to `from` (a day
/// start): the days from `from` on are rolled up again from their raw
/// events, with events written behind the mark (`crumb analytics synth`
/// after `crumb serve` rolled real traffic up). Give a `from` that
/// [`earliest_day_to_roll_up_again`] allows: a day whose raw events were
/// purged would be rolled up from what is left.
pub async fn run_again_from(state: &Site, from: i64) -> Result<JobReport, StoreError> {
    let Some(lock) = state.store.try_lock_rollup(&state.config.site_name).await? else {
        return Ok(JobReport { skipped: true, ..JobReport::default() });
    };
    let rewound = state.store.rewind_rolled_until(&state.config.site_name, from - from.rem_euclid(DAY_MILLIS)).await;
    let report = match rewound {
        Ok(()) => run_locked(state).await,
        Err(error) => Err(error),
    };
    let released = lock.release().await;
    let report = report?;
    released?;
    Ok(report)
}

/// [`run_once`]'s work, under the rollup lock.
async fn run_locked(state: &Site) -> Result<JobReport, StoreError> {
    let site = &state.config.site_name;
    let store = &state.store;
    let now = state.now_millis();
    let mut report = JobReport { events_forgotten: store.forget_requested(site).await?, ..JobReport::default() };
    let mark = match store.rolled_until(site).await? {
        Some(until) => Some(until),
        None => store.first_event_at(site).await?,
    };
    let Some(mark) = mark else { return Ok(report) };
    let mut day = mark - mark.rem_euclid(DAY_MILLIS);
    while day + DAY_MILLIS + GRACE_MILLIS <= now {
        if roll_up(state, day, day + DAY_MILLIS).await? {
            report.days_rolled += 1;
        }
        day += DAY_MILLIS;
    }
    let today = now - now.rem_euclid(DAY_MILLIS);
    let lagging = now - PROVISIONAL_LAG_MILLIS;
    let cut = lagging - lagging.rem_euclid(PROVISIONAL_STEP_MILLIS);
    let mark = store.rolled_until(site).await?.unwrap_or(i64::MIN);
    // Only once the days before are final, and only forward.
    if day == today && cut > today && cut > mark {
        report.provisional = roll_up(state, today, cut).await?;
    }
    let retention = i64::from(state.config.analytics.raw_retention_days) * DAY_MILLIS;
    let keep_from = (now - retention).min(store.rolled_until(site).await?.unwrap_or(i64::MIN));
    report.events_purged = store.purge_events_before(site, keep_from).await?;
    Ok(report)
}

/// Rolls up the events of the day starting at `day` received before
/// `until`: the whole day, or today up to a provisional cut. Returns whether
/// it was stored (not when another node had rolled up further meanwhile).
async fn roll_up(state: &Site, day: i64, until: i64) -> Result<bool, StoreError> {
    let site = &state.config.site_name;
    let events = state.store.events_between(site, day, until).await?;
    let closed = until >= day + DAY_MILLIS;
    let funnels = crate::analytics::report::rolled_funnels(&state.config.analytics.funnels);
    // A provisional rollup rolls the day up from its start again: it keeps
    // the values with the most traffic so far, whatever the last one kept.
    let limit = crate::analytics::report::value_limit(&state.config.analytics);
    let (rolled, open_visits) = tokio::task::spawn_blocking(move || {
        if closed {
            (rollup::aggregate(events, &funnels, &limit), Vec::new())
        } else {
            rollup::aggregate_provisional(events, until, &funnels, &limit)
        }
    })
    .await
    .map_err(|e| StoreError::backend("rollup", e))?;
    state.store.commit_rollup(site, day, until, &rolled.hourly, &rolled.daily, &open_visits).await
}

/// Runs [`run_once`] now and then every `every`, for the life of the process.
pub fn spawn(state: Site, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        loop {
            ticker.tick().await;
            // One line a run (at debug level when there was nothing to do),
            // so that an operator can see which node rolled up and that
            // the others skipped: `RUST_LOG=crumb_core::analytics::jobs=debug`.
            let started = std::time::Instant::now();
            let outcome = run_once(&state).await;
            metrics::histogram!("crumb_rollup_seconds").record(started.elapsed());
            match outcome {
                Ok(report) if report.skipped => {
                    tracing::debug!("rollup skipped: another node holds the lock");
                }
                Ok(report) if report.days_rolled > 0 || report.events_purged > 0 || report.events_forgotten > 0 => {
                    tracing::info!(
                        days = report.days_rolled,
                        provisional = report.provisional,
                        purged = report.events_purged,
                        forgotten = report.events_forgotten,
                        "rollup done"
                    );
                }
                Ok(report) => {
                    tracing::debug!(provisional = report.provisional, "rollup done");
                }
                Err(error) => tracing::error!(%error, "analytics rollup failed"),
            }
        }
    })
}
