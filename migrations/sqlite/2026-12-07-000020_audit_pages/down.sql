DROP INDEX audit_org_pages;
CREATE INDEX audit_org ON audit_log (organization_id, at);
