CREATE INDEX consents_trajectory ON consents (trajectory_id, recorded_at);
DROP INDEX consents_latest;
