//! One site as the domain functions see it: its declaration, its store and
//! its clock.

use std::sync::Arc;

use crumb_store::Store;

use crate::config::Config;

/// The time source: Unix milliseconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// A site's validated declaration, the store its records go to, and the
/// clock (injectable for tests). Cheap to clone: three reference counts.
#[derive(Clone)]
pub struct Site {
    /// The validated declaration and settings.
    pub config: Arc<Config>,
    /// Where records go.
    pub store: Arc<dyn Store>,
    /// The time source, in Unix milliseconds.
    pub clock: Clock,
}

impl Site {
    /// A site on the system clock.
    pub fn new(config: Arc<Config>, store: Arc<dyn Store>) -> Self {
        Self::with_clock(config, store, Arc::new(|| crumb_cookie::Timestamp::now().unix_micros() / 1000))
    }

    /// A site on `clock` (tests and benchmarks).
    pub fn with_clock(config: Arc<Config>, store: Arc<dyn Store>, clock: Clock) -> Self {
        Site { config, store, clock }
    }

    /// Now, in Unix milliseconds.
    pub fn now_millis(&self) -> i64 {
        (self.clock)()
    }
}
