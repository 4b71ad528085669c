-- The platform's tables: people and credentials, GitLab instances and their
-- repositories, transporters, webhook events, scans, issues, suppressions,
-- the audit log and the scheduler's lease. Times are Unix milliseconds.

CREATE TABLE users (
    id             BIGSERIAL PRIMARY KEY,
    username       TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL
);

-- Only hashes of session ids and API tokens are stored.
CREATE TABLE sessions (
    id_hash     TEXT   PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    token_hash    TEXT   NOT NULL UNIQUE,
    prefix        TEXT   NOT NULL,
    scope         TEXT   NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);

CREATE TABLE audit_log (
    id        BIGSERIAL PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    actor     TEXT   NOT NULL,
    action    TEXT   NOT NULL,
    target    TEXT   NOT NULL,
    detail    TEXT   NOT NULL DEFAULT ''
);

CREATE TABLE transporters (
    id                 BIGSERIAL PRIMARY KEY,
    name               TEXT   NOT NULL UNIQUE,
    credential_hash    TEXT,
    enrolment_hash     TEXT,
    status             TEXT   NOT NULL DEFAULT 'pending',
    version            TEXT,
    last_seen_at       BIGINT,
    created_at         BIGINT NOT NULL
);

-- Secrets (`*_enc`) are AES-256-GCM ciphertexts under the master key.
CREATE TABLE instances (
    id                   BIGSERIAL PRIMARY KEY,
    name                 TEXT   NOT NULL,
    base_url             TEXT   NOT NULL UNIQUE,
    transporter_id       BIGINT REFERENCES transporters (id) ON DELETE SET NULL,
    oauth_client_id      TEXT,
    oauth_secret_enc     TEXT,
    access_token_enc     TEXT,
    refresh_token_enc    TEXT,
    token_expires_at     BIGINT,
    webhook_secret_enc   TEXT,
    selection            TEXT   NOT NULL DEFAULT 'chosen' CHECK (selection IN ('all', 'all_and_future', 'chosen')),
    -- GitLab project ids, JSON array, when selection is 'chosen'.
    chosen_projects      TEXT   NOT NULL DEFAULT '[]',
    status               TEXT   NOT NULL DEFAULT 'pending',
    status_reason        TEXT,
    scan_interval_s      BIGINT NOT NULL DEFAULT 86400,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);

CREATE TABLE repositories (
    id                 BIGSERIAL PRIMARY KEY,
    instance_id        BIGINT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    gitlab_project_id  BIGINT NOT NULL,
    path               TEXT   NOT NULL,
    default_branch     TEXT   NOT NULL,
    webhook_id         BIGINT,
    selected           INTEGER NOT NULL DEFAULT 1,
    next_scan_at       BIGINT,
    created_at         BIGINT NOT NULL,
    UNIQUE (instance_id, gitlab_project_id)
);
CREATE INDEX repositories_due ON repositories (selected, next_scan_at);

CREATE TABLE webhook_events (
    id            BIGSERIAL PRIMARY KEY,
    instance_id   BIGINT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    -- The delivery key: Idempotency-Key, else X-Gitlab-Event-UUID, else a body hash.
    event_uuid    TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    payload       TEXT   NOT NULL,
    received_at   BIGINT NOT NULL,
    processed_at  BIGINT,
    UNIQUE (instance_id, event_uuid)
);

CREATE TABLE scans (
    id             BIGSERIAL PRIMARY KEY,
    repository_id  BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    branch         TEXT   NOT NULL,
    commit_sha     TEXT,
    trigger_kind   TEXT   NOT NULL,
    scope          TEXT   NOT NULL CHECK (scope IN ('full', 'paths')),
    status         TEXT   NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    job_id         BIGINT,
    queued_at      BIGINT NOT NULL,
    started_at     BIGINT,
    finished_at    BIGINT,
    files_scanned  BIGINT NOT NULL DEFAULT 0,
    findings       BIGINT NOT NULL DEFAULT 0,
    new_issues     BIGINT NOT NULL DEFAULT 0,
    fixed_issues   BIGINT NOT NULL DEFAULT 0,
    reopened       BIGINT NOT NULL DEFAULT 0,
    errors         TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX scans_by_repository ON scans (repository_id, id DESC);

CREATE TABLE issues (
    id             BIGSERIAL PRIMARY KEY,
    repository_id  BIGINT  NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    branch         TEXT    NOT NULL,
    fingerprint    TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    rule_id        TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    -- 0 info … 4 critical, for sorting and thresholds.
    severity_rank  INTEGER NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('open', 'fixed', 'suppressed')),
    path           TEXT    NOT NULL,
    start_line     BIGINT  NOT NULL,
    evidence       TEXT    NOT NULL,
    first_seen_at  BIGINT  NOT NULL,
    last_seen_at   BIGINT  NOT NULL,
    fixed_at       BIGINT,
    first_scan_id  BIGINT,
    last_scan_id   BIGINT,
    UNIQUE (repository_id, branch, fingerprint)
);
CREATE INDEX issues_by_status ON issues (status, severity_rank DESC, id DESC);
CREATE INDEX issues_by_repository ON issues (repository_id, status, severity_rank DESC, id DESC);
CREATE INDEX issues_by_rule ON issues (rule_id, status, severity_rank DESC, id DESC);
CREATE INDEX issues_by_kind ON issues (kind, status, severity_rank DESC, id DESC);
CREATE INDEX issues_by_last_seen ON issues (last_seen_at DESC, id DESC);

CREATE TABLE scan_findings (
    scan_id   BIGINT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    issue_id  BIGINT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    PRIMARY KEY (scan_id, issue_id)
);
CREATE INDEX scan_findings_by_issue ON scan_findings (issue_id);

CREATE TABLE suppressions (
    id          BIGSERIAL PRIMARY KEY,
    issue_id    BIGINT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    reason      TEXT   NOT NULL,
    author      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    -- Set when the suppression stops applying (expired or lifted).
    ended_at    BIGINT
);
CREATE INDEX suppressions_active ON suppressions (ended_at, expires_at);
CREATE INDEX suppressions_by_issue ON suppressions (issue_id);

-- One row per singleton task (the scheduler): whoever holds an unexpired
-- lease runs it; PostgreSQL is the only shared state between servers.
CREATE TABLE leases (
    name    TEXT   PRIMARY KEY,
    holder  TEXT   NOT NULL,
    held_until  BIGINT NOT NULL
);
