//! The cookieless salt: random per UTC day, so a visitor key made from the
//! client's address and user agent cannot be linked across days, and never
//! reversed (the salt is forgotten when the day ends).
//!
//! On a single node (SQLite) the salt lives only in memory: a restart
//! starts a new salt and today's cookieless visitors count again. Several
//! nodes (PostgreSQL) must hash alike, so the first node to need a day's
//! salt stores it and the others read it; earlier days' salts are deleted.

use std::sync::Mutex;

use crumb_store::{Store, StoreError, UnixMillis};

/// Keeps the day's salt.
pub struct SaltKeeper {
    shared: bool,
    current: Mutex<Option<(UnixMillis, [u8; 32])>>,
}

impl SaltKeeper {
    /// A keeper; `shared` for multi-node stores.
    pub fn new(shared: bool) -> Self {
        SaltKeeper { shared, current: Mutex::new(None) }
    }

    /// Whether the salt is shared through the store.
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// The salt of the UTC day starting at `day`.
    pub async fn salt_for(&self, store: &dyn Store, day: UnixMillis) -> Result<[u8; 32], StoreError> {
        if let Some((cached_day, salt)) = *self.current.lock().unwrap_or_else(|e| e.into_inner()) {
            if cached_day == day {
                return Ok(salt);
            }
        }
        let mut candidate = [0u8; 32];
        getrandom::getrandom(&mut candidate)
            .map_err(|e| StoreError::Backend { backend: "random", detail: e.to_string() })?;
        let salt = if self.shared {
            let stored = store.shared_salt(day, &candidate).await?;
            <[u8; 32]>::try_from(stored.as_slice())
                .map_err(|_| StoreError::Corrupt { detail: "a shared salt is not 32 bytes".into() })?
        } else {
            candidate
        };
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match *current {
            // Another request of the same day got there first: keep one salt per day.
            Some((cached_day, existing)) if cached_day == day => Ok(existing),
            _ => {
                *current = Some((day, salt));
                Ok(salt)
            }
        }
    }
}
