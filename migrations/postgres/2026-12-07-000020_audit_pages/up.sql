-- The audit log is paged by id, newest first; a project leader's page is their organisation's.
-- By (organization_id, at) every entry of the organisation was read and sorted for each page (the
-- log grows with every staff read); by (organization_id, id) a page is read in order and stops at
-- its limit. A range of days is read on SQLite as the range of ids of those days (an entry's id
-- is a UUIDv7 of its time), on PostgreSQL through `audit_at`.
DROP INDEX audit_org;
CREATE INDEX audit_org_pages ON audit_log (organization_id, id);
