CREATE TABLE course_progress_rowid (
    user_id TEXT NOT NULL REFERENCES users (id),
    course_slug TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    last_page_id TEXT,
    celebration TEXT,
    celebrated_at TIMESTAMP,
    reflection TEXT,
    reflection_choice TEXT CHECK (reflection_choice IN ('coach_talk', 'group_session', 'none')),
    reflected_at TIMESTAMP,
    completed_at TIMESTAMP,
    completed_via TEXT CHECK (completed_via IN ('online', 'paper')),
    completed_by TEXT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_slug)
);
INSERT INTO course_progress_rowid SELECT * FROM course_progress;
DROP TABLE course_progress;
ALTER TABLE course_progress_rowid RENAME TO course_progress;
CREATE INDEX course_progress_user ON course_progress (user_id);

CREATE TABLE page_progress_rowid (
    user_id TEXT NOT NULL REFERENCES users (id),
    course_slug TEXT NOT NULL,
    page_id TEXT NOT NULL,
    page_hash TEXT NOT NULL,
    visited_at TIMESTAMP NOT NULL,
    done_at TIMESTAMP,
    answers TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, course_slug, page_id)
);
INSERT INTO page_progress_rowid SELECT * FROM page_progress;
DROP TABLE page_progress;
ALTER TABLE page_progress_rowid RENAME TO page_progress;
