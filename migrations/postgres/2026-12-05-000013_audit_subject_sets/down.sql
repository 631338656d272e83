DROP INDEX audit_listed;
ALTER TABLE audit_log DROP COLUMN subject_set;
DROP TABLE audit_subject_sets;
