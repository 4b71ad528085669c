-- What the instances table of the Web UI shows: who connected the instance
-- and when its repositories were last synced with GitLab.
ALTER TABLE instances ADD COLUMN created_by TEXT;
ALTER TABLE instances ADD COLUMN last_sync_at BIGINT;
