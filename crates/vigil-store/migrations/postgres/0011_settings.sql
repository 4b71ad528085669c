-- Server-wide settings an administrator changes at run time (the default
-- scan policy first), one row per setting, the value as JSON.
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT
);
