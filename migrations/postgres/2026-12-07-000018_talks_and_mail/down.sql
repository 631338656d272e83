UPDATE aftercare_checkins
SET skip_reason = 'De medewerker is weer uitgevallen. De nazorg begint opnieuw na de volgende werkhervatting.'
WHERE skip_reason = 'Je bent weer ziek geworden. Als je weer gaat werken, plannen we nieuwe gesprekken.';
ALTER TABLE outbox DROP COLUMN due_since;
ALTER TABLE course_progress DROP COLUMN talk_asked_trajectory_id;
