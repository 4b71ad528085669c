-- Claims read two small partial indexes instead of one index over every job
-- ever run: queued jobs in claim order, and running jobs by lease end (to
-- find expired leases). Finished jobs no longer slow claims down.
DROP INDEX jobs_claimable;
CREATE INDEX jobs_queued ON jobs (priority DESC, run_after, id) WHERE state = 'queued';
CREATE INDEX jobs_running_lease ON jobs (locked_until) WHERE state = 'running';
-- Purging finished jobs (the scheduler does it) walks this one.
CREATE INDEX jobs_finished ON jobs (updated_at) WHERE state = 'succeeded';
