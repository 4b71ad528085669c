-- What the IaC, dependency and license engines report beside a secret's
-- evidence: the package (ecosystem, name, version, purl, fixed versions,
-- dependency path), the IaC resource (address, framework) and the license
-- (expression, category), each as the JSON of vigil-core's type; the purl
-- also as a column, to find every repository that uses a package.
ALTER TABLE issues ADD COLUMN package TEXT;
ALTER TABLE issues ADD COLUMN resource TEXT;
ALTER TABLE issues ADD COLUMN license TEXT;
ALTER TABLE issues ADD COLUMN purl TEXT;
CREATE INDEX issues_by_purl ON issues (purl) WHERE purl IS NOT NULL;

-- A scan's diagnostics as rows (configuration problems with their
-- position, skipped and unreadable files), in report order; `errors`
-- keeps the same as text for older readers.
CREATE TABLE scan_diagnostics (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_id      BIGINT  NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    level        TEXT    NOT NULL CHECK (level IN ('note', 'warning', 'error')),
    path         TEXT,
    line         INTEGER,
    column_number INTEGER,
    message      TEXT    NOT NULL
);
CREATE INDEX scan_diagnostics_by_scan ON scan_diagnostics (scan_id, id);
