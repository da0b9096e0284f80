//! Accounts, server-side sessions, remember-me tokens, devices and sign-in
//! throttling: the records behind "keeping registered users signed in".
//!
//! Secrets never reach the store in clear: session ids and remember-me
//! validators arrive already hashed (SHA-256 by the server), passwords as
//! Argon2id PHC strings.

use serde::{Deserialize, Serialize};

use crate::{StoreError, UnixMillis};

/// A registered user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Random, stable id.
    pub user_id: String,
    /// The e-mail as typed at registration.
    pub email: String,
    /// The e-mail case-folded: the unique login key.
    pub email_folded: String,
    /// Argon2id PHC string. Never serialised out of the server.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// Administrator.
    pub is_admin: bool,
    /// Registration time.
    pub created_at: UnixMillis,
    /// Set when a stolen remember-me token was detected; cleared once the user was told.
    pub theft_detected_at: Option<UnixMillis>,
}

/// A server-side session (the session cookie holds the id; the store only its hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// SHA-256 of the session id, hex.
    #[serde(skip_serializing)]
    pub id_hash: String,
    /// Whose session.
    pub user_id: String,
    /// The device it runs on.
    pub device_id: String,
    /// When it started (absolute timeout counts from here).
    pub created_at: UnixMillis,
    /// Last request (idle timeout counts from here).
    pub last_seen: UnixMillis,
}

/// A remember-me token: `selector` finds it, the validator proves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberToken {
    /// Public lookup key (random).
    pub selector: String,
    /// SHA-256 of the current validator, hex.
    #[serde(skip_serializing)]
    pub validator_hash: String,
    /// SHA-256 of the validator it replaced, hex: presenting it again means
    /// theft, unless within the grace window after `rotated_at`.
    #[serde(skip_serializing)]
    pub previous_validator_hash: Option<String>,
    /// When the previous validator was replaced (None before the first rotation).
    pub rotated_at: Option<UnixMillis>,
    /// The random salt from which the previous validator derives the current
    /// one: a request still carrying the previous validator within the grace
    /// window gets the same successor. Useless without that validator, which
    /// the store never holds in clear.
    #[serde(skip_serializing)]
    pub successor_salt: Option<String>,
    /// Whose token.
    pub user_id: String,
    /// The device it belongs to.
    pub device_id: String,
    /// Issued.
    pub created_at: UnixMillis,
    /// Expires (at most 400 days after issue).
    pub expires_at: UnixMillis,
}

/// A device (browser) a user signed in from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Random id.
    pub device_id: String,
    /// Whose device.
    pub user_id: String,
    /// Browser family, e.g. "Firefox".
    pub browser: String,
    /// OS family, e.g. "Linux".
    pub os: String,
    /// First sign-in.
    pub first_seen: UnixMillis,
    /// Latest activity.
    pub last_seen: UnixMillis,
    /// HMAC of the user id the analytics side may see, set only with cross-device consent.
    pub linked_visitor_id: Option<String>,
}

/// How attempts of one kind (sign-ins, password checks, registrations) are
/// throttled per key: within `window_ms`, the first `free_attempts` pass at
/// once; after that each one must wait `first_delay_ms` after the latest,
/// doubling with every further attempt, at most `max_delay_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Attempts older than this many milliseconds are forgotten.
    pub window_ms: i64,
    /// Attempts within the window that need no delay.
    pub free_attempts: u32,
    /// The first delay, in milliseconds.
    pub first_delay_ms: i64,
    /// The longest delay, in milliseconds.
    pub max_delay_ms: i64,
}

impl ThrottlePolicy {
    /// The delay demanded after `attempts` counted attempts.
    pub fn delay_ms(&self, attempts: u32) -> i64 {
        if attempts < self.free_attempts {
            return 0;
        }
        let doublings = (attempts - self.free_attempts).min(30);
        self.first_delay_ms.saturating_mul(1i64 << doublings).min(self.max_delay_ms)
    }

    /// Milliseconds still to wait at `now` after `attempts` counted
    /// attempts, the latest at `latest`: 0 when another may proceed.
    pub fn wait_ms(&self, attempts: u32, latest: Option<UnixMillis>, now: UnixMillis) -> i64 {
        let since_latest = latest.map_or(0, |latest| (now - latest).max(0));
        (self.delay_ms(attempts) - since_latest).max(0)
    }
}

/// The verdict on an attempt ([`AccountStore::count_attempt`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Counted: the attempt may proceed.
    Proceed,
    /// Refused and not counted: retry after this many milliseconds.
    Wait(i64),
}

/// Durable storage of accounts and their sessions.
///
/// Writes are durable when they return, as for [`crate::Store`].
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates an account; [`StoreError::Duplicate`] if the folded e-mail exists.
    async fn create_account(&self, account: &Account) -> Result<(), StoreError>;
    /// The account with this folded e-mail.
    async fn account_by_email(&self, email_folded: &str) -> Result<Option<Account>, StoreError>;
    /// The account with this id.
    async fn account(&self, user_id: &str) -> Result<Option<Account>, StoreError>;
    /// Replaces the password hash. (Like the other setters, does nothing for an unknown user id.)
    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError>;
    /// Grants or removes administrator rights.
    async fn set_admin(&self, user_id: &str, is_admin: bool) -> Result<(), StoreError>;
    /// Sets or clears the theft flag.
    async fn set_theft_detected(&self, user_id: &str, at: Option<UnixMillis>) -> Result<(), StoreError>;
    /// Deletes the account and everything that belongs to it (sessions,
    /// remember-me tokens, devices, throttle entries keyed by its e-mail
    /// (`email:<folded>`), by its id (`account:<user id>`) or by one of its
    /// trusted devices (`device:<user id>:…`)).
    /// Returns whether an account was deleted.
    async fn delete_account(&self, user_id: &str) -> Result<bool, StoreError>;

    /// Stores a new session; [`StoreError::Duplicate`] if the id hash exists.
    /// The user must have an account.
    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    /// The session with this id hash.
    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError>;
    /// Updates a session's last-seen time; never moves it back (a slow
    /// request finishing late keeps the later time).
    async fn touch_session(&self, id_hash: &str, at: UnixMillis) -> Result<(), StoreError>;
    /// Deletes one session; returns whether it existed.
    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError>;
    /// Deletes every session of a user on one device.
    async fn delete_device_sessions(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError>;
    /// Deletes every session of a user ("sign out everywhere", theft).
    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError>;
    /// Every session of a user, oldest first.
    async fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError>;

    /// Stores a new remember-me token; [`StoreError::Duplicate`] if the
    /// selector exists. The user must have an account.
    async fn create_remember_token(&self, token: &RememberToken) -> Result<(), StoreError>;
    /// The token with this selector.
    async fn remember_token(&self, selector: &str) -> Result<Option<RememberToken>, StoreError>;
    /// Rotates a token's validator atomically: only if its current hash is
    /// `expected_hash`, sets `previous = expected_hash`, `current = new_hash`,
    /// `rotated_at = at` and `successor_salt`.
    /// Returns false (and changes nothing) if the current hash differed —
    /// a concurrent rotation or a replay.
    async fn rotate_remember_token(
        &self,
        selector: &str,
        expected_hash: &str,
        new_hash: &str,
        at: UnixMillis,
        successor_salt: &str,
    ) -> Result<bool, StoreError>;
    /// Deletes one token.
    async fn delete_remember_token(&self, selector: &str) -> Result<bool, StoreError>;
    /// Deletes every token of a user.
    async fn delete_user_remember_tokens(&self, user_id: &str) -> Result<u64, StoreError>;
    /// Deletes every token of a user on one device.
    async fn delete_device_remember_tokens(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError>;
    /// Every token of a user, oldest first.
    async fn user_remember_tokens(&self, user_id: &str) -> Result<Vec<RememberToken>, StoreError>;

    /// Inserts a device, or updates `last_seen` (and browser/os) if it exists.
    /// An update keeps `first_seen` and `linked_visitor_id`, and never moves
    /// `last_seen` back. The user must have an account.
    async fn upsert_device(&self, device: &Device) -> Result<(), StoreError>;
    /// One device of a user.
    async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<Device>, StoreError>;
    /// Every device of a user, most recent first (by `last_seen`).
    async fn user_devices(&self, user_id: &str) -> Result<Vec<Device>, StoreError>;
    /// Sets or clears a device's linked visitor id.
    async fn link_device_visitor(&self, user_id: &str, device_id: &str, linked: Option<&str>)
        -> Result<(), StoreError>;
    /// Deletes a device (its sessions and tokens are deleted by the caller first).
    async fn delete_device(&self, user_id: &str, device_id: &str) -> Result<bool, StoreError>;

    /// Records a failed sign-in for `key` (e.g. `email:<folded>` or `ip:<addr>`);
    /// returns the failures counted within the window, this one included.
    /// Failures older than `window_start` are forgotten.
    async fn record_failed_login(&self, key: &str, at: UnixMillis, window_start: UnixMillis)
        -> Result<u32, StoreError>;
    /// Failures of `key` since `window_start` (inclusive), and the time of the latest of them.
    async fn failed_logins(&self, key: &str, window_start: UnixMillis)
        -> Result<(u32, Option<UnixMillis>), StoreError>;
    /// Counts an attempt at `at` under every one of `keys` if, for each key,
    /// the attempts counted within `policy`'s window allow one now — checked
    /// and counted in one transaction, so of concurrent attempts no more
    /// proceed than the policy allows. When one key demands a delay nothing
    /// is counted and the longest wait is returned. Attempts older than the
    /// window are forgotten. Attempts live in the same rows as failures
    /// ([`AccountStore::failed_logins`] reads them).
    async fn count_attempt(
        &self,
        keys: &[String],
        at: UnixMillis,
        policy: &ThrottlePolicy,
    ) -> Result<Admission, StoreError>;
    /// Forgets the failures of `key` (after a successful sign-in).
    async fn clear_failed_logins(&self, key: &str) -> Result<(), StoreError>;
    /// The number of accounts (administration, tests of erasure).
    async fn count_accounts(&self) -> Result<u64, StoreError>;
    /// The administrators' accounts, oldest first.
    async fn admin_accounts(&self) -> Result<Vec<Account>, StoreError>;
}
