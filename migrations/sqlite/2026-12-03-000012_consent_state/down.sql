ALTER TABLE trajectories DROP COLUMN research_consent;
ALTER TABLE trajectories DROP COLUMN method_consent;
