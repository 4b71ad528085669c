-- The merge requests Vigil has scanned: where its one summary note is (edited
-- in place on later scans) and the last commit status it posted.
CREATE TABLE merge_requests (
    repository_id  INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    iid            INTEGER NOT NULL,
    title          TEXT   NOT NULL DEFAULT '',
    source_branch  TEXT   NOT NULL,
    target_branch  TEXT   NOT NULL,
    state          TEXT   NOT NULL,
    head_sha       TEXT,
    note_id        INTEGER,
    status         TEXT,
    open_issues    INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (repository_id, iid)
);

-- OAuth authorisations in flight (authorization code + PKCE): the state
-- parameter's SHA-256, whose browser started it, and the PKCE verifier.
-- Single use, valid for ten minutes.
CREATE TABLE oauth_states (
    state_hash     TEXT   PRIMARY KEY,
    instance_id    INTEGER NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_verifier  TEXT   NOT NULL,
    created_at     INTEGER NOT NULL
);
