-- Who did what with whose data. Entries are only ever inserted: no endpoint changes or deletes them.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT,
    actor_role TEXT,
    action TEXT NOT NULL,
    -- the person whose data was read or changed, when there is one
    subject_id TEXT,
    organization_id TEXT,
    route TEXT NOT NULL,
    request_id TEXT NOT NULL,
    -- JSON: filters, row counts, the reason of an erasure
    detail TEXT
);
CREATE INDEX audit_subject ON audit_log (subject_id, at);
CREATE INDEX audit_org ON audit_log (organization_id, at);
CREATE INDEX audit_at ON audit_log (at);

-- Set when the person was erased (AVG) or pseudonymised by the retention job.
ALTER TABLE users ADD COLUMN erased_at TIMESTAMP;
