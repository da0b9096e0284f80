//! What the two backends share where they agree: the column lists of their
//! queries, the row mappers, and the conversions between stored integers
//! and counts.
//!
//! A mapper reads a row through [`Columns`], which each backend implements
//! for its driver's row. The implementation decides what a column that does
//! not read is: SQLite's and PostgreSQL's record rows call it a backend
//! failure ([`StoreError::Backend`], the driver's error as its source);
//! PostgreSQL's analytics rows call it a damaged row ([`StoreError::Corrupt`]),
//! which a report tolerates where it can.

use crate::analytics::{Counts, EventKind, EventRecord, RollupRow, StoredEvent, VisitorSketch};
use crate::{
    Account, ConsentAction, ConsentRecord, DecisionCount, Device, GatewaySighting, RememberToken, SessionRecord,
    SightingKind, StoreError, VisitorStatus,
};

/// `consent_records`' columns, in [`consent_record`]'s order.
pub(crate) const RECORD_COLUMNS: &str =
    "receipt_id, consent_id, site, policy_version, granted, refused, gpc, dnt, language, action, recorded_at";
/// `visitors`' columns, in [`visitor`]'s order.
pub(crate) const VISITOR_COLUMNS: &str = "visitor_id, first_seen, last_seen, visits";
/// `accounts`' columns, in [`account`]'s order.
pub(crate) const ACCOUNT_COLUMNS: &str =
    "user_id, email, email_folded, password_hash, is_admin, created_at, theft_detected_at";
/// `sessions`' columns, in [`session`]'s order.
pub(crate) const SESSION_COLUMNS: &str = "id_hash, user_id, device_id, created_at, last_seen";
/// `remember_tokens`' columns, in [`token`]'s order.
pub(crate) const TOKEN_COLUMNS: &str =
    "selector, validator_hash, previous_validator_hash, user_id, device_id, created_at, expires_at, rotated_at, successor_salt";
/// `devices`' columns, in [`device`]'s order.
pub(crate) const DEVICE_COLUMNS: &str = "device_id, user_id, browser, os, first_seen, last_seen, linked_visitor_id";
/// `analytics_rollups`' columns, in [`rollup_row`]'s order.
pub(crate) const ROLLUP_COLUMNS: &str =
    "bucket, dimension, value, pageviews, visits, bounces, duration_ms, events, new_visits, visitors";
/// `analytics_events` (`e`) with the first sighting of its visitor (`v`),
/// in [`stored_event`]'s order.
pub(crate) const STORED_EVENT_COLUMNS: &str =
    "e.at, e.visitor, e.cookieless, e.user_key, e.kind, e.name, e.path, e.source,
     e.utm_source, e.utm_medium, e.utm_campaign, e.browser, e.os, e.device, e.props, COALESCE(v.first_seen, e.at)";

/// `gateway_sightings`' columns, in [`gateway_sighting`]'s order.
pub(crate) const GATEWAY_COLUMNS: &str =
    "site, kind, name, domain, path, detail, first_seen, last_seen, sample_path, count";

/// One row of a query, as the mappers read it; `i` is the 0-based column.
pub(crate) trait Columns {
    /// The backend's name, for an error about the row that no driver error caused.
    fn backend(&self) -> &'static str;
    /// A `TEXT` column.
    fn text(&self, i: usize) -> Result<String, StoreError>;
    /// A nullable `TEXT` column.
    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError>;
    /// A `BIGINT` (`INTEGER`) column.
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    /// A nullable `BIGINT` column.
    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError>;
    /// A `SMALLINT` column.
    fn small(&self, i: usize) -> Result<i16, StoreError>;
    /// A boolean column.
    fn flag(&self, i: usize) -> Result<bool, StoreError>;
    /// A list of strings (a JSON array in SQLite, `TEXT[]` in PostgreSQL).
    fn list(&self, i: usize) -> Result<Vec<String>, StoreError>;
    /// Runs `read` on a `TEXT` column, borrowed.
    fn with_text<T>(&self, i: usize, read: impl FnOnce(&str) -> Result<T, StoreError>) -> Result<T, StoreError>;
    /// Runs `read` on a `BLOB` (`BYTEA`) column, borrowed.
    fn with_bytes<T>(&self, i: usize, read: impl FnOnce(&[u8]) -> Result<T, StoreError>) -> Result<T, StoreError>;
}

/// A row of [`RECORD_COLUMNS`].
pub(crate) fn consent_record(row: &impl Columns) -> Result<ConsentRecord, StoreError> {
    let action = row.with_text(9, |action| {
        ConsentAction::parse(action)
            .ok_or_else(|| StoreError::backend_message(row.backend(), format!("unknown action {action:?}")))
    })?;
    Ok(ConsentRecord {
        receipt_id: row.text(0)?,
        consent_id: row.text(1)?,
        site: row.text(2)?,
        policy_version: row.text(3)?,
        granted: row.list(4)?,
        refused: row.list(5)?,
        gpc: row.flag(6)?,
        dnt: row.flag(7)?,
        language: row.text(8)?,
        action,
        recorded_at: row.int(10)?,
    })
}

/// A row of `day, granted, refused, COUNT(*)` (`consent_decisions_by_day`).
pub(crate) fn decision_count(row: &impl Columns) -> Result<DecisionCount, StoreError> {
    Ok(DecisionCount { day: row.int(0)?, granted: row.list(1)?, refused: row.list(2)?, count: count(row.int(3)?) })
}

/// A row of [`VISITOR_COLUMNS`].
pub(crate) fn visitor(row: &impl Columns) -> Result<VisitorStatus, StoreError> {
    let visits = row.int(3)?;
    Ok(VisitorStatus {
        visitor_id: row.text(0)?,
        first_seen: row.int(1)?,
        last_seen: row.int(2)?,
        visits: u64::try_from(visits)
            .map_err(|e| StoreError::backend_during(row.backend(), &format!("visit count {visits}"), e))?,
    })
}

/// A row of [`ACCOUNT_COLUMNS`].
pub(crate) fn account(row: &impl Columns) -> Result<Account, StoreError> {
    Ok(Account {
        user_id: row.text(0)?,
        email: row.text(1)?,
        email_folded: row.text(2)?,
        password_hash: row.text(3)?,
        is_admin: row.flag(4)?,
        created_at: row.int(5)?,
        theft_detected_at: row.opt_int(6)?,
    })
}

/// A row of [`SESSION_COLUMNS`].
pub(crate) fn session(row: &impl Columns) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id_hash: row.text(0)?,
        user_id: row.text(1)?,
        device_id: row.text(2)?,
        created_at: row.int(3)?,
        last_seen: row.int(4)?,
    })
}

/// A row of [`TOKEN_COLUMNS`].
pub(crate) fn token(row: &impl Columns) -> Result<RememberToken, StoreError> {
    Ok(RememberToken {
        selector: row.text(0)?,
        validator_hash: row.text(1)?,
        previous_validator_hash: row.opt_text(2)?,
        user_id: row.text(3)?,
        device_id: row.text(4)?,
        created_at: row.int(5)?,
        expires_at: row.int(6)?,
        rotated_at: row.opt_int(7)?,
        successor_salt: row.opt_text(8)?,
    })
}

/// A row of [`DEVICE_COLUMNS`].
pub(crate) fn device(row: &impl Columns) -> Result<Device, StoreError> {
    Ok(Device {
        device_id: row.text(0)?,
        user_id: row.text(1)?,
        browser: row.text(2)?,
        os: row.text(3)?,
        first_seen: row.int(4)?,
        last_seen: row.int(5)?,
        linked_visitor_id: row.opt_text(6)?,
    })
}

/// A row of [`ROLLUP_COLUMNS`].
pub(crate) fn rollup_row(row: &impl Columns) -> Result<RollupRow, StoreError> {
    let get = |i: usize| row.int(i).map(count);
    Ok(RollupRow {
        bucket: row.int(0)?,
        dimension: row.with_text(1, |name| Ok(name.parse()?))?,
        value: row.text(2)?,
        counts: Counts {
            pageviews: get(3)?,
            visits: get(4)?,
            bounces: get(5)?,
            duration_ms: get(6)?,
            events: get(7)?,
            new_visits: get(8)?,
        },
        visitors: row.with_bytes(9, VisitorSketch::from_bytes)?,
    })
}

/// A row of [`STORED_EVENT_COLUMNS`], an event of `site`.
pub(crate) fn stored_event(site: &str, row: &impl Columns) -> Result<StoredEvent, StoreError> {
    Ok(StoredEvent {
        event: EventRecord {
            site: site.to_owned(),
            at: row.int(0)?,
            visitor: row.int(1)?,
            cookieless: row.flag(2)?,
            user: row.opt_int(3)?,
            kind: EventKind::from_code(i64::from(row.small(4)?))?,
            name: row.text(5)?,
            path: row.text(6)?,
            source: row.text(7)?,
            utm_source: row.text(8)?,
            utm_medium: row.text(9)?,
            utm_campaign: row.text(10)?,
            browser: row.text(11)?,
            os: row.text(12)?,
            device: row.text(13)?,
            props: row.with_text(14, crate::analytics::props_from_json)?,
        },
        first_seen: row.int(15)?,
    })
}

/// A stored counter as a count (a negative one, which no write makes, as 0).
pub(crate) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A `gateway_sightings` row ([`GATEWAY_COLUMNS`]).
pub(crate) fn gateway_sighting(row: &impl Columns) -> Result<GatewaySighting, StoreError> {
    let kind = row.text(1)?;
    Ok(GatewaySighting {
        site: row.text(0)?,
        kind: SightingKind::parse(&kind)
            .ok_or_else(|| StoreError::backend_message(row.backend(), format!("unknown sighting kind {kind:?}")))?,
        name: row.text(2)?,
        domain: row.text(3)?,
        path: row.text(4)?,
        detail: row.text(5)?,
        first_seen: row.int(6)?,
        last_seen: row.int(7)?,
        sample_path: row.text(8)?,
        count: count(row.int(9)?),
    })
}

/// A count as stored (saturating: no count reaches `i64::MAX`).
pub(crate) fn stored(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Counts never exceed the table size; anything beyond `u32` saturates.
pub(crate) fn count_u32(count: i64) -> u32 {
    u32::try_from(count.max(0)).unwrap_or(u32::MAX)
}

/// A row count from the driver as the trait's `u64`.
pub(crate) fn changed(rows: usize) -> u64 {
    u64::try_from(rows).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_saturate_rather_than_wrap() {
        assert_eq!((count(-1), count(7)), (0, 7));
        assert_eq!((stored(u64::MAX), stored(7)), (i64::MAX, 7));
        assert_eq!((count_u32(-3), count_u32(i64::MAX), count_u32(9)), (0, u32::MAX, 9));
        assert_eq!(changed(3), 3);
    }
}
