-- The end-of-course reflection may ask for a coaching talk and a group session both (DOMAIN.md:
-- "a coaching talk and/or a group session"). SQLite cannot change a CHECK in place: the table is
-- rebuilt as in 000007 (same columns, key and WITHOUT ROWID).

CREATE TABLE course_progress_new (
    user_id TEXT NOT NULL REFERENCES users (id),
    course_slug TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    last_page_id TEXT,
    celebration TEXT,
    celebrated_at TIMESTAMP,
    reflection TEXT,
    reflection_choice TEXT CHECK (reflection_choice IN ('coach_talk', 'group_session', 'both', 'none')),
    reflected_at TIMESTAMP,
    completed_at TIMESTAMP,
    completed_via TEXT CHECK (completed_via IN ('online', 'paper')),
    completed_by TEXT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_slug)
) WITHOUT ROWID;
INSERT INTO course_progress_new SELECT user_id, course_slug, started_at, last_page_id, celebration,
    celebrated_at, reflection, reflection_choice, reflected_at, completed_at, completed_via, completed_by, updated_at
    FROM course_progress;
DROP TABLE course_progress;
ALTER TABLE course_progress_new RENAME TO course_progress;
