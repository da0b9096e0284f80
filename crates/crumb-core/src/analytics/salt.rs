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
    ///
    /// A request that read the clock before midnight may ask after the new
    /// day's salt was made: yesterday's salt is forgotten by then, so it gets
    /// a salt of its own (its visitor counts once more that day), and the
    /// new day's salt stays.
    pub async fn salt_for(&self, store: &dyn Store, day: UnixMillis) -> Result<[u8; 32], StoreError> {
        let cached = *self.current.lock().unwrap_or_else(|e| e.into_inner());
        match cached {
            Some((cached_day, salt)) if cached_day == day => return Ok(salt),
            Some((cached_day, _)) if cached_day > day => return random_salt(),
            _ => {}
        }
        let candidate = random_salt()?;
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
            // Another request made a later day's salt meanwhile: it stays.
            Some((cached_day, _)) if cached_day > day => Ok(salt),
            _ => {
                *current = Some((day, salt));
                Ok(salt)
            }
        }
    }
}

fn random_salt() -> Result<[u8; 32], StoreError> {
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt).map_err(|e| StoreError::backend_message("random", e.to_string()))?;
    Ok(salt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crumb_store::analytics::DAY_MILLIS;

    #[tokio::test]
    async fn one_salt_a_day_and_a_late_request_for_yesterday_leaves_today_s() {
        let store = crumb_store::sqlite::SqliteStore::open_in_memory().unwrap();
        let keeper = SaltKeeper::new(false);
        let day = 20_000 * DAY_MILLIS;
        let yesterday = keeper.salt_for(&store, day).await.unwrap();
        assert_eq!(keeper.salt_for(&store, day).await.unwrap(), yesterday);
        let today = keeper.salt_for(&store, day + DAY_MILLIS).await.unwrap();
        assert_ne!(today, yesterday);
        let late = keeper.salt_for(&store, day).await.unwrap();
        assert_ne!(late, yesterday, "yesterday's salt is forgotten");
        assert_eq!(keeper.salt_for(&store, day + DAY_MILLIS).await.unwrap(), today, "today's salt stays");
    }
}
