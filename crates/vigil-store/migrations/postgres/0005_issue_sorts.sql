-- Issue lists with no filter, or filters without an index of their own,
-- read these in sort order instead of sorting every issue (measured: 354 ms
-- for the first page of 1,000,000 issues without the first one).
CREATE INDEX issues_by_severity ON issues (severity_rank DESC, id DESC);
CREATE INDEX issues_by_first_seen ON issues (first_seen_at DESC, id DESC);
CREATE INDEX issues_by_rule_only ON issues (rule_id, severity_rank DESC, id DESC);
