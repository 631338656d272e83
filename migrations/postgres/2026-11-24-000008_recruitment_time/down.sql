ALTER TABLE trajectories DROP COLUMN recruitment_minutes;
