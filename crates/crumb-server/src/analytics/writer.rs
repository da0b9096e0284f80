//! Group commit: events from concurrent requests are written in one
//! transaction, and each request is answered once that transaction is
//! durable. While one batch commits, the next one gathers.

use std::sync::{Arc, OnceLock};

use crumb_store::analytics::EventRecord;
use crumb_store::{Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Events written in one transaction at most.
pub const MAX_BATCH: usize = 1024;
/// Events waiting for a commit at most; more wait for room (backpressure).
pub const QUEUE: usize = 16 * 1024;

/// Where a request learns its batch's outcome: the store's error is shared
/// by every request of the batch, and each keeps it as its cause.
type Done = oneshot::Sender<Result<(), Arc<StoreError>>>;

/// The writer task's handle.
pub struct EventWriter {
    store: Arc<dyn Store>,
    sender: OnceLock<mpsc::Sender<(EventRecord, Done)>>,
}

impl EventWriter {
    /// A writer over `store`; its task starts with the first event.
    pub fn new(store: Arc<dyn Store>) -> Self {
        EventWriter { store, sender: OnceLock::new() }
    }

    /// Writes one event; returns once it is durable.
    pub async fn write(&self, event: EventRecord) -> Result<(), StoreError> {
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            tokio::spawn(run(Arc::clone(&self.store), receiver));
            sender
        });
        let (done, committed) = oneshot::channel();
        let gone = || StoreError::backend_message("writer", "the event writer stopped");
        sender.send((event, done)).await.map_err(|_| gone())?;
        committed.await.map_err(|_| gone())?.map_err(|error| StoreError::backend(self.store.backend(), error))
    }
}

async fn run(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<(EventRecord, Done)>) {
    let mut events = Vec::new();
    let mut waiting = Vec::new();
    while let Some((event, done)) = receiver.recv().await {
        events.push(event);
        waiting.push(done);
        // Let requests that are already being handled join this commit:
        // yielding once costs microseconds, a commit (an fsync) costs far more.
        for round in 0..2 {
            if round > 0 {
                tokio::task::yield_now().await;
            }
            while events.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok((event, done)) => {
                        events.push(event);
                        waiting.push(done);
                    }
                    Err(_) => break,
                }
            }
        }
        // The batch goes to the store; the next one is likely of its size.
        let batch_len = events.len();
        let batch = std::mem::replace(&mut events, Vec::with_capacity(batch_len));
        let committing = std::time::Instant::now();
        let result = store.append_events(batch).await;
        // The commit's time is the fsync's, mostly: what a batch waits for.
        metrics::histogram!("crumb_group_commit_seconds").record(committing.elapsed());
        #[allow(clippy::cast_precision_loss)] // a batch holds at most MAX_BATCH events
        metrics::histogram!("crumb_group_commit_batch_events").record(batch_len as f64);
        let result = result.map_err(|e| {
            tracing::error!(error = %e, events = batch_len, "storing analytics events failed");
            Arc::new(e)
        });
        for done in waiting.drain(..) {
            // The request may have gone (client disconnected): nothing to tell.
            let _ = done.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crumb_store::analytics::EventKind;
    use crumb_store::failing::{FailMode, FailingStore};

    fn event() -> EventRecord {
        EventRecord {
            site: "s".into(),
            at: 1_780_000_000_000,
            visitor: 7,
            cookieless: false,
            user: None,
            kind: EventKind::Pageview,
            name: "pageview".into(),
            path: "/".into(),
            source: String::new(),
            utm_source: String::new(),
            utm_medium: String::new(),
            utm_campaign: String::new(),
            browser: "Chrome".into(),
            os: "Linux".into(),
            device: "desktop".into(),
            props: vec![],
        }
    }

    #[tokio::test]
    async fn a_failed_commit_keeps_the_store_error_as_its_cause() {
        #[allow(clippy::unwrap_used)]
        let real: Arc<dyn Store> = Arc::new(crumb_store::sqlite::SqliteStore::open_in_memory().unwrap());
        let failing = Arc::new(FailingStore::new(real));
        let writer = EventWriter::new(failing.clone());
        assert!(writer.write(event()).await.is_ok(), "a working store takes the event");
        failing.set_mode(FailMode::Always);
        let error = writer.write(event()).await.expect_err("the commit failed");
        let mut chain: Vec<&(dyn std::error::Error + 'static)> = Vec::new();
        let mut next = std::error::Error::source(&error);
        while let Some(cause) = next {
            chain.push(cause);
            next = cause.source();
        }
        assert!(
            chain.iter().any(|cause| cause.downcast_ref::<crumb_store::failing::InjectedFailure>().is_some()),
            "the store's own error is in the chain: {error}"
        );
    }
}
