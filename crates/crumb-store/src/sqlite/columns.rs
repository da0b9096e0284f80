//! SQLite rows as the shared mappers ([`crate::rows`]) read them.

use super::{backend_error, BACKEND};
use crate::{rows, StoreError};

/// SQLite rows for the shared mappers: a column that does not read is a
/// backend failure (the driver's error kept as its source).
impl rows::Columns for rusqlite::Row<'_> {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn small(&self, i: usize) -> Result<i16, StoreError> {
        self.get(i).map_err(backend_error)
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        self.get(i).map_err(backend_error)
    }

    /// A JSON array of strings.
    fn list(&self, i: usize) -> Result<Vec<String>, StoreError> {
        self.with_text(i, |text| {
            serde_json::from_str(text).map_err(|e| {
                backend_error(rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
            })
        })
    }

    /// A value that is not text is a damaged row.
    fn with_text<T>(&self, i: usize, read: impl FnOnce(&str) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let value = self.get_ref(i).map_err(backend_error)?;
        read(value.as_str().map_err(|e| StoreError::Corrupt { detail: format!("column {i}: {e}") })?)
    }

    /// A value that is not a blob is a damaged row.
    fn with_bytes<T>(&self, i: usize, read: impl FnOnce(&[u8]) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let value = self.get_ref(i).map_err(backend_error)?;
        read(value.as_blob().map_err(|e| StoreError::Corrupt { detail: format!("column {i}: {e}") })?)
    }
}
