//! Storage errors.
//!
//! A failure of the database, its driver or the OS keeps that error as its
//! [`source`](std::error::Error::source), so a caller (or a log that walks
//! the chain) can tell a refused connection from a full disk. The message
//! ([`Display`](std::fmt::Display)) also carries the cause's text, because
//! most log lines print the top error alone. Neither ever includes a
//! connection string: the PostgreSQL backend never hands its URL to an
//! error, and drops the URL parser's error rather than keep it as a source.

/// A boxed error kept as the source of a [`StoreError`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

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
        /// The underlying error, when there is one.
        #[source]
        source: Option<BoxError>,
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
        /// The underlying error, when there is one.
        #[source]
        source: Option<BoxError>,
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
        /// `sqlite` or `postgres` (or the part of crumb that failed to reach it).
        backend: &'static str,
        /// The database's message.
        detail: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// Stored data could not be decoded (a damaged row).
    #[error("stored data is damaged: {detail}")]
    Corrupt {
        /// What could not be decoded.
        detail: String,
    },
}

impl StoreError {
    /// A [`StoreError::Backend`] caused by `error`, whose text is the detail.
    pub fn backend(backend: &'static str, error: impl Into<BoxError>) -> Self {
        let source = error.into();
        StoreError::Backend { backend, detail: source.to_string(), source: Some(source) }
    }

    /// A [`StoreError::Backend`] caused by `error`, with what was being done.
    pub fn backend_during(backend: &'static str, doing: &str, error: impl Into<BoxError>) -> Self {
        let source = error.into();
        StoreError::Backend { backend, detail: format!("{doing}: {source}"), source: Some(source) }
    }

    /// A [`StoreError::Backend`] that no other error caused.
    pub fn backend_message(backend: &'static str, detail: impl Into<String>) -> Self {
        StoreError::Backend { backend, detail: detail.into(), source: None }
    }

    /// A [`StoreError::Open`] caused by `error`, whose text is the detail.
    pub fn open(backend: &'static str, error: impl Into<BoxError>) -> Self {
        let source = error.into();
        StoreError::Open { backend, detail: source.to_string(), source: Some(source) }
    }

    /// A [`StoreError::Open`] caused by `error`, with what was being done
    /// (`doing` must hold no secret).
    pub fn open_during(backend: &'static str, doing: &str, error: impl Into<BoxError>) -> Self {
        let source = error.into();
        StoreError::Open { backend, detail: format!("{doing}: {source}"), source: Some(source) }
    }

    /// A [`StoreError::Open`] that no other error caused.
    pub fn open_message(backend: &'static str, detail: impl Into<String>) -> Self {
        StoreError::Open { backend, detail: detail.into(), source: None }
    }

    /// A [`StoreError::Migration`] of `version` caused by `error`.
    pub fn migration(backend: &'static str, version: u32, error: impl Into<BoxError>) -> Self {
        let source = error.into();
        StoreError::Migration { backend, version, detail: source.to_string(), source: Some(source) }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("disk I/O error")]
    struct Cause;

    #[test]
    fn a_caused_error_keeps_its_source_and_says_what_it_was() {
        let error = StoreError::backend("sqlite", Cause);
        assert_eq!(error.to_string(), "sqlite store: disk I/O error");
        let source = error.source().expect("the cause is kept");
        assert!(source.downcast_ref::<Cause>().is_some(), "{source:?}");

        let error = StoreError::backend_during("postgres", "connection pool", Cause);
        assert_eq!(error.to_string(), "postgres store: connection pool: disk I/O error");
        assert!(error.source().is_some());
        let error = StoreError::open("sqlite", Cause);
        assert_eq!(error.to_string(), "cannot open the sqlite store: disk I/O error");
        assert!(error.source().is_some());
        let error = StoreError::open_during("sqlite", "/data", Cause);
        assert_eq!(error.to_string(), "cannot open the sqlite store: /data: disk I/O error");
        assert!(error.source().is_some());
        let error = StoreError::migration("sqlite", 3, Cause);
        assert_eq!(error.to_string(), "migration 3 of the sqlite store failed: disk I/O error");
        assert!(error.source().is_some());
    }

    #[test]
    fn a_message_alone_has_no_source() {
        let error = StoreError::backend_message("writer", "the event writer stopped");
        assert_eq!(error.to_string(), "writer store: the event writer stopped");
        assert!(error.source().is_none());
        assert!(StoreError::open_message("postgres", "bad URL").source().is_none());
        assert!(StoreError::Duplicate.source().is_none());
    }
}
