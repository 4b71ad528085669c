//! An instance's life as three operations, each one transaction with its
//! audit entry and its job, so a crash or a refused step leaves either all
//! of it or none: an instance without its webhook secret, a selection
//! without its sync, or a deletion without its job never exist. The API's
//! handlers call these; the Web UI's pages call the API's handlers.

use sqlx::Row as _;

use crate::accounts::write_audit;
use crate::catalog::{write_selection, write_status};
use crate::crypto::SecretString;
use crate::queue::enqueue_on;
use crate::{Instance, NewInstance, NewJob, Store, StoreError};

/// What deleting an instance did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Vigil had no hook in GitLab: every row is gone.
    Deleted,
    /// The instance is `deleting`; this job removes its hooks, then its rows.
    Queued(i64),
}

impl Store {
    /// Creates an instance with the secret GitLab's hooks will send back,
    /// its access token when given, and the `instance.create` audit entry
    /// by `actor`.
    pub async fn create_instance_audited(
        &self,
        new: &NewInstance,
        webhook_secret: &SecretString,
        access_token: Option<&SecretString>,
        actor: &str,
        now: i64,
    ) -> Result<Instance, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let instance = self.insert_instance(&mut transaction, new, now).await?;
        self.write_instance_secret(
            &mut transaction,
            instance.id,
            "webhook_secret_enc",
            Some(webhook_secret),
            now,
        )
        .await?;
        if let Some(token) = access_token {
            self.write_instance_secret(
                &mut transaction,
                instance.id,
                "access_token_enc",
                Some(token),
                now,
            )
            .await?;
        }
        let target = format!("instance:{}", instance.id);
        write_audit(&mut transaction, actor, "instance.create", &target, &instance.base_url, now)
            .await?;
        transaction.commit().await?;
        Ok(instance)
    }

    /// Sets instance `id`'s repository selection, marks it `pending` while
    /// `sync` applies it, queues `sync` and audits, together. The sync's job
    /// id (an already queued sync's, which reads the new selection when it
    /// runs), or `None` when there is no such instance.
    pub async fn apply_selection(
        &self,
        id: i64,
        mode: &str,
        chosen: &[i64],
        sync: &NewJob,
        actor: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut transaction = self.writer().begin().await?;
        if !instance_exists(&mut transaction, id).await? {
            return Ok(None);
        }
        write_selection(&mut transaction, id, mode, chosen, now).await?;
        // Pending until the sync has applied it, so nobody reads the old
        // selection's progress as this one's.
        write_status(
            &mut transaction,
            id,
            "pending",
            Some("applying the repository selection"),
            now,
        )
        .await?;
        let job = enqueue_on(&mut transaction, self.backend(), sync, now).await?.id;
        write_audit(
            &mut transaction,
            actor,
            "instance.selection",
            &format!("instance:{id}"),
            mode,
            now,
        )
        .await?;
        transaction.commit().await?;
        Ok(Some(job))
    }

    /// Deletes instance `id`: at once when Vigil installed no hook in its
    /// GitLab, else marks it `deleting` and queues `job` to remove the hooks
    /// first. Audited either way; `None` when there is no such instance.
    pub async fn request_instance_deletion(
        &self,
        id: i64,
        job: &NewJob,
        actor: &str,
        now: i64,
    ) -> Result<Option<Deletion>, StoreError> {
        let mut transaction = self.writer().begin().await?;
        if !instance_exists(&mut transaction, id).await? {
            return Ok(None);
        }
        write_audit(&mut transaction, actor, "instance.delete", &format!("instance:{id}"), "", now)
            .await?;
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM repositories WHERE instance_id = $1 AND webhook_id IS NOT NULL) \
             + (SELECT COUNT(*) FROM instances WHERE id = $1 AND system_hook_id IS NOT NULL) AS hooks",
        )
        .bind(id)
        .fetch_one(&mut *transaction)
        .await?;
        let hooks: i64 = row.try_get("hooks")?;
        let deletion = if hooks == 0 {
            sqlx::query("DELETE FROM instances WHERE id = $1")
                .bind(id)
                .execute(&mut *transaction)
                .await?;
            Deletion::Deleted
        } else {
            write_status(
                &mut transaction,
                id,
                "deleting",
                Some("removing Vigil's hooks from GitLab"),
                now,
            )
            .await?;
            Deletion::Queued(enqueue_on(&mut transaction, self.backend(), job, now).await?.id)
        };
        transaction.commit().await?;
        Ok(Some(deletion))
    }
}

async fn instance_exists(
    connection: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT id FROM instances WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
    Ok(row.is_some())
}
