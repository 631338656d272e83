-- A return recorded with a wrong date or hours is corrected in place: the aftercare is planned
-- from the date, so a correction must replace it, not add a step. Who corrected it, and when.
ALTER TABLE work_returns ADD COLUMN corrected_at TIMESTAMP;
ALTER TABLE work_returns ADD COLUMN corrected_by TEXT REFERENCES users (id);
