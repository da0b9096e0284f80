//! [`AccountStore`] on SQLite: accounts, sessions, remember-me tokens,
//! devices and the sign-in throttle.

use rusqlite::{params, TransactionBehavior};

use super::{backend_error, execute, query_all, query_opt, SqliteStore};
use crate::rows::{self, changed, count_u32, ACCOUNT_COLUMNS, DEVICE_COLUMNS, SESSION_COLUMNS, TOKEN_COLUMNS};
use crate::{
    Account, AccountStore, Admission, Device, RememberToken, SessionRecord, StoreError, ThrottlePolicy, UnixMillis,
};

#[async_trait::async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, account: &Account) -> Result<(), StoreError> {
        let a = account.clone();
        self.with(move |c| {
            execute(
                c,
                &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![
                    a.user_id,
                    a.email,
                    a.email_folded,
                    a.password_hash,
                    a.is_admin,
                    a.created_at,
                    a.theft_detected_at
                ],
            )
            .map(|_| ())
        })
        .await
    }

    async fn account_by_email(&self, email_folded: &str) -> Result<Option<Account>, StoreError> {
        let email_folded = email_folded.to_owned();
        self.read(move |c| {
            query_opt(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_folded = ?1"),
                params![email_folded],
                |row| rows::account(row),
            )
        })
        .await
    }

    async fn account(&self, user_id: &str) -> Result<Option<Account>, StoreError> {
        let user_id = user_id.to_owned();
        self.read(move |c| {
            query_opt(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ?1"),
                params![user_id],
                |row| rows::account(row),
            )
        })
        .await
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        let (user_id, password_hash) = (user_id.to_owned(), password_hash.to_owned());
        self.with(move |c| {
            execute(c, "UPDATE accounts SET password_hash = ?2 WHERE user_id = ?1", params![user_id, password_hash])
                .map(|_| ())
        })
        .await
    }

    async fn set_admin(&self, user_id: &str, is_admin: bool) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            execute(c, "UPDATE accounts SET is_admin = ?2 WHERE user_id = ?1", params![user_id, is_admin]).map(|_| ())
        })
        .await
    }

    async fn set_theft_detected(&self, user_id: &str, at: Option<UnixMillis>) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            execute(c, "UPDATE accounts SET theft_detected_at = ?2 WHERE user_id = ?1", params![user_id, at])
                .map(|_| ())
        })
        .await
    }

    async fn delete_account(&self, user_id: &str) -> Result<bool, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            // The throttle rows are keyed by e-mail, id or trusted device, not
            // by reference: no cascade reaches them. (`substr`, not LIKE: ids
            // may hold `_`, a LIKE wildcard.)
            execute(
                &tx,
                "DELETE FROM login_failures
                 WHERE key = (SELECT 'email:' || email_folded FROM accounts WHERE user_id = ?1)
                    OR key = 'account:' || ?1
                    OR substr(key, 1, length('device:' || ?1 || ':')) = 'device:' || ?1 || ':'",
                params![user_id],
            )?;
            // Sessions, remember-me tokens and devices go by ON DELETE CASCADE.
            let deleted = execute(&tx, "DELETE FROM accounts WHERE user_id = ?1", params![user_id])?;
            tx.commit().map_err(backend_error)?;
            Ok(deleted > 0)
        })
        .await
    }

    async fn create_session(&self, session: &SessionRecord) -> Result<(), StoreError> {
        let s = session.clone();
        self.with(move |c| {
            execute(
                c,
                &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                params![s.id_hash, s.user_id, s.device_id, s.created_at, s.last_seen],
            )
            .map(|_| ())
        })
        .await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.read(move |c| {
            query_opt(
                c,
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = ?1"),
                params![id_hash],
                |row| rows::session(row),
            )
        })
        .await
    }

    async fn touch_session(&self, id_hash: &str, at: UnixMillis) -> Result<(), StoreError> {
        let id_hash = id_hash.to_owned();
        self.with(move |c| {
            // MAX: a slow request finishing late never moves last_seen back.
            execute(c, "UPDATE sessions SET last_seen = MAX(last_seen, ?2) WHERE id_hash = ?1", params![id_hash, at])
                .map(|_| ())
        })
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let id_hash = id_hash.to_owned();
        self.with(move |c| execute(c, "DELETE FROM sessions WHERE id_hash = ?1", params![id_hash]).map(|n| n > 0)).await
    }

    async fn delete_device_sessions(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.with(move |c| {
            execute(c, "DELETE FROM sessions WHERE user_id = ?1 AND device_id = ?2", params![user_id, device_id])
                .map(changed)
        })
        .await
    }

    async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| execute(c, "DELETE FROM sessions WHERE user_id = ?1", params![user_id]).map(changed)).await
    }

    async fn user_sessions(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let user_id = user_id.to_owned();
        self.read(move |c| {
            query_all(
                c,
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY created_at, id_hash"),
                params![user_id],
                |row| rows::session(row),
            )
        })
        .await
    }

    async fn create_remember_token(&self, token: &RememberToken) -> Result<(), StoreError> {
        let t = token.clone();
        self.with(move |c| {
            execute(
                c,
                &format!("INSERT INTO remember_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    t.selector,
                    t.validator_hash,
                    t.previous_validator_hash,
                    t.user_id,
                    t.device_id,
                    t.created_at,
                    t.expires_at,
                    t.rotated_at,
                    t.successor_salt
                ],
            )
            .map(|_| ())
        })
        .await
    }

    async fn remember_token(&self, selector: &str) -> Result<Option<RememberToken>, StoreError> {
        let selector = selector.to_owned();
        self.read(move |c| {
            query_opt(
                c,
                &format!("SELECT {TOKEN_COLUMNS} FROM remember_tokens WHERE selector = ?1"),
                params![selector],
                |row| rows::token(row),
            )
        })
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
        let (selector, expected, new) = (selector.to_owned(), expected_hash.to_owned(), new_hash.to_owned());
        let salt = successor_salt.to_owned();
        self.with(move |c| {
            // One conditional statement: of two rotations racing with the same
            // validator, exactly one matches.
            execute(
                c,
                "UPDATE remember_tokens
                 SET previous_validator_hash = ?2, validator_hash = ?3, rotated_at = ?4, successor_salt = ?5
                 WHERE selector = ?1 AND validator_hash = ?2",
                params![selector, expected, new, at, salt],
            )
            .map(|n| n > 0)
        })
        .await
    }

    async fn delete_remember_token(&self, selector: &str) -> Result<bool, StoreError> {
        let selector = selector.to_owned();
        self.with(move |c| {
            execute(c, "DELETE FROM remember_tokens WHERE selector = ?1", params![selector]).map(|n| n > 0)
        })
        .await
    }

    async fn delete_user_remember_tokens(&self, user_id: &str) -> Result<u64, StoreError> {
        let user_id = user_id.to_owned();
        self.with(move |c| execute(c, "DELETE FROM remember_tokens WHERE user_id = ?1", params![user_id]).map(changed))
            .await
    }

    async fn delete_device_remember_tokens(&self, user_id: &str, device_id: &str) -> Result<u64, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.with(move |c| {
            execute(c, "DELETE FROM remember_tokens WHERE user_id = ?1 AND device_id = ?2", params![user_id, device_id])
                .map(changed)
        })
        .await
    }

    async fn user_remember_tokens(&self, user_id: &str) -> Result<Vec<RememberToken>, StoreError> {
        let user_id = user_id.to_owned();
        self.read(move |c| {
            query_all(
                c,
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM remember_tokens WHERE user_id = ?1 ORDER BY created_at, selector"
                ),
                params![user_id],
                |row| rows::token(row),
            )
        })
        .await
    }

    async fn upsert_device(&self, device: &Device) -> Result<(), StoreError> {
        let d = device.clone();
        self.with(move |c| {
            execute(
                c,
                &format!(
                    "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (user_id, device_id) DO UPDATE SET
                         browser = excluded.browser,
                         os = excluded.os,
                         last_seen = MAX(last_seen, excluded.last_seen)"
                ),
                params![d.device_id, d.user_id, d.browser, d.os, d.first_seen, d.last_seen, d.linked_visitor_id],
            )
            .map(|_| ())
        })
        .await
    }

    async fn device(&self, user_id: &str, device_id: &str) -> Result<Option<Device>, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.read(move |c| {
            query_opt(
                c,
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 AND device_id = ?2"),
                params![user_id, device_id],
                |row| rows::device(row),
            )
        })
        .await
    }

    async fn user_devices(&self, user_id: &str) -> Result<Vec<Device>, StoreError> {
        let user_id = user_id.to_owned();
        self.read(move |c| {
            query_all(
                c,
                &format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = ?1 ORDER BY last_seen DESC, device_id"),
                params![user_id],
                |row| rows::device(row),
            )
        })
        .await
    }

    async fn link_device_visitor(
        &self,
        user_id: &str,
        device_id: &str,
        linked: Option<&str>,
    ) -> Result<(), StoreError> {
        let (user_id, device_id, linked) = (user_id.to_owned(), device_id.to_owned(), linked.map(str::to_owned));
        self.with(move |c| {
            execute(
                c,
                "UPDATE devices SET linked_visitor_id = ?3 WHERE user_id = ?1 AND device_id = ?2",
                params![user_id, device_id, linked],
            )
            .map(|_| ())
        })
        .await
    }

    async fn delete_device(&self, user_id: &str, device_id: &str) -> Result<bool, StoreError> {
        let (user_id, device_id) = (user_id.to_owned(), device_id.to_owned());
        self.with(move |c| {
            execute(c, "DELETE FROM devices WHERE user_id = ?1 AND device_id = ?2", params![user_id, device_id])
                .map(|n| n > 0)
        })
        .await
    }

    async fn record_failed_login(
        &self,
        key: &str,
        at: UnixMillis,
        window_start: UnixMillis,
    ) -> Result<u32, StoreError> {
        let key = key.to_owned();
        self.with(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            execute(&tx, "INSERT INTO login_failures (key, at) VALUES (?1, ?2)", params![key, at])?;
            execute(&tx, "DELETE FROM login_failures WHERE key = ?1 AND at < ?2", params![key, window_start])?;
            let count: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM login_failures WHERE key = ?1 AND at >= ?2")
                .and_then(|mut statement| statement.query_row(params![key, window_start], |row| row.get(0)))
                .map_err(backend_error)?;
            tx.commit().map_err(backend_error)?;
            Ok(count_u32(count))
        })
        .await
    }

    async fn failed_logins(
        &self,
        key: &str,
        window_start: UnixMillis,
    ) -> Result<(u32, Option<UnixMillis>), StoreError> {
        let key = key.to_owned();
        self.read(move |c| {
            let (count, latest): (i64, Option<i64>) = c
                .prepare_cached("SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = ?1 AND at >= ?2")
                .and_then(|mut statement| {
                    statement.query_row(params![key, window_start], |row| Ok((row.get(0)?, row.get(1)?)))
                })
                .map_err(backend_error)?;
            Ok((count_u32(count), latest))
        })
        .await
    }

    async fn count_attempt(
        &self,
        keys: &[String],
        at: UnixMillis,
        policy: &ThrottlePolicy,
    ) -> Result<Admission, StoreError> {
        let (keys, policy) = (keys.to_vec(), *policy);
        self.with(move |c| {
            // IMMEDIATE takes the write lock before the first read: the check
            // and the count are one step for every connection and process.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend_error)?;
            let window_start = at - policy.window_ms;
            let mut wait = 0;
            for key in &keys {
                execute(&tx, "DELETE FROM login_failures WHERE key = ?1 AND at < ?2", params![key, window_start])?;
                let (count, latest): (i64, Option<i64>) = tx
                    .prepare_cached("SELECT COUNT(*), MAX(at) FROM login_failures WHERE key = ?1")
                    .and_then(|mut statement| statement.query_row(params![key], |row| Ok((row.get(0)?, row.get(1)?))))
                    .map_err(backend_error)?;
                wait = wait.max(policy.wait_ms(count_u32(count), latest, at));
            }
            if wait == 0 {
                for key in &keys {
                    execute(&tx, "INSERT INTO login_failures (key, at) VALUES (?1, ?2)", params![key, at])?;
                }
            }
            tx.commit().map_err(backend_error)?;
            Ok(if wait == 0 { Admission::Proceed } else { Admission::Wait(wait) })
        })
        .await
    }

    async fn clear_failed_logins(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.with(move |c| execute(c, "DELETE FROM login_failures WHERE key = ?1", params![key]).map(|_| ())).await
    }

    async fn admin_accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.read(move |c| {
            query_all(
                c,
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE is_admin ORDER BY created_at, user_id"),
                [],
                |row| rows::account(row),
            )
        })
        .await
    }

    async fn count_accounts(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            let count: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM accounts")
                .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
                .map_err(backend_error)?;
            Ok(rows::count(count))
        })
        .await
    }
}
