//! PostgreSQL rows as the shared mappers ([`crate::rows`]) read them.

use tokio_postgres::Row;

use super::{unreadable_column, BACKEND};
use crate::{rows, StoreError};

/// A PostgreSQL row for the shared mappers, with what a column that does
/// not read is: [`unreadable_column`] for records, `corrupt_column` for
/// analytics rows.
pub(super) struct PgRow<'a> {
    row: &'a Row,
    column_error: fn(tokio_postgres::Error) -> StoreError,
}

impl<'a> PgRow<'a> {
    /// A record row (consent, visitor, account …).
    pub(super) fn record(row: &'a Row) -> Self {
        PgRow { row, column_error: unreadable_column }
    }

    /// A row whose unreadable columns are `column_error`.
    pub(super) fn with_column_error(row: &'a Row, column_error: fn(tokio_postgres::Error) -> StoreError) -> Self {
        PgRow { row, column_error }
    }

    fn get<T: tokio_postgres::types::FromSql<'a>>(&self, i: usize) -> Result<T, StoreError> {
        self.row.try_get(i).map_err(self.column_error)
    }
}

impl rows::Columns for PgRow<'_> {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn text(&self, i: usize) -> Result<String, StoreError> {
        self.get(i)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.get(i)
    }

    fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.get(i)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        self.get(i)
    }

    fn small(&self, i: usize) -> Result<i16, StoreError> {
        self.get(i)
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        self.get(i)
    }

    /// A `TEXT[]`.
    fn list(&self, i: usize) -> Result<Vec<String>, StoreError> {
        self.get(i)
    }

    fn with_text<T>(&self, i: usize, read: impl FnOnce(&str) -> Result<T, StoreError>) -> Result<T, StoreError> {
        read(self.get(i)?)
    }

    fn with_bytes<T>(&self, i: usize, read: impl FnOnce(&[u8]) -> Result<T, StoreError>) -> Result<T, StoreError> {
        read(self.get(i)?)
    }
}
