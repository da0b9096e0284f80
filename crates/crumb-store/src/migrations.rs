//! Versioned migrations, one list per backend, embedded at build time.
//!
//! Each backend applies, at open, every migration newer than the highest
//! version in its `schema_migrations(version, applied_at)` table, in order,
//! each in its own transaction together with its `schema_migrations` row.
//! A database whose highest version is newer than the last one here was
//! migrated by a newer crumb: it is refused with
//! [`StoreError::SchemaTooNew`](crate::StoreError::SchemaTooNew) rather than
//! written by code that does not know its schema.
//!
//! To change the schema, add `migrations/<backend>/NNNN_name.sql` for both
//! backends and append it to both lists; never edit an applied migration.

/// One migration: its version and SQL.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// Applied in increasing order; recorded in `schema_migrations`.
    pub version: u32,
    /// The statements.
    pub sql: &'static str,
}

/// SQLite migrations, oldest first.
pub const SQLITE: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../migrations/sqlite/0001_init.sql") },
    Migration { version: 2, sql: include_str!("../migrations/sqlite/0002_accounts.sql") },
    Migration { version: 3, sql: include_str!("../migrations/sqlite/0003_analytics.sql") },
    Migration { version: 4, sql: include_str!("../migrations/sqlite/0004_analytics_forget.sql") },
    Migration { version: 5, sql: include_str!("../migrations/sqlite/0005_analytics_open_visits.sql") },
    Migration { version: 6, sql: include_str!("../migrations/sqlite/0006_remember_grace.sql") },
    Migration { version: 7, sql: include_str!("../migrations/sqlite/0007_rate_windows.sql") },
    Migration { version: 8, sql: include_str!("../migrations/sqlite/0008_gateway_sightings.sql") },
    Migration { version: 9, sql: include_str!("../migrations/sqlite/0009_interest_profiles.sql") },
    Migration { version: 10, sql: include_str!("../migrations/sqlite/0010_ad_events.sql") },
    Migration { version: 11, sql: include_str!("../migrations/sqlite/0011_campaigns.sql") },
    Migration { version: 12, sql: include_str!("../migrations/sqlite/0012_interest_batches.sql") },
];

/// PostgreSQL migrations, oldest first.
pub const POSTGRES: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../migrations/postgres/0001_init.sql") },
    Migration { version: 2, sql: include_str!("../migrations/postgres/0002_accounts.sql") },
    Migration { version: 3, sql: include_str!("../migrations/postgres/0003_analytics.sql") },
    Migration { version: 4, sql: include_str!("../migrations/postgres/0004_analytics_forget.sql") },
    Migration { version: 5, sql: include_str!("../migrations/postgres/0005_analytics_open_visits.sql") },
    Migration { version: 6, sql: include_str!("../migrations/postgres/0006_remember_grace.sql") },
    Migration { version: 7, sql: include_str!("../migrations/postgres/0007_rate_windows.sql") },
    Migration { version: 8, sql: include_str!("../migrations/postgres/0008_gateway_sightings.sql") },
    Migration { version: 9, sql: include_str!("../migrations/postgres/0009_interest_profiles.sql") },
    Migration { version: 10, sql: include_str!("../migrations/postgres/0010_ad_events.sql") },
    Migration { version: 11, sql: include_str!("../migrations/postgres/0011_campaigns.sql") },
    Migration { version: 12, sql: include_str!("../migrations/postgres/0012_interest_batches.sql") },
];

/// The newest version of a list (0 for an empty list).
pub fn latest(migrations: &[Migration]) -> u32 {
    migrations.iter().map(|m| m.version).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_contiguous_from_one_and_backends_agree() {
        for list in [SQLITE, POSTGRES] {
            let versions: Vec<u32> = list.iter().map(|m| m.version).collect();
            let expected: Vec<u32> = (1..=u32::try_from(list.len()).unwrap()).collect();
            assert_eq!(versions, expected);
            assert!(list.iter().all(|m| !m.sql.trim().is_empty()));
        }
        assert_eq!(latest(SQLITE), latest(POSTGRES), "both backends are at the same schema version");
        assert_eq!(latest(&[]), 0);
    }
}
