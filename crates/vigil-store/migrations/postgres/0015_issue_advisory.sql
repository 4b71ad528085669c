-- What a dependency finding's advisory says (ids, aliases, page, CVSS) as
-- the JSON of vigil-core's AdvisoryInfo, and the package's ecosystem, name
-- and whether a fixed version exists copied out of `package`, so issues can
-- be listed by ecosystem, package and "fix available" with an index; NULL
-- for other kinds.
ALTER TABLE issues ADD COLUMN advisory TEXT;
ALTER TABLE issues ADD COLUMN ecosystem TEXT;
ALTER TABLE issues ADD COLUMN package_name TEXT;
ALTER TABLE issues ADD COLUMN fix_available INTEGER;
UPDATE issues SET
    ecosystem = (package::json ->> 'ecosystem'),
    package_name = (package::json ->> 'name'),
    fix_available = CASE WHEN json_array_length(package::json -> 'fixed_versions') > 0 THEN 1 ELSE 0 END
    WHERE package IS NOT NULL;
CREATE INDEX issues_by_ecosystem ON issues (ecosystem, status, severity_rank DESC, id DESC)
    WHERE ecosystem IS NOT NULL;
CREATE INDEX issues_by_package ON issues (package_name, status, severity_rank DESC, id DESC)
    WHERE package_name IS NOT NULL;

-- The dependency graph of each lockfile as the last scan of a repository
-- and branch read it (vigil-sca's graph as JSON), so that advisories
-- published later are matched without downloading the code again, with
-- that scan's verdict (vigil-pipeline's Verdict as JSON: kinds, rules
-- switched off, severity overrides, baseline) to judge what they find.
CREATE TABLE dependency_graphs (
    repository_id BIGINT  NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    branch        TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    graph         TEXT    NOT NULL,
    verdict       TEXT    NOT NULL,
    scan_id       BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    PRIMARY KEY (repository_id, branch, path)
);
