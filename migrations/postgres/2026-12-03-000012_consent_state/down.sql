ALTER TABLE trajectories DROP COLUMN research_consent, DROP COLUMN method_consent;
