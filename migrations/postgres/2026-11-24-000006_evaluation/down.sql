DROP INDEX course_progress_user;
DROP INDEX trajectories_cohort;
DROP TABLE questionnaire_responses;
