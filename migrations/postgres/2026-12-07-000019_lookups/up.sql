-- A request for a login link counts the person's links of the last day: without an index on the
-- person that read every link kept (used ones stay 90 days).
CREATE INDEX magic_links_user ON magic_links (user_id, created_at);
-- Lists leave out erased people (`erased_at IS NOT NULL`), who are few: found without reading
-- every account.
CREATE INDEX users_erased ON users (id) WHERE erased_at IS NOT NULL;
-- The reminder round (every few seconds) reads the check-ins still due without an overdue
-- reminder; by (status, due_on) alone it walked those reminded long ago too.
CREATE INDEX aftercare_reminders ON aftercare_checkins (status, overdue_reminder_sent_at, due_on);
-- A coach's list of answers reads those about their trajectories by trajectory and questionnaire
-- (by the questionnaire alone it read every answer to it); the index on the trajectory alone is
-- its prefix.
CREATE INDEX questionnaire_responses_trajectory_key ON questionnaire_responses (trajectory_id, questionnaire_key);
DROP INDEX questionnaire_responses_trajectory;
