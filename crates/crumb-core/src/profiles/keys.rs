//! The profile key and the keyed pseudorandom function behind every random
//! choice of the mechanism.
//!
//! Three sub-keys are derived from the site's key file
//! ([`Keyring::derive`], HMAC-SHA-256 with a label): one turns a visitor's
//! id into its [`ProfileKey`], one gives each profile its week's offset, one
//! draws the padding, the pick, the noise and the order. HMAC-SHA-256
//! (RFC 2104) under a secret key is a pseudorandom function: nobody without
//! the key can predict a choice, and the same inputs always give the same
//! choice. The keys are never logged (`Debug` prints none of them).
//!
//! The sub-keys come from the oldest key of the file (its last line,
//! [`Keyring::derive_lasting`]), so rotating the key file (a new first
//! line, which signs cookies from then on) keeps every profile. Removing
//! that last line starts profiles afresh: what was stored under the old
//! keys can no longer be linked to any visitor, and ages out with
//! retention (four weeks).

use crumb_cookie::{HmacSha256Writer, Keyring};

/// One profile: an opaque 64-bit keyed hash of the browser's visitor id or
/// of the account's cross-device id. It says nothing about the visitor to
/// anyone without the site's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileKey(pub i64);

/// What a profile key is derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileSource<'a> {
    /// A browser on its own: the persistent id the server keeps for it
    /// (the visitor cookie's value).
    Browser(&'a str),
    /// A signed-in device linked for cross-device measurement: the
    /// account's pseudonymous cross-device id (the `linked_visitor_id` the
    /// store keeps for the device, `crumb_server::accounts::cross_device_id`),
    /// the same on every linked device, so they share one profile.
    Linked(&'a str),
}

/// The profile mechanism's secret keys, derived from the site's keyring,
/// each held as a keyed MAC that every use clones (so the key set-up is
/// done once).
#[derive(Clone)]
pub struct ProfileKeys {
    identity: HmacSha256Writer,
    schedule: HmacSha256Writer,
    choice: HmacSha256Writer,
}

impl std::fmt::Debug for ProfileKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are never printed.
        f.debug_struct("ProfileKeys").finish_non_exhaustive()
    }
}

/// What a block of the choice function is drawn for (domain separation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Draw {
    /// An epoch's top topics: ties between equally counted topics, padding.
    Epoch = 1,
    /// The pick of one epoch for one placement: noise or not, which topic.
    Pick = 3,
    /// The order of an answer.
    Order = 4,
}

impl ProfileKeys {
    /// The sub-keys of the keyring's oldest key (they outlast a rotation).
    pub fn from_keyring(keys: &Keyring) -> Self {
        ProfileKeys {
            identity: HmacSha256Writer::new(&keys.derive_lasting("crumb interests profile key v1")),
            schedule: HmacSha256Writer::new(&keys.derive_lasting("crumb interests epoch offset v1")),
            choice: HmacSha256Writer::new(&keys.derive_lasting("crumb interests choice v1")),
        }
    }

    /// The profile key of a browser or of a linked account, for `site`.
    /// A browser's and an account's keys never coincide (the kind is part
    /// of the hashed input).
    pub fn profile_key(&self, site: &str, source: ProfileSource<'_>) -> ProfileKey {
        let (kind, id): (&[u8], &str) = match source {
            ProfileSource::Browser(id) => (b"browser", id),
            ProfileSource::Linked(id) => (b"linked", id),
        };
        let digest = mac(&self.identity, &[kind, site.as_bytes(), id.as_bytes()]);
        ProfileKey(i64::from_be_bytes(first_word(&digest)))
    }

    /// 64 pseudorandom bits that place the profile's week boundary.
    pub(crate) fn schedule_word(&self, profile: ProfileKey) -> u64 {
        u64::from_be_bytes(first_word(&mac(&self.schedule, &[&profile.0.to_be_bytes()])))
    }

    /// Four pseudorandom 64-bit words for (`draw`, profile, epoch,
    /// placement, block number).
    pub(crate) fn words(&self, draw: Draw, profile: ProfileKey, epoch: i64, placement: &str, block: u32) -> [u64; 4] {
        let digest = mac(
            &self.choice,
            &[
                &[draw as u8],
                &profile.0.to_be_bytes(),
                &epoch.to_be_bytes(),
                placement.as_bytes(),
                &block.to_be_bytes(),
            ],
        );
        let mut words = [0u64; 4];
        for (word, chunk) in words.iter_mut().zip(digest.chunks_exact(8)) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            *word = u64::from_be_bytes(bytes);
        }
        words
    }
}

/// HMAC-SHA-256 over length-prefixed parts (so no two lists of parts
/// give the same message), under the key `keyed` was made with.
fn mac(keyed: &HmacSha256Writer, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = keyed.clone();
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finish()
}

fn first_word(digest: &[u8; 32]) -> [u8; 8] {
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    first
}

/// A uniform index below `n` from 64 random bits (the high half of the
/// 128-bit product: bias below `n / 2⁶⁴`). `n` must not be 0.
pub(crate) fn below(word: u64, n: usize) -> usize {
    // The product's high half is below `n`, so it fits a usize.
    usize::try_from((u128::from(word) * n as u128) >> 64).unwrap_or(0)
}

/// A uniform index below `n` from 32 random bits (bias below `n / 2³²`:
/// about 10⁻⁷ for the taxonomy's 469 topics). `n` must not be 0.
pub(crate) fn below_u32(bits: u32, n: usize) -> usize {
    usize::try_from((u64::from(bits) * n as u64) >> 32).unwrap_or(0)
}

/// A cheap bijective mix of 64 bits (SplitMix64's finaliser), to spread one
/// pseudorandom word over many small inputs.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> ProfileKeys {
        ProfileKeys::from_keyring(&Keyring::new(crumb_cookie::Key::from_secret(&[byte; 32]).unwrap()))
    }

    #[test]
    fn linked_devices_share_one_profile_and_browsers_have_their_own() {
        let keys = keys(1);
        let linked = keys.profile_key("s", ProfileSource::Linked("cross-1"));
        assert_eq!(linked, keys.profile_key("s", ProfileSource::Linked("cross-1")), "stable");
        assert_ne!(linked, keys.profile_key("s", ProfileSource::Browser("cross-1")), "kinds never coincide");
        assert_ne!(linked, keys.profile_key("s", ProfileSource::Linked("cross-2")));
        assert_ne!(linked, keys.profile_key("t", ProfileSource::Linked("cross-1")), "per site");
        assert_ne!(linked, self::keys(2).profile_key("s", ProfileSource::Linked("cross-1")), "per key");
        assert_eq!(format!("{keys:?}"), "ProfileKeys { .. }", "no secret in Debug");
    }

    #[test]
    fn a_rotation_keeps_profiles_and_retiring_the_oldest_key_ends_them() {
        let key = |byte: u8| crumb_cookie::Key::from_secret(&[byte; 32]).unwrap();
        let before = ProfileKeys::from_keyring(&Keyring::new(key(1)));
        let rotated = ProfileKeys::from_keyring(&Keyring::new(key(2)).with_previous(key(1)));
        let visitor = ProfileSource::Browser("visitor-1");
        let profile = before.profile_key("s", visitor);
        assert_eq!(rotated.profile_key("s", visitor), profile, "a new first key keeps the profile");
        assert_eq!(rotated.schedule_word(profile), before.schedule_word(profile), "and its week");
        let words = |keys: &ProfileKeys| keys.words(Draw::Pick, profile, 7, "sidebar", 0);
        assert_eq!(words(&rotated), words(&before), "and its choices");
        let retired = ProfileKeys::from_keyring(&Keyring::new(key(2)));
        assert_ne!(retired.profile_key("s", visitor), profile, "without the old key: a new profile");
    }

    #[test]
    fn draws_are_separated_and_uniform_indices_stay_below_n() {
        let keys = keys(1);
        let profile = ProfileKey(5);
        assert_eq!(keys.words(Draw::Pick, profile, 1, "a", 0), keys.words(Draw::Pick, profile, 1, "a", 0));
        assert_ne!(keys.words(Draw::Pick, profile, 1, "a", 0), keys.words(Draw::Order, profile, 1, "a", 0));
        assert_ne!(keys.words(Draw::Pick, profile, 1, "a", 0), keys.words(Draw::Pick, profile, 1, "b", 0));
        assert_eq!((below(0, 469), below(u64::MAX, 469), below(u64::MAX / 2, 2)), (0, 468, 0));
        assert_eq!(below(u64::MAX / 2 + 1, 2), 1);
        assert_eq!((below_u32(0, 469), below_u32(u32::MAX, 469)), (0, 468));
        assert_ne!(mix(1), mix(2));
    }
}
