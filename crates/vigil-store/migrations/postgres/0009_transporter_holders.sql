-- Which Vigil server process holds a link of each transporter, and where
-- the other processes reach that process's forward endpoint; rows not
-- renewed for a while are stale (the process died without removing them).
CREATE TABLE transporter_holders (
    transporter_id BIGINT NOT NULL REFERENCES transporters (id) ON DELETE CASCADE,
    holder         TEXT   NOT NULL,
    forward_url    TEXT   NOT NULL,
    seen_at        BIGINT NOT NULL,
    PRIMARY KEY (transporter_id, holder)
);
