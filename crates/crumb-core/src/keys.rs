//! The server's secret keys: read from the key file, created on first start.
//!
//! The file holds one hex-encoded 32-byte secret per line, newest first:
//! the first signs, every line verifies. To rotate, add a new first line
//! and restart; remove old lines once their cookies have expired. The last
//! line also keys the interest profiles (`crate::profiles::keys`): a
//! rotation keeps them, removing that line starts them afresh.

use std::io::Write;
use std::path::Path;

use crumb_cookie::{Key, Keyring};

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or creating the file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not 64 hex digits.
    #[error("key file {path}, line {line}: expected 64 hex digits (32 bytes)")]
    Format {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
    },
    /// The system random source failed.
    #[error("cannot generate a key: {0}")]
    Random(String),
}

/// Loads the keyring from `path`, creating the file (mode 0600) with a new
/// random secret if it does not exist.
pub fn load_or_create(path: &Path) -> Result<Keyring, KeyFileError> {
    let display = path.display().to_string();
    let io = |source| KeyFileError::Io { path: display.clone(), source };
    if !path.exists() {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| KeyFileError::Random(e.to_string()))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(io)?;
        writeln!(file, "{}", hex::encode(secret)).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    parse(&text, &display)
}

/// Parses key-file text.
pub fn parse(text: &str, path: &str) -> Result<Keyring, KeyFileError> {
    let mut keys = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let format = || KeyFileError::Format { path: path.to_owned(), line: index + 1 };
        let secret = hex::decode(line).ok().filter(|s| s.len() == 32).ok_or_else(format)?;
        keys.push(Key::from_secret(&secret).map_err(|_| format())?);
    }
    let mut keys = keys.into_iter();
    let current = keys.next().ok_or(KeyFileError::Format { path: path.to_owned(), line: 1 })?;
    Ok(keys.fold(Keyring::new(current), Keyring::with_previous))
}

/// A random identifier: 128 bits, base64url (22 characters), from the
/// thread's cryptographically secure generator (`rand`'s `ThreadRng`: a
/// ChaCha stream seeded from the system's random source and reseeded from
/// it), which costs no system call per identifier.
pub fn random_id() -> String {
    use base64::Engine as _;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_then_reloads_the_same_key() {
        let dir = std::env::temp_dir().join(format!("crumb-keys-{}", random_id()));
        let path = dir.join("secret.key");
        let first = load_or_create(&path).unwrap();
        let signed = first.sign("n", b"v");
        let again = load_or_create(&path).unwrap();
        assert_eq!(again.verify("n", &signed).unwrap(), b"v");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rotation_lines_and_errors() {
        let old = "11".repeat(32);
        let new = "22".repeat(32);
        let ring_old = parse(&old, "k").unwrap();
        let signed = ring_old.sign("n", b"v");
        let ring = parse(&format!("{new}\n# comment\n{old}\n"), "k").unwrap();
        assert_eq!(ring.verify("n", &signed).unwrap(), b"v");
        assert!(matches!(parse("zz", "k"), Err(KeyFileError::Format { line: 1, .. })));
        assert!(matches!(parse("", "k"), Err(KeyFileError::Format { .. })));
    }
}
