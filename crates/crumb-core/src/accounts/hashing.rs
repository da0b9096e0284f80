//! A bound on concurrent Argon2id work. Each hash or verification holds
//! [`ARGON2_MEMORY_MB`] of memory for its whole run, so unbounded
//! concurrency lets anyone who can post a form exhaust the server's memory
//! (issue 21, attack 2: 64 concurrent registrations took the process from
//! 54 MB to 1,329 MB). Every hash and verification of a password —
//! registration, sign-in (the dummy hash of unknown accounts included),
//! password change, erasure — runs under a permit of one [`HashLimiter`];
//! a request that cannot get one within the limiter's wait is refused with
//! [`HashBusy`] (the server answers 503 with `Retry-After`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// Argon2id's memory cost, KiB (OWASP's minimum: 19 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
/// Memory one running hash holds, MB: 19 MiB of blocks plus working
/// overhead, rounded up.
pub const ARGON2_MEMORY_MB: u32 = 21;
/// Memory given to password hashing when `crumb.toml` does not say
/// (`[accounts] password_hash_memory_mb`): room for six hashes at once.
pub const DEFAULT_HASH_MEMORY_MB: u32 = 128;
/// How long a request waits for a hashing permit before it is refused: a
/// few rounds of every permit's work, so a short burst queues and a flood
/// is turned away instead of piling up.
pub const DEFAULT_HASH_WAIT: Duration = Duration::from_secs(5);
/// The `Retry-After` given to a request refused for want of a permit.
pub const BUSY_RETRY_AFTER_SECONDS: u64 = 2;

/// No hashing permit came free within the limiter's wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("every password-hashing slot is busy; retry in {retry_after_seconds} s")]
pub struct HashBusy {
    /// Seconds to wait before retrying.
    pub retry_after_seconds: u64,
}

/// Why a blocking Argon2 job did not give its result.
#[derive(Debug, thiserror::Error)]
pub enum HashJobError {
    /// No permit within the wait.
    #[error(transparent)]
    Busy(#[from] HashBusy),
    /// The blocking task was cancelled (the runtime is shutting down).
    #[error("the hashing task did not finish: {0}")]
    Interrupted(#[from] tokio::task::JoinError),
}

/// At most `permits` Argon2 jobs at once; others wait up to `wait`.
#[derive(Debug)]
pub struct HashLimiter {
    semaphore: Arc<Semaphore>,
    permits: usize,
    wait: Duration,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

/// The number of permits for a memory budget: as many hashes as fit in
/// `budget_mb`, no more than `cores` (more would only queue on the CPU),
/// and at least one.
pub fn permits_for(budget_mb: u32, cores: usize) -> usize {
    let fit = usize::try_from(budget_mb / ARGON2_MEMORY_MB).unwrap_or(usize::MAX);
    fit.min(cores).max(1)
}

impl HashLimiter {
    /// A limiter with `permits` (at least one) and `wait`.
    pub fn new(permits: usize, wait: Duration) -> Self {
        let permits = permits.max(1);
        HashLimiter {
            semaphore: Arc::new(Semaphore::new(permits)),
            permits,
            wait,
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A limiter sized by [`permits_for`] from a memory budget and this
    /// machine's cores, with [`DEFAULT_HASH_WAIT`].
    pub fn for_budget(budget_mb: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        HashLimiter::new(permits_for(budget_mb, cores), DEFAULT_HASH_WAIT)
    }

    /// How many jobs may run at once.
    pub fn permits(&self) -> usize {
        self.permits
    }

    /// The most jobs that ever ran at once under this limiter.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Takes a permit, waiting at most the limiter's wait: while the
    /// returned guard lives, one job's worth of hashing is reserved (tests
    /// hold one to fill the limiter).
    pub async fn acquire(&self) -> Result<tokio::sync::OwnedSemaphorePermit, HashBusy> {
        let busy = HashBusy { retry_after_seconds: BUSY_RETRY_AFTER_SECONDS };
        match tokio::time::timeout(self.wait, Arc::clone(&self.semaphore).acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // Timed out, or the semaphore was closed (it never is).
            Ok(Err(_)) | Err(_) => Err(busy),
        }
    }

    /// Runs `job` on the blocking pool under a permit.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, HashJobError> {
        let permit = self.acquire().await?;
        let (running, peak) = (Arc::clone(&self.running), Arc::clone(&self.peak));
        let result = tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let result = job();
            running.fetch_sub(1, Ordering::SeqCst);
            // The permit goes only once the memory is freed.
            drop(permit);
            result
        })
        .await?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_follow_the_memory_budget_and_the_cores() {
        assert_eq!(permits_for(128, 8), 6, "128 MB holds six 21 MB hashes");
        assert_eq!(permits_for(128, 2), 2, "no more than the cores");
        assert_eq!(permits_for(10, 8), 1, "always at least one");
        assert_eq!(permits_for(0, 0), 1);
    }

    #[tokio::test]
    async fn a_full_limiter_refuses_after_its_wait_and_frees_its_permits() {
        let limiter = HashLimiter::new(1, Duration::from_millis(20));
        let held = limiter.acquire().await.unwrap();
        assert_eq!(limiter.run(|| 1).await.unwrap_err().to_string(), HashBusy { retry_after_seconds: 2 }.to_string());
        drop(held);
        assert_eq!(limiter.run(|| 2).await.unwrap(), 2);
        assert_eq!(limiter.run(|| 3).await.unwrap(), 3, "the job's permit was given back");
        assert_eq!(limiter.peak(), 1);
    }
}
