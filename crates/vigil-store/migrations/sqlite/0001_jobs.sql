-- The durable job queue. Times are Unix milliseconds (UTC), written by the
-- application so that both backends share one clock model.
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    -- Jobs with the same key are one pending job (one full scan per repository and branch).
    dedup_key     TEXT,
    priority      INTEGER NOT NULL DEFAULT 0,
    state         TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'dead')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    run_after     INTEGER NOT NULL,
    locked_by     TEXT,
    locked_until  INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE UNIQUE INDEX jobs_pending_dedup ON jobs (dedup_key) WHERE state = 'queued' AND dedup_key IS NOT NULL;
CREATE INDEX jobs_claimable ON jobs (state, priority DESC, run_after, id);
