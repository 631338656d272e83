ALTER TABLE users DROP COLUMN erased_at;
DROP TABLE audit_log;
