CREATE INDEX questionnaire_responses_trajectory ON questionnaire_responses (trajectory_id);
DROP INDEX questionnaire_responses_trajectory_key;
DROP INDEX aftercare_reminders;
DROP INDEX users_erased;
DROP INDEX magic_links_user;
