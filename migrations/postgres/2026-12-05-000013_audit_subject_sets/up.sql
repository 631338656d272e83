-- The persons a list showed. A staff list (a coach's trajectories, a project leader's users)
-- shows many people at once; its one audit entry points at the set of them, so that each one's
-- inzage shows the read. A set is stored once and shared by every entry that showed exactly
-- those people: a coach reading the same page again adds no rows (`privacy::subject_sets`).
CREATE TABLE audit_subject_sets (
    set_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (set_id, subject_id)
);
CREATE INDEX audit_subject_sets_subject ON audit_subject_sets (subject_id);
ALTER TABLE audit_log ADD COLUMN subject_set TEXT;
CREATE INDEX audit_listed ON audit_log (subject_set, at) WHERE subject_set IS NOT NULL;
