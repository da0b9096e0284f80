//! The errors found while checking a file, each with its line.

use super::{ConfigError, ConfigErrors};

/// What checking a file found: errors with the line they are on.
pub(super) struct Findings<'a> {
    file: &'a str,
    text: &'a str,
    errors: Vec<ConfigError>,
}

impl<'a> Findings<'a> {
    /// Nothing found yet in `text`, read from `file`.
    pub(super) fn new(file: &'a str, text: &'a str) -> Self {
        Findings { file, text, errors: Vec::new() }
    }

    /// The 1-based line a byte span starts on (`None` for an empty span:
    /// serde's spans of defaulted fields).
    pub(super) fn line_of(&self, span: std::ops::Range<usize>) -> Option<usize> {
        (span.end > 0).then(|| self.text[..span.start.min(self.text.len())].matches('\n').count() + 1)
    }

    /// An error on `line`.
    pub(super) fn error(&mut self, line: Option<usize>, message: String) {
        self.errors.push(ConfigError { file: self.file.to_owned(), line, message });
    }

    /// An error at a byte span.
    pub(super) fn error_at(&mut self, span: std::ops::Range<usize>, message: String) {
        let line = self.line_of(span);
        self.error(line, message);
    }

    /// Every error, by line (in the order found within a line), or nothing.
    pub(super) fn into_result(mut self) -> Result<(), ConfigErrors> {
        self.errors.sort_by_key(|e| e.line);
        match self.errors.is_empty() {
            true => Ok(()),
            false => Err(ConfigErrors(self.errors)),
        }
    }
}
