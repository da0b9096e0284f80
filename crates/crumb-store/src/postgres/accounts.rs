//! [`AccountStore`] on PostgreSQL: accounts, sessions, remember-me tokens,
//! devices and the sign-in throttle.

use super::columns::PgRow;
use super::{backend_error, unreadable_column, PgStore};
use crate::rows::{self, count, count_u32, ACCOUNT_COLUMNS, DEVICE_COLUMNS, SESSION_COLUMNS, TOKEN_COLUMNS};
use crate::{
    Account, AccountStore, Admission, Device, RememberToken, SessionRecord, StoreError, ThrottlePolicy, UnixMillis,
};

#[async_trait::async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let a = account;
        self.execute(
            &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            &[
                &a.user_id,
                &a.email,
                &a.email_folded,
                &a.password_hash,
                &a.is_admin,
                &a.created_at,
                &a.theft_detected_at,
            ],
        )
        .await
        .map(|_| ())
    }

    async fn account_by_email(&self, email_folded: &str) -> Result<Option<Account>, StoreError> {
        self.query_opt(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_folded = $1"),
            &[&email_folded],
            |row| rows::account(&PgRow::record(row)),
        )
        .await
    }

    async fn account(&self, user_id: &str) -> Result<Option<Account>, StoreError> {
        self.query_opt(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = $1"), &[&user_id], |row| {
            rows::account(&PgRow::record(row))
        })
        .await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        self.execute("UPDATE accounts SET password_hash = $2 WHERE user_id = $1", &[&user_id, &password_hash])
            .await
            .map(|_| ())
    }

    async fn set_admin(&self, user_id: &str, is_admin: bool) -> Result<(), StoreError> {
        self.execute("UPDATE accounts SET is_admin = $2 WHERE user_id = $1", &[&user_id, &is_admin]).await.map(|_| ())
    }

    async fn set_theft_detected(&self, user_id: &str, at: Option<UnixMillis>) -> Result<(), StoreError> {
        self.execute("UPDATE accounts SET theft_detected_at = $2 WHERE user_id = $1", &[&user_id, &at])
            .await
            .map(|_| ())
    }

    async fn delete_account(&self, user_id: &str) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        // Deleting the account first locks its row and returns the e-mail
        // whose throttle rows go with it (they are keyed by e-mail, so no
        // cascade reaches them). Sessions, remember-me tokens and devices go
        // by ON DELETE CASCADE.
        let deleted = tx
            .query_opt("DELETE FROM accounts WHERE user_id = $1 RETURNING email_folded", &[&user_id])
            .await
            .map_err(backend_error)?;
        let Some(row) = deleted else {
            return Ok(false);
        };
        let email_folded: String = row.try_get(0).map_err(unreadable_column)?;
        // Keyed by e-mail, by id or by a trusted device of the account
        // (`left`, not LIKE: ids may hold `_`, a LIKE wildcard).
        tx.execute(
            "DELETE FROM login_failures WHERE key = $1 OR key = $2 OR left(key, length($3)) = $3",
            &[&format!("email:{email_folded}"), &format!("account:{user_id}"), &format!("device:{user_id}:")],
        )
        .await
        .map_err(backend_error)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(true)
    }

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let s = session;
        self.execute(
            &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
            &[&s.id_hash, &s.user_id, &s.device_id, &s.created_at, &s.last_seen],
        )
        .await
        .map(|_| ())
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.query_opt(&format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = $1"), &[&id_hash], |row| {
            rows::session(&PgRow::record(row))
        })
        .await
    }

    async fn touch_session(&self, id_hash: &str, at: UnixMillis) -> Result<(), StoreError> {
        // GREATEST: a slow request finishing late never moves last_seen back.
        self.execute("UPDATE sessions SET last_seen = GREATEST(last_seen, $2) WHERE id_hash = $1", &[&id_hash, &at])
            .await
            .map(|_| ())
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        self.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash]).await.map(|n| n > 0)
    }

    async fn delete_device_sessions(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM sessions WHERE user_id = $1 AND device_id = $2", &[&user_id, &device_id]).await
    }

    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id]).await
    }

    async fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.query_all(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY created_at, id_hash"),
            &[&user_id],
            |row| rows::session(&PgRow::record(row)),
        )
        .await
    }

    async fn create_remember_token(&self, token: &RememberToken) -> Result<(), StoreError> {
        let t = token;
        self.execute(
            &format!("INSERT INTO remember_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
            &[
                &t.selector,
                &t.validator_hash,
                &t.previous_validator_hash,
                &t.user_id,
                &t.device_id,
                &t.created_at,
                &t.expires_at,
                &t.rotated_at,
                &t.successor_salt,
            ],
        )
        .await
        .map(|_| ())
    }

    async fn remember_token(&self, selector: &str) -> Result<Option<RememberToken>, StoreError> {
        self.query_opt(
            &format!("SELECT {TOKEN_COLUMNS} FROM remember_tokens WHERE selector = $1"),
            &[&selector],
            |row| rows::token(&PgRow::record(row)),
        )
        .await
    }

    async fn rotate_remember_token(
        &self,
        selector: &str,
        expected_hash: &str,
        new_hash: &str,
        at: UnixMillis,
        successor_salt: &str,
    ) -> Result<bool, StoreError> {
        // One conditional statement: PostgreSQL locks the row and re-checks
        // the condition, so of two rotations racing with the same validator
        // exactly one matches.
        self.execute(
            "UPDATE remember_tokens
             SET previous_validator_hash = $2, validator_hash = $3, rotated_at = $4, successor_salt = $5
             WHERE selector = $1 AND validator_hash = $2",
            &[&selector, &expected_hash, &new_hash, &at, &successor_salt],
        )
        .await
        .map(|n| n > 0)
    }

    async fn delete_remember_token(&self, selector: &str) -> Result<bool, StoreError> {
        self.execute("DELETE FROM remember_tokens WHERE selector = $1", &[&selector]).await.map(|n| n > 0)
    }

    async fn delete_user_remember_tokens(&self, user_id: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM remember_tokens WHERE user_id = $1", &[&user_id]).await
    }

    async fn delete_device_remember_tokens(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        self.execute("DELETE FROM remember_tokens WHERE user_id = $1 AND device_id = $2", &[&user_id, &device_id]).await
    }

    async fn user_remember_tokens(&self, user_id: &str) -> Result<Vec<RememberToken>, StoreError> {
        self.query_all(
            &format!("SELECT {TOKEN_COLUMNS} FROM remember_tokens WHERE user_id = $1 ORDER BY created_at, selector"),
            &[&user_id],
            |row| rows::token(&PgRow::record(row)),
        )
        .await
    }

    async fn upsert_device(&self, device: &Device) -> Result<(), StoreError> {
        let d = device;
        self.execute(
            &format!(
                "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (user_id, device_id) DO UPDATE SET
                     browser = EXCLUDED.browser,
                     os = EXCLUDED.os,
                     last_seen = GREATEST(devices.last_seen, EXCLUDED.last_seen)"
            ),
            &[&d.device_id, &d.user_id, &d.browser, &d.os, &d.first_seen, &d.last_seen, &d.linked_visitor_id],
        )
        .await
        .map(|_| ())
    }

    async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<Device>, StoreError> {
        self.query_opt(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND device_id = $2"),
            &[&user_id, &device_id],
            |row| rows::device(&PgRow::record(row)),
        )
        .await
    }

    async fn user_devices(&self, user_id: &str) -> Result<Vec<Device>, StoreError> {
        self.query_all(
            &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 ORDER BY last_seen DESC, device_id"),
            &[&user_id],
            |row| rows::device(&PgRow::record(row)),
        )
        .await
    }

    async fn link_device_visitor(
        &self,
        user_id: &str,
        device_id: &str,
        linked: Option<&str>,
    ) -> Result<(), StoreError> {
        self.execute(
            "UPDATE devices SET linked_visitor_id = $3 WHERE user_id = $1 AND device_id = $2",
            &[&user_id, &device_id, &linked],
        )
        .await
        .map(|_| ())
    }

    async fn delete_device(&self, user_id: &str, device_id: &str) -> Result<bool, StoreError> {
        self.execute("DELETE FROM devices WHERE user_id = $1 AND device_id = $2", &[&user_id, &device_id])
            .await
            .map(|n| n > 0)
    }

    async fn record_failed_login(
        &self,
        key: &str,
        at: UnixMillis,
        window_start: UnixMillis,
    ) -> Result<u32, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        tx.execute("INSERT INTO login_failures (key, at) VALUES ($1, $2)", &[&key, &at])
            .await
            .map_err(backend_error)?;
        tx.execute("DELETE FROM login_failures WHERE key = $1 AND at < $2", &[&key, &window_start])
            .await
            .map_err(backend_error)?;
        let count: i64 = tx
            .query_one("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2", &[&key, &window_start])
            .await
            .map_err(backend_error)?
            .try_get(0)
            .map_err(unreadable_column)?;
        tx.commit().await.map_err(backend_error)?;
        Ok(count_u32(count))
    }

    async fn failed_logins(
        &self,
        key: &str,
        window_start: UnixMillis,
    ) -> Result<(u32, Option<UnixMillis>), StoreError> {
        let rows = self
            .query_all(
                "SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = $1 AND at >= $2",
                &[&key, &window_start],
                |row| {
                    let count: i64 = row.try_get(0).map_err(unreadable_column)?;
                    let latest: Option<i64> = row.try_get(1).map_err(unreadable_column)?;
                    Ok((count_u32(count), latest))
                },
            )
            .await?;
        Ok(rows.into_iter().next().unwrap_or((0, None)))
    }

    async fn count_attempt(
        &self,
        keys: &[String],
        at: UnixMillis,
        policy: &ThrottlePolicy,
    ) -> Result<Admission, StoreError> {
        // One lock per key, taken in sorted order (no deadlock between two
        // attempts sharing keys) and held to the commit: attempts under the
        // same key are checked and counted one after another, on every node.
        let mut locked: Vec<&String> = keys.iter().collect();
        locked.sort();
        locked.dedup();
        let window_start = at - policy.window_ms;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend_error)?;
        let mut wait = 0;
        for key in &locked {
            tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[key]).await.map_err(backend_error)?;
            tx.execute("DELETE FROM login_failures WHERE key = $1 AND at < $2", &[key, &window_start])
                .await
                .map_err(backend_error)?;
            let row = tx
                .query_one("SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = $1", &[key])
                .await
                .map_err(backend_error)?;
            let count: i64 = row.try_get(0).map_err(unreadable_column)?;
            let latest: Option<i64> = row.try_get(1).map_err(unreadable_column)?;
            wait = wait.max(policy.wait_ms(count_u32(count), latest, at));
        }
        if wait == 0 {
            for key in &locked {
                tx.execute("INSERT INTO login_failures (key, at) VALUES ($1, $2)", &[key, &at])
                    .await
                    .map_err(backend_error)?;
            }
        }
        tx.commit().await.map_err(backend_error)?;
        Ok(if wait == 0 { Admission::Proceed } else { Admission::Wait(wait) })
    }

    async fn clear_failed_logins(&self, key: &str) -> Result<(), StoreError> {
        self.execute("DELETE FROM login_failures WHERE key = $1", &[&key]).await.map(|_| ())
    }

    async fn admin_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.query_all(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE is_admin ORDER BY created_at, user_id"),
            &[],
            |row| rows::account(&PgRow::record(row)),
        )
        .await
    }

    async fn count_accounts(&self) -> Result<u64, StoreError> {
        let counts = self
            .query_all("SELECT COUNT(*) FROM accounts", &[], |row| row.try_get::<_, i64>(0).map_err(unreadable_column))
            .await?;
        // An aggregate always returns one row.
        Ok(counts.into_iter().next().map_or(0, count))
    }
}
