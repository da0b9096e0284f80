//! [`ProfileStore`] on SQLite: interest observations and the visitor's choices.

use rusqlite::params;

use super::{backend_error, query_all, SqliteStore};
use crate::profiles::{
    self, GatheredObservation, InterestObservation, ProfileBatch, ProfileChoices, ProfileDeletion, ProfileStore,
    Removal, OBSERVATION_COLUMNS,
};
use crate::rows::changed;
use crate::{StoreError, UnixMillis};

/// Counts a page for one topic, unless the profile is paused or the topic
/// removed for good (`?1` site, `?2` profile, `?3` epoch, `?4` topic,
/// `?5` epoch start, `?6` at). SQLite needs the `WHERE` to read the
/// `ON CONFLICT` of an `INSERT … SELECT`.
const RECORD: &str = "INSERT INTO interest_observations
       (site, profile, epoch, topic, epoch_start, count, first_seen, last_seen)
     SELECT ?1, ?2, ?3, ?4, ?5, 1, ?6, ?6
     WHERE NOT EXISTS (SELECT 1 FROM interest_paused WHERE site = ?1 AND profile = ?2)
       AND NOT EXISTS (SELECT 1 FROM interest_blocked WHERE site = ?1 AND profile = ?2 AND topic = ?4)
     ON CONFLICT (site, profile, epoch, topic) DO UPDATE SET
       count = count + 1,
       first_seen = MIN(first_seen, excluded.first_seen),
       last_seen = MAX(last_seen, excluded.last_seen)";

/// Adds a node's gathered pages for one topic, unless the profile is
/// paused, the topic removed for good, or the profile erased at or after
/// the first of them (`?1` site, `?2` profile, `?3` epoch, `?4` topic,
/// `?5` epoch start, `?6` count, `?7` first seen, `?8` last seen).
const ADD_GATHERED: &str = "INSERT INTO interest_observations
       (site, profile, epoch, topic, epoch_start, count, first_seen, last_seen)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
     WHERE NOT EXISTS (SELECT 1 FROM interest_paused WHERE site = ?1 AND profile = ?2)
       AND NOT EXISTS (SELECT 1 FROM interest_blocked WHERE site = ?1 AND profile = ?2 AND topic = ?4)
       AND NOT EXISTS (SELECT 1 FROM interest_erasures WHERE site = ?1 AND profile = ?2 AND erased_at >= ?7)
     ON CONFLICT (site, profile, epoch, topic) DO UPDATE SET
       count = count + excluded.count,
       first_seen = MIN(first_seen, excluded.first_seen),
       last_seen = MAX(last_seen, excluded.last_seen)";

/// Logs a gathered ad shown, unless the profile was erased at or after it
/// (`?1` site, `?2` profile, `?3` at, `?4` campaign, `?5` basis, `?6` topic).
const LOG_GATHERED: &str = "INSERT INTO ads_shown (site, profile, at, campaign, basis, topic)
     SELECT ?1, ?2, ?3, ?4, ?5, ?6
     WHERE NOT EXISTS (SELECT 1 FROM interest_erasures WHERE site = ?1 AND profile = ?2 AND erased_at >= ?3)";

/// The profile's observations of epochs `from_epoch` and later.
fn observations_from(
    c: &rusqlite::Connection,
    site: &str,
    profile: i64,
    from_epoch: i64,
) -> Result<Vec<InterestObservation>, StoreError> {
    query_all(
        c,
        &format!(
            "SELECT {OBSERVATION_COLUMNS} FROM interest_observations
             WHERE site = ?1 AND profile = ?2 AND epoch >= ?3 ORDER BY epoch, topic"
        ),
        params![site, profile, from_epoch],
        |row| profiles::observation(row),
    )
}

/// What the visitor decided about the profile.
fn choices_of(c: &rusqlite::Connection, site: &str, profile: i64) -> Result<ProfileChoices, StoreError> {
    let paused = query_all(
        c,
        "SELECT paused_at FROM interest_paused WHERE site = ?1 AND profile = ?2",
        params![site, profile],
        |row| row.get::<_, i64>(0).map_err(backend_error),
    )?;
    let removed = query_all(c, &profiles::REMOVED_QUERY.replace('$', "?"), params![site, profile], |row| {
        profiles::removed_topic(row)
    })?;
    Ok(ProfileChoices { paused_since: paused.first().copied(), removed })
}

/// Notes that the visitor changed the profile's choices (`?1` site, `?2`
/// profile, `?3` at).
const NOTE_CHANGE: &str = "INSERT INTO interest_changes (site, profile, changed_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (site, profile) DO UPDATE SET changed_at = MAX(changed_at, excluded.changed_at)";

#[async_trait::async_trait]
impl ProfileStore for SqliteStore {
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
        let site = site.to_owned();
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            {
                let mut statement = tx.prepare_cached(RECORD).map_err(backend_error)?;
                for topic in topics {
                    statement.execute(params![site, profile, epoch, topic, epoch_start, at]).map_err(backend_error)?;
                }
            }
            tx.commit().map_err(backend_error)
        })
        .await
    }

    async fn interest_observations(
        &self,
        site: &str,
        profile: i64,
        from_epoch: i64,
    ) -> Result<Vec<InterestObservation>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| observations_from(c, &site, profile, from_epoch)).await
    }

    async fn profile_choices(&self, site: &str, profile: i64) -> Result<ProfileChoices, StoreError> {
        let site = site.to_owned();
        self.read(move |c| choices_of(c, &site, profile)).await
    }

    async fn profile_for_answer(
        &self,
        site: &str,
        profile: i64,
        from_epoch: i64,
    ) -> Result<(ProfileChoices, Vec<InterestObservation>), StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            // One transaction: both reads see the same state.
            let tx = c.transaction().map_err(backend_error)?;
            let choices = choices_of(&tx, &site, profile)?;
            let observations = observations_from(&tx, &site, profile, from_epoch)?;
            Ok((choices, observations))
        })
        .await
    }

    async fn remove_interest_topic(
        &self,
        site: &str,
        profile: i64,
        topic: u16,
        removal: Removal,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            let written = match removal {
                Removal::ForGood => tx.execute(
                    "INSERT INTO interest_blocked (site, profile, topic, blocked_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (site, profile, topic) DO NOTHING",
                    params![site, profile, topic, at],
                ),
                Removal::Epoch { epoch, epoch_start } => tx.execute(
                    "INSERT INTO interest_removed (site, profile, epoch, topic, epoch_start, removed_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (site, profile, epoch, topic) DO NOTHING",
                    params![site, profile, epoch, topic, epoch_start, at],
                ),
            };
            written.map_err(backend_error)?;
            tx.execute(NOTE_CHANGE, params![site, profile, at]).map_err(backend_error)?;
            tx.commit().map_err(backend_error)
        })
        .await
    }

    async fn set_profile_paused(
        &self,
        site: &str,
        profile: i64,
        paused: bool,
        at: UnixMillis,
    ) -> Result<(), StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            let written = if paused {
                tx.execute(
                    "INSERT INTO interest_paused (site, profile, paused_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (site, profile) DO NOTHING",
                    params![site, profile, at],
                )
            } else {
                tx.execute("DELETE FROM interest_paused WHERE site = ?1 AND profile = ?2", params![site, profile])
            };
            written.map_err(backend_error)?;
            tx.execute(NOTE_CHANGE, params![site, profile, at]).map_err(backend_error)?;
            tx.commit().map_err(backend_error)
        })
        .await
    }

    async fn write_profile_batch(&self, site: &str, batch: &ProfileBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (site, batch) = (site.to_owned(), batch.clone());
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            {
                let mut add = tx.prepare_cached(ADD_GATHERED).map_err(backend_error)?;
                for GatheredObservation { profile, pages: o } in &batch.observations {
                    let count = i64::try_from(o.count).unwrap_or(i64::MAX);
                    add.execute(params![
                        site,
                        profile,
                        o.epoch,
                        o.topic,
                        o.epoch_start,
                        count,
                        o.first_seen,
                        o.last_seen
                    ])
                    .map_err(backend_error)?;
                }
                let mut log = tx.prepare_cached(LOG_GATHERED).map_err(backend_error)?;
                for ad in &batch.shown {
                    log.execute(params![site, ad.profile, ad.at, ad.campaign, ad.basis, ad.topic.map(i64::from)])
                        .map_err(backend_error)?;
                }
            }
            tx.commit().map_err(backend_error)
        })
        .await
    }

    async fn erase_profile(&self, site: &str, profile: i64, at: UnixMillis) -> Result<ProfileDeletion, StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            tx.execute(
                "INSERT INTO interest_erasures (site, profile, erased_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (site, profile) DO UPDATE SET erased_at = MAX(erased_at, excluded.erased_at)",
                params![site, profile, at],
            )
            .map_err(backend_error)?;
            tx.execute(NOTE_CHANGE, params![site, profile, at]).map_err(backend_error)?;
            let mut deleted = ProfileDeletion::default();
            for table in
                ["interest_observations", "interest_removed", "interest_blocked", "interest_paused", "ads_shown"]
            {
                let rows = tx
                    .execute(&format!("DELETE FROM {table} WHERE site = ?1 AND profile = ?2"), params![site, profile])
                    .map_err(backend_error)?;
                if table == "interest_observations" {
                    deleted.observations += changed(rows);
                } else if table == "ads_shown" {
                    deleted.ads_shown += changed(rows);
                } else {
                    deleted.choices += changed(rows);
                }
            }
            tx.commit().map_err(backend_error)?;
            Ok(deleted)
        })
        .await
    }

    async fn profiles_changed_since(&self, site: &str, since: UnixMillis) -> Result<Vec<i64>, StoreError> {
        let site = site.to_owned();
        self.read(move |c| {
            query_all(
                c,
                "SELECT profile FROM interest_changes WHERE site = ?1 AND changed_at >= ?2",
                params![site, since],
                |row| row.get::<_, i64>(0).map_err(backend_error),
            )
        })
        .await
    }

    async fn purge_interest_epochs(&self, site: &str, started_by: UnixMillis) -> Result<ProfileDeletion, StoreError> {
        let site = site.to_owned();
        self.with(move |c| {
            let tx = c.transaction().map_err(backend_error)?;
            let observations = tx
                .execute(
                    "DELETE FROM interest_observations WHERE site = ?1 AND epoch_start <= ?2",
                    params![site, started_by],
                )
                .map_err(backend_error)?;
            let choices = tx
                .execute(
                    "DELETE FROM interest_removed WHERE site = ?1 AND epoch_start <= ?2",
                    params![site, started_by],
                )
                .map_err(backend_error)?;
            let ads_shown = tx
                .execute("DELETE FROM ads_shown WHERE site = ?1 AND at <= ?2", params![site, started_by])
                .map_err(backend_error)?;
            tx.execute("DELETE FROM interest_erasures WHERE site = ?1 AND erased_at <= ?2", params![site, started_by])
                .map_err(backend_error)?;
            tx.execute("DELETE FROM interest_changes WHERE site = ?1 AND changed_at <= ?2", params![site, started_by])
                .map_err(backend_error)?;
            tx.commit().map_err(backend_error)?;
            Ok(ProfileDeletion {
                observations: changed(observations),
                choices: changed(choices),
                ads_shown: changed(ads_shown),
            })
        })
        .await
    }
}
