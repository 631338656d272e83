ALTER TABLE aftercare_checkins DROP COLUMN shared_with_employee;
