//! The retention job: every epoch is deleted four weeks after it began.
//!
//! Each profile's epochs begin at its own offset, and every stored row
//! carries its epoch's start, so one cut-off serves all profiles. The
//! server's job loop calls [`purge_expired`] (hourly is plenty: an epoch
//! then lives at most four weeks and an hour); it is idempotent, so several
//! nodes may run it.

use crumb_store::profiles::ProfileDeletion;
use crumb_store::StoreError;

use super::epoch::retention_cutoff;
use crate::site::Site;

/// Deletes the site's epochs that began four weeks ago or earlier.
pub async fn purge_expired(site: &Site) -> Result<ProfileDeletion, StoreError> {
    site.store.purge_interest_epochs(&site.config.site_name, retention_cutoff(site.now_millis())).await
}

/// Runs [`purge_expired`] now and then every `every`, logging what it
/// deleted; on several nodes each runs it, which is harmless (a delete of
/// what is already gone deletes nothing).
pub fn spawn(site: Site, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        loop {
            ticker.tick().await;
            match purge_expired(&site).await {
                Ok(deleted) => tracing::debug!(?deleted, "interest epochs past retention purged"),
                Err(error) => tracing::error!(%error, "purging interest epochs failed"),
            }
        }
    })
}
