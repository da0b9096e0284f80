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

type Done = oneshot::Sender<Result<(), String>>;

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
        committed.await.map_err(|_| gone())?.map_err(|detail| StoreError::backend_message(self.store.backend(), detail))
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
        let result = store.append_events(batch).await.map_err(|e| {
            tracing::error!(error = %e, events = batch_len, "storing analytics events failed");
            e.to_string()
        });
        for done in waiting.drain(..) {
            // The request may have gone (client disconnected): nothing to tell.
            let _ = done.send(result.clone());
        }
    }
}
