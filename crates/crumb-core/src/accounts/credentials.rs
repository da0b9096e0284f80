//! Credentials: random secrets, how secrets and passwords are stored
//! (SHA-256 and Argon2id), constant-time comparison, e-mail folding and the
//! password rules.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::hashing::{HashBusy, HashJobError, HashLimiter, ARGON2_MEMORY_KIB};

/// Shortest password accepted (OWASP ASVS 2.1.1).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (ASVS 2.1.2).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    /// The operating system's random source failed.
    #[error("the system random source failed: {0}")]
    Random(#[from] getrandom::Error),
    /// Argon2 refused the input.
    #[error("argon2: {0}")]
    Argon2(argon2::password_hash::Error),
    /// The blocking task that hashes was cancelled (the runtime is shutting down).
    #[error("the hashing task did not finish: {0}")]
    Interrupted(tokio::task::JoinError),
    /// No hashing permit came free in time (too many hashes at once).
    #[error(transparent)]
    Busy(#[from] HashBusy),
}

impl From<HashJobError> for PasswordHashError {
    fn from(error: HashJobError) -> Self {
        match error {
            HashJobError::Busy(busy) => PasswordHashError::Busy(busy),
            HashJobError::Interrupted(join) => PasswordHashError::Interrupted(join),
        }
    }
}

/// Why a password is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("password: at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    #[error("password: at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
}

/// Why an e-mail address is not acceptable as a login.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// No `@` with text on both sides, longer than 254 bytes (RFC 5321
    /// §4.5.3.1.3), or a control character (a NUL would cut it in logs and
    /// in other systems).
    #[error("email: not an e-mail address")]
    Invalid,
}

/// Checks an e-mail address given at registration; returns its login key
/// ([`fold_email`]).
pub fn check_email(email: &str) -> Result<String, EmailError> {
    let folded = fold_email(email);
    let shaped = folded.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if !shaped || folded.len() > 254 || folded.chars().any(char::is_control) {
        return Err(EmailError::Invalid);
    }
    Ok(folded)
}

/// Checks a new password's length, in characters (ASVS 2.1.1, 2.1.2).
pub fn check_password_rules(password: &str) -> Result<(), PasswordRuleError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordRuleError::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordRuleError::TooLong);
    }
    Ok(())
}

/// 256 random bits, base64url: session ids, validators, selectors.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    // Without randomness no session can be safe; the OS source failing is unrecoverable.
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("system random source failed: {e}"));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256, hex: how session ids and validators are stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time string comparison.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> argon2::Argon2<'static> {
    // These constants are within Argon2's limits, so `Params::new` cannot fail.
    let params = argon2::Params::new(ARGON2_MEMORY_KIB, 2, 1, None).unwrap_or_else(|_| unreachable!());
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes a password (on the blocking pool: it is deliberately slow), under
/// a permit of `limiter`.
pub async fn hash_password(limiter: &HashLimiter, password: String) -> Result<String, PasswordHashError> {
    limiter
        .run(move || {
            use argon2::password_hash::PasswordHasher;
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt)?;
            argon2()
                .hash_password_with_salt(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(PasswordHashError::Argon2)
        })
        .await?
}

/// An Argon2id hash of a random password, made once: checking against it
/// when an account does not exist takes as long as a real check (no timing oracle).
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| {
            use argon2::password_hash::PasswordHasher;
            argon2()
                .hash_password_with_salt(random_secret().as_bytes(), &[7u8; 16])
                .map(|h| h.to_string())
                .unwrap_or_else(|error| {
                    // Verifying against "" fails at once: unknown accounts would answer faster.
                    tracing::error!(%error, "the dummy password hash could not be made");
                    String::new()
                })
        })
        .clone()
}

/// Verifies a password against a PHC hash (or the dummy hash, made under
/// the same permit the first time), in constant time, under a permit of
/// `limiter`. A cancelled task counts as a mismatch.
pub async fn verify_password(limiter: &HashLimiter, password: String, hash: Option<String>) -> Result<bool, HashBusy> {
    let exists = hash.is_some();
    let checked = limiter.run(move || {
        let hash = hash.unwrap_or_else(dummy_hash);
        use argon2::password_hash::phc::PasswordHash;
        use argon2::password_hash::PasswordVerifier;
        let ok =
            PasswordHash::new(&hash).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok());
        ok && exists
    });
    match checked.await {
        Ok(ok) => Ok(ok),
        Err(HashJobError::Busy(busy)) => Err(busy),
        Err(HashJobError::Interrupted(_)) => Ok(false),
    }
}

/// The e-mail as a login key: trimmed and case-folded.
pub fn fold_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::client::device_family;

    fn limiter() -> HashLimiter {
        HashLimiter::new(2, std::time::Duration::from_secs(60))
    }

    #[tokio::test]
    async fn password_hashing_round_trip_and_dummy() {
        let limiter = limiter();
        let hash = hash_password(&limiter, "correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&limiter, "correct horse battery".into(), Some(hash.clone())).await.unwrap());
        assert!(!verify_password(&limiter, "wrong".into(), Some(hash)).await.unwrap());
        assert!(!verify_password(&limiter, "anything".into(), None).await.unwrap(), "the dummy hash never matches");
    }

    /// Hashing, verifying and the dummy hash all wait for a permit: with
    /// every permit taken, each is refused.
    #[tokio::test]
    async fn every_argon2_job_needs_a_permit() {
        let limiter = HashLimiter::new(1, std::time::Duration::from_millis(20));
        let held = limiter.acquire().await.unwrap();
        assert!(matches!(
            hash_password(&limiter, "correct horse battery".into()).await,
            Err(PasswordHashError::Busy(_))
        ));
        assert!(verify_password(&limiter, "x".into(), Some("$argon2id$x".into())).await.is_err());
        assert!(verify_password(&limiter, "x".into(), None).await.is_err(), "the dummy hash too");
        drop(held);
        assert!(hash_password(&limiter, "correct horse battery".into()).await.is_ok());
    }

    #[tokio::test]
    async fn hashes_stored_before_keep_verifying() {
        // An Argon2id PHC string made outside crumb (argon2-cffi, OWASP's
        // parameters): what accounts created under earlier builds hold.
        let stored =
            "$argon2id$v=19$m=19456,t=2,p=1$St0yGLqMVQ3O/33qwR8kDA$UJOueQZhf7EirIAoCvTcCALGu5dQJX8UDDFl3P91tRY";
        let limiter = limiter();
        assert!(verify_password(&limiter, "correct horse battery".into(), Some(stored.into())).await.unwrap());
        assert!(!verify_password(&limiter, "correct horse batterY".into(), Some(stored.into())).await.unwrap());
    }

    #[test]
    fn e_mail_addresses_are_checked() {
        assert_eq!(check_email(" Alice@Example.com ").as_deref(), Ok("alice@example.com"));
        for bad in [
            "alice",
            "@example.com",
            "alice@",
            "al\0ice@example.com",
            "a@b\u{7}c",
            &format!("{}@x.com", "a".repeat(250)),
        ] {
            assert_eq!(check_email(bad), Err(EmailError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(fold_email("  Alice@Example.COM "), "alice@example.com");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
        assert_eq!(hash_secret("x").len(), 64);
        assert_eq!(device_family("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36"), ("Chrome".to_owned(), "Linux".to_owned()));
    }
}
