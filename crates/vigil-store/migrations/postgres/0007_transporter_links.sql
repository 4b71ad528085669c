-- What the hub learns from a transporter's agents: the GitLab base URL its
-- Transporter applet serves, the URL GitLab posts webhooks to (the agent's
-- listener), the last health checks (JSON), and why it is in error.
ALTER TABLE transporters ADD COLUMN gitlab_url TEXT;
ALTER TABLE transporters ADD COLUMN webhook_url TEXT;
ALTER TABLE transporters ADD COLUMN health TEXT;
ALTER TABLE transporters ADD COLUMN health_checked_at BIGINT;
ALTER TABLE transporters ADD COLUMN status_reason TEXT;
