-- The browser session that started an OAuth consent (a hash of a secret
-- of that session), so the callback is accepted only in the same session
-- (RFC 6749 section 10.12); NULL when an API token started it.
ALTER TABLE oauth_states ADD COLUMN session_hash TEXT;
