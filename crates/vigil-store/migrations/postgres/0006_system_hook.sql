-- The GitLab system hook Vigil installed (instances that take future
-- projects, with an administrator's token), so it can be removed again.
ALTER TABLE instances ADD COLUMN system_hook_id BIGINT;
