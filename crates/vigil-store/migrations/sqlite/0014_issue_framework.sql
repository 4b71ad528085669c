-- The IaC framework of an issue (terraform, cloudformation, kubernetes,
-- dockerfile, gitlab_ci), copied out of `resource` so issues can be listed
-- by framework with an index; NULL for other kinds.
ALTER TABLE issues ADD COLUMN framework TEXT;
UPDATE issues SET framework = json_extract(resource, '$.framework') WHERE resource IS NOT NULL;
CREATE INDEX issues_by_framework ON issues (framework, status, severity_rank DESC, id DESC)
    WHERE framework IS NOT NULL;
