-- The license category of a license finding (permissive, weak_copyleft,
-- strong_copyleft, network_copyleft, non_permissive, unknown), copied out of
-- `license` so issues can be listed by category with an index; NULL for
-- other kinds.
ALTER TABLE issues ADD COLUMN license_category TEXT;
UPDATE issues SET license_category = (license::json ->> 'category') WHERE license IS NOT NULL;
CREATE INDEX issues_by_license_category ON issues (license_category, status, severity_rank DESC, id DESC)
    WHERE license_category IS NOT NULL;
