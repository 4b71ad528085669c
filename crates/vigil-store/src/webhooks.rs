//! Webhook events: each delivery GitLab made that Vigil accepted, stored
//! before the answer goes out, with the job that processes it enqueued in
//! the same transaction (a 2xx means the event is on disk and will be
//! processed). De-duplicated per instance on the delivery key. Concurrent
//! deliveries can share one transaction (`record_webhooks`).

use sqlx::Row;

use crate::queue::insert_job;
use crate::{NewJob, Store, StoreError};

/// A stored webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// Id.
    pub id: i64,
    /// Instance it came from.
    pub instance_id: i64,
    /// `push`, `merge_request`, `note`, `system`.
    pub kind: String,
    /// The body as GitLab sent it.
    pub payload: String,
    /// Unix ms.
    pub received_at: i64,
    /// Unix ms, once processed.
    pub processed_at: Option<i64>,
}

/// A delivery to store with the job that processes it.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// Instance it came to.
    pub instance_id: i64,
    /// Its de-duplication key.
    pub delivery_key: String,
    /// `push`, `merge_request`, `note`, `system`.
    pub kind: String,
    /// The body as GitLab sent it.
    pub payload: String,
    /// The job to enqueue; its payload gains `event_id`.
    pub job: NewJob,
}

impl Store {
    /// Stores a delivery and enqueues `job` (its payload gains `event_id`),
    /// unless a delivery with the same key was stored for this instance:
    /// then `None`.
    pub async fn record_webhook(
        &self,
        instance_id: i64,
        delivery_key: &str,
        kind: &str,
        payload: &str,
        job: &NewJob,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let delivery = NewDelivery {
            instance_id,
            delivery_key: delivery_key.to_owned(),
            kind: kind.to_owned(),
            payload: payload.to_owned(),
            job: job.clone(),
        };
        let mut stored = self.record_webhooks(std::slice::from_ref(&delivery), now).await?;
        Ok(stored.pop().flatten())
    }

    /// Stores several deliveries, each with its job, in one transaction
    /// (group commit: the webhook intake batches concurrent deliveries).
    /// Returns, per delivery, its event id or `None` for a duplicate
    /// (including a repeat within the batch).
    pub async fn record_webhooks(
        &self,
        deliveries: &[NewDelivery],
        now: i64,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let mut stored = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let row = sqlx::query(
                "INSERT INTO webhook_events (instance_id, event_uuid, kind, payload, received_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (instance_id, event_uuid) DO NOTHING RETURNING id",
            )
            .bind(delivery.instance_id)
            .bind(&delivery.delivery_key)
            .bind(&delivery.kind)
            .bind(&delivery.payload)
            .bind(now)
            .fetch_optional(&mut *transaction)
            .await?;
            let Some(row) = row else {
                stored.push(None);
                continue;
            };
            let id: i64 = row.try_get("id")?;
            let mut job = delivery.job.clone();
            if let Some(object) = job.payload.as_object_mut() {
                object.insert("event_id".into(), id.into());
            }
            insert_job(&mut transaction, self.backend, &job, now).await?;
            stored.push(Some(id));
        }
        transaction.commit().await?;
        Ok(stored)
    }

    /// One stored event.
    pub async fn webhook_event(&self, id: i64) -> Result<Option<WebhookEvent>, StoreError> {
        let row = sqlx::query(
            "SELECT id, instance_id, kind, payload, received_at, processed_at FROM webhook_events WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(WebhookEvent {
                id: row.try_get("id")?,
                instance_id: row.try_get("instance_id")?,
                kind: row.try_get("kind")?,
                payload: row.try_get("payload")?,
                received_at: row.try_get("received_at")?,
                processed_at: row.try_get("processed_at")?,
            })
        })
        .transpose()
    }

    /// Marks an event processed.
    pub async fn mark_webhook_processed(&self, id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE webhook_events SET processed_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
