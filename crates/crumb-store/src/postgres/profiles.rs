//! [`ProfileStore`] on PostgreSQL: interest observations and the visitor's choices.

use super::columns::PgRow;
use super::{backend_error, PgStore};
use crate::profiles::{
    self, GatheredObservation, InterestObservation, ProfileBatch, ProfileChoices, ProfileDeletion, ProfileStore,
    Removal, OBSERVATION_COLUMNS,
};
use crate::{StoreError, UnixMillis};

/// Counts a page for one topic, unless the profile is paused or the topic
/// removed for good (`$1` site, `$2` profile, `$3` epoch, `$4` topic,
/// `$5` epoch start, `$6` at).
const RECORD: &str = "INSERT INTO interest_observations
       (site, profile, epoch, topic, epoch_start, count, first_seen, last_seen)
     SELECT $1::TEXT, $2::BIGINT, $3::BIGINT, $4::BIGINT, $5::BIGINT, 1, $6::BIGINT, $6::BIGINT
     WHERE NOT EXISTS (SELECT 1 FROM interest_paused WHERE site = $1 AND profile = $2)
       AND NOT EXISTS (SELECT 1 FROM interest_blocked WHERE site = $1 AND profile = $2 AND topic = $4)
     ON CONFLICT (site, profile, epoch, topic) DO UPDATE SET
       count = interest_observations.count + 1,
       first_seen = LEAST(interest_observations.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(interest_observations.last_seen, EXCLUDED.last_seen)";

/// Adds a node's gathered pages for one topic, unless the profile is
/// paused, the topic removed for good, or the profile erased at or after
/// the first of them (`$1` site, `$2` profile, `$3` epoch, `$4` topic,
/// `$5` epoch start, `$6` count, `$7` first seen, `$8` last seen).
const ADD_GATHERED: &str = "INSERT INTO interest_observations
       (site, profile, epoch, topic, epoch_start, count, first_seen, last_seen)
     SELECT $1::TEXT, $2::BIGINT, $3::BIGINT, $4::BIGINT, $5::BIGINT, $6::BIGINT, $7::BIGINT, $8::BIGINT
     WHERE NOT EXISTS (SELECT 1 FROM interest_paused WHERE site = $1 AND profile = $2)
       AND NOT EXISTS (SELECT 1 FROM interest_blocked WHERE site = $1 AND profile = $2 AND topic = $4)
       AND NOT EXISTS (SELECT 1 FROM interest_erasures WHERE site = $1 AND profile = $2 AND erased_at >= $7)
     ON CONFLICT (site, profile, epoch, topic) DO UPDATE SET
       count = interest_observations.count + EXCLUDED.count,
       first_seen = LEAST(interest_observations.first_seen, EXCLUDED.first_seen),
       last_seen = GREATEST(interest_observations.last_seen, EXCLUDED.last_seen)";

/// Logs a gathered ad shown, unless the profile was erased at or after it
/// (`$1` site, `$2` profile, `$3` at, `$4` campaign, `$5` basis, `$6` topic).
const LOG_GATHERED: &str = "INSERT INTO ads_shown (site, profile, at, campaign, basis, topic)
     SELECT $1::TEXT, $2::BIGINT, $3::BIGINT, $4::TEXT, $5::TEXT, $6::BIGINT
     WHERE NOT EXISTS (SELECT 1 FROM interest_erasures WHERE site = $1 AND profile = $2 AND erased_at >= $3)";

/// Notes that the visitor changed the profile's choices (`$1` site, `$2`
/// profile, `$3` at).
const NOTE_CHANGE: &str = "INSERT INTO interest_changes (site, profile, changed_at) VALUES ($1, $2, $3)
     ON CONFLICT (site, profile) DO UPDATE
     SET changed_at = GREATEST(interest_changes.changed_at, EXCLUDED.changed_at)";

#[async_trait::async_trait]
impl ProfileStore for PgStore {
    async fn record_interests(
        &self,
        site: &str,
        profile: i64,
        epoch: i64,
        epoch_start: UnixMillis,
        topics: &[u16],
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        let topics = profiles::distinct(topics);
        if topics.is_empty() {
            return Ok(());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let statement = tx.prepare_cached(RECORD).await.map_err(backend_error)?;
        for topic in topics {
            let topic = i64::from(topic);
            tx.execute(&statement, &[&site, &profile, &epoch, &topic, &epoch_start, &at])
                .await
                .map_err(backend_error)?;
        }
        tx.commit().await.map_err(backend_error)
    }

    async fn interest_observations(
        &self,
        site: &str,
        profile: i64,
        from_epoch: i64,
    ) -> Result<Vec<InterestObservation>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {OBSERVATION_COLUMNS} FROM interest_observations
                 WHERE site = $1 AND profile = $2 AND epoch >= $3 ORDER BY epoch, topic"
            ))
            .await
            .map_err(backend_error)?;
        let rows = client.query(&statement, &[&site, &profile, &from_epoch]).await.map_err(backend_error)?;
        rows.iter().map(|row| profiles::observation(&PgRow::record(row))).collect()
    }

    async fn profile_choices(&self, site: &str, profile: i64) -> Result<ProfileChoices, StoreError> {
        let client = self.client().await?;
        let paused = client
            .prepare_cached("SELECT paused_at FROM interest_paused WHERE site = $1 AND profile = $2")
            .await
            .map_err(backend_error)?;
        let paused_since = match client.query_opt(&paused, &[&site, &profile]).await.map_err(backend_error)? {
            Some(row) => Some(row.try_get::<_, i64>(0).map_err(backend_error)?),
            None => None,
        };
        let removed = client.prepare_cached(profiles::REMOVED_QUERY).await.map_err(backend_error)?;
        let rows = client.query(&removed, &[&site, &profile]).await.map_err(backend_error)?;
        let removed =
            rows.iter().map(|row| profiles::removed_topic(&PgRow::record(row))).collect::<Result<Vec<_>, _>>()?;
        Ok(ProfileChoices { paused_since, removed })
    }

    async fn remove_interest_topic(
        &self,
        site: &str,
        profile: i64,
        topic: u16,
        removal: Removal,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let topic = i64::from(topic);
        match removal {
            Removal::ForGood => {
                tx.execute(
                    "INSERT INTO interest_blocked (site, profile, topic, blocked_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (site, profile, topic) DO NOTHING",
                    &[&site, &profile, &topic, &at],
                )
                .await
            }
            Removal::Epoch { epoch, epoch_start } => {
                tx.execute(
                    "INSERT INTO interest_removed (site, profile, epoch, topic, epoch_start, removed_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (site, profile, epoch, topic) DO NOTHING",
                    &[&site, &profile, &epoch, &topic, &epoch_start, &at],
                )
                .await
            }
        }
        .map_err(backend_error)?;
        tx.execute(NOTE_CHANGE, &[&site, &profile, &at]).await.map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)
    }

    async fn set_profile_paused(
        &self,
        site: &str,
        profile: i64,
        paused: bool,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        if paused {
            tx.execute(
                "INSERT INTO interest_paused (site, profile, paused_at) VALUES ($1, $2, $3)
                 ON CONFLICT (site, profile) DO NOTHING",
                &[&site, &profile, &at],
            )
            .await
        } else {
            tx.execute("DELETE FROM interest_paused WHERE site = $1 AND profile = $2", &[&site, &profile]).await
        }
        .map_err(backend_error)?;
        tx.execute(NOTE_CHANGE, &[&site, &profile, &at]).await.map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)
    }

    async fn write_profile_batch(&self, site: &str, batch: &ProfileBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let add = tx.prepare_cached(ADD_GATHERED).await.map_err(backend_error)?;
        for GatheredObservation { profile, pages: o } in &batch.observations {
            let (topic, count) = (i64::from(o.topic), i64::try_from(o.count).unwrap_or(i64::MAX));
            tx.execute(&add, &[&site, profile, &o.epoch, &topic, &o.epoch_start, &count, &o.first_seen, &o.last_seen])
                .await
                .map_err(backend_error)?;
        }
        let log = tx.prepare_cached(LOG_GATHERED).await.map_err(backend_error)?;
        for ad in &batch.shown {
            let topic = ad.topic.map(i64::from);
            tx.execute(&log, &[&site, &ad.profile, &ad.at, &ad.campaign, &ad.basis, &topic])
                .await
                .map_err(backend_error)?;
        }
        tx.commit().await.map_err(backend_error)
    }

    async fn erase_profile(&self, site: &str, profile: i64, at: UnixMillis) -> Result<ProfileDeletion, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        tx.execute(
            "INSERT INTO interest_erasures (site, profile, erased_at) VALUES ($1, $2, $3)
             ON CONFLICT (site, profile) DO UPDATE
             SET erased_at = GREATEST(interest_erasures.erased_at, EXCLUDED.erased_at)",
            &[&site, &profile, &at],
        )
        .await
        .map_err(backend_error)?;
        tx.execute(NOTE_CHANGE, &[&site, &profile, &at]).await.map_err(backend_error)?;
        let mut deleted = ProfileDeletion::default();
        for table in ["interest_observations", "interest_removed", "interest_blocked", "interest_paused", "ads_shown"] {
            let rows = tx
                .execute(&format!("DELETE FROM {table} WHERE site = $1 AND profile = $2"), &[&site, &profile])
                .await
                .map_err(backend_error)?;
            if table == "interest_observations" {
                deleted.observations += rows;
            } else if table == "ads_shown" {
                deleted.ads_shown += rows;
            } else {
                deleted.choices += rows;
            }
        }
        tx.commit().await.map_err(backend_error)?;
        Ok(deleted)
    }

    async fn profiles_changed_since(&self, site: &str, since: UnixMillis) -> Result<Vec<i64>, StoreError> {
        self.query_all(
            "SELECT profile FROM interest_changes WHERE site = $1 AND changed_at >= $2",
            &[&site, &since],
            |row| crate::rows::Columns::int(&PgRow::record(row), 0),
        )
        .await
    }

    async fn purge_interest_epochs(&self, site: &str, started_by: UnixMillis) -> Result<ProfileDeletion, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let observations = tx
            .execute("DELETE FROM interest_observations WHERE site = $1 AND epoch_start <= $2", &[&site, &started_by])
            .await
            .map_err(backend_error)?;
        let choices = tx
            .execute("DELETE FROM interest_removed WHERE site = $1 AND epoch_start <= $2", &[&site, &started_by])
            .await
            .map_err(backend_error)?;
        let ads_shown = tx
            .execute("DELETE FROM ads_shown WHERE site = $1 AND at <= $2", &[&site, &started_by])
            .await
            .map_err(backend_error)?;
        tx.execute("DELETE FROM interest_erasures WHERE site = $1 AND erased_at <= $2", &[&site, &started_by])
            .await
            .map_err(backend_error)?;
        tx.execute("DELETE FROM interest_changes WHERE site = $1 AND changed_at <= $2", &[&site, &started_by])
            .await
            .map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(ProfileDeletion { observations, choices, ads_shown })
    }
}
