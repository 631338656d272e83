-- Which trajectory's coach was asked for a talk after a course: the outbox, which keeps sent mail
-- for a week, cannot tell once it has been cleared, and the wish would be mailed again.
ALTER TABLE course_progress ADD COLUMN talk_asked_trajectory_id TEXT;
-- A wish already made was mailed to the coach of the trajectory that ran with method consent when
-- it was saved (the latest such; ids are time-ordered): saving it again asks nobody again. A wish
-- made with no such trajectory went to nobody and stays unmarked. (A wish the coach wrote down
-- from the paper map is theirs: marked the same way.)
UPDATE course_progress
SET talk_asked_trajectory_id = (
    SELECT t.id FROM trajectories t
    WHERE t.employee_id = course_progress.user_id
      AND t.created_at <= course_progress.reflected_at
      AND EXISTS (
          SELECT 1 FROM consents k
          WHERE k.trajectory_id = t.id AND k.kind = 'method' AND k.given = TRUE
            AND k.recorded_at <= course_progress.reflected_at
      )
    ORDER BY t.id DESC LIMIT 1
)
WHERE reflection_choice IN ('coach_talk', 'both');
-- Since when a mail is due (queued, let through again, or moved to a corrected address): it is
-- tried for three days from then, not from when it was written (a card held for a day).
ALTER TABLE outbox ADD COLUMN due_since TIMESTAMP;
UPDATE outbox SET due_since = CASE WHEN attempts = 0 AND next_attempt_at > created_at THEN next_attempt_at ELSE created_at END;
-- The reason an employee reads on aftercare called off by a relapse, now addressed to them.
UPDATE aftercare_checkins
SET skip_reason = 'Je bent weer ziek geworden. Als je weer gaat werken, plannen we nieuwe gesprekken.'
WHERE skip_reason = 'De medewerker is weer uitgevallen. De nazorg begint opnieuw na de volgende werkhervatting.';
