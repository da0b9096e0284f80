//! Accounts: credentials and the rules of a signed-in session. Storage is
//! `crumb_store::AccountStore`; the cookies and forms are `crumb-server`'s.

pub mod credentials;
pub mod hashing;
pub mod sessions;

use crumb_store::{SessionRecord, UnixMillis};

use crate::config::AccountSettings;

/// Whether a session is within its idle and absolute timeouts at `now`.
pub fn session_is_live(settings: &AccountSettings, session: &SessionRecord, now: UnixMillis) -> bool {
    let idle_ok = now - session.last_seen < i64::from(settings.idle_minutes) * 60_000;
    let absolute_ok = now - session.created_at < i64::from(settings.absolute_hours) * 3_600_000;
    idle_ok && absolute_ok
}
