//! Storage errors.

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or reached.
    #[error("cannot open the {backend} store: {detail}")]
    Open {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What went wrong (no secrets: connection strings are not included).
        detail: String,
    },
    /// A migration failed to apply.
    #[error("migration {version} of the {backend} store failed: {detail}")]
    Migration {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The migration's version number.
        version: u32,
        /// The database's message.
        detail: String,
    },
    /// The database holds migrations newer than this build knows.
    #[error("the {backend} store is at schema version {found}, newer than this build ({supported}); upgrade crumb")]
    SchemaTooNew {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The version found.
        found: u32,
        /// The newest version this build has.
        supported: u32,
    },
    /// A record with the same key already exists.
    #[error("a record with this id already exists")]
    Duplicate,
    /// Any other database failure.
    #[error("{backend} store: {detail}")]
    Backend {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// The database's message.
        detail: String,
    },
    /// Stored data could not be decoded (a damaged row).
    #[error("stored data is damaged: {detail}")]
    Corrupt {
        /// What could not be decoded.
        detail: String,
    },
}
