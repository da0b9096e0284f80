//! Signed and encrypted cookie values for servers, with key rotation.
//!
//! A [`Keyring`] holds the current key and any number of older ones: the
//! current key signs and encrypts, every key verifies and decrypts, so keys
//! can be rotated without signing everyone out. Each value is bound to the
//! cookie's name, so a value cannot be moved from one cookie to another.
//!
//! - Signed (`s1.<key id>.<value>.<tag>`): HMAC-SHA-256; the value stays
//!   readable (base64url), the tag proves the server wrote it.
//! - Sealed (`e1.<key id>.<nonce+ciphertext>`): XChaCha20-Poly1305 with a
//!   random 192-bit nonce; the value is secret and authenticated.
//!
//! Every output uses only base64url characters and `.`, all valid cookie-octets.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The shortest master secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// Why a key could not be made or a value could not be opened.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The master secret is shorter than [`MIN_SECRET_BYTES`].
    #[error("a cookie key needs at least {MIN_SECRET_BYTES} bytes of secret, got {0}")]
    SecretTooShort(usize),
    /// The value is not in a format this module writes.
    #[error("malformed protected cookie value")]
    Malformed,
    /// No key in the ring has the value's key id (rotated out, or forged).
    #[error("the cookie was protected with a key that is no longer in the keyring")]
    UnknownKey,
    /// The tag does not verify: tampered, or bound to another cookie name.
    #[error("the cookie value failed authentication")]
    BadTag,
    /// Encryption failed (cannot happen with valid keys; reported, not panicked).
    #[error("encryption failed")]
    Encrypt,
    /// The system random source failed.
    #[error("no randomness available for a nonce")]
    Random,
}

/// One key: subkeys for MAC and AEAD derived from a master secret.
#[derive(Clone)]
pub struct Key {
    id: String,
    /// HMAC-SHA-256 keyed with the MAC subkey, cloned for each MAC so that
    /// the key set-up (two SHA-256 blocks) runs once per key, not per MAC.
    mac: HmacSha256Writer,
    aead_key: [u8; 32],
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are never printed.
        f.debug_struct("Key").field("id", &self.id).finish_non_exhaustive()
    }
}

/// HMAC-SHA-256, keyed once: the one place crumb sets up a MAC (signed
/// values, derived keys, CSRF tokens, pseudonymous ids, visitor hashes).
///
/// A clone carries the keyed state: cloning a writer made once per key
/// skips the key set-up of [`HmacSha256Writer::new`] (two SHA-256 blocks),
/// for callers that MAC many short messages under one key.
#[derive(Clone)]
pub struct HmacSha256Writer(HmacSha256);

impl HmacSha256Writer {
    /// A MAC under `key` (any length: HMAC hashes long keys and pads short ones).
    pub fn new(key: &[u8]) -> Self {
        // HMAC accepts keys of any length (RFC 2104 §2), so this cannot fail.
        HmacSha256Writer(<HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!()))
    }

    /// Appends `bytes` to the message.
    pub fn update(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(bytes);
        self
    }

    /// The 32-byte tag.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into_bytes().into()
    }
}

impl Key {
    /// Derives a key from a master secret of at least 32 random bytes.
    pub fn from_secret(secret: &[u8]) -> Result<Self, ValueError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ValueError::SecretTooShort(secret.len()));
        }
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = HmacSha256Writer::new(secret);
            mac.update(label);
            mac.finish()
        };
        let id_bytes = derive(b"crumb-cookie key id v1");
        Ok(Key {
            id: URL_SAFE_NO_PAD.encode(&id_bytes[..6]),
            mac: HmacSha256Writer::new(&derive(b"crumb-cookie hmac-sha256 v1")),
            aead_key: derive(b"crumb-cookie xchacha20poly1305 v1"),
        })
    }

    /// A new key from the system's random source.
    pub fn generate() -> Result<Self, ValueError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|_| ValueError::Random)?;
        Key::from_secret(&secret)
    }

    /// The public key id written into values (derived, not secret).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn mac(&self, name: &str, value: &[u8]) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(b"crumb-signed\0");
        mac.update(&(name.len() as u64).to_be_bytes());
        mac.update(name.as_bytes());
        mac.update(value);
        mac.0
    }
}

/// The current key and the older keys still accepted.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<Key>,
}

impl Keyring {
    /// A ring whose current key is `current`.
    pub fn new(current: Key) -> Self {
        Keyring { keys: vec![current] }
    }

    /// Adds an older key that still verifies and decrypts.
    pub fn with_previous(mut self, previous: Key) -> Self {
        self.keys.push(previous);
        self
    }

    /// Makes `key` the current key; the old current key stays as a previous one.
    pub fn rotate(&mut self, key: Key) {
        self.keys.insert(0, key);
    }

    /// Drops previous keys beyond the `keep` most recent ones.
    pub fn retire_older_than(&mut self, keep: usize) {
        self.keys.truncate(keep.max(1));
    }

    fn current(&self) -> &Key {
        &self.keys[0]
    }

    fn key(&self, id: &str) -> Result<&Key, ValueError> {
        self.keys.iter().find(|k| k.id == id).ok_or(ValueError::UnknownKey)
    }

    /// A 32-byte key for another purpose (`label`), derived from the current
    /// key: CSRF tokens, pseudonymous ids. It changes when the key rotates.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = self.current().mac.clone();
        mac.update(b"crumb-derive\0");
        mac.update(label.as_bytes());
        mac.finish()
    }

    /// A 32-byte key for `label`, derived from the oldest key in the ring:
    /// for what must outlast a rotation (a new current key leaves it as it
    /// is) and ends when that key is retired (interest profiles: a rotation
    /// keeps them; retiring their key unlinks what is stored under it).
    /// With one key it is [`Keyring::derive`]'s key, so a ring never
    /// rotated gives what it gave before this existed.
    pub fn derive_lasting(&self, label: &str) -> [u8; 32] {
        // The ring always holds its current key (`new`, `retire_older_than`
        // keeps at least one), so there is a last one.
        let oldest = self.keys.last().unwrap_or_else(|| self.current());
        let mut mac = oldest.mac.clone();
        mac.update(b"crumb-derive\0");
        mac.update(label.as_bytes());
        mac.finish()
    }

    /// Signs `value` for the cookie `name` with the current key.
    pub fn sign(&self, name: &str, value: &[u8]) -> String {
        let key = self.current();
        let tag = key.mac(name, value).finalize().into_bytes();
        format!("s1.{}.{}.{}", key.id, URL_SAFE_NO_PAD.encode(value), URL_SAFE_NO_PAD.encode(tag))
    }

    /// Verifies a signed value for the cookie `name` and returns the value.
    /// The tag is compared in constant time.
    pub fn verify(&self, name: &str, signed: &str) -> Result<Vec<u8>, ValueError> {
        let mut parts = signed.split('.');
        let (Some("s1"), Some(id), Some(value), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ValueError::Malformed);
        };
        let key = self.key(id)?;
        let value = URL_SAFE_NO_PAD.decode(value).map_err(|_| ValueError::Malformed)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| ValueError::Malformed)?;
        key.mac(name, &value).verify_slice(&tag).map_err(|_| ValueError::BadTag)?;
        Ok(value)
    }

    /// Encrypts `plaintext` for the cookie `name` with the current key.
    pub fn seal(&self, name: &str, plaintext: &[u8]) -> Result<String, ValueError> {
        let key = self.current();
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| ValueError::Random)?;
        let cipher = XChaCha20Poly1305::new((&key.aead_key).into());
        let aad = aad(name);
        let ciphertext = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: &aad })
            .map_err(|_| ValueError::Encrypt)?;
        let mut body = nonce.to_vec();
        body.extend_from_slice(&ciphertext);
        Ok(format!("e1.{}.{}", key.id, URL_SAFE_NO_PAD.encode(body)))
    }

    /// Decrypts a sealed value for the cookie `name`.
    pub fn open(&self, name: &str, sealed: &str) -> Result<Vec<u8>, ValueError> {
        let mut parts = sealed.split('.');
        let (Some("e1"), Some(id), Some(body), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(ValueError::Malformed);
        };
        let key = self.key(id)?;
        let body = URL_SAFE_NO_PAD.decode(body).map_err(|_| ValueError::Malformed)?;
        if body.len() < 24 + 16 {
            return Err(ValueError::Malformed);
        }
        let (nonce, ciphertext) = body.split_at(24);
        // 24 bytes: split_at(24) of a body checked to be longer.
        let nonce = XNonce::try_from(nonce).map_err(|_| ValueError::Malformed)?;
        let cipher = XChaCha20Poly1305::new((&key.aead_key).into());
        let aad = aad(name);
        cipher.decrypt(&nonce, Payload { msg: ciphertext, aad: &aad }).map_err(|_| ValueError::BadTag)
    }
}

fn aad(name: &str) -> Vec<u8> {
    let mut aad = b"crumb-sealed\0".to_vec();
    aad.extend_from_slice(name.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> Key {
        Key::from_secret(&[byte; 32]).unwrap()
    }

    #[test]
    fn sign_and_verify_bound_to_name() {
        let ring = Keyring::new(key(1));
        let signed = ring.sign("sid", b"user-42");
        assert_eq!(ring.verify("sid", &signed).unwrap(), b"user-42");
        assert_eq!(ring.verify("other", &signed), Err(ValueError::BadTag));
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::new(key(1));
        let signed = ring.sign("sid", b"user-42");
        let forged = signed.replace(&URL_SAFE_NO_PAD.encode(b"user-42"), &URL_SAFE_NO_PAD.encode(b"user-43"));
        assert_eq!(ring.verify("sid", &forged), Err(ValueError::BadTag));
        assert_eq!(ring.verify("sid", "s1.x.y"), Err(ValueError::Malformed));
        assert_eq!(ring.verify("sid", "garbage"), Err(ValueError::Malformed));
    }

    #[test]
    fn rotation_newest_signs_older_verify() {
        let old = Keyring::new(key(1));
        let signed_with_old = old.sign("sid", b"v");
        let sealed_with_old = old.seal("sid", b"secret").unwrap();
        let mut ring = old.clone();
        ring.rotate(key(2));
        assert_eq!(ring.verify("sid", &signed_with_old).unwrap(), b"v");
        assert_eq!(ring.open("sid", &sealed_with_old).unwrap(), b"secret");
        let signed_new = ring.sign("sid", b"v");
        assert!(signed_new.contains(key(2).id()));
        assert_eq!(old.verify("sid", &signed_new), Err(ValueError::UnknownKey));
        ring.retire_older_than(1);
        assert_eq!(ring.verify("sid", &signed_with_old), Err(ValueError::UnknownKey));
    }

    #[test]
    fn derived_keys_depend_on_label_and_key() {
        let ring = Keyring::new(key(1));
        assert_eq!(ring.derive("csrf"), Keyring::new(key(1)).derive("csrf"));
        assert_ne!(ring.derive("csrf"), ring.derive("other"));
        assert_ne!(ring.derive("csrf"), Keyring::new(key(2)).derive("csrf"));
    }

    #[test]
    fn lasting_keys_outlast_a_rotation_and_end_with_their_key() {
        let mut ring = Keyring::new(key(1));
        let lasting = ring.derive_lasting("profiles");
        assert_eq!(lasting, ring.derive("profiles"), "with one key, as derive: an upgrade changes nothing");
        assert_ne!(lasting, ring.derive_lasting("other"));
        ring.rotate(key(2));
        assert_ne!(ring.derive("profiles"), Keyring::new(key(1)).derive("profiles"), "derive follows the new key");
        assert_eq!(ring.derive_lasting("profiles"), lasting, "derive_lasting stays");
        ring.retire_older_than(1);
        assert_eq!(ring.derive_lasting("profiles"), Keyring::new(key(2)).derive_lasting("profiles"));
        assert_ne!(ring.derive_lasting("profiles"), lasting, "retiring the key ends it");
    }

    #[test]
    fn seal_and_open() {
        let ring = Keyring::new(key(7));
        let sealed = ring.seal("prefs", b"{\"theme\":\"dark\"}").unwrap();
        assert!(!sealed.contains("theme"));
        assert_eq!(ring.open("prefs", &sealed).unwrap(), b"{\"theme\":\"dark\"}");
        assert_eq!(ring.open("other", &sealed), Err(ValueError::BadTag));
        let mut tampered = sealed.into_bytes();
        let middle = tampered.len() - 10;
        tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
        assert_eq!(ring.open("prefs", std::str::from_utf8(&tampered).unwrap()), Err(ValueError::BadTag));
    }

    #[test]
    fn short_secrets_refused_and_debug_hides_keys() {
        assert_eq!(Key::from_secret(&[0; 31]).unwrap_err(), ValueError::SecretTooShort(31));
        let debug = format!("{:?}", key(3));
        assert!(!debug.contains("mac_key") && debug.contains("id"));
    }

    #[test]
    fn outputs_are_cookie_octets() {
        let ring = Keyring::new(key(9));
        for value in [ring.sign("n", b"\x00\xff;, "), ring.seal("n", b"x").unwrap()] {
            assert!(value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{value}");
        }
    }
}
