-- Answers to a questionnaire (course-content/questionnaires). One response per instrument and
-- subject: an employee's trajectory, or a coach's cohort. A draft can be finished later.
CREATE TABLE questionnaire_responses (
    id TEXT PRIMARY KEY NOT NULL,
    questionnaire_key TEXT NOT NULL,
    -- the instrument version the answers belong to
    version INTEGER NOT NULL,
    -- whose answers these are (the employee or the coach)
    respondent_id TEXT NOT NULL REFERENCES users (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    trajectory_id TEXT REFERENCES trajectories (id),
    cohort_id TEXT REFERENCES cohorts (id),
    -- trajectory id (employee instruments) or cohort/organisation id (coach instruments)
    subject_key TEXT NOT NULL,
    -- JSON object: item key -> coded answer (numbers, yes/no, option keys)
    answers TEXT NOT NULL,
    -- JSON object: item key -> free text, kept apart so erasure and exports can leave it out
    open_answers TEXT NOT NULL,
    status TEXT NOT NULL,
    -- who typed the answers in; differs from respondent_id when a coach entered a paper form
    entered_by TEXT NOT NULL REFERENCES users (id),
    on_paper BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP
);
CREATE UNIQUE INDEX questionnaire_responses_one ON questionnaire_responses (questionnaire_key, respondent_id, subject_key);
CREATE INDEX questionnaire_responses_trajectory ON questionnaire_responses (trajectory_id);
CREATE INDEX questionnaire_responses_org ON questionnaire_responses (organization_id, questionnaire_key);
-- Exports read a cohort's trajectories in id order, batch by batch.
CREATE INDEX trajectories_cohort ON trajectories (cohort_id, id);
CREATE INDEX course_progress_user ON course_progress (user_id);
