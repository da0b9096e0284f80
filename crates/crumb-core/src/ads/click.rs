//! Click tokens: `/ad/click/{token}` carries a token signed with the site's
//! keyring (so it survives a key rotation and cannot be forged) that names
//! the campaign, the slot, the basis and the matched topic of an
//! impression. The redirect goes to the campaign's link *from the
//! declaration*: the token holds no URL, so the route is no open redirect.

use crumb_cookie::signed::{Keyring, ValueError};

use crate::interests::TopicId;

use super::decide::Basis;

/// The name the tokens are signed under (domain separation from cookies).
const SIGNED_AS: &str = "crumb-ad-click";
/// How long a click token stays valid: a page left open for a week still
/// counts its click.
pub const CLICK_TOKEN_SECONDS: i64 = 7 * 24 * 3600;
/// The longest slot name a token (or the ad API) accepts.
pub const MAX_SLOT_LEN: usize = 32;

/// What a click token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClickToken {
    /// The campaign's id.
    pub campaign: String,
    /// The slot it was shown in.
    pub slot: String,
    /// Why it was shown.
    pub basis: Basis,
    /// The topic that matched, if any.
    pub topic: Option<TopicId>,
    /// When it was shown (Unix seconds).
    pub issued: i64,
}

/// Why a click token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClickError {
    /// The signature does not verify, or the token is not one.
    #[error("the click token is not valid")]
    Invalid,
    /// It is older than [`CLICK_TOKEN_SECONDS`] (or from the future).
    #[error("the click token has expired")]
    Expired,
}

/// Whether `slot` can name a slot: 1 to 32 letters, digits, `-` or `_`.
pub fn is_slot_name(slot: &str) -> bool {
    !slot.is_empty()
        && slot.len() <= MAX_SLOT_LEN
        && slot.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl ClickToken {
    /// The token, signed: URL-safe (base64url and dots).
    pub fn sign(&self, keyring: &Keyring) -> String {
        keyring.sign(SIGNED_AS, self.body().as_bytes())
    }

    /// The token's body before signing: a version and the fields, one a
    /// line (an impression token appends its serve id).
    pub(super) fn body(&self) -> String {
        let topic = self.topic.map_or_else(|| "-".to_owned(), |t| t.0.to_string());
        format!("1\n{}\n{}\n{}\n{}\n{}", self.campaign, self.slot, self.basis.as_str(), topic, self.issued)
    }

    /// The fields of a body (after its version line) as a token, if each
    /// parses and it was issued within `max_age` seconds before `now`.
    pub(super) fn from_fields(fields: [&str; 5], now: i64, max_age: i64) -> Result<ClickToken, ClickError> {
        let [campaign, slot, basis, topic, issued] = fields;
        let basis = Basis::parse(basis).ok_or(ClickError::Invalid)?;
        let topic = match topic {
            "-" => None,
            id => Some(TopicId(id.parse().map_err(|_| ClickError::Invalid)?)),
        };
        let issued: i64 = issued.parse().map_err(|_| ClickError::Invalid)?;
        if issued > now + 60 || now - issued > max_age {
            return Err(ClickError::Expired);
        }
        Ok(ClickToken { campaign: campaign.to_owned(), slot: slot.to_owned(), basis, topic, issued })
    }

    /// The token's contents, if its signature verifies and it was issued
    /// within [`CLICK_TOKEN_SECONDS`] before `now` (Unix seconds).
    pub fn verify(token: &str, keyring: &Keyring, now: i64) -> Result<ClickToken, ClickError> {
        let body = keyring.verify(SIGNED_AS, token).map_err(|_: ValueError| ClickError::Invalid)?;
        let body = String::from_utf8(body).map_err(|_| ClickError::Invalid)?;
        let fields: Vec<&str> = body.split('\n').collect();
        let ["1", campaign, slot, basis, topic, issued] = fields[..] else {
            return Err(ClickError::Invalid);
        };
        ClickToken::from_fields([campaign, slot, basis, topic, issued], now, CLICK_TOKEN_SECONDS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crumb_cookie::signed::Key;

    fn keyring(secret: &[u8]) -> Keyring {
        Keyring::new(Key::from_secret(secret).expect("a key"))
    }

    fn token() -> ClickToken {
        ClickToken {
            campaign: "bikes".into(),
            slot: "sidebar".into(),
            basis: Basis::Interests,
            topic: Some(TopicId(369)),
            issued: 1_000_000,
        }
    }

    #[test]
    fn a_token_round_trips_and_is_url_safe() {
        let keys = keyring(&[7; 32]);
        let signed = token().sign(&keys);
        assert!(signed.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{signed}");
        assert_eq!(ClickToken::verify(&signed, &keys, 1_000_100), Ok(token()));
        let none = ClickToken { basis: Basis::None, topic: None, ..token() };
        assert_eq!(ClickToken::verify(&none.sign(&keys), &keys, 1_000_000), Ok(none));
    }

    #[test]
    fn forged_tampered_and_stale_tokens_are_refused() {
        let keys = keyring(&[7; 32]);
        let signed = token().sign(&keys);
        assert_eq!(ClickToken::verify(&signed, &keyring(&[8; 32]), 1_000_000), Err(ClickError::Invalid));
        let mut tampered = signed.clone().into_bytes();
        let at = tampered.len() - 3;
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            ClickToken::verify(&String::from_utf8(tampered).expect("ascii"), &keys, 1_000_000),
            Err(ClickError::Invalid)
        );
        assert_eq!(ClickToken::verify("not-a-token", &keys, 0), Err(ClickError::Invalid));
        assert_eq!(ClickToken::verify(&signed, &keys, 1_000_000 + CLICK_TOKEN_SECONDS + 1), Err(ClickError::Expired));
    }

    #[test]
    fn a_rotated_keyring_still_reads_its_previous_tokens() {
        let old = Key::from_secret(&[1; 32]).expect("a key");
        let signed = token().sign(&Keyring::new(old.clone()));
        let rotated = Keyring::new(Key::from_secret(&[2; 32]).expect("a key")).with_previous(old);
        assert_eq!(ClickToken::verify(&signed, &rotated, 1_000_000), Ok(token()));
    }

    #[test]
    fn slot_names() {
        assert!(is_slot_name("sidebar") && is_slot_name("top_1-a"));
        assert!(!is_slot_name("") && !is_slot_name("a b") && !is_slot_name(&"a".repeat(33)) && !is_slot_name("x\n"));
    }
}
