//! Saving and loading a jar: crumb's own JSON form (persistent cookies with
//! every field) and the Netscape `cookies.txt` form that curl, wget and
//! yt-dlp read and write.

use serde::{Deserialize, Serialize};

use crate::cookie::Cookie;
use crate::jar::Jar;
use crate::set_cookie::SameSite;
use crate::time::{Clock, Timestamp};

/// Why a saved jar could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The JSON is malformed or does not describe a jar.
    #[error("invalid jar JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The saved jar has a format version this crate does not read.
    #[error("unsupported jar format version {0} (this build reads version 1)")]
    Version(u32),
    /// A `cookies.txt` line does not have seven tab-separated fields.
    #[error("cookies.txt line {line}: {reason}")]
    Netscape {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

#[derive(Serialize, Deserialize)]
struct SavedJar {
    format: String,
    version: u32,
    cookies: Vec<Cookie>,
}

const FORMAT: &str = "crumb-jar";

impl<C: Clock> Jar<C> {
    /// Serialises the jar's persistent, unexpired cookies as JSON. Session
    /// cookies are left out: loading the result is "the session is over" (§5.7).
    pub fn to_json(&self) -> String {
        let now = self.clock().now();
        let mut cookies: Vec<Cookie> =
            self.iter().filter(|c| c.is_persistent() && !c.is_expired(now)).cloned().collect();
        cookies.sort_by_key(|c| (c.creation, c.creation_index));
        let saved = SavedJar { format: FORMAT.to_owned(), version: 1, cookies };
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(&saved).unwrap_or_default()
    }

    /// Adds the cookies of a jar saved with [`Jar::to_json`]; expired ones are dropped.
    pub fn load_json(&mut self, json: &str) -> Result<usize, PersistError> {
        let saved: SavedJar = serde_json::from_str(json)?;
        if saved.format != FORMAT || saved.version != 1 {
            return Err(PersistError::Version(saved.version));
        }
        let before = self.len();
        for cookie in saved.cookies {
            self.insert(cookie);
        }
        Ok(self.len() - before)
    }

    /// Writes the jar in the Netscape `cookies.txt` format: one line per
    /// cookie, tab-separated `domain`, `include-subdomains`, `path`,
    /// `secure`, `expiry` (Unix seconds, 0 for a session cookie), `name`,
    /// `value`; `HttpOnly` cookies get curl's `#HttpOnly_` domain prefix.
    /// Names and values are written as their exact bytes. A cookie whose
    /// path holds a tab (allowed inside a `Path` attribute) cannot be written
    /// in this tab-separated format and is left out.
    pub fn to_netscape(&self) -> Vec<u8> {
        let now = self.clock().now();
        let mut cookies: Vec<&Cookie> =
            self.iter().filter(|c| !c.is_expired(now) && !c.path.contains(['\t', '\r', '\n'])).collect();
        cookies.sort_by_key(|c| (&c.domain, &c.path, c.creation, c.creation_index));
        let mut out = b"# Netscape HTTP Cookie File\n# Written by crumb. Edit at your own risk.\n\n".to_vec();
        for c in cookies {
            let line = format!(
                "{}{}{}\t{}\t{}\t{}\t{}\t",
                if c.http_only { "#HttpOnly_" } else { "" },
                if c.host_only { "" } else { "." },
                c.domain,
                if c.host_only { "FALSE" } else { "TRUE" },
                c.path,
                if c.secure { "TRUE" } else { "FALSE" },
                c.expiry.map_or(0, |e| e.unix_seconds().max(1)),
            );
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(&c.name);
            out.push(b'\t');
            out.extend_from_slice(&c.value);
            out.push(b'\n');
        }
        out
    }

    /// Adds the cookies of a Netscape `cookies.txt` file. Comments and blank
    /// lines are skipped; expired cookies are dropped; an expiry of 0 makes
    /// a session cookie. Returns how many cookies were added.
    pub fn load_netscape(&mut self, text: &[u8]) -> Result<usize, PersistError> {
        let now = self.clock().now();
        let mut added = 0;
        for (index, raw_line) in text.split(|&b| b == b'\n').enumerate() {
            let line_no = index + 1;
            let error = |reason: String| PersistError::Netscape { line: line_no, reason };
            let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
            let (http_only, line) = match line.strip_prefix(b"#HttpOnly_") {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            if line.iter().all(u8::is_ascii_whitespace) || line.starts_with(b"#") {
                continue;
            }
            let fields: Vec<&[u8]> = line.split(|&b| b == b'\t').collect();
            if fields.len() != 7 {
                return Err(error(format!("expected 7 tab-separated fields, found {}", fields.len())));
            }
            fn text_field<'l>(value: &'l [u8], what: &str, line: usize) -> Result<&'l str, PersistError> {
                std::str::from_utf8(value)
                    .map_err(|_| PersistError::Netscape { line, reason: format!("the {what} field is not UTF-8") })
            }
            let flag = |value: &[u8], what: &str| match value {
                b"TRUE" => Ok(true),
                b"FALSE" => Ok(false),
                other => Err(error(format!("{what} must be TRUE or FALSE, not {:?}", String::from_utf8_lossy(other)))),
            };
            let include_subdomains = flag(fields[1], "include-subdomains")?;
            let secure = flag(fields[3], "secure")?;
            let expiry_text = text_field(fields[4], "expiry", line_no)?;
            let expiry_seconds: i64 =
                expiry_text.parse().map_err(|_| error(format!("expiry must be Unix seconds, not {expiry_text:?}")))?;
            let domain = text_field(fields[0], "domain", line_no)?.trim_start_matches('.').to_ascii_lowercase();
            if domain.is_empty() {
                return Err(error("empty domain".into()));
            }
            let path = text_field(fields[2], "path", line_no)?;
            let cookie = Cookie {
                name: fields[5].to_vec(),
                value: fields[6].to_vec(),
                domain,
                host_only: !include_subdomains,
                path: if path.starts_with('/') { path.to_owned() } else { "/".to_owned() },
                secure,
                http_only,
                same_site: SameSite::Unspecified,
                partition_key: None,
                expiry: (expiry_seconds != 0).then(|| Timestamp::from_unix_seconds(expiry_seconds)),
                creation: now,
                last_access: now,
                creation_index: 0,
            };
            if cookie.is_expired(now) {
                continue;
            }
            self.insert(cookie);
            added += 1;
        }
        Ok(added)
    }
}
