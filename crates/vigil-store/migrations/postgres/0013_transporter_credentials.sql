-- Each agent of a transporter holds a credential of its own: agents run
-- side by side for high availability enrol one after another without the
-- newest enrolment locking the others out. Revoking the transporter deletes
-- them all. Credentials are stored as SHA-256 hashes only.
CREATE TABLE transporter_credentials (
    id              BIGSERIAL PRIMARY KEY,
    transporter_id  BIGINT NOT NULL REFERENCES transporters (id) ON DELETE CASCADE,
    credential_hash TEXT    NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL
);
CREATE INDEX transporter_credentials_by_transporter ON transporter_credentials (transporter_id);

INSERT INTO transporter_credentials (transporter_id, credential_hash, created_at)
    SELECT id, credential_hash, created_at FROM transporters WHERE credential_hash IS NOT NULL;
ALTER TABLE transporters DROP COLUMN credential_hash;

-- Enrolment tokens expire (the server's --transporter-enrolment-ttl): when a
-- token was issued. A token waiting at this upgrade counts as issued now.
ALTER TABLE transporters ADD COLUMN enrolment_issued_at BIGINT;
UPDATE transporters SET enrolment_issued_at = CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) WHERE enrolment_hash IS NOT NULL;
