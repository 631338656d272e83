-- An aftercare check-in's note and skip reason are the coach's record of a talk, like a logbook
-- entry: the employee reads them in the app once the coach shares them (inzage holds them all).
ALTER TABLE aftercare_checkins ADD COLUMN shared_with_employee BOOLEAN NOT NULL DEFAULT FALSE;
