ALTER TABLE work_returns DROP COLUMN corrected_by;
ALTER TABLE work_returns DROP COLUMN corrected_at;
