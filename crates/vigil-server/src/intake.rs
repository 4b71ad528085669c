//! Group commit for the webhook intake: concurrent deliveries are stored
//! together, each with its job, in one transaction by one task, so a burst
//! of hooks costs one commit instead of one each (SQLite has one writer
//! anyway). A delivery's answer still waits for its own commit: a 2xx
//! always means the event is stored. When a batch fails, its deliveries
//! are retried one by one, so one bad delivery cannot fail the others.

use std::sync::Arc;

use tokio::sync::{OnceCell, mpsc, oneshot};
use vigil_store::{NewDelivery, Queue, Store, StoreError};

/// Deliveries stored per transaction at most.
const MAX_BATCH: usize = 256;
/// Deliveries waiting for the writer task at most; more wait to enqueue.
const QUEUE_DEPTH: usize = 4096;

type Reply = oneshot::Sender<Result<Option<i64>, StoreError>>;

/// The writer task's inbox, started on first use.
#[derive(Debug, Clone, Default)]
pub(crate) struct Intake {
    sender: Arc<OnceCell<mpsc::Sender<(NewDelivery, Reply)>>>,
}

impl Intake {
    /// Stores `delivery` with its job; `None` when it was a duplicate.
    pub(crate) async fn record(
        &self,
        store: &Store,
        delivery: NewDelivery,
    ) -> Result<Option<i64>, StoreError> {
        let sender = self
            .sender
            .get_or_init(|| async {
                let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
                tokio::spawn(write_batches(store.clone(), receiver));
                sender
            })
            .await;
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError((delivery, _))) = sender.send((delivery, reply)).await {
            // The writer task is gone (runtime shutting down): write directly.
            return store
                .record_webhook(
                    delivery.instance_id,
                    &delivery.delivery_key,
                    &delivery.kind,
                    &delivery.payload,
                    &delivery.job,
                    Queue::now_ms(),
                )
                .await;
        }
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(StoreError::Conflict("the webhook writer stopped; retry".into())),
        }
    }
}

async fn write_batches(store: Store, mut receiver: mpsc::Receiver<(NewDelivery, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (deliveries, replies): (Vec<NewDelivery>, Vec<Reply>) = batch.drain(..).unzip();
        match store.record_webhooks(&deliveries, Queue::now_ms()).await {
            Ok(stored) => {
                for (reply, id) in replies.into_iter().zip(stored) {
                    let _ = reply.send(Ok(id));
                }
            }
            Err(error) if deliveries.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(error));
                }
            }
            Err(error) => {
                tracing::warn!(%error, deliveries = deliveries.len(), "webhook batch failed; storing one by one");
                for (delivery, reply) in deliveries.into_iter().zip(replies) {
                    let result = store
                        .record_webhooks(std::slice::from_ref(&delivery), Queue::now_ms())
                        .await
                        .map(|mut stored| stored.pop().flatten());
                    let _ = reply.send(result);
                }
            }
        }
    }
}
