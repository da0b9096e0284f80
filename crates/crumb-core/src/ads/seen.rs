//! Impression tokens: `/api/ad` answers with
//! `{mount}/api/ad/seen/{token}`, which crumb-ad.js posts once the slot is
//! visible. The token is signed with the site's keyring under its own name
//! (so a click token is no impression token, nor the reverse), names what
//! was served (campaign, slot, basis, topic) and carries a random serve id,
//! by which a node counts each serve's impression once.

use crumb_cookie::signed::{Keyring, ValueError};

use crate::interests::TopicId;

use super::click::{ClickError, ClickToken};
use super::decide::Basis;

/// The name the tokens are signed under (domain separation).
const SIGNED_AS: &str = "crumb-ad-seen";
/// How long an impression token stays valid: a slot seen later than half
/// an hour after the ad was served is not counted. Short, so that a node
/// needs to remember the serve ids it counted for no longer than this.
pub const SEEN_TOKEN_SECONDS: i64 = 30 * 60;

/// What an impression token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenToken {
    /// The campaign's id.
    pub campaign: String,
    /// The slot it was served to.
    pub slot: String,
    /// Why it was chosen.
    pub basis: Basis,
    /// The topic that matched, if any.
    pub topic: Option<TopicId>,
    /// When it was served (Unix seconds).
    pub issued: i64,
    /// A random id of this serve: its impression counts once.
    pub serve: u64,
}

impl SeenToken {
    /// The token, signed: URL-safe (base64url and dots).
    pub fn sign(&self, keyring: &Keyring) -> String {
        let served = ClickToken {
            campaign: self.campaign.clone(),
            slot: self.slot.clone(),
            basis: self.basis,
            topic: self.topic,
            issued: self.issued,
        };
        let body = format!("{}\n{:016x}", served.body(), self.serve);
        keyring.sign(SIGNED_AS, body.as_bytes())
    }

    /// The token's contents, if its signature verifies and it was issued
    /// within [`SEEN_TOKEN_SECONDS`] before `now` (Unix seconds).
    pub fn verify(token: &str, keyring: &Keyring, now: i64) -> Result<SeenToken, ClickError> {
        let body = keyring.verify(SIGNED_AS, token).map_err(|_: ValueError| ClickError::Invalid)?;
        let body = String::from_utf8(body).map_err(|_| ClickError::Invalid)?;
        let fields: Vec<&str> = body.split('\n').collect();
        let ["1", campaign, slot, basis, topic, issued, serve] = fields[..] else {
            return Err(ClickError::Invalid);
        };
        let serve = u64::from_str_radix(serve, 16).map_err(|_| ClickError::Invalid)?;
        let served = ClickToken::from_fields([campaign, slot, basis, topic, issued], now, SEEN_TOKEN_SECONDS)?;
        let ClickToken { campaign, slot, basis, topic, issued } = served;
        Ok(SeenToken { campaign, slot, basis, topic, issued, serve })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ads::ClickToken;
    use crumb_cookie::signed::Key;

    fn keyring(secret: &[u8]) -> Keyring {
        Keyring::new(Key::from_secret(secret).expect("a key"))
    }

    fn token() -> SeenToken {
        SeenToken {
            campaign: "bikes".into(),
            slot: "sidebar".into(),
            basis: Basis::Context,
            topic: Some(TopicId(369)),
            issued: 1_000_000,
            serve: 0xdead_beef_0123_4567,
        }
    }

    #[test]
    fn a_token_round_trips_and_stale_or_forged_ones_are_refused() {
        let keys = keyring(&[7; 32]);
        let signed = token().sign(&keys);
        assert!(signed.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)), "{signed}");
        assert_eq!(SeenToken::verify(&signed, &keys, 1_000_100), Ok(token()));
        assert_eq!(SeenToken::verify(&signed, &keys, 1_000_000 + SEEN_TOKEN_SECONDS + 1), Err(ClickError::Expired));
        assert_eq!(SeenToken::verify(&signed, &keyring(&[8; 32]), 1_000_000), Err(ClickError::Invalid));
    }

    #[test]
    fn click_and_seen_tokens_are_not_interchangeable() {
        let keys = keyring(&[7; 32]);
        let click = ClickToken {
            campaign: "bikes".into(),
            slot: "sidebar".into(),
            basis: Basis::None,
            topic: None,
            issued: 1_000_000,
        };
        assert_eq!(SeenToken::verify(&click.sign(&keys), &keys, 1_000_000), Err(ClickError::Invalid));
        assert!(ClickToken::verify(&token().sign(&keys), &keys, 1_000_000).is_err());
    }
}
