-- Whether method and research consent stand, kept on the trajectory: every staff list shows both,
-- and two correlated subqueries per row cost a coach's list about 9% of its instructions on
-- SQLite and 30% of PostgreSQL's CPU time. The consent records stay
-- the history; the columns are recomputed from them in the transaction that adds a record
-- (`trajectories::queries::insert_consent`), so they never disagree.
ALTER TABLE trajectories
    ADD COLUMN method_consent BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN research_consent BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE trajectories SET
    method_consent = COALESCE((SELECT c.given FROM consents c WHERE c.trajectory_id = trajectories.id
        AND c.kind = 'method' ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), FALSE),
    research_consent = COALESCE((SELECT c.given FROM consents c WHERE c.trajectory_id = trajectories.id
        AND c.kind = 'research' ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), FALSE);
